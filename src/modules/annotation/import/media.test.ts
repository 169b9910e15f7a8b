import fs from 'node:fs';
import path from 'node:path';
import { asc, eq } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import { describe, expect, it } from 'vitest';
import { newProject } from '../../../../test/annotation-fixtures.ts';
import { newTenant, type TenantFixture } from '../../../../test/fixtures.ts';
import { startTestApp, type TestContext, testApp, testEnv } from '../../../../test/helpers.ts';
import { taskCount, waitForJob } from '../../../../test/transfer-helpers.ts';
import { inTenant } from '../../../platform/db/tenancy.ts';
import { tasks } from '../schema.ts';
import { mediaSigningKey, parseMediaPath, signMediaUrl, sniffMedia } from './media.ts';

/** Media files dropped into an import: stored, one task each, served by signed, expiring, tenant-scoped URLs. */

// A 1×1 PNG, a tiny WAV header and a PDF's first line: what the sniffer reads is the bytes.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);
const WAV = Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WAVEfmt '), Buffer.alloc(32)]);
const PDF = Buffer.from('%PDF-1.4\n%âãÏÓ\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');

const IMAGE_CONFIG =
  '<View><Image name="img" value="$image"/><Choices name="c" toName="img"><Choice value="Cat"/></Choices></View>';
const MULTI_CONFIG =
  '<View><Image name="img" value="$image"/><Audio name="aud" value="$audio"/><Choices name="c" toName="img"><Choice value="Cat"/></Choices></View>';

/** A multipart body with several files. */
function files(...items: [string, Buffer][]) {
  const boundary = `----si${Math.random().toString(16).slice(2)}`;
  const parts = items.map(([name, content]) =>
    Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
      ),
      content,
      Buffer.from('\r\n'),
    ]),
  );
  return {
    payload: Buffer.concat([...parts, Buffer.from(`--${boundary}--\r\n`)]),
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  };
}

const upload = (t: TenantFixture, projectId: number, ...items: [string, Buffer][]) =>
  t.as(t.owner, { method: 'POST', url: `/api/v1/projects/${projectId}/import/media`, ...files(...items) });

async function taskData(ctx: TestContext, t: TenantFixture, projectId: number) {
  return inTenant(ctx.platform.database.db, { tenantId: t.tenantId }, async (tx) =>
    (await tx.select().from(tasks).where(eq(tasks.projectId, projectId)).orderBy(asc(tasks.id))).map((r) => ({
      data: r.data as Record<string, string>,
      meta: r.meta,
    })),
  );
}

const filesDir = (ctx: TestContext, t: TenantFixture, projectId: number) =>
  path.join(ctx.platform.config.dataDir, 'files', t.tenantId, 'projects', String(projectId));

async function imported(t: TenantFixture, res: LightMyRequestResponse) {
  expect(res.statusCode, res.body).toBe(201);
  return waitForJob(t, res.json().job_id);
}

const sign = (t: TenantFixture, urls: string[]) =>
  t.as(t.owner, { method: 'POST', url: '/api/v1/media/sign', payload: { urls } });

describe('media import', () => {
  it('tells media by its bytes, not its name', () => {
    expect(sniffMedia(PNG)?.mime).toBe('image/png');
    expect(sniffMedia(WAV)?.mime).toBe('audio/wav');
    expect(sniffMedia(PDF)?.kind).toBe('pdf');
    expect(sniffMedia(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'))).toBeNull();
    expect(sniffMedia(Buffer.from('<html><script>alert(1)</script>'))).toBeNull();
  });

  it('stores each file, makes one task of it, and serves it by a signed URL the editor loads', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const project = await newProject(t, { label_config: MULTI_CONFIG });
    // A config with both keys needs both: one image alone lacks $audio, so a project with just an image tag takes it.
    const images = await newProject(t, { label_config: IMAGE_CONFIG });
    const job = await imported(t, await upload(t, images.id, ['cat.png', PNG], ['renamed.txt', PNG]));
    expect(job.state).toBe('completed');
    expect(job.result).toMatchObject({ tasks: 2 });
    const rows = await taskData(ctx, t, images.id);
    expect(rows.map((r) => r.meta)).toEqual([
      { file_name: 'cat.png', content_type: 'image/png', bytes: PNG.length },
      { file_name: 'renamed.txt', content_type: 'image/png', bytes: PNG.length },
    ]);
    const stable = rows[0]!.data.image!;
    expect(stable).toMatch(new RegExp(`^/api/v1/media/${t.tenantId}/${images.id}/[0-9a-f-]+\\.png$`));
    expect(fs.readdirSync(path.join(filesDir(ctx, t, images.id), 'media'))).toHaveLength(2);

    // The stored path alone opens nothing; its signed URL does, for the configured time.
    const bare = await ctx.app.inject({ method: 'GET', url: stable });
    expect(bare.statusCode).toBe(403);
    const signed = await sign(t, [stable, rows[1]!.data.image!]);
    expect(signed.statusCode).toBe(200);
    const { urls, expires_at } = signed.json();
    expect(Math.abs(Date.parse(expires_at) - Date.now() - 3600_000)).toBeLessThan(60_000);
    const got = await ctx.app.inject({ method: 'GET', url: urls[0] });
    expect(got.statusCode).toBe(200);
    expect(got.headers['content-type']).toBe('image/png');
    expect(got.headers['x-content-type-options']).toBe('nosniff');
    expect(got.rawPayload.equals(PNG)).toBe(true);
    const part = await ctx.app.inject({ method: 'GET', url: urls[0], headers: { range: 'bytes=0-7' } });
    expect(part.statusCode).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 0-7/${PNG.length}`);
    expect(part.rawPayload.equals(PNG.subarray(0, 8))).toBe(true);
    const beyond = await ctx.app.inject({ method: 'GET', url: urls[0], headers: { range: 'bytes=9999-' } });
    expect(beyond.statusCode).toBe(416);

    // A tampered, expired or moved signature is refused.
    const tampered = urls[0].replace(/signature=./, (s: string) =>
      s.endsWith('A') ? `${s.slice(0, -1)}B` : `${s.slice(0, -1)}A`,
    );
    expect((await ctx.app.inject({ method: 'GET', url: tampered })).statusCode).toBe(403);
    const later = urls[0].replace(/expires=\d+/, `expires=${Math.floor(Date.now() / 1000) + 999_999}`);
    expect((await ctx.app.inject({ method: 'GET', url: later })).statusCode).toBe(403);
    const ref = parseMediaPath(stable)!;
    const expired = signMediaUrl(
      mediaSigningKey(ctx.platform.masterKey),
      ref,
      Math.floor(Date.now() / 1000) - 1,
    );
    const old = await ctx.app.inject({ method: 'GET', url: expired });
    expect(old.statusCode).toBe(403);
    expect(old.headers['content-type']).toContain('application/problem+json');
    expect(old.json().detail).toContain('expired');
    const gone = signMediaUrl(mediaSigningKey(ctx.platform.masterKey), { ...ref, name: 'nothing.png' }, 2e9);
    expect((await ctx.app.inject({ method: 'GET', url: gone })).statusCode).toBe(404);

    // The project with an Image and an Audio tag: an image alone lacks $audio, refused before anything lands.
    const lacking = await upload(t, project.id, ['cat.png', PNG]);
    expect(lacking.statusCode).toBe(400);
    expect(lacking.json().detail).toContain('"audio"');
    expect(
      fs.existsSync(path.join(filesDir(ctx, t, project.id), 'media'))
        ? fs.readdirSync(path.join(filesDir(ctx, t, project.id), 'media'))
        : [],
    ).toEqual([]);
  });

  it('refuses what is not media, media its config cannot show, and files over the limit, keeping none of them', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const images = await newProject(t, { label_config: IMAGE_CONFIG });
    const text = await upload(
      t,
      images.id,
      ['cat.png', PNG],
      ['fake.png', Buffer.from('<svg onload="alert(1)"/>')],
    );
    expect(text.statusCode).toBe(415);
    expect(text.json().detail).toContain('fake.png');
    const audio = await upload(t, images.id, ['song.wav', WAV]);
    expect(audio.statusCode).toBe(400);
    expect(audio.json().detail).toContain('<audio>');
    const empty = await t.as(t.owner, {
      method: 'POST',
      url: `/api/v1/projects/${images.id}/import/media`,
      ...files(),
    });
    expect(empty.statusCode).toBe(400);
    const json = await t.as(t.owner, {
      method: 'POST',
      url: `/api/v1/projects/${images.id}/import/media`,
      payload: [],
    });
    expect(json.statusCode).toBe(400);
    expect(await taskCount(ctx, t, images.id)).toBe(0);
    const dir = path.join(filesDir(ctx, t, images.id), 'media');
    expect(fs.existsSync(dir) ? fs.readdirSync(dir) : []).toEqual([]);
    const pdfs = await newProject(t, {
      label_config:
        '<View><HyperText name="doc" value="$pdf"/><Choices name="c" toName="doc"><Choice value="ok"/></Choices></View>',
    });
    expect((await imported(t, await upload(t, pdfs.id, ['scan.pdf', PDF]))).state).toBe('completed');
  });

  // A platform of its own (its own limits): on a busy PGlite machine starting one takes a while.
  it('keeps to MEDIA_MAX_BYTES and MEDIA_URL_TTL_SECONDS', async () => {
    const env = testEnv({ MEDIA_MAX_BYTES: '4096', MEDIA_URL_TTL_SECONDS: '1' });
    const ctx = await startTestApp(env);
    try {
      const t = await newTenant(ctx);
      const images = await newProject(t, { label_config: IMAGE_CONFIG });
      const big = await upload(t, images.id, ['huge.png', Buffer.concat([PNG, Buffer.alloc(4096)])]);
      expect(big.statusCode).toBe(413);
      expect(await taskCount(ctx, t, images.id)).toBe(0);
      const dir = path.join(filesDir(ctx, t, images.id), 'media');
      expect(fs.existsSync(dir) ? fs.readdirSync(dir) : []).toEqual([]);
      await imported(t, await upload(t, images.id, ['cat.png', PNG]));
      const stable = (await taskData(ctx, t, images.id))[0]!.data.image!;
      const url = (await sign(t, [stable])).json().urls[0] as string;
      expect((await ctx.app.inject({ method: 'GET', url })).statusCode).toBe(200);
      await new Promise((r) => setTimeout(r, 2100));
      const late = await ctx.app.inject({ method: 'GET', url });
      expect(late.statusCode).toBe(403);
      expect(late.json().detail).toContain('expired');
    } finally {
      await ctx.app.close();
      await ctx.platform.close();
    }
  }, 180_000);

  it("never signs or serves another tenant's files, and a deleted project's files go", async () => {
    const ctx = await testApp();
    const a = await newTenant(ctx);
    const b = await newTenant(ctx);
    const project = await newProject(a, { label_config: IMAGE_CONFIG });
    await imported(a, await upload(a, project.id, ['cat.png', PNG]));
    const stable = (await taskData(ctx, a, project.id))[0]!.data.image!;
    const signedForA = (await sign(a, [stable])).json().urls[0] as string;
    expect((await sign(b, [stable])).statusCode).toBe(404);
    // B's own tenant in the path with A's project and name: A's signature does not carry over.
    const moved = signedForA.replace(a.tenantId, b.tenantId);
    expect((await ctx.app.inject({ method: 'GET', url: moved })).statusCode).toBe(403);
    // B signing a path in its own tenant that names A's project: the project is not B's.
    expect((await sign(b, [stable.replace(a.tenantId, b.tenantId)])).statusCode).toBe(404);
    expect((await sign(a, ['/api/v1/tasks/1'])).statusCode).toBe(400);

    const dir = filesDir(ctx, a, project.id);
    expect(fs.existsSync(dir)).toBe(true);
    const del = await a.as(a.owner, { method: 'DELETE', url: `/api/v1/projects/${project.id}` });
    expect(del.statusCode).toBeLessThan(300);
    const deadline = Date.now() + 30_000;
    while (fs.existsSync(dir) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(fs.existsSync(dir)).toBe(false);
    expect((await ctx.app.inject({ method: 'GET', url: signedForA })).statusCode).toBe(404);
  });
});
