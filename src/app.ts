import rateLimit, { type FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { modules } from './modules/index.ts';
import { gatedRoutes, licenseGate } from './modules/license/index.ts';
import { systemRoutes } from './modules/system/routes.ts';
import { auth } from './platform/auth/plugin.ts';
import { registerErrorHandling } from './platform/errors/handler.ts';
import { tooManyRequests } from './platform/errors/problem.ts';
import { webConsole } from './platform/http/console.ts';
import { responseHeaders } from './platform/http/headers.ts';
import { registerInputChecks } from './platform/http/input.ts';
import { requestLogger } from './platform/http/request-logger.ts';
import { restrictSystemEndpoints } from './platform/http/system-access.ts';
import type { Platform } from './platform/index.ts';
import { NAME, VERSION } from './platform/version.ts';

declare module 'fastify' {
  interface FastifyInstance {
    platform: Platform;
  }
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;

export async function buildApp(platform: Platform): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: platform.log as FastifyBaseLogger,
    childLoggerFactory: requestLogger,
    bodyLimit: platform.config.bodyLimitBytes,
    // Any of Fastify's accepted forms; the cast only steers its overloads away from HTTP/2.
    trustProxy: platform.config.trustProxy as FastifyServerOptions['trustProxy'] & boolean,
    // Honour a caller's request id when it is sane, so one id follows a request across services.
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : crypto.randomUUID();
    },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.decorate('platform', platform);
  registerErrorHandling(app);
  registerInputChecks(app);

  // Callback-style hooks here and in the plugins on every request's path: an async hook
  // costs a promise and a microtask turn per request even when it has nothing to do.
  app.addHook('onResponse', (request, reply, done) => {
    const ms = reply.elapsedTime;
    platform.requests.record(ms, reply.statusCode);
    platform.httpDuration.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status_code: reply.statusCode,
      },
      ms / 1000,
    );
    done();
  });

  responseHeaders(app, platform.config.hstsMaxAgeSeconds);
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: NAME, version: VERSION, description: 'SuperInsight: AI training data platform API.' },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer' },
          session: { type: 'apiKey', in: 'cookie', name: 'si_session' },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  await app.register(auth, { platform });
  await app.register(licenseGate, { platform });
  // Opt-in per route (config.rateLimit); counted in Redis when configured, and in this
  // process while Redis is away (platform/http/rate-limit-store.ts): an outage never lifts a limit.
  await app.register(rateLimit, {
    global: false,
    // The plugin's types describe its own stores' callbacks more narrowly than it calls them.
    store: platform.rateLimitStore as unknown as FastifyRateLimitStoreCtor,
    errorResponseBuilder: (_req, ctx) =>
      tooManyRequests(
        'request.rate_limited',
        'Too many requests; slow down.',
        Math.max(1, Math.ceil(ctx.ttl / 1000)),
      ),
  });

  restrictSystemEndpoints(app, platform.config.systemAccessToken, platform.config.systemAllowCidrs);
  // Before the system routes: `GET /` answers browsers with the console.
  await webConsole(app);
  await app.register(systemRoutes);
  for (const m of modules) {
    if (m.routes)
      await app.register(m.feature ? gatedRoutes(m.feature, m.routes) : m.routes, {
        prefix: m.prefix ?? '/api/v1',
      });
  }
  return app;
}
