import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { PageQuery, pageOf } from '../../../platform/db/pagination.ts';
import { DateTimeIn, IdParams, Nullable, Uuid } from '../../../platform/http/schemas.ts';
import { ApiToken, toDate } from '../identity.schemas.ts';
import * as tokenService from './tokens.service.ts';

/** API tokens. */
export const tokenRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { authenticator } = app.auth;

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
        response: { 201: Type.Composite([ApiToken, Type.Object({ token: Type.String() })]) },
      },
    },
    async (req, reply) => {
      const p = req.me;
      const created = await req.tx(async (tx) => {
        const t = await tokenService.createApiToken(tx, p, {
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
      const p = req.me;
      return req.read((db) =>
        tokenService.listApiTokens(db, p.tenantId, {
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
      const p = req.me;
      const row = await req.tx(async (tx) => {
        const r = await tokenService.revokeApiToken(tx, p.tenantId, req.params.id, p.userId);
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
      const p = req.me;
      const q = req.query;
      return req.read((db) =>
        tokenService.listApiTokens(db, p.tenantId, {
          limit: q.limit ?? 50,
          cursor: q.cursor,
          userId: q.user_id,
        }),
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
      const p = req.me;
      const row = await req.tx(async (tx) => {
        const r = await tokenService.revokeApiToken(tx, p.tenantId, req.params.id);
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
};
