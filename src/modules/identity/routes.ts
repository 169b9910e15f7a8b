import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { sql } from 'drizzle-orm';
import { effectivePermissions } from '../../platform/auth/access.ts';
import { CSRF_COOKIE, setCsrfCookie } from '../../platform/auth/csrf.ts';
import { grants, PERMISSIONS } from '../../platform/auth/permissions.ts';
import { SESSION_COOKIE } from '../../platform/auth/plugin.ts';
import { tenants } from '../../platform/auth/schema.ts';
import { raiseSecurityEvent } from '../../platform/auth/security-events.ts';
import { PageQuery, pageOf } from '../../platform/db/pagination.ts';
import { inSystem } from '../../platform/db/tenancy.ts';
import { badRequest, notFound } from '../../platform/errors/problem.ts';
import { DateTime, DateTimeIn, IdParams, Nullable, Uuid } from '../../platform/http/schemas.ts';
import * as identity from './service.ts';

const Email = Type.String({ format: 'email', maxLength: 254 });
const Slug = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{1,62}$' });

const UserRef = Type.Object({ id: Uuid, email: Type.String(), name: Type.String() });
const TenantRef = Type.Object({ id: Uuid, slug: Type.String(), name: Type.String() });
const Member = Type.Object({
  id: Uuid,
  email: Type.String(),
  name: Type.String(),
  status: Type.String(),
  created_at: DateTime,
  roles: Type.Array(Type.String()),
});
const MemberDetail = Type.Object({
  id: Uuid,
  email: Type.String(),
  name: Type.String(),
  status: Type.String(),
  account_status: Type.String(),
  last_login_at: Nullable(DateTime),
  created_at: DateTime,
  roles: Type.Array(Type.Object({ role_id: Uuid, role: Type.String(), expires_at: Nullable(DateTime) })),
});
const Session = Type.Object({
  id: Uuid,
  ip: Nullable(Type.String()),
  user_agent: Nullable(Type.String()),
  created_at: DateTime,
  last_activity_at: DateTime,
  expires_at: DateTime,
  ended_at: Nullable(DateTime),
  ended_reason: Nullable(Type.String()),
});
const Role = Type.Object({
  id: Uuid,
  name: Type.String(),
  description: Type.String(),
  built_in: Type.Boolean(),
  permissions: Type.Array(Type.String()),
  parent_ids: Type.Array(Uuid),
  created_at: DateTime,
});
const ApiToken = Type.Object({
  id: Uuid,
  name: Type.String(),
  user_id: Uuid,
  permissions: Type.Array(Type.String()),
  expires_at: Nullable(DateTime),
  last_used_at: Nullable(DateTime),
  revoked_at: Nullable(DateTime),
  created_at: DateTime,
});
const Tenant = Type.Object({
  id: Uuid,
  slug: Type.String(),
  name: Type.String(),
  status: Type.String(),
  time_zone: Type.String(),
  settings: Type.Record(Type.String(), Type.Unknown()),
  created_at: DateTime,
});

const tenantView = (t: typeof tenants.$inferSelect) => ({
  id: t.id,
  slug: t.slug,
  name: t.name,
  status: t.status,
  time_zone: t.timeZone,
  settings: t.settings,
  created_at: t.createdAt,
});

const toDate = (v: string | null | undefined) => (v ? new Date(v) : v === null ? null : undefined);

export const identityRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { platform } = app;
  const { authenticator, ipAllow } = app.auth;
  const db = platform.database.db;
  const settings = platform.config.auth;

  // ------------------------------------------------------------ authentication
  app.post(
    '/auth/login',
    {
      config: { public: true, rateLimit: { max: settings.rateLimitPerMinute, timeWindow: 60_000 } },
      schema: {
        tags: ['auth'],
        summary: 'Sign in with e-mail and password; returns a bearer token and sets the session cookie',
        body: Type.Object(
          {
            email: Email,
            password: Type.String({ minLength: 1, maxLength: 1024 }),
            tenant: Type.Optional(Slug),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            token: Type.String(),
            expires_at: DateTime,
            user: UserRef,
            tenant: TenantRef,
            roles: Type.Array(Type.String()),
            permissions: Type.Array(Type.String()),
          }),
        },
      },
    },
    async (req, reply) => {
      const result = await identity.login(db, settings, {
        ...req.body,
        ip: req.ip,
        userAgent: req.headers['user-agent'] ?? null,
        ipAllowed: (tenantId) => ipAllow.allows(tenantId, req.ip),
      });
      for (const sessionId of result.endedSessions) await authenticator.evict({ sessionId });
      req.audit({
        action: 'auth.login',
        resourceType: 'session',
        resourceId: result.sessionId,
        details: { ended_sessions: result.endedSessions },
      });
      await req.tx(async () => {}, { tenantId: result.tenant.id, userId: result.user.id });
      reply.setCookie(SESSION_COOKIE, result.token, {
        httpOnly: true,
        sameSite: 'lax',
        path: '/',
        secure: req.protocol === 'https',
        expires: result.expiresAt,
      });
      setCsrfCookie(req, reply, result.token, result.expiresAt);
      return {
        token: result.token,
        expires_at: result.expiresAt.toISOString(),
        user: result.user,
        tenant: result.tenant,
        roles: result.roles,
        permissions: result.permissions,
      };
    },
  );

  app.post(
    '/auth/logout',
    {
      config: { permission: 'self' },
      schema: { tags: ['auth'], summary: 'End the current session', response: { 204: Type.Null() } },
    },
    async (req, reply) => {
      const p = req.principal!;
      if (!p.sessionId) throw badRequest('An API token cannot log out; revoke it instead.');
      await req.tx(async (tx) => {
        await identity.endSessions(tx, { sessionId: p.sessionId! }, 'logout');
        req.audit({ action: 'auth.logout', resourceType: 'session', resourceId: p.sessionId });
      });
      await authenticator.evict({ sessionId: p.sessionId });
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      reply.clearCookie(CSRF_COOKIE, { path: '/' });
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/auth/me',
    {
      config: { permission: 'self' },
      schema: {
        tags: ['auth'],
        summary: 'Who the caller is, in which tenant, with which permissions',
        response: {
          200: Type.Object({
            user: UserRef,
            tenant: TenantRef,
            kind: Type.String(),
            session_id: Nullable(Type.String()),
            roles: Type.Array(Type.String()),
            permissions: Type.Array(Type.String()),
            is_platform_owner: Type.Boolean(),
          }),
        },
      },
    },
    async (req) => {
      // Served from the cached principal: no database round trip.
      const p = req.principal!;
      return {
        user: { id: p.userId, email: p.email, name: p.name },
        tenant: { id: p.tenantId, ...p.tenant },
        kind: p.kind,
        session_id: p.sessionId,
        roles: p.roles,
        permissions: p.permissions,
        is_platform_owner: p.isPlatformOwner,
      };
    },
  );

  app.post(
    '/auth/password',
    {
      config: { permission: 'self', rateLimit: { max: settings.rateLimitPerMinute, timeWindow: 60_000 } },
      schema: {
        tags: ['auth'],
        summary: "Change one's password; other sessions end",
        body: Type.Object(
          {
            current_password: Type.String({ minLength: 1 }),
            new_password: Type.String({ minLength: 1, maxLength: 1024 }),
          },
          { additionalProperties: false },
        ),
        response: { 204: Type.Null() },
      },
    },
    async (req, reply) => {
      const p = req.principal!;
      const ended = await req.tx(async (tx) => {
        const ended = await identity.changePassword(
          tx,
          p.userId,
          { current: req.body.current_password, next: req.body.new_password },
          p.sessionId,
        );
        req.audit({
          action: 'auth.password_changed',
          resourceType: 'user',
          resourceId: p.userId,
          details: { ended_sessions: ended.length },
        });
        return ended;
      });
      for (const s of ended) await authenticator.evict({ sessionId: s.id });
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/auth/sessions',
    {
      config: { permission: 'self' },
      schema: {
        tags: ['auth'],
        summary: 'My live sessions in this tenant',
        querystring: Type.Object({ ...PageQuery, include_ended: Type.Optional(Type.Boolean()) }),
        response: { 200: pageOf(Session) },
      },
    },
    async (req) => {
      const p = req.principal!;
      const q = req.query;
      return req.read((db) =>
        identity.listSessions(
          db,
          p.tenantId,
          p.userId,
          { limit: q.limit ?? 50, cursor: q.cursor, includeEnded: q.include_ended },
          settings.sessionIdleMinutes,
        ),
      );
    },
  );

  app.delete(
    '/auth/sessions/:id',
    {
      config: { permission: 'self' },
      schema: {
        tags: ['auth'],
        summary: 'End one of my sessions',
        params: IdParams,
        response: { 204: Type.Null() },
      },
    },
    async (req, reply) => {
      const p = req.principal!;
      await req.tx(async (tx) => {
        const ended = await identity.endSessions(
          tx,
          { userId: p.userId, sessionId: req.params.id },
          'logout',
        );
        if (ended.length === 0) throw notFound('The session');
        req.audit({ action: 'session.ended', resourceType: 'session', resourceId: req.params.id });
      });
      await authenticator.evict({ sessionId: req.params.id });
      return reply.code(204).send(null);
    },
  );

  // ------------------------------------------------------------ API tokens
  const TokenBody = Type.Object(
    {
      name: Type.String({ minLength: 1, maxLength: 100 }),
      permissions: Type.Array(Type.String({ maxLength: 100 }), { minItems: 1, maxItems: 200 }),
      expires_at: Type.Optional(Nullable(DateTimeIn)),
    },
    { additionalProperties: false },
  );

  app.post(
    '/tokens',
    {
      config: { permission: 'tokens:create' },
      schema: {
        tags: ['tokens'],
        summary: 'Create an API token holding a subset of my permissions; the token is shown once',
        body: TokenBody,
        response: { 201: Type.Intersect([ApiToken, Type.Object({ token: Type.String() })]) },
      },
    },
    async (req, reply) => {
      const p = req.principal!;
      const created = await req.tx(async (tx) => {
        const t = await identity.createApiToken(tx, p, {
          ...req.body,
          expiresAt: toDate(req.body.expires_at),
        });
        req.audit({
          action: 'token.created',
          resourceType: 'api_token',
          resourceId: t.id,
          details: { name: t.name, permissions: t.permissions },
        });
        return t;
      });
      return reply.code(201).send(created);
    },
  );

  app.get(
    '/tokens',
    {
      config: { permission: 'self' },
      schema: {
        tags: ['tokens'],
        summary: 'My API tokens',
        querystring: Type.Object(PageQuery),
        response: { 200: pageOf(ApiToken) },
      },
    },
    async (req) => {
      const p = req.principal!;
      return req.read((db) =>
        identity.listApiTokens(db, p.tenantId, {
          limit: req.query.limit ?? 50,
          cursor: req.query.cursor,
          userId: p.userId,
        }),
      );
    },
  );

  app.delete(
    '/tokens/:id',
    {
      config: { permission: 'self' },
      schema: {
        tags: ['tokens'],
        summary: 'Revoke one of my API tokens',
        params: IdParams,
        response: { 204: Type.Null() },
      },
    },
    async (req, reply) => {
      const p = req.principal!;
      const row = await req.tx(async (tx) => {
        const r = await identity.revokeApiToken(tx, p.tenantId, req.params.id, p.userId);
        req.audit({ action: 'token.revoked', resourceType: 'api_token', resourceId: r.id });
        return r;
      });
      await authenticator.evict({ tokenHash: row.tokenHash });
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/admin/tokens',
    {
      config: { permission: 'tokens:manage' },
      schema: {
        tags: ['tokens'],
        summary: "Every member's API tokens",
        querystring: Type.Object({ ...PageQuery, user_id: Type.Optional(Uuid) }),
        response: { 200: pageOf(ApiToken) },
      },
    },
    async (req) => {
      const p = req.principal!;
      const q = req.query;
      return req.read((db) =>
        identity.listApiTokens(db, p.tenantId, { limit: q.limit ?? 50, cursor: q.cursor, userId: q.user_id }),
      );
    },
  );

  app.delete(
    '/admin/tokens/:id',
    {
      config: { permission: 'tokens:manage' },
      schema: {
        tags: ['tokens'],
        summary: "Revoke any member's API token",
        params: IdParams,
        response: { 204: Type.Null() },
      },
    },
    async (req, reply) => {
      const p = req.principal!;
      const row = await req.tx(async (tx) => {
        const r = await identity.revokeApiToken(tx, p.tenantId, req.params.id);
        req.audit({
          action: 'token.revoked',
          resourceType: 'api_token',
          resourceId: r.id,
          details: { owner: r.userId },
        });
        return r;
      });
      await authenticator.evict({ tokenHash: row.tokenHash });
      return reply.code(204).send(null);
    },
  );

  // ------------------------------------------------------------ members
  app.get(
    '/users',
    {
      config: { permission: 'users:read' },
      schema: {
        tags: ['users'],
        summary: 'Members of this tenant',
        querystring: Type.Object({
          ...PageQuery,
          status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('deactivated')])),
          q: Type.Optional(Type.String({ maxLength: 200 })),
        }),
        response: { 200: pageOf(Member) },
      },
    },
    async (req) => {
      const q = req.query;
      return req.read((db) =>
        identity.listMembers(db, req.principal!.tenantId, {
          limit: q.limit ?? 50,
          cursor: q.cursor,
          status: q.status,
          search: q.q,
        }),
      );
    },
  );

  app.post(
    '/users',
    {
      config: { permission: 'users:manage' },
      schema: {
        tags: ['users'],
        summary: 'Add a member: an existing account joins, or a new one is created',
        body: Type.Object(
          {
            email: Email,
            name: Type.Optional(Type.String({ maxLength: 200 })),
            password: Type.Optional(Type.String({ maxLength: 1024 })),
            roles: Type.Array(Type.String({ maxLength: 100 }), { maxItems: 50, default: [] }),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({
            user: MemberDetail,
            created: Type.Boolean(),
            generated_password: Type.Optional(Type.String()),
          }),
        },
      },
    },
    async (req, reply) => {
      const p = req.principal!;
      const result = await req.tx(async (tx) => {
        const added = await identity.addMember(tx, p.tenantId, req.body, p);
        req.audit({
          action: 'user.added',
          resourceType: 'user',
          resourceId: added.userId,
          details: { email: req.body.email, roles: req.body.roles, created: added.created },
        });
        return { ...added, user: await identity.memberView(tx, p.tenantId, added.userId) };
      });
      return reply.code(201).send({
        user: result.user,
        created: result.created,
        ...(result.generatedPassword ? { generated_password: result.generatedPassword } : {}),
      });
    },
  );

  app.get(
    '/users/:id',
    {
      config: { permission: 'users:read' },
      schema: {
        tags: ['users'],
        summary: 'One member with roles',
        params: IdParams,
        response: { 200: MemberDetail },
      },
    },
    async (req) => req.read((db) => identity.memberView(db, req.principal!.tenantId, req.params.id)),
  );

  app.patch(
    '/users/:id',
    {
      config: { permission: 'users:manage' },
      schema: {
        tags: ['users'],
        summary: 'Deactivate or reactivate a member',
        params: IdParams,
        body: Type.Object(
          { status: Type.Union([Type.Literal('active'), Type.Literal('deactivated')]) },
          { additionalProperties: false },
        ),
        response: { 200: MemberDetail },
      },
    },
    async (req) => {
      const p = req.principal!;
      if (req.params.id === p.userId && req.body.status === 'deactivated') {
        throw badRequest('You cannot deactivate yourself.');
      }
      const view = await req.tx(async (tx) => {
        if (req.body.status === 'deactivated') await identity.checkOutranks(tx, p.tenantId, req.params.id, p);
        await identity.setMemberStatus(tx, p.tenantId, req.params.id, req.body.status);
        req.audit({ action: `user.${req.body.status}`, resourceType: 'user', resourceId: req.params.id });
        return identity.memberView(tx, p.tenantId, req.params.id);
      });
      await authenticator.evict({ userId: req.params.id, tenantId: undefined });
      return view;
    },
  );

  app.get(
    '/users/:id/sessions',
    {
      config: { permission: 'sessions:read' },
      schema: {
        tags: ['users'],
        summary: "A member's sessions",
        params: IdParams,
        querystring: Type.Object({ ...PageQuery, include_ended: Type.Optional(Type.Boolean()) }),
        response: { 200: pageOf(Session) },
      },
    },
    async (req) => {
      const q = req.query;
      return req.tx(async (tx) => {
        await identity.memberView(tx, req.principal!.tenantId, req.params.id);
        return identity.listSessions(
          tx,
          req.principal!.tenantId,
          req.params.id,
          { limit: q.limit ?? 50, cursor: q.cursor, includeEnded: q.include_ended },
          settings.sessionIdleMinutes,
        );
      });
    },
  );

  app.delete(
    '/users/:id/sessions',
    {
      config: { permission: 'sessions:manage' },
      schema: {
        tags: ['users'],
        summary: 'Force a member to log out of every session in this tenant',
        params: IdParams,
        response: { 200: Type.Object({ ended: Type.Integer() }) },
      },
    },
    async (req) => {
      const p = req.principal!;
      const ended = await req.tx(async (tx) => {
        await identity.memberView(tx, p.tenantId, req.params.id);
        const rows = await identity.endSessions(
          tx,
          { tenantId: p.tenantId, userId: req.params.id },
          'forced',
        );
        req.audit({
          action: 'session.forced_logout',
          resourceType: 'user',
          resourceId: req.params.id,
          details: { ended: rows.length },
        });
        return rows;
      });
      for (const s of ended) await authenticator.evict({ sessionId: s.id });
      return { ended: ended.length };
    },
  );

  // ------------------------------------------------------------ roles
  app.get(
    '/permissions',
    {
      config: { permission: 'roles:read' },
      schema: {
        tags: ['roles'],
        summary: 'The permission catalogue',
        response: { 200: Type.Array(Type.Object({ permission: Type.String(), description: Type.String() })) },
      },
    },
    async () => Object.entries(PERMISSIONS).map(([permission, description]) => ({ permission, description })),
  );

  app.get(
    '/roles',
    {
      config: { permission: 'roles:read' },
      schema: { tags: ['roles'], summary: 'Built-in and custom roles', response: { 200: Type.Array(Role) } },
    },
    async (req) => req.read((db) => identity.listRoles(db, req.principal!.tenantId)),
  );

  const RoleBody = {
    description: Type.Optional(Type.String({ maxLength: 500 })),
    permissions: Type.Array(Type.String({ maxLength: 100 }), { maxItems: 500 }),
    parent_ids: Type.Optional(Type.Array(Uuid, { maxItems: 50 })),
  };

  app.post(
    '/roles',
    {
      config: { permission: 'roles:manage' },
      schema: {
        tags: ['roles'],
        summary: 'Create a custom role; it may inherit from others (no cycles)',
        body: Type.Object(
          { name: Type.String({ minLength: 1, maxLength: 100 }), ...RoleBody },
          { additionalProperties: false },
        ),
        response: { 201: Role },
      },
    },
    async (req, reply) => {
      const p = req.principal!;
      const role = await req.tx(async (tx) => {
        const r = await identity.createRole(
          tx,
          p.tenantId,
          { ...req.body, parentIds: req.body.parent_ids },
          p,
        );
        req.audit({
          action: 'role.created',
          resourceType: 'role',
          resourceId: r.id,
          details: { name: r.name, permissions: r.permissions, parent_ids: r.parent_ids },
        });
        return r;
      });
      return reply.code(201).send(role);
    },
  );

  app.patch(
    '/roles/:id',
    {
      config: { permission: 'roles:manage' },
      schema: {
        tags: ['roles'],
        summary: 'Change a custom role',
        params: IdParams,
        body: Type.Object(
          {
            description: RoleBody.description,
            permissions: Type.Optional(RoleBody.permissions),
            parent_ids: RoleBody.parent_ids,
          },
          { additionalProperties: false },
        ),
        response: { 200: Role },
      },
    },
    async (req) => {
      const p = req.principal!;
      const role = await req.tx(async (tx) => {
        const r = await identity.updateRole(
          tx,
          p.tenantId,
          req.params.id,
          { ...req.body, parentIds: req.body.parent_ids },
          p,
        );
        req.audit({
          action: 'role.updated',
          resourceType: 'role',
          resourceId: r.id,
          details: { ...req.body },
        });
        await raiseSecurityEvent(tx, {
          tenantId: p.tenantId,
          type: 'privilege_change',
          severity: 'medium',
          userId: p.userId,
          ip: req.ip,
          details: { role: r.name, change: req.body },
        });
        return r;
      });
      await authenticator.evict({ tenantId: p.tenantId });
      return role;
    },
  );

  app.delete(
    '/roles/:id',
    {
      config: { permission: 'roles:manage' },
      schema: {
        tags: ['roles'],
        summary: 'Delete a custom role',
        params: IdParams,
        response: { 204: Type.Null() },
      },
    },
    async (req, reply) => {
      const p = req.principal!;
      await req.tx(async (tx) => {
        await identity.deleteRole(tx, p.tenantId, req.params.id, p);
        req.audit({ action: 'role.deleted', resourceType: 'role', resourceId: req.params.id });
      });
      await authenticator.evict({ tenantId: p.tenantId });
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/users/:id/roles',
    {
      config: { permission: 'roles:manage' },
      schema: {
        tags: ['roles'],
        summary: 'Assign a role to a member, optionally until a time',
        params: IdParams,
        body: Type.Object(
          { role_id: Uuid, expires_at: Type.Optional(Nullable(DateTimeIn)) },
          { additionalProperties: false },
        ),
        response: { 200: MemberDetail },
      },
    },
    async (req) => {
      const p = req.principal!;
      const view = await req.tx(async (tx) => {
        const a = await identity.assignRole(
          tx,
          p.tenantId,
          req.params.id,
          { roleId: req.body.role_id, expiresAt: toDate(req.body.expires_at) },
          p,
        );
        req.audit({
          action: 'role.assigned',
          resourceType: 'user',
          resourceId: req.params.id,
          details: { role: a.role, role_id: a.roleId, expires_at: a.expiresAt },
        });
        await raiseSecurityEvent(tx, {
          tenantId: p.tenantId,
          type: 'privilege_change',
          severity: 'medium',
          userId: p.userId,
          ip: req.ip,
          details: { target_user: req.params.id, role: a.role, granted: true },
        });
        return identity.memberView(tx, p.tenantId, req.params.id);
      });
      await authenticator.evict({ userId: req.params.id });
      return view;
    },
  );

  app.delete(
    '/users/:id/roles/:roleId',
    {
      config: { permission: 'roles:manage' },
      schema: {
        tags: ['roles'],
        summary: 'Remove a role from a member',
        params: Type.Object({ id: Uuid, roleId: Uuid }),
        response: { 204: Type.Null() },
      },
    },
    async (req, reply) => {
      const p = req.principal!;
      await req.tx(async (tx) => {
        await identity.unassignRole(tx, p.tenantId, req.params.id, req.params.roleId, p);
        req.audit({
          action: 'role.unassigned',
          resourceType: 'user',
          resourceId: req.params.id,
          details: { role_id: req.params.roleId },
        });
        await raiseSecurityEvent(tx, {
          tenantId: p.tenantId,
          type: 'privilege_change',
          severity: 'low',
          userId: p.userId,
          ip: req.ip,
          details: { target_user: req.params.id, role_id: req.params.roleId, granted: false },
        });
      });
      await authenticator.evict({ userId: req.params.id });
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/rbac/check',
    {
      config: { permission: 'roles:read', audit: false },
      schema: {
        tags: ['roles'],
        summary: 'Whether a member holds a permission (optionally on a resource)',
        body: Type.Object(
          {
            user_id: Uuid,
            permission: Type.String({ maxLength: 100 }),
            resource: Type.Optional(
              Type.Object({ type: Type.String({ maxLength: 100 }), id: Type.String({ maxLength: 200 }) }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            allowed: Type.Boolean(),
            user_id: Uuid,
            permission: Type.String(),
            roles: Type.Array(Type.String()),
            reason: Type.String(),
          }),
        },
      },
    },
    async (req) => {
      const p = req.principal!;
      const { user_id, permission } = req.body;
      if (!Object.hasOwn(PERMISSIONS, permission)) {
        throw badRequest(`Unknown permission ${permission}.`, [
          { path: 'body/permission', message: 'is not in the catalogue' },
        ]);
      }
      return req.tx(async (tx) => {
        const member = await identity.memberView(tx, p.tenantId, user_id);
        const access = await effectivePermissions(tx, p.tenantId, user_id);
        const active = member.status === 'active' && member.account_status === 'active';
        const allowed = active && grants(access.permissions, permission);
        const reason = !active
          ? 'the member is deactivated'
          : allowed
            ? `granted by role(s) ${access.roles.join(', ')}`
            : 'no assigned role grants it';
        return { allowed, user_id, permission, roles: access.roles, reason };
      });
    },
  );

  // ------------------------------------------------------------ tenants
  app.get(
    '/tenant',
    {
      config: { permission: 'tenants:read' },
      schema: { tags: ['tenants'], summary: 'The current tenant', response: { 200: Tenant } },
    },
    async (req) =>
      req.tx(async (tx) => {
        const [t] = await tx.select().from(tenants).where(sql`${tenants.id} = ${req.principal!.tenantId}`);
        return tenantView(t!);
      }),
  );

  app.patch(
    '/tenant',
    {
      config: { permission: 'tenants:manage' },
      schema: {
        tags: ['tenants'],
        summary: 'Rename the tenant or change its time zone and settings',
        body: Type.Object(
          {
            name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            time_zone: Type.Optional(Type.String({ maxLength: 64 })),
            settings: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
          },
          { additionalProperties: false },
        ),
        response: { 200: Tenant },
      },
    },
    async (req) => {
      const p = req.principal!;
      if (req.body.time_zone) {
        try {
          new Intl.DateTimeFormat('en', { timeZone: req.body.time_zone });
        } catch {
          throw badRequest(`Unknown time zone "${req.body.time_zone}".`, [
            { path: 'body/time_zone', message: 'is not an IANA time zone' },
          ]);
        }
      }
      // The tenants row is readable but not writable by the application role: update as the system.
      const updated = await inSystem(db, async (tx) => {
        const [t] = await tx
          .update(tenants)
          .set({
            ...(req.body.name ? { name: req.body.name } : {}),
            ...(req.body.time_zone ? { timeZone: req.body.time_zone } : {}),
            ...(req.body.settings ? { settings: req.body.settings } : {}),
            updatedAt: sql`now()`,
          })
          .where(sql`${tenants.id} = ${p.tenantId}`)
          .returning();
        return t!;
      });
      await req.tx(async () => {
        req.audit({
          action: 'tenant.updated',
          resourceType: 'tenant',
          resourceId: p.tenantId,
          details: { ...req.body },
        });
      });
      // Principals carry the tenant's name; drop them so the rename shows at once.
      await authenticator.evict({ tenantId: p.tenantId });
      return tenantView(updated);
    },
  );

  app.get(
    '/tenants',
    {
      config: { permission: 'self', platformOwner: true },
      schema: {
        tags: ['tenants'],
        summary: 'Every tenant (platform owners), by slug',
        querystring: Type.Object({
          ...PageQuery,
          q: Type.Optional(Type.String({ maxLength: 200, description: 'Part of the slug or name' })),
        }),
        response: { 200: pageOf(Tenant) },
      },
    },
    async (req) => {
      const q = req.query;
      const page = await identity.listTenants(db, { limit: q.limit ?? 50, cursor: q.cursor, search: q.q });
      return { ...page, items: page.items.map(tenantView) };
    },
  );

  app.post(
    '/tenants',
    {
      config: { permission: 'self', platformOwner: true },
      schema: {
        tags: ['tenants'],
        summary: 'Create a tenant; the caller joins it as owner',
        body: Type.Object(
          {
            slug: Slug,
            name: Type.String({ minLength: 1, maxLength: 200 }),
            time_zone: Type.Optional(Type.String({ maxLength: 64 })),
          },
          { additionalProperties: false },
        ),
        response: { 201: Tenant },
      },
    },
    async (req, reply) => {
      const p = req.principal!;
      const tenant = await inSystem(db, async (tx) => {
        const t = await identity.createTenant(tx, {
          slug: req.body.slug,
          name: req.body.name,
          timeZone: req.body.time_zone,
        });
        await identity.joinAsOwner(tx, t.id, p.userId);
        return t;
      });
      await req.tx(
        async () => {
          req.audit({
            action: 'tenant.created',
            resourceType: 'tenant',
            resourceId: tenant.id,
            details: { slug: tenant.slug, by: p.email },
          });
        },
        { tenantId: tenant.id, userId: p.userId },
      );
      return reply.code(201).send(tenantView(tenant));
    },
  );
};
