import { and, eq, isNull, type SQL, sql } from 'drizzle-orm';
import type { Principal } from '../../../platform/auth/principal.ts';
import type { Cache } from '../../../platform/cache/index.ts';
import type { Executor } from '../../../platform/db/client.ts';
import { pgArray, rowsOf } from '../../../platform/db/sql.ts';
import { loadProject, type Project } from '../access.ts';
import { projects } from '../schema.ts';
import { eligible } from './labeling.service.ts';

/**
 * "12 of 200 left": of a project's tasks (or of a selection), those still to label that the
 * caller can get from /next under the project's distribution (overlap, assignments, skip
 * policy, task limit). A task others hold at this moment still counts: reservations expire.
 */
export type Progress = { total: number; left: number } | { total: number; left: null; left_job: string };

/** What a background count of the project's left tasks needs. */
export interface LeftJobPayload {
  projectId: number;
  userId: string;
  key: string;
}

export interface ProgressContext {
  cache: Cache;
  /** Counts the planner costs above this run as a job (config countInlineMaxCost). */
  maxInlineCost: number;
  /** Queues the count job in the transaction; returns its id. */
  countLater(payload: LeftJobPayload): Promise<string>;
}

/** A background count is kept this long; the caller's own work since is taken off it. */
const COUNTED_TTL_MS = 5 * 60_000;
const PENDING_TTL_MS = 2 * 60_000;

/** Under requeue_me a skipped task comes back, so it is still left; otherwise a skip ends it for the caller. */
const pass = (project: Pick<Project, 'skipPolicy'>) =>
  project.skipPolicy === 'requeue_me' ? 'skipped' : 'fresh';

const leftQuery = (
  project: Pick<Project, 'id' | 'skipPolicy'>,
  me: string,
  ids?: readonly number[],
): SQL => sql`
  select count(*) as n from tasks t
  where t.project_id = ${project.id} and not t.is_finished
    ${ids ? sql`and t.id = any(${pgArray(ids)}::bigint[])` : sql``}
    and ${eligible(project, me, pass(project), { heldByOthers: false })}`;

async function count(tx: Executor, query: SQL): Promise<number> {
  const [row] = rowsOf<{ n: unknown }>(await tx.execute(query));
  return Number(row?.n ?? 0);
}

/**
 * The caller's annotations that end a task for them (skips too, unless they come back):
 * each one since a count was taken is one task fewer left. Read through (project_id,
 * completed_by), so it costs what the caller did, not the project's size.
 */
async function workDone(
  tx: Executor,
  project: Pick<Project, 'id' | 'skipPolicy'>,
  me: string,
): Promise<number> {
  return count(
    tx,
    sql`select count(*) as n from annotations
      where project_id = ${project.id} and completed_by = ${me}
        ${project.skipPolicy === 'requeue_me' ? sql`and not was_cancelled` : sql``}`,
  );
}

/** Under a per-annotator task limit, no more is left than the caller may still label. */
async function underLimit(tx: Executor, project: Project, me: string, left: number): Promise<number> {
  if (project.annotatorTaskLimit === null) return left;
  const done = await count(
    tx,
    sql`select count(distinct task_id) as n from annotations
      where project_id = ${project.id} and completed_by = ${me}
        and not was_cancelled and review_status is distinct from 'rejected'`,
  );
  return Math.max(0, Math.min(left, project.annotatorTaskLimit - done));
}

async function planCost(tx: Executor, query: SQL): Promise<number> {
  const [row] = rowsOf<{ 'QUERY PLAN': unknown }>(await tx.execute(sql`explain (format json) ${query}`));
  const plan = row?.['QUERY PLAN'];
  const parsed = (typeof plan === 'string' ? JSON.parse(plan) : plan) as { Plan: { 'Total Cost': number } }[];
  return parsed[0]!.Plan['Total Cost'];
}

/**
 * The caller's progress in a project, or in a selection of its tasks (`ids`, counted at
 * once: it is bounded). A project's count the planner costs above the inline limit (a large
 * project) runs as a job, like the data manager's totals; until it is done `left` is null.
 * Its result is kept with how much the caller had done then, so later answers take the
 * caller's own work since off it and move on as they submit.
 */
export async function progressOf(
  tx: Executor,
  ctx: ProgressContext,
  principal: Principal,
  projectId: number,
  ids?: readonly number[],
): Promise<Progress> {
  const project = await loadProject(tx, principal, projectId, 'annotate');
  const me = principal.userId;
  if (ids) {
    const left = await count(tx, leftQuery(project, me, ids));
    return { total: ids.length, left: await underLimit(tx, project, me, left) };
  }
  const total = Number(project.taskCount);
  const query = leftQuery(project, me);
  const key = `progress:${project.tenantId}:${project.id}:${me}:${project.skipPolicy}`;
  const kept = await ctx.cache.get(key);
  if (kept !== null) {
    const { left, done } = JSON.parse(kept) as { left: number; done: number };
    const since = (await workDone(tx, project, me)) - done;
    return { total, left: await underLimit(tx, project, me, Math.max(0, left - since)) };
  }
  if ((await planCost(tx, query)) > ctx.maxInlineCost) {
    const pending = await ctx.cache.get(`${key}:pending`);
    if (pending !== null) return { total, left: null, left_job: pending };
    const job = await ctx.countLater({ projectId: project.id, userId: me, key });
    await ctx.cache.set(`${key}:pending`, job, PENDING_TTL_MS);
    return { total, left: null, left_job: job };
  }
  return { total, left: await underLimit(tx, project, me, await count(tx, query)) };
}

/** The count job's work: counts the caller's left tasks and keeps the figure where progressOf finds it. */
export async function countLeftLater(tx: Executor, cache: Cache, p: LeftJobPayload): Promise<number> {
  // Access was checked when the count was asked for; a project deleted since counts nothing.
  const [project] = await tx
    .select()
    .from(projects)
    .where(and(eq(projects.id, p.projectId), isNull(projects.deletingSince)));
  if (!project) return 0;
  const done = await workDone(tx, project, p.userId);
  const left = await count(tx, leftQuery(project, p.userId));
  await cache.set(p.key, JSON.stringify({ left, done }), COUNTED_TTL_MS);
  await cache.del(`${p.key}:pending`);
  return left;
}
