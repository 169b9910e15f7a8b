import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import type { Snapshot } from '../../platform/metrics/sampler.ts';
import { NAME, VERSION } from '../../platform/version.ts';

const Service = Type.Object({
  name: Type.String(),
  status: Type.Union([Type.Literal('up'), Type.Literal('down'), Type.Literal('unknown')]),
  latency_ms: Type.Union([Type.Number(), Type.Null()]),
  checked_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  error: Type.Optional(Type.String()),
  details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});

const Latency = Type.Object({ p50: Type.Number(), p95: Type.Number(), p99: Type.Number() });
const Pool = Type.Object({
  max: Type.Number(),
  total: Type.Number(),
  idle: Type.Number(),
  waiting: Type.Number(),
});

const Status = Type.Object({
  name: Type.String(),
  version: Type.String(),
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]),
  started_at: Type.String({ format: 'date-time' }),
  uptime_seconds: Type.Number(),
  sampled_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  requests: Type.Object({
    total: Type.Number(),
    errors_total: Type.Number(),
    per_second: Type.Number(),
    error_rate: Type.Number(),
    window_seconds: Type.Number(),
    latency_ms: Latency,
  }),
  event_loop_lag_ms: Type.Object({ mean: Type.Number(), p99: Type.Number(), max: Type.Number() }),
  memory: Type.Object({
    rss_bytes: Type.Number(),
    heap_used_bytes: Type.Number(),
    heap_total_bytes: Type.Number(),
    external_bytes: Type.Number(),
  }),
  database: Type.Object({ driver: Type.String(), status: Type.String(), pool: Pool }),
  jobs: Type.Object({ status: Type.String(), queue_depth: Type.Union([Type.Number(), Type.Null()]) }),
  services: Type.Array(Service),
});

const tags = ['system'];

/**
 * Public system endpoints. Every handler reads what the background sampler last stored:
 * none of them waits on the database, Redis or the job queue.
 */
export const systemRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { sampler, startedAt, database } = app.platform;

  const status = (snap: Snapshot) => {
    // Everything from the one snapshot, so the figures of one answer belong together.
    const db = snap.services.find((s) => s.name === 'database');
    const jobs = snap.services.find((s) => s.name === 'job_queue');
    const degraded = snap.services.some((s) => s.status !== 'up');
    return {
      name: NAME,
      version: VERSION,
      status: degraded ? ('degraded' as const) : ('ok' as const),
      started_at: startedAt.toISOString(),
      uptime_seconds: Math.round(process.uptime()),
      sampled_at: snap.sampled_at,
      requests: snap.requests,
      event_loop_lag_ms: snap.event_loop_lag_ms,
      memory: snap.memory,
      database: {
        driver: database.driver,
        status: db?.status ?? 'unknown',
        pool:
          (sampler.extra.pool as { max: number; total: number; idle: number; waiting: number }) ??
          database.poolStats(),
      },
      jobs: {
        status: jobs?.status ?? 'unknown',
        queue_depth: typeof jobs?.details?.depth === 'number' ? jobs.details.depth : null,
      },
      services: snap.services,
    };
  };

  const metrics = (snap: Snapshot) => {
    const s = status(snap);
    return {
      uptime_seconds: s.uptime_seconds,
      http_requests_total: s.requests.total,
      http_errors_total: s.requests.errors_total,
      http_requests_per_second: s.requests.per_second,
      http_error_rate: s.requests.error_rate,
      http_latency_p50_ms: s.requests.latency_ms.p50,
      http_latency_p95_ms: s.requests.latency_ms.p95,
      http_latency_p99_ms: s.requests.latency_ms.p99,
      event_loop_lag_mean_ms: s.event_loop_lag_ms.mean,
      event_loop_lag_p99_ms: s.event_loop_lag_ms.p99,
      memory_rss_bytes: s.memory.rss_bytes,
      memory_heap_used_bytes: s.memory.heap_used_bytes,
      db_pool_max: s.database.pool.max,
      db_pool_total: s.database.pool.total,
      db_pool_idle: s.database.pool.idle,
      db_pool_waiting: s.database.pool.waiting,
      job_queue_depth: s.jobs.queue_depth,
      services_up: s.services.filter((x) => x.status === 'up').length,
      services_down: s.services.filter((x) => x.status !== 'up').length,
    };
  };

  const services = (snap: Snapshot) => ({
    status: snap.services.every((s) => s.status === 'up') ? 'ok' : 'degraded',
    services: snap.services,
  });

  /**
   * The answer changes only when the sampler takes a new snapshot, so each route serializes
   * it once per snapshot (with its response schema) and sends the same UTF-8 bytes until the
   * next one: no serializing, measuring or encoding of the body per request.
   */
  const perSnapshot = (build: (snap: Snapshot) => unknown) => {
    let snapshot: Snapshot | undefined;
    let body = Buffer.alloc(0);
    return (reply: FastifyReply): FastifyReply => {
      const snap = sampler.snapshot;
      if (snap !== snapshot) {
        body = Buffer.from(reply.serialize(build(snap)) as string);
        snapshot = snap;
      }
      return reply.type('application/json; charset=utf-8').send(body);
    };
  };
  const sendStatus = perSnapshot(status);
  const sendMetrics = perSnapshot(metrics);
  const sendServices = perSnapshot(services);
  // The Prometheus text, encoded once per scrape the sampler took.
  let promText: string | undefined;
  let promBody = Buffer.alloc(0);

  app.get(
    '/',
    {
      schema: {
        tags,
        summary: 'What this server is, and where to go next',
        response: {
          200: Type.Object({
            name: Type.String(),
            version: Type.String(),
            links: Type.Record(Type.String(), Type.String()),
          }),
        },
      },
    },
    async () => ({
      name: NAME,
      version: VERSION,
      links: {
        docs: '/docs',
        openapi: '/docs/json',
        health: '/health',
        status: '/system/status',
        metrics: '/metrics',
        api: '/api/v1',
      },
    }),
  );

  app.get(
    '/health',
    {
      schema: {
        tags,
        summary: 'Liveness in one word; touches nothing',
        response: { 200: Type.Object({ status: Type.Literal('ok'), version: Type.String() }) },
      },
    },
    async () => ({ status: 'ok' as const, version: VERSION }),
  );

  app.get(
    '/health/live',
    {
      schema: {
        tags,
        summary: 'The process is up',
        response: { 200: Type.Object({ status: Type.Literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  const Ready = Type.Object({
    status: Type.Union([Type.Literal('ready'), Type.Literal('not_ready')]),
    reason: Type.Optional(Type.String()),
    checked_at: Type.Union([Type.String(), Type.Null()]),
  });
  app.get(
    '/health/ready',
    {
      schema: {
        tags,
        summary: 'Ready for traffic: the database answers and its migrations are at head',
        response: { 200: Ready, 503: Ready },
      },
    },
    async (_req, reply) => {
      const db = sampler.service('database');
      const checked_at = db?.checked_at ?? null;
      if (db?.status !== 'up') {
        return reply
          .code(503)
          .send({ status: 'not_ready', reason: `database ${db?.error ?? 'not checked yet'}`, checked_at });
      }
      if (db.details?.at_head !== true) {
        return reply
          .code(503)
          .send({ status: 'not_ready', reason: 'migrations are not at head', checked_at });
      }
      return { status: 'ready' as const, checked_at };
    },
  );

  app.get(
    '/system/services',
    {
      schema: {
        tags,
        summary: 'Each dependency with its status and latency, as last probed',
        response: { 200: Type.Object({ status: Type.String(), services: Type.Array(Service) }) },
      },
    },
    async (_req, reply) => sendServices(reply),
  );

  app.get(
    '/system/status',
    {
      schema: {
        tags,
        summary: 'Version, uptime, traffic, latency, event loop, memory, pool, queue',
        response: { 200: Status },
      },
    },
    async (_req, reply) => sendStatus(reply),
  );

  app.get(
    '/system/metrics',
    {
      schema: {
        tags,
        summary: 'The status figures as one flat JSON object of numbers',
        response: { 200: Type.Record(Type.String(), Type.Union([Type.Number(), Type.Null()])) },
      },
    },
    async (_req, reply) => sendMetrics(reply),
  );

  app.get(
    '/metrics',
    { schema: { tags, summary: 'Prometheus exposition, as last sampled', produces: ['text/plain'] } },
    async (_req, reply) => {
      const text = sampler.prometheusText;
      if (text !== promText) {
        promBody = Buffer.from(text);
        promText = text;
      }
      return reply.type('text/plain; version=0.0.4; charset=utf-8').send(promBody);
    },
  );
};
