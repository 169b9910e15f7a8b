import type { Platform } from '../../../platform/index.ts';
import { jobKind } from '../../../platform/jobs/queue.ts';
import { executeRun } from './project-agreement.service.ts';

export const AGREEMENT_JOB = jobKind<{ runId: number; projectId: number; incremental: boolean }>(
  'quality.project_agreement',
  { retryLimit: 1 },
);

export function defineProjectAgreementJobs(platform: Platform): void {
  platform.queue.define(AGREEMENT_JOB, async (ctx) => {
    const scope = { tenantId: ctx.tenantId, userId: ctx.createdBy ?? undefined };
    const { runId, projectId, incremental } = ctx.payload;
    const run = await executeRun(
      platform.database.db,
      scope,
      { id: runId, projectId, incremental },
      (seen, total) => ctx.progress(total ? seen / total : 1, { tasks: seen }),
    );
    return { run: run.id, tasks_seen: run.tasksSeen, tasks_recomputed: run.tasksRecomputed };
  });
}
