import { createHash } from 'node:crypto';
import { and, asc, desc, eq, gt, sql } from 'drizzle-orm';
import type { Executor } from '../db/client.ts';
import { auditLogs } from './schema.ts';

export const GENESIS_HASH = '0'.repeat(64);

export interface AuditEntry {
  action: string;
  resourceType: string;
  resourceId?: string | null;
  details?: Record<string, unknown>;
}

export interface AuditActor {
  tenantId: string;
  actorId: string | null;
  actorType: 'user' | 'api_token' | 'system';
  ip?: string | null;
  userAgent?: string | null;
  requestId?: string | null;
}

type AuditRow = typeof auditLogs.$inferSelect;

function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(obj[k])}`).join(',')}}`;
}

/** SHA-256 over the row's canonical form and the previous row's hash. */
export function rowHash(row: Omit<AuditRow, 'id' | 'hash'>): string {
  const body = canonical({
    tenant_id: row.tenantId,
    seq: row.seq,
    actor_id: row.actorId,
    actor_type: row.actorType,
    action: row.action,
    resource_type: row.resourceType,
    resource_id: row.resourceId,
    ip: row.ip,
    user_agent: row.userAgent,
    request_id: row.requestId,
    details: row.details,
    created_at: row.createdAt.toISOString(),
  });
  return createHash('sha256').update(row.prevHash).update('\n').update(body).digest('hex');
}

/**
 * Appends entries to the tenant's chain inside the caller's transaction. A per-tenant
 * advisory lock, held to commit, keeps concurrent writers in sequence order; callers
 * append last so the lock is held briefly.
 */
export async function appendAudit(tx: Executor, actor: AuditActor, entries: AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`audit:${actor.tenantId}`}, 0))`);
  const [last] = await tx
    .select({ seq: auditLogs.seq, hash: auditLogs.hash })
    .from(auditLogs)
    .where(eq(auditLogs.tenantId, actor.tenantId))
    .orderBy(desc(auditLogs.seq))
    .limit(1);
  let prevHash = last?.hash ?? GENESIS_HASH;
  let seq = last?.seq ?? 0;
  const createdAt = new Date();
  const rows = entries.map((e) => {
    seq += 1;
    const row = {
      tenantId: actor.tenantId,
      seq,
      actorId: actor.actorId,
      actorType: actor.actorType,
      action: e.action,
      resourceType: e.resourceType,
      resourceId: e.resourceId ?? null,
      ip: actor.ip ?? null,
      userAgent: actor.userAgent ?? null,
      requestId: actor.requestId ?? null,
      details: e.details ?? {},
      createdAt,
      prevHash,
    };
    const hash = rowHash(row);
    prevHash = hash;
    return { ...row, hash };
  });
  await tx.insert(auditLogs).values(rows);
}

export interface VerifyResult {
  ok: boolean;
  checked: number;
  first_broken_id: number | null;
  reason: string | null;
}

/** Walks the tenant's chain in sequence order and names the first row that does not fit. */
export async function verifyChain(tx: Executor, tenantId: string, batch = 2000): Promise<VerifyResult> {
  let prevHash = GENESIS_HASH;
  let expectedSeq = 1;
  let checked = 0;
  for (;;) {
    const rows = await tx
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.tenantId, tenantId), gt(auditLogs.seq, expectedSeq - 1)))
      .orderBy(asc(auditLogs.seq))
      .limit(batch);
    for (const row of rows) {
      const broken = (reason: string): VerifyResult => ({
        ok: false,
        checked,
        first_broken_id: row.id,
        reason,
      });
      if (row.seq !== expectedSeq) return broken(`sequence jumps from ${expectedSeq - 1} to ${row.seq}`);
      if (row.prevHash !== prevHash) return broken('prev_hash does not match the previous row');
      if (rowHash(row) !== row.hash) return broken('the row does not match its hash');
      prevHash = row.hash;
      expectedSeq += 1;
      checked += 1;
    }
    if (rows.length < batch) return { ok: true, checked, first_broken_id: null, reason: null };
  }
}
