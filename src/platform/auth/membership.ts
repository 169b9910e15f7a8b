import { sql } from 'drizzle-orm';
import type { Executor } from '../db/client.ts';
import { rowsOf } from '../db/sql.ts';

/**
 * Makes an account a member of a tenant, with the next member number of that tenant.
 * A transaction-scoped advisory lock per tenant orders concurrent joins, so two never
 * take the same number; memberships are deactivated, never deleted, so the highest
 * number is never freed for reuse.
 */
export async function addMembership(tx: Executor, tenantId: string, userId: string): Promise<number> {
  await tx.execute(
    sql`select pg_advisory_xact_lock(hashtextextended(${`tenant_members.number:${tenantId}`}, 0))`,
  );
  const result = await tx.execute(sql`
    insert into tenant_members (tenant_id, user_id, number)
    select ${tenantId}::uuid, ${userId}::uuid, coalesce(max(number), 0) + 1
    from tenant_members where tenant_id = ${tenantId}::uuid
    returning number`);
  return rowsOf<{ number: number }>(result)[0]!.number;
}

/** The member numbers of these accounts in the transaction's tenant (row-level security scopes the read). */
export async function memberNumbers(tx: Executor, userIds: string[]): Promise<Map<string, number>> {
  if (userIds.length === 0) return new Map();
  const result = await tx.execute(sql`
    select user_id::text as user_id, number from tenant_members
    where user_id::text in (select jsonb_array_elements_text(${JSON.stringify([...new Set(userIds)])}::jsonb))`);
  return new Map(rowsOf<{ user_id: string; number: number }>(result).map((r) => [r.user_id, r.number]));
}

/** Members of a tenant as Label Studio names a user (`{id, email, first_name, last_name}`), by account id. */
export async function memberCards(
  tx: Executor,
  tenantId: string,
  userIds: string[],
): Promise<Map<string, { id: number; email: string; first_name: string; last_name: string }>> {
  if (userIds.length === 0) return new Map();
  const result = await tx.execute(sql`
    select m.user_id::text as user_id, m.number, u.email, u.name from tenant_members m
    join users u on u.id = m.user_id
    where m.tenant_id = ${tenantId}::uuid
      and m.user_id::text in (select jsonb_array_elements_text(${JSON.stringify([...new Set(userIds)])}::jsonb))`);
  return new Map(
    rowsOf<{ user_id: string; number: number; email: string; name: string }>(result).map((r) => [
      r.user_id,
      { id: r.number, email: r.email, first_name: r.name, last_name: '' },
    ]),
  );
}
