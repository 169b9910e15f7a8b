import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { memberCards } from '../../platform/auth/membership.ts';
import { badRequest, Problem } from '../../platform/errors/problem.ts';
import { DateTime, Nullable } from '../../platform/http/schemas.ts';
import { both, FORWARDED, Id, okJson, relayFile, v1Of } from './forward.ts';
import type { V1Project } from './shapes.ts';

interface V1Export {
  id: number;
  status: string;
  format: string;
  counts: Record<string, number>;
  error: string | null;
  created_by: string | null;
  created_at: string;
  finished_at: string | null;
}

/** Label Studio's snapshot states for ours. */
const STATUS: Record<string, string> = {
  queued: 'created',
  running: 'in_progress',
  completed: 'completed',
  failed: 'failed',
};
const OnlyOrExclude = Type.Optional(Nullable(Type.Union([Type.Literal('only'), Type.Literal('exclude')])));
const SnapshotIn = Type.Object(
  {
    title: Type.Optional(Type.String({ maxLength: 2048 })),
    task_filter_options: Type.Optional(
      Nullable(
        Type.Object(
          {
            view: Type.Optional(Nullable(Type.Integer())),
            skipped: OnlyOrExclude,
            finished: OnlyOrExclude,
            annotated: OnlyOrExclude,
            only_with_annotations: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
      ),
    ),
    annotation_filter_options: Type.Optional(
      Nullable(
        Type.Object(
          {
            usual: Type.Optional(Nullable(Type.Boolean())),
            ground_truth: Type.Optional(Nullable(Type.Boolean())),
            skipped: Type.Optional(Nullable(Type.Boolean())),
          },
          { additionalProperties: false },
        ),
      ),
    ),
    serialization_options: Type.Optional(Nullable(Type.Record(Type.String(), Type.Unknown()))),
  },
  // Label Studio's clients may send read-only fields back (id, status, created_by, …): ignored.
  { additionalProperties: true },
);
const Snapshot = Type.Object({
  id: Type.Integer(),
  title: Type.String(),
  created_by: Nullable(
    Type.Object({
      id: Type.Integer(),
      email: Type.String(),
      first_name: Type.String(),
      last_name: Type.String(),
    }),
  ),
  created_at: DateTime,
  finished_at: Nullable(DateTime),
  status: Type.String(),
  counters: Type.Object({ task_number: Type.Integer() }),
  converted_formats: Type.Array(
    Type.Object({
      id: Type.Integer(),
      status: Type.String(),
      export_type: Type.String(),
      traceback: Nullable(Type.String()),
    }),
  ),
});
const ProjectParams = Type.Object({ id: Id });
const SnapshotParams = Type.Object({ id: Id, export_pk: Id });
const tags = ['label-studio'];

type SnapshotBody = {
  task_filter_options?: Record<string, unknown> | null;
  annotation_filter_options?: Record<string, boolean | null | undefined> | null;
};

/**
 * Our JSON export's filters for a snapshot's options. A filter with no counterpart here is
 * refused by name rather than dropped, so a snapshot never holds more than was asked for.
 */
function exportFilters(body: SnapshotBody) {
  const tasks = body.task_filter_options ?? {};
  const notHere = ['view', 'skipped', 'finished'].filter((k) => tasks[k] !== undefined && tasks[k] !== null);
  if (tasks.annotated === 'exclude') notHere.push('annotated');
  if (notHere.length)
    throw badRequest(
      'lscompat.export_filter_unsupported',
      `These task filters have no counterpart here: ${notHere.join(', ')}.`,
      notHere.map((k) => ({ path: `body/task_filter_options/${k}`, message: 'is not supported' })),
      { filters: notHere.join(', ') },
    );
  const annotations = body.annotation_filter_options ?? {};
  return {
    format: 'JSON',
    ...(tasks.annotated === 'only' || tasks.only_with_annotations === true ? { only_annotated: true } : {}),
    // Label Studio's snapshots leave skipped annotations out unless asked for them.
    include_cancelled: annotations.skipped === true,
    ...(annotations.ground_truth === true && annotations.usual === false ? { only_ground_truth: true } : {}),
  };
}

/** Label Studio's default snapshot title: the project's title, dashed, and when it was made. */
const titleOf = (project: V1Project, e: V1Export) =>
  `${project.title.replaceAll(' ', '-')}-at-${e.created_at.slice(0, 16).replace('T', '-').replace(':', '-')}`;

/**
 * Label Studio's export snapshots are our export jobs in JSON: create, list, read, download,
 * delete, over /api/v1's export routes.
 */
export const exportRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const v1 = v1Of(app);

  const snapshots = async (req: FastifyRequest, projectId: number, list: V1Export[]) => {
    const project = okJson<V1Project>(await v1(req, 'GET', `/projects/${projectId}`));
    const cards = await req.read((db) =>
      memberCards(
        db,
        req.me.tenantId,
        list.flatMap((e) => (e.created_by ? [e.created_by] : [])),
      ),
    );
    return list.map((e) => ({
      id: e.id,
      title: titleOf(project, e),
      created_by: (e.created_by && cards.get(e.created_by)) || null,
      created_at: e.created_at,
      finished_at: e.finished_at,
      status: STATUS[e.status] ?? e.status,
      counters: { task_number: e.counts.tasks ?? 0 },
      // A snapshot made here is JSON; an /api/v1 export job in another format is that format.
      converted_formats:
        e.format === 'JSON'
          ? []
          : [{ id: e.id, status: STATUS[e.status] ?? e.status, export_type: e.format, traceback: e.error }],
    }));
  };
  const one = async (req: FastifyRequest, id: number, pk: number) =>
    okJson<V1Export>(await v1(req, 'GET', `/projects/${id}/exports/${pk}`));

  for (const url of both('/projects/:id/exports/')) {
    app.get(
      url,
      {
        config: { permission: 'tasks:export' },
        schema: {
          tags,
          summary: "Label Studio: a project's export snapshots, newest first (the latest 100)",
          params: ProjectParams,
          response: { 200: Type.Array(Snapshot) },
        },
      },
      async (req) => {
        const page = okJson<{ items: V1Export[] }>(
          await v1(req, 'GET', `/projects/${req.params.id}/exports?limit=100`),
        );
        return snapshots(req, req.params.id, page.items);
      },
    );
    app.post(
      url,
      {
        config: { permission: 'tasks:export', ...FORWARDED },
        schema: {
          tags,
          summary: 'Label Studio: make an export snapshot (a JSON export job)',
          params: ProjectParams,
          body: SnapshotIn,
          response: { 201: Snapshot },
        },
      },
      async (req, reply) => {
        const { id } = req.params;
        const started = okJson<{ export_id: number }>(
          await v1(req, 'POST', `/projects/${id}/exports`, exportFilters(req.body as SnapshotBody)),
        );
        const [made] = await snapshots(req, id, [await one(req, id, started.export_id)]);
        return reply.code(201).send(made!);
      },
    );
  }

  for (const url of both('/projects/:id/exports/:export_pk/')) {
    app.get(
      url,
      {
        config: { permission: 'tasks:export' },
        schema: {
          tags,
          summary: 'Label Studio: an export snapshot',
          params: SnapshotParams,
          response: { 200: Snapshot },
        },
      },
      async (req) => {
        const { id, export_pk } = req.params;
        const [snapshot] = await snapshots(req, id, [await one(req, id, export_pk)]);
        return snapshot;
      },
    );
    app.delete(
      url,
      {
        config: { permission: 'tasks:export', ...FORWARDED },
        schema: {
          tags,
          summary: 'Label Studio: delete an export snapshot and its file',
          params: SnapshotParams,
        },
      },
      async (req, reply) => {
        okJson(await v1(req, 'DELETE', `/projects/${req.params.id}/exports/${req.params.export_pk}`));
        return reply.code(204).send();
      },
    );
  }

  for (const url of both('/projects/:id/exports/:export_pk/download')) {
    app.get(
      url,
      {
        config: { permission: 'tasks:export' },
        schema: {
          tags,
          summary: "Label Studio: download a completed snapshot's file (exportType JSON)",
          params: SnapshotParams,
          querystring: Type.Object({ exportType: Type.Optional(Type.String({ maxLength: 40 })) }),
        },
      },
      async (req, reply) => {
        const { id, export_pk } = req.params;
        const e = await one(req, id, export_pk);
        // Label Studio's answers: an unfinished snapshot, or a format it was not converted to, is not found.
        if (e.status !== 'completed')
          throw new Problem(404, 'lscompat.export_not_completed', 'Export is not completed.');
        const type = req.query.exportType;
        if (type !== undefined && type !== e.format)
          throw new Problem(404, 'lscompat.export_not_converted', `${type} format is not converted yet.`, {
            params: { type },
          });
        return relayFile(
          reply,
          await v1(req, 'GET', `/projects/${id}/exports/${export_pk}/download`, undefined, {
            asStream: true,
          }),
        );
      },
    );
  }
};
