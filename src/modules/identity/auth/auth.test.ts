import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { login, newTenant, PASSWORD } from '../../../../test/fixtures.ts';
import { testApp } from '../../../../test/helpers.ts';

describe('authentication', () => {
  it('signs in with a bearer token and an HttpOnly cookie', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: t.owner.email, password: PASSWORD },
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.token).toMatch(/^sis_/);
    expect(body.tenant.slug).toBe(t.slug);
    expect(body.permissions).toEqual(['*']);
    const cookie = res.cookies.find((c) => c.name === 'si_session')!;
    expect(cookie.httpOnly).toBe(true);
    expect(cookie.sameSite).toBe('Lax');

    const viaBearer = await t.as(t.owner, { method: 'GET', url: '/api/v1/auth/me' });
    expect(viaBearer.json().user.email).toBe(t.owner.email);
    const viaCookie = await ctx.app.inject({
      method: 'GET',
      url: '/api/v1/auth/me',
      cookies: { si_session: cookie.value },
    });
    expect(viaCookie.statusCode).toBe(200);
    expect(viaCookie.json().roles).toEqual(['owner']);
  });

  it('refuses a wrong password or unknown account with the same 401', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const wrong = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: t.owner.email, password: 'nope-nope-nope' },
    });
    const unknown = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: 'nobody@x.test', password: 'nope-nope-nope' },
    });
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.json().detail).toBe(unknown.json().detail);
    expect(wrong.headers['content-type']).toContain('application/problem+json');
  });

  it('locks an account after 5 failures, answers 429 with Retry-After and raises a security event', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const annotator = await t.member(['annotator'], 'Locky');
    for (let i = 0; i < 5; i++) {
      const r = await ctx.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: annotator.email, password: `bad-password-${i}` },
      });
      expect(r.statusCode).toBe(401);
    }
    const locked = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: annotator.email, password: PASSWORD },
    });
    expect(locked.statusCode).toBe(429);
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(800);
    const events = await t.as(t.owner, {
      method: 'GET',
      url: '/api/v1/security/events?type=failed_login_burst',
    });
    expect(events.json().items).toEqual([
      expect.objectContaining({
        type: 'failed_login_burst',
        severity: 'high',
        status: 'open',
        user_id: annotator.userId,
      }),
    ]);
  });

  it('ends the oldest session beyond five per user', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const tokens = [t.owner.token];
    for (let i = 0; i < 5; i++) tokens.push((await login(ctx.app, t.owner.email)).token);
    const first = await ctx.app.inject({
      method: 'GET',
      url: '/api/v1/auth/me',
      headers: { authorization: `Bearer ${tokens[0]}` },
    });
    expect(first.statusCode).toBe(401);
    const last = await ctx.app.inject({
      method: 'GET',
      url: '/api/v1/auth/me',
      headers: { authorization: `Bearer ${tokens[5]}` },
    });
    expect(last.statusCode).toBe(200);
    const mine = await ctx.app.inject({
      method: 'GET',
      url: '/api/v1/auth/sessions?include_ended=true',
      headers: { authorization: `Bearer ${tokens[5]}` },
    });
    const reasons = mine.json().items.map((s: { ended_reason: string | null }) => s.ended_reason);
    expect(reasons.filter((r: string | null) => r === null)).toHaveLength(5);
    expect(reasons).toContain('session_limit');
  });

  it('logs out, and ends idle sessions', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const out = await t.as(t.owner, { method: 'POST', url: '/api/v1/auth/logout' });
    expect(out.statusCode).toBe(204);
    expect((await t.as(t.owner, { method: 'GET', url: '/api/v1/auth/me' })).statusCode).toBe(401);

    const s = await login(ctx.app, t.owner.email);
    const me = await ctx.app.inject({
      method: 'GET',
      url: '/api/v1/auth/me',
      headers: { authorization: `Bearer ${s.token}` },
    });
    const sessionId = me.json().session_id;
    await ctx.platform.database.db.execute(
      sql`update sessions set last_activity_at = now() - interval '2 hours' where id = ${sessionId}`,
    );
    await ctx.app.auth.authenticator.evict({ sessionId });
    const idle = await ctx.app.inject({
      method: 'GET',
      url: '/api/v1/auth/me',
      headers: { authorization: `Bearer ${s.token}` },
    });
    expect(idle.statusCode).toBe(401);
    const { rows } = await ctx.platform.database.raw.query(
      'select ended_reason from sessions where id = $1',
      [sessionId],
    );
    expect(rows[0]?.ended_reason).toBe('idle_timeout');
  });

  it('lets an admin force a member to log out, at once', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const annotator = await t.member(['annotator']);
    expect((await t.as(annotator, { method: 'GET', url: '/api/v1/auth/me' })).statusCode).toBe(200);
    const sessions = await t.as(t.owner, {
      method: 'GET',
      url: `/api/v1/users/${annotator.userId}/sessions`,
    });
    expect(sessions.json().items).toHaveLength(1);
    const forced = await t.as(t.owner, {
      method: 'DELETE',
      url: `/api/v1/users/${annotator.userId}/sessions`,
    });
    expect(forced.json()).toEqual({ ended: 1 });
    expect((await t.as(annotator, { method: 'GET', url: '/api/v1/auth/me' })).statusCode).toBe(401);
  });

  it('changes a password under the policy and ends the other sessions', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const other = await login(ctx.app, t.owner.email);
    const weak = await t.as(t.owner, {
      method: 'POST',
      url: '/api/v1/auth/password',
      payload: { current_password: PASSWORD, new_password: 'short' },
    });
    expect(weak.statusCode).toBe(400);
    expect(weak.json().errors[0].path).toBe('body/new_password');
    const asEmail = await t.as(t.owner, {
      method: 'POST',
      url: '/api/v1/auth/password',
      payload: { current_password: PASSWORD, new_password: t.owner.email },
    });
    expect(asEmail.statusCode).toBe(400);
    const wrongCurrent = await t.as(t.owner, {
      method: 'POST',
      url: '/api/v1/auth/password',
      payload: { current_password: 'not-my-password', new_password: 'A-much-better-one-9' },
    });
    expect(wrongCurrent.statusCode).toBe(400);
    const ok = await t.as(t.owner, {
      method: 'POST',
      url: '/api/v1/auth/password',
      payload: { current_password: PASSWORD, new_password: 'A-much-better-one-9' },
    });
    expect(ok.statusCode).toBe(204);
    expect((await t.as(t.owner, { method: 'GET', url: '/api/v1/auth/me' })).statusCode).toBe(200);
    const otherMe = await ctx.app.inject({
      method: 'GET',
      url: '/api/v1/auth/me',
      headers: { authorization: `Bearer ${other.token}` },
    });
    expect(otherMe.statusCode).toBe(401);
    await login(ctx.app, t.owner.email, 'A-much-better-one-9');
  });
});

describe('API tokens', () => {
  it('holds a subset of the creator permissions, is shown once, and can be revoked', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const manager = await t.member(['manager']);
    const beyond = await t.as(manager, {
      method: 'POST',
      url: '/api/v1/tokens',
      payload: { name: 'too much', permissions: ['audit:read'] },
    });
    expect(beyond.statusCode).toBe(403);
    const created = await t.as(manager, {
      method: 'POST',
      url: '/api/v1/tokens',
      payload: { name: 'ci', permissions: ['users:read'] },
    });
    expect(created.statusCode).toBe(201);
    const token = created.json().token as string;
    expect(token).toMatch(/^sit_/);
    const machine = { ...manager, token };
    expect((await t.as(machine, { method: 'GET', url: '/api/v1/users' })).statusCode).toBe(200);
    expect((await t.as(machine, { method: 'GET', url: '/api/v1/roles' })).statusCode).toBe(403);
    const listed = await t.as(manager, { method: 'GET', url: '/api/v1/tokens' });
    expect(listed.json().items).toHaveLength(1);
    expect(listed.body).not.toContain(token);
    const revoke = await t.as(manager, { method: 'DELETE', url: `/api/v1/tokens/${created.json().id}` });
    expect(revoke.statusCode).toBe(204);
    expect((await t.as(machine, { method: 'GET', url: '/api/v1/users' })).statusCode).toBe(401);
  });

  it('loses what its creator loses, and stops at its expiry', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const admin = await t.member(['admin']);
    const created = await t.as(admin, {
      method: 'POST',
      url: '/api/v1/tokens',
      payload: { name: 'audit reader', permissions: ['audit:read'] },
    });
    const machine = { ...admin, token: created.json().token };
    expect((await t.as(machine, { method: 'GET', url: '/api/v1/audit/logs' })).statusCode).toBe(200);
    const roles = (await t.as(t.owner, { method: 'GET', url: '/api/v1/roles' })).json();
    const adminRole = roles.find((r: { name: string }) => r.name === 'admin');
    const viewerRole = roles.find((r: { name: string }) => r.name === 'viewer');
    await t.as(t.owner, {
      method: 'POST',
      url: `/api/v1/users/${admin.userId}/roles`,
      payload: { role_id: viewerRole.id },
    });
    await t.as(t.owner, { method: 'DELETE', url: `/api/v1/users/${admin.userId}/roles/${adminRole.id}` });
    expect((await t.as(machine, { method: 'GET', url: '/api/v1/audit/logs' })).statusCode).toBe(403);

    const past = await t.as(t.owner, {
      method: 'POST',
      url: '/api/v1/tokens',
      payload: { name: 'old', permissions: ['users:read'], expires_at: '2001-01-01T00:00:00Z' },
    });
    expect(past.statusCode).toBe(400);
  });
});
