import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { PageQuery, pageOf } from '../../../platform/db/pagination.ts';
import { badRequest } from '../../../platform/errors/problem.ts';
import { IdParams } from '../../../platform/http/schemas.ts';
import { withinAnnotatorLimit } from '../../license/index.ts';
import * as authService from '../auth/auth.service.ts';
import { Email, Member, MemberDetail, Session } from '../identity.schemas.ts';
import * as memberService from './members.service.ts';

/** The tenant's members and their status. */
export const memberRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { platform } = app;
  const { authenticator } = app.auth;
  const settings = platform.config.auth;

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
        memberService.listMembers(db, req.me.tenantId, {
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
      const p = req.me;
      const result = await req.tx(async (tx) => {
        const added = await withinAnnotatorLimit(platform, tx, p.tenantId, p.userId, () =>
          memberService.addMember(tx, p.tenantId, req.body, p),
        );
        req.audit({
          action: 'user.added',
          resourceType: 'user',
          resourceId: added.userId,
          details: { roles: req.body.roles, created: added.created },
          personal: { email: req.body.email },
        });
        return { ...added, user: await memberService.memberView(tx, p.tenantId, added.userId) };
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
    async (req) => req.read((db) => memberService.memberView(db, req.me.tenantId, req.params.id)),
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
      const p = req.me;
      if (req.params.id === p.userId && req.body.status === 'deactivated') {
        throw badRequest('member.cannot_deactivate_self', 'You cannot deactivate yourself.');
      }
      const view = await req.tx(async (tx) => {
        if (req.body.status === 'deactivated')
          await memberService.checkOutranks(tx, p.tenantId, req.params.id, p);
        await withinAnnotatorLimit(platform, tx, p.tenantId, p.userId, () =>
          memberService.setMemberStatus(tx, p.tenantId, req.params.id, req.body.status),
        );
        req.audit({ action: `user.${req.body.status}`, resourceType: 'user', resourceId: req.params.id });
        return memberService.memberView(tx, p.tenantId, req.params.id);
      });
      await authenticator.evict({ userId: req.params.id, tenantId: undefined });
      return view;
    },
  );

  app.post(
    '/users/:id/unlock',
    {
      config: { permission: 'users:manage' },
      schema: {
        tags: ['users'],
        summary: 'Lift the lock repeated failed sign-ins put on a member, before it runs out',
        params: IdParams,
        response: { 200: MemberDetail },
      },
    },
    async (req) => {
      const p = req.me;
      return req.tx(async (tx) => {
        await memberService.unlockMember(tx, p.tenantId, req.params.id);
        req.audit({ action: 'user.unlocked', resourceType: 'user', resourceId: req.params.id });
        return memberService.memberView(tx, p.tenantId, req.params.id);
      });
    },
  );

  app.post(
    '/users/:id/password',
    {
      config: { permission: 'users:manage' },
      schema: {
        tags: ['users'],
        summary:
          "Reset a member's password (the one given, or a generated one shown once); lifts a lock and ends their sessions",
        params: IdParams,
        body: Type.Object(
          { password: Type.Optional(Type.String({ maxLength: 1024 })) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            user: MemberDetail,
            ended_sessions: Type.Integer(),
            generated_password: Type.Optional(Type.String()),
          }),
        },
      },
    },
    async (req) => {
      const p = req.me;
      if (req.params.id === p.userId) {
        throw badRequest(
          'member.own_password_on_profile',
          'Change your own password on your profile, with the current one.',
        );
      }
      const result = await req.tx(async (tx) => {
        const reset = await memberService.resetMemberPassword(
          tx,
          p.tenantId,
          req.params.id,
          req.body.password,
          p,
        );
        req.audit({
          action: 'user.password_reset',
          resourceType: 'user',
          resourceId: req.params.id,
          details: { generated: !req.body.password, ended_sessions: reset.ended.length },
        });
        return { ...reset, user: await memberService.memberView(tx, p.tenantId, req.params.id) };
      });
      for (const s of result.ended) await authenticator.evict({ sessionId: s.id });
      return {
        user: result.user,
        ended_sessions: result.ended.length,
        ...(result.generatedPassword ? { generated_password: result.generatedPassword } : {}),
      };
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
        await memberService.memberView(tx, req.me.tenantId, req.params.id);
        return authService.listSessions(
          tx,
          req.me.tenantId,
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
      const p = req.me;
      const ended = await req.tx(async (tx) => {
        await memberService.memberView(tx, p.tenantId, req.params.id);
        const rows = await authService.endSessions(
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
};
