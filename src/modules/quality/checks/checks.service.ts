import { and, asc, desc, eq, inArray } from 'drizzle-orm';
import type { Executor } from '../../../platform/db/client.ts';
import { newestFirst, type PageRequest } from '../../../platform/db/pagination.ts';
import type { DomainListener } from '../../../platform/events/index.ts';
import type { Platform } from '../../../platform/index.ts';
import { annotationsInContext, submittedOfTasks } from '../../annotation/index.ts';
import { improveByWorkflow } from '../improvement/improvement.service.ts';
import { requireProject } from '../rules/rules.service.ts';
import { type CheckInput, runRule } from '../rules/rules.ts';
import { qualityCheckResults, qualityIssues, qualityRules } from '../schema.ts';
import { CHECK_JOB } from './checks.jobs.ts';

export const BATCH = 200;

/** Whether the project has a rule to run: submits to projects without rules enqueue nothing. */
async function hasEnabledRules(tx: Executor, projectId: number): Promise<boolean> {
  const [row] = await tx
    .select({ id: qualityRules.id })
    .from(qualityRules)
    .where(and(eq(qualityRules.projectId, projectId), eq(qualityRules.enabled, true)))
    .limit(1);
  return row !== undefined;
}

/**
 * On a submitted or changed annotation: queue its check in the submitter's transaction.
 * The submit waits for one indexed lookup and an enqueue, never for the rules themselves.
 */
export function queueCheck(platform: Platform): DomainListener<'ANNOTATION_CREATED' | 'ANNOTATION_UPDATED'> {
  return async (tx, event) => {
    const { annotation } = event.payload;
    if (annotation.was_cancelled || event.projectId === null) return;
    if (!(await hasEnabledRules(tx, event.projectId))) return;
    // A queue worker takes one job per polling interval, so one job per submit would cap
    // checks at a few per second; joining a job that has not started keeps up with any rate.
    if (await platform.queue.joinQueued(tx, CHECK_JOB, event.tenantId, 'annotationIds', annotation.id, BATCH))
      return;
    await platform.queue.enqueue(tx, {
      tenantId: event.tenantId,
      kind: CHECK_JOB,
      payload: { annotationIds: [annotation.id] },
      createdBy: event.userId ?? null,
    });
  };
}

/**
 * Runs the enabled rules of their projects on these annotations and records every result;
 * a failure opens an issue (one live issue per annotation and rule), which the project's
 * workflow may turn into an improvement task.
 */
export async function checkAnnotations(
  tx: Executor,
  tenantId: string,
  annotationIds: number[],
  jobId: string | null,
): Promise<{ checked: number; failed: number; issues: number }> {
  const counts = { checked: 0, failed: 0, issues: 0 };
  if (annotationIds.length === 0) return counts;
  const rows = await annotationsInContext(tx, tenantId, annotationIds);
  const projectIds = [...new Set(rows.map((r) => r.a.projectId))];
  if (projectIds.length === 0) return counts;
  const rules = await tx
    .select()
    .from(qualityRules)
    .where(and(inArray(qualityRules.projectId, projectIds), eq(qualityRules.enabled, true)))
    .orderBy(desc(qualityRules.priority), asc(qualityRules.id));
  const taskIds = [...new Set(rows.map((r) => r.a.taskId))];
  const siblings = rules.some((r) => r.type === 'agreement') ? await submittedOfTasks(tx, taskIds) : [];
  for (const { a, data, config } of rows) {
    const input: CheckInput = {
      annotation: {
        id: a.id,
        result: a.result,
        lead_time: a.leadTime,
        was_cancelled: a.wasCancelled,
        ground_truth: a.groundTruth,
        completed_by: a.completedBy,
      },
      task: { id: a.taskId, data },
      controls: config.controls.map((c) => ({ name: c.name, type: c.type, labels: c.labels })),
      others: siblings.filter((s) => s.taskId === a.taskId && s.id !== a.id).map((s) => s.result),
    };
    for (const rule of rules.filter((r) => r.projectId === a.projectId)) {
      const outcome = await runRule(rule.type, rule.config, input);
      counts.checked++;
      const [result] = await tx
        .insert(qualityCheckResults)
        .values({
          tenantId,
          projectId: a.projectId,
          annotationId: a.id,
          ruleId: rule.id,
          ruleVersion: rule.version,
          passed: outcome.passed,
          message: outcome.message,
          details: outcome.details ?? {},
          jobId,
        })
        .returning({ id: qualityCheckResults.id });
      if (outcome.passed) continue;
      counts.failed++;
      const [issue] = await tx
        .insert(qualityIssues)
        .values({
          tenantId,
          projectId: a.projectId,
          annotationId: a.id,
          ruleId: rule.id,
          checkResultId: result!.id,
          severity: rule.severity,
          message: `${rule.name}: ${outcome.message}`,
        })
        .onConflictDoNothing()
        .returning({ id: qualityIssues.id, severity: qualityIssues.severity });
      if (!issue) continue; // an issue for this rule is still open
      counts.issues++;
      await improveByWorkflow(tx, tenantId, a.projectId, issue, a.completedBy);
    }
  }
  return counts;
}

export async function listCheckResults(
  tx: Executor,
  tenantId: string,
  projectId: number,
  query: { annotation_id?: number; passed?: boolean } & PageRequest,
) {
  await requireProject(tx, tenantId, projectId);
  const where = [
    eq(qualityCheckResults.projectId, projectId),
    query.annotation_id !== undefined ? eq(qualityCheckResults.annotationId, query.annotation_id) : undefined,
    query.passed !== undefined ? eq(qualityCheckResults.passed, query.passed) : undefined,
  ];
  return newestFirst(tx, qualityCheckResults, where, query, (r) => ({
    id: r.id,
    annotation_id: r.annotationId,
    rule_id: r.ruleId,
    rule_version: r.ruleVersion,
    passed: r.passed,
    message: r.message,
    details: r.details,
    job_id: r.jobId,
    checked_at: r.checkedAt,
  }));
}
