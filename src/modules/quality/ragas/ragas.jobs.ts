import type { Platform } from '../../../platform/index.ts';
import { jobKind } from '../../../platform/jobs/queue.ts';
import type { LlmLimits, LlmMetric } from './ragas.llm.ts';
import type { NonLlmMetric } from './ragas.metrics.ts';
import { evaluateStored, evaluateStoredWithLlm } from './ragas.service.ts';

export const RAGAS_JOB = jobKind<{
  ids: number[];
  metrics: NonLlmMetric[];
  llm_metrics?: LlmMetric[];
  llm_limits?: LlmLimits;
}>('quality.ragas_evaluate');

export function defineRagasJobs(platform: Platform): void {
  platform.queue.define(RAGAS_JOB, async (ctx) => {
    const { ids, metrics, llm_metrics: llmMetrics = [], llm_limits: limits } = ctx.payload;
    // Both kinds of metric count towards one progress: records done on each.
    const steps = ids.length * ((metrics.length ? 1 : 0) + (llmMetrics.length ? 1 : 0));
    let evaluated = 0;
    if (metrics.length)
      evaluated = await evaluateStored(
        platform.database.db,
        { tenantId: ctx.tenantId },
        ids,
        metrics,
        (done) => ctx.progress(done / steps, { records: done }),
      );
    if (!llmMetrics.length || !limits) return { evaluated };
    const base = metrics.length ? ids.length : 0;
    // The run's calls share the job's id as their request id: GET /llm/usage?request_id= lists them.
    const llm = await evaluateStoredWithLlm(
      platform,
      { tenantId: ctx.tenantId, userId: ctx.createdBy, feature: 'ragas', requestId: ctx.runId },
      ids,
      llmMetrics,
      limits,
      (done) => ctx.progress((base + done) / steps, { records: done }),
    );
    return { evaluated: Math.max(evaluated, llm.evaluated), refused_by_budget: llm.refused_by_budget };
  });
}
