import type { FastifyInstance } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';

// Task data points at images, audio and video anywhere (object stores, the customer's own
// servers), and the editor fetches audio to draw its waveform: media may come from any URL.
const ANY_MEDIA = ["'self'", 'data:', 'blob:', 'https:', 'http:'];

function helmetOptions(hstsMaxAgeSeconds: number): HelmetOptions {
  return {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        scriptSrcAttr: ["'none'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ANY_MEDIA,
        mediaSrc: ANY_MEDIA,
        connectSrc: ANY_MEDIA,
        fontSrc: ["'self'", 'data:'],
        workerSrc: ["'self'", 'blob:'],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'self'"],
      },
    },
    // Off unless configured: a browser that saw it refuses plain HTTP to this host for max-age.
    hsts: hstsMaxAgeSeconds > 0 ? { maxAge: hstsMaxAgeSeconds, includeSubDomains: true } : false,
    // The console and API are one origin; other sites need not read our images or JSON.
    crossOriginResourcePolicy: { policy: 'same-origin' },
  };
}

/** The headers helmet sets for these options: they never vary per request. */
export function securityHeaderValues(hstsMaxAgeSeconds: number): [string, string][] {
  const headers: [string, string][] = [];
  const recorder = {
    setHeader: (name: string, value: string) => headers.push([name.toLowerCase(), value]),
    removeHeader: () => {},
  };
  helmet(helmetOptions(hstsMaxAgeSeconds))(
    {} as Parameters<ReturnType<typeof helmet>>[0],
    recorder as unknown as Parameters<ReturnType<typeof helmet>>[1],
    () => {},
  );
  return headers;
}

/**
 * Security headers on every answer (console, API, docs, errors): a Content-Security-Policy
 * that runs only this origin's scripts (the console's bundle and the Label Studio editor
 * under /ls), refuses framing by other sites, `nosniff`, and HSTS when the operator turns it
 * on. Inline styles stay allowed: Ant Design, the editor and Swagger UI set them. With them
 * the request's id (`x-request-id`), so a caller can quote it.
 *
 * helmet computes them once here; @fastify/helmet rebuilt helmet's middleware (parsing the
 * whole policy) on every request, a tenth of the CPU of a small request.
 */
export function responseHeaders(app: FastifyInstance, hstsMaxAgeSeconds: number): void {
  const headers = securityHeaderValues(hstsMaxAgeSeconds);
  // On the raw response, as helmet does: they survive error replies and hijacked streams.
  app.addHook('onRequest', (request, reply, done) => {
    const raw = reply.raw;
    for (const [name, value] of headers) raw.setHeader(name, value);
    raw.setHeader('x-request-id', request.id);
    done();
  });
}
