import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { desc, eq } from 'drizzle-orm';
import { PageQuery, pageOf } from '../../../platform/db/pagination.ts';
import { DateTime, Nullable } from '../../../platform/http/schemas.ts';
import { loadProject } from '../access.ts';
import { webhooks } from '../schema.ts';
import {
  createWebhook,
  getWebhook,
  listDeliveries,
  sendTestDelivery,
  updateWebhook,
  view,
  WEBHOOK_EVENTS,
} from './webhooks.service.ts';

const Id = Type.Integer({ minimum: 1 });
const Event = Type.Unsafe<string>({ type: 'string', enum: [...WEBHOOK_EVENTS] });
const Webhook = Type.Object({
  id: Type.Integer(),
  project_id: Nullable(Type.Integer()),
  url: Type.String(),
  events: Type.Array(Type.String()),
  send_payload: Type.Boolean(),
  headers: Type.Record(Type.String(), Type.String()),
  active: Type.Boolean(),
  created_at: DateTime,
  updated_at: DateTime,
});
const Delivery = Type.Object({
  id: Type.Integer(),
  event: Type.String(),
  status: Type.String(),
  attempts: Type.Integer(),
  response_status: Nullable(Type.Integer()),
  error: Nullable(Type.String()),
  created_at: DateTime,
  delivered_at: Nullable(DateTime),
});
const Fields = {
  url: Type.String({ maxLength: 2000 }),
  events: Type.Array(Event, { minItems: 1, maxItems: WEBHOOK_EVENTS.length, uniqueItems: true }),
  secret: Type.Optional(Type.String({ minLength: 16, maxLength: 200 })),
  send_payload: Type.Optional(Type.Boolean()),
  headers: Type.Optional(
    Type.Record(Type.String({ pattern: '^[A-Za-z0-9-]{1,64}$' }), Type.String({ maxLength: 1000 })),
  ),
  active: Type.Optional(Type.Boolean()),
};
const Params = Type.Object({ id: Id });
const tags = ['webhooks'];

export const webhookRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const box = app.platform.secrets;

  app.post(
    '/webhooks',
    {
      config: { permission: 'webhooks:manage' },
      schema: {
        tags,
        summary: 'Register a webhook for the tenant or one project; the signing secret is shown once',
        body: Type.Object(
          { ...Fields, project_id: Type.Optional(Nullable(Id)) },
          { additionalProperties: false },
        ),
        response: { 201: Type.Composite([Webhook, Type.Object({ secret: Type.String() })]) },
      },
    },
    async (req, reply) => {
      const p = req.me;
      const b = req.body;
      const created = await req.tx(async (tx) => {
        if (b.project_id) await loadProject(tx, p, b.project_id, 'manage');
        const hook = await createWebhook(
          tx,
          box,
          p.tenantId,
          {
            url: b.url,
            events: b.events,
            projectId: b.project_id,
            secret: b.secret,
            sendPayload: b.send_payload,
            headers: b.headers,
            active: b.active,
          },
          p.userId,
        );
        req.audit({
          action: 'webhook.created',
          resourceType: 'webhook',
          resourceId: String(hook.id),
          details: { url: hook.url, events: hook.events },
        });
        return hook;
      });
      return reply.code(201).send(created);
    },
  );

  app.get(
    '/webhooks',
    {
      config: { permission: 'webhooks:manage' },
      schema: { tags, summary: "The tenant's webhooks", response: { 200: Type.Array(Webhook) } },
    },
    async (req) =>
      req.tx(async (tx) =>
        (
          await tx
            .select()
            .from(webhooks)
            .where(eq(webhooks.tenantId, req.me.tenantId))
            .orderBy(desc(webhooks.id))
        ).map(view),
      ),
  );

  app.get(
    '/webhooks/:id',
    {
      config: { permission: 'webhooks:manage' },
      schema: { tags, summary: 'One webhook', params: Params, response: { 200: Webhook } },
    },
    async (req) => req.tx(async (tx) => view(await getWebhook(tx, req.me.tenantId, req.params.id))),
  );

  app.patch(
    '/webhooks/:id',
    {
      config: { permission: 'webhooks:manage' },
      schema: {
        tags,
        summary: 'Change a webhook (URL, events, secret, headers, active)',
        params: Params,
        body: Type.Partial(Type.Object(Fields), { additionalProperties: false }),
        response: { 200: Webhook },
      },
    },
    async (req) => {
      const p = req.me;
      const b = req.body;
      return req.tx(async (tx) => {
        const hook = await updateWebhook(tx, box, p.tenantId, req.params.id, {
          url: b.url,
          events: b.events,
          secret: b.secret,
          sendPayload: b.send_payload,
          headers: b.headers,
          active: b.active,
        });
        req.audit({
          action: 'webhook.updated',
          resourceType: 'webhook',
          resourceId: String(hook.id),
          details: { ...b, ...(b.secret ? { secret: '(changed)' } : {}) },
        });
        return hook;
      });
    },
  );

  app.delete(
    '/webhooks/:id',
    {
      config: { permission: 'webhooks:manage' },
      schema: {
        tags,
        summary: 'Remove a webhook and its delivery log',
        params: Params,
        response: { 204: Type.Null() },
      },
    },
    async (req, reply) => {
      const p = req.me;
      await req.tx(async (tx) => {
        await getWebhook(tx, p.tenantId, req.params.id);
        await tx.delete(webhooks).where(eq(webhooks.id, req.params.id));
        req.audit({ action: 'webhook.deleted', resourceType: 'webhook', resourceId: String(req.params.id) });
      });
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/webhooks/:id/test',
    {
      config: { permission: 'webhooks:manage' },
      schema: {
        tags,
        summary:
          'Send a signed test delivery (event WEBHOOK_TEST) through the delivery job; its outcome shows in the delivery log',
        params: Params,
        response: { 202: Delivery },
      },
    },
    async (req, reply) => {
      const d = await req.tx(async (tx) => {
        const hook = await getWebhook(tx, req.me.tenantId, req.params.id);
        const delivery = await sendTestDelivery(tx, app.platform.queue, hook, req.me.userId);
        req.audit({
          action: 'webhook.tested',
          resourceType: 'webhook',
          resourceId: String(hook.id),
          details: { delivery_id: delivery.id },
        });
        return delivery;
      });
      return reply.code(202).send({
        id: d.id,
        event: d.event,
        status: d.status,
        attempts: d.attempts,
        response_status: d.responseStatus,
        error: d.error,
        created_at: d.createdAt,
        delivered_at: d.deliveredAt,
      });
    },
  );

  app.get(
    '/webhooks/:id/deliveries',
    {
      config: { permission: 'webhooks:manage' },
      schema: {
        tags,
        summary: 'Delivery log, newest first: status, attempts, response code, error',
        params: Params,
        querystring: Type.Object(PageQuery),
        response: { 200: pageOf(Delivery) },
      },
    },
    async (req) =>
      req.tx((tx) =>
        listDeliveries(tx, req.me.tenantId, req.params.id, req.query.limit ?? 50, req.query.cursor),
      ),
  );
};
