import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { asc, eq } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newProject } from '../../../../test/annotation-fixtures.ts';
import { newTenant, type TenantFixture } from '../../../../test/fixtures.ts';
import { type TestContext, testApp } from '../../../../test/helpers.ts';
import { multipart, taskCount, waitForJob } from '../../../../test/transfer-helpers.ts';
import { inTenant } from '../../../platform/db/tenancy.ts';
import { tasks } from '../schema.ts';

/** Import from a URL, from pasted text, and CSV/TSV preview and column mapping. */

const CSV = 'Review,Stars,Internal\nGreat product,5,x1\n"Bad, really",1,x2\nMeh,3,x3\n';

/** A local HTTP server the URL imports fetch from (loopback is allowed by the test env's OUTBOUND_ALLOW_CIDRS). */
let server: http.Server;
let base: string;
beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.url === '/tasks.csv') return res.writeHead(200, { 'content-type': 'text/csv' }).end(CSV);
    if (req.url === '/export')
      return res
        .writeHead(200, { 'content-type': 'application/json; charset=utf-8' })
        .end(JSON.stringify([{ text: 'from a URL, by content type' }]));
    if (req.url === '/moved') return res.writeHead(302, { location: '/tasks.csv' }).end();
    if (req.url === '/blob')
      return res.writeHead(200, { 'content-type': 'application/octet-stream' }).end('x');
    res.writeHead(404).end('not here');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function texts(ctx: TestContext, t: TenantFixture, projectId: number) {
  return inTenant(ctx.platform.database.db, { tenantId: t.tenantId }, async (tx) =>
    (await tx.select().from(tasks).where(eq(tasks.projectId, projectId)).orderBy(asc(tasks.id))).map(
      (r) => r.data,
    ),
  );
}

async function finished(t: TenantFixture, projectId: number, res: LightMyRequestResponse) {
  expect(res.statusCode, res.body).toBe(201);
  const job = await waitForJob(t, res.json().job_id);
  const imp = await t.as(t.owner, {
    method: 'GET',
    url: `/api/v1/projects/${projectId}/imports/${res.json().import_id}`,
  });
  return { job, imp: imp.json() };
}

describe('import from a URL', () => {
  it('fetches a file (format by name, by content type, after a redirect) and imports it as a job', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const project = await newProject(t);
    const url = `/api/v1/projects/${project.id}/import/url`;
    const csv = await finished(
      t,
      project.id,
      await t.as(t.owner, {
        method: 'POST',
        url,
        payload: { url: `${base}/tasks.csv`, columns: { Review: 'text' } },
      }),
    );
    expect(csv.imp).toMatchObject({ status: 'completed', format: 'csv', source: `url:${base}/tasks.csv` });
    expect(csv.imp.counts.tasks).toBe(3);
    const json = await finished(
      t,
      project.id,
      await t.as(t.owner, { method: 'POST', url, payload: { url: `${base}/export` } }),
    );
    expect(json.imp).toMatchObject({ status: 'completed', format: 'json' });
    const moved = await finished(
      t,
      project.id,
      await t.as(t.owner, {
        method: 'POST',
        url: `${url}?dedupe=true`,
        payload: { url: `${base}/moved`, columns: { Review: 'text' } },
      }),
    );
    // The redirect led to the same CSV: every row is a duplicate.
    expect(moved.imp.counts).toMatchObject({ tasks: 0, duplicates_skipped: 3 });
    const data = await texts(ctx, t, project.id);
    expect(data).toHaveLength(4);
    expect(data[0]).toEqual({ text: 'Great product', Stars: '5', Internal: 'x1' });
  });

  it('answers 4xx for a refused address, a bad URL, a non-2xx answer and an unknown format', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const project = await newProject(t);
    const post = (payload: unknown) =>
      t.as(t.owner, {
        method: 'POST',
        url: `/api/v1/projects/${project.id}/import/url`,
        payload: payload as object,
      });
    const metadata = await post({ url: 'http://169.254.169.254/latest/meta-data' });
    expect(metadata.statusCode).toBe(400);
    expect(metadata.headers['content-type']).toContain('application/problem+json');
    expect(metadata.json().detail).toContain('OUTBOUND_ALLOW_CIDRS');
    const scheme = await post({ url: 'file:///etc/passwd' });
    expect(scheme.statusCode).toBe(400);
    const missing = await post({ url: `${base}/nothing.csv` });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().detail).toContain('HTTP 404');
    // The response body of a failing URL is never shown.
    expect(missing.body).not.toContain('not here');
    const blob = await post({ url: `${base}/blob` });
    expect(blob.statusCode).toBe(400);
    expect(blob.json().detail).toContain('application/octet-stream');
    const mapping = await post({ url: `${base}/export`, columns: { a: 'text' } });
    expect(mapping.statusCode).toBe(400);
    expect(mapping.json().detail).toContain('only CSV and TSV');
    expect(await taskCount(ctx, t, project.id)).toBe(0);
  });
});

describe('pasted text', () => {
  it('imports JSON, JSONL, CSV and one task per line as plain text', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const project = await newProject(t);
    const paste = (format: string, text: string) =>
      t.as(t.owner, {
        method: 'POST',
        url: `/api/v1/projects/${project.id}/import?format=${format}`,
        payload: text,
        headers: { 'content-type': 'text/plain; charset=utf-8' },
      });
    for (const [format, text] of [
      ['json', '[{"text": "pasted json"}]'],
      ['jsonl', '{"text": "pasted jsonl 1"}\n{"text": "pasted jsonl 2"}\n'],
      ['csv', 'text,extra\npasted csv,1\n'],
      ['txt', 'first line\n\nsecond line 中文\n'],
    ] as const) {
      const { imp } = await finished(t, project.id, await paste(format, text));
      expect(imp, format).toMatchObject({ status: 'completed', format, source: 'text' });
    }
    expect((await texts(ctx, t, project.id)).map((d) => d.text)).toEqual([
      'pasted json',
      'pasted jsonl 1',
      'pasted jsonl 2',
      'pasted csv',
      'first line',
      'second line 中文',
    ]);
    const noFormat = await t.as(t.owner, {
      method: 'POST',
      url: `/api/v1/projects/${project.id}/import`,
      payload: 'a line',
      headers: { 'content-type': 'text/plain' },
    });
    expect(noFormat.statusCode).toBe(400);
    expect(noFormat.json().errors[0].path).toBe('querystring/format');
    expect((await paste('txt', '   \n')).statusCode).toBe(400);
    const bad = await finished(t, project.id, await paste('jsonl', '{"text": "ok"}\n{broken\n'));
    expect(bad.imp.status).toBe('failed');
    expect(await taskCount(ctx, t, project.id)).toBe(6);
  });
});

describe('CSV preview and column mapping', () => {
  it('previews the header and first rows of the start of a file, its last cut line left out', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const project = await newProject(t);
    const preview = (format: string, text: string) =>
      t.as(t.owner, {
        method: 'POST',
        url: `/api/v1/projects/${project.id}/import/preview?format=${format}`,
        payload: text,
        headers: { 'content-type': 'text/plain' },
      });
    const res = await preview('csv', `${CSV}Cut off here,`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      columns: ['Review', 'Stars', 'Internal'],
      rows: [
        ['Great product', '5', 'x1'],
        ['Bad, really', '1', 'x2'],
        ['Meh', '3', 'x3'],
      ],
      data_keys: ['text'],
    });
    const tsv = await preview('tsv', 'a\tb\n1\t2\n');
    expect(tsv.json()).toMatchObject({ columns: ['a', 'b'], rows: [['1', '2']] });
    expect((await preview('csv', '')).statusCode).toBe(400);
    expect((await preview('json', '[]')).statusCode).toBe(400);
  });

  it('renames and drops columns as mapped, all or none', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const project = await newProject(t);
    const upload = (columns: unknown, content = CSV) =>
      t.as(t.owner, {
        method: 'POST',
        url: `/api/v1/projects/${project.id}/import?columns=${encodeURIComponent(JSON.stringify(columns))}`,
        ...multipart('reviews.csv', content),
      });
    const { imp } = await finished(t, project.id, await upload({ Review: 'text', Internal: null }));
    expect(imp).toMatchObject({
      status: 'completed',
      options: { columns: { Review: 'text', Internal: null } },
    });
    expect(await texts(ctx, t, project.id)).toEqual([
      { text: 'Great product', Stars: '5' },
      { text: 'Bad, really', Stars: '1' },
      { text: 'Meh', Stars: '3' },
    ]);
    // Without a mapping the file lacks the config's $text: nothing lands.
    const unmapped = await finished(t, project.id, await upload({}));
    expect(unmapped.imp.status).toBe('failed');
    expect(unmapped.imp.errors[0].message).toContain('"text"');
    const unknown = await finished(t, project.id, await upload({ Nope: 'text' }));
    expect(unknown.imp.errors[0].message).toContain('"Nope"');
    const clash = await finished(t, project.id, await upload({ Review: 'Stars' }));
    expect(clash.imp.errors[0].message).toContain('"Stars"');
    for (const bad of [{ a: 'text', b: 'text' }, ['text'], { a: 5 }])
      expect((await upload(bad)).statusCode, JSON.stringify(bad)).toBe(400);
    const notJson = await t.as(t.owner, {
      method: 'POST',
      url: `/api/v1/projects/${project.id}/import?columns=%7Bnope`,
      ...multipart('reviews.csv', CSV),
    });
    expect(notJson.statusCode).toBe(400);
    const jsonFile = await t.as(t.owner, {
      method: 'POST',
      url: `/api/v1/projects/${project.id}/import?columns=${encodeURIComponent('{"a":"text"}')}`,
      ...multipart('tasks.json', '[{"text":"x"}]'),
    });
    expect(jsonFile.statusCode).toBe(400);
    expect(await taskCount(ctx, t, project.id)).toBe(3);
  });
});
