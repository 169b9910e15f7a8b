import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import multipart from '@fastify/multipart';
import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { and, eq } from 'drizzle-orm';
import { raiseSecurityEvent } from '../../../platform/auth/security-events.ts';
import type { Tx } from '../../../platform/db/client.ts';
import { badRequest, conflict, notFound, Problem } from '../../../platform/errors/problem.ts';
import { DateTime, Nullable, Uuid } from '../../../platform/http/schemas.ts';
import type { Platform } from '../../../platform/index.ts';
import { jobRuns } from '../../../platform/jobs/schema.ts';
import { loadProject } from '../access.ts';
import { EXPORT_FORMATS, type ExportFormat, FORMAT_FILES } from '../export/export.formats.ts';
import {
  assertFormatSupported,
  EXPORT_JOB,
  type ExportJobPayload,
  type ExportStats,
  exportFileName,
  exportOptions,
  exportStream,
  type RunTx,
  runExport,
} from '../export/export.service.ts';
import { exports, imports } from '../schema.ts';
import { formatFromFilename, IMPORT_FORMATS, type ImportFormat } from './import.parsers.ts';
import {
  checkRecords,
  IMPORT_JOB,
  type ImportJobPayload,
  runImport,
  stagingDir,
  textKeyOf,
} from './import.service.ts';

/** The largest file an import accepts. */
export const MAX_IMPORT_BYTES = 2 * 1024 ** 3;

const Id = Type.Integer({ minimum: 1 });
const ProjectParams = Type.Object({ id: Id });
const ImportParams = Type.Object({ id: Id, importId: Id });
const ExportParams = Type.Object({ id: Id, exportId: Id });

const Format = Type.Union(
  EXPORT_FORMATS.map((f) => Type.Literal(f)),
  { description: 'Label Studio export format' },
);
const ExportFilters = {
  only_annotated: Type.Optional(Type.Boolean({ description: 'Only tasks with annotations' })),
  only_reviewed: Type.Optional(Type.Boolean({ description: 'Only tasks with an approved review' })),
  include_predictions: Type.Optional(
    Type.Boolean({ description: 'JSON: include predictions (default true)' }),
  ),
  include_cancelled: Type.Optional(
    Type.Boolean({
      description:
        'Include cancelled (skipped) annotations; default true for JSON, false for the other formats, as Label Studio',
    }),
  ),
};

const Counts = Type.Record(Type.String(), Type.Number());
const ImportErrorItem = Type.Object({
  record: Nullable(Type.Integer()),
  line: Nullable(Type.Integer()),
  message: Type.String(),
});
const ImportView = Type.Object({
  id: Type.Integer(),
  project_id: Type.Integer(),
  status: Type.String(),
  format: Type.String(),
  source: Type.String(),
  options: Type.Record(Type.String(), Type.Unknown()),
  counts: Type.Object({
    tasks: Type.Integer(),
    annotations: Type.Integer(),
    predictions: Type.Integer(),
    duplicates_skipped: Type.Integer(),
  }),
  errors: Type.Array(ImportErrorItem),
  job_id: Nullable(Uuid),
  progress: Type.Number(),
  created_at: DateTime,
  finished_at: Nullable(DateTime),
});
const ExportView = Type.Object({
  id: Type.Integer(),
  project_id: Type.Integer(),
  status: Type.String(),
  format: Type.String(),
  options: Type.Record(Type.String(), Type.Unknown()),
  counts: Counts,
  size_bytes: Nullable(Type.Integer()),
  error: Nullable(Type.String()),
  job_id: Nullable(Uuid),
  progress: Type.Number(),
  created_at: DateTime,
  finished_at: Nullable(DateTime),
});

type JobState = { state: string; progress: number; error: string | null } | undefined;

function importView(imp: typeof imports.$inferSelect, job: JobState) {
  let status: string = imp.status;
  let errors = imp.errors;
  // A run that died for good before it could mark its import says so through the job.
  if ((status === 'queued' || status === 'running') && job && ['failed', 'cancelled'].includes(job.state)) {
    status = 'failed';
    if (errors.length === 0)
      errors = [{ record: null, line: null, message: job.error ?? `job ${job.state}` }];
  }
  const c = imp.counts;
  return {
    id: imp.id,
    project_id: imp.projectId,
    status,
    format: imp.format,
    source: imp.source,
    options: imp.options,
    counts: {
      tasks: c.tasks ?? 0,
      annotations: c.annotations ?? 0,
      predictions: c.predictions ?? 0,
      duplicates_skipped: c.duplicates_skipped ?? 0,
    },
    errors,
    job_id: imp.jobId,
    progress: imp.status === 'completed' ? 1 : (job?.progress ?? 0),
    created_at: imp.createdAt,
    finished_at: imp.finishedAt,
  };
}

function exportView(e: typeof exports.$inferSelect, job: JobState) {
  let status: string = e.status;
  let error = e.error;
  if ((status === 'queued' || status === 'running') && job && ['failed', 'cancelled'].includes(job.state)) {
    status = 'failed';
    error ??= job.error;
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
    progress: e.status === 'completed' ? 1 : (job?.progress ?? 0),
    created_at: e.createdAt,
    finished_at: e.finishedAt,
  };
}

export const transferRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { platform } = app;
  const dataDir = platform.config.dataDir;
  // Scoped to this plugin: only the import route reads multipart bodies.
  await app.register(multipart, {
    limits: { fileSize: MAX_IMPORT_BYTES, files: 1, fields: 10, fieldSize: 1024 },
  });

  const jobState = async (tx: Tx, jobId: string | null): Promise<JobState> => {
    if (!jobId) return undefined;
    const [job] = await tx
      .select({ state: jobRuns.state, progress: jobRuns.progress, error: jobRuns.error })
      .from(jobRuns)
      .where(eq(jobRuns.id, jobId));
    return job;
  };

  // ------------------------------------------------------------------ import
  app.post(
    '/projects/:id/import',
    {
      config: { permission: 'tasks:import' },
      schema: {
        tags: ['annotation'],
        summary:
          'Import tasks: a JSON array body (Label Studio tasks, with annotations and predictions) or a multipart file (JSON, JSONL, CSV, TSV, TXT); runs as a job',
        params: ProjectParams,
        querystring: Type.Object({
          dedupe: Type.Optional(
            Type.Boolean({ description: 'Skip tasks whose data already exists in the project' }),
          ),
          format: Type.Optional(
            Type.Union(
              IMPORT_FORMATS.map((f) => Type.Literal(f)),
              { description: 'File format; by default from the file name' },
            ),
          ),
        }),
        body: {
          content: {
            'application/json': { schema: Type.Array(Type.Unknown(), { description: 'Label Studio tasks' }) },
          },
        } as never,
        response: { 201: Type.Object({ import_id: Type.Integer(), job_id: Uuid }) },
      },
    },
    async (req, reply) => {
      const principal = req.principal!;
      const project = await req.tx((tx) => loadProject(tx, principal, req.params.id, 'manage'));
      const config = project.parsedConfig;
      const dir = stagingDir(dataDir, principal.tenantId);
      fs.mkdirSync(dir, { recursive: true });
      const upload = path.join(dir, `upload-${randomUUID()}`);
      let format: ImportFormat;
      let source: string;
      let bytes = 0;
      try {
        if (req.isMultipart()) {
          const file = await req.file();
          if (!file)
            throw badRequest('The multipart body has no file.', [
              { path: 'body/file', message: 'is required' },
            ]);
          const chosen = req.query.format ?? formatFromFilename(file.filename);
          if (!chosen) {
            file.file.resume();
            throw badRequest(
              `Cannot tell the format of "${file.filename}"; name it .json, .jsonl, .csv, .tsv or .txt, or pass ?format=.`,
              [{ path: 'querystring/format', message: 'is required for this file name' }],
            );
          }
          format = chosen;
          if (format === 'txt') textKeyOf(config);
          await pipeline(file.file, fs.createWriteStream(upload));
          if (file.file.truncated)
            throw new Problem(413, `The file is larger than the ${MAX_IMPORT_BYTES / 1024 ** 3} GiB limit.`);
          bytes = fs.statSync(upload).size;
          source = `file:${file.filename}`;
        } else {
          const items = req.body as unknown;
          if (!Array.isArray(items))
            throw badRequest('Send a JSON array of tasks, or a multipart file.', [
              { path: 'body', message: 'must be an array' },
            ]);
          if (items.length === 0)
            throw badRequest('The array holds no tasks.', [{ path: 'body', message: 'must not be empty' }]);
          const errors = checkRecords(items, config.dataKeys);
          if (errors.length) {
            throw badRequest(
              `${errors.length === 20 ? 'At least 20' : errors.length} task(s) are invalid; nothing was imported. Record ${errors[0]!.record}: ${errors[0]!.message}`,
              errors.map((e) => ({ path: `body/${e.record! - 1}`, message: e.message })),
            );
          }
          format = 'json';
          source = 'body';
          const text = JSON.stringify(items);
          bytes = Buffer.byteLength(text);
          await fs.promises.writeFile(upload, text);
        }
      } catch (err) {
        fs.rmSync(upload, { force: true });
        throw err;
      }

      let staged: string | undefined;
      try {
        const result = await req.tx(async (tx) => {
          const [imp] = await tx
            .insert(imports)
            .values({
              tenantId: principal.tenantId,
              projectId: project.id,
              format,
              source,
              options: { dedupe: req.query.dedupe === true },
              createdBy: principal.userId,
            })
            .returning({ id: imports.id });
          staged = path.join(dir, String(imp!.id));
          fs.renameSync(upload, staged);
          const jobId = await platform.queue.enqueue(tx, {
            tenantId: principal.tenantId,
            kind: IMPORT_JOB,
            payload: { importId: imp!.id, projectId: project.id },
            createdBy: principal.userId,
          });
          await tx.update(imports).set({ jobId, stagedPath: staged }).where(eq(imports.id, imp!.id));
          req.audit({
            action: 'tasks.import',
            resourceType: 'project',
            resourceId: String(project.id),
            details: {
              import_id: imp!.id,
              job_id: jobId,
              format,
              source,
              bytes,
              dedupe: req.query.dedupe === true,
            },
          });
          return { import_id: imp!.id, job_id: jobId };
        });
        return reply.code(201).send(result);
      } catch (err) {
        fs.rmSync(upload, { force: true });
        if (staged) fs.rmSync(staged, { force: true });
        throw err;
      }
    },
  );

  app.get(
    '/projects/:id/imports/:importId',
    {
      config: { permission: 'tasks:import' },
      schema: {
        tags: ['annotation'],
        summary:
          'An import: status, counts (tasks, annotations, predictions, duplicates skipped) and the first errors',
        params: ImportParams,
        response: { 200: ImportView },
      },
    },
    async (req) =>
      req.tx(async (tx) => {
        const project = await loadProject(tx, req.principal!, req.params.id, 'manage');
        const [imp] = await tx
          .select()
          .from(imports)
          .where(and(eq(imports.projectId, project.id), eq(imports.id, req.params.importId)));
        if (!imp) throw notFound('The import');
        return importView(imp, await jobState(tx, imp.jobId));
      }),
  );

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
      const principal = req.principal!;
      const format = (req.query.format ?? 'JSON') as ExportFormat;
      const options = exportOptions(format, req.query);
      const project = await req.tx(async (tx) => {
        const p = await loadProject(tx, principal, req.params.id, 'read');
        assertFormatSupported(format, p.parsedConfig);
        req.audit({
          action: 'tasks.export',
          resourceType: 'project',
          resourceId: String(p.id),
          details: { format, options, mode: 'stream' },
        });
        await raiseSecurityEvent(tx, {
          tenantId: principal.tenantId,
          type: 'bulk_export',
          severity: 'low',
          userId: principal.userId,
          ip: req.ip,
          details: { project_id: p.id, format, mode: 'stream', task_count: p.taskCount },
        });
        return p;
      });
      const stats: ExportStats = { tasks: 0, annotations: 0, predictions: 0 };
      const runTx: RunTx = (work) => req.tx(work);
      const { ext, contentType } = FORMAT_FILES[format];
      const stream = exportStream(runTx, project, options, stats, path.join(dataDir, 'exports', 'spool'));
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
      const principal = req.principal!;
      const { format, ...filters } = req.body;
      const options = exportOptions(format, filters);
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
        req.audit({
          action: 'tasks.export',
          resourceType: 'project',
          resourceId: String(p.id),
          details: { export_id: row!.id, job_id: jobId, format, options, mode: 'job' },
        });
        await raiseSecurityEvent(tx, {
          tenantId: principal.tenantId,
          type: 'bulk_export',
          severity: 'low',
          userId: principal.userId,
          ip: req.ip,
          details: { project_id: p.id, format, mode: 'job', export_id: row!.id, task_count: p.taskCount },
        });
        return { export_id: row!.id, job_id: jobId };
      });
      return reply.code(201).send(result);
    },
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
        const project = await loadProject(tx, req.principal!, req.params.id, 'read');
        const [row] = await tx
          .select()
          .from(exports)
          .where(and(eq(exports.projectId, project.id), eq(exports.id, req.params.exportId)));
        if (!row) throw notFound('The export');
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
        const p = await loadProject(tx, req.principal!, req.params.id, 'read');
        const [r] = await tx
          .select()
          .from(exports)
          .where(and(eq(exports.projectId, p.id), eq(exports.id, req.params.exportId)));
        if (!r) throw notFound('The export');
        if (r.status !== 'completed' || !r.filePath)
          throw conflict(`The export is ${r.status}; its file can be downloaded once it has completed.`);
        req.audit({
          action: 'tasks.export_download',
          resourceType: 'export',
          resourceId: String(r.id),
          details: { project_id: p.id, format: r.format, size_bytes: r.sizeBytes },
        });
        return { row: r, project: p };
      });
      if (!fs.existsSync(row.filePath!)) throw notFound('The export file');
      const format = row.format as ExportFormat;
      const { ext, contentType } = FORMAT_FILES[format];
      return reply
        .header('content-type', contentType)
        .header('content-length', String(fs.statSync(row.filePath!).size))
        .header('content-disposition', `attachment; filename="${exportFileName(project, format, ext)}"`)
        .send(fs.createReadStream(row.filePath!));
    },
  );
};

export function defineTransferJobs(platform: Platform): void {
  platform.queue.define<ImportJobPayload>(IMPORT_JOB, (ctx) => runImport(platform, ctx), { retryLimit: 2 });
  platform.queue.define<ExportJobPayload>(EXPORT_JOB, (ctx) => runExport(platform, ctx), { retryLimit: 2 });
}
