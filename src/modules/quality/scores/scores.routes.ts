import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { decodeCursor, pageOf, toPage } from '../../../platform/db/pagination.ts';
import type { DomainListener } from '../../../platform/events/index.ts';
import { Uuid } from '../../../platform/http/schemas.ts';
import type { Platform } from '../../../platform/index.ts';
import { loadProject } from '../../annotation/index.ts';
import { SCORE_PROJECT_JOB, SCORE_TASK_JOB } from './scores.jobs.ts';
import {
  ConfigOut,
  ProjectParams,
  RankOut,
  ScoreOut,
  ScoresQuery,
  ScoringConfigIn,
} from './scores.schemas.ts';
import { listScores, loadConfig, ranking, saveConfig } from './scores.service.ts';

/**
 * A submitted, changed or deleted annotation queues the rescoring of its task: one job row
 * in the submitter's transaction, so the submit itself never waits for scoring.
 * `allAnnotators` refreshes every annotator of the task, not only the changed one's.
 */
export function queueRescore(
  platform: Platform,
  allAnnotators: boolean,
): DomainListener<'ANNOTATION_CREATED' | 'ANNOTATION_UPDATED' | 'ANNOTATIONS_DELETED'> {
  return async (tx, event) => {
    if (!event.projectId) return;
    await platform.queue.enqueue(tx, {
      tenantId: event.tenantId,
      kind: SCORE_TASK_JOB,
      payload: { projectId: event.projectId, taskId: event.payload.task.id, allAnnotators },
      createdBy: event.userId ?? null,
    });
  };
}

export const scoreRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const platform = app.platform;

  app.get(
    '/projects/:id/quality/config',
    {
      config: { permission: 'quality:read' },
      schema: {
        tags: ['quality'],
        summary: "A project's quality settings (defaults until changed)",
        params: ProjectParams,
        response: { 200: ConfigOut },
      },
    },
    async (req) =>
      req.tx(async (tx) => {
        await loadProject(tx, req.me, req.params.id, 'read');
        const c = await loadConfig(tx, req.params.id);
        return {
          project: req.params.id,
          weights: c.weights,
          required_fields: c.requiredFields,
          expected_duration_seconds: c.expectedDurationSeconds,
          gold_ratio: c.goldRatio,
          updated_at: c.row?.updatedAt ?? null,
        };
      }),
  );

  app.put(
    '/projects/:id/quality/config',
    {
      config: { permission: 'quality:manage' },
      schema: {
        tags: ['quality'],
        summary: "Changes a project's quality settings (fields left out keep their value)",
        description: 'Scores already stored keep their values until the project is rescored.',
        params: ProjectParams,
        body: ScoringConfigIn,
        response: { 200: ConfigOut },
      },
    },
    async (req) => {
      const p = req.me;
      return req.tx(async (tx) => {
        await loadProject(tx, p, req.params.id, 'read');
        const row = await saveConfig(tx, { tenantId: p.tenantId, userId: p.userId }, req.params.id, req.body);
        req.audit({
          action: 'quality.config_updated',
          resourceType: 'project',
          resourceId: String(req.params.id),
          details: { fields: Object.keys(req.body) },
        });
        return {
          project: row.projectId,
          weights: row.weights,
          required_fields: row.requiredFields,
          expected_duration_seconds: row.expectedDurationSeconds,
          gold_ratio: row.goldRatio,
          updated_at: row.updatedAt,
        };
      });
    },
  );

  app.post(
    '/projects/:id/quality/scores/runs',
    {
      config: { permission: 'quality:manage' },
      schema: {
        tags: ['quality'],
        summary: 'Rescores every annotation and annotator of a project, as a job',
        params: ProjectParams,
        response: { 202: Type.Object({ job_id: Uuid }) },
      },
    },
    async (req, reply) => {
      const p = req.me;
      const jobId = await req.tx(async (tx) => {
        await loadProject(tx, p, req.params.id, 'read');
        const jobId = await platform.queue.enqueue(tx, {
          tenantId: p.tenantId,
          kind: SCORE_PROJECT_JOB,
          payload: { projectId: req.params.id },
          createdBy: p.userId,
        });
        req.audit({
          action: 'quality.scores_run',
          resourceType: 'project',
          resourceId: String(req.params.id),
          details: { job: jobId },
        });
        return jobId;
      });
      return reply.code(202).send({ job_id: jobId });
    },
  );

  app.get(
    '/projects/:id/quality/scores',
    {
      config: { permission: 'quality:read' },
      schema: {
        tags: ['quality'],
        summary: 'Quality scores of a project: per annotation (default) or per annotator',
        params: ProjectParams,
        querystring: ScoresQuery,
        response: { 200: pageOf(ScoreOut) },
      },
    },
    async (req) =>
      req.tx(async (tx) => {
        await loadProject(tx, req.me, req.params.id, 'read');
        const limit = req.query.limit ?? 50;
        const cursor = decodeCursor(req.query.cursor, 1);
        const rows = await listScores(tx, req.params.id, {
          scope: req.query.scope ?? 'annotation',
          userId: req.query.user_id,
          after: cursor ? Number(cursor[0]) : undefined,
          limit,
        });
        const page = toPage(rows, limit, (r) => [Number(r.id)]);
        return {
          next_cursor: page.next_cursor,
          items: page.items.map((r) => ({
            id: Number(r.id),
            scope: String(r.scope),
            annotation: r.annotation_id === null ? null : Number(r.annotation_id),
            task: r.task_id === null ? null : Number(r.task_id),
            user_id: r.user_id as string | null,
            accuracy: r.accuracy as number | null,
            completeness: r.completeness as number | null,
            timeliness: r.timeliness as number | null,
            consistency: r.consistency as number | null,
            total: Number(r.total),
            details: r.details as Record<string, unknown>,
            computed_at: r.computed_at as Date,
          })),
        };
      }),
  );

  app.get(
    '/projects/:id/quality/ranking',
    {
      config: { permission: 'quality:read' },
      schema: {
        tags: ['quality'],
        summary: "The project's annotators ranked by their weighted quality score",
        params: ProjectParams,
        response: { 200: Type.Object({ items: Type.Array(RankOut) }) },
      },
    },
    async (req) =>
      req.tx(async (tx) => {
        await loadProject(tx, req.me, req.params.id, 'read');
        const rows = await ranking(tx, req.params.id);
        return {
          items: rows.map((r, i) => {
            const details = r.details as { annotations?: number; gold_compared?: number };
            return {
              rank: i + 1,
              user_id: r.user_id as string,
              email: r.email as string | null,
              name: r.name as string | null,
              accuracy: r.accuracy as number | null,
              completeness: r.completeness as number | null,
              timeliness: r.timeliness as number | null,
              consistency: r.consistency as number | null,
              total: Number(r.total),
              annotations: details.annotations ?? 0,
              gold_compared: details.gold_compared ?? 0,
              computed_at: r.computed_at as Date,
            };
          }),
        };
      }),
  );
};
