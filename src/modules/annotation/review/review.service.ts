import { and, asc, eq, gt, inArray, sql } from 'drizzle-orm';
import { grants } from '../../../platform/auth/permissions.ts';
import type { Principal } from '../../../platform/auth/principal.ts';
import type { Executor } from '../../../platform/db/client.ts';
import { decodeCursor, toPage } from '../../../platform/db/pagination.ts';
import { pgArray, rowsOf } from '../../../platform/db/sql.ts';
import {
  badRequest,
  conflict,
  type FieldError,
  forbidden,
  notFound,
} from '../../../platform/errors/problem.ts';
import { loadProject, type Project, unfitness } from '../access.ts';
import {
  type Annotation,
  annotationFor,
  annotationView,
  applyCounts,
  checkResult,
  readsOthers,
  weightOf,
} from '../labeling/labeling.service.ts';
import { annotations, reviewRecords, taskAssignments, tasks } from '../schema.ts';

const CHUNK = 1000;

// ------------------------------------------------------------------ assignments

export type AssignmentKind = 'annotate' | 'review';

export interface AssignInput {
  task_ids: number[];
  user_ids: string[];
  mode: 'manual' | 'spread';
  kind?: AssignmentKind;
  /** spread: how many of the users each task goes to (default 1). */
  per_task?: number;
  due_at?: string;
  priority?: number;
}

export const MAX_MANUAL_PAIRS = 100_000;

export function assignmentView(a: typeof taskAssignments.$inferSelect) {
  return {
    id: a.id,
    task: a.taskId,
    project: a.projectId,
    user_id: a.userId,
    kind: a.kind,
    source: a.source,
    priority: a.priority,
    due_at: a.dueAt,
    created_by: a.createdBy,
    created_at: a.createdAt,
  };
}

/** Task ids (of the request, by position) that are not tasks of the project. */
async function missingTasks(tx: Executor, projectId: number, ids: number[]): Promise<FieldError[]> {
  const found = new Set<number>();
  const unique = [...new Set(ids)];
  for (let i = 0; i < unique.length; i += CHUNK) {
    const rows = rowsOf<{ id: string | number }>(
      await tx.execute(sql`select id from tasks where project_id = ${projectId}
        and id = any(${pgArray(unique.slice(i, i + CHUNK))}::bigint[])`),
    );
    for (const r of rows) found.add(Number(r.id));
  }
  const errors: FieldError[] = [];
  ids.forEach((id, i) => {
    if (!found.has(id) && errors.length < 100)
      errors.push({ path: `body/task_ids/${i}`, message: `task ${id} is not a task of this project` });
  });
  return errors;
}

/**
 * Users who can work on the project as `kind` needs: active members of the tenant who are
 * project members with a fitting role, or who manage every project tenant-wide.
 */
async function unfitUsers(
  tx: Executor,
  tenantId: string,
  projectId: number,
  userIds: string[],
  kind: AssignmentKind,
): Promise<FieldError[]> {
  const why = await unfitness(tx, tenantId, projectId, userIds, kind);
  return why.flatMap((w, i) =>
    w === null
      ? []
      : [
          {
            path: `body/user_ids/${i}`,
            message:
              w === 'inactive'
                ? 'is not an active member of this tenant'
                : `cannot ${kind} in this project (add them as a project member first)`,
          },
        ],
  );
}

/**
 * Assigns tasks. `manual`: every task to every user. `spread`: each task to `per_task` of
 * the users, always the ones with the fewest assignments of this kind in the project so
 * far (existing ones included), so the load ends up even.
 */
export async function assign(tx: Executor, principal: Principal, projectId: number, input: AssignInput) {
  const project = await loadProject(tx, principal, projectId, 'manage');
  const kind = input.kind ?? 'annotate';
  const userIds = [...new Set(input.user_ids)];
  const taskIds = [...new Set(input.task_ids)];
  const errors = [
    ...(await missingTasks(tx, project.id, input.task_ids)),
    ...(await unfitUsers(tx, principal.tenantId, project.id, input.user_ids, kind)),
  ];
  const perTask = Math.min(input.per_task ?? 1, userIds.length);
  if (input.mode === 'manual' && taskIds.length * userIds.length > MAX_MANUAL_PAIRS)
    errors.push({ path: 'body/task_ids', message: `more than ${MAX_MANUAL_PAIRS} task × user pairs` });
  if (errors.length)
    throw badRequest(
      'review.assignment_invalid',
      'The assignment cannot be made; nothing was assigned.',
      errors,
    );

  const pairs: { taskId: number; userId: string }[] = [];
  const added = new Map(userIds.map((u) => [u, 0]));
  if (input.mode === 'manual') {
    for (const taskId of taskIds) for (const userId of userIds) pairs.push({ taskId, userId });
  } else {
    const existing = rowsOf<{ user_id: string; n: number }>(
      await tx.execute(sql`
        select user_id, count(*)::int as n from task_assignments
        where project_id = ${project.id} and kind = ${kind}
          and user_id = any(${pgArray(userIds)}::uuid[])
        group by user_id`),
    );
    const load = new Map(userIds.map((u) => [u, 0]));
    for (const r of existing) load.set(r.user_id, r.n);
    const order = new Map(userIds.map((u, i) => [u, i]));
    for (const taskId of taskIds.sort((a, b) => a - b)) {
      const chosen = [...userIds]
        .sort((a, b) => load.get(a)! - load.get(b)! || order.get(a)! - order.get(b)!)
        .slice(0, perTask);
      for (const userId of chosen) {
        pairs.push({ taskId, userId });
        load.set(userId, load.get(userId)! + 1);
      }
    }
  }
  for (const p of pairs) added.set(p.userId, added.get(p.userId)! + 1);
  const dueAt = input.due_at ? new Date(input.due_at) : null;
  for (let i = 0; i < pairs.length; i += CHUNK) {
    await tx
      .insert(taskAssignments)
      .values(
        pairs.slice(i, i + CHUNK).map((p) => ({
          tenantId: principal.tenantId,
          projectId: project.id,
          taskId: p.taskId,
          userId: p.userId,
          kind,
          source: input.mode === 'manual' ? ('manual' as const) : ('auto' as const),
          priority: input.priority ?? 0,
          dueAt,
          createdBy: principal.userId,
        })),
      )
      .onConflictDoUpdate({
        target: [taskAssignments.taskId, taskAssignments.userId, taskAssignments.kind],
        set: {
          priority: sql`excluded.priority`,
          dueAt: sql`excluded.due_at`,
          source: sql`excluded.source`,
        },
      });
  }
  return {
    project,
    kind,
    assigned: pairs.length,
    per_user: [...added].map(([user_id, count]) => ({ user_id, count })),
  };
}

export async function unassign(
  tx: Executor,
  principal: Principal,
  projectId: number,
  input: { task_ids: number[]; user_ids: string[]; kind?: AssignmentKind },
) {
  const project = await loadProject(tx, principal, projectId, 'manage');
  let deleted = 0;
  for (let i = 0; i < input.task_ids.length; i += CHUNK) {
    const rows = await tx
      .delete(taskAssignments)
      .where(
        and(
          eq(taskAssignments.projectId, project.id),
          inArray(taskAssignments.taskId, input.task_ids.slice(i, i + CHUNK)),
          inArray(taskAssignments.userId, input.user_ids),
          input.kind ? eq(taskAssignments.kind, input.kind) : undefined,
        ),
      )
      .returning({ id: taskAssignments.id });
    deleted += rows.length;
  }
  return { project, deleted };
}

/** Assignments of a project; a caller who cannot manage tasks sees only their own. */
export async function listAssignments(
  tx: Executor,
  principal: Principal,
  projectId: number,
  q: { limit: number; cursor?: string; user_id?: string; task?: number; kind?: AssignmentKind },
) {
  const project = await loadProject(tx, principal, projectId, 'read');
  const managesTasks = grants(principal.permissions, 'tasks:manage');
  const userId = managesTasks ? q.user_id : principal.userId;
  const after = decodeCursor(q.cursor, 1)?.[0];
  const rows = await tx
    .select()
    .from(taskAssignments)
    .where(
      and(
        eq(taskAssignments.projectId, project.id),
        userId ? eq(taskAssignments.userId, userId) : undefined,
        q.task !== undefined ? eq(taskAssignments.taskId, q.task) : undefined,
        q.kind ? eq(taskAssignments.kind, q.kind) : undefined,
        after !== undefined ? gt(taskAssignments.id, Number(after)) : undefined,
      ),
    )
    .orderBy(asc(taskAssignments.id))
    .limit(q.limit + 1);
  const page = toPage(rows, q.limit, (r) => [r.id]);
  return { ...page, items: page.items.map(assignmentView) };
}

// ------------------------------------------------------------------ review

export type ReviewAction = 'start' | 'accept' | 'reject' | 'fix' | 'request_changes';

export interface ReviewInput {
  action: ReviewAction;
  reject_mode?: 'requeue' | 'remove';
  result?: unknown[];
  lead_time?: number;
  comment?: string;
}

export function reviewView(r: typeof reviewRecords.$inferSelect) {
  return {
    id: r.id,
    annotation: r.annotationId,
    task: r.taskId,
    project: r.projectId,
    reviewer: r.reviewerId,
    status: r.status,
    reject_mode: r.rejectMode,
    fixed_annotation: r.fixedAnnotationId,
    annotation_snapshot: r.annotationSnapshot,
    comment: r.comment,
    created_at: r.createdAt,
    updated_at: r.updatedAt,
  };
}

/**
 * Annotations awaiting review, oldest first: not skipped, not yet decided (no review
 * status, `pending` after rework, or `in_review` taken by this reviewer), not the
 * reviewer's own, and not on tasks whose review is assigned to other reviewers only.
 * It walks the partial index of undecided annotations (annotations_review_queue_idx).
 */
export async function reviewQueue(
  tx: Executor,
  principal: Principal,
  projectId: number,
  q: { limit: number; cursor?: string },
) {
  const project = await loadProject(tx, principal, projectId, 'review');
  const me = principal.userId;
  const after = decodeCursor(q.cursor, 1)?.[0];
  const ids = rowsOf<{ id: string | number }>(
    await tx.execute(sql`
      select a.id from annotations a
      where a.project_id = ${project.id} and not a.was_cancelled
        and (a.review_status is null or a.review_status in ('pending', 'in_review'))
        and a.completed_by is distinct from ${me}
        and (a.review_status is null or a.review_status = 'pending'
          or (a.review_status = 'in_review' and exists (select 1 from review_records r
            where r.annotation_id = a.id and r.status = 'in_review' and r.reviewer_id = ${me})))
        and (not exists (select 1 from task_assignments s where s.task_id = a.task_id and s.kind = 'review')
          or exists (select 1 from task_assignments s where s.task_id = a.task_id and s.kind = 'review'
            and s.user_id = ${me}))
        ${after !== undefined ? sql`and a.id > ${Number(after)}` : sql``}
      order by a.id limit ${q.limit + 1}`),
  ).map((r) => Number(r.id));
  if (ids.length === 0) return { items: [], next_cursor: null };
  const rows = await tx
    .select({ annotation: annotations, task: tasks })
    .from(annotations)
    .innerJoin(tasks, eq(tasks.id, annotations.taskId))
    .where(inArray(annotations.id, ids))
    .orderBy(asc(annotations.id));
  const page = toPage(rows, q.limit, (r) => [r.annotation.id]);
  return {
    ...page,
    items: page.items.map((r) => ({
      annotation: annotationView(r.annotation),
      task: { id: r.task.id, data: r.task.data, meta: r.task.meta, status: r.task.status },
    })),
  };
}

/**
 * A reviewer's decision on an annotation (the task row is locked, so counters and status
 * move with it). `start` takes it (in_review); `accept` approves; `reject` either requeues
 * (the annotation stays, rejected, stops counting, and the task goes back to its author
 * through an annotate-assignment) or removes it (the review record keeps its id and a
 * snapshot); `fix` adds the reviewer's corrected annotation as a child of the original,
 * which is kept and approved; `request_changes` asks the author for rework.
 */
export async function review(tx: Executor, principal: Principal, annotationId: number, input: ReviewInput) {
  const { annotation: a, task, project } = await annotationFor(tx, principal, annotationId, 'review');
  checkReviewable(principal, a, project, input);
  const open = await openReviewOf(tx, principal, a, input);
  const before = await weightOf(tx, a);
  const decision = await decide(tx, principal, a, input);
  const kept = decision.kept ? await setReviewStatus(tx, a, decision.status) : null;
  const record = await recordDecision(tx, principal, a, open, decision, input.comment);
  const after = kept ? await weightOf(tx, kept) : { total: 0, cancelled: 0 };
  await applyCounts(tx, project, task.id, {
    total: after.total - before.total,
    cancelled: after.cancelled - before.cancelled,
  });
  return { record, annotation: kept, fixed: decision.fixed, project };
}

/** Nobody reviews their own annotation or a skip; a fix brings a result the config accepts. */
function checkReviewable(principal: Principal, a: Annotation, project: Project, input: ReviewInput) {
  if (a.completedBy === principal.userId)
    throw forbidden('review.own_annotation', 'Nobody reviews their own annotation.');
  if (a.wasCancelled) throw conflict('review.skip_has_no_result', 'A skip has no result to review.');
  if (input.action !== 'fix') return;
  if (input.result === undefined)
    throw badRequest('review.fix_needs_result', 'A fix needs the corrected result.', [
      { path: 'body/result', message: 'is required' },
    ]);
  checkResult(project, input.result);
}

/**
 * The caller's open (in_review) record of the annotation, if any; taking an annotation
 * another reviewer has open is a conflict.
 */
async function openReviewOf(tx: Executor, principal: Principal, a: Annotation, input: ReviewInput) {
  const inReview =
    a.reviewStatus === 'in_review'
      ? await tx
          .select()
          .from(reviewRecords)
          .where(and(eq(reviewRecords.annotationId, a.id), eq(reviewRecords.status, 'in_review')))
          .orderBy(asc(reviewRecords.id))
      : [];
  const open = inReview.find((r) => r.reviewerId === principal.userId);
  if (input.action === 'start' && !open && inReview.length > 0)
    throw conflict('review.taken', 'Another reviewer has taken this annotation.');
  return open;
}

interface Decision {
  status: (typeof reviewRecords.$inferSelect)['status'];
  rejectMode: 'requeue' | 'remove' | null;
  /** The reviewer's corrected annotation (fix). */
  fixed: Annotation | null;
  /** The removed annotation as it was (reject with remove). */
  snapshot: Record<string, unknown> | null;
  /** Whether the annotation is still there to take the review status. */
  kept: boolean;
}

/** Carries out the action's own change (a fix's child annotation, a reject's requeue or removal). */
async function decide(
  tx: Executor,
  principal: Principal,
  a: Annotation,
  input: ReviewInput,
): Promise<Decision> {
  const none = { rejectMode: null, fixed: null, snapshot: null, kept: true };
  switch (input.action) {
    case 'start':
      return { ...none, status: 'in_review' };
    case 'accept':
      return { ...none, status: 'approved' };
    case 'request_changes':
      return { ...none, status: 'modification_requested' };
    case 'fix': {
      const [row] = await tx
        .insert(annotations)
        .values({
          tenantId: principal.tenantId,
          projectId: a.projectId,
          taskId: a.taskId,
          completedBy: principal.userId,
          result: input.result!,
          leadTime: input.lead_time ?? 0,
          parentAnnotationId: a.id,
          reviewStatus: 'approved',
        })
        .returning();
      return { ...none, status: 'approved', fixed: row! };
    }
    case 'reject':
      return reject(tx, principal, a, input.reject_mode ?? 'requeue');
  }
}

async function reject(
  tx: Executor,
  principal: Principal,
  a: Annotation,
  rejectMode: 'requeue' | 'remove',
): Promise<Decision> {
  const decision: Decision = { status: 'rejected', rejectMode, fixed: null, snapshot: null, kept: true };
  if (rejectMode === 'remove') {
    const snapshot = JSON.parse(JSON.stringify(annotationView(a))) as Record<string, unknown>;
    await tx.delete(annotations).where(eq(annotations.id, a.id));
    return { ...decision, snapshot, kept: false };
  }
  if (a.completedBy) {
    // Back to its author: an annotate-assignment puts the task first in their stream.
    await tx
      .insert(taskAssignments)
      .values({
        tenantId: principal.tenantId,
        projectId: a.projectId,
        taskId: a.taskId,
        userId: a.completedBy,
        kind: 'annotate',
        source: 'manual',
        createdBy: principal.userId,
      })
      .onConflictDoNothing();
  }
  return decision;
}

async function setReviewStatus(tx: Executor, a: Annotation, status: Decision['status']): Promise<Annotation> {
  const [row] = await tx
    .update(annotations)
    .set({ reviewStatus: status, updatedAt: sql`now()` })
    .where(eq(annotations.id, a.id))
    .returning();
  return row!;
}

/** A decision closes this reviewer's open (in_review) record; otherwise it is a new one. */
async function recordDecision(
  tx: Executor,
  principal: Principal,
  a: Annotation,
  open: { id: number } | undefined,
  decision: Decision,
  comment: string | undefined,
) {
  const values = {
    status: decision.status,
    reviewerId: principal.userId,
    rejectMode: decision.rejectMode,
    fixedAnnotationId: decision.fixed?.id ?? null,
    annotationSnapshot: decision.snapshot,
    comment: comment ?? '',
    updatedAt: sql`now()`,
  };
  const [record] = open
    ? await tx.update(reviewRecords).set(values).where(eq(reviewRecords.id, open.id)).returning()
    : await tx
        .insert(reviewRecords)
        .values({
          ...values,
          tenantId: principal.tenantId,
          projectId: a.projectId,
          taskId: a.taskId,
          annotationId: a.id,
        })
        .returning();
  return record!;
}

/** The review history of an annotation (also of one a reject removed). */
export async function reviewHistory(
  tx: Executor,
  principal: Principal,
  annotationId: number,
  q: { limit: number; cursor?: string },
) {
  const [a] = await tx
    .select()
    .from(annotations)
    .where(and(eq(annotations.tenantId, principal.tenantId), eq(annotations.id, annotationId)));
  const [first] = await tx
    .select()
    .from(reviewRecords)
    .where(and(eq(reviewRecords.tenantId, principal.tenantId), eq(reviewRecords.annotationId, annotationId)))
    .orderBy(asc(reviewRecords.id))
    .limit(1);
  const projectId = a?.projectId ?? first?.projectId;
  if (projectId === undefined) throw notFound('annotation.not_found', 'The annotation');
  await loadProject(tx, principal, projectId, 'read');
  const author = a ? a.completedBy : (first?.annotationSnapshot?.completed_by ?? null);
  if (author !== principal.userId && !readsOthers(principal))
    throw notFound('annotation.not_found', 'The annotation');
  const after = decodeCursor(q.cursor, 1)?.[0];
  const rows = await tx
    .select()
    .from(reviewRecords)
    .where(
      and(
        eq(reviewRecords.annotationId, annotationId),
        eq(reviewRecords.projectId, projectId),
        after !== undefined ? gt(reviewRecords.id, Number(after)) : undefined,
      ),
    )
    .orderBy(asc(reviewRecords.id))
    .limit(q.limit + 1);
  const page = toPage(rows, q.limit, (r) => [r.id]);
  return { ...page, items: page.items.map(reviewView) };
}
