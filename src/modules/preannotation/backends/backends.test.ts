import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newProject, seedTasks } from '../../../../test/annotation-fixtures.ts';
import { newTenant, type TenantFixture } from '../../../../test/fixtures.ts';
import { type TestContext, testApp } from '../../../../test/helpers.ts';
import { systemSql } from '../../../../test/labeling-fixtures.ts';
import { mlBackend } from '../../../../test/ml-backend.ts';
import { waitForJob } from '../../../../test/transfer-helpers.ts';

let ctx: TestContext;
const servers: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  ctx = await testApp();
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function backendServer(...args: Parameters<typeof mlBackend>) {
  const s = await mlBackend(...args);
  servers.push(s);
  return s;
}

interface BackendJson {
  id: number;
  state: string;
  state_error: string | null;
  model_version: string | null;
  model_class: string | null;
  has_secret: boolean;
  latency_ms: number | null;
}

async function addBackend(t: TenantFixture, projectId: number, body: Record<string, unknown>) {
  const res = await t.as(t.owner, {
    method: 'POST',
    url: `/api/v1/projects/${projectId}/ml-backends`,
    payload: { title: 'Naive Bayes', ...body },
  });
  expect(res.statusCode, res.body).toBe(202);
  const { backend, job_id } = res.json() as { backend: BackendJson; job_id: string };
  expect(backend.state).toBe('checking');
  expect((await waitForJob(t, job_id)).state).toBe('completed');
  const now = await t.as(t.owner, {
    method: 'GET',
    url: `/api/v1/projects/${projectId}/ml-backends/${backend.id}`,
  });
  return now.json() as BackendJson;
}

async function calls(t: TenantFixture, projectId: number, backendId: number) {
  const res = await t.as(t.owner, {
    method: 'GET',
    url: `/api/v1/projects/${projectId}/ml-backends/${backendId}/calls`,
  });
  expect(res.statusCode).toBe(200);
  return res.json().items as {
    operation: string;
    action: string | null;
    ok: boolean;
    error: string | null;
  }[];
}

/** Polls until `done` holds (a webhook is delivered by a job). */
async function until(done: () => boolean | Promise<boolean>, what: string) {
  const deadline = Date.now() + 60_000;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const REVIEWS = [
  ['a wonderful film, I loved the acting', 'Positive'],
  ['great story and great music, loved it', 'Positive'],
  ['terrible plot, boring and far too long', 'Negative'],
  ['awful acting, a boring waste of time', 'Negative'],
] as const;

describe('ML backends (Label Studio protocol)', () => {
  it('adds a backend with 202, probes /health and /setup in the background, and logs each call', async () => {
    const t = await newTenant(ctx);
    const project = await newProject(t);
    const server = await backendServer({ basic: { user: 'ml', password: 'pw-9f2c' } });
    const backend = await addBackend(t, project.id, {
      url: server.url,
      auth_method: 'basic',
      basic_user: 'ml',
      secret: 'pw-9f2c',
      access_token: 'ls-token-for-backend',
    });
    expect(backend).toMatchObject({
      state: 'up',
      model_version: 'nb-0',
      model_class: 'NaiveBayesText',
      has_secret: true,
    });
    const setup = server.received.find((r) => r.path === '/setup')!;
    expect(setup.authorization).toBe(`Basic ${Buffer.from('ml:pw-9f2c').toString('base64')}`);
    expect(setup.body).toMatchObject({
      schema: project.label_config,
      access_token: 'ls-token-for-backend',
      hostname: ctx.platform.config.publicUrl ?? `http://localhost:${ctx.platform.config.port}`,
    });
    expect(String(setup.body!.project)).toMatch(new RegExp(`^${project.id}\\.\\d{10}$`));
    expect((await calls(t, project.id, backend.id)).map((c) => [c.operation, c.ok])).toEqual([
      ['setup', true],
      ['health', true],
    ]);
    // Secrets are sealed at rest and never answered.
    const [row] = await systemSql<{ s: string; a: string }>(
      ctx,
      sql`select secret_sealed as s, access_token_sealed as a from annotation_plugins where id = ${backend.id}`,
    );
    expect(row!.s).not.toContain('pw-9f2c');
    expect(row!.a).not.toContain('ls-token');
    expect(JSON.stringify(backend)).not.toContain('pw-9f2c');
  });

  it('a slow, refusing or garbage-speaking backend is marked down with the reason, never blocking the request', async () => {
    const t = await newTenant(ctx);
    const project = await newProject(t);
    const slow = await backendServer({ delayMs: 3_000 });
    const down = await addBackend(t, project.id, { url: slow.url, timeout_ms: 300 });
    expect(down.state).toBe('down');
    expect(down.state_error).toBe('GET /health: the backend did not answer within 300 ms');
    const garbage = await backendServer({ garbage: '<html>oops</html>' });
    const bad = await addBackend(t, project.id, { url: garbage.url });
    expect(bad.state_error).toBe("GET /health: the backend's answer is not JSON");
    const locked = await backendServer({ basic: { user: 'ml', password: 'right' } });
    const refused = await addBackend(t, project.id, {
      url: locked.url,
      auth_method: 'basic',
      basic_user: 'ml',
      secret: 'wrong',
    });
    expect(refused.state_error).toMatch(/^GET \/health: the backend answered 401/);
    const log = await calls(t, project.id, refused.id);
    expect(log).toEqual([expect.objectContaining({ operation: 'health', ok: false })]);
    // Fixing the credentials probes it again, and it comes up.
    const patched = await t.as(t.owner, {
      method: 'PATCH',
      url: `/api/v1/projects/${project.id}/ml-backends/${refused.id}`,
      payload: { secret: 'right' },
    });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json().backend.state).toBe('checking');
    expect((await waitForJob(t, patched.json().job_id)).state).toBe('completed');
    const again = await t.as(t.owner, {
      method: 'GET',
      url: `/api/v1/projects/${project.id}/ml-backends/${refused.id}`,
    });
    expect(again.json()).toMatchObject({ state: 'up', state_error: null });
  });

  it('forwards annotation events to /webhook, so the backend trains and its predictions change', async () => {
    const t = await newTenant(ctx);
    const project = await newProject(t);
    const server = await backendServer();
    const backend = await addBackend(t, project.id, { url: server.url });
    const ids = await seedTasks(
      ctx,
      t,
      project.id,
      REVIEWS.map(([text]) => ({ data: { text } })),
    );
    const probe = 'boring and awful';
    const before = await server.predict(probe);
    // One failure first: the webhook job retries it.
    server.set({ failNext: 1 });
    for (const [i, [, label]] of REVIEWS.entries()) {
      const res = await t.as(t.owner, {
        method: 'POST',
        url: `/api/v1/tasks/${ids[i]}/annotations`,
        payload: {
          result: [{ from_name: 'sentiment', to_name: 'text', type: 'choices', value: { choices: [label] } }],
        },
      });
      expect(res.statusCode, res.body).toBe(201);
    }
    await until(() => server.trainedCount() === REVIEWS.length, 'the backend to learn from every annotation');
    const hook = server.received.find(
      (r) => r.path === '/webhook' && r.body?.action === 'ANNOTATION_CREATED',
    )!;
    expect(hook.body).toMatchObject({
      project: { id: project.id, label_config: project.label_config },
      task: { data: { text: expect.any(String) } },
      annotation: { result: [expect.objectContaining({ from_name: 'sentiment' })] },
    });
    const after = await server.predict(probe);
    expect(before.score).toBeCloseTo(1 / 3, 5);
    expect(after.label).toBe('Negative');
    expect(after.score).toBeGreaterThan(0.6);
    const log = await calls(t, project.id, backend.id);
    expect(log.filter((c) => c.operation === 'webhook' && c.ok)).toHaveLength(REVIEWS.length);
    expect(log.filter((c) => c.operation === 'webhook' && !c.ok)).toHaveLength(1);

    const train = await t.as(t.owner, {
      method: 'POST',
      url: `/api/v1/projects/${project.id}/ml-backends/${backend.id}/train`,
    });
    expect(train.statusCode).toBe(202);
    expect((await waitForJob(t, train.json().job_id)).state).toBe('completed');
    expect(server.received.some((r) => r.path === '/webhook' && r.body?.action === 'START_TRAINING')).toBe(
      true,
    );
  });

  it('refuses bad input with 400s, hides backends across tenants and from members without the permission', async () => {
    const t = await newTenant(ctx);
    const other = await newTenant(ctx);
    const project = await newProject(t);
    const post = (payload: Record<string, unknown>, as = t.owner, id = project.id) =>
      t.as(as, {
        method: 'POST',
        url: `/api/v1/projects/${id}/ml-backends`,
        payload: { title: 'x', ...payload },
      });
    for (const bad of [
      { url: 'not a url' },
      { url: 'ftp://example.com' },
      { url: 'http://user:pw@example.com' },
      { url: 'http://example.com', auth_method: 'basic', secret: 'pw' },
      { url: 'http://example.com', auth_method: 'bearer' },
      { url: 'http://example.com', timeout_ms: 10 },
      { url: 'http://example.com', auth_method: 'kerberos' },
    ]) {
      const res = await post(bad);
      expect(res.statusCode, JSON.stringify(bad)).toBe(400);
      expect(res.headers['content-type']).toMatch(/problem\+json/);
    }
    const server = await backendServer();
    const backend = await addBackend(t, project.id, { url: server.url });
    const annotator = await t.member(['annotator']);
    expect((await post({ url: server.url }, annotator)).statusCode).toBe(403);
    const theirs = await other.as(other.owner, {
      method: 'GET',
      url: `/api/v1/projects/${project.id}/ml-backends/${backend.id}`,
    });
    expect(theirs.statusCode).toBe(404);
    const deleted = await t.as(t.owner, {
      method: 'DELETE',
      url: `/api/v1/projects/${project.id}/ml-backends/${backend.id}`,
    });
    expect(deleted.statusCode).toBe(204);
    const list = await t.as(t.owner, { method: 'GET', url: `/api/v1/projects/${project.id}/ml-backends` });
    expect(list.json().items).toEqual([]);
    const [audit] = await systemSql<{ n: number }>(
      ctx,
      sql`select count(*)::int as n from audit_logs where tenant_id = ${t.tenantId} and action like 'ml_backend.%'`,
    );
    expect(audit!.n).toBe(2);
  });

  it("serves Label Studio's /api/ml over the same backends", async () => {
    const t = await newTenant(ctx);
    const project = await newProject(t);
    const server = await backendServer({ basic: { user: 'ml', password: 'pw' } });
    const created = await t.as(t.owner, {
      method: 'POST',
      url: '/api/ml/',
      payload: {
        project: project.id,
        url: server.url,
        title: 'LS backend',
        auth_method: 'BASIC_AUTH',
        basic_auth_user: 'ml',
        basic_auth_pass: 'pw',
        timeout: 5,
        id: 999,
      },
    });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id as number;
    expect(created.json()).toMatchObject({ state: 'DI', timeout: 5, basic_auth_pass_is_set: true });
    await until(async () => {
      const now = await t.as(t.owner, { method: 'GET', url: `/api/ml/${id}` });
      return now.json().state === 'CO';
    }, 'the backend to be connected');
    const list = await t.as(t.owner, { method: 'GET', url: `/api/ml?project=${project.id}` });
    expect(list.json()).toEqual([
      expect.objectContaining({
        id,
        readable_state: 'Connected',
        model_version: 'nb-0',
        auth_method: 'BASIC_AUTH',
      }),
    ]);
    const patched = await t.as(t.owner, {
      method: 'PATCH',
      url: `/api/ml/${id}/`,
      payload: { title: 'Renamed' },
    });
    expect(patched.json().title).toBe('Renamed');
    const train = await t.as(t.owner, { method: 'POST', url: `/api/ml/${id}/train` });
    expect(train.statusCode).toBe(200);
    expect((await waitForJob(t, train.json().job_id)).state).toBe('completed');
    expect(server.received.some((r) => r.body?.action === 'START_TRAINING')).toBe(true);
    const other = await newTenant(ctx);
    expect((await other.as(other.owner, { method: 'GET', url: `/api/ml/${id}` })).statusCode).toBe(404);
    expect((await other.as(other.owner, { method: 'DELETE', url: `/api/ml/${id}` })).statusCode).toBe(404);
    expect((await t.as(t.owner, { method: 'DELETE', url: `/api/ml/${id}` })).statusCode).toBe(204);
    expect((await t.as(t.owner, { method: 'GET', url: `/api/ml/${id}` })).statusCode).toBe(404);
  });
});
