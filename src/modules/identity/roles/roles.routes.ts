import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { effectivePermissions } from '../../../platform/auth/access.ts';
import { grants, PERMISSIONS } from '../../../platform/auth/permissions.ts';
import { raiseSecurityEvent } from '../../../platform/auth/security-events.ts';
import { badRequest } from '../../../platform/errors/problem.ts';
import { DateTimeIn, IdParams, Nullable, Uuid } from '../../../platform/http/schemas.ts';
import { withinAnnotatorLimit } from '../../license/index.ts';
import { MemberDetail, Role, toDate } from '../identity.schemas.ts';
import * as memberService from '../members/members.service.ts';
import * as roleService from './roles.service.ts';

/** Roles, the permission catalogue and role assignments. */
export const roleRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { authenticator } = app.auth;

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
    async (req) => req.read((db) => roleService.listRoles(db, req.me.tenantId)),
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
      const p = req.me;
      const role = await req.tx(async (tx) => {
        const r = await roleService.createRole(
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
      const p = req.me;
      const role = await req.tx(async (tx) => {
        const r = await withinAnnotatorLimit(app.platform, tx, p.tenantId, p.userId, () =>
          roleService.updateRole(
            tx,
            p.tenantId,
            req.params.id,
            { ...req.body, parentIds: req.body.parent_ids },
            p,
          ),
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
      const p = req.me;
      await req.tx(async (tx) => {
        await roleService.deleteRole(tx, p.tenantId, req.params.id, p);
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
      const p = req.me;
      const view = await req.tx(async (tx) => {
        const a = await withinAnnotatorLimit(app.platform, tx, p.tenantId, p.userId, () =>
          memberService.assignRole(
            tx,
            p.tenantId,
            req.params.id,
            { roleId: req.body.role_id, expiresAt: toDate(req.body.expires_at) },
            p,
          ),
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
        return memberService.memberView(tx, p.tenantId, req.params.id);
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
      const p = req.me;
      await req.tx(async (tx) => {
        await memberService.unassignRole(tx, p.tenantId, req.params.id, req.params.roleId, p);
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
      const p = req.me;
      const { user_id, permission } = req.body;
      if (!Object.hasOwn(PERMISSIONS, permission)) {
        throw badRequest(
          'role.unknown_permission',
          `Unknown permission ${permission}.`,
          [{ path: 'body/permission', message: 'is not in the catalogue' }],
          { permission },
        );
      }
      return req.tx(async (tx) => {
        const member = await memberService.memberView(tx, p.tenantId, user_id);
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
};
