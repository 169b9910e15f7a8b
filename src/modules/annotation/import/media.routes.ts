import { randomUUID } from 'node:crypto';
import multipart from '@fastify/multipart';
import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { badRequest, forbidden, notFound, Problem } from '../../../platform/errors/problem.ts';
import { Uuid } from '../../../platform/http/schemas.ts';
import { FileTooLarge } from '../../../platform/storage/storage.ts';
import { checkStorageLimit } from '../../license/index.ts';
import { loadProject } from '../access.ts';
import { ProjectParams } from './import.schemas.ts';
import { queueImport, stageBody, stagingDir } from './import.service.ts';
import {
  checkMediaSignature,
  type MediaRef,
  mediaKeyOf,
  mediaPath,
  mediaSigningKey,
  mediaStorageKey,
  mimeOfName,
  parseMediaPath,
  peek,
  signMediaUrl,
  sniffMedia,
} from './media.ts';

/** Files one media upload may carry (Label Studio's dialog sends a folder's worth). */
export const MAX_MEDIA_FILES = 500;

/** Media imports (a task per file), the signing of their URLs and the signed serving route. */
export const mediaRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { platform } = app;
  const { storage } = platform;
  const { maxBytes, urlTtlSeconds } = platform.config.media;
  const signingKey = mediaSigningKey(platform.masterKey);
  // One byte over the limit reaches the storage, which then refuses the file.
  await app.register(multipart, {
    limits: { fileSize: maxBytes + 1, files: MAX_MEDIA_FILES, fields: 10, fieldSize: 1024 },
  });

  app.post(
    '/projects/:id/import/media',
    {
      config: { permission: 'tasks:import' },
      schema: {
        tags: ['annotation'],
        summary:
          'Import media files (images, audio, video, PDFs; told by their bytes): each is stored and becomes one task whose data names it; runs as a job',
        params: ProjectParams,
        response: {
          201: Type.Object({ import_id: Type.Integer(), job_id: Uuid, files: Type.Integer() }),
        },
      },
    },
    async (req, reply) => {
      const principal = req.me;
      const project = await req.tx((tx) => loadProject(tx, principal, req.params.id, 'manage'));
      await checkStorageLimit(platform, principal.tenantId, principal.userId);
      if (!req.isMultipart())
        throw badRequest('media.multipart_required', 'Send the files as multipart/form-data.', [
          { path: 'body', message: 'must be multipart' },
        ]);
      const stored: string[] = [];
      try {
        const items: unknown[] = [];
        for await (const part of req.parts()) {
          if (part.type !== 'file') continue;
          const { head, body } = await peek(part.file);
          const type = sniffMedia(head);
          if (!type)
            throw new Problem(
              415,
              'media.unsupported_type',
              `"${part.filename}" is not an image, audio, video or PDF file (judged by its content, not its name); task files are .json, .jsonl, .csv, .tsv or .txt.`,
              {
                errors: [{ path: 'body/file', message: 'unsupported media type' }],
                params: { filename: part.filename },
              },
            );
          const dataKey = mediaKeyOf(project.parsedConfig, type.kind, part.filename);
          const name = `${randomUUID()}.${type.ext}`;
          const key = mediaStorageKey(principal.tenantId, project.id, name);
          stored.push(key);
          const { bytes } = await storage.put(key, body, { maxBytes }).catch((err: unknown) => {
            if (err instanceof FileTooLarge)
              throw new Problem(
                413,
                'media.too_large',
                `"${part.filename}" is larger than the ${maxBytes} bytes a media file may have.`,
                { params: { filename: part.filename, max_bytes: maxBytes } },
              );
            throw err;
          });
          items.push({
            data: { [dataKey]: mediaPath(principal.tenantId, project.id, name) },
            meta: { file_name: part.filename, content_type: type.mime, bytes },
          });
        }
        if (items.length === 0)
          throw badRequest('import.no_file', 'The upload holds no file.', [
            { path: 'body', message: 'must hold at least one file' },
          ]);
        const staged = await stageBody(
          stagingDir(platform.config.dataDir, principal.tenantId),
          items,
          project.parsedConfig,
        );
        const upload = { ...staged, source: `media:${items.length} file(s)` };
        const result = await queueImport(
          (work) => req.tx(work),
          platform.queue,
          principal,
          project.id,
          upload,
          { dedupe: false },
          ({ importId, jobId }) =>
            req.audit({
              action: 'tasks.import',
              resourceType: 'project',
              resourceId: String(project.id),
              details: { import_id: importId, job_id: jobId, format: 'media', files: items.length },
            }),
        );
        return reply
          .code(201)
          .send({ import_id: result.importId, job_id: result.jobId, files: items.length });
      } catch (err) {
        // Nothing of a refused upload is kept.
        await Promise.all(stored.map((key) => storage.delete(key)));
        throw err;
      }
    },
  );

  app.post(
    '/media/sign',
    {
      // Signing reads nothing and changes nothing: it hands the caller a link to what they may read.
      config: { permission: 'projects:read', audit: false },
      schema: {
        tags: ['annotation'],
        summary: `Signed, expiring URLs (MEDIA_URL_TTL_SECONDS) for media paths of tasks the caller may read, in the order given`,
        body: Type.Object({
          urls: Type.Array(Type.String({ maxLength: 2000 }), { minItems: 1, maxItems: 200 }),
        }),
        response: { 200: Type.Object({ urls: Type.Array(Type.String()), expires_at: Type.String() }) },
      },
    },
    async (req) => {
      const principal = req.me;
      const refs = req.body.urls.map((url, i) => {
        const ref = parseMediaPath(url);
        if (!ref)
          throw badRequest(
            'media.not_media_path',
            `"${url.slice(0, 200)}" is not a media path.`,
            [{ path: `body/urls/${i}`, message: 'is not a media path' }],
            { url: url.slice(0, 200) },
          );
        // Another tenant's file is, to this caller, no file at all.
        if (ref.tenantId !== principal.tenantId) throw notFound('media.not_found', 'The file');
        return ref;
      });
      await req.tx(async (tx) => {
        for (const projectId of new Set(refs.map((r) => r.projectId)))
          await loadProject(tx, principal, projectId, 'read');
      });
      const expires = Math.floor(Date.now() / 1000) + urlTtlSeconds;
      return {
        urls: refs.map((ref) => signMediaUrl(signingKey, ref, expires)),
        expires_at: new Date(expires * 1000).toISOString(),
      };
    },
  );

  app.get(
    '/media/:tenantId/:projectId/:name',
    {
      // The signature is the credential: the editor loads these in <img>/<audio>/<video>.
      config: { public: true },
      schema: {
        tags: ['annotation'],
        summary:
          'A media file, by a signed URL from POST /media/sign (403 when the signature is not valid or has expired)',
        params: Type.Object({
          tenantId: Uuid,
          projectId: Type.Integer({ minimum: 1 }),
          name: Type.String({ pattern: '^[A-Za-z0-9][\\w.-]*$', maxLength: 100 }),
        }),
        querystring: Type.Object({
          expires: Type.Optional(Type.Integer({ minimum: 0 })),
          signature: Type.Optional(Type.String({ maxLength: 100 })),
        }),
      },
    },
    async (req, reply) => {
      const ref: MediaRef = {
        tenantId: req.params.tenantId,
        projectId: req.params.projectId,
        name: req.params.name,
      };
      const { expires, signature } = req.query;
      // Without a signature the path is only a name: the same 403 as a wrong one.
      if (expires === undefined || signature === undefined)
        throw forbidden(
          'media.signature_required',
          'This file opens only by a signed link (POST /api/v1/media/sign).',
        );
      checkMediaSignature(signingKey, ref, expires, signature);
      const mime = mimeOfName(ref.name);
      const key = mediaStorageKey(ref.tenantId, ref.projectId, ref.name);
      const stat = mime ? await storage.stat(key) : null;
      if (!mime || !stat) throw notFound('media.not_found', 'The file');
      const range = byteRange(req.headers.range, stat.size);
      if (range === 'unsatisfiable')
        return reply.code(416).header('content-range', `bytes */${stat.size}`).send();
      reply
        .header('content-type', mime)
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', "default-src 'none'; sandbox")
        .header('accept-ranges', 'bytes')
        .header('cache-control', `private, max-age=${Math.max(0, expires - Math.floor(Date.now() / 1000))}`);
      if (!range) return reply.header('content-length', stat.size).send(storage.stream(key));
      return reply
        .code(206)
        .header('content-range', `bytes ${range.start}-${range.end}/${stat.size}`)
        .header('content-length', range.end - range.start + 1)
        .send(storage.stream(key, range));
    },
  );
};

/** One `bytes=a-b` range (audio and video seek with these); undefined for the whole file. */
function byteRange(header: string | undefined, size: number) {
  const m = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '') {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(size - 1, Number(m[2]));
  }
  if (start > end || start >= size) return 'unsatisfiable' as const;
  return { start, end };
}
