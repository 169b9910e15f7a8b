import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startModules } from '../src/modules/index.ts';
import { newTenant } from './fixtures.ts';
import {
  dropFreshDatabase,
  freshDatabaseEnv,
  startTestApp,
  type TestContext,
  testApp,
  testEnv,
} from './helpers.ts';

const started: TestContext[] = [];
const fresh: Record<string, string>[] = [];
afterAll(async () => {
  for (const ctx of started) {
    await ctx.app.close();
    await ctx.platform.close();
  }
  for (const env of fresh) await dropFreshDatabase(env);
});

async function another(env: Record<string, string>, migrate = false): Promise<TestContext> {
  const ctx = await startTestApp(env, { migrate });
  started.push(ctx);
  return ctx;
}

describe('several replicas on one database', () => {
  it('makes a forced logout effective on a second server process within 5 s', async (test) => {
    const env = testEnv();
    if (!env.DATABASE_URL) test.skip(); // PGlite is one process by design
    const first = await testApp();
    const second = await another(env);
    const t = await newTenant(first);
    const annotator = await t.member(['annotator']);
    const onSecond = () =>
      second.app.inject({
        method: 'GET',
        url: '/api/v1/auth/me',
        headers: { authorization: `Bearer ${annotator.token}` },
      });
    expect((await onSecond()).statusCode).toBe(200); // now cached on the second replica

    const forced = await t.as(t.owner, {
      method: 'DELETE',
      url: `/api/v1/users/${annotator.userId}/sessions`,
    });
    expect(forced.json().ended).toBe(1);
    const deadline = Date.now() + 5000;
    let status = 200;
    while (Date.now() < deadline && status === 200) {
      status = (await onSecond()).statusCode;
      if (status === 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(401);
  });
});

describe('first start', () => {
  it('creates a default tenant and an owner with a generated password, once', async () => {
    const env = await freshDatabaseEnv();
    fresh.push(env);
    const ctx = await another(env, true);
    const printed: string[] = [];
    const out = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((line: string) => printed.push(String(line)) > 0) as typeof process.stdout.write;
    try {
      await startModules(ctx.platform);
      await startModules(ctx.platform);
    } finally {
      process.stdout.write = out;
    }
    const file = path.join(env.DATA_DIR!, 'initial-admin.txt');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const password = /password: (\S+)/.exec(fs.readFileSync(file, 'utf8'))![1]!;
    expect(password.length).toBeGreaterThanOrEqual(20);
    expect(printed.join('')).toContain(password);
    expect(printed.filter((l) => l.includes('Created the owner account'))).toHaveLength(1);

    const login = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: 'admin@superinsight.local', password },
    });
    expect(login.statusCode).toBe(200);
    expect(login.json()).toMatchObject({ tenant: { slug: 'default' }, roles: ['owner'] });
    const me = await ctx.app.inject({
      method: 'GET',
      url: '/api/v1/auth/me',
      headers: { authorization: `Bearer ${login.json().token}` },
    });
    expect(me.json().is_platform_owner).toBe(true);
  });

  it('uses SUPERINSIGHT_ADMIN_EMAIL and SUPERINSIGHT_ADMIN_PASSWORD when set', async () => {
    const env = await freshDatabaseEnv({
      SUPERINSIGHT_ADMIN_EMAIL: 'root@example.com',
      SUPERINSIGHT_ADMIN_PASSWORD: 'Given-password-77',
    });
    fresh.push(env);
    const ctx = await another(env, true);
    const out = process.stdout.write.bind(process.stdout);
    process.stdout.write = (() => true) as typeof process.stdout.write;
    try {
      await startModules(ctx.platform);
    } finally {
      process.stdout.write = out;
    }
    expect(fs.existsSync(path.join(env.DATA_DIR!, 'initial-admin.txt'))).toBe(false);
    const login = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: 'root@example.com', password: 'Given-password-77' },
    });
    expect(login.statusCode).toBe(200);
  });
});

describe('sign-in rate limit', () => {
  it('answers 429 with Retry-After beyond the per-minute limit', async () => {
    const env = testEnv({ AUTH_RATE_LIMIT_PER_MINUTE: '3' });
    const ctx = env.DATABASE_URL ? await another(env) : await another(env, true);
    const codes: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await ctx.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: 'nobody@rate.test', password: 'whatever-123' },
        remoteAddress: '192.0.2.77',
      });
      codes.push(res.statusCode);
      if (res.statusCode === 429) {
        expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
        expect(res.headers['content-type']).toContain('application/problem+json');
      }
    }
    expect(codes).toEqual([401, 401, 401, 429]);
  });
});
