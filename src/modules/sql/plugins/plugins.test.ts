import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newProject } from '../../../../test/annotation-fixtures.ts';
import { newTenant, type TenantFixture } from '../../../../test/fixtures.ts';
import { type TestContext, testApp } from '../../../../test/helpers.ts';
import { pluginServer } from '../../../../test/sql-plugin-server.ts';
import { PROBE_QUESTION } from './routes.ts';

const KEY = 'sk-plugin-secret-4242';
const PARAMS_QUESTION = 'frames in seven';

let ctx: TestContext;
let t: TenantFixture;
let server: Awaited<ReturnType<typeof pluginServer>>;
let pluginId: number;

const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT', url: string, payload?: object) =>
  t.as(t.owner, { method, url: `/api/v1${url}`, ...(payload ? { payload } : {}) });
const askPlugin = (question: string, extra: object = { plugin_id: pluginId }) =>
  call('POST', '/sql/ask', { question, method: 'third_party', ...extra });
const lastLog = async () => (await call('GET', '/sql/logs?limit=1')).json().items[0];
const raw = async (text: string, params: unknown[]) =>
  (await ctx.platform.database.raw.query(text, params)).rows as Record<string, unknown>[];

beforeAll(async () => {
  ctx = await testApp();
  t = await newTenant(ctx);
  await newProject(t, { title: 'Plugin project one' });
  await newProject(t, { title: 'Plugin project two' });
  server = await pluginServer(KEY, {
    [PROBE_QUESTION]: { sql: 'select count(*)::int as projects from projects', confidence: 0.8 },
    'how many projects': { sql: 'select count(*)::int as projects from projects', confidence: 0.9 },
    [PARAMS_QUESTION]: { sql: 'select $1::int as frames', params: [7] },
  });
  const created = await call('POST', '/sql/plugins', {
    name: 'acme nl2sql',
    endpoint_url: server.url,
    api_key: KEY,
    timeout_ms: 500,
  });
  expect(created.statusCode, created.body).toBe(201);
  pluginId = created.json().id;
});

afterAll(() => server.close());

describe('third-party plugins', () => {
  it('keeps the key write-only: ••••last4 in responses, ciphertext in the database, absent from the audit log', async () => {
    const one = await call('GET', `/sql/plugins/${pluginId}`);
    expect(one.json()).toMatchObject({
      id: pluginId,
      name: 'acme nl2sql',
      endpoint_url: server.url,
      api_key: '••••4242',
      timeout_ms: 500,
      enabled: true,
    });
    const list = await call('GET', '/sql/plugins');
    expect(list.json().items.map((p: { id: number }) => p.id)).toEqual([pluginId]);
    for (const body of [one.body, list.body]) expect(body).not.toContain(KEY);

    const [row] = await raw('select api_key_sealed from third_party_plugins where id = $1', [pluginId]);
    expect(String(row!.api_key_sealed)).not.toContain(KEY);
    expect(String(row!.api_key_sealed).length).toBeGreaterThan(KEY.length);
    const audits = await raw(
      `select details::text as d from audit_logs where tenant_id = $1 and action like 'sql.plugin.%'`,
      [t.tenantId],
    );
    expect(audits.length).toBeGreaterThan(0);
    for (const a of audits) expect(a.d).not.toContain(KEY);
  });

  it('answers through the plugin with rows, sending the contract’s request with the bearer key, and logs it', async () => {
    const res = await askPlugin('how many projects');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      method: 'third_party',
      plugin_id: pluginId,
      sql: 'select count(*)::int as projects from projects',
      params: [],
      confidence: 0.9,
      template_id: null,
      columns: ['projects'],
      rows: [{ projects: 2 }],
    });
    const sent = server.received.at(-1)!;
    expect(sent.authorization).toBe(`Bearer ${KEY}`);
    expect(sent.body).toMatchObject({ question: 'how many projects', dialect: 'postgresql' });
    const views = (sent.body.schema as { name: string; columns: { name: string }[] }[]).map((v) => v.name);
    expect(views).toEqual(expect.arrayContaining(['projects', 'tasks', 'annotations', 'members']));
    expect(Array.isArray(sent.body.examples)).toBe(true);

    expect(await lastLog()).toMatchObject({
      id: res.json().log_id,
      method: 'third_party',
      outcome: 'answered',
      plugin_id: pluginId,
      plugin_latency_ms: expect.any(Number),
      row_count: 1,
      question: 'how many projects',
    });
    const [audit] = await raw(
      `select details from audit_logs where tenant_id = $1 and action = 'sql.ask' order by id desc limit 1`,
      [t.tenantId],
    );
    expect(audit!.details).toMatchObject({ method: 'third_party', plugin_id: pluginId });
  });

  it('binds the plugin’s parameters, and leaves confidence null when it gives none', async () => {
    const res = await askPlugin(PARAMS_QUESTION);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ params: [7], confidence: null, rows: [{ frames: 7 }] });
  });

  it('uses the configuration’s plugin when the question names none, and refuses another’s id there', async () => {
    const config = {
      default_method: 'third_party',
      row_limit: 1000,
      statement_timeout_ms: 5000,
      enabled_sources: ['platform'],
      llm_binding: null,
    };
    const none = await call('POST', '/sql/ask', { question: PARAMS_QUESTION });
    expect(none.statusCode).toBe(422); // hybrid by default: no template, no LLM
    const unknown = await call('PUT', '/sql/configuration', { ...config, plugin_id: 999_999 });
    expect(unknown.statusCode).toBe(400);
    const put = await call('PUT', '/sql/configuration', { ...config, plugin_id: pluginId });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json()).toMatchObject({ default_method: 'third_party', plugin_id: pluginId });
    const res = await call('POST', '/sql/ask', { question: PARAMS_QUESTION });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ method: 'third_party', plugin_id: pluginId, rows: [{ frames: 7 }] });
    // Back to no plugin: third_party says what is missing.
    await call('PUT', '/sql/configuration', { ...config, default_method: 'hybrid' });
    const unchosen = await askPlugin('how many projects', {});
    expect(unchosen.statusCode).toBe(422);
    expect(unchosen.json()).toMatchObject({ code: 'cannot_answer' });
    expect(unchosen.json().detail).toContain('No third-party plugin is chosen');
  });

  it('passes on the plugin’s own cannot_answer as a logged 422', async () => {
    const res = await askPlugin('what is the weather on Mars');
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ code: 'cannot_answer' });
    expect(res.json().detail).toContain('I know nothing about');
    expect(await lastLog()).toMatchObject({
      outcome: 'refused',
      method: 'third_party',
      plugin_id: pluginId,
      sql: '',
    });
  });

  it('refuses the plugin’s DELETE with the validator’s 400, as for any other method', async () => {
    server.setMode('delete');
    try {
      const res = await askPlugin('how many projects');
      expect(res.statusCode, res.body).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json()).toMatchObject({ code: 'not_select' });
      expect(await lastLog()).toMatchObject({
        outcome: 'refused',
        error: 'not_select',
        sql: 'delete from tasks',
        method: 'third_party',
        plugin_id: pluginId,
      });
      const count = await call('POST', '/sql/run', { sql: 'select count(*)::int as n from projects' });
      expect(count.json().rows).toEqual([{ n: 2 }]);
    } finally {
      server.setMode('map');
    }
  });

  it('turns a slow plugin into a 504 within its timeout, logged as timeout, without blocking other requests', async () => {
    server.setMode('slow');
    try {
      const started = performance.now();
      const [res, live] = await Promise.all([
        askPlugin('how many projects'),
        (async () => {
          const r = await ctx.app.inject({ method: 'GET', url: '/health/live' });
          return { status: r.statusCode, ms: performance.now() - started };
        })(),
      ]);
      const elapsed = performance.now() - started;
      expect(res.statusCode, res.body).toBe(504);
      expect(res.json()).toMatchObject({ code: 'plugin_failed', reason: 'timeout' });
      expect(res.json().detail).toContain('did not answer within 500 ms');
      expect(elapsed).toBeLessThan(1900); // the plugin would answer after 2 s
      expect(live.status).toBe(200);
      expect(live.ms).toBeLessThan(elapsed);
      expect(await lastLog()).toMatchObject({
        outcome: 'timeout',
        method: 'third_party',
        plugin_id: pluginId,
      });
    } finally {
      server.setMode('map');
    }
  });

  it('turns HTTP errors, non-JSON and off-contract replies into a clear 502, never a 500', async () => {
    for (const [mode, reason] of [
      ['error', 'bad_status'],
      ['garbage', 'bad_response'],
      ['off_contract', 'bad_response'],
    ] as const) {
      server.setMode(mode);
      const res = await askPlugin('how many projects');
      expect(res.statusCode, `${mode}: ${res.body}`).toBe(502);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json()).toMatchObject({ code: 'plugin_failed', reason });
      expect(res.body).not.toContain('<html>');
      expect(await lastLog()).toMatchObject({ outcome: 'error', plugin_id: pluginId });
    }
    server.setMode('map');
  });

  it('says so when the plugin refuses the key, and never shows the key', async () => {
    const patched = await call('PATCH', `/sql/plugins/${pluginId}`, { api_key: 'sk-wrong-key-0000' });
    expect(patched.json()).toMatchObject({ api_key: '••••0000', timeout_ms: 500 });
    try {
      const res = await askPlugin('how many projects');
      expect(res.statusCode).toBe(502);
      expect(res.json()).toMatchObject({ code: 'plugin_failed', reason: 'unauthorized' });
      expect(res.json().detail).toContain('refused the API key');
      expect(res.body).not.toContain('sk-wrong-key');
      const tested = await call('POST', `/sql/plugins/${pluginId}/test`);
      expect(tested.json()).toMatchObject({ ok: false, failure: 'unauthorized' });
    } finally {
      await call('PATCH', `/sql/plugins/${pluginId}`, { api_key: KEY });
    }
  });

  it('tests a plugin with the probe question: ok, latency, its SQL and whether the validator takes it', async () => {
    const ok = await call('POST', `/sql/plugins/${pluginId}/test`);
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({
      ok: true,
      latency_ms: expect.any(Number),
      failure: null,
      error: null,
      sql: 'select count(*)::int as projects from projects',
      refused: null,
      cannot_answer: null,
    });
    expect(server.received.at(-1)!.body.question).toBe(PROBE_QUESTION);
    server.setMode('delete');
    const refused = await call('POST', `/sql/plugins/${pluginId}/test`);
    expect(refused.json()).toMatchObject({ ok: true, sql: 'delete from tasks', refused: 'not_select' });
    server.setMode('error');
    const failed = await call('POST', `/sql/plugins/${pluginId}/test`);
    expect(failed.json()).toMatchObject({ ok: false, failure: 'bad_status', sql: null });
    server.setMode('map');

    // The guarded client refuses addresses the operator did not allow, before connecting.
    const metadata = await call('POST', '/sql/plugins', {
      name: 'metadata',
      endpoint_url: 'http://169.254.169.254/latest',
      api_key: 'whatever',
    });
    const probe = await call('POST', `/sql/plugins/${metadata.json().id}/test`);
    expect(probe.json()).toMatchObject({ ok: false, failure: 'refused_address' });
    expect((await call('DELETE', `/sql/plugins/${metadata.json().id}`)).statusCode).toBe(204);
  });

  it('refuses a disabled plugin, and bad input with 4xx', async () => {
    await call('PATCH', `/sql/plugins/${pluginId}`, { enabled: false });
    const res = await askPlugin('how many projects');
    expect(res.statusCode).toBe(422);
    expect(res.json().detail).toContain('disabled');
    await call('PATCH', `/sql/plugins/${pluginId}`, { enabled: true });

    const base = { name: 'x', endpoint_url: 'https://example.com/sql', api_key: 'k' };
    expect(
      (await call('POST', '/sql/plugins', { ...base, endpoint_url: 'ftp://example.com' })).statusCode,
    ).toBe(400);
    expect((await call('POST', '/sql/plugins', { ...base, endpoint_url: 'not a url' })).statusCode).toBe(400);
    expect(
      (await call('POST', '/sql/plugins', { ...base, endpoint_url: 'https://u:p@example.com' })).statusCode,
    ).toBe(400);
    expect(
      (await call('POST', '/sql/plugins', { name: 'x', endpoint_url: base.endpoint_url })).statusCode,
    ).toBe(400);
    expect((await call('POST', '/sql/plugins', { ...base, name: 'acme nl2sql' })).statusCode).toBe(409);
    expect((await call('PATCH', `/sql/plugins/${pluginId}`, {})).statusCode).toBe(400);
    expect((await askPlugin('how many projects', { plugin_id: 999_999 })).statusCode).toBe(404);
    expect((await call('GET', '/sql/plugins/999999')).statusCode).toBe(404);
  });

  it('clears the configuration’s plugin when the plugin is deleted', async () => {
    const other = await call('POST', '/sql/plugins', {
      name: 'short-lived',
      endpoint_url: server.url,
      api_key: KEY,
    });
    const id = other.json().id;
    const config = {
      default_method: 'third_party',
      row_limit: 1000,
      statement_timeout_ms: 5000,
      enabled_sources: ['platform'],
      llm_binding: null,
      plugin_id: id,
    };
    expect((await call('PUT', '/sql/configuration', config)).statusCode).toBe(200);
    expect((await call('DELETE', `/sql/plugins/${id}`)).statusCode).toBe(204);
    expect((await call('GET', '/sql/configuration')).json()).toMatchObject({ plugin_id: null });
    expect((await call('DELETE', `/sql/plugins/${id}`)).statusCode).toBe(404);
    await call('PUT', '/sql/configuration', { ...config, default_method: 'hybrid', plugin_id: null });
  });
});
