import { and, desc, eq, gte, like, lt, type SQL } from 'drizzle-orm';
import { auditCheckpoints, auditLogs } from '../../platform/audit/schema.ts';
import type { Executor } from '../../platform/db/client.ts';
import { decodeCursor, encodeCursor } from '../../platform/db/pagination.ts';

export interface AuditFilter {
  actorId?: string;
  action?: string;
  resourceType?: string;
  resourceId?: string;
  from?: string;
  to?: string;
}

function where(tenantId: string, f: AuditFilter, beforeSeq?: number): SQL | undefined {
  return and(
    eq(auditLogs.tenantId, tenantId),
    f.actorId ? eq(auditLogs.actorId, f.actorId) : undefined,
    // `project.` matches every project action; a full name matches itself.
    f.action
      ? f.action.endsWith('.')
        ? like(auditLogs.action, `${f.action}%`)
        : eq(auditLogs.action, f.action)
      : undefined,
    f.resourceType ? eq(auditLogs.resourceType, f.resourceType) : undefined,
    f.resourceId ? eq(auditLogs.resourceId, f.resourceId) : undefined,
    f.from ? gte(auditLogs.createdAt, new Date(f.from)) : undefined,
    f.to ? lt(auditLogs.createdAt, new Date(f.to)) : undefined,
    beforeSeq !== undefined ? lt(auditLogs.seq, beforeSeq) : undefined,
  );
}

export function view(r: typeof auditLogs.$inferSelect) {
  return {
    id: r.id,
    seq: r.seq,
    actor_id: r.actorId,
    actor_type: r.actorType,
    action: r.action,
    resource_type: r.resourceType,
    resource_id: r.resourceId,
    actor_email: r.actorEmail,
    ip: r.ip,
    user_agent: r.userAgent,
    request_id: r.requestId,
    details: { ...r.details, ...r.personalDetails },
    created_at: r.createdAt,
    erased_at: r.erasedAt,
    prev_hash: r.prevHash,
    hash: r.hash,
  };
}

/** Newest first, keyed by the per-tenant sequence number. */
export async function list(tx: Executor, tenantId: string, f: AuditFilter, limit: number, cursor?: string) {
  const before = decodeCursor(cursor, 1)?.[0];
  const rows = await tx
    .select()
    .from(auditLogs)
    .where(where(tenantId, f, before === undefined ? undefined : Number(before)))
    .orderBy(desc(auditLogs.seq))
    .limit(limit + 1);
  const items = rows.slice(0, limit);
  return {
    items: items.map(view),
    next_cursor: rows.length > limit ? encodeCursor([items.at(-1)!.seq]) : null,
  };
}

/** Pages through every matching row; the export streams them without holding them all. */
export async function* scan(
  run: <T>(work: (tx: Executor) => Promise<T>) => Promise<T>,
  tenantId: string,
  f: AuditFilter,
  batch = 1000,
) {
  let before: number | undefined;
  for (;;) {
    const rows = await run((tx) =>
      tx
        .select()
        .from(auditLogs)
        .where(where(tenantId, f, before))
        .orderBy(desc(auditLogs.seq))
        .limit(batch),
    );
    for (const r of rows) yield view(r);
    if (rows.length < batch) return;
    before = rows.at(-1)!.seq;
  }
}

/** The tenant's checkpoints, newest first, keyed by id. */
export async function listCheckpoints(tx: Executor, tenantId: string, limit: number, cursor?: string) {
  const before = decodeCursor(cursor, 1)?.[0];
  const rows = await tx
    .select()
    .from(auditCheckpoints)
    .where(
      and(
        eq(auditCheckpoints.tenantId, tenantId),
        before === undefined ? undefined : lt(auditCheckpoints.id, Number(before)),
      ),
    )
    .orderBy(desc(auditCheckpoints.id))
    .limit(limit + 1);
  const items = rows.slice(0, limit);
  return {
    items: items.map((c) => ({
      id: c.id,
      seq: c.seq,
      hash: c.hash,
      reason: c.reason,
      created_at: c.createdAt,
      signature: c.signature,
    })),
    next_cursor: rows.length > limit ? encodeCursor([items.at(-1)!.id]) : null,
  };
}
