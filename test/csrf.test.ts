import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { responseHeaders } from '../src/platform/http/headers.ts';
import { newProject } from './annotation-fixtures.ts';
import { newTenant, PASSWORD, type TenantFixture } from './fixtures.ts';
import { startTestApp, type TestContext, testApp, testEnv } from './helpers.ts';
import { seedTasks } from './labeling-fixtures.ts';

// What light-my-request sends as Host, so the console's own origin.
const SITE = 'http://localhost:80';

async function cookieSession(ctx: TestContext, t: TenantFixture) {
  const res = await ctx.app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { email: t.owner.email, password: PASSWORD },
  });
  expect(res.statusCode).toBe(200);
  const session = res.cookies.find((c) => c.name === 'si_session')!;
  const csrf = res.cookies.find((c) => c.name === 'si_csrf')!;
  expect(csrf.httpOnly).toBeFalsy();
  expect(csrf.value).not.toBe(session.value);
  return { cookies: { si_session: session.value, si_csrf: csrf.value }, token: csrf.value };
}

describe('login CSRF', () => {
  it("refuses a sign-in posted from another site's page, and takes the console's and API clients'", async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const login = (headers: Record<string, string>) =>
      ctx.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        headers,
        payload: { email: t.owner.email, password: PASSWORD },
      });
    const fromOrigin = await login({ origin: 'https://evil.example' });
    expect(fromOrigin.statusCode).toBe(403);
    expect(fromOrigin.headers['content-type']).toMatch(/problem\+json/);
    expect(fromOrigin.cookies).toEqual([]);
    expect((await login({ 'sec-fetch-site': 'cross-site' })).statusCode).toBe(403);
    expect((await login({ 'sec-fetch-site': 'same-site' })).statusCode).toBe(403);
    expect((await login({ origin: SITE })).statusCode).toBe(200);
    expect((await login({ 'sec-fetch-site': 'same-origin' })).statusCode).toBe(200);
    expect((await login({ 'sec-fetch-site': 'none' })).statusCode).toBe(200); // typed into the address bar
    expect((await login({})).statusCode).toBe(200); // curl, SDKs
  });
});

describe('CSRF: cookie-signed requests', () => {
  const rename = (ctx: TestContext, headers: Record<string, string>, cookies: Record<string, string>) =>
    ctx.app.inject({
      method: 'PATCH',
      url: '/api/v1/tenant',
      headers,
      cookies,
      payload: { name: 'Renamed' },
    });

  it('refuses a write from another origin, or without the token, and accepts the console’s', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const { cookies, token } = await cookieSession(ctx, t);

    const crossSite = await rename(ctx, { origin: 'https://evil.example', 'x-csrf-token': token }, cookies);
    expect(crossSite.statusCode).toBe(403);
    expect(crossSite.headers['content-type']).toMatch(/problem\+json/);
    expect(crossSite.json().detail).toMatch(/Origin/);
    const sameSiteOtherPort = await rename(
      ctx,
      { origin: 'http://localhost:8080', 'x-csrf-token': token },
      cookies,
    );
    expect(sameSiteOtherPort.statusCode).toBe(403);
    expect((await rename(ctx, { 'x-csrf-token': token }, cookies)).statusCode).toBe(403);
    const noToken = await rename(ctx, { origin: SITE }, cookies);
    expect(noToken.statusCode).toBe(403);
    expect(noToken.json().detail).toMatch(/x-csrf-token/);
    const wrongToken = await rename(ctx, { origin: SITE, 'x-csrf-token': `${token.slice(1)}x` }, cookies);
    expect(wrongToken.statusCode).toBe(403);
    // A planted si_csrf cookie does not help: the token is tied to the session.
    const planted = await rename(
      ctx,
      { origin: SITE, 'x-csrf-token': 'planted' },
      { ...cookies, si_csrf: 'planted' },
    );
    expect(planted.statusCode).toBe(403);

    const console = await rename(ctx, { origin: SITE, 'x-csrf-token': token }, cookies);
    expect(console.statusCode, console.body).toBe(200);
    const fetchMetadata = await rename(
      ctx,
      { 'sec-fetch-site': 'same-origin', 'x-csrf-token': token },
      cookies,
    );
    expect(fetchMetadata.statusCode).toBe(200);
    // Reads need neither.
    const read = await ctx.app.inject({ method: 'GET', url: '/api/v1/auth/me', cookies });
    expect(read.statusCode).toBe(200);
  });

  it('refuses a cross-site multipart import signed in by cookie', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const project = await newProject(t);
    const { cookies, token } = await cookieSession(ctx, t);
    const boundary = 'xyz';
    const res = await ctx.app.inject({
      method: 'POST',
      url: `/api/v1/projects/${project.id}/import`,
      cookies,
      headers: {
        origin: 'https://attacker.example',
        'x-csrf-token': token,
        'content-type': `multipart/form-data; boundary=${boundary}`,
      },
      payload: `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="t.txt"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--${boundary}--\r\n`,
    });
    expect(res.statusCode).toBe(403);
    const tasks = await t.as(t.owner, { method: 'GET', url: `/api/v1/projects/${project.id}` });
    expect(tasks.json().task_count).toBe(0);
  });

  it('leaves bearer-token requests alone, whatever their origin', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const res = await t.as(t.owner, {
      method: 'PATCH',
      url: '/api/v1/tenant',
      headers: { origin: 'https://other.example' },
      payload: { name: 'By token' },
    });
    expect(res.statusCode).toBe(200);
  });

  it('treats the reservation of GET /projects/{id}/next like a write', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const project = await newProject(t);
    await seedTasks(ctx, t, project, 2);
    const { cookies, token } = await cookieSession(ctx, t);
    const url = `/api/v1/projects/${project.id}/next`;
    // A cross-site navigation carries the Lax cookie but no header: refused, nothing reserved.
    const navigation = await ctx.app.inject({
      method: 'GET',
      url,
      cookies,
      headers: { 'sec-fetch-site': 'cross-site' },
    });
    expect(navigation.statusCode).toBe(403);
    const noToken = await ctx.app.inject({
      method: 'GET',
      url,
      cookies,
      headers: { 'sec-fetch-site': 'same-origin' },
    });
    expect(noToken.statusCode).toBe(403);
    const console = await ctx.app.inject({
      method: 'GET',
      url,
      cookies,
      headers: { 'sec-fetch-site': 'same-origin', 'x-csrf-token': token },
    });
    expect(console.statusCode, console.body).toBe(200);
    expect(console.json().id).toBeGreaterThan(0);
  });

  it('sets the token cookie for a session that predates it', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const { cookies, token } = await cookieSession(ctx, t);
    const res = await ctx.app.inject({
      method: 'GET',
      url: '/api/v1/auth/me',
      cookies: { si_session: cookies.si_session },
    });
    expect(res.cookies.find((c) => c.name === 'si_csrf')?.value).toBe(token);
  });
});

describe('security headers', () => {
  it('sends a CSP that forbids foreign scripts and framing, and nosniff; no HSTS by default', async () => {
    const ctx = await testApp();
    for (const url of ['/health', '/api/v1/auth/me', '/docs/json']) {
      const res = await ctx.app.inject({ method: 'GET', url });
      const csp = String(res.headers['content-security-policy']);
      expect(csp).toMatch(/script-src 'self'(;|$)/);
      expect(csp).toContain("frame-ancestors 'self'");
      expect(csp).toContain("object-src 'none'");
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['strict-transport-security']).toBeUndefined();
    }
  });

  it('sends HSTS when configured', async () => {
    const app = Fastify();
    responseHeaders(app, 31_536_000);
    app.get('/', async () => ({ ok: true }));
    const res = await app.inject({ method: 'GET', url: '/' });
    expect(res.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    await app.close();
  });
});

describe('Secure cookies behind a TLS-terminating proxy', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await startTestApp(testEnv({ TRUST_PROXY: 'true' }));
  });
  afterAll(async () => {
    await ctx?.app.close();
    await ctx?.platform.close();
  });

  it('marks the session and token cookies Secure when the request came over HTTPS, not otherwise', async () => {
    const t = await newTenant(ctx);
    const signIn = (headers: Record<string, string>) =>
      ctx.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        headers,
        payload: { email: t.owner.email, password: PASSWORD },
      });
    const tls = await signIn({ 'x-forwarded-proto': 'https' });
    expect(tls.cookies.map((c) => [c.name, c.secure])).toEqual([
      ['si_session', true],
      ['si_csrf', true],
    ]);
    const plain = await signIn({});
    expect(plain.cookies.every((c) => !c.secure)).toBe(true);
  });
});
