import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { type Member, newTenant, PASSWORD, type TenantFixture } from '../../../../test/fixtures.ts';
import { testApp } from '../../../../test/helpers.ts';

/**
 * Sign-ins of this file come from an address of their own, so they do not spend the
 * per-address sign-in budget that the fixtures' sign-ins (from 127.0.0.1) share.
 */
function signIn(app: FastifyInstance, email: string, password: string, tenant?: string) {
  return app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { email, password, tenant },
    remoteAddress: '192.0.2.41',
  });
}

function expectProblem(res: { statusCode: number; headers: Record<string, unknown> }, status: number) {
  expect(res.statusCode).toBe(status);
  expect(String(res.headers['content-type'])).toContain('application/problem+json');
}

function addUser(t: TenantFixture, payload: Record<string, unknown>, by: Member = t.owner) {
  return t.as(by, { method: 'POST', url: '/api/v1/users', payload });
}

async function allPages(t: TenantFixture, query: string): Promise<{ id: string; email: string }[][]> {
  const pages: { id: string; email: string }[][] = [];
  let cursor: string | null = null;
  do {
    const url: string = `/api/v1/users?${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const res = await t.as(t.owner, { method: 'GET', url });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json() as { items: { id: string; email: string }[]; next_cursor: string | null };
    pages.push(body.items);
    cursor = body.next_cursor;
    expect(pages.length).toBeLessThan(20);
  } while (cursor);
  return pages;
}

describe('members', () => {
  it('creates an account with a generated password shown once, and refuses a weak one', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const email = `gen-${randomUUID().slice(0, 8)}@${t.slug}.test`;
    const res = await addUser(t, { email, name: 'Generated', roles: ['annotator'] });
    expect(res.statusCode, res.body).toBe(201);
    const body = res.json();
    expect(body.created).toBe(true);
    expect(body.generated_password).toEqual(expect.any(String));
    expect(body.generated_password.length).toBeGreaterThanOrEqual(20);
    expect(body.user).toEqual(
      expect.objectContaining({
        email,
        name: 'Generated',
        status: 'active',
        roles: [expect.objectContaining({ role: 'annotator', expires_at: null })],
      }),
    );
    const shown = await t.as(t.owner, { method: 'GET', url: `/api/v1/users/${body.user.id}` });
    expect(shown.statusCode).toBe(200);
    expect(shown.body).not.toContain(body.generated_password);
    const login = await signIn(ctx.app, email, body.generated_password, t.slug);
    expect(login.statusCode).toBe(200);
    expect(login.json().roles).toEqual(['annotator']);

    const weakEmail = `weak-${randomUUID().slice(0, 8)}@${t.slug}.test`;
    for (const password of ['short', 'aaaaaaaaaaaaaa', weakEmail.toUpperCase()]) {
      const weak = await addUser(t, { email: weakEmail, password, roles: [] });
      expectProblem(weak, 400);
      expect(weak.json().errors).toEqual([{ path: 'body/password', message: expect.any(String) }]);
    }
    const none = await t.as(t.owner, { method: 'GET', url: `/api/v1/users?q=${weakEmail}` });
    expect(none.json().items).toEqual([]);
    expectProblem(await signIn(ctx.app, weakEmail, 'short'), 401);

    const badEmail = await addUser(t, { email: 'not-an-email', roles: [] });
    expectProblem(badEmail, 400);
    expect(badEmail.json().errors[0].path).toBe('body/email');
    const badRole = await addUser(t, { email: weakEmail, roles: ['emperor'] });
    expectProblem(badRole, 400);
    expect(badRole.json().errors[0].path).toBe('body/roles');
    const extra = await addUser(t, { email: weakEmail, roles: [], is_platform_owner: true });
    expectProblem(extra, 400);
  });

  it('only those with users:manage add members, and not with roles beyond their own', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const admin = await t.member(['admin'], 'Admin');
    const email = `x-${randomUUID().slice(0, 8)}@${t.slug}.test`;
    expectProblem(await addUser(t, { email, roles: ['owner'] }, admin), 403);
    const ok = await addUser(t, { email, roles: ['admin'] }, admin);
    expect(ok.statusCode).toBe(201);
    const viewer = await t.member(['viewer'], 'Viewer');
    expectProblem(await addUser(t, { email: `v-${email}`, roles: [] }, viewer), 403);
    expectProblem(await t.as(viewer, { method: 'GET', url: '/api/v1/users' }), 403);
  });

  it('an account of another tenant joins as a member, keeps its password, and joins once', async () => {
    const ctx = await testApp();
    const home = await newTenant(ctx);
    const t = await newTenant(ctx);
    const person = await home.member(['annotator'], 'Traveller');

    const joined = await addUser(t, {
      email: person.email.toUpperCase(),
      name: 'Renamed',
      password: 'Another-password-99',
      roles: ['viewer'],
    });
    expect(joined.statusCode, joined.body).toBe(201);
    expect(joined.json().created).toBe(false);
    expect(joined.json().generated_password).toBeUndefined();
    expect(joined.json().user).toEqual(
      expect.objectContaining({ id: person.userId, email: person.email, name: 'Traveller' }),
    );

    // Adding someone is not a way to set their password.
    expectProblem(await signIn(ctx.app, person.email, 'Another-password-99', t.slug), 401);
    const there = await signIn(ctx.app, person.email, PASSWORD, t.slug);
    expect(there.statusCode).toBe(200);
    expect(there.json()).toEqual(
      expect.objectContaining({ tenant: expect.objectContaining({ slug: t.slug }), roles: ['viewer'] }),
    );
    const back = await signIn(ctx.app, person.email, PASSWORD, home.slug);
    expect(back.json().roles).toEqual(['annotator']);

    const again = await addUser(t, { email: person.email, roles: [] });
    expectProblem(again, 409);
    const listed = await t.as(t.owner, { method: 'GET', url: `/api/v1/users?q=${person.email}` });
    expect(listed.json().items).toHaveLength(1);
    // The tenant that did not add them still cannot see the other membership's roles.
    const fromHome = await home.as(home.owner, { method: 'GET', url: `/api/v1/users/${person.userId}` });
    expect(fromHome.json().roles.map((r: { role: string }) => r.role)).toEqual(['annotator']);
  });

  it('lists members with cursor pagination and search', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const names = ['Alice Anders', 'Bob Brown', 'Carol Anders', 'Dave Dunn', 'Eve Evans'];
    const ids: string[] = [t.owner.userId];
    for (const name of names) {
      const email = `${name.split(' ')[0]!.toLowerCase()}-${randomUUID().slice(0, 6)}@${t.slug}.test`;
      const res = await addUser(t, { email, name, roles: ['viewer'] });
      expect(res.statusCode).toBe(201);
      ids.push(res.json().user.id);
    }
    const pages = await allPages(t, 'limit=2');
    expect(pages.map((p) => p.length)).toEqual([2, 2, 2]);
    const seen = pages.flat().map((u) => u.id);
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort()).toEqual([...ids].sort());
    // Newest first.
    expect(seen).toEqual([...ids].reverse());

    const anders = await allPages(t, 'limit=1&q=anders');
    expect(anders.flat().map((u) => u.id)).toEqual([ids[3], ids[1]]);
    const byEmail = await t.as(t.owner, { method: 'GET', url: '/api/v1/users?q=BOB-' });
    expect(byEmail.json().items.map((u: { id: string }) => u.id)).toEqual([ids[2]]);
    // Search text is literal: LIKE wildcards match only themselves.
    for (const wildcard of ['%25', '_', '%5C']) {
      const res = await t.as(t.owner, { method: 'GET', url: `/api/v1/users?q=${wildcard}` });
      expect(res.statusCode).toBe(200);
      expect(res.json().items).toEqual([]);
    }
    const all = await t.as(t.owner, { method: 'GET', url: '/api/v1/users?limit=1000' });
    expect(all.json()).toEqual({ items: expect.any(Array), next_cursor: null });
    expect(all.json().items).toHaveLength(6);

    for (const bad of ['limit=0', 'limit=1001', 'limit=two', 'cursor=not-a-cursor', 'status=gone']) {
      const res = await t.as(t.owner, { method: 'GET', url: `/api/v1/users?${bad}` });
      expectProblem(res, 400);
      expect(res.json().errors[0].path).toMatch(/^querystring/);
    }
  });

  it('deactivation ends sessions and sign-in to that tenant only', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const elsewhere = await newTenant(ctx);
    const person = await t.member(['annotator'], 'Leaver');
    expect((await addUser(elsewhere, { email: person.email, roles: ['viewer'] })).statusCode).toBe(201);
    const other = await signIn(ctx.app, person.email, PASSWORD, elsewhere.slug);
    const otherSession: Member = { ...person, token: other.json().token };
    expect((await t.as(person, { method: 'GET', url: '/api/v1/auth/me' })).statusCode).toBe(200);

    const off = await t.as(t.owner, {
      method: 'PATCH',
      url: `/api/v1/users/${person.userId}`,
      payload: { status: 'deactivated' },
    });
    expect(off.statusCode).toBe(200);
    expect(off.json()).toEqual(
      expect.objectContaining({ id: person.userId, status: 'deactivated', account_status: 'active' }),
    );
    expectProblem(await t.as(person, { method: 'GET', url: '/api/v1/auth/me' }), 401);
    expectProblem(await signIn(ctx.app, person.email, PASSWORD, t.slug), 403);
    // Still a member elsewhere: the session there lives on, and signing in there works.
    const stillThere = await elsewhere.as(otherSession, { method: 'GET', url: '/api/v1/auth/me' });
    expect(stillThere.statusCode).toBe(200);
    expect(stillThere.json().tenant.slug).toBe(elsewhere.slug);
    const again = await signIn(ctx.app, person.email, PASSWORD, elsewhere.slug);
    expect(again.statusCode).toBe(200);
    const anyTenant = await signIn(ctx.app, person.email, PASSWORD);
    expect(anyTenant.json().tenant.slug).toBe(elsewhere.slug);

    const inactive = await t.as(t.owner, { method: 'GET', url: '/api/v1/users?status=deactivated' });
    expect(inactive.json().items.map((u: { id: string }) => u.id)).toEqual([person.userId]);
    const audit = await t.as(t.owner, { method: 'GET', url: '/api/v1/audit/logs?action=user.deactivated' });
    expect(audit.json().items).toEqual([expect.objectContaining({ resource_id: person.userId })]);

    const on = await t.as(t.owner, {
      method: 'PATCH',
      url: `/api/v1/users/${person.userId}`,
      payload: { status: 'active' },
    });
    expect(on.json().status).toBe('active');
    expect((await signIn(ctx.app, person.email, PASSWORD, t.slug)).statusCode).toBe(200);
  });

  it('an admin cannot deactivate an owner, but can deactivate those below', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const admin = await t.member(['admin'], 'Admin');
    const annotator = await t.member(['annotator'], 'Ann');
    const deactivate = (by: Member, userId: string) =>
      t.as(by, { method: 'PATCH', url: `/api/v1/users/${userId}`, payload: { status: 'deactivated' } });
    expectProblem(await deactivate(admin, t.owner.userId), 403);
    expect((await t.as(t.owner, { method: 'GET', url: '/api/v1/auth/me' })).statusCode).toBe(200);
    expect((await deactivate(admin, annotator.userId)).statusCode).toBe(200);
    expectProblem(await t.as(annotator, { method: 'GET', url: '/api/v1/auth/me' }), 401);
    expect((await deactivate(t.owner, admin.userId)).statusCode).toBe(200);
    expectProblem(await t.as(admin, { method: 'GET', url: '/api/v1/auth/me' }), 401);
  });

  it('refuses to deactivate oneself, unknown members and bad input', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const other = await newTenant(ctx);
    const self = await t.as(t.owner, {
      method: 'PATCH',
      url: `/api/v1/users/${t.owner.userId}`,
      payload: { status: 'deactivated' },
    });
    expectProblem(self, 400);
    expect((await t.as(t.owner, { method: 'GET', url: '/api/v1/auth/me' })).statusCode).toBe(200);
    for (const id of [randomUUID(), other.owner.userId]) {
      const res = await t.as(t.owner, {
        method: 'PATCH',
        url: `/api/v1/users/${id}`,
        payload: { status: 'deactivated' },
      });
      expectProblem(res, 404);
    }
    expect((await other.as(other.owner, { method: 'GET', url: '/api/v1/auth/me' })).statusCode).toBe(200);
    expectProblem(
      await t.as(t.owner, { method: 'PATCH', url: '/api/v1/users/nope', payload: { status: 'active' } }),
      400,
    );
    const badStatus = await t.as(t.owner, {
      method: 'PATCH',
      url: `/api/v1/users/${t.owner.userId}`,
      payload: { status: 'banished' },
    });
    expectProblem(badStatus, 400);
    expect(badStatus.json().errors[0].path).toMatch(/^body\/status/);
    expectProblem(await t.as(t.owner, { method: 'GET', url: `/api/v1/users/${other.owner.userId}` }), 404);
  });

  it('shows a locked member as locked, and an admin unlocks them and resets their password', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const admin = await t.member(['admin'], 'Admin');
    const person = await t.member(['annotator'], 'Locked Out');
    for (let i = 0; i < 5; i++) expectProblem(await signIn(ctx.app, person.email, `wrong-${i}`), 401);
    expectProblem(await signIn(ctx.app, person.email, PASSWORD), 429);
    const listed = await t.as(admin, { method: 'GET', url: `/api/v1/users?q=${person.email}` });
    expect(listed.json().items).toEqual([
      expect.objectContaining({ id: person.userId, status: 'active', locked_until: expect.any(String) }),
    ]);
    const detail = await t.as(admin, { method: 'GET', url: `/api/v1/users/${person.userId}` });
    expect(Date.parse(detail.json().locked_until)).toBeGreaterThan(Date.now());
    const viewer = await t.member(['viewer'], 'Viewer');
    expectProblem(await t.as(viewer, { method: 'POST', url: `/api/v1/users/${person.userId}/unlock` }), 403);

    const unlocked = await t.as(admin, { method: 'POST', url: `/api/v1/users/${person.userId}/unlock` });
    expect(unlocked.statusCode, unlocked.body).toBe(200);
    expect(unlocked.json()).toEqual(expect.objectContaining({ id: person.userId, locked_until: null }));
    expect((await signIn(ctx.app, person.email, PASSWORD)).statusCode).toBe(200);
    const audit = await t.as(t.owner, { method: 'GET', url: '/api/v1/audit/logs?action=user.unlocked' });
    expect(audit.json().items).toEqual([expect.objectContaining({ resource_id: person.userId })]);

    // Locked again, then reset with a generated password: the lock lifts and sessions end.
    for (let i = 0; i < 5; i++) expectProblem(await signIn(ctx.app, person.email, `wrong-${i}`), 401);
    const reset = await t.as(admin, {
      method: 'POST',
      url: `/api/v1/users/${person.userId}/password`,
      payload: {},
    });
    expect(reset.statusCode, reset.body).toBe(200);
    const generated = reset.json().generated_password as string;
    expect(generated.length).toBeGreaterThanOrEqual(20);
    expect(reset.json().user.locked_until).toBeNull();
    expect(reset.json().ended_sessions).toBeGreaterThanOrEqual(1);
    expectProblem(await t.as(person, { method: 'GET', url: '/api/v1/auth/me' }), 401);
    expectProblem(await signIn(ctx.app, person.email, PASSWORD), 401);
    expect((await signIn(ctx.app, person.email, generated)).statusCode).toBe(200);
    const chosen = await t.as(admin, {
      method: 'POST',
      url: `/api/v1/users/${person.userId}/password`,
      payload: { password: 'Chosen-by-admin-77' },
    });
    expect(chosen.statusCode).toBe(200);
    expect(chosen.json().generated_password).toBeUndefined();
    expect((await signIn(ctx.app, person.email, 'Chosen-by-admin-77')).statusCode).toBe(200);
    const resets = await t.as(t.owner, {
      method: 'GET',
      url: '/api/v1/audit/logs?action=user.password_reset',
    });
    expect(resets.json().items).toHaveLength(2);
    expect(resets.body).not.toContain('Chosen-by-admin-77');
    expect(resets.body).not.toContain(generated);

    const weak = await t.as(admin, {
      method: 'POST',
      url: `/api/v1/users/${person.userId}/password`,
      payload: { password: 'short' },
    });
    expectProblem(weak, 400);
    expect(weak.json().errors).toEqual([{ path: 'body/password', message: expect.any(String) }]);
  });

  it('resets no password of oneself, an owner above, an account shared with another tenant, or a non-member', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const other = await newTenant(ctx);
    const admin = await t.member(['admin'], 'Admin');
    const reset = (by: Member, userId: string) =>
      t.as(by, { method: 'POST', url: `/api/v1/users/${userId}/password`, payload: {} });
    expectProblem(await reset(admin, admin.userId), 400);
    expectProblem(await reset(admin, t.owner.userId), 403);
    const traveller = await other.member(['annotator'], 'Traveller');
    expect((await addUser(t, { email: traveller.email, roles: ['viewer'] })).statusCode).toBe(201);
    expectProblem(await reset(admin, traveller.userId), 409);
    expect((await signIn(ctx.app, traveller.email, PASSWORD, other.slug)).statusCode).toBe(200);
    for (const id of [other.owner.userId, randomUUID()]) {
      expectProblem(await reset(t.owner, id), 404);
      expectProblem(await t.as(t.owner, { method: 'POST', url: `/api/v1/users/${id}/unlock` }), 404);
    }
    expectProblem(
      await t.as(admin, {
        method: 'POST',
        url: `/api/v1/users/${traveller.userId}/password`,
        payload: { password: 'Chosen-by-admin-77', extra: 1 },
      }),
      400,
    );
  });
});

describe('tenants', () => {
  it('shows and changes the current tenant', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const got = await t.as(t.owner, { method: 'GET', url: '/api/v1/tenant' });
    expect(got.statusCode).toBe(200);
    expect(got.json()).toEqual(
      expect.objectContaining({ id: t.tenantId, slug: t.slug, status: 'active', time_zone: 'UTC' }),
    );

    const changed = await t.as(t.owner, {
      method: 'PATCH',
      url: '/api/v1/tenant',
      payload: { name: 'Renamed Inc.', time_zone: 'Asia/Shanghai' },
    });
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toEqual(
      expect.objectContaining({ name: 'Renamed Inc.', time_zone: 'Asia/Shanghai' }),
    );
    const after = await t.as(t.owner, { method: 'GET', url: '/api/v1/tenant' });
    expect(after.json()).toEqual(
      expect.objectContaining({ slug: t.slug, name: 'Renamed Inc.', time_zone: 'Asia/Shanghai' }),
    );

    const badZone = await t.as(t.owner, {
      method: 'PATCH',
      url: '/api/v1/tenant',
      payload: { time_zone: 'Mars/Olympus_Mons' },
    });
    expectProblem(badZone, 400);
    expect(badZone.json().errors).toEqual([{ path: 'body/time_zone', message: expect.any(String) }]);
    expectProblem(
      await t.as(t.owner, { method: 'PATCH', url: '/api/v1/tenant', payload: { name: '' } }),
      400,
    );
    expectProblem(
      await t.as(t.owner, { method: 'PATCH', url: '/api/v1/tenant', payload: { slug: 'other' } }),
      400,
    );
    expect((await t.as(t.owner, { method: 'GET', url: '/api/v1/tenant' })).json().time_zone).toBe(
      'Asia/Shanghai',
    );

    const manager = await t.member(['manager'], 'Manager');
    expect((await t.as(manager, { method: 'GET', url: '/api/v1/tenant' })).statusCode).toBe(200);
    expectProblem(
      await t.as(manager, { method: 'PATCH', url: '/api/v1/tenant', payload: { name: 'Mine now' } }),
      403,
    );
    const audit = await t.as(t.owner, { method: 'GET', url: '/api/v1/audit/logs?action=tenant.updated' });
    expect(audit.json().items).toEqual([
      expect.objectContaining({
        actor_id: t.owner.userId,
        details: expect.objectContaining({ name: 'Renamed Inc.', time_zone: 'Asia/Shanghai' }),
      }),
    ]);
  });

  it('only platform owners create and list tenants; the creator owns the new one', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const slug = `n-${randomUUID().slice(0, 12)}`;
    const body = { slug, name: 'New Tenant', time_zone: 'Europe/Berlin' };
    expectProblem(await t.as(t.owner, { method: 'POST', url: '/api/v1/tenants', payload: body }), 403);
    expectProblem(await t.as(t.owner, { method: 'GET', url: '/api/v1/tenants' }), 403);
    expectProblem(await signIn(ctx.app, t.owner.email, PASSWORD, slug), 403);

    await ctx.platform.database.raw.query('update users set is_platform_owner = true where id = $1', [
      t.owner.userId,
    ]);
    await ctx.app.auth.authenticator.evict({ userId: t.owner.userId });
    expect((await t.as(t.owner, { method: 'GET', url: '/api/v1/auth/me' })).json().is_platform_owner).toBe(
      true,
    );

    const created = await t.as(t.owner, { method: 'POST', url: '/api/v1/tenants', payload: body });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toEqual(
      expect.objectContaining({ slug, name: 'New Tenant', time_zone: 'Europe/Berlin', status: 'active' }),
    );
    const newId = created.json().id;

    const login = await signIn(ctx.app, t.owner.email, PASSWORD, slug);
    expect(login.statusCode).toBe(200);
    expect(login.json()).toEqual(
      expect.objectContaining({ tenant: expect.objectContaining({ id: newId, slug }), roles: ['owner'] }),
    );
    const inNew: Member = { ...t.owner, token: login.json().token };
    const roles = await t.as(inNew, { method: 'GET', url: '/api/v1/roles' });
    expect(
      roles
        .json()
        .map((r: { name: string }) => r.name)
        .sort(),
    ).toEqual(['admin', 'annotator', 'manager', 'owner', 'reviewer', 'viewer'].sort());
    const members = await t.as(inNew, { method: 'GET', url: '/api/v1/users' });
    expect(members.json().items).toEqual([expect.objectContaining({ id: t.owner.userId, roles: ['owner'] })]);
    const audit = await t.as(inNew, { method: 'GET', url: '/api/v1/audit/logs?action=tenant.created' });
    expect(audit.json().items).toEqual([expect.objectContaining({ resource_id: newId })]);
    // The old tenant's view is unchanged.
    expect((await t.as(t.owner, { method: 'GET', url: '/api/v1/tenant' })).json().id).toBe(t.tenantId);

    const listed = await t.as(t.owner, { method: 'GET', url: `/api/v1/tenants?q=${slug}` });
    expect(listed.statusCode).toBe(200);
    expect(listed.json().items.map((x: { slug: string }) => x.slug)).toEqual([slug]);
    // Pages of one walk every tenant in slug order without repeats.
    const walked: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await t.as(t.owner, {
        method: 'GET',
        url: `/api/v1/tenants?limit=1&q=n-${cursor ? `&cursor=${cursor}` : ''}`,
      });
      walked.push(...page.json().items.map((x: { slug: string }) => x.slug));
      cursor = page.json().next_cursor;
    } while (cursor && walked.length < 1000);
    expect(walked).toEqual([...walked].sort());
    expect(new Set(walked).size).toBe(walked.length);
    expect(walked).toContain(slug);

    const duplicate = await t.as(t.owner, { method: 'POST', url: '/api/v1/tenants', payload: body });
    expectProblem(duplicate, 409);
    const refused = [
      { ...body, slug: 'Has Spaces' },
      { ...body, slug: `z-${randomUUID().slice(0, 8)}`, time_zone: 'Nowhere/Land' },
      { ...body, slug: `z-${randomUUID().slice(0, 8)}`, name: '' },
      { name: 'No slug' },
    ];
    for (const bad of refused) {
      const res = await t.as(t.owner, { method: 'POST', url: '/api/v1/tenants', payload: bad });
      expectProblem(res, 400);
      expect(res.json().errors[0].path).toMatch(/^body\//);
    }
    const listSlugs = async (q: string) =>
      (await t.as(t.owner, { method: 'GET', url: `/api/v1/tenants?limit=1000&q=${q}` }))
        .json()
        .items.map((x: { slug: string }) => x.slug);
    const afterSlugs = [...(await listSlugs('n-')), ...(await listSlugs('z-')), ...(await listSlugs('Has'))];
    expect(afterSlugs.filter((s: string) => s === slug)).toHaveLength(1);
    for (const bad of refused) if ('slug' in bad) expect(afterSlugs).not.toContain(bad.slug);
  });
});
