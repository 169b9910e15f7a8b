import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { and, desc, eq } from 'drizzle-orm';
import type { FastifyRequest } from 'fastify';
import { grants } from '../../platform/auth/permissions.ts';
import { beforeCursor, PageQuery, pageOf, toPage } from '../../platform/db/pagination.ts';
import { notFound } from '../../platform/errors/problem.ts';
import { DateTime, IdParams, Nullable, Uuid } from '../../platform/http/schemas.ts';
import { JOB_STATES, jobRuns } from '../../platform/jobs/schema.ts';

const Job = Type.Object({
  id: Uuid,
  kind: Type.String(),
  state: Type.String(),
  progress: Type.Number({ minimum: 0, maximum: 1 }),
  counts: Type.Record(Type.String(), Type.Number()),
  result: Nullable(Type.Record(Type.String(), Type.Unknown())),
  error: Nullable(Type.String()),
  attempts: Type.Integer(),
  created_by: Nullable(Uuid),
  created_at: DateTime,
  updated_at: DateTime,
  started_at: Nullable(DateTime),
  finished_at: Nullable(DateTime),
});

const view = (r: typeof jobRuns.$inferSelect) => ({
  id: r.id,
  kind: r.kind,
  state: r.state,
  progress: r.progress,
  counts: r.counts,
  result: r.result ?? null,
  error: r.error,
  attempts: r.attempts,
  created_by: r.createdBy,
  created_at: r.createdAt,
  updated_at: r.updatedAt,
  started_at: r.startedAt,
  finished_at: r.finishedAt,
});

/**
 * Whose jobs the caller sees: everyone's with `jobs:read_all`, else only the jobs they
 * started (an annotator following an export sees that export, not the tenant's work).
 */
const visible = (req: FastifyRequest) =>
  grants(req.me.permissions, 'jobs:read_all') ? undefined : eq(jobRuns.createdBy, req.me.userId);

export const jobRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/jobs/:id',
    {
      config: { permission: 'jobs:read' },
      schema: {
        tags: ['jobs'],
        summary:
          'A background job: state, progress (0..1), counts, error, times (one’s own without jobs:read_all)',
        params: IdParams,
        response: { 200: Job },
      },
    },
    async (req) => {
      const [row] = await req.tx((tx) =>
        tx
          .select()
          .from(jobRuns)
          .where(and(eq(jobRuns.tenantId, req.me.tenantId), eq(jobRuns.id, req.params.id), visible(req))),
      );
      if (!row) throw notFound('job.not_found', 'The job');
      return view(row);
    },
  );

  app.get(
    '/jobs',
    {
      config: { permission: 'jobs:read' },
      schema: {
        tags: ['jobs'],
        summary: 'Recent background jobs, newest first (one’s own without jobs:read_all)',
        querystring: Type.Object({
          ...PageQuery,
          kind: Type.Optional(Type.String({ maxLength: 100 })),
          state: Type.Optional(Type.Union(JOB_STATES.map((s) => Type.Literal(s)))),
        }),
        response: { 200: pageOf(Job) },
      },
    },
    async (req) => {
      const q = req.query;
      const limit = q.limit ?? 50;
      const rows = await req.tx((tx) =>
        tx
          .select()
          .from(jobRuns)
          .where(
            and(
              eq(jobRuns.tenantId, req.me.tenantId),
              visible(req),
              q.kind ? eq(jobRuns.kind, q.kind) : undefined,
              q.state ? eq(jobRuns.state, q.state) : undefined,
              beforeCursor(jobRuns.createdAt, jobRuns.id, q.cursor),
            ),
          )
          .orderBy(desc(jobRuns.createdAt), desc(jobRuns.id))
          .limit(limit + 1),
      );
      const page = toPage(rows, limit, (r) => [r.createdAt.toISOString(), r.id]);
      return { ...page, items: page.items.map(view) };
    },
  );
};
