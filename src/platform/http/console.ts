import fs from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SESSION_COOKIE } from '../auth/plugin.ts';

/** Where `npm run build:web` puts the console. */
export const CONSOLE_DIR = path.resolve(import.meta.dirname, '../../../web/dist');

/**
 * Paths that belong to the server; the console's client routes never shadow them. The
 * server's system routes live under /system/, while /system itself is the console's
 * system page (a deep link to it must load the console).
 */
const SERVER_PREFIXES = ['/api', '/docs', '/health', '/metrics'];
const SERVER_SUBTREES = ['/system/'];

/**
 * The API reads a signed-in page makes first, announced in its HTML as preloads, so the
 * browser fetches them while it loads the scripts instead of after (bench/console.ts). Each
 * URL is exactly what the console requests (web/src/lib/session.ts, the data manager's
 * first page in web/src/routes.tsx), or the browser would fetch it twice.
 */
export function firstReads(pathname: string): string[] {
  const reads = ['/api/v1/auth/me'];
  const project = /^\/projects\/(\d+)\/data$/.exec(pathname)?.[1];
  if (project) {
    reads.push(`/api/v1/projects/${project}`, `/api/v1/projects/${project}/tasks?sort=id&limit=100`);
  }
  return reads;
}

const SESSION_IN_COOKIES = new RegExp(`(?:^|;\\s*)${SESSION_COOKIE}=`);
const signedIn = (request: FastifyRequest) => SESSION_IN_COOKIES.test(request.headers.cookie ?? '');

function wantsHtml(accept: string | undefined): boolean {
  return accept?.includes('text/html') ?? false;
}

/**
 * Serves the built web console: its files as they are, and index.html for the console's
 * client routes (deep links). `GET /` answers browsers with the console and other clients
 * with the server's JSON links. Without a build (tests, an install without dev tools) the
 * server runs as an API alone.
 */
export async function webConsole(app: FastifyInstance, dir = CONSOLE_DIR): Promise<void> {
  const indexFile = path.join(dir, 'index.html');
  if (!fs.existsSync(indexFile)) {
    app.log.info({ dir }, 'web console not built; serving the API only');
    return;
  }
  const index = fs.readFileSync(indexFile, 'utf8');
  const sendIndex = (request: FastifyRequest, reply: FastifyReply) => {
    const pathname = request.url.split('?')[0]!;
    const html = signedIn(request)
      ? index.replace(
          '</head>',
          `${firstReads(pathname)
            .map((url) => `<link rel="preload" as="fetch" crossorigin href="${url}">`)
            .join('')}</head>`,
        )
      : index;
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(html);
  };

  // Hashed file names under /assets never change; the editor bundle under /ls changes with the package.
  await app.register(fastifyStatic, {
    root: dir,
    prefix: '/',
    wildcard: false,
    index: false,
    preCompressed: true,
    cacheControl: false,
    setHeaders: (res, file) => {
      const hashed = file.includes(`${path.sep}assets${path.sep}`);
      res.setHeader('cache-control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });

  // Sending from a callback-style hook ends the request there; every other request passes on.
  app.addHook('onRequest', (request, reply, done) => {
    if (request.method === 'GET' && request.url === '/' && wantsHtml(request.headers.accept)) {
      sendIndex(request, reply);
      return;
    }
    done();
  });

  app.get('/*', { schema: { hide: true } }, async (request, reply) => {
    const pathname = request.url.split('?')[0]!;
    const serverPath =
      SERVER_PREFIXES.some((p) => pathname === p || pathname.startsWith(`${p}/`)) ||
      SERVER_SUBTREES.some((p) => pathname.startsWith(p));
    if (serverPath || !wantsHtml(request.headers.accept)) return reply.callNotFound();
    return sendIndex(request, reply);
  });
}
