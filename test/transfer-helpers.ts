import { inflateRawSync } from 'node:zlib';
import { and, count, eq } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { tasks } from '../src/modules/annotation/schema.ts';
import { inTenant } from '../src/platform/db/tenancy.ts';
import type { Member, TenantFixture } from './fixtures.ts';
import type { TestContext } from './helpers.ts';

/** Helpers for the import/export tests: uploads, job waits, zip reading. */

/** A multipart/form-data body with one file field, as a browser or curl sends it. */
export function multipart(filename: string, content: string | Buffer, field = 'file') {
  const boundary = `----si${Math.random().toString(16).slice(2)}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\n` +
      'Content-Type: application/octet-stream\r\n\r\n',
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return {
    payload: Buffer.concat([head, Buffer.isBuffer(content) ? content : Buffer.from(content), tail]),
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  };
}

export interface JobJson {
  id: string;
  state: string;
  progress: number;
  counts: Record<string, number>;
  result: Record<string, unknown> | null;
  error: string | null;
}

/** Polls GET /api/v1/jobs/:id until the job has finished (or failed). */
export async function waitForJob(t: TenantFixture, jobId: string, as: Member = t.owner): Promise<JobJson> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const res = await t.as(as, { method: 'GET', url: `/api/v1/jobs/${jobId}` });
    expect(res.statusCode).toBe(200);
    const job = res.json() as JobJson;
    if (['completed', 'failed', 'cancelled'].includes(job.state)) return job;
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${job.state} after 120 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface ImportJson {
  id: number;
  status: string;
  format: string;
  counts: { tasks: number; annotations: number; predictions: number; duplicates_skipped: number };
  errors: { record: number | null; line: number | null; message: string }[];
  job_id: string;
}

/** Starts an import (a JSON array or a file) and waits for its job; returns the import's status. */
export async function importTasks(
  t: TenantFixture,
  projectId: number,
  input: unknown[] | { filename: string; content: string | Buffer },
  query = '',
  as: Member = t.owner,
): Promise<{ job: JobJson; imp: ImportJson }> {
  const url = `/api/v1/projects/${projectId}/import${query ? `?${query}` : ''}`;
  const res: LightMyRequestResponse = Array.isArray(input)
    ? await t.as(as, { method: 'POST', url, payload: input })
    : await t.as(as, { method: 'POST', url, ...multipart(input.filename, input.content) });
  if (res.statusCode !== 201) throw new Error(`import: ${res.statusCode} ${res.body}`);
  const { import_id, job_id } = res.json() as { import_id: number; job_id: string };
  const job = await waitForJob(t, job_id, as);
  const status = await t.as(as, { method: 'GET', url: `/api/v1/projects/${projectId}/imports/${import_id}` });
  expect(status.statusCode).toBe(200);
  return { job, imp: status.json() as ImportJson };
}

/** Tasks of a project, counted in the database (the check that nothing of a failed import landed). */
export async function taskCount(ctx: TestContext, t: TenantFixture, projectId: number): Promise<number> {
  return inTenant(ctx.platform.database.db, { tenantId: t.tenantId }, async (tx) => {
    const [row] = await tx
      .select({ n: count() })
      .from(tasks)
      .where(and(eq(tasks.tenantId, t.tenantId), eq(tasks.projectId, projectId)));
    return Number(row!.n);
  });
}

/** GET /projects/:id/export, as text (or bytes for the zip formats). */
export async function exportProject(
  t: TenantFixture,
  projectId: number,
  query: string,
  as: Member = t.owner,
): Promise<LightMyRequestResponse> {
  return t.as(as, { method: 'GET', url: `/api/v1/projects/${projectId}/export?${query}` });
}

/** The files of a zip archive as text. */
export function readZip(buf: Buffer): Map<string, string> {
  return new Map([...readZipBytes(buf)].map(([name, data]) => [name, data.toString('utf8')]));
}

/** The files of a zip archive, read from its central directory (stored or deflated entries). */
export function readZipBytes(buf: Buffer): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  let eocd = buf.length - 22;
  while (eocd >= 0 && buf.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  if (eocd < 0) throw new Error('not a zip: no end of central directory');
  const entries = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  for (let i = 0; i < entries; i++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error('bad central directory entry');
    const method = buf.readUInt16LE(p + 10);
    const compressed = buf.readUInt32LE(p + 20);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.subarray(p + 46, p + 46 + nameLen).toString('utf8');
    const dataStart = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const data = buf.subarray(dataStart, dataStart + compressed);
    files.set(name, method === 8 ? inflateRawSync(data) : Buffer.from(data));
    p += 46 + nameLen + extraLen + commentLen;
  }
  return files;
}
