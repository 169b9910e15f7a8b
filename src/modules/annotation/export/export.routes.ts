import fs from 'node:fs';
import path from 'node:path';
import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { and, eq } from 'drizzle-orm';
import type { FastifyRequest } from 'fastify';
import { raiseSecurityEvent } from '../../../platform/auth/security-events.ts';
import type { Executor } from '../../../platform/db/client.ts';
import { newestFirst, PageQuery, pageOf } from '../../../platform/db/pagination.ts';
import { conflict, forbidden, notFound } from '../../../platform/errors/problem.ts';
import { Uuid } from '../../../platform/http/schemas.ts';
import { requireFeature } from '../../license/index.ts';
import { loadProject, managesAllProjects, type Project } from '../access.ts';
import { type JobState, jobState } from '../job-state.ts';
import { exports } from '../schema.ts';
import { type ExportFormat, FORMAT_FILES } from './export.formats.ts';
import { EXPORT_JOB } from './export.jobs.ts';
import { ExportFilters, ExportParams, ExportView, Format, ProjectParams } from './export.schemas.ts';
import {
  assertFormatSupported,
  type ExportOptions,
  type ExportStats,
  exportFileName,
  exportOptions,
  exportStream,
  type RunTx,
} from './export.service.ts';

/** Exporting one's data as JSON is core work, never licensed; the other formats are. */
const JSON_FORMATS = new Set<ExportFormat>(['JSON', 'JSON_MIN']);

function exportView(e: typeof exports.$inferSelect, job: JobState) {
  let status: string = e.status;
  let error = e.error;
  if ((status === 'queued' || status === 'running') && job && ['failed', 'cancelled'].includes(job.state)) {
    status = 'failed';
    // The job's reason is the last word (e.g. its worker stopped); the row's is an earlier attempt's.
    error = job.error ?? error;
  }
  return {
    id: e.id,
    project_id: e.projectId,
    status,
    format: e.format,
    options: e.options,
    counts: e.counts,
    size_bytes: e.sizeBytes,
    error,
    job_id: e.jobId,
    created_by: e.createdBy,
    progress: e.status === 'completed' ? 1 : (job?.progress ?? 0),
    created_at: e.createdAt,
    finished_at: e.finishedAt,
  };
}

/**
 * Every export, streamed or a job, is audited and raised as a low-severity bulk_export
 * security event (so a burst of exports shows on the security page).
 */
async function recordExport(
  req: FastifyRequest,
  tx: Executor,
  p: Project,
  what: { format: ExportFormat; options: ExportOptions },
  job: { export_id: number; job_id: string } | null,
) {
  const mode = job ? 'job' : 'stream';
  req.audit({
    action: 'tasks.export',
    resourceType: 'project',
    resourceId: String(p.id),
    details: { ...job, format: what.format, options: what.options, mode },
  });
  await raiseSecurityEvent(tx, {
    tenantId: req.me.tenantId,
    type: 'bulk_export',
    severity: 'low',
    userId: req.me.userId,
    ip: req.ip,
    details: {
      project_id: p.id,
      format: what.format,
      mode,
      ...(job && { export_id: job.export_id }),
      task_count: p.taskCount,
    },
  });
}

export const exportRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { platform } = app;
  const dataDir = platform.config.dataDir;
  // ------------------------------------------------------------------ export
  app.get(
    '/projects/:id/export',
    {
      config: { permission: 'tasks:export' },
      schema: {
        tags: ['annotation'],
        summary: 'Stream the project in a Label Studio export format',
        params: ProjectParams,
        querystring: Type.Object({ format: Type.Optional(Format), ...ExportFilters }),
        response: { 200: Type.Unknown({ description: 'The export file, streamed' }) },
      },
    },
    async (req, reply) => {
      const principal = req.me;
      const format = (req.query.format ?? 'JSON') as ExportFormat;
      if (!JSON_FORMATS.has(format)) await requireFeature(app.platform, 'export_formats');
      const options = exportOptions(format, req.query);
      const project = await req.tx(async (tx) => {
        const p = await loadProject(tx, principal, req.params.id, 'read');
        assertFormatSupported(format, p.parsedConfig);
        await recordExport(req, tx, p, { format, options }, null);
        return p;
      });
      const stats: ExportStats = { tasks: 0, annotations: 0, predictions: 0 };
      const runTx: RunTx = (work) => req.tx(work);
      const { ext, contentType } = FORMAT_FILES[format];
      const stream = await exportStream(
        runTx,
        project,
        options,
        stats,
        path.join(dataDir, 'exports', 'spool'),
      );
      stream.on('error', (err) => req.log.error({ err }, 'export stream failed'));
      return reply
        .header('content-type', contentType)
        .header('content-disposition', `attachment; filename="${exportFileName(project, format, ext)}"`)
        .send(stream);
    },
  );

  app.post(
    '/projects/:id/exports',
    {
      config: { permission: 'tasks:export' },
      schema: {
        tags: ['annotation'],
        summary: 'Export the project to a file as a background job (for large projects)',
        params: ProjectParams,
        body: Type.Object({ format: Format, ...ExportFilters }, { additionalProperties: false }),
        response: { 201: Type.Object({ export_id: Type.Integer(), job_id: Uuid }) },
      },
    },
    async (req, reply) => {
      const principal = req.me;
      const { format, ...filters } = req.body;
      if (!JSON_FORMATS.has(format)) await requireFeature(app.platform, 'export_formats');
      const options = exportOptions(format, filters, 'body');
      const result = await req.tx(async (tx) => {
        const p = await loadProject(tx, principal, req.params.id, 'read');
        assertFormatSupported(format, p.parsedConfig);
        const [row] = await tx
          .insert(exports)
          .values({
            tenantId: principal.tenantId,
            projectId: p.id,
            format,
            options: { ...options },
            createdBy: principal.userId,
          })
          .returning({ id: exports.id });
        const jobId = await platform.queue.enqueue(tx, {
          tenantId: principal.tenantId,
          kind: EXPORT_JOB,
          payload: { exportId: row!.id, projectId: p.id },
          createdBy: principal.userId,
        });
        await tx.update(exports).set({ jobId }).where(eq(exports.id, row!.id));
        await recordExport(req, tx, p, { format, options }, { export_id: row!.id, job_id: jobId });
        return { export_id: row!.id, job_id: jobId };
      });
      return reply.code(201).send(result);
    },
  );

  app.get(
    '/projects/:id/exports',
    {
      config: { permission: 'tasks:export' },
      schema: {
        tags: ['annotation'],
        summary: "The project's export jobs, newest first",
        params: ProjectParams,
        querystring: Type.Object(PageQuery),
        response: { 200: pageOf(ExportView) },
      },
    },
    async (req) =>
      req.tx(async (tx) => {
        const project = await loadProject(tx, req.me, req.params.id, 'read');
        const page = await newestFirst(tx, exports, [eq(exports.projectId, project.id)], req.query, (r) => r);
        const items = [];
        // One transaction's statements run one after another; so do these.
        for (const row of page.items) items.push(exportView(row, await jobState(tx, row.jobId)));
        return { items, next_cursor: page.next_cursor };
      }),
  );

  app.get(
    '/projects/:id/exports/:exportId',
    {
      config: { permission: 'tasks:export' },
      schema: {
        tags: ['annotation'],
        summary: 'An export job: status, counts and file size',
        params: ExportParams,
        response: { 200: ExportView },
      },
    },
    async (req) =>
      req.tx(async (tx) => {
        const project = await loadProject(tx, req.me, req.params.id, 'read');
        const [row] = await tx
          .select()
          .from(exports)
          .where(and(eq(exports.projectId, project.id), eq(exports.id, req.params.exportId)));
        if (!row) throw notFound('export.not_found', 'The export');
        return exportView(row, await jobState(tx, row.jobId));
      }),
  );

  app.get(
    '/projects/:id/exports/:exportId/download',
    {
      config: { permission: 'tasks:export' },
      schema: {
        tags: ['annotation'],
        summary: 'Download the file of a finished export',
        params: ExportParams,
        response: { 200: Type.Unknown({ description: 'The export file' }) },
      },
    },
    async (req, reply) => {
      const { row, project } = await req.tx(async (tx) => {
        const p = await loadProject(tx, req.me, req.params.id, 'read');
        const [r] = await tx
          .select()
          .from(exports)
          .where(and(eq(exports.projectId, p.id), eq(exports.id, req.params.exportId)));
        if (!r) throw notFound('export.not_found', 'The export');
        if (r.status !== 'completed' || !r.filePath)
          throw conflict(
            'export.not_completed',
            `The export is ${r.status}; its file can be downloaded once it has completed.`,
            { status: r.status },
          );
        req.audit({
          action: 'tasks.export_download',
          resourceType: 'export',
          resourceId: String(r.id),
          details: { project_id: p.id, format: r.format, size_bytes: r.sizeBytes },
        });
        return { row: r, project: p };
      });
      if (!fs.existsSync(row.filePath!)) throw notFound('export_file.not_found', 'The export file');
      const format = row.format as ExportFormat;
      const { ext, contentType } = FORMAT_FILES[format];
      return reply
        .header('content-type', contentType)
        .header('content-length', String(fs.statSync(row.filePath!).size))
        .header('content-disposition', `attachment; filename="${exportFileName(project, format, ext)}"`)
        .send(fs.createReadStream(row.filePath!));
    },
  );

  app.delete(
    '/projects/:id/exports/:exportId',
    {
      config: { permission: 'tasks:export' },
      schema: {
        tags: ['annotation'],
        summary: 'Delete a finished or failed export and its file (its creator, or a project manager)',
        params: ExportParams,
        response: { 204: Type.Null() },
      },
    },
    async (req, reply) => {
      const file = await req.tx(async (tx) => {
        const p = await loadProject(tx, req.me, req.params.id, 'read');
        const [r] = await tx
          .select()
          .from(exports)
          .where(and(eq(exports.projectId, p.id), eq(exports.id, req.params.exportId)));
        if (!r) throw notFound('export.not_found', 'The export');
        if (r.createdBy !== req.me.userId && !managesAllProjects(req.me) && p.memberRole !== 'manager')
          throw forbidden(
            'export.delete_forbidden',
            "Only the export's creator or a project manager may delete it.",
          );
        const { status } = exportView(r, await jobState(tx, r.jobId));
        // A running job would write its file after the row is gone, and nothing would remove it.
        if (status === 'queued' || status === 'running')
          throw conflict(
            'export.not_finished',
            `The export is ${status}; it can be deleted once it has completed or failed.`,
            { status },
          );
        await tx.delete(exports).where(eq(exports.id, r.id));
        req.audit({
          action: 'tasks.export_deleted',
          resourceType: 'export',
          resourceId: String(r.id),
          details: { project_id: p.id, format: r.format },
        });
        return r.filePath;
      });
      if (file) await fs.promises.rm(file, { force: true });
      return reply.code(204).send(null);
    },
  );
};
