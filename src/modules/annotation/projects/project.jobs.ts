import { and, eq, isNull, sql } from 'drizzle-orm';
import { rowsOf } from '../../../platform/db/sql.ts';
import { inTenant } from '../../../platform/db/tenancy.ts';
import type { Platform } from '../../../platform/index.ts';
import { type JobContext, jobKind } from '../../../platform/jobs/queue.ts';
import { projects } from '../schema.ts';
import {
  type BulkInput,
  bulkBatch,
  bulkResult,
  bumpGeneration,
  emptyTally,
  filterConditions,
  lockProjectRow,
  tasksOf,
} from '../tasks/tasks.service.ts';
import { deleteProjectBatch, reapplyOverlapBatch } from './projects.service.ts';

/**
 * Project-wide work that may touch millions of tasks runs as jobs, one short transaction
 * per keyset-paged batch: no request waits for it and no transaction holds more than a
 * batch of rows. GET /api/v1/jobs/:id shows the progress and, at the end, the result.
 */

export const BULK_JOB = jobKind<BulkJobPayload>('annotation.bulk_action', { retryLimit: 2 });
export const OVERLAP_JOB = jobKind<OverlapJobPayload>('annotation.reapply_overlap', { retryLimit: 2 });
export const DELETE_JOB = jobKind<DeleteJobPayload>('annotation.delete_project', { retryLimit: 2 });

export interface BulkJobPayload {
  projectId: number;
  input: BulkInput;
  /** The assignees, checked when the action was asked for. */
  users: string[];
}

export interface OverlapJobPayload {
  projectId: number;
}

export interface DeleteJobPayload {
  projectId: number;
}

/** The project of a job, or undefined once it is gone or being deleted (nothing left to do). */
async function projectOf(tx: Parameters<typeof lockProjectRow>[0], tenantId: string, projectId: number) {
  const [project] = await tx
    .select()
    .from(projects)
    .where(and(eq(projects.id, projectId), eq(projects.tenantId, tenantId), isNull(projects.deletingSince)));
  return project;
}

export async function runBulkJob(platform: Platform, ctx: JobContext<BulkJobPayload>) {
  const { projectId, input, users } = ctx.payload;
  const scope = { tenantId: ctx.tenantId, userId: ctx.createdBy ?? undefined };
  const db = platform.database.db;
  // Counted once, for the progress fraction only.
  const total = await inTenant(db, scope, async (tx) => {
    if ('ids' in input.selection) return new Set(input.selection.ids).size;
    const where = filterConditions(projectId, input.selection.filter, 'join');
    const [row] = rowsOf<{ n: number }>(
      await tx.execute(
        sql`select count(*)::int as n from ${tasksOf(input.selection.filter)} where ${sql.join(where, sql` and `)}`,
      ),
    );
    return row?.n ?? 0;
  });
  const tally = emptyTally();
  for (let more = true; more; ) {
    more = await inTenant(db, scope, async (tx) => {
      const project = await projectOf(tx, ctx.tenantId, projectId);
      if (!project) return false;
      // One batch at a time per project, as the synchronous path holds the lock throughout.
      await lockProjectRow(tx, project.id);
      return bulkBatch(tx, ctx.createdBy, project, input, users, tally);
    });
    await ctx.progress(Math.min(1, tally.affected / Math.max(1, total)), {
      ...bulkResult(input.action, tally),
    });
  }
  await bumpGeneration(platform.kv.cache, ctx.tenantId, projectId);
  if (input.action === 'delete' && tally.affected > 0)
    await inTenant(db, scope, (tx) =>
      platform.events.publish(tx, {
        tenantId: ctx.tenantId,
        projectId,
        action: 'TASKS_DELETED',
        payload: { project: { id: projectId }, count: tally.affected },
        userId: ctx.createdBy ?? undefined,
      }),
    );
  return bulkResult(input.action, tally);
}

/** Tasks re-derived per transaction by the overlap job. */
export const OVERLAP_BATCH = 10_000;

export async function runOverlapJob(platform: Platform, ctx: JobContext<OverlapJobPayload>) {
  const { projectId } = ctx.payload;
  const scope = { tenantId: ctx.tenantId, userId: ctx.createdBy ?? undefined };
  const db = platform.database.db;
  let after = 0;
  let position = 0;
  let changed = 0;
  for (;;) {
    const step = await inTenant(db, scope, async (tx) => {
      // Read afresh each batch: a later change of the settings wins from there on.
      const project = await projectOf(tx, ctx.tenantId, projectId);
      if (!project) return undefined;
      const r = await reapplyOverlapBatch(tx, project, { after, position, limit: OVERLAP_BATCH });
      return { ...r, total: Number(project.taskCount) };
    });
    if (!step || step.seen === 0) break;
    after = step.last;
    position += step.seen;
    changed += step.changed;
    await ctx.progress(Math.min(1, position / Math.max(1, step.total)), { tasks: position, changed });
    if (step.seen < OVERLAP_BATCH) break;
  }
  await bumpGeneration(platform.kv.cache, ctx.tenantId, projectId);
  return { tasks: position, changed };
}

/** Empties a project marked for deletion batch by batch, then deletes it. */
export async function runDeleteJob(platform: Platform, ctx: JobContext<DeleteJobPayload>) {
  const { projectId } = ctx.payload;
  const scope = { tenantId: ctx.tenantId, userId: ctx.createdBy ?? undefined };
  const deleted: Record<string, number> = {};
  const total = await inTenant(platform.database.db, scope, async (tx) => {
    const [p] = await tx.select({ n: projects.taskCount }).from(projects).where(eq(projects.id, projectId));
    return Number(p?.n ?? 0);
  });
  for (;;) {
    const step = await inTenant(platform.database.db, scope, (tx) => deleteProjectBatch(tx, projectId));
    if (step.rows === 0) break;
    deleted[step.table] = (deleted[step.table] ?? 0) + step.rows;
    if (step.table === 'projects') break;
    await ctx.progress(Math.min(0.99, (deleted.tasks ?? 0) / Math.max(1, total)), deleted);
  }
  return deleted;
}

export function defineProjectJobs(platform: Platform): void {
  platform.queue.define(DELETE_JOB, (ctx) => runDeleteJob(platform, ctx));
  platform.queue.define(BULK_JOB, (ctx) => runBulkJob(platform, ctx));
  platform.queue.define(OVERLAP_JOB, (ctx) => runOverlapJob(platform, ctx));
}
