import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { DateTime, Nullable } from '../../platform/http/schemas.ts';
import { both, FORWARDED, Id, IdParams, okJson, type V1, v1Of } from './forward.ts';

interface V1Backend {
  id: number;
  project: number;
  title: string;
  url: string;
  auth_method: 'none' | 'basic' | 'bearer';
  basic_user: string | null;
  has_secret: boolean;
  timeout_ms: number;
  is_interactive: boolean;
  extra_params: Record<string, unknown>;
  model_version: string | null;
  state: 'checking' | 'up' | 'down';
  state_error: string | null;
  created_at: string;
  updated_at: string;
}

/** Label Studio's MLBackendState codes and their names. */
const STATES = {
  up: ['CO', 'Connected'],
  down: ['ER', 'Error'],
  checking: ['DI', 'Disconnected'],
} as const;

const LsBackend = Type.Object({
  id: Type.Integer(),
  project: Type.Integer(),
  title: Type.String(),
  description: Type.String(),
  url: Type.String(),
  state: Type.String({ description: 'CO connected, ER error, DI not yet checked' }),
  readable_state: Type.String(),
  error_message: Nullable(Type.String()),
  is_interactive: Type.Boolean(),
  auth_method: Type.String({ description: 'NONE or BASIC_AUTH (a bearer backend shows NONE)' }),
  basic_auth_user: Nullable(Type.String()),
  basic_auth_pass_is_set: Type.Boolean(),
  extra_params: Type.Record(Type.String(), Type.Unknown()),
  model_version: Nullable(Type.String()),
  timeout: Type.Number({ description: 'Seconds' }),
  created_at: DateTime,
  updated_at: DateTime,
});
const Settings = {
  url: Type.String({ maxLength: 2000 }),
  title: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
  is_interactive: Type.Optional(Type.Boolean()),
  auth_method: Type.Optional(
    Type.Unsafe<'NONE' | 'BASIC_AUTH'>({ type: 'string', enum: ['NONE', 'BASIC_AUTH'] }),
  ),
  basic_auth_user: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
  basic_auth_pass: Type.Optional(Nullable(Type.String({ maxLength: 4000 }))),
  extra_params: Type.Optional(Nullable(Type.Record(Type.String(), Type.Unknown()))),
  timeout: Type.Optional(Type.Number({ minimum: 0.1, maximum: 600 })),
};
// Label Studio's clients may send read-only fields back (id, state, created_at, …): ignored, as it does.
const open = { additionalProperties: true } as const;
const tags = ['label-studio'];
type LsIn = {
  url?: string;
  title?: string | null;
  is_interactive?: boolean;
  auth_method?: 'NONE' | 'BASIC_AUTH';
  basic_auth_user?: string | null;
  basic_auth_pass?: string | null;
  extra_params?: Record<string, unknown> | null;
  timeout?: number;
};

const lsBackend = (b: V1Backend) => ({
  id: b.id,
  project: b.project,
  title: b.title,
  description: '',
  url: b.url,
  state: STATES[b.state][0],
  readable_state: STATES[b.state][1],
  error_message: b.state_error,
  is_interactive: b.is_interactive,
  auth_method: b.auth_method === 'basic' ? 'BASIC_AUTH' : 'NONE',
  basic_auth_user: b.basic_user,
  basic_auth_pass_is_set: b.auth_method === 'basic' && b.has_secret,
  extra_params: b.extra_params,
  model_version: b.model_version,
  timeout: b.timeout_ms / 1000,
  created_at: b.created_at,
  updated_at: b.updated_at,
});

function v1Settings(body: LsIn): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (body.url !== undefined) out.url = body.url;
  if (body.title) out.title = body.title;
  if (body.is_interactive !== undefined) out.is_interactive = body.is_interactive;
  if (body.auth_method !== undefined) out.auth_method = body.auth_method === 'BASIC_AUTH' ? 'basic' : 'none';
  if (body.basic_auth_user !== undefined) out.basic_user = body.basic_auth_user;
  if (body.basic_auth_pass !== undefined) out.secret = body.basic_auth_pass;
  if (body.extra_params !== undefined) out.extra_params = body.extra_params ?? {};
  if (body.timeout !== undefined) out.timeout_ms = Math.round(body.timeout * 1000);
  return out;
}

const getBackend = async (v1: V1, req: FastifyRequest, id: number) =>
  okJson<V1Backend>(await v1(req, 'GET', `/ml-backends/${id}`));

/**
 * Label Studio's /api/ml, over /api/v1's project ML backends. Adding one answers 201 with
 * the backend still `DI` (not yet checked): the /health and /setup probe runs in the
 * background instead of in the request, where Label Studio's 3 s connect limit bites.
 */
export const mlRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const v1 = v1Of(app);

  for (const url of both('/ml/')) {
    app.get(
      url,
      {
        config: { permission: 'projects:read' },
        schema: {
          tags,
          summary: "Label Studio: a project's ML backends",
          querystring: Type.Object({ project: Id }),
          response: { 200: Type.Array(LsBackend) },
        },
      },
      async (req) =>
        okJson<{ items: V1Backend[] }>(
          await v1(req, 'GET', `/projects/${req.query.project}/ml-backends`),
        ).items.map(lsBackend),
    );
    app.post(
      url,
      {
        config: { permission: 'projects:update', ...FORWARDED },
        schema: {
          tags,
          summary: 'Label Studio: add an ML backend to a project (checked in the background)',
          body: Type.Object({ ...Settings, project: Id }, open),
          response: { 201: LsBackend },
        },
      },
      async (req, reply) => {
        const body = req.body as LsIn & { project: number };
        const created = okJson<{ backend: V1Backend }>(
          await v1(req, 'POST', `/projects/${body.project}/ml-backends`, {
            title: 'ML backend',
            ...v1Settings(body),
          }),
        );
        return reply.code(201).send(lsBackend(created.backend));
      },
    );
  }

  for (const url of both('/ml/:id/')) {
    app.get(
      url,
      {
        config: { permission: 'projects:read' },
        schema: {
          tags,
          summary: 'Label Studio: an ML backend',
          params: IdParams,
          response: { 200: LsBackend },
        },
      },
      async (req) => lsBackend(await getBackend(v1, req, req.params.id)),
    );
    app.patch(
      url,
      {
        config: { permission: 'projects:update', ...FORWARDED },
        schema: {
          tags,
          summary: 'Label Studio: change an ML backend',
          params: IdParams,
          body: Type.Partial(Type.Object(Settings), open),
          response: { 200: LsBackend },
        },
      },
      async (req) => {
        const now = await getBackend(v1, req, req.params.id);
        const changed = okJson<{ backend: V1Backend }>(
          await v1(
            req,
            'PATCH',
            `/projects/${now.project}/ml-backends/${now.id}`,
            v1Settings(req.body as LsIn),
          ),
        );
        return lsBackend(changed.backend);
      },
    );
    app.delete(
      url,
      {
        config: { permission: 'projects:update', ...FORWARDED },
        schema: { tags, summary: 'Label Studio: remove an ML backend', params: IdParams },
      },
      async (req, reply) => {
        const now = await getBackend(v1, req, req.params.id);
        okJson(await v1(req, 'DELETE', `/projects/${now.project}/ml-backends/${now.id}`));
        return reply.code(204).send();
      },
    );
  }

  for (const url of both('/ml/:id/train')) {
    app.post(
      url,
      {
        config: { permission: 'projects:update', ...FORWARDED },
        schema: {
          tags,
          summary: 'Label Studio: start training (START_TRAINING to the backend, queued with retries)',
          params: IdParams,
          response: { 200: Type.Object({ job_id: Type.String() }) },
        },
      },
      async (req) => {
        const now = await getBackend(v1, req, req.params.id);
        return okJson<{ job_id: string }>(
          await v1(req, 'POST', `/projects/${now.project}/ml-backends/${now.id}/train`),
        );
      },
    );
  }
};
