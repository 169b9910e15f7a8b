import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import multipart, { type MultipartFile } from '@fastify/multipart';
import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { badRequest } from '../../platform/errors/problem.ts';
import { formatFromFilename, MAX_IMPORT_BYTES } from '../annotation/index.ts';
import { both, FORWARDED, IdParams, okJson, relay, type V1, v1Of } from './forward.ts';

const IMPORT_WAIT_MS = 120_000;
/** Label Studio's upload dialog sends a few files at once; a script may send more. */
const MAX_FILES = 100;

const ImportResult = Type.Object({
  task_count: Type.Integer(),
  annotation_count: Type.Integer(),
  prediction_count: Type.Integer(),
  duration: Type.Number(),
  file_upload_ids: Type.Array(Type.Integer()),
  could_be_tasks_list: Type.Boolean(),
  found_formats: Type.Array(Type.String()),
  data_columns: Type.Array(Type.String()),
});

interface Started {
  import_id: number;
  job_id: string;
}
interface ImportRecord {
  status: string;
  format: string;
  counts: { tasks: number; annotations: number; predictions: number };
}

/** One uploaded file as the one-file multipart body /api/v1's import takes, streamed as it arrives. */
function asUpload(part: MultipartFile): { body: Readable; contentType: string } {
  const boundary = `lscompat-${randomUUID()}`;
  const name = part.filename.replace(/["\r\n\\]/g, '_');
  const head =
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\n` +
    `Content-Type: ${part.mimetype.replace(/[\r\n]/g, '')}\r\n\r\n`;
  async function* chunks() {
    yield Buffer.from(head);
    for await (const chunk of part.file) yield chunk as Buffer;
    yield Buffer.from(`\r\n--${boundary}--\r\n`);
  }
  return { body: Readable.from(chunks()), contentType: `multipart/form-data; boundary=${boundary}` };
}

/**
 * Each file of a multipart upload as its own /api/v1 import (one audit row and job each), in
 * order: a task file to the import, any other (an image, audio, video, PDF, as Label Studio's
 * upload takes them) to the media import, which tells media by its bytes and refuses the rest.
 */
async function importFiles(v1: V1, req: FastifyRequest, projectId: number): Promise<Started[]> {
  const started: Started[] = [];
  for await (const part of req.parts()) {
    if (part.type !== 'file') continue;
    const { body, contentType } = asUpload(part);
    const route = formatFromFilename(part.filename) ? 'import' : 'import/media';
    started.push(
      okJson<Started>(await v1(req, 'POST', `/projects/${projectId}/${route}`, body, { contentType })),
    );
  }
  if (started.length === 0)
    throw badRequest('import.no_file', 'The upload holds no file.', [
      { path: 'body', message: 'must hold at least one file' },
    ]);
  return started;
}

/** Label Studio's import: a JSON body of tasks, or multipart files (JSON, JSONL, CSV, TSV, TXT), through our import. */
export const importRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const v1 = v1Of(app);
  // Scoped to this plugin, as /api/v1's import scopes its own.
  await app.register(multipart, { limits: { fileSize: MAX_IMPORT_BYTES, files: MAX_FILES, fields: 20 } });

  /** Label Studio's import answers once the tasks exist; its clients list them next. */
  const waitFor = async (req: FastifyRequest, job: string, began: number) => {
    for (;;) {
      const { state } = okJson<{ state: string }>(await v1(req, 'GET', `/jobs/${job}`));
      if (['completed', 'failed', 'cancelled'].includes(state) || Date.now() - began > IMPORT_WAIT_MS) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  for (const url of both('/projects/:id/import')) {
    app.post(
      url,
      {
        config: { permission: 'tasks:import', ...FORWARDED },
        schema: {
          tags: ['label-studio'],
          summary:
            'Label Studio: import tasks (a JSON array, one task object, or multipart files: task files, or images, audio, video and PDFs that become a task each); answers when they are in',
          params: IdParams,
          body: {
            content: {
              'application/json': {
                schema: Type.Union([Type.Array(Type.Unknown()), Type.Record(Type.String(), Type.Unknown())]),
              },
            },
          } as never,
          response: { 201: ImportResult },
        },
      },
      async (req, reply) => {
        const { id } = req.params;
        const began = Date.now();
        const started = req.isMultipart()
          ? await importFiles(v1, req, id)
          : [
              okJson<Started>(
                await v1(
                  req,
                  'POST',
                  `/projects/${id}/import`,
                  Array.isArray(req.body) ? req.body : [req.body],
                ),
              ),
            ];
        const records: ImportRecord[] = [];
        for (const s of started) {
          await waitFor(req, s.job_id, began);
          const res = await v1(req, 'GET', `/projects/${id}/imports/${s.import_id}`);
          const record = okJson<ImportRecord>(res);
          // The import's own record says why (its errors); a failed or unfinished one is no success.
          if (record.status !== 'completed')
            return relay(reply, res).code(record.status === 'failed' ? 400 : 202);
          records.push(record);
        }
        const sum = (key: keyof ImportRecord['counts']) => records.reduce((n, r) => n + r.counts[key], 0);
        return reply.code(201).send({
          task_count: sum('tasks'),
          annotation_count: sum('annotations'),
          prediction_count: sum('predictions'),
          duration: (Date.now() - began) / 1000,
          file_upload_ids: req.isMultipart() ? started.map((s) => s.import_id) : [],
          could_be_tasks_list: false,
          found_formats: req.isMultipart() ? [...new Set(records.map((r) => r.format))] : [],
          data_columns: [],
        });
      },
    );
  }
};
