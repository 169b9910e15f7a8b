import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Member, newTenant, type TenantFixture } from '../../../../test/fixtures.ts';
import { type TestContext, testApp } from '../../../../test/helpers.ts';
import { unauditedMutations } from '../../../../test/labeling-fixtures.ts';

const EIFFEL = {
  question: 'Where is the Eiffel Tower located?',
  answer: 'The Eiffel Tower is located in Paris.',
  contexts: ['The Eiffel Tower is located in Paris.'],
  reference: 'The Eiffel Tower is located in Paris.',
  reference_contexts: [
    'Paris is the capital of France.',
    'The Eiffel Tower is one of the most famous landmarks in Paris.',
  ],
};
// Lin (2004): ROUGE-L 3/4 against "police killed the gunman".
const POLICE = {
  question: 'What happened?',
  answer: 'police kill the gunman',
  reference: 'police killed the gunman',
  contexts: ['zzzzzzzzzz'],
  reference_contexts: ['police killed the gunman'],
};

describe('Ragas evaluations over HTTP', () => {
  let ctx: TestContext;
  let t: TenantFixture;
  let viewer: Member;
  const api = (method: 'GET' | 'POST', url: string, payload?: object, as?: Member) =>
    t.as(as ?? t.owner, { method, url: `/api/v1${url}`, ...(payload ? { payload } : {}) });

  beforeAll(async () => {
    ctx = await testApp();
    t = await newTenant(ctx);
    viewer = await t.member(['viewer'], 'Viewer');
  });

  it('imports a batch, scores it with the non-LLM metrics and summarises the dataset', async () => {
    const unaudited = await unauditedMutations(ctx);
    const res = await api('POST', '/quality/ragas/evaluations', {
      dataset: 'geo',
      records: [EIFFEL, POLICE, { question: 'No answer yet', metadata: { source: 'log' } }],
    });
    expect(res.statusCode, res.body).toBe(201);
    const [eiffel, police, empty] = res.json().items;
    expect(res.json().job_id).toBeNull();
    expect(eiffel.metrics).toMatchObject({
      non_llm_string_similarity: 1,
      rouge_score: 1,
      non_llm_context_recall: 0.5,
    });
    expect(eiffel.metrics.bleu_score).toBeCloseTo(1, 12);
    // Ragas' documented example for NonLLMContextPrecisionWithReference.
    expect(eiffel.metrics.non_llm_context_precision_with_reference).toBeCloseTo(0.9999999999, 10);
    expect(police.metrics.rouge_score).toBeCloseTo(0.75, 12);
    expect(police.metrics.non_llm_context_precision_with_reference).toBe(0);
    expect(police.metrics.non_llm_context_recall).toBe(0);
    expect(empty.metrics).toEqual({});
    expect(Object.keys(empty.skipped).sort()).toEqual([
      'bleu_score',
      'non_llm_context_precision_with_reference',
      'non_llm_context_recall',
      'non_llm_string_similarity',
      'rouge_score',
    ]);
    expect(empty.metadata).toEqual({ source: 'log' });
    expect(await unauditedMutations(ctx)).toBe(unaudited);

    const summary = await api('GET', '/quality/ragas/datasets/geo', undefined, viewer);
    expect(summary.statusCode, summary.body).toBe(200);
    expect(summary.json()).toMatchObject({ dataset: 'geo', records: 3, evaluated: 3 });
    expect(summary.json().metrics.rouge_score).toMatchObject({ count: 2, min: 0.75, max: 1 });
    expect(summary.json().metrics.rouge_score.mean).toBeCloseTo(0.875, 12);
    const all = await api('GET', '/quality/ragas/datasets');
    expect(all.json().items.map((d: { dataset: string }) => d.dataset)).toEqual(['geo']);

    const page = await api('GET', '/quality/ragas/evaluations?dataset=geo&limit=2');
    expect(page.json().items.map((r: { id: number }) => r.id)).toEqual([eiffel.id, police.id]);
    const rest = await api('GET', `/quality/ragas/evaluations?dataset=geo&cursor=${page.json().next_cursor}`);
    expect(rest.json()).toMatchObject({ items: [{ id: empty.id }], next_cursor: null });
    expect((await api('GET', `/quality/ragas/evaluations/${police.id}`)).json().reference).toBe(
      POLICE.reference,
    );
  });

  it('scores in a job when asked to (or when the batch is large)', async () => {
    const res = await api('POST', '/quality/ragas/evaluations', {
      dataset: 'background',
      metrics: ['rouge_score'],
      records: [POLICE],
      background: true,
    });
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json().items[0]).toMatchObject({ metrics: {}, evaluated_at: null });
    const jobId = res.json().job_id;
    const deadline = Date.now() + 30_000;
    let job = (await api('GET', `/jobs/${jobId}`)).json();
    while (job.state !== 'completed' && job.state !== 'failed') {
      if (Date.now() > deadline) throw new Error(`job still ${job.state}`);
      await sleep(100);
      job = (await api('GET', `/jobs/${jobId}`)).json();
    }
    expect(job).toMatchObject({ state: 'completed', result: { evaluated: 1 } });
    const record = (await api('GET', `/quality/ragas/evaluations/${res.json().items[0].id}`)).json();
    expect(record.metrics).toEqual({ rouge_score: 0.75 });
    expect(record.evaluated_at).toEqual(expect.any(String));
  });

  it('refuses unknown metrics and bad records', async () => {
    const unknown = await api('POST', '/quality/ragas/evaluations', {
      dataset: 'refused',
      metrics: ['rouge_score', 'vibes'],
      records: [EIFFEL],
    });
    expect(unknown.json().errors).toEqual([{ path: 'body/metrics/1', message: 'is unknown' }]);
    const bad = await api('POST', '/quality/ragas/evaluations', {
      dataset: 'refused',
      records: [{ contexts: [{ text: 'one' }] }],
    });
    expect(bad.statusCode).toBe(400);
    expect(
      (await api('POST', '/quality/ragas/evaluations', { dataset: 'refused', records: [] })).statusCode,
    ).toBe(400);
    expect(
      (await api('POST', '/quality/ragas/evaluations', { dataset: 'refused', records: [EIFFEL] }, viewer))
        .statusCode,
    ).toBe(403);
    expect((await api('GET', '/quality/ragas/datasets/none')).statusCode).toBe(404);
    expect((await api('GET', '/quality/ragas/evaluations/999999999')).statusCode).toBe(404);
    // Nothing was stored by the refused requests.
    expect((await api('GET', '/quality/ragas/evaluations?dataset=refused')).json().items).toEqual([]);
  });
});
