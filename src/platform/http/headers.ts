import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

// Task data points at images, audio and video anywhere (object stores, the customer's own
// servers), and the editor fetches audio to draw its waveform: media may come from any URL.
const ANY_MEDIA = ["'self'", 'data:', 'blob:', 'https:', 'http:'];

/**
 * Security headers on every answer (console, API, docs): a Content-Security-Policy that runs
 * only this origin's scripts (the console's bundle and the Label Studio editor under /ls),
 * refuses framing by other sites, `nosniff`, and HSTS when the operator turns it on.
 * Inline styles stay allowed: Ant Design, the editor and Swagger UI set them.
 */
export async function securityHeaders(app: FastifyInstance, hstsMaxAgeSeconds: number): Promise<void> {
  await app.register(helmet, {
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
  });
}
