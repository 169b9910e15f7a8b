import { and, asc, eq, gt, isNull, type SQL, sql } from 'drizzle-orm';
import { grants } from '../../../platform/auth/permissions.ts';
import type { Principal } from '../../../platform/auth/principal.ts';
import type { Executor } from '../../../platform/db/client.ts';
import { decodeCursor, toPage } from '../../../platform/db/pagination.ts';
import { pgArray, rowsOf } from '../../../platform/db/sql.ts';
import {
  badRequest,
  type FieldError,
  forbidden,
  notFound,
  Problem,
} from '../../../platform/errors/problem.ts';
import { loadProject, type Project, type ProjectNeed } from '../access.ts';
import { validateResult } from '../label-config/label-config.ts';
import { annotationDrafts, annotations, predictions, reviewRecords, taskLocks, tasks } from '../schema.ts';
import { annotationView, predictionView } from '../shapes.ts';

export type Task = typeof tasks.$inferSelect;
export type Annotation = typeof annotations.$inferSelect;
export type Prediction = typeof predictions.$inferSelect;
export type Draft = typeof annotationDrafts.$inferSelect;
type LoadedProject = Awaited<ReturnType<typeof loadProject>>;

// ------------------------------------------------------------------ views (Label Studio shapes)

export { annotationView, predictionView } from '../shapes.ts';

export function draftView(d: Draft) {
  return {
    id: d.id,
    task: d.taskId,
    project: d.projectId,
    user: d.userId,
    annotation: d.annotationId,
    result: d.result,
    lead_time: d.leadTime,
    created_at: d.createdAt,
    updated_at: d.updatedAt,
  };
}

// ------------------------------------------------------------------ helpers

/** Throws a 400 naming every problem of a result against the project's labeling config. */
export function checkResult(project: Project, result: unknown, base = 'body/result'): void {
  const errors = validateResult(project.parsedConfig, result, base);
  if (errors.length)
    throw badRequest('annotation.result_invalid', 'The result does not match the labeling config.', errors);
}

/** Whether a Problem is a 404 (loadProject's answer for "you may not use this project"). */
const isNotFound = (err: unknown) => err instanceof Problem && err.status === 404;

/**
 * The task (locked `for update` when `lock`, which serializes every write to its counters)
 * and its project, which the caller must be allowed to use for `need`. Another tenant's
 * task, or a task of a project the caller may not use, is a 404.
 */
export async function taskFor(
  tx: Executor,
  principal: Principal,
  taskId: number,
  need: ProjectNeed,
  lock = false,
): Promise<{ task: Task; project: LoadedProject }> {
  const q = tx
    .select()
    .from(tasks)
    .where(and(eq(tasks.tenantId, principal.tenantId), eq(tasks.id, taskId)));
  const [task] = lock ? await q.for('update') : await q;
  if (!task) throw notFound('task.not_found', 'The task');
  const project = await loadProject(tx, principal, task.projectId, need);
  return { task, project };
}

/** The annotation and its task, locked `for update`; the caller must be allowed `need` on the project. */
export async function annotationFor(tx: Executor, principal: Principal, id: number, need: ProjectNeed) {
  const [a] = await tx
    .select()
    .from(annotations)
    .where(and(eq(annotations.tenantId, principal.tenantId), eq(annotations.id, id)));
  if (!a) throw notFound('annotation.not_found', 'The annotation');
  const { task, project } = await taskFor(tx, principal, a.taskId, need, true);
  // Re-read under the task lock: a concurrent writer may have changed or removed it.
  const [fresh] = await tx.select().from(annotations).where(eq(annotations.id, id));
  if (!fresh) throw notFound('annotation.not_found', 'The annotation');
  return { annotation: fresh, task, project };
}

/** Own annotation, or a project manager's. Anyone else who can see the project gets a 403. */
async function requireOwnerOrManager(tx: Executor, principal: Principal, a: Annotation) {
  if (a.completedBy === principal.userId) return;
  try {
    await loadProject(tx, principal, a.projectId, 'manage');
  } catch (err) {
    if (isNotFound(err))
      throw forbidden(
        'annotation.change_forbidden',
        'Only its author or a project manager may change an annotation.',
      );
    throw err;
  }
}

// ------------------------------------------------------------------ counters and status

/**
 * How an annotation counts on its task: a skip counts as cancelled; a rejected (requeued)
 * annotation and a reviewer's fix count as nothing; any other annotation counts once.
 */
export async function weightOf(
  tx: Executor,
  a: Pick<Annotation, 'id' | 'wasCancelled' | 'reviewStatus' | 'parentAnnotationId'>,
) {
  if (a.wasCancelled) return { total: 0, cancelled: 1 };
  if (a.reviewStatus === 'rejected') return { total: 0, cancelled: 0 };
  if (a.parentAnnotationId !== null && (await isFix(tx, a.id, a.parentAnnotationId)))
    return { total: 0, cancelled: 0 };
  return { total: 1, cancelled: 0 };
}

async function isFix(tx: Executor, id: number, parentId: number): Promise<boolean> {
  const [r] = await tx
    .select({ id: reviewRecords.id })
    .from(reviewRecords)
    .where(and(eq(reviewRecords.annotationId, parentId), eq(reviewRecords.fixedAnnotationId, id)))
    .limit(1);
  return Boolean(r);
}

/**
 * Adds to a task's counters with SQL arithmetic (the caller holds the task row lock, so
 * concurrent writers queue on it) and recomputes `is_finished` and `status`. Under the
 * `ignore` skip policy a skip counts toward the overlap; otherwise only annotations do.
 */
export async function applyCounts(
  tx: Executor,
  project: Pick<Project, 'skipPolicy'>,
  taskId: number,
  delta: { total: number; cancelled: number },
): Promise<void> {
  const skipCounts = project.skipPolicy === 'ignore';
  await tx.execute(sql`
    update tasks set
      total_annotations = total_annotations + ${delta.total}::int,
      cancelled_annotations = cancelled_annotations + ${delta.cancelled}::int,
      is_finished = total_annotations + ${delta.total}::int
        + ${skipCounts ? sql`cancelled_annotations + ${delta.cancelled}::int` : sql`0`} >= overlap,
      updated_at = now()
    where id = ${taskId}`);
  await refreshStatus(tx, taskId);
}

/**
 * pending → in_progress (once anything happened) → completed (finished) → reviewed (finished
 * and every counted annotation approved). A cancelled task stays cancelled.
 */
export async function refreshStatus(tx: Executor, taskId: number): Promise<void> {
  await refreshStatuses(tx, [taskId]);
}

/** refreshStatus for a set of tasks in one statement (bulk labeling). */
export async function refreshStatuses(tx: Executor, taskIds: readonly number[]): Promise<void> {
  await tx.execute(sql`
    update tasks t set status = case
      when t.status = 'cancelled' then 'cancelled'
      when not t.is_finished then 'in_progress'
      when exists (
        select 1 from annotations a
        where a.task_id = t.id and not a.was_cancelled
          and a.review_status is distinct from 'rejected' and a.review_status is distinct from 'approved'
      ) then 'completed'
      when exists (
        select 1 from annotations a where a.task_id = t.id and not a.was_cancelled and a.review_status = 'approved'
      ) then 'reviewed'
      else 'completed' end
    where t.id = any(${pgArray(taskIds)}::bigint[])`);
}

/** The first sign of work on a task (a reservation or a draft) moves it to in_progress. */
async function markStarted(tx: Executor, taskId: number): Promise<void> {
  await tx.execute(
    sql`update tasks set status = 'in_progress', updated_at = now() where id = ${taskId} and status = 'pending'`,
  );
}

// ------------------------------------------------------------------ annotations

export interface AnnotationInput {
  result: unknown[];
  lead_time?: number;
  was_cancelled?: boolean;
  ground_truth?: boolean;
  draft_id?: number;
  parent_prediction?: number;
  parent_annotation?: number;
}

export async function createAnnotation(
  tx: Executor,
  principal: Principal,
  taskId: number,
  input: AnnotationInput,
) {
  const { task, project } = await taskFor(tx, principal, taskId, 'annotate', true);
  const wasCancelled = input.was_cancelled ?? false;
  checkResult(project, input.result);
  const errors: FieldError[] = [];
  if (input.parent_prediction !== undefined) {
    const [p] = await tx
      .select({ id: predictions.id })
      .from(predictions)
      .where(and(eq(predictions.id, input.parent_prediction), eq(predictions.taskId, task.id)));
    if (!p) errors.push({ path: 'body/parent_prediction', message: 'is not a prediction of this task' });
  }
  if (input.parent_annotation !== undefined) {
    const [p] = await tx
      .select({ id: annotations.id })
      .from(annotations)
      .where(and(eq(annotations.id, input.parent_annotation), eq(annotations.taskId, task.id)));
    if (!p) errors.push({ path: 'body/parent_annotation', message: 'is not an annotation of this task' });
  }
  if (errors.length)
    throw badRequest(
      'annotation.refers_to_unknown',
      'The annotation refers to something this task does not have.',
      errors,
    );

  const [row] = await tx
    .insert(annotations)
    .values({
      tenantId: principal.tenantId,
      projectId: task.projectId,
      taskId: task.id,
      completedBy: principal.userId,
      result: input.result,
      leadTime: input.lead_time ?? 0,
      wasCancelled,
      groundTruth: input.ground_truth ?? false,
      parentPredictionId: input.parent_prediction ?? null,
      parentAnnotationId: input.parent_annotation ?? null,
    })
    .returning();
  const a = row!;
  await applyCounts(
    tx,
    project,
    task.id,
    wasCancelled ? { total: 0, cancelled: 1 } : { total: 1, cancelled: 0 },
  );
  // Submitting ends the caller's draft and reservation of this task.
  await tx
    .delete(annotationDrafts)
    .where(and(eq(annotationDrafts.taskId, task.id), eq(annotationDrafts.userId, principal.userId)));
  await tx
    .delete(taskLocks)
    .where(and(eq(taskLocks.taskId, task.id), eq(taskLocks.userId, principal.userId)));
  return a;
}

export interface AnnotationPatch {
  result?: unknown[];
  lead_time?: number;
  was_cancelled?: boolean;
  ground_truth?: boolean;
}

export async function updateAnnotation(
  tx: Executor,
  principal: Principal,
  id: number,
  patch: AnnotationPatch,
) {
  const { annotation: a, project } = await annotationFor(tx, principal, id, 'annotate');
  await requireOwnerOrManager(tx, principal, a);
  if (patch.result !== undefined) checkResult(project, patch.result);
  const before = await weightOf(tx, a);
  const changed = patch.result !== undefined || patch.was_cancelled !== undefined;
  // The author's rework goes back to the review queue; a manager's edit keeps the review state.
  const reviewStatus =
    changed && a.completedBy === principal.userId && a.reviewStatus !== null ? 'pending' : a.reviewStatus;
  const [row] = await tx
    .update(annotations)
    .set({
      result: patch.result ?? a.result,
      leadTime: patch.lead_time ?? a.leadTime,
      wasCancelled: patch.was_cancelled ?? a.wasCancelled,
      groundTruth: patch.ground_truth ?? a.groundTruth,
      reviewStatus,
      updatedAt: sql`now()`,
    })
    .where(eq(annotations.id, a.id))
    .returning();
  const updated = row!;
  const after = await weightOf(tx, updated);
  if (
    after.total !== before.total ||
    after.cancelled !== before.cancelled ||
    reviewStatus !== a.reviewStatus
  ) {
    await applyCounts(tx, project, a.taskId, {
      total: after.total - before.total,
      cancelled: after.cancelled - before.cancelled,
    });
  }
  if (!updated.wasCancelled && a.completedBy === principal.userId) {
    await tx
      .delete(taskLocks)
      .where(and(eq(taskLocks.taskId, a.taskId), eq(taskLocks.userId, principal.userId)));
  }
  return updated;
}

export async function deleteAnnotation(tx: Executor, principal: Principal, id: number) {
  const { annotation: a, project } = await annotationFor(tx, principal, id, 'annotate');
  await requireOwnerOrManager(tx, principal, a);
  const before = await weightOf(tx, a);
  await tx.delete(annotations).where(eq(annotations.id, a.id));
  // Review history goes with a deleted annotation (a reject that removes keeps its own),
  // except records of fixes: they are what marks the fix as a reviewer's (uncounted) one.
  await tx
    .delete(reviewRecords)
    .where(and(eq(reviewRecords.annotationId, a.id), isNull(reviewRecords.fixedAnnotationId)));
  await applyCounts(tx, project, a.taskId, { total: -before.total, cancelled: -before.cancelled });
  return a;
}

/** Whether the caller may see annotations other than their own. */
export const readsOthers = (principal: Principal) => grants(principal.permissions, 'annotations:read');

export async function getAnnotation(tx: Executor, principal: Principal, id: number) {
  const [a] = await tx
    .select()
    .from(annotations)
    .where(and(eq(annotations.tenantId, principal.tenantId), eq(annotations.id, id)));
  if (!a) throw notFound('annotation.not_found', 'The annotation');
  await loadProject(tx, principal, a.projectId, 'read');
  if (a.completedBy !== principal.userId && !readsOthers(principal))
    throw notFound('annotation.not_found', 'The annotation');
  return a;
}

export async function listTaskAnnotations(
  tx: Executor,
  principal: Principal,
  taskId: number,
  q: { limit: number; cursor?: string },
) {
  const { task } = await taskFor(tx, principal, taskId, 'read');
  const after = decodeCursor(q.cursor, 1)?.[0];
  const rows = await tx
    .select()
    .from(annotations)
    .where(
      and(
        eq(annotations.taskId, task.id),
        readsOthers(principal) ? undefined : eq(annotations.completedBy, principal.userId),
        after !== undefined ? gt(annotations.id, Number(after)) : undefined,
      ),
    )
    .orderBy(asc(annotations.id))
    .limit(q.limit + 1);
  const page = toPage(rows, q.limit, (r) => [r.id]);
  return { ...page, items: page.items.map(annotationView) };
}

// ------------------------------------------------------------------ drafts

export async function saveDraft(
  tx: Executor,
  principal: Principal,
  taskId: number,
  input: { result: unknown[]; lead_time?: number },
) {
  const { task } = await taskFor(tx, principal, taskId, 'annotate');
  const [row] = await tx
    .insert(annotationDrafts)
    .values({
      tenantId: principal.tenantId,
      projectId: task.projectId,
      taskId: task.id,
      userId: principal.userId,
      result: input.result,
      leadTime: input.lead_time ?? 0,
    })
    .onConflictDoUpdate({
      target: [annotationDrafts.taskId, annotationDrafts.userId],
      set: { result: input.result, leadTime: input.lead_time ?? 0, updatedAt: sql`now()` },
    })
    .returning();
  await markStarted(tx, task.id);
  return row!;
}

export async function getDraft(tx: Executor, principal: Principal, taskId: number) {
  const { task } = await taskFor(tx, principal, taskId, 'annotate');
  const [row] = await tx
    .select()
    .from(annotationDrafts)
    .where(and(eq(annotationDrafts.taskId, task.id), eq(annotationDrafts.userId, principal.userId)));
  if (!row) throw notFound('draft.not_found', 'The draft');
  return row;
}

export async function deleteDraft(tx: Executor, principal: Principal, taskId: number) {
  const { task } = await taskFor(tx, principal, taskId, 'annotate');
  const [row] = await tx
    .delete(annotationDrafts)
    .where(and(eq(annotationDrafts.taskId, task.id), eq(annotationDrafts.userId, principal.userId)))
    .returning();
  if (!row) throw notFound('draft.not_found', 'The draft');
  return row;
}

// ------------------------------------------------------------------ predictions

export interface PredictionInput {
  result: unknown[];
  score?: number | null;
  model_version?: string;
}

export async function createPrediction(
  tx: Executor,
  principal: Principal,
  taskId: number,
  input: PredictionInput,
) {
  const { task, project } = await taskFor(tx, principal, taskId, 'manage', true);
  checkResult(project, input.result);
  const [row] = await tx
    .insert(predictions)
    .values({
      tenantId: principal.tenantId,
      projectId: task.projectId,
      taskId: task.id,
      result: input.result,
      score: input.score ?? null,
      modelVersion: input.model_version ?? '',
    })
    .returning();
  await tx.execute(sql`
    update tasks set total_predictions = total_predictions + 1,
      prediction_score = least(prediction_score, ${input.score ?? null}::real), updated_at = now()
    where id = ${task.id}`);
  return row!;
}

export const BULK_PREDICTIONS_MAX = 10_000;
const INSERT_CHUNK = 1000;

/**
 * Up to 10,000 predictions in one transaction: every result is checked against the
 * config and every task must belong to the project (a 400 names each problem, and
 * nothing is written); the tasks are locked in id order, then rows go in by multi-row
 * INSERTs and each task's counters move by one UPDATE.
 */
export async function createPredictionsBulk(
  tx: Executor,
  principal: Principal,
  projectId: number,
  items: (PredictionInput & { task: number })[],
) {
  const project = await loadProject(tx, principal, projectId, 'manage');
  const errors: FieldError[] = [];
  for (let i = 0; i < items.length && errors.length < 100; i++) {
    errors.push(...validateResult(project.parsedConfig, items[i]!.result, `body/${i}/result`));
  }
  const wanted = [...new Set(items.map((p) => p.task))].sort((a, b) => a - b);
  const found = new Set<number>();
  for (let i = 0; i < wanted.length; i += INSERT_CHUNK) {
    const chunk = wanted.slice(i, i + INSERT_CHUNK);
    const rows = rowsOf<{ id: string | number }>(
      await tx.execute(sql`
        select id from tasks where project_id = ${project.id} and id = any(${pgArray(chunk)}::bigint[])
        order by id for update`),
    );
    for (const r of rows) found.add(Number(r.id));
  }
  items.forEach((p, i) => {
    if (!found.has(p.task) && errors.length < 100)
      errors.push({ path: `body/${i}/task`, message: `task ${p.task} is not a task of this project` });
  });
  if (errors.length)
    throw badRequest('prediction.invalid', 'Some predictions cannot be stored; nothing was.', errors);

  for (let i = 0; i < items.length; i += INSERT_CHUNK) {
    await tx.insert(predictions).values(
      items.slice(i, i + INSERT_CHUNK).map((p) => ({
        tenantId: principal.tenantId,
        projectId: project.id,
        taskId: p.task,
        result: p.result,
        score: p.score ?? null,
        modelVersion: p.model_version ?? '',
      })),
    );
  }
  const perTask = new Map<number, { n: number; min: number | null }>();
  for (const p of items) {
    const s = perTask.get(p.task) ?? { n: 0, min: null };
    s.n += 1;
    const score = p.score ?? null;
    if (score !== null && (s.min === null || score < s.min)) s.min = score;
    perTask.set(p.task, s);
  }
  const ids = [...perTask.keys()];
  for (let i = 0; i < ids.length; i += INSERT_CHUNK) {
    const chunk = ids.slice(i, i + INSERT_CHUNK);
    const counts = pgArray(chunk.map((id) => perTask.get(id)!.n));
    const mins = pgArray(chunk.map((id) => perTask.get(id)!.min ?? null));
    await tx.execute(sql`
      update tasks t set total_predictions = t.total_predictions + s.n,
        prediction_score = least(t.prediction_score, s.min), updated_at = now()
      from unnest(${pgArray(chunk)}::bigint[], ${counts}::int[], ${mins}::real[]) as s(id, n, min)
      where t.id = s.id`);
  }
  return { project, created: items.length, tasks: ids.length };
}

export async function deletePrediction(tx: Executor, principal: Principal, id: number) {
  const [p] = await tx
    .select()
    .from(predictions)
    .where(and(eq(predictions.tenantId, principal.tenantId), eq(predictions.id, id)));
  if (!p) throw notFound('prediction.not_found', 'The prediction');
  const { task } = await taskFor(tx, principal, p.taskId, 'manage', true);
  await tx.delete(predictions).where(eq(predictions.id, p.id));
  await tx.execute(sql`
    update tasks set total_predictions = total_predictions - 1,
      prediction_score = (select min(score) from predictions where task_id = ${task.id}), updated_at = now()
    where id = ${task.id}`);
  return p;
}

export async function listPredictions(
  tx: Executor,
  principal: Principal,
  projectId: number,
  q: { limit: number; cursor?: string; model_version?: string; task?: number },
) {
  const project = await loadProject(tx, principal, projectId, 'read');
  const cursor = decodeCursor(q.cursor, 2);
  const conditions: (SQL | undefined)[] = [
    eq(predictions.projectId, project.id),
    q.model_version !== undefined ? eq(predictions.modelVersion, q.model_version) : undefined,
    q.task !== undefined ? eq(predictions.taskId, q.task) : undefined,
    cursor
      ? sql`(${predictions.modelVersion}, ${predictions.id}) > (${String(cursor[0])}, ${Number(cursor[1])})`
      : undefined,
  ];
  const rows = await tx
    .select()
    .from(predictions)
    .where(and(...conditions))
    .orderBy(asc(predictions.modelVersion), asc(predictions.id))
    .limit(q.limit + 1);
  const page = toPage(rows, q.limit, (r) => [r.modelVersion, r.id]);
  return { ...page, items: page.items.map(predictionView) };
}

export async function modelVersions(tx: Executor, principal: Principal, projectId: number) {
  const project = await loadProject(tx, principal, projectId, 'read');
  return tx
    .select({
      model_version: predictions.modelVersion,
      count: sql<number>`count(*)::int`,
      latest: sql<Date>`max(${predictions.createdAt})`.mapWith((v) => new Date(v)),
    })
    .from(predictions)
    .where(eq(predictions.projectId, project.id))
    .groupBy(predictions.modelVersion)
    .orderBy(asc(predictions.modelVersion));
}

// ------------------------------------------------------------------ the labeling stream

/** Candidates fetched per step of the walk through a project's tasks. */
const WALK_BATCH = 64;

type Pass = 'fresh' | 'skipped';
interface Taken {
  taskId: number;
  expiresAt: Date;
}

/**
 * Whether task `t` may go to `me` now. `fresh`: the caller has neither annotated nor
 * skipped it; `skipped` (requeue_me's second round): the caller skipped it and has no
 * annotation of it. Always: room left (annotations, plus skips under `ignore`, plus live
 * reservations by others below the overlap) and no annotate-assignment to others only.
 * Every subquery reaches its rows through an index on task_id. `heldByOthers: false` leaves
 * out others' live reservations (progress counts those tasks as left: reservations expire).
 */
export function eligible(
  project: Pick<Project, 'skipPolicy'>,
  me: string,
  pass: Pass,
  { heldByOthers = true } = {},
): SQL {
  const mine =
    pass === 'fresh'
      ? sql`not exists (select 1 from annotations x where x.task_id = t.id and x.completed_by = ${me}
          and (x.was_cancelled or x.review_status is distinct from 'rejected'))`
      : sql`not exists (select 1 from annotations x where x.task_id = t.id and x.completed_by = ${me}
          and not x.was_cancelled and x.review_status is distinct from 'rejected')`;
  const used =
    project.skipPolicy === 'ignore'
      ? sql`t.total_annotations + t.cancelled_annotations`
      : sql`t.total_annotations`;
  const reserved = heldByOthers
    ? sql`(select count(*) from task_locks l
      where l.task_id = t.id and l.user_id <> ${me} and l.expires_at > now())`
    : sql`0`;
  return sql`(${mine}
    and ${used} + ${reserved} < t.overlap
    and (not exists (select 1 from task_assignments s where s.task_id = t.id and s.kind = 'annotate')
      or exists (select 1 from task_assignments s where s.task_id = t.id and s.kind = 'annotate'
        and s.user_id = ${me})))`;
}

const orderKey = (project: Project) =>
  project.ordering === 'uncertainty' ? sql`t.prediction_score asc nulls last, t.id asc` : sql`t.id asc`;

/**
 * Takes the first of these candidates (in the given order) whose row nobody holds and
 * that is still eligible once locked. One statement locks the first free row (`for update
 * skip locked` passes over rows other annotators are taking at this moment); the next
 * statement checks eligibility and inserts the reservation. Being a later statement, in
 * READ COMMITTED it sees every reservation committed by whoever held the row before, so
 * two annotators can never both see room for the last place. A candidate that fails the
 * check is dropped and the next one tried. Expired reservations of the task taken are
 * swept on the way (its row lock is held, so nobody else writes them).
 */
async function takeFirst(
  tx: Executor,
  project: Project,
  principal: Principal,
  ids: number[],
  pass: Pass,
): Promise<Taken | null> {
  const me = principal.userId;
  let remaining = ids;
  while (remaining.length > 0) {
    const list = pgArray(remaining);
    const [row] = rowsOf<{ id: string | number }>(
      await tx.execute(sql`
        select t.id from tasks t
        where t.id = any(${list}::bigint[]) and t.project_id = ${project.id} and not t.is_finished
        order by array_position(${list}::bigint[], t.id) limit 1
        for update skip locked`),
    );
    if (!row) return null;
    const id = Number(row.id);
    const [reserved] = rowsOf<{ expires_at: Date | string }>(
      await tx.execute(sql`
        with ins as (
          insert into task_locks (tenant_id, project_id, task_id, user_id, expires_at)
          select ${principal.tenantId}, ${project.id}, t.id, ${me},
            now() + make_interval(mins => ${project.reservationMinutes}::int)
          from tasks t where t.id = ${id} and ${eligible(project, me, pass)}
          on conflict (task_id, user_id) do update set expires_at = excluded.expires_at
          returning task_id, expires_at
        ), started as (
          update tasks set status = 'in_progress', updated_at = now()
          where id in (select task_id from ins) and status = 'pending'
        ), swept as (
          delete from task_locks where task_id = ${id} and user_id <> ${me} and expires_at <= now()
        )
        select expires_at from ins`),
    );
    if (reserved) return { taskId: id, expiresAt: new Date(reserved.expires_at) };
    remaining = remaining.filter((x) => x !== id);
  }
  return null;
}

/** Tasks assigned to the caller come first: by assignment priority, deadline, then the project's order. */
async function fromAssignments(tx: Executor, project: Project, principal: Principal) {
  for (let offset = 0; ; offset += WALK_BATCH) {
    const rows = rowsOf<{ id: string | number }>(
      await tx.execute(sql`
        select t.id from task_assignments a join tasks t on t.id = a.task_id
        where a.project_id = ${project.id} and a.user_id = ${principal.userId} and a.kind = 'annotate'
          and not t.is_finished and ${eligible(project, principal.userId, 'fresh')}
        order by a.priority desc, a.due_at asc nulls last, ${orderKey(project)}
        limit ${WALK_BATCH} offset ${offset}`),
    );
    if (rows.length === 0) return null;
    const ids = rows.map((r) => Number(r.id));
    const taken = await takeFirst(tx, project, principal, ids, 'fresh');
    if (taken !== null) return taken;
    if (rows.length < WALK_BATCH) return null;
  }
}

/**
 * Walks the project's unfinished tasks in index order: each step reads a LIMIT-ed batch
 * from (project_id, is_finished, id) or (project_id, prediction_score, id), materialized
 * first, and checks only those candidates (per task, through task_id indexes), then
 * takes the first it can. Nothing scans the project.
 */
async function fromPool(tx: Executor, project: Project, principal: Principal): Promise<Taken | null> {
  const me = principal.userId;
  type Key = { id: number; score: number | null };
  type Row = { id: string | number; score: number | null; ok: boolean };
  const walk = async (batch: (after: Key | null) => SQL): Promise<Taken | null> => {
    let after: Key | null = null;
    for (;;) {
      const query: SQL = sql`
        with c as materialized (${batch(after)})
        select c.id, c.score, (${eligible(project, me, 'fresh')}) as ok
        from c join tasks t on t.id = c.id
        order by c.score asc nulls last, c.id asc`;
      const rows: Row[] = rowsOf(await tx.execute(query));
      if (rows.length === 0) return null;
      const ids = rows.filter((r) => r.ok).map((r) => Number(r.id));
      const taken = ids.length ? await takeFirst(tx, project, principal, ids, 'fresh') : null;
      if (taken !== null) return taken;
      if (rows.length < WALK_BATCH) return null;
      const last: Row = rows.at(-1)!;
      after = { id: Number(last.id), score: last.score === null ? null : Number(last.score) };
    }
  };
  const pid = project.id;
  if (project.ordering === 'uncertainty') {
    const scored = await walk(
      (after) => sql`
        select id, prediction_score as score from tasks
        where project_id = ${pid} and prediction_score is not null and not is_finished
          ${after ? sql`and (prediction_score, id) > (${after.score}::real, ${after.id})` : sql``}
        order by prediction_score, id limit ${WALK_BATCH}`,
    );
    if (scored !== null) return scored;
    return walk(
      (after) => sql`
        select id, null::real as score from tasks
        where project_id = ${pid} and prediction_score is null and not is_finished
          ${after ? sql`and id > ${after.id}` : sql``}
        order by id limit ${WALK_BATCH}`,
    );
  }
  const byId = (from: SQL | undefined, to: SQL | undefined) =>
    walk(
      (after) => sql`
        select id, null::real as score from tasks
        where project_id = ${pid} and is_finished = false
          ${from ?? sql``} ${to ?? sql``} ${after ? sql`and id > ${after.id}` : sql``}
        order by id limit ${WALK_BATCH}`,
    );
  if (project.ordering === 'random') {
    // A random starting point, then onwards and round from the start: never `order by random()`.
    const [range] = rowsOf<{ lo: string | number | null; hi: string | number | null }>(
      await tx.execute(sql`select min(id) as lo, max(id) as hi from tasks where project_id = ${pid}`),
    );
    if (range?.lo == null || range.hi == null) return null;
    const lo = Number(range.lo);
    const hi = Number(range.hi);
    const start = lo + Math.floor(Math.random() * (hi - lo + 1));
    return (await byId(sql`and id >= ${start}`, undefined)) ?? byId(undefined, sql`and id < ${start}`);
  }
  return byId(undefined, undefined);
}

/** requeue_me: the caller's skipped tasks come back to them after everything else, oldest skip first. */
async function fromOwnSkips(tx: Executor, project: Project, principal: Principal) {
  for (let offset = 0; ; offset += WALK_BATCH) {
    const rows = rowsOf<{ id: string | number }>(
      await tx.execute(sql`
        select t.id from annotations x join tasks t on t.id = x.task_id
        where x.project_id = ${project.id} and x.completed_by = ${principal.userId} and x.was_cancelled
          and not t.is_finished and ${eligible(project, principal.userId, 'skipped')}
        group by t.id order by min(x.id) limit ${WALK_BATCH} offset ${offset}`),
    );
    if (rows.length === 0) return null;
    const ids = rows.map((r) => Number(r.id));
    const taken = await takeFirst(tx, project, principal, ids, 'skipped');
    if (taken !== null) return taken;
    if (rows.length < WALK_BATCH) return null;
  }
}

export type NextReason = 'limit_reached' | 'no_tasks' | 'selection_done';
export type NextAnswer =
  | (Taken & { project: Project; held: number[] })
  | { reason: NextReason; held: number[] };

/**
 * The next task for the caller: the one they already hold, else (within their task limit)
 * one assigned to them, else the first eligible task in the project's order, else under
 * requeue_me one they skipped. Taking a task reserves it until the reservation expires.
 * With `only` (a selection from the data manager), the first of those tasks, in that order,
 * the caller can take; `held` names those passed over because others hold them.
 */
export async function nextTask(
  tx: Executor,
  principal: Principal,
  projectId: number,
  only?: readonly number[],
): Promise<NextAnswer> {
  const project = await loadProject(tx, principal, projectId, 'annotate');
  const me = principal.userId;
  // Expired reservations are ignored everywhere; the caller's own are cleaned here. (The
  // delete and the select share a snapshot, so the select filters on expiry itself.)
  const held = rowsOf<{ task_id: string | number; expires_at: Date | string; finished: boolean }>(
    await tx.execute(sql`
      with gone as (
        delete from task_locks where project_id = ${project.id} and user_id = ${me} and expires_at <= now()
      )
      select l.task_id, l.expires_at, t.is_finished as finished
      from task_locks l join tasks t on t.id = l.task_id
      where l.project_id = ${project.id} and l.user_id = ${me} and l.expires_at > now()
      order by l.id`),
  );
  // In a selection, a task the caller holds is taken again in its place in the order.
  const live = only ? undefined : held.find((h) => !h.finished);
  if (live) return { taskId: Number(live.task_id), expiresAt: new Date(live.expires_at), project, held: [] };
  if (!only && held.length) {
    await tx.execute(sql`delete from task_locks where project_id = ${project.id} and user_id = ${me}`);
  }
  if (project.annotatorTaskLimit !== null) {
    const [done] = rowsOf<{ n: number }>(
      await tx.execute(sql`
        select count(distinct task_id)::int as n from annotations
        where project_id = ${project.id} and completed_by = ${me}
          and not was_cancelled and review_status is distinct from 'rejected'`),
    );
    if ((done?.n ?? 0) >= project.annotatorTaskLimit) return { reason: 'limit_reached', held: [] };
  }
  if (only) {
    const taken = await takeFirst(tx, project, principal, [...only], 'fresh');
    const passed = taken ? only.slice(0, only.indexOf(taken.taskId)) : only;
    const others = await heldByOthers(tx, project, me, passed);
    return taken ? { ...taken, project, held: others } : { reason: 'selection_done', held: others };
  }
  const taken =
    (await fromAssignments(tx, project, principal)) ??
    (await fromPool(tx, project, principal)) ??
    (project.skipPolicy === 'requeue_me' ? await fromOwnSkips(tx, project, principal) : null);
  if (taken === null) return { reason: 'no_tasks', held: [] };
  return { ...taken, project, held: [] };
}

/** Of these tasks, the unfinished ones the caller could not take because others' reservations fill them. */
async function heldByOthers(tx: Executor, project: Project, me: string, ids: readonly number[]) {
  if (ids.length === 0) return [];
  const list = pgArray(ids);
  const used =
    project.skipPolicy === 'ignore'
      ? sql`t.total_annotations + t.cancelled_annotations`
      : sql`t.total_annotations`;
  const rows = rowsOf<{ id: string | number }>(
    await tx.execute(sql`
      select t.id from tasks t
      where t.id = any(${list}::bigint[]) and t.project_id = ${project.id} and not t.is_finished
        and exists (select 1 from task_locks l where l.task_id = t.id and l.user_id <> ${me} and l.expires_at > now())
        and ${used} + (select count(*) from task_locks l
          where l.task_id = t.id and l.user_id <> ${me} and l.expires_at > now()) >= t.overlap
      order by array_position(${list}::bigint[], t.id)`),
  );
  return rows.map((r) => Number(r.id));
}

/**
 * A task in Label Studio's shape for the caller: its predictions, the caller's own
 * annotations and draft (as `drafts`, like Label Studio's task API).
 */
export async function taskForAnnotator(tx: Executor, principal: Principal, taskId: number) {
  const [task] = await tx.select().from(tasks).where(eq(tasks.id, taskId));
  if (!task) throw notFound('task.not_found', 'The task');
  const [preds, own, drafts] = [
    await tx.select().from(predictions).where(eq(predictions.taskId, task.id)).orderBy(asc(predictions.id)),
    await tx
      .select()
      .from(annotations)
      .where(and(eq(annotations.taskId, task.id), eq(annotations.completedBy, principal.userId)))
      .orderBy(asc(annotations.id)),
    await tx
      .select()
      .from(annotationDrafts)
      .where(and(eq(annotationDrafts.taskId, task.id), eq(annotationDrafts.userId, principal.userId))),
  ];
  return {
    id: task.id,
    project: task.projectId,
    data: task.data,
    meta: task.meta,
    status: task.status,
    priority: task.priority,
    overlap: task.overlap,
    is_labeled: task.isFinished,
    total_annotations: task.totalAnnotations,
    cancelled_annotations: task.cancelledAnnotations,
    total_predictions: task.totalPredictions,
    annotations: own.map(annotationView),
    predictions: preds.map(predictionView),
    drafts: drafts.map(draftView),
    created_at: task.createdAt,
    updated_at: task.updatedAt,
  };
}
