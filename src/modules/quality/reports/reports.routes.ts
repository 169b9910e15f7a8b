import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { eq } from 'drizzle-orm';
import { badRequest } from '../../../platform/errors/problem.ts';
import { DateTimeIn } from '../../../platform/http/schemas.ts';
import { enumOf, Params, ProjectParams } from '../rules/rules.schemas.ts';
import { requireMembers, requireProject } from '../rules/rules.service.ts';
import { REPORT_TYPES, reportSchedules } from '../schema.ts';
import {
  ReportQuery,
  Run,
  RunIn,
  Schedule,
  ScheduleChange,
  ScheduleIn,
  TrendOut,
} from './reports.schemas.ts';
import {
  buildReport,
  createSchedule,
  getRun,
  getSchedule,
  listRuns,
  listSchedules,
  nextCronTime,
  queueRun,
  renderRun,
  runView,
  scheduleView,
  trendSeries,
} from './reports.service.ts';

const tags = ['quality reports'];
const DAY_MS = 86_400_000;

/** from/to of a request: default the last 30 days up to now. */
function period(q: { from?: string; to?: string }) {
  const to = q.to ? new Date(q.to) : new Date();
  const from = q.from ? new Date(q.from) : new Date(to.getTime() - 30 * DAY_MS);
  if (!(from < to))
    throw badRequest('request.range_reversed', 'from must be before to.', [
      { path: 'querystring/from', message: 'not before to' },
    ]);
  return { from, to };
}

export const reportsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/projects/:projectId/quality/reports/:report',
    {
      config: { permission: 'quality:read' },
      schema: {
        tags,
        summary: 'A report (summary, ranking or trend) over a period, as xlsx, CSV or HTML',
        params: Type.Object({ projectId: Type.Integer({ minimum: 1 }), report: enumOf(REPORT_TYPES) }),
        querystring: ReportQuery,
        response: { 200: Type.Unsafe({ description: 'The file' }) },
      },
    },
    async (req, reply) => {
      const { from, to } = period(req.query);
      const built = await req.tx((tx) =>
        buildReport(
          tx,
          req.me.tenantId,
          req.params.projectId,
          req.params.report,
          req.query.format ?? 'csv',
          from,
          to,
        ),
      );
      return reply
        .header('content-type', built.file.contentType)
        .header('content-disposition', `attachment; filename="${built.file.filename}"`)
        .header('x-report-sha256', built.sha256)
        .send(built.file.body);
    },
  );

  app.get(
    '/projects/:projectId/quality/trend',
    {
      config: { permission: 'quality:read' },
      schema: {
        tags,
        summary: 'Quality by day (UTC) over a period: annotations, scored, mean total score, issues',
        description:
          'The rows of the trend report as JSON; days with no activity are left out. The period defaults to the last 30 days.',
        params: ProjectParams,
        querystring: Type.Object({ from: Type.Optional(DateTimeIn), to: Type.Optional(DateTimeIn) }),
        response: {
          200: TrendOut,
        },
      },
    },
    async (req) => {
      const { from, to } = period(req.query);
      const days = await req.tx((tx) => trendSeries(tx, req.me.tenantId, req.params.projectId, from, to));
      return { from: from.toISOString(), to: to.toISOString(), days };
    },
  );

  app.post(
    '/projects/:projectId/quality/report-runs',
    {
      config: { permission: 'quality:review' },
      schema: {
        tags,
        summary: 'Produce a report as a job; its stored period lets it be made again',
        params: ProjectParams,
        body: RunIn,
        response: { 202: Run },
      },
    },
    async (req, reply) => {
      const { from, to } = period(req.body);
      const run = await req.tx(async (tx) => {
        await requireProject(tx, req.me.tenantId, req.params.projectId);
        const r = await queueRun(tx, app.platform, {
          tenantId: req.me.tenantId,
          projectId: req.params.projectId,
          report: req.body.report,
          format: req.body.format,
          from,
          to,
          by: req.me.userId,
        });
        req.audit({
          action: 'report_run.created',
          resourceType: 'report_run',
          resourceId: String(r.id),
          details: { project: r.projectId, report: r.report, format: r.format },
        });
        return r;
      });
      return reply.code(202).send(runView(run));
    },
  );

  app.get(
    '/projects/:projectId/quality/report-runs',
    {
      config: { permission: 'quality:read' },
      schema: {
        tags,
        summary: "The project's report runs, newest first",
        params: ProjectParams,
        querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) }),
        response: { 200: Type.Object({ items: Type.Array(Run) }) },
      },
    },
    async (req) => ({
      items: await req.tx((tx) => listRuns(tx, req.me.tenantId, req.params.projectId, req.query.limit ?? 50)),
    }),
  );

  app.get(
    '/quality/report-runs/:id',
    {
      config: { permission: 'quality:read' },
      schema: { tags, summary: 'A report run', params: Params, response: { 200: Run } },
    },
    async (req) => runView(await req.tx((tx) => getRun(tx, req.me, req.params.id))),
  );

  app.get(
    '/quality/report-runs/:id/content',
    {
      config: { permission: 'quality:read' },
      schema: {
        tags,
        summary: "A run's file, made again from stored data",
        description:
          'x-report-sha256 is the SHA-256 of the rows made now; x-report-reproduced says whether it equals the one recorded when the run was produced.',
        params: Params,
        response: { 200: Type.Unsafe({ description: 'The file' }) },
      },
    },
    async (req, reply) => {
      const out = await req.tx((tx) => renderRun(tx, req.me, req.params.id));
      return reply
        .header('content-type', out.contentType)
        .header('content-disposition', `attachment; filename="${out.filename}"`)
        .header('x-report-sha256', out.sha256)
        .header('x-report-reproduced', String(out.run.dataSha256 === out.sha256))
        .send(out.body);
    },
  );

  app.get(
    '/projects/:projectId/quality/report-schedules',
    {
      config: { permission: 'quality:read' },
      schema: {
        tags,
        summary: "The project's report schedules",
        params: ProjectParams,
        response: { 200: Type.Object({ items: Type.Array(Schedule) }) },
      },
    },
    async (req) => ({
      items: (await req.tx((tx) => listSchedules(tx, req.me.tenantId, req.params.projectId))).map(
        scheduleView,
      ),
    }),
  );

  app.post(
    '/projects/:projectId/quality/report-schedules',
    {
      config: { permission: 'quality:manage' },
      schema: {
        tags,
        summary: 'Schedule a report (five-field cron, UTC), delivered on the alert channels',
        description:
          'Each due time produces a run over the period since the previous one and sends it: in-app to recipients.user_ids, e-mail (file attached) to recipients.emails, webhook to the project alert configuration’s webhook_url.',
        params: ProjectParams,
        body: ScheduleIn,
        response: { 201: Schedule },
      },
    },
    async (req, reply) => {
      const s = await req.tx(async (tx) => {
        await requireMembers(
          tx,
          req.me.tenantId,
          req.body.recipients?.user_ids ?? [],
          'body/recipients/user_ids',
        );
        const s = await createSchedule(
          tx,
          req.me.tenantId,
          req.params.projectId,
          req.body,
          req.me.userId,
          new Date(),
        );
        req.audit({
          action: 'report_schedule.created',
          resourceType: 'report_schedule',
          resourceId: String(s.id),
          details: { project: s.projectId, cron: s.cron, report: s.report, format: s.format },
        });
        return s;
      });
      return reply.code(201).send(scheduleView(s));
    },
  );

  app.patch(
    '/quality/report-schedules/:id',
    {
      config: { permission: 'quality:manage' },
      schema: {
        tags,
        summary: 'Change a schedule’s cron or switch it on or off',
        params: Params,
        body: ScheduleChange,
        response: { 200: Schedule },
      },
    },
    async (req) =>
      scheduleView(
        await req.tx(async (tx) => {
          const s = await getSchedule(tx, req.me, req.params.id);
          const cron = req.body.cron ?? s.cron;
          const [row] = await tx
            .update(reportSchedules)
            .set({
              cron,
              enabled: req.body.enabled ?? s.enabled,
              nextRunAt: req.body.cron ? nextCronTime(cron, new Date()) : s.nextRunAt,
            })
            .where(eq(reportSchedules.id, s.id))
            .returning();
          req.audit({
            action: 'report_schedule.updated',
            resourceType: 'report_schedule',
            resourceId: String(s.id),
            details: req.body,
          });
          return row!;
        }),
      ),
  );

  app.delete(
    '/quality/report-schedules/:id',
    {
      config: { permission: 'quality:manage' },
      schema: {
        tags,
        summary: 'Delete a schedule (its runs stay)',
        params: Params,
        response: { 204: Type.Null() },
      },
    },
    async (req, reply) => {
      await req.tx(async (tx) => {
        const s = await getSchedule(tx, req.me, req.params.id);
        await tx.delete(reportSchedules).where(eq(reportSchedules.id, s.id));
        req.audit({
          action: 'report_schedule.deleted',
          resourceType: 'report_schedule',
          resourceId: String(s.id),
        });
      });
      return reply.code(204).send(null);
    },
  );
};
