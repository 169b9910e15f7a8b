import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { sql } from 'drizzle-orm';
import { tenants } from '../../../platform/auth/schema.ts';
import { PageQuery, pageOf } from '../../../platform/db/pagination.ts';
import { inSystem } from '../../../platform/db/tenancy.ts';
import { badRequest } from '../../../platform/errors/problem.ts';
import { Slug, Tenant, tenantView } from '../identity.schemas.ts';
import * as tenantService from './tenants.service.ts';

/** Tenants: the current one, and all of them for platform owners. */
export const tenantRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { platform } = app;
  const { authenticator } = app.auth;
  const db = platform.database.db;

  app.get(
    '/tenant',
    {
      config: { permission: 'tenants:read' },
      schema: { tags: ['tenants'], summary: 'The current tenant', response: { 200: Tenant } },
    },
    async (req) =>
      req.tx(async (tx) => {
        const [t] = await tx.select().from(tenants).where(sql`${tenants.id} = ${req.me.tenantId}`);
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
      const p = req.me;
      if (req.body.time_zone) {
        try {
          new Intl.DateTimeFormat('en', { timeZone: req.body.time_zone });
        } catch {
          throw badRequest(
            'tenant.unknown_time_zone',
            `Unknown time zone "${req.body.time_zone}".`,
            [{ path: 'body/time_zone', message: 'is not an IANA time zone' }],
            { time_zone: req.body.time_zone },
          );
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
      const page = await tenantService.listTenants(db, {
        limit: q.limit ?? 50,
        cursor: q.cursor,
        search: q.q,
      });
      return { ...page, items: page.items.map(tenantView) };
    },
  );

  app.post(
    '/tenants',
    {
      config: { permission: 'self', platformOwner: true, feature: 'multi_tenant' },
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
      const p = req.me;
      const tenant = await inSystem(db, async (tx) => {
        const t = await tenantService.createTenant(tx, {
          slug: req.body.slug,
          name: req.body.name,
          timeZone: req.body.time_zone,
        });
        await tenantService.joinAsOwner(tx, t.id, p.userId);
        return t;
      });
      await req.tx(
        async () => {
          req.audit({
            action: 'tenant.created',
            resourceType: 'tenant',
            resourceId: tenant.id,
            details: { slug: tenant.slug },
            personal: { by: p.email },
          });
        },
        { tenantId: tenant.id, userId: p.userId },
      );
      return reply.code(201).send(tenantView(tenant));
    },
  );
};
