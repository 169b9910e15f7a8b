import { Decimal } from 'decimal.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { newTenant, type TenantFixture } from '../../../../test/fixtures.ts';
import { type TestContext, testApp } from '../../../../test/helpers.ts';
import { type ModelServer, startModelServer } from '../../../../test/model-server.ts';
import { waitForJob } from '../../../../test/transfer-helpers.ts';
import { answerRelevancyScore } from './ragas.llm.ts';
import { averagePrecision } from './ragas.metrics.ts';

const PRICE_IN = '0.15';
const PRICE_OUT = '0.6';
// Small bounds keep the random-weight model's replies (which run to every limit) short.
const LIMITS = { max_statements: 2, max_chars: 24 };
const LLM = [
  'faithfulness',
  'answer_relevancy',
  'llm_context_precision_with_reference',
  'llm_context_precision_without_reference',
  'context_recall',
];
const EIFFEL = {
  question: 'Where is the Eiffel Tower located?',
  answer: 'The Eiffel Tower is located in Paris.',
  contexts: ['The Eiffel Tower is located in Paris.', 'The Brandenburg Gate is located in Berlin.'],
  reference: 'The Eiffel Tower is located in Paris.',
};

let ctx: TestContext;
let server: ModelServer;

beforeAll(async () => {
  ctx = await testApp();
  server = await startModelServer();
});
afterAll(async () => {
  await server?.close();
});
beforeEach(async () => {
  await server.control({});
  await server.clearRequests();
});

/** A tenant whose `ragas` feature is bound to the local model server, with registry prices. */
async function boundTenant(): Promise<TenantFixture> {
  const t = await newTenant(ctx);
  const config = await t.as(t.owner, {
    method: 'POST',
    url: '/api/v1/llm/configurations',
    payload: { name: 'local', provider: 'openai', base_url: `${server.url}/v1`, default_model: server.model },
  });
  expect(config.statusCode, config.body).toBe(201);
  const id = config.json().id;
  const model = await t.as(t.owner, {
    method: 'POST',
    url: `/api/v1/llm/configurations/${id}/models`,
    payload: {
      model: server.model,
      capabilities: ['chat', 'json_schema', 'embeddings'],
      input_price_per_million: PRICE_IN,
      output_price_per_million: PRICE_OUT,
      currency: 'USD',
    },
  });
  expect(model.statusCode, model.body).toBe(201);
  const binding = await t.as(t.owner, {
    method: 'PUT',
    url: '/api/v1/llm/bindings/ragas',
    payload: { configuration_id: id, model: server.model, embedding_model: server.model },
  });
  expect(binding.statusCode, binding.body).toBe(200);
  return t;
}

const post = (t: TenantFixture, url: string, payload: object) =>
  t.as(t.owner, { method: 'POST', url: `/api/v1${url}`, payload });
const get = async (t: TenantFixture, url: string) => {
  const res = await t.as(t.owner, { method: 'GET', url: `/api/v1${url}` });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
};
const exactCost = (tokensIn: number, tokensOut: number) =>
  new Decimal(PRICE_IN).mul(tokensIn).add(new Decimal(PRICE_OUT).mul(tokensOut)).div(1_000_000);

type Verdict = { verdict: number };

describe("Ragas' LLM metrics through the gateway", () => {
  it('estimates the cost, runs a job whose calls are logged, and scores by the verdicts', async () => {
    const t = await boundTenant();
    const body = { metrics: [...LLM, 'rouge_score'], records: [EIFFEL], llm_limits: LIMITS };
    const estimate = await post(t, '/quality/ragas/estimates', body);
    expect(estimate.statusCode, estimate.body).toBe(200);
    // faithfulness 2, answer relevancy 3 + embeddings, precision 2 contexts × 2, recall 1.
    expect(estimate.json()).toMatchObject({ calls: 11, models: expect.any(Array) });
    const [cost] = estimate.json().costs;
    expect(cost.currency).toBe('USD');
    expect(new Decimal(cost.cost_in).gt(0)).toBe(true);
    expect(new Decimal(cost.max_cost).gt(cost.cost_in)).toBe(true);
    expect(await server.requests()).toEqual([]);

    const run = await post(t, '/quality/ragas/evaluations', { dataset: 'llm', ...body });
    expect(run.statusCode, run.body).toBe(202);
    expect(run.json().estimate).toEqual(estimate.json());
    const jobId = run.json().job_id;
    const job = await waitForJob(t, jobId);
    expect(job, JSON.stringify(job)).toMatchObject({ state: 'completed', result: { evaluated: 1 } });

    const record = await get(t, `/quality/ragas/evaluations/${run.json().items[0].id}`);
    expect(record.skipped).toEqual({});
    expect(Object.keys(record.metrics).sort()).toEqual([...LLM, 'rouge_score'].sort());
    for (const m of LLM.filter((m) => m !== 'answer_relevancy')) {
      expect(record.metrics[m]).toBeGreaterThanOrEqual(0);
      expect(record.metrics[m]).toBeLessThanOrEqual(1);
    }
    // Each score is Ragas' formula applied to the verdicts the model gave (kept in details).
    const faithful: Verdict[] = record.details.faithfulness.statements;
    expect(faithful.length).toBeGreaterThanOrEqual(1);
    expect(record.metrics.faithfulness).toBe(
      faithful.filter((s) => s.verdict === 1).length / faithful.length,
    );
    for (const m of ['llm_context_precision_with_reference', 'llm_context_precision_without_reference']) {
      const verdicts: Verdict[] = record.details[m].verdicts;
      expect(verdicts).toHaveLength(2);
      expect(record.metrics[m]).toBe(averagePrecision(verdicts.map((v) => v.verdict)));
    }
    const recalled: { attributed: number }[] = record.details.context_recall.classifications;
    expect(record.metrics.context_recall).toBe(
      recalled.filter((c) => c.attributed === 1).length / recalled.length,
    );
    const generated: { question: string; noncommittal: number }[] = record.details.answer_relevancy.questions;
    expect(generated).toHaveLength(3);
    const vectors = await post(t, '/llm/embeddings', {
      feature: 'ragas',
      input: [EIFFEL.question, ...generated.map((g) => g.question)],
    });
    expect(vectors.statusCode, vectors.body).toBe(200);
    const [own, ...others] = vectors.json().embeddings;
    expect(record.metrics.answer_relevancy).toBeCloseTo(
      answerRelevancyScore(
        own,
        others,
        generated.map((g) => g.noncommittal),
      ),
      9,
    );

    // Every call the run made is a usage row of the feature under the job's id, at exact cost.
    const rows: Record<string, unknown>[] = (await get(t, `/llm/usage?request_id=${jobId}&limit=100`)).items;
    expect(rows.length).toBeGreaterThanOrEqual(11);
    expect(new Set(rows.map((r) => r.feature))).toEqual(new Set(['ragas']));
    expect(rows.filter((r) => r.kind === 'embeddings')).toHaveLength(1);
    for (const r of rows) {
      expect(r.cost).toBe(exactCost(r.tokens_in as number, r.tokens_out as number).toFixed());
      expect(r.currency).toBe('USD');
    }
    const received = await server.requests();
    const chats = received.filter((r) => r.path === '/v1/chat/completions');
    expect(chats.length).toBe(rows.filter((r) => r.kind === 'structured').length);
    for (const r of chats) {
      const format = r.body.response_format as { type: string; json_schema: { schema: object } };
      expect(format.type).toBe('json_schema');
      expect(r.body.max_tokens).toEqual(expect.any(Number));
    }
    // Usage never exceeds what the estimate allowed out.
    const out = rows.reduce((n, r) => n + (r.tokens_out as number), 0);
    expect(out).toBeLessThanOrEqual(estimate.json().max_tokens_out);
  });

  it('refuses before storing without a ragas binding, and when a budget is used up', async () => {
    const unbound = await newTenant(ctx);
    const refused = await post(unbound, '/quality/ragas/evaluations', {
      dataset: 'none',
      metrics: ['faithfulness'],
      records: [EIFFEL],
    });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().detail).toContain('ragas');
    expect((await get(unbound, '/quality/ragas/evaluations')).items).toEqual([]);

    const t = await boundTenant();
    const first = await post(t, '/quality/ragas/evaluations', {
      dataset: 'budget',
      metrics: ['context_recall'],
      records: [EIFFEL],
      llm_limits: LIMITS,
    });
    expect(first.statusCode, first.body).toBe(202);
    expect((await waitForJob(t, first.json().job_id)).state).toBe('completed');
    const used = (await get(t, '/llm/usage')).items.reduce(
      (n: number, r: { tokens_in: number; tokens_out: number }) => n + r.tokens_in + r.tokens_out,
      0,
    );

    // Room for one more call: the run's first call goes through, the budget refuses the next.
    const budget = await post(t, '/llm/budgets', {
      name: 'ragas tokens',
      kind: 'tokens',
      limit: String(used + 1),
    });
    expect(budget.statusCode, budget.body).toBe(201);
    const partial = await post(t, '/quality/ragas/evaluations', {
      dataset: 'budget',
      metrics: ['faithfulness', 'context_recall'],
      records: [EIFFEL],
      llm_limits: LIMITS,
    });
    expect(partial.statusCode, partial.body).toBe(202);
    const job = await waitForJob(t, partial.json().job_id);
    expect(job).toMatchObject({ state: 'completed', result: { refused_by_budget: true } });
    const record = await get(t, `/quality/ragas/evaluations/${partial.json().items[0].id}`);
    expect(record.metrics).toEqual({});
    expect(record.skipped.faithfulness).toContain('ragas tokens');
    expect(record.skipped.context_recall).toContain('ragas tokens');
    // The one call that went through (and its repair attempt, if the reply needed one).
    const runRows = (await get(t, `/llm/usage?request_id=${partial.json().job_id}`)).items;
    expect(runRows.length).toBeGreaterThanOrEqual(1);
    expect(runRows.length).toBeLessThanOrEqual(2);

    // Now used up: the next run is refused before anything is stored.
    const before = (await get(t, '/quality/ragas/evaluations?dataset=budget')).items.length;
    const over = await post(t, '/quality/ragas/evaluations', {
      dataset: 'budget',
      metrics: ['context_recall'],
      records: [EIFFEL],
    });
    expect(over.statusCode).toBe(429);
    expect(over.json().budget).toMatchObject({ name: 'ragas tokens' });
    expect((await get(t, '/quality/ragas/evaluations?dataset=budget')).items).toHaveLength(before);
  });

  it('skips a metric whose fields a record lacks, and refuses unknown metric names', async () => {
    const t = await boundTenant();
    const run = await post(t, '/quality/ragas/evaluations', {
      dataset: 'partial',
      metrics: ['faithfulness', 'context_recall'],
      records: [{ question: 'Why?', answer: 'Because.' }],
      llm_limits: LIMITS,
    });
    expect(run.statusCode, run.body).toBe(202);
    expect(run.json().estimate.calls).toBe(0);
    await waitForJob(t, run.json().job_id);
    const record = await get(t, `/quality/ragas/evaluations/${run.json().items[0].id}`);
    expect(record.skipped).toEqual({
      faithfulness: 'needs contexts',
      context_recall: 'needs contexts and reference',
    });
    expect(await server.requests()).toEqual([]);
    const unknown = await post(t, '/quality/ragas/estimates', { metrics: ['vibes'], records: [EIFFEL] });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().errors).toEqual([{ path: 'body/metrics/0', message: 'is unknown' }]);
  });
});
