import { randomUUID } from 'node:crypto';
import type { InjectOptions } from 'fastify';
import { describe, expect, it } from 'vitest';
import { type Member, newTenant, PASSWORD, type TenantFixture } from '../../../test/fixtures.ts';
import { testApp } from '../../../test/helpers.ts';

interface EventBody {
  id: string;
  type: string;
  severity: string;
  status: string;
  user_id: string | null;
  ip: string | null;
  details: Record<string, unknown>;
  resolved_by: string | null;
  note: string | null;
}

function expectProblem(res: { statusCode: number; headers: Record<string, unknown> }, status: number) {
  expect(res.statusCode).toBe(status);
  expect(String(res.headers['content-type'])).toContain('application/problem+json');
}

async function events(t: TenantFixture, query = ''): Promise<EventBody[]> {
  const res = await t.as(t.owner, { method: 'GET', url: `/api/v1/security/events${query}` });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().items;
}

function from(t: TenantFixture, m: Member, remoteAddress: string, options: InjectOptions) {
  return t.as(m, { ...options, remoteAddress });
}

function putList(
  t: TenantFixture,
  entries: { cidr: string; description?: string }[],
  remoteAddress?: string,
) {
  return t.as(t.owner, {
    method: 'PUT',
    url: '/api/v1/security/ip-whitelist',
    payload: { entries },
    ...(remoteAddress ? { remoteAddress } : {}),
  });
}

const me = { method: 'GET', url: '/api/v1/auth/me' } as const;

/** Three events of three kinds, oldest first: a failed-login burst, a new network, a privilege change. */
async function raiseThree(t: TenantFixture) {
  const ctx = await testApp();
  const victim = await t.member(['annotator'], 'Victim');
  for (let i = 0; i < 5; i++) {
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: victim.email, password: `wrong-password-${i}` },
      remoteAddress: '198.51.100.7',
    });
    expect(res.statusCode).toBe(401);
  }
  const travel = await ctx.app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { email: t.owner.email, password: PASSWORD, tenant: t.slug },
    remoteAddress: '203.0.113.9',
  });
  expect(travel.statusCode).toBe(200);
  const roles = (await t.as(t.owner, { method: 'GET', url: '/api/v1/roles' })).json();
  const viewer = roles.find((r: { name: string }) => r.name === 'viewer');
  const granted = await t.as(t.owner, {
    method: 'POST',
    url: `/api/v1/users/${victim.userId}/roles`,
    payload: { role_id: viewer.id },
  });
  expect(granted.statusCode).toBe(200);
  return victim;
}

describe('security events', () => {
  it('lists events newest first, with filters and a cursor', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const victim = await raiseThree(t);

    const all = await events(t);
    expect(all.map((e) => [e.type, e.severity, e.status])).toEqual([
      ['privilege_change', 'medium', 'open'],
      ['new_network_login', 'low', 'open'],
      ['failed_login_burst', 'high', 'open'],
    ]);
    expect(all[0]).toEqual(
      expect.objectContaining({
        user_id: t.owner.userId,
        details: expect.objectContaining({ target_user: victim.userId, role: 'viewer', granted: true }),
        resolved_by: null,
      }),
    );
    expect(all[1]).toEqual(expect.objectContaining({ user_id: t.owner.userId, ip: '203.0.113.9' }));
    expect(all[2]).toEqual(
      expect.objectContaining({
        user_id: victim.userId,
        ip: '198.51.100.7',
        details: expect.objectContaining({ failures: 5 }),
      }),
    );

    expect((await events(t, '?type=new_network_login')).map((e) => e.id)).toEqual([all[1]!.id]);
    expect((await events(t, '?severity=high')).map((e) => e.id)).toEqual([all[2]!.id]);
    expect((await events(t, '?severity=critical')).map((e) => e.id)).toEqual([]);
    expect((await events(t, '?status=open&type=privilege_change')).map((e) => e.id)).toEqual([all[0]!.id]);
    expect(await events(t, '?status=resolved')).toEqual([]);

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await t.as(t.owner, {
        method: 'GET',
        url: `/api/v1/security/events?limit=1${cursor ? `&cursor=${cursor}` : ''}`,
      });
      const body = res.json() as { items: EventBody[]; next_cursor: string | null };
      expect(body.items).toHaveLength(1);
      seen.push(body.items[0]!.id);
      cursor = body.next_cursor;
      pages++;
    } while (cursor && pages < 10);
    expect(seen).toEqual(all.map((e) => e.id));

    for (const bad of ['type=earthquake', 'severity=extreme', 'status=closed', 'limit=0', 'cursor=%%%']) {
      const res = await t.as(t.owner, { method: 'GET', url: `/api/v1/security/events?${bad}` });
      expectProblem(res, 400);
      expect(res.json().errors[0].path).toMatch(/^querystring\//);
    }

    // Another tenant sees none of these; a manager may not look.
    const other = await newTenant(ctx);
    expect(await events(other)).toEqual([]);
    const manager = await t.member(['manager'], 'Manager');
    expectProblem(await t.as(manager, { method: 'GET', url: '/api/v1/security/events' }), 403);
  });

  it('moves through triage: open → investigating → resolved, and no further backwards', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    await raiseThree(t);
    const [event] = await events(t, '?type=failed_login_burst');
    const patch = (id: string, payload: Record<string, unknown>, as: Member = t.owner) =>
      t.as(as, { method: 'PATCH', url: `/api/v1/security/events/${id}`, payload });

    const reviewer = await t.member(['reviewer'], 'Reviewer');
    expectProblem(await patch(event!.id, { status: 'investigating' }, reviewer), 403);

    const investigating = await patch(event!.id, { status: 'investigating', note: 'looking into it' });
    expect(investigating.statusCode).toBe(200);
    expect(investigating.json()).toEqual(
      expect.objectContaining({ status: 'investigating', note: 'looking into it', resolved_by: null }),
    );
    const admin = await t.member(['admin'], 'Admin');
    const resolved = await patch(event!.id, { status: 'resolved' }, admin);
    expect(resolved.statusCode).toBe(200);
    expect(resolved.json()).toEqual(
      expect.objectContaining({ status: 'resolved', resolved_by: admin.userId, note: 'looking into it' }),
    );

    const backwards = await patch(event!.id, { status: 'investigating' });
    expectProblem(backwards, 409);
    expect(backwards.json().detail).toContain('resolved');
    const [still] = await events(t, '?type=failed_login_burst');
    expect(still).toEqual(expect.objectContaining({ status: 'resolved', resolved_by: admin.userId }));
    expect((await events(t, '?status=resolved')).map((e) => e.id)).toEqual([event!.id]);

    // Reopening is allowed, and clears who resolved it.
    const reopened = await patch(event!.id, { status: 'open', note: 'it happened again' });
    expect(reopened.json()).toEqual(
      expect.objectContaining({ status: 'open', resolved_by: null, note: 'it happened again' }),
    );
    const [newer] = await events(t, '?type=new_network_login');
    const falsePositive = await patch(newer!.id, { status: 'false_positive' });
    expect(falsePositive.json()).toEqual(
      expect.objectContaining({ status: 'false_positive', resolved_by: t.owner.userId }),
    );
    expectProblem(await patch(newer!.id, { status: 'false_positive' }), 409);

    expectProblem(await patch(randomUUID(), { status: 'resolved' }), 404);
    const other = await newTenant(ctx);
    expectProblem(
      await other.as(other.owner, {
        method: 'PATCH',
        url: `/api/v1/security/events/${event!.id}`,
        payload: { status: 'investigating' },
      }),
      404,
    );
    expectProblem(await patch('not-a-uuid', { status: 'resolved' }), 400);
    const badStatus = await patch(event!.id, { status: 'ignored' });
    expectProblem(badStatus, 400);
    expect(badStatus.json().errors[0].path).toMatch(/^body\/status/);
    expectProblem(await patch(event!.id, { status: 'resolved', severity: 'low' }), 400);

    const audit = await t.as(t.owner, {
      method: 'GET',
      url: `/api/v1/audit/logs?action=security_event.updated&resource_id=${event!.id}`,
    });
    expect(audit.json().items.map((r: { details: { status: string } }) => r.details.status)).toEqual([
      'open',
      'resolved',
      'investigating',
    ]);
  });
});

describe('IP allow-list', () => {
  it('validates entries and refuses a list that would lock the caller out', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const empty = await t.as(t.owner, { method: 'GET', url: '/api/v1/security/ip-whitelist' });
    expect(empty.json()).toEqual({ entries: [] });

    const cases: [string[], number][] = [
      [['not-an-ip'], 0],
      [['127.0.0.1/32', '300.1.1.1'], 1],
      [['127.0.0.1/32', '10.0.0.0/33'], 1],
      [['127.0.0.1/32', '::/129'], 1],
      [['127.0.0.1/32', '10.0.0.0/8/9'], 1],
      [['127.0.0.1/32', '10.0.0.0/'], 1],
      [['127.0.0.1/32', ''], 1],
      [['127.0.0.1/32', '127.0.0.1/32', '10.0.0.0/-1'], 2],
    ];
    for (const [cidrs, index] of cases) {
      const res = await putList(
        t,
        cidrs.map((cidr) => ({ cidr })),
      );
      expectProblem(res, 400);
      expect(res.json().errors).toEqual([
        { path: `body/entries/${index}/cidr`, message: expect.any(String) },
      ]);
    }
    const tooLong = await putList(t, [{ cidr: `127.0.0.1/32${' '.repeat(100)}` }]);
    expectProblem(tooLong, 400);
    expect(tooLong.json().errors[0].path).toMatch(/^body\/entries\/0\/cidr/);
    expectProblem(
      await t.as(t.owner, { method: 'PUT', url: '/api/v1/security/ip-whitelist', payload: { cidrs: [] } }),
      400,
    );

    const lockout = await putList(t, [{ cidr: '10.0.0.0/8' }]);
    expectProblem(lockout, 409);
    expect(lockout.json().detail).toContain('127.0.0.1');
    const v6Lockout = await putList(t, [{ cidr: '2001:db8:0:1::/64' }], '2001:db8::5');
    expectProblem(v6Lockout, 409);
    expect((await t.as(t.owner, { method: 'GET', url: '/api/v1/security/ip-whitelist' })).json()).toEqual({
      entries: [],
    });
    const audit = await t.as(t.owner, {
      method: 'GET',
      url: '/api/v1/audit/logs?action=ip_whitelist.replaced',
    });
    expect(audit.json().items).toEqual([]);

    const manager = await t.member(['manager'], 'Manager');
    expectProblem(
      await t.as(manager, {
        method: 'PUT',
        url: '/api/v1/security/ip-whitelist',
        payload: { entries: [] },
      }),
      403,
    );
    expectProblem(await t.as(manager, { method: 'GET', url: '/api/v1/security/ip-whitelist' }), 403);
  });

  it('refuses other addresses once set (IPv4, IPv6, mapped), records it, and opens up when emptied', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const other = await newTenant(ctx);
    const outsider = '10.1.2.3';

    const set = await putList(t, [{ cidr: '127.0.0.1/32', description: 'the office' }]);
    expect(set.statusCode, set.body).toBe(200);
    expect(set.json().entries).toEqual([
      expect.objectContaining({
        cidr: '127.0.0.1/32',
        description: 'the office',
        created_by: t.owner.userId,
      }),
    ]);

    const denied = await from(t, t.owner, outsider, me);
    expectProblem(denied, 403);
    expect(denied.json().detail).toContain('allow-list');
    expectProblem(await from(t, t.owner, outsider, { method: 'GET', url: '/api/v1/users' }), 403);
    // The denied caller cannot lift the list either.
    expectProblem(await putList(t, [], outsider), 403);
    expect((await from(t, t.owner, '127.0.0.1', me)).statusCode).toBe(200);
    expect((await from(t, t.owner, '::ffff:127.0.0.1', me)).statusCode).toBe(200);
    expectProblem(await from(t, t.owner, `::ffff:${outsider}`, me), 403);
    // Signing in from elsewhere opens no session either.
    const signIn = (remoteAddress: string) =>
      ctx.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: t.owner.email, password: PASSWORD, tenant: t.slug },
        remoteAddress,
      });
    const outside = await signIn(outsider);
    expectProblem(outside, 403);
    expect(outside.json().token).toBeUndefined();
    expect(outside.headers['set-cookie']).toBeUndefined();
    const sessions = await t.as(t.owner, { method: 'GET', url: '/api/v1/auth/sessions' });
    expect(sessions.json().items.map((x: { ip: string }) => x.ip)).not.toContain(outsider);
    expect((await signIn('127.0.0.1')).statusCode).toBe(200);
    // Other tenants are not affected by this tenant's list.
    expect((await from(other, other.owner, outsider, me)).statusCode).toBe(200);

    const deniedEvents = await events(t, '?type=ip_denied');
    expect(deniedEvents.length).toBeGreaterThanOrEqual(1);
    expect(deniedEvents.map((e) => e.ip)).toContain(outsider);
    expect(deniedEvents.find((e) => e.ip === outsider)).toEqual(
      expect.objectContaining({
        severity: 'medium',
        status: 'open',
        user_id: t.owner.userId,
        details: expect.objectContaining({ url: '/api/v1/auth/me' }),
      }),
    );
    expect(await events(other, '?type=ip_denied')).toEqual([]);

    // IPv6 ranges, and a bare address taken as a single host.
    const v6 = await putList(t, [{ cidr: '127.0.0.1' }, { cidr: '2001:db8::/32', description: 'v6 office' }]);
    expect(v6.statusCode, v6.body).toBe(200);
    expect(
      v6
        .json()
        .entries.map((e: { cidr: string }) => e.cidr)
        .sort(),
    ).toEqual(['127.0.0.1/32', '2001:db8::/32'].sort());
    expect((await from(t, t.owner, '2001:db8::5', me)).statusCode).toBe(200);
    expect((await from(t, t.owner, '2001:db8:ffff::1', me)).statusCode).toBe(200);
    expectProblem(await from(t, t.owner, '2001:db9::1', me), 403);
    expectProblem(await from(t, t.owner, '::1', me), 403);
    expectProblem(await from(t, t.owner, outsider, me), 403);

    // An IPv4 range also covers IPv4 clients that reach us over an IPv6 socket.
    const range = await putList(t, [{ cidr: '10.0.0.0/8' }, { cidr: '127.0.0.0/8' }], '::ffff:127.0.0.1');
    expect(range.statusCode, range.body).toBe(200);
    expect((await from(t, t.owner, `::ffff:${outsider}`, me)).statusCode).toBe(200);
    expect((await from(t, t.owner, outsider, me)).statusCode).toBe(200);
    expectProblem(await from(t, t.owner, '192.168.1.1', me), 403);
    expectProblem(await from(t, t.owner, '::ffff:192.168.1.1', me), 403);

    const cleared = await putList(t, []);
    expect(cleared.statusCode).toBe(200);
    expect(cleared.json()).toEqual({ entries: [] });
    expect((await from(t, t.owner, '192.168.1.1', me)).statusCode).toBe(200);
    expect((await from(t, t.owner, '2001:db9::1', me)).statusCode).toBe(200);

    const audit = await t.as(t.owner, {
      method: 'GET',
      url: '/api/v1/audit/logs?action=ip_whitelist.replaced',
    });
    expect(audit.statusCode).toBe(200);
    const rows = audit.json().items as { actor_id: string; ip: string; details: { entries: string[] } }[];
    expect(rows.map((r) => [...r.details.entries].sort())).toEqual([
      [],
      ['10.0.0.0/8', '127.0.0.0/8'],
      ['127.0.0.1/32', '2001:db8::/32'],
      ['127.0.0.1/32'],
    ]);
    expect(rows.every((r) => r.actor_id === t.owner.userId)).toBe(true);
    expect(rows[1]!.ip).toBe('::ffff:127.0.0.1');
  });
});
