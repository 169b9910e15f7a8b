import { describe, expect, it } from 'vitest';
import { type Member, newTenant, type TenantFixture } from '../../../../test/fixtures.ts';
import { type TestContext, testApp } from '../../../../test/helpers.ts';
import { BUILT_IN_PERMISSIONS, BUILT_IN_ROLES, grants } from '../../../platform/auth/permissions.ts';

interface RoleBody {
  id: string;
  name: string;
  built_in: boolean;
  permissions: string[];
  parent_ids: string[];
}

async function rolesOf(t: TenantFixture): Promise<Record<string, RoleBody>> {
  const res = await t.as(t.owner, { method: 'GET', url: '/api/v1/roles' });
  expect(res.statusCode).toBe(200);
  return Object.fromEntries((res.json() as RoleBody[]).map((r) => [r.name, r]));
}

async function createRole(
  t: TenantFixture,
  by: Member,
  body: { name: string; permissions: string[]; parent_ids?: string[]; description?: string },
): Promise<RoleBody> {
  const res = await t.as(by, { method: 'POST', url: '/api/v1/roles', payload: body });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

function assign(t: TenantFixture, by: Member, userId: string, roleId: string, expiresAt?: string | null) {
  return t.as(by, {
    method: 'POST',
    url: `/api/v1/users/${userId}/roles`,
    payload: expiresAt === undefined ? { role_id: roleId } : { role_id: roleId, expires_at: expiresAt },
  });
}

async function me(t: TenantFixture, m: Member) {
  const res = await t.as(m, { method: 'GET', url: '/api/v1/auth/me' });
  expect(res.statusCode).toBe(200);
  return res.json() as { roles: string[]; permissions: string[] };
}

function expectProblem(res: { statusCode: number; headers: Record<string, unknown> }, status: number) {
  expect(res.statusCode).toBe(status);
  expect(String(res.headers['content-type'])).toContain('application/problem+json');
}

async function rbacCheck(t: TenantFixture, userId: string, permission: string) {
  return t.as(t.owner, {
    method: 'POST',
    url: '/api/v1/rbac/check',
    payload: { user_id: userId, permission },
  });
}

describe('built-in roles and the permission catalogue', () => {
  it('lists the six built-in roles with their documented permissions', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const catalogue = await t.as(t.owner, { method: 'GET', url: '/api/v1/permissions' });
    expect(catalogue.statusCode).toBe(200);
    const entries = catalogue.json() as { permission: string; description: string }[];
    const all = entries.map((e) => e.permission);
    expect(all).toEqual(expect.arrayContaining(['roles:manage', 'users:read', 'audit:verify', 'jobs:read']));
    expect(new Set(all).size).toBe(all.length);
    for (const e of entries) {
      expect(e.permission).toMatch(/^[a-z_]+:[a-z_]+$/);
      expect(e.description.length).toBeGreaterThan(0);
    }

    const roles = await rolesOf(t);
    expect(Object.keys(roles).sort()).toEqual(
      ['admin', 'annotator', 'manager', 'owner', 'reviewer', 'viewer'].sort(),
    );
    for (const r of Object.values(roles)) {
      expect(r.built_in).toBe(true);
      expect(r.parent_ids).toEqual([]);
    }
    // Exactly what permissions.ts declares for each role...
    for (const name of BUILT_IN_ROLES) {
      expect([...roles[name]!.permissions].sort(), name).toEqual([...BUILT_IN_PERMISSIONS[name]].sort());
    }
    // ...and that declaration keeps the documented shape as modules add permissions.
    const holds = (name: string, p: string) => grants(roles[name]!.permissions, p);
    expect(roles.owner!.permissions).toEqual(['*']);
    expect([...roles.admin!.permissions].sort()).toEqual([...all].sort());
    for (const p of ['roles:manage', 'users:manage', 'security:read', 'audit:read', 'tenants:manage']) {
      expect(holds('manager', p), `manager ${p}`).toBe(false);
    }
    for (const p of ['users:read', 'roles:read', 'projects:create', 'tasks:import', 'reviews:write']) {
      expect(holds('manager', p), `manager ${p}`).toBe(true);
    }
    for (const p of all) {
      if (holds('annotator', p)) expect(holds('reviewer', p), `reviewer ${p}`).toBe(true);
      if (holds('reviewer', p)) expect(holds('manager', p), `manager ${p}`).toBe(true);
      if (holds('viewer', p)) expect(p, 'viewer is read-only').toMatch(/:read$/);
    }
    expect(holds('annotator', 'annotations:write')).toBe(true);
    expect(holds('annotator', 'annotations:read')).toBe(false);
    expect(holds('reviewer', 'reviews:write')).toBe(true);
    expect(holds('viewer', 'annotations:read')).toBe(true);
  });

  it('needs roles:read to see roles or the catalogue', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const annotator = await t.member(['annotator']);
    expectProblem(await t.as(annotator, { method: 'GET', url: '/api/v1/roles' }), 403);
    expectProblem(await t.as(annotator, { method: 'GET', url: '/api/v1/permissions' }), 403);
    expectProblem(await ctx.app.inject({ method: 'GET', url: '/api/v1/roles' }), 401);
  });

  it('refuses to change or delete a built-in role', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const roles = await rolesOf(t);
    for (const name of ['owner', 'viewer']) {
      const patch = await t.as(t.owner, {
        method: 'PATCH',
        url: `/api/v1/roles/${roles[name]!.id}`,
        payload: { permissions: ['audit:read'] },
      });
      expectProblem(patch, 403);
      const del = await t.as(t.owner, { method: 'DELETE', url: `/api/v1/roles/${roles[name]!.id}` });
      expectProblem(del, 403);
    }
    const after = await rolesOf(t);
    expect(after.viewer!.permissions).toEqual(roles.viewer!.permissions);
  });
});

describe('custom roles', () => {
  it('inherit from a built-in role: the member gains the parent permission at once', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const roles = await rolesOf(t);
    const member = await t.member([], 'Nobody');
    expect(await me(t, member)).toEqual(expect.objectContaining({ roles: [], permissions: [] }));
    expectProblem(await t.as(member, { method: 'GET', url: '/api/v1/users' }), 403);
    expectProblem(await t.as(member, { method: 'GET', url: '/api/v1/audit/logs' }), 403);

    const auditor = await createRole(t, t.owner, {
      name: 'auditor',
      description: 'Reads the audit log, and whatever a manager reads',
      permissions: ['audit:read'],
      parent_ids: [roles.manager!.id],
    });
    expect(auditor).toEqual(
      expect.objectContaining({
        name: 'auditor',
        built_in: false,
        permissions: ['audit:read'],
        parent_ids: [roles.manager!.id],
      }),
    );
    expect((await rolesOf(t)).auditor?.id).toBe(auditor.id);

    const assigned = await assign(t, t.owner, member.userId, auditor.id);
    expect(assigned.statusCode).toBe(200);
    expect(assigned.json().roles).toEqual([expect.objectContaining({ role: 'auditor', expires_at: null })]);

    // The session the member already holds sees the change, without signing in again.
    const after = await me(t, member);
    expect(after.roles).toEqual(['auditor']);
    expect(after.permissions).toEqual(expect.arrayContaining(['audit:read', 'users:read', 'projects:*']));
    expect(after.permissions).not.toContain('roles:manage');
    const users = await t.as(member, { method: 'GET', url: '/api/v1/users' });
    expect(users.statusCode).toBe(200);
    expect(users.json().items.map((u: { id: string }) => u.id)).toContain(member.userId);
    expect((await t.as(member, { method: 'GET', url: '/api/v1/audit/logs' })).statusCode).toBe(200);
    expectProblem(
      await t.as(member, { method: 'POST', url: '/api/v1/roles', payload: { name: 'x', permissions: [] } }),
      403,
    );
  });

  it('rejects unknown permissions and unknown parents with the field path', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    for (const bad of ['projects:fly', 'nonsense', 'toString', 'constructor', 'nothing:*']) {
      const res = await t.as(t.owner, {
        method: 'POST',
        url: '/api/v1/roles',
        payload: { name: `r-${bad.replace(/\W/g, '')}`, permissions: ['users:read', bad] },
      });
      expectProblem(res, 400);
      expect(res.json().errors).toEqual([
        { path: 'body/permissions', message: expect.stringContaining(bad) },
      ]);
    }
    const orphan = await t.as(t.owner, {
      method: 'POST',
      url: '/api/v1/roles',
      payload: { name: 'orphan', permissions: [], parent_ids: [crypto.randomUUID()] },
    });
    expectProblem(orphan, 400);
    expect(orphan.json().errors[0].path).toBe('body/parent_ids');
    const notUuid = await t.as(t.owner, {
      method: 'POST',
      url: '/api/v1/roles',
      payload: { name: 'orphan', permissions: [], parent_ids: ['not-a-uuid'] },
    });
    expectProblem(notUuid, 400);
    expect(notUuid.json().errors[0].path).toMatch(/^body\/parent_ids/);
    const builtInName = await t.as(t.owner, {
      method: 'POST',
      url: '/api/v1/roles',
      payload: { name: 'admin', permissions: [] },
    });
    expectProblem(builtInName, 409);
    // A parent of another tenant is as unknown as a made-up one.
    const other = await newTenant(ctx);
    const foreign = await t.as(t.owner, {
      method: 'POST',
      url: '/api/v1/roles',
      payload: { name: 'foreign', permissions: [], parent_ids: [(await rolesOf(other)).viewer!.id] },
    });
    expectProblem(foreign, 400);
    expect(Object.keys(await rolesOf(t))).toHaveLength(6);
  });

  it('refuses inheritance cycles', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const b = await createRole(t, t.owner, { name: 'b', permissions: ['users:read'] });
    const a = await createRole(t, t.owner, { name: 'a', permissions: ['audit:read'], parent_ids: [b.id] });
    const cycle = await t.as(t.owner, {
      method: 'PATCH',
      url: `/api/v1/roles/${b.id}`,
      payload: { parent_ids: [a.id] },
    });
    expectProblem(cycle, 400);
    expect(cycle.json().errors).toEqual([{ path: 'body/parent_ids', message: expect.any(String) }]);
    const self = await t.as(t.owner, {
      method: 'PATCH',
      url: `/api/v1/roles/${a.id}`,
      payload: { parent_ids: [a.id] },
    });
    expectProblem(self, 400);
    const c = await createRole(t, t.owner, { name: 'c', permissions: [], parent_ids: [a.id] });
    const longCycle = await t.as(t.owner, {
      method: 'PATCH',
      url: `/api/v1/roles/${b.id}`,
      payload: { parent_ids: [c.id] },
    });
    expectProblem(longCycle, 400);
    expect((await rolesOf(t)).b!.parent_ids).toEqual([]);

    const ok = await t.as(t.owner, {
      method: 'PATCH',
      url: `/api/v1/roles/${a.id}`,
      payload: { permissions: ['audit:read', 'jobs:read'], description: 'changed' },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual(
      expect.objectContaining({ permissions: ['audit:read', 'jobs:read'], parent_ids: [b.id] }),
    );
  });

  it('cannot delete a role others inherit from (409), then can once they are gone', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const base = await createRole(t, t.owner, { name: 'base', permissions: ['users:read'] });
    const child = await createRole(t, t.owner, { name: 'child', permissions: [], parent_ids: [base.id] });
    const refused = await t.as(t.owner, { method: 'DELETE', url: `/api/v1/roles/${base.id}` });
    expectProblem(refused, 409);
    expect(refused.json().detail).toContain('child');
    expect((await t.as(t.owner, { method: 'DELETE', url: `/api/v1/roles/${child.id}` })).statusCode).toBe(
      204,
    );
    expect((await t.as(t.owner, { method: 'DELETE', url: `/api/v1/roles/${base.id}` })).statusCode).toBe(204);
    expectProblem(await t.as(t.owner, { method: 'DELETE', url: `/api/v1/roles/${base.id}` }), 404);
    const names = Object.keys(await rolesOf(t));
    expect(names).not.toContain('base');
    expect(names).not.toContain('child');
  });

  it('a changed role changes what its holders may do in their current sessions', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const role = await createRole(t, t.owner, { name: 'readers', permissions: ['users:read'] });
    const member = await t.member([], 'Reader');
    expect((await assign(t, t.owner, member.userId, role.id)).statusCode).toBe(200);
    expect((await t.as(member, { method: 'GET', url: '/api/v1/users' })).statusCode).toBe(200);
    expectProblem(await t.as(member, { method: 'GET', url: '/api/v1/security/events' }), 403);

    const patched = await t.as(t.owner, {
      method: 'PATCH',
      url: `/api/v1/roles/${role.id}`,
      payload: { permissions: ['security:read'] },
    });
    expect(patched.statusCode).toBe(200);
    expectProblem(await t.as(member, { method: 'GET', url: '/api/v1/users' }), 403);
    expect((await t.as(member, { method: 'GET', url: '/api/v1/security/events' })).statusCode).toBe(200);
    expect((await me(t, member)).permissions).toEqual(['security:read']);

    const removed = await t.as(t.owner, {
      method: 'DELETE',
      url: `/api/v1/users/${member.userId}/roles/${role.id}`,
    });
    expect(removed.statusCode).toBe(204);
    expect(await me(t, member)).toEqual(expect.objectContaining({ roles: [], permissions: [] }));
    expectProblem(await t.as(member, { method: 'GET', url: '/api/v1/security/events' }), 403);
    expectProblem(
      await t.as(t.owner, { method: 'DELETE', url: `/api/v1/users/${member.userId}/roles/${role.id}` }),
      404,
    );

    // Each grant, change and removal of privileges is a security event, and in the audit log.
    const events = await t.as(t.owner, {
      method: 'GET',
      url: '/api/v1/security/events?type=privilege_change',
    });
    expect(events.statusCode).toBe(200);
    const items = events.json().items as { details: Record<string, unknown>; user_id: string }[];
    expect(items).toHaveLength(3);
    expect(items.every((e) => e.user_id === t.owner.userId)).toBe(true);
    expect(items.map((e) => e.details)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ target_user: member.userId, role: 'readers', granted: true }),
        expect.objectContaining({ role: 'readers' }),
        expect.objectContaining({ target_user: member.userId, granted: false }),
      ]),
    );
    const audit = await t.as(t.owner, { method: 'GET', url: '/api/v1/audit/logs?action=role.' });
    expect(audit.json().items.map((r: { action: string }) => r.action)).toEqual([
      'role.unassigned',
      'role.updated',
      'role.assigned',
      'role.created',
    ]);
  });
});

describe('role assignments', () => {
  it('refuses an expiry in the past, and an expired assignment grants nothing', async () => {
    const ctx: TestContext = await testApp();
    const t = await newTenant(ctx);
    const roles = await rolesOf(t);
    const member = await t.member(['viewer'], 'Temp');
    const past = await assign(t, t.owner, member.userId, roles.admin!.id, '2001-01-01T00:00:00Z');
    expectProblem(past, 400);
    expect(past.json().errors).toEqual([{ path: 'body/expires_at', message: expect.any(String) }]);
    const badDate = await assign(t, t.owner, member.userId, roles.admin!.id, 'next tuesday');
    expectProblem(badDate, 400);
    expect((await me(t, member)).roles).toEqual(['viewer']);

    const until = new Date(Date.now() + 3_600_000).toISOString();
    const granted = await assign(t, t.owner, member.userId, roles.admin!.id, until);
    expect(granted.statusCode).toBe(200);
    const adminAssignment = granted
      .json()
      .roles.find((r: { role: string; expires_at: string | null }) => r.role === 'admin');
    expect(new Date(adminAssignment.expires_at).toISOString()).toBe(until);
    expect((await me(t, member)).roles).toEqual(['admin', 'viewer']);
    expect((await t.as(member, { method: 'GET', url: '/api/v1/audit/logs' })).statusCode).toBe(200);
    expect((await rbacCheck(t, member.userId, 'audit:read')).json().allowed).toBe(true);

    // Time passes: the assignment's expiry is now behind us.
    await ctx.platform.database.raw.query(
      `update user_role_assignments set expires_at = now() - interval '1 minute' where user_id = $1 and role_id = $2`,
      [member.userId, roles.admin!.id],
    );
    await ctx.app.auth.authenticator.evict({ userId: member.userId });
    expect(await me(t, member)).toEqual(
      expect.objectContaining({ roles: ['viewer'], permissions: expect.not.arrayContaining(['audit:read']) }),
    );
    expectProblem(await t.as(member, { method: 'GET', url: '/api/v1/audit/logs' }), 403);
    const check = await rbacCheck(t, member.userId, 'audit:read');
    expect(check.json()).toEqual(expect.objectContaining({ allowed: false, roles: ['viewer'] }));
    const listed = await t.as(t.owner, { method: 'GET', url: `/api/v1/users?q=${member.email}` });
    expect(listed.json().items).toEqual([expect.objectContaining({ id: member.userId, roles: ['viewer'] })]);
  });

  it('a manager without roles:manage cannot assign roles', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const roles = await rolesOf(t);
    const manager = await t.member(['manager'], 'Manager');
    const annotator = await t.member(['annotator'], 'Ann');
    for (const target of [manager.userId, annotator.userId]) {
      expectProblem(await assign(t, manager, target, roles.admin!.id), 403);
      expectProblem(await assign(t, manager, target, roles.viewer!.id), 403);
    }
    expectProblem(
      await t.as(manager, {
        method: 'DELETE',
        url: `/api/v1/users/${annotator.userId}/roles/${roles.annotator!.id}`,
      }),
      403,
    );
    expect((await me(t, manager)).roles).toEqual(['manager']);
    expect((await me(t, annotator)).roles).toEqual(['annotator']);
  });

  it('an admin can grant admin but not owner, and cannot take the owner role away', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const roles = await rolesOf(t);
    const admin = await t.member(['admin'], 'Admin');
    const other = await t.member(['viewer'], 'Other');
    const owner = await assign(t, admin, other.userId, roles.owner!.id);
    expectProblem(owner, 403);
    expect(owner.json().detail).toContain('owner');
    expectProblem(await assign(t, admin, admin.userId, roles.owner!.id), 403);
    const grant = await assign(t, admin, other.userId, roles.admin!.id);
    expect(grant.statusCode).toBe(200);
    expect((await me(t, other)).roles).toEqual(['admin', 'viewer']);
    expectProblem(
      await t.as(admin, {
        method: 'DELETE',
        url: `/api/v1/users/${t.owner.userId}/roles/${roles.owner!.id}`,
      }),
      403,
    );
    expect((await me(t, t.owner)).roles).toEqual(['owner']);
    // An admin cannot grant a custom role that inherits from the owner role either.
    const viaCustom = await createRole(t, t.owner, {
      name: 'owner-in-disguise',
      permissions: [],
      parent_ids: [roles.owner!.id],
    });
    expectProblem(await assign(t, admin, other.userId, viaCustom.id), 403);
    expect((await assign(t, t.owner, other.userId, viaCustom.id)).statusCode).toBe(200);
    // Nor take it away by deleting it.
    expectProblem(await t.as(admin, { method: 'DELETE', url: `/api/v1/roles/${viaCustom.id}` }), 403);
    expect((await me(t, other)).permissions).toContain('*');
  });

  it('cannot escalate by creating or editing a role beyond what one holds', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const roles = await rolesOf(t);
    const keeper = await createRole(t, t.owner, {
      name: 'role-keeper',
      permissions: ['roles:read', 'roles:manage', 'users:read'],
    });
    const member = await t.member([], 'Keeper');
    expect((await assign(t, t.owner, member.userId, keeper.id)).statusCode).toBe(200);

    const widen = await t.as(member, {
      method: 'PATCH',
      url: `/api/v1/roles/${keeper.id}`,
      payload: { permissions: ['roles:read', 'roles:manage', 'users:read', 'audit:read'] },
    });
    expectProblem(widen, 403);
    const inherit = await t.as(member, {
      method: 'PATCH',
      url: `/api/v1/roles/${keeper.id}`,
      payload: { parent_ids: [roles.owner!.id] },
    });
    expectProblem(inherit, 403);
    const create = await t.as(member, {
      method: 'POST',
      url: '/api/v1/roles',
      payload: { name: 'everything', permissions: ['*'] },
    });
    expectProblem(create, 403);
    expect((await me(t, member)).permissions).toEqual(['roles:manage', 'roles:read', 'users:read']);
    expectProblem(await t.as(member, { method: 'GET', url: '/api/v1/audit/logs' }), 403);

    // Within what they hold, they may.
    const narrower = await t.as(member, {
      method: 'POST',
      url: '/api/v1/roles',
      payload: { name: 'user-readers', permissions: ['users:read'] },
    });
    expect(narrower.statusCode).toBe(201);
  });
});

describe('POST /rbac/check', () => {
  it('answers with the roles and a reason', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const reviewer = await t.member(['reviewer'], 'Rev');
    const yes = await rbacCheck(t, reviewer.userId, 'reviews:write');
    expect(yes.statusCode).toBe(200);
    expect(yes.json()).toEqual({
      allowed: true,
      user_id: reviewer.userId,
      permission: 'reviews:write',
      roles: ['reviewer'],
      reason: expect.stringContaining('reviewer'),
    });
    const no = await rbacCheck(t, reviewer.userId, 'users:manage');
    expect(no.statusCode).toBe(200);
    expect(no.json()).toEqual(expect.objectContaining({ allowed: false, roles: ['reviewer'] }));
    expect(no.json().reason).not.toBe(yes.json().reason);
    const owner = await rbacCheck(t, t.owner.userId, 'audit:verify');
    expect(owner.json()).toEqual(expect.objectContaining({ allowed: true, roles: ['owner'] }));

    await t.as(t.owner, {
      method: 'PATCH',
      url: `/api/v1/users/${reviewer.userId}`,
      payload: { status: 'deactivated' },
    });
    const inactive = await rbacCheck(t, reviewer.userId, 'reviews:write');
    expect(inactive.json()).toEqual(
      expect.objectContaining({ allowed: false, reason: expect.stringContaining('deactivated') }),
    );
  });

  it('400 for an unknown permission, 404 for someone of another tenant', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const other = await newTenant(ctx);
    for (const bad of ['users:fly', 'toString', '__proto__', '*']) {
      const res = await rbacCheck(t, t.owner.userId, bad);
      expectProblem(res, 400);
      expect(res.json().errors[0].path).toBe('body/permission');
    }
    const foreign = await rbacCheck(t, other.owner.userId, 'users:read');
    expectProblem(foreign, 404);
    expectProblem(await rbacCheck(t, crypto.randomUUID(), 'users:read'), 404);
    const badId = await t.as(t.owner, {
      method: 'POST',
      url: '/api/v1/rbac/check',
      payload: { user_id: 'someone', permission: 'users:read' },
    });
    expectProblem(badId, 400);
    expect(badId.json().errors[0].path).toBe('body/user_id');
    const annotator = await t.member(['annotator']);
    expectProblem(
      await t.as(annotator, {
        method: 'POST',
        url: '/api/v1/rbac/check',
        payload: { user_id: t.owner.userId, permission: 'users:read' },
      }),
      403,
    );
  });
});
