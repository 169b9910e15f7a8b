import { asc, eq } from 'drizzle-orm';
import type { Principal } from '../../../platform/auth/principal.ts';
import type { Executor } from '../../../platform/db/client.ts';
import { newestFirst, type PageRequest } from '../../../platform/db/pagination.ts';
import { badRequest, conflict, forbidden, notFound } from '../../../platform/errors/problem.ts';
import type { Platform } from '../../../platform/index.ts';
import {
  annotationsInContext,
  annotationView,
  findAnnotation,
  replaceResult,
} from '../../annotation/index.ts';
import { loadRow, type Reader, requireReadable } from '../access.ts';
import { getIssue } from '../issues/issues.service.ts';
import { requireMembers, requireProject } from '../rules/rules.service.ts';
import {
  type IMPROVEMENT_STATES,
  improvementHistory,
  improvementTasks,
  qualityIssues,
  qualityWorkflows,
  type SEVERITIES,
} from '../schema.ts';
import { withTaskIds } from '../task-links.ts';

export type Improvement = typeof improvementTasks.$inferSelect;
export type ImprovementState = (typeof IMPROVEMENT_STATES)[number];
type Severity = (typeof SEVERITIES)[number];

export interface Actor extends Principal {
  /** Holds quality:review: assigns, approves, rejects, reopens. */
  reviewer: boolean;
}

/** Who may make each move: the assignee works, a reviewer decides. */
const MOVES: Record<ImprovementState, { to: ImprovementState; by: 'assignee' | 'reviewer' }[]> = {
  pending: [{ to: 'in_progress', by: 'assignee' }],
  in_progress: [{ to: 'submitted', by: 'assignee' }],
  submitted: [
    { to: 'approved', by: 'reviewer' },
    { to: 'rejected', by: 'reviewer' },
  ],
  approved: [{ to: 'pending', by: 'reviewer' }],
  rejected: [
    { to: 'pending', by: 'reviewer' },
    { to: 'in_progress', by: 'assignee' },
  ],
};

export function improvementView(t: Improvement) {
  return {
    id: t.id,
    project_id: t.projectId,
    annotation_id: t.annotationId,
    issue_id: t.issueId,
    status: t.status,
    assignee_id: t.assigneeId,
    original_result: t.originalResult,
    proposed_result: t.proposedResult,
    comment: t.comment,
    created_by: t.createdBy,
    created_at: t.createdAt,
    updated_at: t.updatedAt,
  };
}

async function record(
  tx: Executor,
  task: Improvement,
  from: ImprovementState | null,
  actorId: string | null,
  comment = '',
  details: Record<string, unknown> = {},
) {
  await tx.insert(improvementHistory).values({
    tenantId: task.tenantId,
    improvementTaskId: task.id,
    fromStatus: from,
    toStatus: task.status,
    actorId,
    comment,
    details,
  });
}

type Workflow = typeof qualityWorkflows.$inferSelect;

/** Whom the project's workflow gives a new task: the annotation's author (the default), its chosen member, or no one. */
function workflowAssignee(wf: Workflow | undefined, author: string | null): string | null {
  const mode = wf?.autoAssign ?? 'annotator';
  return mode === 'annotator' ? author : mode === 'user' ? (wf?.assigneeId ?? null) : null;
}

const workflowOf = async (tx: Executor, projectId: number): Promise<Workflow | undefined> =>
  (await tx.select().from(qualityWorkflows).where(eq(qualityWorkflows.projectId, projectId)))[0];

/**
 * Makes an improvement task for an annotation (from an issue, or directly); keeps its current
 * result. Without an assignee given (`undefined`; null means no one), the project's workflow
 * setting decides, as for the tasks its checks make.
 */
export async function createImprovement(
  tx: Executor,
  reader: Reader,
  input: { issueId?: number; annotationId?: number; assigneeId?: string | null; comment?: string },
  by: string | null,
): Promise<Improvement> {
  const { tenantId } = reader;
  await requireMembers(tx, tenantId, [input.assigneeId], 'body/assignee_id');
  const issue = input.issueId ? await getIssue(tx, reader, input.issueId) : undefined;
  const annotationId = issue?.annotationId ?? input.annotationId;
  if (!annotationId)
    throw badRequest('improvement_task.needs_source', 'Give issue_id or annotation_id.', [
      { path: 'body', message: 'empty' },
    ]);
  const a = await findAnnotation(tx, tenantId, annotationId);
  if (!a) throw notFound('annotation.not_found', 'The annotation');
  await requireReadable(tx, reader, a.projectId, 'annotation.not_found', 'The annotation');
  const assigneeId =
    input.assigneeId !== undefined
      ? input.assigneeId
      : workflowAssignee(await workflowOf(tx, a.projectId), a.completedBy);
  const [task] = await tx
    .insert(improvementTasks)
    .values({
      tenantId,
      projectId: a.projectId,
      annotationId,
      issueId: issue?.id ?? null,
      assigneeId,
      originalResult: a.result,
      comment: input.comment ?? '',
      createdBy: by,
    })
    .returning();
  if (issue?.status === 'open')
    await tx
      .update(qualityIssues)
      .set({ status: 'in_progress', updatedAt: new Date() })
      .where(eq(qualityIssues.id, issue.id));
  await record(tx, task!, null, by, input.comment ?? '');
  return task!;
}

const RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2, critical: 3 };

/** After a check opens an issue: the project's workflow may make and assign a task for it. */
export async function improveByWorkflow(
  tx: Executor,
  tenantId: string,
  projectId: number,
  issue: { id: number; severity: Severity },
  author: string | null,
): Promise<Improvement | null> {
  const wf = await workflowOf(tx, projectId);
  if (!wf?.autoCreateImprovement || RANK[issue.severity] < RANK[wf.minSeverity]) return null;
  const assigneeId = workflowAssignee(wf, author);
  return createImprovement(tx, { tenantId }, { issueId: issue.id, assigneeId }, null);
}

export async function getImprovement(tx: Executor, actor: Actor, id: number): Promise<Improvement> {
  const row = await loadRow(
    tx,
    actor,
    improvementTasks,
    id,
    'improvement_task.not_found',
    'The improvement task',
  );
  // Outside reviewers, a task is visible only to its assignee.
  if (!actor.reviewer && row.assigneeId !== actor.userId)
    throw notFound('improvement_task.not_found', 'The improvement task');
  return row;
}

export async function improvementHistoryOf(tx: Executor, id: number) {
  const rows = await tx
    .select()
    .from(improvementHistory)
    .where(eq(improvementHistory.improvementTaskId, id))
    .orderBy(asc(improvementHistory.id));
  return rows.map((h) => ({
    from: h.fromStatus,
    to: h.toStatus,
    actor_id: h.actorId,
    comment: h.comment,
    details: h.details,
    at: h.createdAt,
  }));
}

export async function listImprovements(
  tx: Executor,
  tenantId: string,
  filter: { projectId?: number; assigneeId?: string; status?: ImprovementState } & PageRequest,
) {
  if (filter.projectId !== undefined) await requireProject(tx, tenantId, filter.projectId);
  const where = [
    eq(improvementTasks.tenantId, tenantId),
    filter.projectId !== undefined ? eq(improvementTasks.projectId, filter.projectId) : undefined,
    filter.assigneeId ? eq(improvementTasks.assigneeId, filter.assigneeId) : undefined,
    filter.status ? eq(improvementTasks.status, filter.status) : undefined,
  ];
  const page = await newestFirst(tx, improvementTasks, where, filter, improvementView);
  return { ...page, items: await withTaskIds(tx, page.items) };
}

export async function assignImprovement(tx: Executor, actor: Actor, id: number, assigneeId: string | null) {
  const task = await getImprovement(tx, actor, id);
  await requireMembers(tx, actor.tenantId, [assigneeId], 'body/assignee_id');
  if (task.status === 'approved')
    throw conflict('improvement_task.closed', 'An approved task is closed; reopen it first.');
  const [row] = await tx
    .update(improvementTasks)
    .set({ assigneeId, updatedAt: new Date() })
    .where(eq(improvementTasks.id, id))
    .returning();
  await record(tx, row!, task.status, actor.userId, '', { assignee_id: assigneeId });
  return row!;
}

/**
 * Moves a task one step. Approval writes the proposed result into the annotation (the
 * annotation module's table, in this transaction) and records the result it replaced;
 * the task keeps the result it started from.
 */
export async function moveImprovement(
  tx: Executor,
  platform: Pick<Platform, 'events'>,
  actor: Actor,
  id: number,
  input: { to: ImprovementState; result?: unknown[]; comment?: string },
): Promise<Improvement> {
  const task = await getImprovement(tx, actor, id);
  const move = MOVES[task.status].find((m) => m.to === input.to);
  if (!move)
    throw conflict(
      'improvement_task.transition',
      `An improvement task cannot move from ${task.status} to ${input.to}.`,
      { from: task.status, to: input.to },
    );
  const isAssignee =
    task.assigneeId === actor.userId || (task.assigneeId === null && move.to === 'in_progress');
  if (move.by === 'reviewer' ? !actor.reviewer : !(isAssignee || actor.reviewer))
    throw move.by === 'reviewer'
      ? forbidden('auth.permission_required', 'This needs the permission quality:review.', {
          permission: 'quality:review',
        })
      : forbidden('improvement_task.assignee_only', 'Only the assignee (or a reviewer) works on this task.');
  if (input.to === 'submitted' && !input.result)
    throw badRequest('improvement_task.result_required', 'Submitting needs the improved result.', [
      { path: 'body/result', message: 'is required' },
    ]);
  const details: Record<string, unknown> = {};
  if (input.to === 'approved') {
    const { replaced } = await replaceResult(
      tx,
      platform,
      actor,
      task.annotationId,
      task.proposedResult ?? [],
      { improvement_task: task.id },
    );
    details.replaced_result = replaced;
    details.new_result = task.proposedResult;
    if (task.issueId)
      await tx
        .update(qualityIssues)
        .set({ status: 'resolved', resolvedAt: new Date(), updatedAt: new Date() })
        .where(eq(qualityIssues.id, task.issueId));
  }
  if (input.to === 'submitted') details.result = input.result;
  const [row] = await tx
    .update(improvementTasks)
    .set({
      status: input.to,
      ...(input.to === 'submitted' ? { proposedResult: input.result } : {}),
      ...(input.to === 'in_progress' && task.assigneeId === null ? { assigneeId: actor.userId } : {}),
      updatedAt: new Date(),
    })
    .where(eq(improvementTasks.id, id))
    .returning();
  await record(tx, row!, task.status, actor.userId, input.comment ?? '', details);
  return row!;
}

/**
 * The annotation a task improves, with its task's data: its assignee works on it without
 * holding annotations:read, so the task's own rule (assignee or reviewer, in a project they
 * may read) decides, not the annotation module's "one's own" rule.
 */
export async function improvementAnnotation(tx: Executor, actor: Actor, id: number) {
  const task = await getImprovement(tx, actor, id);
  const [row] = await annotationsInContext(tx, actor.tenantId, [task.annotationId]);
  if (!row) throw notFound('annotation.not_found', 'The annotation');
  return { annotation: annotationView(row.a), task: { id: row.a.taskId, data: row.data } };
}
