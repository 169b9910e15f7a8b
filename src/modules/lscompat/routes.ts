import { type FastifyPluginAsyncTypebox, type Static, Type } from '@fastify/type-provider-typebox';
import { sql } from 'drizzle-orm';
import type { FastifyRequest } from 'fastify';
import { memberNumbers } from '../../platform/auth/membership.ts';
import { rowsOf } from '../../platform/db/sql.ts';
import { badRequest, notFound } from '../../platform/errors/problem.ts';
import { readOnly } from '../annotation/index.ts';
import { annotationRoutes } from './annotations.routes.ts';
import { exportRoutes } from './exports.routes.ts';
import { both, FORWARDED, Id, IdParams, okJson, relayFile, v1Of } from './forward.ts';
import { importRoutes } from './import.routes.ts';
import { mlRoutes } from './ml.routes.ts';
import {
  LsAnnotation,
  LsPrediction,
  LsProject,
  LsProjectIn,
  LsTask,
  LsTaskDetail,
  LsUser,
  lsAnnotation,
  lsProject,
  lsTask,
  type V1Annotation,
  type V1Project,
  type V1Task,
  v1ProjectBody,
} from './shapes.ts';
import { validateRoutes } from './validate.routes.ts';
import { webhookRoutes } from './webhooks.routes.ts';

type LsPredictionT = Static<typeof LsPrediction>;

const Paging = {
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1 })),
  page_size: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
};

/** Page numbers the schema let through as numbers but that are no page (`1e309` coerces to Infinity). */
function pageOf(query: { page?: number; page_size?: number }) {
  const { page = 1, page_size = 100 } = query;
  if (!Number.isSafeInteger(page))
    throw badRequest('lscompat.page_invalid', 'page must be a whole number.', [
      { path: 'querystring/page', message: 'must be a whole number' },
    ]);
  if (!Number.isSafeInteger(page_size))
    throw badRequest('lscompat.page_size_invalid', 'page_size must be a whole number.', [
      { path: 'querystring/page_size', message: 'must be a whole number' },
    ]);
  return { page, page_size };
}

/** Every item of a cursor-paged /api/v1 list, for Label Studio's page-numbered ones. */
async function walk<T>(
  list: (cursor?: string) => Promise<{ items: T[]; next_cursor: string | null }>,
  upTo: number,
) {
  const items: T[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await list(cursor);
    items.push(...page.items);
    if (!page.next_cursor || items.length >= upTo) return items;
    cursor = page.next_cursor;
  }
}

export const lscompatRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const v1 = v1Of(app);

  // Label Studio's clients (its SDK among them) send `Content-Type: application/json` on every
  // call, DELETE and GET with an empty body included; an empty body is no body here.
  app.addHook('onRequest', async (req) => {
    const length = req.raw.headers['content-length'];
    const chunked = req.raw.headers['transfer-encoding'] !== undefined;
    if (length === '0' || (length === undefined && !chunked)) delete req.raw.headers['content-type'];
  });

  for (const url of both('/current-user/whoami')) {
    app.get(
      url,
      {
        config: { permission: 'self' },
        schema: { tags: ['label-studio'], summary: 'Label Studio: the caller', response: { 200: LsUser } },
      },
      async (req) => ({
        id: req.me.memberNumber,
        email: req.me.email,
        username: req.me.email,
        first_name: req.me.name,
        last_name: '',
      }),
    );
  }

  for (const url of both('/projects/')) {
    app.get(
      url,
      {
        config: { permission: 'projects:read' },
        schema: {
          tags: ['label-studio'],
          summary: 'Label Studio: projects, newest first, page-numbered',
          querystring: Type.Object(Paging),
          response: {
            200: Type.Object({
              count: Type.Integer(),
              next: Type.Union([Type.Integer(), Type.Null()]),
              previous: Type.Union([Type.Integer(), Type.Null()]),
              results: Type.Array(LsProject),
            }),
          },
        },
      },
      async (req) => {
        const { page, page_size } = pageOf(req.query as { page?: number; page_size?: number });
        const all = await walk(
          async (cursor) =>
            okJson(
              await v1(
                req,
                'GET',
                `/projects?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
              ),
            ),
          Number.POSITIVE_INFINITY,
        );
        const start = (page - 1) * page_size;
        return {
          count: all.length,
          next: start + page_size < all.length ? page + 1 : null,
          previous: page > 1 ? page - 1 : null,
          results: (all as V1Project[]).slice(start, start + page_size).map(lsProject),
        };
      },
    );
    app.post(
      url,
      {
        config: { permission: 'projects:create', ...FORWARDED },
        schema: {
          tags: ['label-studio'],
          summary: 'Label Studio: create a project',
          body: LsProjectIn,
          response: { 201: LsProject },
        },
      },
      async (req, reply) => {
        const body = v1ProjectBody(req.body as Record<string, unknown>);
        // Label Studio creates an untitled project with an empty config; so does this one, titled.
        body.title ??= 'New Project';
        body.label_config ??= '<View></View>';
        const created = okJson<V1Project>(await v1(req, 'POST', '/projects', body));
        return reply.code(201).send(lsProject(created));
      },
    );
  }

  for (const url of both('/projects/:id/')) {
    app.get(
      url,
      {
        config: { permission: 'projects:read' },
        schema: {
          tags: ['label-studio'],
          summary: 'Label Studio: a project',
          params: IdParams,
          response: { 200: LsProject },
        },
      },
      async (req) => {
        const { id } = req.params as { id: number };
        return lsProject(okJson<V1Project>(await v1(req, 'GET', `/projects/${id}`)));
      },
    );
    app.patch(
      url,
      {
        config: { permission: 'projects:update', ...FORWARDED },
        schema: {
          tags: ['label-studio'],
          summary: 'Label Studio: change a project',
          params: IdParams,
          body: LsProjectIn,
          response: { 200: LsProject },
        },
      },
      async (req) => {
        const { id } = req.params as { id: number };
        return lsProject(
          okJson<V1Project>(
            await v1(req, 'PATCH', `/projects/${id}`, v1ProjectBody(req.body as Record<string, unknown>)),
          ),
        );
      },
    );
    app.delete(
      url,
      {
        config: { permission: 'projects:delete', ...FORWARDED },
        schema: { tags: ['label-studio'], summary: 'Label Studio: delete a project', params: IdParams },
      },
      async (req, reply) => {
        const { id } = req.params as { id: number };
        okJson(await v1(req, 'DELETE', `/projects/${id}`));
        return reply.code(204).send();
      },
    );
  }

  for (const url of both('/projects/:id/export')) {
    app.get(
      url,
      {
        config: { permission: 'tasks:export' },
        schema: {
          tags: ['label-studio'],
          summary:
            'Label Studio: export a project (exportType; only annotated tasks unless download_all_tasks)',
          params: IdParams,
          querystring: Type.Object({
            exportType: Type.Optional(Type.String({ maxLength: 40, default: 'JSON' })),
            download_all_tasks: Type.Optional(Type.Boolean({ default: false })),
            download_resources: Type.Optional(Type.Boolean()),
          }),
        },
      },
      async (req, reply) => {
        const { id } = req.params as { id: number };
        const q = req.query as { exportType?: string; download_all_tasks?: boolean };
        const params = new URLSearchParams({ format: q.exportType ?? 'JSON' });
        if (!q.download_all_tasks) params.set('only_annotated', 'true');
        return relayFile(
          reply,
          await v1(req, 'GET', `/projects/${id}/export?${params}`, undefined, { asStream: true }),
        );
      },
    );
  }

  /** The project of a task, when the caller's tenant has it (row-level security decides). */
  const projectOf = async (req: FastifyRequest, taskId: number) => {
    const rows = await req.read((db) =>
      db.execute(sql`select project_id from ${readOnly.tasks} t where t.id = ${taskId}`),
    );
    const row = rowsOf<{ project_id: number }>(rows)[0];
    if (!row) throw notFound('task.not_found', 'The task');
    return Number(row.project_id);
  };

  const numbersOf = (req: FastifyRequest, annotations: V1Annotation[]) =>
    req.read((db) =>
      memberNumbers(
        db,
        annotations.flatMap((a) => (a.completed_by ? [a.completed_by] : [])),
      ),
    );

  for (const url of both('/tasks/')) {
    app.get(
      url,
      {
        config: { permission: 'projects:read' },
        schema: {
          tags: ['label-studio'],
          summary: "Label Studio: a project's tasks, in id order, page-numbered",
          querystring: Type.Object({ project: Id, ...Paging }),
          response: {
            200: Type.Object({
              tasks: Type.Array(LsTask),
              total: Type.Integer(),
              total_annotations: Type.Integer(),
              total_predictions: Type.Integer(),
            }),
          },
        },
      },
      async (req) => {
        const query = req.query as { project: number; page?: number; page_size?: number };
        const { project } = query;
        const { page, page_size } = pageOf(query);
        let total = 0;
        const upTo = page * page_size;
        const items = await walk(async (cursor) => {
          const limit = Math.min(1000, upTo);
          const res = okJson<{ items: V1Task[]; next_cursor: string | null; total: number }>(
            await v1(
              req,
              'GET',
              `/projects/${project}/tasks?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
            ),
          );
          total = res.total;
          return res;
        }, upTo);
        const tasks = items.slice((page - 1) * page_size, upTo).map(lsTask);
        return {
          tasks,
          total,
          total_annotations: tasks.reduce((n, t) => n + t.total_annotations, 0),
          total_predictions: tasks.reduce((n, t) => n + t.total_predictions, 0),
        };
      },
    );
  }

  for (const url of both('/tasks/:id/')) {
    app.get(
      url,
      {
        config: { permission: 'projects:read' },
        schema: {
          tags: ['label-studio'],
          summary: 'Label Studio: a task with its annotations and predictions',
          params: IdParams,
          response: { 200: LsTaskDetail },
        },
      },
      async (req) => {
        const { id } = req.params as { id: number };
        const task = okJson<V1Task>(
          await v1(req, 'GET', `/projects/${await projectOf(req, id)}/tasks/${id}`),
        );
        const numbers = await numbersOf(req, task.annotations ?? []);
        return {
          ...lsTask(task),
          annotations: (task.annotations ?? []).map((a) => lsAnnotation(a, numbers)),
          predictions: (task.predictions ?? []) as LsPredictionT[],
        };
      },
    );
  }

  for (const url of both('/tasks/:id/annotations/')) {
    app.get(
      url,
      {
        config: { permission: 'projects:read' },
        schema: {
          tags: ['label-studio'],
          summary: "Label Studio: a task's annotations",
          params: IdParams,
          response: { 200: Type.Array(LsAnnotation) },
        },
      },
      async (req) => {
        const { id } = req.params as { id: number };
        const res = okJson<V1Annotation[] | { items: V1Annotation[] }>(
          await v1(req, 'GET', `/tasks/${id}/annotations`),
        );
        const list = Array.isArray(res) ? res : res.items;
        const numbers = await numbersOf(req, list);
        return list.map((a) => lsAnnotation(a, numbers));
      },
    );
  }

  for (const url of both('/predictions/')) {
    app.post(
      url,
      {
        config: { permission: 'tasks:import', ...FORWARDED },
        schema: {
          tags: ['label-studio'],
          summary: 'Label Studio: add a prediction to a task',
          body: Type.Object({
            task: Id,
            result: Type.Array(Type.Unknown()),
            score: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
            model_version: Type.Optional(Type.String({ maxLength: 200 })),
          }),
          response: { 201: LsPrediction },
        },
      },
      async (req, reply) => {
        const { task, ...prediction } = req.body as { task: number; score?: number | null };
        if (prediction.score === null) delete prediction.score;
        const created = okJson<LsPredictionT>(
          await v1(req, 'POST', `/tasks/${task}/predictions`, prediction),
        );
        return reply.code(201).send(created);
      },
    );
  }

  await app.register(importRoutes);
  await app.register(validateRoutes);
  await app.register(annotationRoutes);
  await app.register(exportRoutes);
  await app.register(webhookRoutes);
  await app.register(mlRoutes);
};
