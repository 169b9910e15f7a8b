import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newTenant, type TenantFixture } from '../../../../test/fixtures.ts';
import { type TestContext, testApp } from '../../../../test/helpers.ts';
import { type ModelServer, startModelServer } from '../../../../test/model-server.ts';
import { inTenant } from '../../../platform/db/tenancy.ts';
import { sqlGenerationLogs } from '../schema.ts';
import { generateWithLlm, MAX_CORRECTIONS } from './generate.ts';

let ctx: TestContext;
let server: ModelServer;
let t: TenantFixture;

beforeAll(async () => {
  ctx = await testApp();
  server = await startModelServer();
  t = await newTenant(ctx);
  const config = await t.as(t.owner, {
    method: 'POST',
    url: '/api/v1/llm/configurations',
    payload: { name: 'local', provider: 'openai', base_url: `${server.url}/v1`, default_model: server.model },
  });
  expect(config.statusCode, config.body).toBe(201);
  const binding = await t.as(t.owner, {
    method: 'PUT',
    url: '/api/v1/llm/bindings/text_to_sql',
    payload: { configuration_id: config.json().id, model: server.model },
  });
  expect(binding.statusCode, binding.body).toBe(200);
  await inTenant(ctx.platform.database.db, { tenantId: t.tenantId }, (tx) =>
    tx.insert(sqlGenerationLogs).values({
      tenantId: t.tenantId,
      question: 'How many tasks are pending?',
      method: 'llm',
      sql: "select count(*) from tasks where status = 'pending'",
      durationMs: 1,
      outcome: 'answered',
      feedbackCorrect: true,
    }),
  );
});
afterAll(async () => {
  await server?.close();
});

const context = () => ({ tenantId: t.tenantId, userId: t.owner.userId, requestId: 'test' });
const CONFIG = { llmBinding: null, statementTimeoutMs: 5000 };

describe('generateWithLlm against the local model', () => {
  it('sends each error back, and after the last correction round cannot answer, naming the error', async () => {
    await server.clearRequests();
    const result = await generateWithLlm(ctx.platform, context(), 'How many tasks are in progress?', CONFIG, [
      { question: 'Total billing amount', sql: 'select sum(amount) from billing_lines' },
    ]);
    // The random-weight model writes no valid SQL: that is what the rounds show.
    expect(result).toHaveProperty('cannotAnswer');
    const reason = (result as { cannotAnswer: string }).cannotAnswer;
    expect(reason).toMatch(
      /^No valid query after 3 corrections; the last error: (sql_syntax|not_select|[a-z_]+|database):/,
    );
    type Message = { role: string; content: string };
    // The gateway's own repair requests (a reply that was not JSON) are left out: these are ours.
    const requests = (await server.requests())
      .filter((r) => r.path.endsWith('/chat/completions'))
      .map((r) => r.body.messages as Message[])
      .filter((m) => !m.at(-1)!.content.startsWith('That reply does not match'));
    expect(requests).toHaveLength(MAX_CORRECTIONS + 1);
    const messages = (i: number) => requests[i]!;
    const first = messages(0);
    expect(first[0]!.content).toContain('CREATE VIEW tasks (');
    expect(first[0]!.content).not.toContain('CREATE VIEW billing_lines');
    // The confirmed log is the closest example; the caller's unrelated one shares no word.
    expect(first[1]!.content).toContain("select count(*) from tasks where status = 'pending'");
    expect(first[1]!.content).not.toContain('billing_lines');
    // Each round adds the model's query and its error; the last reply's error is the reason.
    for (let i = 1; i <= MAX_CORRECTIONS; i++) {
      expect(messages(i)).toHaveLength(first.length + 2 * i);
      expect(messages(i).at(-2)!.role).toBe('assistant');
      expect(messages(i).at(-1)!.content).toMatch(/^That query cannot be used: [a-z_]+: /);
    }
  });

  it('cannot answer, without calling a model, when no LLM is bound to the feature', async () => {
    await server.clearRequests();
    const generated = await generateWithLlm(
      ctx.platform,
      context(),
      'tasks',
      { ...CONFIG, llmBinding: 'ragas' },
      [],
    );
    expect(generated).toEqual({ cannotAnswer: expect.stringContaining('No LLM is bound') });
    expect(await server.requests()).toEqual([]);
  });

  it('answers POST /sql/ask with method llm as a logged 422 cannot_answer, naming the last error', async () => {
    await server.clearRequests();
    const res = await t.as(t.owner, {
      method: 'POST',
      url: '/api/v1/sql/ask',
      payload: { question: '每种状态有多少任务', method: 'llm' },
    });
    expect(res.statusCode, res.body).toBe(422);
    expect(res.json()).toMatchObject({ code: 'cannot_answer' });
    expect(res.json().detail).toMatch(/^No valid query after 3 corrections; the last error: /);
    const first = (await server.requests()).find((r) => r.path.endsWith('/chat/completions'))!;
    // The pack's phrasing is the closest example.
    expect(JSON.stringify(first.body.messages)).toContain(
      'Question: 每种状态有多少任务\\nSQL: select status',
    );
  });
});
