import { and, eq, sql } from 'drizzle-orm';
import type { Db, Executor } from '../../../platform/db/client.ts';
import { pgArray, rowsOf } from '../../../platform/db/sql.ts';
import { inTenant, type TenantScope } from '../../../platform/db/tenancy.ts';
import { Problem } from '../../../platform/errors/problem.ts';
import type { Platform } from '../../../platform/index.ts';
import { type CallContext, embed, quote, structured } from '../../llm/index.ts';
import { ragasEvaluations } from '../schema.ts';
import {
  LLM_NEEDS,
  type LlmCaller,
  type LlmLimits,
  type LlmMetric,
  plannedCalls,
  scoreWithLlm,
} from './ragas.llm.ts';
import { type NonLlmMetric, present, type RagasRecord, scoreRecord } from './ragas.metrics.ts';

export type RagasRow = typeof ragasEvaluations.$inferSelect;

export interface ImportRecord extends RagasRecord {
  metadata?: Record<string, unknown>;
}

/**
 * The work a batch needs, in character pairs compared (Levenshtein and LCS are quadratic):
 * below INLINE_WORK a batch is scored in the request, above it by a job.
 */
export function workOf(records: readonly ImportRecord[]): number {
  let work = 0;
  for (const r of records) {
    const retrieved = (r.contexts ?? []).reduce((s, c) => s + c.length, 0);
    const reference = (r.reference_contexts ?? []).reduce((s, c) => s + c.length, 0);
    work += 2 * retrieved * reference + 2 * (r.answer?.length ?? 0) * (r.reference?.length ?? 0);
  }
  return work;
}
export const INLINE_WORK = 20_000_000;

export async function insertRecords(
  tx: Executor,
  scope: TenantScope,
  batch: { dataset: string; projectId?: number; records: readonly ImportRecord[] },
): Promise<RagasRow[]> {
  return tx
    .insert(ragasEvaluations)
    .values(
      batch.records.map((r) => ({
        tenantId: scope.tenantId,
        projectId: batch.projectId ?? null,
        dataset: batch.dataset,
        question: r.question ?? null,
        answer: r.answer ?? null,
        contexts: [...(r.contexts ?? [])],
        reference: r.reference ?? null,
        referenceContexts: [...(r.reference_contexts ?? [])],
        metadata: r.metadata ?? {},
        createdBy: scope.userId ?? null,
      })),
    )
    .returning();
}

/** Scores stored records on the non-LLM metrics and saves the scores. */
export async function evaluateRecords(
  tx: Executor,
  rows: readonly RagasRow[],
  metrics: readonly NonLlmMetric[],
): Promise<RagasRow[]> {
  if (rows.length === 0) return [];
  const scored = rows.map((r) => {
    const { scores, skipped } = scoreRecord(
      {
        question: r.question,
        answer: r.answer,
        contexts: r.contexts,
        reference: r.reference,
        reference_contexts: r.referenceContexts,
      },
      metrics,
    );
    return { id: r.id, metrics: scores, skipped };
  });
  const updated = rowsOf<{ id: string | number }>(
    await tx.execute(sql`
    update ragas_evaluations e set metrics = e.metrics || x.metrics, skipped = x.skipped, evaluated_at = now()
    from jsonb_to_recordset(${JSON.stringify(scored)}::jsonb) as x(id bigint, metrics jsonb, skipped jsonb)
    where e.id = x.id
    returning e.id`),
  );
  const ids = new Set(updated.map((r) => Number(r.id)));
  return rows
    .filter((r) => ids.has(r.id))
    .map((r) => {
      const s = scored.find((x) => x.id === r.id)!;
      return { ...r, metrics: { ...r.metrics, ...s.metrics }, skipped: s.skipped, evaluatedAt: new Date() };
    });
}

/** The job's part: scores records by id, a chunk per transaction. */
export async function evaluateStored(
  db: Db,
  scope: TenantScope,
  ids: readonly number[],
  metrics: readonly NonLlmMetric[],
  onChunk?: (done: number) => Promise<void>,
): Promise<number> {
  let done = 0;
  for (let i = 0; i < ids.length; i += 100) {
    const chunk = ids.slice(i, i + 100);
    done += await inTenant(db, scope, async (tx) => {
      const rows = await tx
        .select()
        .from(ragasEvaluations)
        .where(sql`${ragasEvaluations.id} = any(${pgArray(chunk)}::bigint[])`);
      return (await evaluateRecords(tx, rows, metrics)).length;
    });
    await onChunk?.(done);
  }
  return done;
}

/** Records' fields a metric lacks, or null when it can run. */
function missingFor(r: RagasRecord, metric: LlmMetric): string | null {
  const missing = LLM_NEEDS[metric].filter((f) => !present(r[f]));
  return missing.length ? `needs ${missing.join(' and ')}` : null;
}

/**
 * The tokens and cost the LLM metrics will take on these records, before the run; refuses
 * (409, 400, 429) when the tenant's `ragas` binding cannot make the calls or a budget is used up.
 */
export async function estimateLlmRun(
  platform: Platform,
  ctx: CallContext,
  records: readonly RagasRecord[],
  metrics: readonly LlmMetric[],
  limits: LlmLimits,
) {
  const calls = records.flatMap((r) =>
    metrics.filter((m) => missingFor(r, m) === null).flatMap((m) => plannedCalls(r, m, limits)),
  );
  if (calls.length === 0) return { calls: 0, tokens_in: 0, max_tokens_out: 0, costs: [], models: [] };
  return quote(platform, ctx, calls);
}

function gatewayCaller(platform: Platform, ctx: CallContext): LlmCaller {
  return {
    structured: async (a) =>
      (
        await structured(platform, ctx, {
          messages: a.messages,
          schema: a.schema,
          checkMaxLength: false,
          max_tokens: a.maxTokens,
          temperature: a.temperature,
        })
      ).value,
    embed: async (input) => (await embed(platform, ctx, { input })).embeddings,
  };
}

/**
 * A refused or failed gateway call (a problem: no binding, invalid output, a provider down, a
 * budget used up) skips the metric with why; a used-up budget ends the run. Anything else is a
 * fault of this code and fails the job.
 */
function failureOf(err: unknown): { reason: string; budget: boolean } {
  if (!(err instanceof Problem)) throw err;
  return { reason: `the LLM call failed: ${err.detail}`, budget: err.status === 429 };
}

/**
 * The job's LLM part: per record, the metrics' calls go through the gateway with no
 * transaction open, then the scores, the verdicts behind them and the skipped metrics are
 * saved in a short one. Once a budget refuses, the remaining metrics are skipped unasked.
 */
export async function evaluateStoredWithLlm(
  platform: Platform,
  ctx: CallContext,
  ids: readonly number[],
  metrics: readonly LlmMetric[],
  limits: LlmLimits,
  onRecord?: (done: number) => Promise<void>,
): Promise<{ evaluated: number; refused_by_budget: boolean }> {
  const scope = { tenantId: ctx.tenantId };
  const caller = gatewayCaller(platform, ctx);
  let budgetReason: string | null = null;
  let done = 0;
  for (const id of ids) {
    const row = await inTenant(platform.database.db, scope, (tx) => getRecord(tx, id));
    if (!row) continue;
    const record: RagasRecord = {
      question: row.question,
      answer: row.answer,
      contexts: row.contexts,
      reference: row.reference,
    };
    const scores: Record<string, number> = {};
    const skipped: Record<string, string> = {};
    const details: Record<string, unknown> = {};
    for (const metric of metrics) {
      const missing = missingFor(record, metric);
      if (missing !== null || budgetReason !== null) {
        skipped[metric] = missing ?? budgetReason!;
        continue;
      }
      try {
        const outcome = await scoreWithLlm(caller, record, metric, limits);
        details[metric] = outcome.details;
        if (outcome.score === null) skipped[metric] = outcome.reason!;
        else scores[metric] = outcome.score;
      } catch (err) {
        const failure = failureOf(err);
        skipped[metric] = failure.reason;
        if (failure.budget) budgetReason = failure.reason;
      }
    }
    // A model's text may hold NUL, which jsonb cannot store.
    const json = (v: unknown) =>
      JSON.stringify(v, (_, x) => (typeof x === 'string' ? x.replaceAll('\u0000', '') : x));
    await inTenant(platform.database.db, scope, (tx) =>
      tx.execute(sql`
        update ragas_evaluations set
          metrics = (metrics - ${pgArray(Object.keys(skipped))}::text[]) || ${json(scores)}::jsonb,
          skipped = (skipped - ${pgArray(Object.keys(scores))}::text[]) || ${json(skipped)}::jsonb,
          details = details || ${json(details)}::jsonb,
          evaluated_at = now()
        where id = ${id}`),
    );
    done++;
    await onRecord?.(done);
  }
  return { evaluated: done, refused_by_budget: budgetReason !== null };
}

export async function getRecord(tx: Executor, id: number): Promise<RagasRow | undefined> {
  const [row] = await tx.select().from(ragasEvaluations).where(eq(ragasEvaluations.id, id));
  return row;
}

export async function listRecords(
  tx: Executor,
  options: { dataset?: string; after?: number; limit: number },
) {
  return tx
    .select()
    .from(ragasEvaluations)
    .where(
      and(
        options.dataset !== undefined ? eq(ragasEvaluations.dataset, options.dataset) : undefined,
        options.after !== undefined ? sql`${ragasEvaluations.id} > ${options.after}` : undefined,
      ),
    )
    .orderBy(ragasEvaluations.id)
    .limit(options.limit + 1);
}

export interface DatasetSummary {
  dataset: string;
  records: number;
  evaluated: number;
  metrics: Record<string, { mean: number; min: number; max: number; count: number }>;
  last_evaluated_at: Date | null;
}

/** Per dataset: record counts and, per metric, the mean, min and max over the records scored on it. */
export async function datasetSummaries(tx: Executor, dataset?: string): Promise<DatasetSummary[]> {
  const where = dataset !== undefined ? sql`where dataset = ${dataset}` : sql``;
  const totals = rowsOf<{ dataset: string; records: number; evaluated: number; last: Date | string | null }>(
    await tx.execute(sql`
    select dataset, count(*)::int as records, count(evaluated_at)::int as evaluated, max(evaluated_at) as last
    from ragas_evaluations ${where} group by dataset order by dataset`),
  );
  const metrics = rowsOf<{
    dataset: string;
    metric: string;
    mean: number;
    min: number;
    max: number;
    count: number;
  }>(
    await tx.execute(sql`
    select dataset, m.key as metric, avg(m.value::float8) as mean, min(m.value::float8) as min,
      max(m.value::float8) as max, count(*)::int as count
    from ragas_evaluations, jsonb_each(metrics) m ${where} group by dataset, m.key`),
  );
  return totals.map((t) => ({
    dataset: t.dataset,
    records: t.records,
    evaluated: t.evaluated,
    last_evaluated_at: t.last === null ? null : new Date(t.last),
    metrics: Object.fromEntries(
      metrics
        .filter((m) => m.dataset === t.dataset)
        .sort((x, y) => x.metric.localeCompare(y.metric))
        .map((m) => [
          m.metric,
          { mean: Number(m.mean), min: Number(m.min), max: Number(m.max), count: m.count },
        ]),
    ),
  }));
}
