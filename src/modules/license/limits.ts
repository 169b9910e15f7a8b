import type { Dirent } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { count, eq, sql } from 'drizzle-orm';
import { effectivePermissions } from '../../platform/auth/access.ts';
import { sessions, users } from '../../platform/auth/schema.ts';
import type { Executor, Tx } from '../../platform/db/client.ts';
import { rowsOf } from '../../platform/db/sql.ts';
import { Problem } from '../../platform/errors/problem.ts';
import type { Platform } from '../../platform/index.ts';
import { countAllProjects } from '../annotation/index.ts';
import { concurrentSessions } from './schema.ts';
import { licenseOf } from './state.ts';

const REFUSAL_CODES = {
  seats: 'license_seat_limit',
  projects: 'license_project_limit',
  annotators: 'license_annotator_limit',
  storage_gb: 'license_storage_limit',
} as const;
export type EnforcedLimit = keyof typeof REFUSAL_CODES;

/** A refusal for a limit; it knows the tenant and user it refused, for the license audit log. */
export class LimitRefusal extends Problem {
  constructor(
    readonly limit: EnforcedLimit,
    detail: string,
    allowed: number,
    inUse: number,
    readonly tenantId: string,
    readonly userId: string | null,
  ) {
    super(403, REFUSAL_CODES[limit], detail, {
      limit,
      allowed,
      in_use: inUse,
      params: { limit, allowed, in_use: inUse },
    });
  }
}
const SEATS_LOCK = sql`select pg_advisory_xact_lock(hashtext('superinsight:license_seats'))`;
const PROJECTS_LOCK = sql`select pg_advisory_xact_lock(hashtext('superinsight:license_projects'))`;
const ANNOTATORS_LOCK = sql`select pg_advisory_xact_lock(hashtext('superinsight:license_annotators'))`;
const GB = 1024 ** 3;

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

/** Users who may annotate, across every tenant (see the definer function's migration). */
async function countAnnotators(tx: Executor): Promise<number> {
  const [row] = rowsOf<{ n: number }>(await tx.execute(sql`select installation_annotator_count() as n`));
  return Number(row?.n ?? 0);
}

/**
 * Runs a change to members or role assignments (in its transaction) and refuses it when it
 * makes one more annotator than the license allows. Changes that add none always pass, so
 * an installation already over its limit can still take roles away or grant others.
 */
export async function withinAnnotatorLimit<T>(
  platform: Platform,
  tx: Executor,
  tenantId: string,
  userId: string | null,
  change: () => Promise<T>,
): Promise<T> {
  const limit = (await licenseOf(platform).current(tx)).limits.annotators;
  if (limit === undefined) return change();
  await tx.execute(ANNOTATORS_LOCK);
  const before = await countAnnotators(tx);
  const result = await change();
  const after = await countAnnotators(tx);
  if (after > before && after > limit)
    throw new LimitRefusal(
      'annotators',
      `The license allows ${limit} annotators and this installation has ${before}: take the annotating role from someone first, or the license needs more.`,
      limit,
      before,
      tenantId,
      userId,
    );
  return result;
}

/** Bytes of the files under a directory (absent: none); read asynchronously, file by file. */
async function bytesUnder(dir: string): Promise<number> {
  let entries: Dirent[];
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  let total = 0;
  for (const e of entries) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) total += await bytesUnder(full);
    else if (e.isFile()) total += (await fs.stat(full).catch(() => ({ size: 0 }))).size;
  }
  return total;
}

/** What the installation holds: its database and the staged imports and exports under DATA_DIR. */
export async function storageBytes(platform: Platform, ex: Executor): Promise<number> {
  const [row] = rowsOf<{ n: string }>(
    await ex.execute(sql`select pg_database_size(current_database())::text as n`),
  );
  const dataDir = platform.config.dataDir;
  const files =
    (await bytesUnder(path.join(dataDir, 'imports'))) + (await bytesUnder(path.join(dataDir, 'exports')));
  return Number(row?.n ?? 0) + files;
}

/** Refuses a new import once the installation holds as much as the license's storage allows. */
export async function checkStorageLimit(platform: Platform, tenantId: string, userId: string | null) {
  const limit = (await licenseOf(platform).state()).limits.storage_gb;
  if (limit === undefined) return;
  const used = await storageBytes(platform, platform.database.db);
  if (used >= limit * GB)
    throw new LimitRefusal(
      'storage_gb',
      `The license allows ${limit} GB of storage and this installation holds ${(used / GB).toFixed(2)} GB: delete projects or exports, or the license needs more.`,
      limit,
      Math.ceil(used / GB),
      tenantId,
      userId,
    );
}

/** Usage against each limit, for admins. */
export async function usage(platform: Platform, tx: Executor) {
  await syncLedger(tx, platform.config.auth.sessionIdleMinutes);
  const [seats] = await tx.select({ n: count() }).from(concurrentSessions);
  return {
    seats: seats?.n ?? 0,
    projects: await countAllProjects(tx),
    annotators: await countAnnotators(tx),
    storage_bytes: await storageBytes(platform, tx),
  };
}
