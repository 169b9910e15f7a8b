import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { CSRF_COOKIE, refuseCrossSite, setCsrfCookie } from '../../../platform/auth/csrf.ts';
import { SESSION_COOKIE } from '../../../platform/auth/plugin.ts';
import { USER_LANGUAGES } from '../../../platform/auth/schema.ts';
import { PageQuery, pageOf } from '../../../platform/db/pagination.ts';
import { badRequest, notFound } from '../../../platform/errors/problem.ts';
import { DateTime, IdParams, Nullable } from '../../../platform/http/schemas.ts';
import { seatClaim } from '../../license/index.ts';
import { Email, Session, Slug, TenantRef, UserRef } from '../identity.schemas.ts';
import * as authService from './auth.service.ts';

/** Sign-in, sessions and passwords. */
export const authRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { platform } = app;
  const { authenticator, ipAllow } = app.auth;
  const db = platform.database.db;
  const settings = platform.config.auth;

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
      refuseCrossSite(req);
      const result = await authService.login(db, settings, {
        ...req.body,
        ip: req.ip,
        userAgent: req.headers['user-agent'] ?? null,
        ipAllowed: (tenantId) => ipAllow.allows(tenantId, req.ip),
        claimSeat: await seatClaim(platform),
      });
      for (const sessionId of result.endedSessions) await authenticator.evict({ sessionId });
      req.audit({
        action: 'auth.login',
        resourceType: 'session',
        resourceId: result.sessionId,
        details: { ended_sessions: result.endedSessions },
        personal: { email: result.user.email },
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
      const p = req.me;
      if (!p.sessionId)
        throw badRequest('auth.token_cannot_logout', 'An API token cannot log out; revoke it instead.');
      await req.tx(async (tx) => {
        await authService.endSessions(tx, { sessionId: p.sessionId! }, 'logout');
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
      const p = req.me;
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

  app.put(
    '/auth/language',
    {
      config: { permission: 'self' },
      schema: {
        tags: ['auth'],
        summary: "Set one's language: e-mails and files the server renders for the caller follow it",
        body: Type.Object(
          { language: Type.Union(USER_LANGUAGES.map((l) => Type.Literal(l))) },
          { additionalProperties: false },
        ),
        response: { 204: Type.Null() },
      },
    },
    async (req, reply) => {
      const p = req.me;
      await req.tx(async (tx) => {
        await authService.setLanguage(tx, p.userId, req.body.language);
        req.audit({
          action: 'auth.language_changed',
          resourceType: 'user',
          resourceId: p.userId,
          details: { language: req.body.language },
        });
      });
      return reply.code(204).send(null);
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
      const p = req.me;
      const ended = await req.tx(async (tx) => {
        const ended = await authService.changePassword(
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
      const p = req.me;
      const q = req.query;
      return req.read((db) =>
        authService.listSessions(
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
      const p = req.me;
      await req.tx(async (tx) => {
        const ended = await authService.endSessions(
          tx,
          { userId: p.userId, sessionId: req.params.id },
          'logout',
        );
        if (ended.length === 0) throw notFound('session.not_found', 'The session');
        req.audit({ action: 'session.ended', resourceType: 'session', resourceId: req.params.id });
      });
      await authenticator.evict({ sessionId: req.params.id });
      return reply.code(204).send(null);
    },
  );
};
