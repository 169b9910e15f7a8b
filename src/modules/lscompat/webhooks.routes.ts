import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { badRequest } from '../../platform/errors/problem.ts';
import { DateTime, Nullable } from '../../platform/http/schemas.ts';
import { WEBHOOK_EVENTS } from '../annotation/index.ts';
import { both, FORWARDED, Id, IdParams, okJson, type V1, v1Of } from './forward.ts';

const Action = Type.Unsafe<string>({ type: 'string', enum: [...WEBHOOK_EVENTS] });
const Settings = {
  url: Type.String({ maxLength: 2000 }),
  send_payload: Type.Optional(Type.Boolean()),
  send_for_all_actions: Type.Optional(Type.Boolean()),
  headers: Type.Optional(Nullable(Type.Record(Type.String(), Type.String({ maxLength: 1000 })))),
  is_active: Type.Optional(Type.Boolean()),
  actions: Type.Optional(Type.Array(Action, { maxItems: WEBHOOK_EVENTS.length, uniqueItems: true })),
};
// Label Studio's clients may send read-only fields back (id, organization, created_at, …): ignored, as it does.
const open = { additionalProperties: true } as const;
const LsWebhook = Type.Object({
  id: Type.Integer(),
  project: Nullable(Type.Integer()),
  url: Type.String(),
  send_payload: Type.Boolean(),
  send_for_all_actions: Type.Boolean(),
  headers: Type.Record(Type.String(), Type.String()),
  is_active: Type.Boolean(),
  actions: Type.Array(Type.String()),
  created_at: DateTime,
  updated_at: DateTime,
});
const tags = ['label-studio'];

interface V1Webhook {
  id: number;
  project_id: number | null;
  url: string;
  events: string[];
  send_payload: boolean;
  headers: Record<string, string>;
  active: boolean;
  created_at: string;
  updated_at: string;
}
type LsIn = {
  url?: string;
  send_payload?: boolean;
  send_for_all_actions?: boolean;
  headers?: Record<string, string> | null;
  is_active?: boolean;
  actions?: string[];
  project?: number | null;
};

const coversAll = (events: string[]) => WEBHOOK_EVENTS.every((e) => events.includes(e));

/** A hook sends for all actions when it subscribes to every event this platform raises. */
const lsWebhook = (w: V1Webhook) => ({
  id: w.id,
  project: w.project_id,
  url: w.url,
  send_payload: w.send_payload,
  send_for_all_actions: coversAll(w.events),
  headers: w.headers,
  is_active: w.active,
  actions: w.events,
  created_at: w.created_at,
  updated_at: w.updated_at,
});

/** The events of Label Studio's pair (send_for_all_actions, actions); what is not given stays as `now`. */
function eventsOf(body: LsIn, now?: { all: boolean; events: string[] }): string[] {
  const all = body.send_for_all_actions ?? now?.all ?? true;
  if (all) return [...WEBHOOK_EVENTS];
  const events = body.actions ?? now?.events ?? [];
  if (events.length === 0)
    throw badRequest(
      'webhook.actions_required',
      'A webhook that does not send for all actions needs at least one action.',
      [{ path: 'body/actions', message: 'must name an action when send_for_all_actions is false' }],
    );
  return events;
}

function v1Settings(body: LsIn) {
  const out: Record<string, unknown> = {};
  if (body.url !== undefined) out.url = body.url;
  if (body.send_payload !== undefined) out.send_payload = body.send_payload;
  if (body.headers !== undefined) out.headers = body.headers ?? {};
  if (body.is_active !== undefined) out.active = body.is_active;
  return out;
}

const getHook = async (v1: V1, req: FastifyRequest, id: number) =>
  okJson<V1Webhook>(await v1(req, 'GET', `/webhooks/${id}`));

/** Label Studio's webhooks, over /api/v1's (signed with our HMAC secret, shown once on create). */
export const webhookRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const v1 = v1Of(app);

  for (const url of both('/webhooks/')) {
    app.get(
      url,
      {
        config: { permission: 'webhooks:manage' },
        schema: {
          tags,
          summary: "Label Studio: the tenant's webhooks (project: one project's)",
          querystring: Type.Object({ project: Type.Optional(Id) }),
          response: { 200: Type.Array(LsWebhook) },
        },
      },
      async (req) => {
        const { project } = req.query;
        const hooks = okJson<V1Webhook[]>(await v1(req, 'GET', '/webhooks'));
        return hooks.filter((w) => project === undefined || w.project_id === project).map(lsWebhook);
      },
    );
    app.post(
      url,
      {
        config: { permission: 'webhooks:manage', ...FORWARDED },
        schema: {
          tags,
          summary:
            'Label Studio: add a webhook (for the tenant, or one project); the answer carries its signing secret once',
          body: Type.Object({ ...Settings, project: Type.Optional(Nullable(Id)) }, open),
          response: { 201: Type.Composite([LsWebhook, Type.Object({ secret: Type.String() })]) },
        },
      },
      async (req, reply) => {
        const body = req.body as LsIn;
        const created = okJson<V1Webhook & { secret: string }>(
          await v1(req, 'POST', '/webhooks', {
            ...v1Settings(body),
            events: eventsOf(body),
            ...(body.project ? { project_id: body.project } : {}),
          }),
        );
        return reply.code(201).send({ ...lsWebhook(created), secret: created.secret });
      },
    );
  }

  for (const url of both('/webhooks/:id/')) {
    app.get(
      url,
      {
        config: { permission: 'webhooks:manage' },
        schema: { tags, summary: 'Label Studio: a webhook', params: IdParams, response: { 200: LsWebhook } },
      },
      async (req) => lsWebhook(await getHook(v1, req, req.params.id)),
    );
    app.patch(
      url,
      {
        config: { permission: 'webhooks:manage', ...FORWARDED },
        schema: {
          tags,
          summary: 'Label Studio: change a webhook (its project stays, as in Label Studio)',
          params: IdParams,
          body: Type.Partial(Type.Object(Settings), open),
          response: { 200: LsWebhook },
        },
      },
      async (req) => {
        const body = req.body as LsIn;
        const patch = v1Settings(body);
        if (body.send_for_all_actions !== undefined || body.actions !== undefined) {
          const now = await getHook(v1, req, req.params.id);
          patch.events = eventsOf(body, { all: coversAll(now.events), events: now.events });
        }
        return lsWebhook(okJson<V1Webhook>(await v1(req, 'PATCH', `/webhooks/${req.params.id}`, patch)));
      },
    );
    app.delete(
      url,
      {
        config: { permission: 'webhooks:manage', ...FORWARDED },
        schema: { tags, summary: 'Label Studio: remove a webhook', params: IdParams },
      },
      async (req, reply) => {
        okJson(await v1(req, 'DELETE', `/webhooks/${req.params.id}`));
        return reply.code(204).send();
      },
    );
  }
};
