import type { Platform } from '../../../platform/index.ts';
import { jobKind } from '../../../platform/jobs/queue.ts';
import type { NonLlmMetric } from './ragas.metrics.ts';
import { evaluateStored } from './ragas.service.ts';

export const RAGAS_JOB = jobKind<{ ids: number[]; metrics: NonLlmMetric[] }>('quality.ragas_evaluate');

export function defineRagasJobs(platform: Platform): void {
  platform.queue.define(RAGAS_JOB, async (ctx) => {
    const { ids, metrics } = ctx.payload;
    const evaluated = await evaluateStored(
      platform.database.db,
      { tenantId: ctx.tenantId },
      ids,
      metrics,
      (done) => ctx.progress(done / ids.length, { records: done }),
    );
    return { evaluated };
  });
}
