import { randomUUID } from 'node:crypto';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { sql } from 'drizzle-orm';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { wireModules } from '../src/modules/index.ts';
import { tenants } from '../src/platform/auth/schema.ts';
import { LEGACY_PROBLEM_CODES, PROBLEM_CODES } from '../src/platform/errors/codes.ts';
import { type Platform, startPlatform } from '../src/platform/index.ts';
import { type TestContext, testEnv } from './helpers.ts';

/**
 * Like startTestApp, but lets the test add its own routes after the platform's plugins
 * and modules are registered and before the app is ready (Fastify refuses routes after).
 */
async function startAppWithRoutes(
  env: Record<string, string>,
  addRoutes: (app: FastifyInstance, platform: Platform) => void,
): Promise<TestContext> {
  const config = loadConfig(env);
  const platform = await startPlatform(config, pino({ level: 'silent' }), {
    pgliteDir: null,
    migrate: !config.databaseUrl,
  });
  try {
    const app = await buildApp(platform);
    addRoutes(app, platform);
    wireModules(platform);
    await platform.startJobs({ work: false });
    await app.ready();
    return { app, platform };
  } catch (err) {
    await platform.close();
    throw err;
  }
}

const LEAK_MARKER = 'secret-internal-detail-7f3a';

const Widget = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    count: Type.Integer({ minimum: 0 }),
    tags: Type.Optional(Type.Array(Type.String())),
  },
  { additionalProperties: false },
);

function addTestRoutes(app: FastifyInstance, platform: Platform): void {
  const typed = app.withTypeProvider<TypeBoxTypeProvider>();
  typed.post(
    '/test/widgets',
    {
      schema: {
        body: Widget,
        response: { 201: Type.Object({ name: Type.String(), count: Type.Integer() }) },
      },
    },
    async (req, reply) => reply.code(201).send({ name: req.body.name, count: req.body.count }),
  );
  typed.get('/test/boom', async () => {
    throw new Error(`${LEAK_MARKER}: connection string postgres://user:pw@db/prod`);
  });
  // Data errors the database raises that no schema at the edge foresaw.
  const dataErrors: Record<string, string> = {
    // 22012 division_by_zero: class 22, no entry of its own.
    'division-by-zero': 'select 1 / 0',
    // 54023 too_many_arguments: class 54, program limit exceeded.
    'too-many-arguments': `select concat(${Array.from({ length: 101 }, () => "'x'").join(', ')})`,
  };
  typed.get(
    '/test/data-error/:case',
    { schema: { params: Type.Object({ case: Type.String() }) } },
    async (req) => {
      await platform.database.db.execute(sql.raw(dataErrors[req.params.case] ?? 'select 1'));
      return { ok: true };
    },
  );
  typed.post(
    '/test/tenants',
    { schema: { body: Type.Object({ slug: Type.String(), name: Type.String() }) } },
    async (req, reply) => {
      const [row] = await platform.database.db
        .insert(tenants)
        .values({ slug: req.body.slug, name: req.body.name })
        .returning({ id: tenants.id });
      return reply.code(201).send(row);
    },
  );
}

/** Everything every error response must satisfy: problem+json, its own status, no stack. */
function expectProblem(res: LightMyRequestResponse, status: number) {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = res.json();
  expect(body).toMatchObject({ status, type: expect.any(String), title: expect.any(String) });
  expect(typeof body.detail).toBe('string');
  expect(body.request_id).toBe(res.headers['x-request-id']);
  expect(body).not.toHaveProperty('stack');
  // A V8 stack frame looks like "at fn (/path/file.ts:12:34)"; no body may carry one.
  expect(res.body).not.toMatch(/\bat [^\n]*:\d+:\d+/);
  expect(res.body).not.toMatch(/node_modules|\/src\/|\.ts\b/);
  // The console translates the code; an unknown one would show English.
  expect([...PROBLEM_CODES, ...LEGACY_PROBLEM_CODES]).toContain(body.code);
  expect(body.params).toEqual(expect.any(Object));
  return body as {
    status: number;
    code: string;
    params: Record<string, unknown>;
    detail: string;
    errors?: { path: string; message: string; code?: string; params?: Record<string, unknown> }[];
  };
}

describe('bad input at the edge', () => {
  let ctx: TestContext;
  const post = (payload: unknown, headers: Record<string, string> = {}) =>
    ctx.app.inject({
      method: 'POST',
      url: '/test/widgets',
      headers: { 'content-type': 'application/json', ...headers },
      payload: typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload),
    });

  beforeAll(async () => {
    ctx = await startAppWithRoutes(testEnv({ BODY_LIMIT_BYTES: '2048' }), addTestRoutes);
  });

  afterAll(async () => {
    await ctx?.app.close();
    await ctx?.platform.close();
  });

  it('accepts a valid body (so the failures below are about the input)', async () => {
    const res = await post({ name: 'a', count: 3, tags: ['x'] });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual({ name: 'a', count: 3 });
  });

  it.each([
    ['an unterminated object', '{"name": "a", "count": '],
    ['a trailing comma', '{"name": "a", "count": 1,}'],
    ['single quotes', "{'name': 'a'}"],
    ['bare words', 'hello'],
  ])('answers malformed JSON (%s) with 400', async (_label, raw) => {
    expectProblem(await post(raw), 400);
  });

  it('answers an empty JSON body with 400', async () => {
    expectProblem(await post(''), 400);
  });

  it('rejects a prototype-pollution body with 400', async () => {
    const res = await post('{"name":"a","count":1,"__proto__":{"admin":true}}');
    expectProblem(res, 400);
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  it.each([
    ['count is a word', { name: 'a', count: 'many' }, 'body/count'],
    ['count is negative', { name: 'a', count: -1 }, 'body/count'],
    ['count is a fraction', { name: 'a', count: 1.5 }, 'body/count'],
    ['count is an object', { name: 'a', count: { n: 1 } }, 'body/count'],
    ['name is empty', { name: '', count: 1 }, 'body/name'],
    ['name is an object', { name: { first: 'a' }, count: 1 }, 'body/name'],
    ['tags is an object', { name: 'a', count: 1, tags: { a: 1 } }, 'body/tags'],
    ['a tag is an object', { name: 'a', count: 1, tags: ['ok', { a: 1 }] }, 'body/tags/1'],
    ['count is missing', { name: 'a' }, 'body/count'],
    ['name is missing', { count: 1 }, 'body/name'],
    ['an unknown field', { name: 'a', count: 1, admin: true }, 'body/admin'],
  ])('answers a body where %s with 400 naming the field', async (_label, payload, path) => {
    const body = expectProblem(await post(payload), 400);
    expect(body.errors, JSON.stringify(body)).toEqual(
      expect.arrayContaining([expect.objectContaining({ path, message: expect.any(String) })]),
    );
  });

  it.each([
    [
      { name: '', count: 1 },
      { path: 'body/name', code: 'minLength', params: { limit: 1 } },
    ],
    [
      { name: 'a', count: -1 },
      { path: 'body/count', code: 'minimum', params: { limit: 0, comparison: '>=' } },
    ],
    [
      { name: 'a', count: 1, admin: true },
      { path: 'body/admin', code: 'additionalProperties', params: { additionalProperty: 'admin' } },
    ],
    [{ count: 1 }, { path: 'body/name', code: 'required', params: { missingProperty: 'name' } }],
  ])(
    'gives a schema field error its rule (ajv keyword) and the values it names: %j',
    async (payload, error) => {
      const body = expectProblem(await post(payload), 400);
      expect(body.code).toBe('request.schema');
      expect(body.errors).toEqual([expect.objectContaining(error)]);
    },
  );

  it.each([
    ['an array', [{ name: 'a', count: 1 }]],
    ['null', null],
    ['a number', 42],
  ])('answers a body that is %s with 400', async (_label, payload) => {
    const body = expectProblem(await post(payload), 400);
    expect(body.errors?.length).toBeGreaterThan(0);
  });

  it('answers an oversized body with 413', async () => {
    const big = { name: 'a'.repeat(4096), count: 1 };
    expect(expectProblem(await post(big), 413).code).toBe('http.payload_too_large');
  });

  it('answers an oversized body with a lying content-length with 413 or 400, never 5xx', async () => {
    const res = await post(JSON.stringify({ name: 'a'.repeat(4096), count: 1 }), { 'content-length': '10' });
    expect([400, 413]).toContain(res.statusCode);
    expectProblem(res, res.statusCode);
  });

  it.each([
    'application/xml',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'image/png',
  ])('answers an unsupported content type (%s) with 415', async (type) => {
    expect(expectProblem(await post('<widget/>', { 'content-type': type }), 415).code).toBe(
      'http.unsupported_media_type',
    );
  });

  it('answers text/plain (which Fastify parses as a string) with 400, not 5xx', async () => {
    expectProblem(await post('name=a', { 'content-type': 'text/plain' }), 400);
  });

  it('answers unknown routes and wrong methods with 404', async () => {
    for (const [method, url] of [
      ['GET', '/no/such/route'],
      ['GET', '/api/v1/no-such-resource'],
      ['DELETE', '/test/widgets'],
      ['GET', '/test/widgets'],
    ] as const) {
      const body = expectProblem(await ctx.app.inject({ method, url }), 404);
      expect(body.detail).toContain(url);
      expect(body).toMatchObject({ code: 'http.no_route', params: { method, path: url } });
    }
  });

  it('hides what a plain Error said behind a 500 problem', async () => {
    const res = await ctx.app.inject({ method: 'GET', url: '/test/boom' });
    const body = expectProblem(res, 500);
    expect(res.body).not.toContain(LEAK_MARKER);
    expect(res.body).not.toContain('postgres://');
    expect(body.detail).toMatch(/request id/i);
    expect(body.code).toBe('server.unexpected');
  });

  it('maps a unique-index violation from the database to 409', async () => {
    const slug = `bad-input-${randomUUID()}`;
    const first = await ctx.app.inject({
      method: 'POST',
      url: '/test/tenants',
      payload: { slug, name: 'One' },
    });
    expect(first.statusCode, first.body).toBe(201);
    const again = await ctx.app.inject({
      method: 'POST',
      url: '/test/tenants',
      payload: { slug, name: 'Two' },
    });
    const body = expectProblem(again, 409);
    // The SQL, the constraint and the value stay in the logs.
    expect(again.body).not.toContain('tenants_slug_key');
    expect(again.body).not.toContain(slug.slice(11));
    expect(body.detail).toMatch(/already exists/);
    expect(body).toMatchObject({ code: 'db.unique_violation', params: { sqlstate: '23505' } });
  });

  it.each(['division-by-zero', 'too-many-arguments'])(
    'answers a database data error (%s) with 400, naming no SQL',
    async (name) => {
      const res = await ctx.app.inject({ method: 'GET', url: `/test/data-error/${name}` });
      const body = expectProblem(res, 400);
      expect(res.body).not.toMatch(/concat|select/i);
      expect(body.detail.length).toBeGreaterThan(0);
    },
  );

  it('counts none of the bad requests as server errors except the deliberate one', async () => {
    await ctx.platform.sampler.tick();
    const status = (await ctx.app.inject({ method: 'GET', url: '/system/status' })).json();
    // Only /test/boom answered 5xx in this file.
    expect(status.requests.errors_total).toBe(1);
  });
});
