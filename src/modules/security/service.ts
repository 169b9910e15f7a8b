import { and, asc, desc, eq, sql } from 'drizzle-orm';
import { buildList, listAllows, parseCidr } from '../../platform/auth/ip-allow.ts';
import { ipWhitelist, type SECURITY_EVENT_STATUSES, securityEvents } from '../../platform/auth/schema.ts';
import type { Executor } from '../../platform/db/client.ts';
import { beforeCursor, toPage } from '../../platform/db/pagination.ts';
import { badRequest, conflict, notFound } from '../../platform/errors/problem.ts';

type EventStatus = (typeof SECURITY_EVENT_STATUSES)[number];

/** Triage moves forward only; a closed event may be reopened. */
const NEXT: Record<EventStatus, EventStatus[]> = {
  open: ['investigating', 'resolved', 'false_positive'],
  investigating: ['resolved', 'false_positive', 'open'],
  resolved: ['open'],
  false_positive: ['open'],
};

export function eventView(e: typeof securityEvents.$inferSelect) {
  return {
    id: e.id,
    type: e.type,
    severity: e.severity,
    status: e.status,
    user_id: e.userId,
    ip: e.ip,
    details: e.details,
    resolved_by: e.resolvedBy,
    note: e.note,
    created_at: e.createdAt,
    updated_at: e.updatedAt,
  };
}

export async function listEvents(
  tx: Executor,
  tenantId: string,
  q: { limit: number; cursor?: string; type?: string; severity?: string; status?: string },
) {
  const rows = await tx
    .select()
    .from(securityEvents)
    .where(
      and(
        eq(securityEvents.tenantId, tenantId),
        q.type ? sql`${securityEvents.type} = ${q.type}` : undefined,
        q.severity ? sql`${securityEvents.severity} = ${q.severity}` : undefined,
        q.status ? sql`${securityEvents.status} = ${q.status}` : undefined,
        beforeCursor(securityEvents.createdAt, securityEvents.id, q.cursor),
      ),
    )
    .orderBy(desc(securityEvents.createdAt), desc(securityEvents.id))
    .limit(q.limit + 1);
  const page = toPage(rows, q.limit, (r) => [r.createdAt.toISOString(), r.id]);
  return { ...page, items: page.items.map(eventView) };
}

export async function updateEvent(
  tx: Executor,
  tenantId: string,
  id: string,
  input: { status: EventStatus; note?: string },
  by: string,
) {
  const [event] = await tx
    .select()
    .from(securityEvents)
    .where(and(eq(securityEvents.tenantId, tenantId), eq(securityEvents.id, id)))
    .for('update');
  if (!event) throw notFound('security_event.not_found', 'The security event');
  if (!NEXT[event.status].includes(input.status)) {
    throw conflict(
      'security_event.transition',
      `A security event cannot move from ${event.status} to ${input.status}.`,
      { from: event.status, to: input.status },
    );
  }
  const closed = input.status === 'resolved' || input.status === 'false_positive';
  const [row] = await tx
    .update(securityEvents)
    .set({
      status: input.status,
      note: input.note ?? event.note,
      resolvedBy: closed ? by : null,
      updatedAt: sql`now()`,
    })
    .where(eq(securityEvents.id, id))
    .returning();
  return eventView(row!);
}

export function entryView(e: typeof ipWhitelist.$inferSelect) {
  return {
    id: e.id,
    cidr: e.cidr,
    description: e.description,
    created_by: e.createdBy,
    created_at: e.createdAt,
  };
}

export async function listAllowList(tx: Executor, tenantId: string) {
  const rows = await tx
    .select()
    .from(ipWhitelist)
    .where(eq(ipWhitelist.tenantId, tenantId))
    .orderBy(asc(ipWhitelist.createdAt));
  return rows.map(entryView);
}

function normalise(cidr: string, index: number): string {
  const parsed = parseCidr(cidr);
  if (!parsed) {
    throw badRequest(
      'security.cidr_invalid',
      `"${cidr}" is not an IPv4/IPv6 address or CIDR range.`,
      [{ path: `body/entries/${index}/cidr`, message: 'is not an address or CIDR range' }],
      { cidr },
    );
  }
  return `${parsed.address}/${parsed.prefix}`;
}

/**
 * Replaces the tenant's allow-list. A non-empty list must include the address of the
 * request that saves it, so an administrator cannot lock themselves out by accident.
 */
export async function replaceAllowList(
  tx: Executor,
  tenantId: string,
  entries: { cidr: string; description?: string }[],
  callerIp: string,
  by: string,
) {
  const normalised = entries.map((e, i) => ({
    cidr: normalise(e.cidr, i),
    description: e.description ?? '',
  }));
  const unique = new Map(normalised.map((e) => [e.cidr, e]));
  if (unique.size && !listAllows(buildList([...unique.keys()]), callerIp)) {
    throw conflict(
      'security.allow_list_locks_out',
      `Your own address ${callerIp} is not in the new list; saving it would lock you out.`,
      { ip: callerIp },
    );
  }
  await tx.delete(ipWhitelist).where(eq(ipWhitelist.tenantId, tenantId));
  if (unique.size) {
    await tx.insert(ipWhitelist).values([...unique.values()].map((e) => ({ tenantId, ...e, createdBy: by })));
  }
  return listAllowList(tx, tenantId);
}
