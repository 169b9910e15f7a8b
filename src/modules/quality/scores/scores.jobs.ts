import type { Platform } from '../../../platform/index.ts';
import { jobKind } from '../../../platform/jobs/queue.ts';
import { rescoreProject, rescoreTask } from './scores.service.ts';

interface TaskJob {
  projectId: number;
  taskId: number;
  allAnnotators: boolean;
}

export const SCORE_TASK_JOB = jobKind<TaskJob>('quality.score_task');
export const SCORE_PROJECT_JOB = jobKind<{ projectId: number }>('quality.score_project');

export function defineScoreJobs(platform: Platform): void {
  const db = platform.database.db;
  platform.queue.define(SCORE_TASK_JOB, async (ctx) => {
    const { projectId, taskId, allAnnotators } = ctx.payload;
    return rescoreTask(db, { tenantId: ctx.tenantId }, projectId, taskId, { allAnnotators });
  });
  platform.queue.define(SCORE_PROJECT_JOB, async (ctx) =>
    rescoreProject(db, { tenantId: ctx.tenantId }, ctx.payload.projectId, (seen, total) =>
      ctx.progress(total ? seen / total : 1, { tasks: seen }),
    ),
  );
}
