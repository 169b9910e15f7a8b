import { Decimal } from 'decimal.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { newTenant, type TenantFixture } from '../../../test/fixtures.ts';
import { type TestContext, testApp } from '../../../test/helpers.ts';
import { type ModelServer, startModelServer } from '../../../test/model-server.ts';
import { waitForJob } from '../../../test/transfer-helpers.ts';

const KEY = 'sk-test-secret-key-7f3a';
let ctx: TestContext;
let server: ModelServer;

beforeAll(async () => {
  ctx = await testApp();
  server = await startModelServer({ apiKey: KEY });
});
afterAll(async () => {
  await server?.close();
});
beforeEach(async () => {
  await server.control({});
  await server.clearRequests();
});

const hi = [{ role: 'user', content: 'Say something.' }];

async function addConfig(t: TenantFixture, body: Record<string, unknown> = {}) {
  const res = await t.as(t.owner, {
    method: 'POST',
    url: '/api/v1/llm/configurations',
    payload: {
      name: `local-${Math.random().toString(36).slice(2, 8)}`,
      provider: 'openai',
      base_url: `${server.url}/v1`,
      api_key: KEY,
      default_model: server.model,
      ...body,
    },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: number; api_key: string | null; health: { status: string }; breaker: string };
}

async function call(t: TenantFixture, payload: Record<string, unknown>, url = '/api/v1/llm/chat') {
  const defaults = url.endsWith('/embeddings') ? {} : { max_tokens: 8 };
  return t.as(t.owner, { method: 'POST', url, payload: { ...defaults, ...payload } });
}

async function usage(t: TenantFixture, requestId?: string) {
  const res = await t.as(t.owner, {
    method: 'GET',
    url: `/api/v1/llm/usage${requestId ? `?request_id=${requestId}` : ''}`,
  });
  expect(res.statusCode).toBe(200);
  return (res.json().items as Record<string, unknown>[]).reverse();
}

describe('LLM gateway', () => {
  it('seals the API key: never in a response or the table, sent to the provider', async () => {
    const t = await newTenant(ctx);
    const config = await addConfig(t);
    expect(config.api_key).toBe('••••7f3a');
    const list = await t.as(t.owner, { method: 'GET', url: '/api/v1/llm/configurations' });
    expect(list.body).not.toContain(KEY);
    const { rows } = await ctx.platform.database.raw.query(
      'select api_key_sealed from llm_configurations where id = $1',
      [config.id],
    );
    expect(rows[0]!.api_key_sealed).toMatch(/^v\d+\./);
    expect(JSON.stringify(rows)).not.toContain(KEY);
    const res = await call(t, { configuration_id: config.id, messages: hi });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.body).not.toContain(KEY);
    const [received] = await server.requests();
    expect(received?.authorization).toBe(`Bearer ${KEY}`);
  });

  it('calls OpenAI-compatible, Azure and Ollama endpoints and logs tokens with the exact cost', async () => {
    const t = await newTenant(ctx);
    const openai = await addConfig(t);
    const models = await t.as(t.owner, {
      method: 'POST',
      url: `/api/v1/llm/configurations/${openai.id}/models`,
      payload: {
        model: server.model,
        capabilities: ['chat', 'json_schema', 'embeddings'],
        context_window: 2048,
        input_price_per_million: '0.15',
        output_price_per_million: '0.6',
        currency: 'USD',
      },
    });
    expect(models.statusCode, models.body).toBe(201);
    const res = await call(t, { configuration_id: openai.id, messages: hi });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.usage.tokens_in).toBeGreaterThan(0);
    expect(body.usage.tokens_out).toBeGreaterThan(0);
    const expected = new Decimal('0.15')
      .mul(body.usage.tokens_in)
      .add(new Decimal('0.6').mul(body.usage.tokens_out))
      .div(1_000_000);
    expect(body.usage.cost).toBe(expected.toFixed());
    const [row] = await usage(t, res.headers['x-request-id'] as string | undefined);
    expect(row).toMatchObject({
      success: true,
      cost: expected.toFixed(),
      currency: 'USD',
      feature: 'playground',
    });
    expect(row?.tokens_in).toBe(body.usage.tokens_in);
    expect(row?.prompt).toBeNull();

    const azure = await addConfig(t, {
      provider: 'azure_openai',
      base_url: server.url,
      api_version: '2024-10-21',
    });
    await server.clearRequests();
    const viaAzure = await call(t, { configuration_id: azure.id, messages: hi });
    expect(viaAzure.statusCode, viaAzure.body).toBe(200);
    const [azureRequest] = await server.requests();
    expect(azureRequest).toMatchObject({
      path: `/openai/deployments/${server.model}/chat/completions`,
      query: { 'api-version': '2024-10-21' },
      apiKey: KEY,
      authorization: null,
    });

    const ollama = await addConfig(t, { provider: 'ollama', base_url: server.url });
    await server.clearRequests();
    const viaOllama = await call(t, { configuration_id: ollama.id, messages: hi });
    expect(viaOllama.statusCode, viaOllama.body).toBe(200);
    expect(viaOllama.json().usage.tokens_out).toBeGreaterThan(0);
    expect((await server.requests())[0]?.path).toBe('/api/chat');

    const listed = await t.as(t.owner, {
      method: 'GET',
      url: `/api/v1/llm/configurations/${ollama.id}/provider-models`,
    });
    expect(listed.json().models).toEqual([server.model]);
  });

  it('retries after 429 (honouring Retry-After) and 500, logging every attempt', async () => {
    const t = await newTenant(ctx);
    const config = await addConfig(t);
    await server.control({ fail: { status: 429, count: 1, retryAfter: 1 } });
    const first = await call(t, { configuration_id: config.id, messages: hi });
    expect(first.statusCode, first.body).toBe(200);
    await server.control({ fail: { status: 500, count: 2 } });
    const second = await call(t, { configuration_id: config.id, messages: hi });
    expect(second.statusCode, second.body).toBe(200);
    const rows = await usage(t);
    expect(rows.map((r) => [r.attempt, r.success, r.error_code])).toEqual([
      [1, false, 'rate_limited'],
      [2, true, null],
      [1, false, 'server_error'],
      [2, false, 'server_error'],
      [3, true, null],
    ]);
    // The Retry-After second was waited out before the second attempt.
    const times = rows.slice(0, 2).map((r) => Date.parse(r.created_at as string));
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(900);
  });

  it('falls back to the next configuration when the first is down', async () => {
    const t = await newTenant(ctx);
    const backup = await addConfig(t, { name: 'backup' });
    const down = await addConfig(t, {
      name: 'down',
      base_url: 'http://127.0.0.1:9/v1',
      max_retries: 1,
      fallback_ids: [backup.id],
    });
    const res = await call(t, { configuration_id: down.id, messages: hi });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().usage.configuration_id).toBe(backup.id);
    const rows = await usage(t);
    expect(rows.map((r) => [r.configuration_id, r.success, r.error_code])).toEqual([
      [down.id, false, 'network'],
      [down.id, false, 'network'],
      [backup.id, true, null],
    ]);
  });

  it('opens the breaker after repeated failures and closes it after the cooldown', async () => {
    const t = await newTenant(ctx);
    const config = await addConfig(t, { max_retries: 0, breaker_threshold: 2, breaker_cooldown_ms: 1000 });
    await server.control({ fail: { status: 500, count: 100 } });
    expect((await call(t, { configuration_id: config.id, messages: hi })).statusCode).toBe(502);
    expect((await call(t, { configuration_id: config.id, messages: hi })).statusCode).toBe(502);
    await server.clearRequests();
    const refused = await call(t, { configuration_id: config.id, messages: hi });
    expect(refused.statusCode).toBe(503);
    expect(refused.json().code).toBe('circuit_open');
    expect(await server.requests()).toEqual([]);
    const open = await t.as(t.owner, { method: 'GET', url: `/api/v1/llm/configurations/${config.id}` });
    expect(open.json().breaker).toBe('open');
    await server.control({});
    await new Promise((r) => setTimeout(r, 1100));
    const again = await call(t, { configuration_id: config.id, messages: hi });
    expect(again.statusCode, again.body).toBe(200);
    const closed = await t.as(t.owner, { method: 'GET', url: `/api/v1/llm/configurations/${config.id}` });
    expect(closed.json().breaker).toBe('closed');
    expect((await usage(t)).map((r) => r.error_code)).toEqual([
      'server_error',
      'server_error',
      'circuit_open',
      null,
    ]);
  });

  it('ends a call at its timeout and logs it', async () => {
    const t = await newTenant(ctx);
    const config = await addConfig(t, { timeout_ms: 300, max_retries: 0 });
    await server.control({ delayMs: 3000 });
    const res = await call(t, { configuration_id: config.id, messages: hi });
    expect(res.statusCode).toBe(504);
    expect(res.headers['content-type']).toContain('application/problem+json');
    const [row] = await usage(t);
    expect(row).toMatchObject({ success: false, error_code: 'timeout' });
    expect(row?.latency_ms as number).toBeLessThan(3000);
  });

  it('returns structured output valid against the schema, or fails clearly after one repair', async () => {
    const t = await newTenant(ctx);
    const config = await addConfig(t);
    const schema = {
      type: 'object',
      properties: { label: { enum: ['positive', 'negative'] }, sure: { type: 'boolean' } },
      required: ['label', 'sure'],
      additionalProperties: false,
    };
    const ok = await call(
      t,
      { configuration_id: config.id, messages: hi, schema, max_tokens: 60 },
      '/api/v1/llm/structured',
    );
    expect(ok.statusCode, ok.body).toBe(200);
    expect(['positive', 'negative']).toContain(ok.json().value.label);
    expect(typeof ok.json().value.sure).toBe('boolean');
    const sent = (await server.requests())[0]?.body as { response_format: { type: string } };
    expect(sent.response_format.type).toBe('json_schema');

    // A provider that ignores response_format: the random model's text is no such JSON.
    await server.control({ ignoreFormat: true });
    const bad = await call(
      t,
      { configuration_id: config.id, messages: hi, schema },
      '/api/v1/llm/structured',
    );
    expect(bad.statusCode).toBe(422);
    expect(bad.json().errors.length).toBeGreaterThan(0);
    const rows = await usage(t);
    expect(rows.filter((r) => r.kind === 'structured')).toHaveLength(3);
    const repair = (await server.requests()).at(-1)?.body as {
      messages: { role: string; content: string }[];
    };
    expect(repair.messages.at(-1)?.content).toContain('does not match the required JSON schema');

    const invalid = await call(
      t,
      { configuration_id: config.id, messages: hi, schema: { type: 'nope' } },
      '/api/v1/llm/structured',
    );
    expect(invalid.statusCode).toBe(400);
  });

  it('streams a chat as server-sent events and logs the streamed tokens', async () => {
    const t = await newTenant(ctx);
    const config = await addConfig(t);
    const res = await call(t, { configuration_id: config.id, messages: hi, stream: true });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/event-stream');
    expect(res.body).toContain('event: delta');
    const done = res.body.split('\n\n').find((e) => e.startsWith('event: done'));
    const usageOut = JSON.parse(done!.split('data: ')[1]!).usage;
    expect(usageOut.tokens_out).toBeGreaterThan(0);
    const rows = await usage(t);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ kind: 'stream', success: true, tokens_out: usageOut.tokens_out });
  });

  it('makes embeddings through both APIs', async () => {
    const t = await newTenant(ctx);
    for (const provider of ['openai', 'ollama']) {
      const config = await addConfig(t, {
        provider,
        base_url: provider === 'openai' ? `${server.url}/v1` : server.url,
      });
      const res = await call(
        t,
        { configuration_id: config.id, input: ['one', 'two words'] },
        '/api/v1/llm/embeddings',
      );
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().embeddings).toHaveLength(2);
      expect(res.json().embeddings[0].length).toBeGreaterThan(0);
      expect(res.json().usage.tokens_in).toBeGreaterThan(0);
    }
  });

  it('warns at 80% of a monthly budget and refuses the next call at 100% naming it', async () => {
    const t = await newTenant(ctx);
    const config = await addConfig(t);
    const bind = await t.as(t.owner, {
      method: 'PUT',
      url: '/api/v1/llm/bindings/playground',
      payload: { configuration_id: config.id },
    });
    expect(bind.statusCode, bind.body).toBe(200);
    const first = await call(t, { messages: hi });
    expect(first.statusCode, first.body).toBe(200);
    const used = first.json().usage.tokens_in + first.json().usage.tokens_out;
    const budget = await t.as(t.owner, {
      method: 'POST',
      url: '/api/v1/llm/budgets',
      payload: { name: 'monthly tokens', kind: 'tokens', limit: String(Math.ceil(used / 0.9)) },
    });
    expect(budget.statusCode, budget.body).toBe(201);
    expect(budget.json().state).toBe('warning');
    const warned = await call(t, { messages: hi });
    expect(warned.statusCode).toBe(200);
    expect(warned.json().budget_warnings).toEqual(['monthly tokens']);
    const refused = await call(t, { messages: hi });
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.json().budget).toMatchObject({ name: 'monthly tokens', kind: 'tokens' });
    expect(refused.json().detail).toContain('monthly tokens');
    const summary = await t.as(t.owner, { method: 'GET', url: '/api/v1/llm/usage/summary?group_by=feature' });
    expect(summary.json().items).toEqual([
      expect.objectContaining({ key: 'playground', calls: 2, tokens_in: expect.any(Number) }),
    ]);
  });

  it('logs prompts only when the tenant turns it on', async () => {
    const t = await newTenant(ctx);
    const config = await addConfig(t);
    await call(t, { configuration_id: config.id, messages: hi });
    const on = await t.as(t.owner, {
      method: 'PUT',
      url: '/api/v1/llm/settings',
      payload: { log_prompts: true },
    });
    expect(on.statusCode).toBe(200);
    await call(t, { configuration_id: config.id, messages: hi });
    expect((await usage(t)).map((r) => r.prompt)).toEqual([null, hi]);
  });

  it('checks health in the background and keeps it out of /system/services', async () => {
    const t = await newTenant(ctx);
    const config = await addConfig(t);
    const down = await addConfig(t, { base_url: 'http://127.0.0.1:9/v1' });
    for (const c of [config, down]) {
      const queued = await t.as(t.owner, {
        method: 'POST',
        url: `/api/v1/llm/configurations/${c.id}/health-check`,
      });
      expect(queued.statusCode).toBe(202);
      expect((await waitForJob(t, queued.json().job_id)).state).toBe('completed');
    }
    const list = (await t.as(t.owner, { method: 'GET', url: '/api/v1/llm/configurations' })).json().items;
    expect(list.map((c: { health: { status: string } }) => c.health.status)).toEqual(['up', 'down']);
    const services = await ctx.app.inject({ method: 'GET', url: '/system/services' });
    expect(services.body).not.toMatch(/llm/i);
  });

  it('refuses bad configurations with 400s', async () => {
    const t = await newTenant(ctx);
    const post = (payload: Record<string, unknown>) =>
      t.as(t.owner, {
        method: 'POST',
        url: '/api/v1/llm/configurations',
        payload: { name: 'x', provider: 'openai', base_url: `${server.url}/v1`, ...payload },
      });
    expect((await post({ provider: 'azure_openai' })).statusCode).toBe(400);
    expect((await post({ base_url: 'ftp://example.com' })).statusCode).toBe(400);
    expect((await post({ base_url: 'http://user:pw@example.com' })).statusCode).toBe(400);
    expect((await post({ fallback_ids: [999999] })).statusCode).toBe(400);
    expect((await post({ provider: 'gpt' })).statusCode).toBe(400);
    const noBinding = await call(t, { messages: hi });
    expect(noBinding.statusCode).toBe(409);
  });
});
