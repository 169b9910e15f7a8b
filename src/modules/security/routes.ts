import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { SECURITY_EVENT_STATUSES, SECURITY_EVENT_TYPES, SEVERITIES } from '../../platform/auth/schema.ts';
import { PageQuery, pageOf } from '../../platform/db/pagination.ts';
import { DateTime, IdParams, Nullable, Uuid } from '../../platform/http/schemas.ts';
import { listAllowList, listEvents, replaceAllowList, updateEvent } from './service.ts';

const literals = <T extends readonly string[]>(values: T) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values] });

const SecurityEvent = Type.Object({
  id: Uuid,
  type: Type.String(),
  severity: Type.String(),
  status: Type.String(),
  user_id: Nullable(Uuid),
  ip: Nullable(Type.String()),
  details: Type.Record(Type.String(), Type.Unknown()),
  resolved_by: Nullable(Uuid),
  note: Nullable(Type.String()),
  created_at: DateTime,
  updated_at: DateTime,
});

const AllowEntry = Type.Object({
  id: Uuid,
  cidr: Type.String(),
  description: Type.String(),
  created_by: Nullable(Uuid),
  created_at: DateTime,
});

export const securityRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/security/events',
    {
      config: { permission: 'security:read' },
      schema: {
        tags: ['security'],
        summary: 'Security events, newest first',
        querystring: Type.Object({
          ...PageQuery,
          type: Type.Optional(literals(SECURITY_EVENT_TYPES)),
          severity: Type.Optional(literals(SEVERITIES)),
          status: Type.Optional(literals(SECURITY_EVENT_STATUSES)),
        }),
        response: { 200: pageOf(SecurityEvent) },
      },
    },
    async (req) => {
      const { limit, ...q } = req.query;
      return req.tx((tx) => listEvents(tx, req.me.tenantId, { limit: limit ?? 50, ...q }));
    },
  );

  app.patch(
    '/security/events/:id',
    {
      config: { permission: 'security:manage' },
      schema: {
        tags: ['security'],
        summary: 'Triage an event: open → investigating → resolved / false_positive',
        params: IdParams,
        body: Type.Object(
          {
            status: literals(SECURITY_EVENT_STATUSES),
            note: Type.Optional(Type.String({ maxLength: 2000 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: SecurityEvent },
      },
    },
    async (req) => {
      const p = req.me;
      return req.tx(async (tx) => {
        const event = await updateEvent(tx, p.tenantId, req.params.id, req.body, p.userId);
        req.audit({
          action: 'security_event.updated',
          resourceType: 'security_event',
          resourceId: event.id,
          details: { ...req.body },
        });
        return event;
      });
    },
  );

  app.get(
    '/security/ip-whitelist',
    {
      config: { permission: 'security:read' },
      schema: {
        tags: ['security'],
        summary: "The tenant's IP allow-list (empty: every address may connect)",
        response: { 200: Type.Object({ entries: Type.Array(AllowEntry) }) },
      },
    },
    async (req) => ({ entries: await req.tx((tx) => listAllowList(tx, req.me.tenantId)) }),
  );

  app.put(
    '/security/ip-whitelist',
    {
      config: { permission: 'security:manage' },
      schema: {
        tags: ['security'],
        summary: 'Replace the IP allow-list; it must include the address saving it',
        body: Type.Object(
          {
            entries: Type.Array(
              Type.Object(
                {
                  cidr: Type.String({ maxLength: 64 }),
                  description: Type.Optional(Type.String({ maxLength: 500 })),
                },
                { additionalProperties: false },
              ),
              { maxItems: 1000 },
            ),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ entries: Type.Array(AllowEntry) }) },
      },
    },
    async (req) => {
      const p = req.me;
      const entries = await req.tx(async (tx) => {
        const saved = await replaceAllowList(tx, p.tenantId, req.body.entries, req.ip, p.userId);
        req.audit({
          action: 'ip_whitelist.replaced',
          resourceType: 'ip_whitelist',
          details: { entries: saved.map((e) => e.cidr) },
        });
        return saved;
      });
      await app.auth.ipAllow.changed(p.tenantId);
      return { entries };
    },
  );
};
