import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { webConsole } from './console.ts';

const HTML = { accept: 'text/html,application/xhtml+xml' };

async function appWith(dir: string) {
  const app = Fastify();
  await webConsole(app, dir);
  app.get('/api/v1/thing', async () => ({ ok: true }));
  app.get('/', async () => ({ links: {} }));
  await app.ready();
  return app;
}

function builtConsole(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'si-console-'));
  fs.mkdirSync(path.join(dir, 'assets'));
  fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><head></head><div id="root"></div>');
  fs.writeFileSync(path.join(dir, 'assets/app-1234.js'), 'console.log(1)');
  return dir;
}

describe('web console serving', () => {
  it('serves index.html for client routes and / to browsers, files as they are, and never shadows the API', async () => {
    const app = await appWith(builtConsole());
    for (const url of ['/', '/projects/3/data', '/admin/users?x=1']) {
      const res = await app.inject({ url, headers: HTML });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type'], url).toContain('text/html');
      expect(res.body).toContain('id="root"');
    }
    const js = await app.inject({ url: '/assets/app-1234.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toContain('javascript');
    expect(js.headers['cache-control']).toContain('immutable');
    expect((await app.inject({ url: '/' })).json()).toEqual({ links: {} });
    expect((await app.inject({ url: '/api/v1/thing', headers: HTML })).json()).toEqual({ ok: true });
    for (const url of ['/api/v1/nothing', '/docs/nothing', '/system/nothing', '/health/x', '/metrics/x']) {
      expect((await app.inject({ url, headers: HTML })).statusCode, url).toBe(404);
    }
    // Not a browser asking for a page: no HTML for unknown paths.
    expect((await app.inject({ url: '/projects/3/data' })).statusCode).toBe(404);
    await app.close();
  });

  it('announces the first API reads of a signed-in page as preloads', async () => {
    const app = await appWith(builtConsole());
    const page = (url: string, cookie?: string) =>
      app.inject({ url, headers: { ...HTML, ...(cookie ? { cookie } : {}) } }).then((r) => r.body);
    const preloads = (html: string) =>
      [...html.matchAll(/<link rel="preload" as="fetch" crossorigin href="([^"]+)">/g)].map((m) => m[1]);
    expect(preloads(await page('/projects/12/data?x=1', 'theme=dark; si_session=abc'))).toEqual([
      '/api/v1/auth/me',
      '/api/v1/projects/12',
      '/api/v1/projects/12/tasks?sort=id&limit=100',
    ]);
    expect(preloads(await page('/', 'si_session=abc'))).toEqual(['/api/v1/auth/me']);
    // Signed out: nothing that would only answer 401.
    expect(preloads(await page('/projects/12/data'))).toEqual([]);
    expect(preloads(await page('/projects/12/data', 'not_si_session=abc'))).toEqual([]);
    await app.close();
  });

  it('runs as the API alone when the console is not built', async () => {
    const app = await appWith(path.join(os.tmpdir(), 'si-console-missing'));
    expect((await app.inject({ url: '/projects', headers: HTML })).statusCode).toBe(404);
    expect((await app.inject({ url: '/', headers: HTML })).json()).toEqual({ links: {} });
    await app.close();
  });
});
