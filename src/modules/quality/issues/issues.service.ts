import { eq } from 'drizzle-orm';
import type { Principal } from '../../../platform/auth/principal.ts';
import type { Executor } from '../../../platform/db/client.ts';
import { newestFirst, type PageRequest } from '../../../platform/db/pagination.ts';
import { conflict } from '../../../platform/errors/problem.ts';
import { loadRow, type Reader } from '../access.ts';
import { requireMembers, requireProject } from '../rules/rules.service.ts';
import { type ISSUE_STATES, qualityIssues } from '../schema.ts';
import { withTaskIds } from '../task-links.ts';

export type Issue = typeof qualityIssues.$inferSelect;
type IssueState = (typeof ISSUE_STATES)[number];

const MOVES: Record<IssueState, IssueState[]> = {
  open: ['in_progress', 'resolved', 'wont_fix'],
  in_progress: ['open', 'resolved', 'wont_fix'],
  resolved: ['open'],
  wont_fix: ['open'],
};

export function issueView(i: Issue) {
  return {
    id: i.id,
    project_id: i.projectId,
    annotation_id: i.annotationId,
    rule_id: i.ruleId,
    check_result_id: i.checkResultId,
    severity: i.severity,
    message: i.message,
    status: i.status,
    assignee_id: i.assigneeId,
    resolved_at: i.resolvedAt,
    created_at: i.createdAt,
    updated_at: i.updatedAt,
  };
}

export const getIssue = (tx: Executor, reader: Reader, id: number): Promise<Issue> =>
  loadRow(tx, reader, qualityIssues, id, 'quality_issue.not_found', 'The issue');

export async function listIssues(
  tx: Executor,
  tenantId: string,
  projectId: number,
  query: { status?: IssueState; annotation_id?: number } & PageRequest,
) {
  await requireProject(tx, tenantId, projectId);
  const where = [
    eq(qualityIssues.tenantId, tenantId),
    eq(qualityIssues.projectId, projectId),
    query.status ? eq(qualityIssues.status, query.status) : undefined,
    query.annotation_id ? eq(qualityIssues.annotationId, query.annotation_id) : undefined,
  ];
  const page = await newestFirst(tx, qualityIssues, where, query, issueView);
  return { ...page, items: await withTaskIds(tx, page.items) };
}

/** Moves an issue (open → in progress → resolved / won't fix, reopenable) and/or assigns it. */
export async function updateIssue(
  tx: Executor,
  actor: Principal,
  id: number,
  input: { status?: IssueState; assigneeId?: string | null },
): Promise<Issue> {
  const issue = await getIssue(tx, actor, id);
  await requireMembers(tx, actor.tenantId, [input.assigneeId], 'body/assignee_id');
  if (input.status && input.status !== issue.status && !MOVES[issue.status].includes(input.status))
    throw conflict(
      'quality_issue.transition',
      `An issue cannot move from ${issue.status} to ${input.status}.`,
      { from: issue.status, to: input.status },
    );
  const status = input.status ?? issue.status;
  const [row] = await tx
    .update(qualityIssues)
    .set({
      status,
      ...(input.assigneeId !== undefined ? { assigneeId: input.assigneeId } : {}),
      resolvedAt: status === 'resolved' || status === 'wont_fix' ? (issue.resolvedAt ?? new Date()) : null,
      updatedAt: new Date(),
    })
    .where(eq(qualityIssues.id, id))
    .returning();
  return row!;
}
