import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { DateTime, NoContent, Nullable, Uuid } from '../../../platform/http/schemas.ts';
import { loadProject } from '../../annotation/index.ts';
import { BACKEND_AUTH, BACKEND_STATES, CALL_OPERATIONS } from '../schema.ts';
import { queueProbe, WEBHOOK_JOB } from './backends.jobs.ts';
import {
  backendView,
  callView,
  createBackend,
  deleteBackend,
  findBackend,
  getBackend,
  listBackends,
  listCalls,
  updateBackend,
} from './backends.service.ts';

const Id = Type.Integer({ minimum: 1 });
const ProjectParams = Type.Object({ id: Id });
const BackendParams = Type.Object({ id: Id, backendId: Id });
const literals = <T extends string>(values: readonly T[]) =>
  Type.Unsafe<T>({ type: 'string', enum: [...values] });

const Fields = {
  title: Type.String({ minLength: 1, maxLength: 200 }),
  url: Type.String({ minLength: 1, maxLength: 2000, description: "The backend's root, e.g. http://ml:9090" }),
  auth_method: Type.Optional(literals(BACKEND_AUTH)),
  basic_user: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 200 }))),
  secret: Type.Optional(
    Nullable(
      Type.String({
        minLength: 1,
        maxLength: 4000,
        description: 'Basic password or bearer token; write-only',
      }),
    ),
  ),
  access_token: Type.Optional(
    Nullable(
      Type.String({
        minLength: 1,
        maxLength: 4000,
        description:
          "Passed to the backend's /setup so it can call this platform's Label Studio API; write-only",
      }),
    ),
  ),
  timeout_ms: Type.Optional(Type.Integer({ minimum: 100, maximum: 600_000 })),
  is_interactive: Type.Optional(Type.Boolean()),
  extra_params: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
};
const BackendIn = Type.Object(Fields, { additionalProperties: false });
const BackendPatch = Type.Partial(Type.Object(Fields), { additionalProperties: false, minProperties: 1 });

const BackendOut = Type.Object({
  id: Type.Integer(),
  project: Type.Integer(),
  title: Type.String(),
  url: Type.String(),
  auth_method: Type.String(),
  basic_user: Nullable(Type.String()),
  has_secret: Type.Boolean(),
  has_access_token: Type.Boolean(),
  timeout_ms: Type.Integer(),
  is_interactive: Type.Boolean(),
  extra_params: Type.Record(Type.String(), Type.Unknown()),
  model_version: Nullable(Type.String()),
  model_class: Nullable(Type.String()),
  state: literals(BACKEND_STATES),
  state_error: Nullable(Type.String({ description: 'Why the last probe failed' })),
  checked_at: Nullable(DateTime),
  latency_ms: Nullable(Type.Integer()),
  created_at: DateTime,
  updated_at: DateTime,
});
const Queued = Type.Object({ job_id: Uuid });

const CallOut = Type.Object({
  id: Type.Integer(),
  operation: literals(CALL_OPERATIONS),
  action: Nullable(Type.String()),
  task_ids: Type.Array(Type.Integer()),
  latency_ms: Type.Integer(),
  ok: Type.Boolean(),
  http_status: Nullable(Type.Integer()),
  error: Nullable(Type.String()),
  created_at: DateTime,
});

const audited = (id: number, title: string, projectId: number, more: Record<string, unknown> = {}) => ({
  resourceType: 'ml_backend',
  resourceId: String(id),
  details: { title, project_id: projectId, ...more },
});

export const backendRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const platform = app.platform;

  app.get(
    '/projects/:id/ml-backends',
    {
      config: { permission: 'projects:read' },
      schema: {
        tags: ['ml-backends'],
        summary: "The project's ML backends with the state their last probe found",
        params: ProjectParams,
        response: { 200: Type.Object({ items: Type.Array(BackendOut) }) },
      },
    },
    async (req) =>
      req.read(async (db) => {
        const project = await loadProject(db, req.me, req.params.id, 'read');
        return { items: (await listBackends(db, project.id)).map(backendView) };
      }),
  );

  app.post(
    '/projects/:id/ml-backends',
    {
      config: { permission: 'projects:update' },
      schema: {
        tags: ['ml-backends'],
        summary:
          'Add an ML backend (Label Studio protocol). Answers 202 at once; a background probe calls /health and /setup and sets its state',
        params: ProjectParams,
        body: BackendIn,
        response: { 202: Type.Object({ backend: BackendOut, job_id: Uuid }) },
      },
    },
    async (req, reply) => {
      const out = await req.tx(async (tx) => {
        const project = await loadProject(tx, req.me, req.params.id, 'manage');
        const row = await createBackend(
          tx,
          platform,
          { tenantId: req.me.tenantId, projectId: project.id, userId: req.me.userId },
          req.body,
        );
        const jobId = await queueProbe(tx, platform, req.me.tenantId, req.me.userId, [row.id]);
        req.audit({ action: 'ml_backend.created', ...audited(row.id, row.title, project.id) });
        return { backend: backendView(row), job_id: jobId };
      });
      return reply.code(202).send(out);
    },
  );

  app.get(
    '/projects/:id/ml-backends/:backendId',
    {
      config: { permission: 'projects:read' },
      schema: {
        tags: ['ml-backends'],
        summary: 'One ML backend',
        params: BackendParams,
        response: { 200: BackendOut },
      },
    },
    async (req) =>
      req.read(async (db) => {
        const project = await loadProject(db, req.me, req.params.id, 'read');
        return backendView(await getBackend(db, project.id, req.params.backendId));
      }),
  );

  app.get(
    '/ml-backends/:backendId',
    {
      config: { permission: 'projects:read' },
      schema: {
        tags: ['ml-backends'],
        summary: 'One ML backend by its id alone (for clients that do not know its project)',
        params: Type.Object({ backendId: Id }),
        response: { 200: BackendOut },
      },
    },
    async (req) =>
      req.read(async (db) => {
        const row = await findBackend(db, req.me.tenantId, req.params.backendId);
        await loadProject(db, req.me, row.projectId, 'read');
        return backendView(row);
      }),
  );

  app.patch(
    '/projects/:id/ml-backends/:backendId',
    {
      config: { permission: 'projects:update' },
      schema: {
        tags: ['ml-backends'],
        summary: 'Change an ML backend; a new URL, credentials or parameters are probed again (job_id)',
        params: BackendParams,
        body: BackendPatch,
        response: { 200: Type.Object({ backend: BackendOut, job_id: Nullable(Uuid) }) },
      },
    },
    async (req) =>
      req.tx(async (tx) => {
        const project = await loadProject(tx, req.me, req.params.id, 'manage');
        const current = await getBackend(tx, project.id, req.params.backendId);
        const { row, recheck } = await updateBackend(tx, platform, current, req.body);
        const jobId = recheck
          ? await queueProbe(tx, platform, req.me.tenantId, req.me.userId, [row.id])
          : null;
        req.audit({
          action: 'ml_backend.updated',
          ...audited(row.id, row.title, project.id, { changed: Object.keys(req.body) }),
        });
        return { backend: backendView(row), job_id: jobId };
      }),
  );

  app.delete(
    '/projects/:id/ml-backends/:backendId',
    {
      config: { permission: 'projects:update' },
      schema: {
        tags: ['ml-backends'],
        summary: 'Remove an ML backend (its predictions stay)',
        params: BackendParams,
        response: { 204: NoContent },
      },
    },
    async (req, reply) => {
      await req.tx(async (tx) => {
        const project = await loadProject(tx, req.me, req.params.id, 'manage');
        const row = await getBackend(tx, project.id, req.params.backendId);
        await deleteBackend(tx, row.id);
        req.audit({ action: 'ml_backend.deleted', ...audited(row.id, row.title, project.id) });
      });
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/projects/:id/ml-backends/:backendId/check',
    {
      config: { permission: 'projects:update' },
      schema: {
        tags: ['ml-backends'],
        summary: 'Probe the backend again (/health, /setup) in the background',
        params: BackendParams,
        response: { 202: Queued },
      },
    },
    async (req, reply) => {
      const jobId = await req.tx(async (tx) => {
        const project = await loadProject(tx, req.me, req.params.id, 'manage');
        const row = await getBackend(tx, project.id, req.params.backendId);
        const jobId = await queueProbe(tx, platform, req.me.tenantId, req.me.userId, [row.id]);
        req.audit({ action: 'ml_backend.checked', ...audited(row.id, row.title, project.id) });
        return jobId;
      });
      return reply.code(202).send({ job_id: jobId });
    },
  );

  app.post(
    '/projects/:id/ml-backends/:backendId/train',
    {
      config: { permission: 'projects:update' },
      schema: {
        tags: ['ml-backends'],
        summary:
          'Tell the backend to train: START_TRAINING at its /webhook, through the job queue with retries',
        params: BackendParams,
        response: { 202: Queued },
      },
    },
    async (req, reply) => {
      const jobId = await req.tx(async (tx) => {
        const project = await loadProject(tx, req.me, req.params.id, 'manage');
        const row = await getBackend(tx, project.id, req.params.backendId);
        const jobId = await platform.queue.enqueue(tx, {
          tenantId: req.me.tenantId,
          kind: WEBHOOK_JOB,
          payload: { plugin_id: row.id, action: 'START_TRAINING' },
          createdBy: req.me.userId,
        });
        req.audit({ action: 'ml_backend.train', ...audited(row.id, row.title, project.id) });
        return jobId;
      });
      return reply.code(202).send({ job_id: jobId });
    },
  );

  app.get(
    '/projects/:id/ml-backends/:backendId/calls',
    {
      config: { permission: 'projects:read' },
      schema: {
        tags: ['ml-backends'],
        summary: 'Calls made to the backend, newest first: operation, tasks, latency, outcome',
        params: BackendParams,
        querystring: Type.Object(
          {
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
            before: Type.Optional(Type.Integer({ minimum: 1, description: 'A call id: the page after it' })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ items: Type.Array(CallOut), next_before: Nullable(Type.Integer()) }) },
      },
    },
    async (req) =>
      req.read(async (db) => {
        const project = await loadProject(db, req.me, req.params.id, 'read');
        const row = await getBackend(db, project.id, req.params.backendId);
        const limit = req.query.limit ?? 50;
        const calls = await listCalls(db, row.id, limit, req.query.before);
        return { items: calls.map(callView), next_before: calls.length === limit ? calls.at(-1)!.id : null };
      }),
  );
};
