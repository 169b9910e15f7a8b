import { count, eq, sql } from 'drizzle-orm';
import { effectivePermissions } from '../../platform/auth/access.ts';
import { sessions, users } from '../../platform/auth/schema.ts';
import type { Executor, Tx } from '../../platform/db/client.ts';
import { Problem } from '../../platform/errors/problem.ts';
import type { Platform } from '../../platform/index.ts';
import { countAllProjects } from '../annotation/index.ts';
import { concurrentSessions } from './schema.ts';
import { licenseOf } from './state.ts';

/** A refusal for a limit; it knows the tenant and user it refused, for the license audit log. */
export class LimitRefusal extends Problem {
  constructor(
    readonly limit: 'seats' | 'projects',
    detail: string,
    allowed: number,
    inUse: number,
    readonly tenantId: string,
    readonly userId: string | null,
  ) {
    super(403, detail, {
      code: `license_${limit === 'seats' ? 'seat' : 'project'}_limit`,
      limit,
      allowed,
      in_use: inUse,
    });
  }
}
const SEATS_LOCK = sql`select pg_advisory_xact_lock(hashtext('superinsight:license_seats'))`;
const PROJECTS_LOCK = sql`select pg_advisory_xact_lock(hashtext('superinsight:license_projects'))`;

/**
 * Brings the seat ledger up to date with the sessions: a holder whose sessions all ended or
 * went idle gives the seat back; the others get their latest activity and session count.
 */
export async function syncLedger(tx: Executor, idleMinutes: number): Promise<void> {
  const live = sql`${sessions.endedAt} is null and ${sessions.expiresAt} > now() and ${sessions.lastActivityAt} > now() - make_interval(mins => ${idleMinutes})`;
  await tx.execute(sql`
    delete from ${concurrentSessions} c
     where not exists (select 1 from ${sessions} where ${sessions.userId} = c.user_id and ${live})`);
  await tx.execute(sql`
    update ${concurrentSessions} c
       set last_seen_at = s.seen, session_count = s.n
      from (select ${sessions.userId} as user_id, max(${sessions.lastActivityAt}) as seen, count(*)::int as n
              from ${sessions} where ${live} group by ${sessions.userId}) s
     where s.user_id = c.user_id`);
}

/** Platform owners and a tenant's owners never take a seat. */
async function needsSeat(tx: Executor, tenantId: string, userId: string): Promise<boolean> {
  const [user] = await tx.select({ owner: users.isPlatformOwner }).from(users).where(eq(users.id, userId));
  if (user?.owner) return false;
  const { roles } = await effectivePermissions(tx, tenantId, userId);
  return !roles.includes('owner');
}

/**
 * Made before a sign-in's transaction (the license is read outside it); the returned claim
 * runs inside it. Claims are serialised by an advisory lock, so concurrent sign-ins never
 * hold more seats than the license has.
 */
export async function seatClaim(platform: Platform) {
  const state = await licenseOf(platform).state();
  const limit = state.limits.seats;
  const idle = platform.config.auth.sessionIdleMinutes;
  return async (tx: Tx, tenantId: string, userId: string): Promise<void> => {
    if (!(await needsSeat(tx, tenantId, userId))) return;
    await tx.execute(SEATS_LOCK);
    await syncLedger(tx, idle);
    const [held] = await tx
      .select({ userId: concurrentSessions.userId })
      .from(concurrentSessions)
      .where(eq(concurrentSessions.userId, userId));
    if (!held && limit !== undefined) {
      const [used] = await tx.select({ n: count() }).from(concurrentSessions);
      if ((used?.n ?? 0) >= limit)
        throw new LimitRefusal(
          'seats',
          `All ${limit} seats of the license are in use: someone must sign out (or go idle) first, or the license needs more seats.`,
          limit,
          used?.n ?? 0,
          tenantId,
          userId,
        );
    }
    await tx
      .insert(concurrentSessions)
      .values({ userId, lastSeenAt: sql`now()` })
      .onConflictDoUpdate({ target: concurrentSessions.userId, set: { lastSeenAt: sql`now()` } });
  };
}

/** Refuses a project beyond the license's limit; runs in the creating transaction. */
export async function checkProjectLimit(
  platform: Platform,
  tx: Executor,
  tenantId: string,
  userId: string | null,
): Promise<void> {
  const state = await licenseOf(platform).current(tx);
  const limit = state.limits.projects;
  if (limit === undefined) return;
  await tx.execute(PROJECTS_LOCK);
  const n = await countAllProjects(tx);
  if (n > limit)
    throw new LimitRefusal(
      'projects',
      `The license allows ${limit} projects and this installation has ${n - 1}: delete one, or the license needs more.`,
      limit,
      n - 1,
      tenantId,
      userId,
    );
}

/** Usage against each limit, for admins. */
export async function usage(platform: Platform, tx: Executor) {
  await syncLedger(tx, platform.config.auth.sessionIdleMinutes);
  const [seats] = await tx.select({ n: count() }).from(concurrentSessions);
  return { seats: seats?.n ?? 0, projects: await countAllProjects(tx) };
}
