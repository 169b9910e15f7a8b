import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { decodeCursor, PageQuery, pageOf, toPage } from '../../../platform/db/pagination.ts';
import { Problem } from '../../../platform/errors/problem.ts';
import { DateTime, Nullable, Uuid } from '../../../platform/http/schemas.ts';
import { loadProject } from '../../annotation/index.ts';
import { AGREEMENT_JOB } from './agreement.jobs.ts';
import {
  type AgreementRun,
  annotationCount,
  createRun,
  executeRun,
  latestRun,
  listTaskAgreement,
  markQueued,
  SYNC_LIMIT,
} from './project-agreement.service.ts';

const ProjectParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });

const Statistic = Type.Object({
  value: Nullable(Type.Number()),
  units: Type.Optional(Type.Integer()),
  raters: Type.Optional(Type.Integer()),
  level: Type.Optional(Type.String()),
  reason: Type.Optional(Type.String()),
});

const ControlSummary = Type.Object({
  type: Type.String({ description: 'The control tag' }),
  metric: Type.String({
    description:
      'exact_set, span_f1, iou, edit_distance, numeric or exact_value: how two annotations compare',
  }),
  tasks: Type.Integer({ description: 'Tasks where a pair of annotations compared this control' }),
  mean_score: Nullable(Type.Number()),
  alpha: Statistic,
  fleiss_kappa: Statistic,
  cohen_kappa: Statistic,
});

const RunOut = Type.Object({
  id: Type.Integer(),
  project: Type.Integer(),
  status: Type.String(),
  job_id: Nullable(Uuid),
  incremental: Type.Boolean(),
  tasks_seen: Type.Integer(),
  tasks_recomputed: Type.Integer(),
  tasks_scored: Type.Integer(),
  mean_score: Nullable(Type.Number()),
  error: Nullable(Type.String()),
  created_at: DateTime,
  finished_at: Nullable(DateTime),
});

const AgreementOut = Type.Object({
  project: Type.Integer(),
  mean_score: Nullable(Type.Number({ description: 'Mean over tasks of the mean pairwise score' })),
  tasks_scored: Type.Integer({ description: 'Tasks with two or more annotations' }),
  controls: Type.Record(Type.String(), ControlSummary),
  annotator_pairs: Type.Array(
    Type.Object({
      annotator_a: Type.String(),
      annotator_b: Type.String(),
      tasks: Type.Integer(),
      mean_score: Type.Number(),
    }),
    { description: 'The annotator × annotator matrix, one entry per pair that shares tasks' },
  ),
  computed_at: DateTime,
  run: RunOut,
  latest_run: RunOut,
});

const TaskAgreementOut = Type.Object({
  task: Type.Integer(),
  annotations: Type.Integer(),
  score: Nullable(Type.Number()),
  controls: Type.Record(Type.String(), Type.Number()),
  pairs: Type.Array(
    Type.Object({ annotator_a: Type.String(), annotator_b: Type.String(), score: Type.Number() }),
  ),
  computed_at: DateTime,
});

function runView(r: AgreementRun) {
  return {
    id: r.id,
    project: r.projectId,
    status: r.status,
    job_id: r.jobId,
    incremental: r.incremental,
    tasks_seen: r.tasksSeen,
    tasks_recomputed: r.tasksRecomputed,
    tasks_scored: r.tasksScored,
    mean_score: r.meanScore,
    error: r.error,
    created_at: r.createdAt,
    finished_at: r.finishedAt,
  };
}

export const projectAgreementRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const platform = app.platform;

  app.get(
    '/projects/:id/agreement',
    {
      config: { permission: 'quality:read' },
      schema: {
        tags: ['quality'],
        summary: "A project's inter-annotator agreement, from its last completed run",
        description:
          'Per control: the mean pairwise score and Krippendorff alpha, Fleiss and Cohen kappa (choices, ratings, numbers); per annotator pair: their mean score on shared tasks. 404 until a run has completed (POST …/agreement/runs).',
        params: ProjectParams,
        response: { 200: AgreementOut },
      },
    },
    async (req) =>
      req.tx(async (tx) => {
        await loadProject(tx, req.me, req.params.id, 'read');
        const done = await latestRun(tx, req.params.id, true);
        if (!done)
          throw new Problem(
            404,
            'agreement.not_computed',
            'No agreement has been computed for this project yet; POST to its agreement/runs.',
          );
        const latest = (await latestRun(tx, req.params.id, false)) ?? done;
        return {
          project: req.params.id,
          mean_score: done.meanScore,
          tasks_scored: done.tasksScored,
          controls: done.controls as Record<string, never>,
          annotator_pairs: done.pairs as never[],
          computed_at: done.finishedAt ?? done.createdAt,
          run: runView(done),
          latest_run: runView(latest),
        };
      }),
  );

  app.post(
    '/projects/:id/agreement/runs',
    {
      config: { permission: 'quality:manage' },
      schema: {
        tags: ['quality'],
        summary: "Computes a project's agreement: in the request for small projects, else as a job",
        description: `Up to ${SYNC_LIMIT} annotations the run completes in the request (201); larger projects get a queued run and its job (202; follow GET /jobs/{job_id}). Incremental runs (the default) recompute only tasks whose annotations changed since they were last computed.`,
        params: ProjectParams,
        body: Type.Optional(
          Type.Object(
            {
              incremental: Type.Optional(Type.Boolean({ default: true })),
              background: Type.Optional(
                Type.Boolean({ description: 'Run as a job whatever the size of the project' }),
              ),
            },
            { additionalProperties: false },
          ),
        ),
        response: { 201: RunOut, 202: RunOut },
      },
    },
    async (req, reply) => {
      const principal = req.me;
      const scope = { tenantId: principal.tenantId, userId: principal.userId };
      const incremental = req.body?.incremental ?? true;
      const { run, inline } = await req.tx(async (tx) => {
        const project = await loadProject(tx, principal, req.params.id, 'read');
        const inline = !req.body?.background && (await annotationCount(tx, project.id)) <= SYNC_LIMIT;
        let run = await createRun(tx, scope, project.id, incremental);
        if (!inline) {
          const jobId = await platform.queue.enqueue(tx, {
            tenantId: principal.tenantId,
            kind: AGREEMENT_JOB,
            payload: { runId: run.id, projectId: project.id, incremental },
            createdBy: principal.userId,
          });
          run = await markQueued(tx, run.id, jobId);
        }
        req.audit({
          action: 'quality.agreement_run',
          resourceType: 'project',
          resourceId: String(project.id),
          details: { run: run.id, incremental, inline },
        });
        return { run, inline };
      });
      if (!inline) return reply.code(202).send(runView(run));
      const done = await executeRun(platform.database.db, scope, run);
      return reply.code(201).send(runView(done));
    },
  );

  app.get(
    '/projects/:id/agreement/tasks',
    {
      config: { permission: 'quality:read' },
      schema: {
        tags: ['quality'],
        summary: 'Per-task agreement as last computed, in task order',
        params: ProjectParams,
        querystring: Type.Object({
          ...PageQuery,
          below: Type.Optional(
            Type.Number({
              minimum: 0,
              maximum: 1,
              description: 'Only tasks scoring below this (disputed ones)',
            }),
          ),
        }),
        response: { 200: pageOf(TaskAgreementOut) },
      },
    },
    async (req) =>
      req.tx(async (tx) => {
        await loadProject(tx, req.me, req.params.id, 'read');
        const limit = req.query.limit ?? 50;
        const cursor = decodeCursor(req.query.cursor, 1);
        const rows = await listTaskAgreement(tx, req.params.id, {
          limit,
          after: cursor ? Number(cursor[0]) : undefined,
          below: req.query.below,
        });
        const page = toPage(rows, limit, (r) => [r.taskId]);
        return {
          next_cursor: page.next_cursor,
          items: page.items.map((r) => ({
            task: r.taskId,
            annotations: r.annotations,
            score: r.score,
            controls: r.controls,
            pairs: r.pairs.map(([a, b, score]) => ({
              annotator_a: r.annotators[a]!,
              annotator_b: r.annotators[b]!,
              score,
            })),
            computed_at: r.computedAt,
          })),
        };
      }),
  );
};
