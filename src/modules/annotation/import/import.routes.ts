import fs from 'node:fs';
import multipart from '@fastify/multipart';
import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { and, eq } from 'drizzle-orm';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { notFound } from '../../../platform/errors/problem.ts';
import { Nullable, Uuid } from '../../../platform/http/schemas.ts';
import { checkStorageLimit } from '../../license/index.ts';
import { loadProject } from '../access.ts';
import { type JobState, jobState } from '../job-state.ts';
import { imports } from '../schema.ts';
import { type ColumnMapping, IMPORT_FORMATS, PREVIEW_MAX_CHARS, previewDelimited } from './import.parsers.ts';
import { ImportParams, ImportView, ProjectParams } from './import.schemas.ts';
import {
  columnMapping,
  MAX_IMPORT_BYTES,
  queueImport,
  type StagedUpload,
  stageBody,
  stageFile,
  stageText,
  stageUrl,
  stagingDir,
} from './import.service.ts';

function importView(imp: typeof imports.$inferSelect, job: JobState) {
  let status: string = imp.status;
  let errors = imp.errors;
  // A run that died for good before it could mark its import says so through the job.
  if ((status === 'queued' || status === 'running') && job && ['failed', 'cancelled'].includes(job.state)) {
    status = 'failed';
    // The job's reason is the last word (e.g. its worker stopped); the row's errors are an earlier attempt's.
    if (job.error || errors.length === 0)
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

export const importRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { platform } = app;
  const dataDir = platform.config.dataDir;
  // Scoped to this plugin: only the import route reads multipart bodies.
  await app.register(multipart, {
    limits: { fileSize: MAX_IMPORT_BYTES, files: 1, fields: 10, fieldSize: 1024 },
  });

  // ------------------------------------------------------------------ import
  app.post(
    '/projects/:id/import',
    {
      config: { permission: 'tasks:import' },
      schema: {
        tags: ['annotation'],
        summary:
          'Import tasks: a JSON array body (Label Studio tasks, with annotations and predictions), one task object, a multipart file, or a text/plain body (pasted text, with ?format=) in JSON, JSONL, CSV, TSV or TXT; runs as a job',
        params: ProjectParams,
        querystring: Type.Object({
          dedupe: Type.Optional(
            Type.Boolean({ description: 'Skip tasks whose data already exists in the project' }),
          ),
          format: Type.Optional(
            Type.Union(
              IMPORT_FORMATS.map((f) => Type.Literal(f)),
              { description: 'File format; by default from the file name (required for a text body)' },
            ),
          ),
          columns: Type.Optional(
            Type.String({
              description:
                'CSV/TSV column mapping, JSON: {"header name": "data key" | null (dropped)}; unnamed columns keep their name',
            }),
          ),
        }),
        body: {
          content: {
            'application/json': {
              schema: Type.Union([
                Type.Array(Type.Unknown(), { description: 'Label Studio tasks' }),
                Type.Record(Type.String(), Type.Unknown(), { description: 'One Label Studio task' }),
              ]),
            },
            'text/plain': { schema: Type.String({ description: 'Pasted text in the ?format= given' }) },
          },
        } as never,
        response: { 201: Type.Object({ import_id: Type.Integer(), job_id: Uuid }) },
      },
    },
    async (req, reply) => {
      const principal = req.me;
      const project = await req.tx((tx) => loadProject(tx, principal, req.params.id, 'manage'));
      await checkStorageLimit(platform, principal.tenantId, principal.userId);
      const dir = stagingDir(dataDir, principal.tenantId);
      const upload = req.isMultipart()
        ? await stageFile(dir, await req.file(), req.query.format, project.parsedConfig)
        : typeof req.body === 'string'
          ? await stageText(dir, req.body, req.query.format, project.parsedConfig)
          : await stageBody(dir, req.body, project.parsedConfig);
      return startImport(req, reply, project.id, upload, req.query);
    },
  );

  /** Queues the job of a staged upload (its file is removed when anything fails) and answers 201. */
  async function startImport(
    req: FastifyRequest,
    reply: FastifyReply,
    projectId: number,
    upload: StagedUpload,
    query: { dedupe?: boolean; columns?: unknown },
  ) {
    const principal = req.me;
    let columns: ColumnMapping | undefined;
    try {
      columns = columnMapping(query.columns, upload.format);
    } catch (err) {
      fs.rmSync(upload.file, { force: true });
      throw err;
    }
    const dedupe = query.dedupe === true;
    const result = await queueImport(
      (work) => req.tx(work),
      platform.queue,
      principal,
      projectId,
      upload,
      { dedupe, columns },
      ({ importId, jobId }) =>
        req.audit({
          action: 'tasks.import',
          resourceType: 'project',
          resourceId: String(projectId),
          details: {
            import_id: importId,
            job_id: jobId,
            format: upload.format,
            source: upload.source,
            bytes: upload.bytes,
            dedupe,
            ...(columns ? { columns } : {}),
          },
        }),
    );
    return reply.code(201).send({ import_id: result.importId, job_id: result.jobId });
  }

  app.post(
    '/projects/:id/import/url',
    {
      config: { permission: 'tasks:import' },
      schema: {
        tags: ['annotation'],
        summary:
          'Import a task file from a URL: the server fetches it (through the guarded outbound client, streaming, within the import size limit), then imports it as a job',
        params: ProjectParams,
        querystring: Type.Object({ dedupe: Type.Optional(Type.Boolean()) }),
        body: Type.Object({
          url: Type.String({ minLength: 1, maxLength: 4000, description: 'An http(s) URL of the file' }),
          format: Type.Optional(Type.Union(IMPORT_FORMATS.map((f) => Type.Literal(f)))),
          columns: Type.Optional(Type.Record(Type.String(), Nullable(Type.String()))),
        }),
        response: { 201: Type.Object({ import_id: Type.Integer(), job_id: Uuid }) },
      },
    },
    async (req, reply) => {
      const principal = req.me;
      const project = await req.tx((tx) => loadProject(tx, principal, req.params.id, 'manage'));
      await checkStorageLimit(platform, principal.tenantId, principal.userId);
      const upload = await stageUrl(
        stagingDir(dataDir, principal.tenantId),
        platform.outbound,
        req.body.url,
        req.body.format,
        project.parsedConfig,
      );
      return startImport(req, reply, project.id, upload, { ...req.query, columns: req.body.columns });
    },
  );

  app.post(
    '/projects/:id/import/preview',
    {
      // A read: it parses the text it is sent and stores nothing.
      config: { permission: 'tasks:import', audit: false },
      schema: {
        tags: ['annotation'],
        summary:
          "The header and first rows of a CSV/TSV text (the start of a file is enough), with the config's data keys, for mapping columns before an import",
        params: ProjectParams,
        querystring: Type.Object({ format: Type.Union([Type.Literal('csv'), Type.Literal('tsv')]) }),
        body: {
          content: { 'text/plain': { schema: Type.String({ maxLength: PREVIEW_MAX_CHARS }) } },
        } as never,
        response: {
          200: Type.Object({
            columns: Type.Array(Type.String()),
            rows: Type.Array(Type.Array(Type.String())),
            data_keys: Type.Array(Type.String()),
          }),
        },
      },
    },
    async (req) => {
      const project = await req.tx((tx) => loadProject(tx, req.me, req.params.id, 'manage'));
      const { columns, rows } = previewDelimited(String(req.body), req.query.format);
      return { columns, rows, data_keys: project.parsedConfig.dataKeys };
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
        const project = await loadProject(tx, req.me, req.params.id, 'manage');
        const [imp] = await tx
          .select()
          .from(imports)
          .where(and(eq(imports.projectId, project.id), eq(imports.id, req.params.importId)));
        if (!imp) throw notFound('import.not_found', 'The import');
        return importView(imp, await jobState(tx, imp.jobId));
      }),
  );
};
