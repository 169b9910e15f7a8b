import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import client from 'prom-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openDatabase } from '../src/platform/db/client.ts';
import { runMigrations } from '../src/platform/db/migrate.ts';
import { BUCKET_COUNT, bucketOf, bucketUpperMs, percentile } from '../src/platform/metrics/latency.ts';
import { RequestStats } from '../src/platform/metrics/requests.ts';
import { type Probe, Sampler } from '../src/platform/metrics/sampler.ts';
import { startTestApp, type TestContext, testEnv } from './helpers.ts';

const REDIS_SERVER = '/usr/bin/redis-server';

/** The endpoints that must keep answering whatever a dependency does. */
const SYSTEM_URLS = [
  '/health',
  '/health/live',
  '/system/status',
  '/system/services',
  '/system/metrics',
  '/metrics',
  '/api/v1/no-such-resource',
];

async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

/** A redis-server of our own, so killing it touches nobody else's Redis. */
async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn(
    REDIS_SERVER,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${output}`)), 10_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}:\n${output}`));
    });
  });
  child.stdout!.resume();
  return child;
}

async function killHard(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

/** Ticks the sampler until `done` holds, for at most `ms`; returns whether it held. */
async function tickUntil(ctx: TestContext, done: () => boolean, ms = 10_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    await ctx.platform.sampler.tick();
    if (done()) return true;
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
}

async function expectNoServerErrors(ctx: TestContext, rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    for (const url of SYSTEM_URLS) {
      const res = await ctx.app.inject({ method: 'GET', url });
      expect(res.statusCode, `${url}: ${res.body.slice(0, 200)}`).toBeLessThan(500);
    }
  }
}

/**
 * Publishes on `from` until `received` holds, as a subscription is set up asynchronously;
 * returns whether it held and how many messages were sent.
 */
async function publishUntil(
  from: TestContext,
  channel: string,
  message: string,
  received: () => boolean,
  ms = 10_000,
): Promise<{ received: boolean; sent: number }> {
  const deadline = Date.now() + ms;
  let sent = 0;
  while (Date.now() < deadline) {
    await from.platform.kv.bus.publish(channel, message);
    sent++;
    for (let i = 0; i < 10; i++) {
      if (received()) return { received: true, sent };
      await sleep(20);
    }
  }
  return { received: received(), sent };
}

describe('Redis outage', () => {
  let port: number;
  let redis: ChildProcess | undefined;
  let a: TestContext;
  let b: TestContext;
  const channel = `resilience-${process.pid}`;
  const heardByA: string[] = [];
  const heardByB: string[] = [];
  const lateChannel = `resilience-late-${process.pid}`;
  const heardLate: string[] = [];
  const redisState = (ctx: TestContext) => ctx.platform.sampler.service('redis');

  beforeAll(async () => {
    port = await freePort();
    redis = await startRedis(port);
    const url = `redis://127.0.0.1:${port}`;
    a = await startTestApp(testEnv({ REDIS_URL: url }));
    b = await startTestApp(testEnv({ REDIS_URL: url }));
    a.platform.kv.bus.subscribe(channel, (m) => heardByA.push(m));
    b.platform.kv.bus.subscribe(channel, (m) => heardByB.push(m));
  });

  afterAll(async () => {
    for (const ctx of [a, b]) {
      await ctx?.app.close();
      await ctx?.platform.close();
    }
    await killHard(redis);
  });

  it('serves and caches while Redis is up', async () => {
    expect(a.platform.kv.redis).toBeDefined();
    await a.platform.sampler.tick();
    expect(redisState(a)?.status).toBe('up');
    await a.platform.kv.cache.set('k1', 'v1', 60_000);
    expect(await a.platform.kv.cache.get('k1')).toBe('v1');
    // The second replica shares the cache.
    expect(await b.platform.kv.cache.get('k1')).toBe('v1');
    await a.platform.kv.cache.del('k1');
    expect(await b.platform.kv.cache.get('k1')).toBeNull();
    await expectNoServerErrors(a, 1);
  });

  it('delivers bus messages between two platforms, and once to the publisher', async () => {
    const fromA = await publishUntil(a, channel, 'from-a', () => heardByB.includes('from-a'));
    expect(fromA.received).toBe(true);
    // Redis delivers in order per connection, so once A hears B's marker it has also had
    // the echoes of all its own messages: A's handler must have run once per publish.
    const fromB = await publishUntil(b, channel, 'marker-b', () => heardByA.includes('marker-b'));
    expect(fromB.received).toBe(true);
    expect(heardByA.filter((m) => m === 'from-a')).toHaveLength(fromA.sent);
    expect(heardByB.filter((m) => m === 'marker-b')).toHaveLength(fromB.sent);
    expect(heardByB.filter((m) => m === 'from-a').length).toBeGreaterThanOrEqual(1);
  });

  it('keeps serving without 5xx when Redis is killed, and reports it down', async () => {
    await killHard(redis);
    redis = undefined;
    await expectNoServerErrors(a);
    await expectNoServerErrors(b, 1);

    await a.platform.sampler.tick();
    expect(redisState(a)).toMatchObject({ status: 'down', error: expect.any(String) });
    // The database is fine, so the replica stays ready.
    expect((await a.app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);
    const services = (await a.app.inject({ method: 'GET', url: '/system/services' })).json();
    expect(services.status).toBe('degraded');
    expect(services.services).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'redis', status: 'down' })]),
    );
    const status = (await a.app.inject({ method: 'GET', url: '/system/status' })).json();
    expect(status.status).toBe('degraded');
    const prom = (await a.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(prom).toContain('superinsight_service_up{service="redis"} 0');

    // The cache degrades to misses; nothing throws.
    await expect(a.platform.kv.cache.set('k2', 'v2', 60_000)).resolves.toBeUndefined();
    await expect(a.platform.kv.cache.get('k2')).resolves.toBeNull();
    await expect(a.platform.kv.cache.del('k2')).resolves.toBeUndefined();
    // Publishing still reaches this process' own handlers.
    await expect(a.platform.kv.bus.publish(channel, 'during-outage')).resolves.toBeUndefined();
    expect(heardByA).toContain('during-outage');
    // A subscription made while Redis is away (a module starting up, say) must not be lost.
    b.platform.kv.bus.subscribe(lateChannel, (m) => heardLate.push(m));
    // Long enough for the client to try, and fail, to reconnect a few times.
    await sleep(1500);

    const metrics = (await a.app.inject({ method: 'GET', url: '/system/metrics' })).json();
    expect(metrics.http_errors_total).toBe(0);
  });

  it('recovers when Redis comes back on the same port', async () => {
    redis = await startRedis(port);
    expect(await tickUntil(a, () => redisState(a)?.status === 'up')).toBe(true);
    expect(await tickUntil(b, () => redisState(b)?.status === 'up')).toBe(true);
    await a.platform.kv.cache.set('k3', 'v3', 60_000);
    expect(await a.platform.kv.cache.get('k3')).toBe('v3');
    expect(await b.platform.kv.cache.get('k3')).toBe('v3');
    // The subscriber resubscribed on its own.
    const after = await publishUntil(a, channel, 'after-restart', () => heardByB.includes('after-restart'));
    expect(after.received).toBe(true);
    const late = await publishUntil(a, lateChannel, 'late', () => heardLate.includes('late'));
    expect(late.received).toBe(true);
    expect((await a.app.inject({ method: 'GET', url: '/system/services' })).json().status).toBe('ok');
    await expectNoServerErrors(a, 1);
  });
});

/** A PostgreSQL database of this suite's server, migrated, for a test that may break it. */
async function scratchDatabase(
  base: string,
  suffix: string,
): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = new URL(base);
  admin.pathname = '/postgres';
  const name = `${new URL(base).pathname.slice(1)}_${suffix}`;
  const c = new pg.Client({ connectionString: admin.toString() });
  await c.connect();
  await c.query(`create database ${name}`);
  await c.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  const database = await openDatabase({ databaseUrl: url.toString(), poolSize: 2 });
  await runMigrations(database);
  await database.close();
  return {
    url: url.toString(),
    async drop() {
      const d = new pg.Client({ connectionString: admin.toString() });
      await d.connect();
      await d.query(`drop database if exists ${name} with (force)`);
      await d.end();
    },
  };
}

async function expectStalledButServing(ctx: TestContext): Promise<void> {
  // Every probe answers or times out, so a round resolves however stuck the database is.
  await ctx.platform.sampler.tick();
  const db = ctx.platform.sampler.service('database');
  expect(db).toMatchObject({ status: 'down', error: expect.stringMatching(/timed out/) });

  for (let i = 0; i < 20; i++) {
    expect((await ctx.app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    expect((await ctx.app.inject({ method: 'GET', url: '/system/status' })).statusCode).toBe(200);
  }
  const status = (await ctx.app.inject({ method: 'GET', url: '/system/status' })).json();
  expect(status.status).toBe('degraded');
  expect(status.database.status).toBe('down');
  const dbService = status.services.find((s: { name: string }) => s.name === 'database');
  expect(dbService.error).toMatch(/timed out/);
  const ready = await ctx.app.inject({ method: 'GET', url: '/health/ready' });
  expect(ready.statusCode).toBe(503);
  expect(ready.json()).toMatchObject({ status: 'not_ready', reason: expect.stringMatching(/timed out/) });
  await expectNoServerErrors(ctx, 1);
}

describe.skipIf(!inject('databaseUrl'))('stalled PostgreSQL', () => {
  let scratch: { url: string; drop(): Promise<void> };
  let ctx: TestContext;
  let locker: pg.Client;

  beforeAll(async () => {
    // Its own database: the lock below would stall every worker sharing the suite's one.
    scratch = await scratchDatabase(inject('databaseUrl')!, 'stall');
    ctx = await startTestApp(testEnv({ DATABASE_URL: scratch.url }));
    locker = new pg.Client({ connectionString: scratch.url });
    await locker.connect();
  });

  afterAll(async () => {
    await locker?.query('rollback').catch(() => {});
    await locker?.end();
    await ctx?.app.close();
    await ctx?.platform.close();
    await scratch?.drop();
  });

  it('is ready before the stall', async () => {
    expect(await tickUntil(ctx, () => ctx.platform.sampler.service('database')?.status === 'up')).toBe(true);
    expect((await ctx.app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);
  });

  it('keeps serving while the migrations table is locked, and is not ready', async () => {
    await locker.query('begin');
    await locker.query('lock table drizzle.__drizzle_migrations in access exclusive mode');
    await expectStalledButServing(ctx);

    // Further rounds do not pile new probes on the stuck one: one query waits on the lock.
    for (let i = 0; i < 3; i++) await ctx.platform.sampler.tick();
    const waiting = await locker.query(
      `select count(*)::int as n from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock' and pid <> pg_backend_pid()
          and query like '%drizzle.__drizzle_migrations%'`,
    );
    expect(waiting.rows[0].n).toBe(1);
    expect(ctx.platform.sampler.service('database')?.error).toMatch(/timed out after \d+ ms; no answer for/);
  });

  it('is ready again once the lock is released', async () => {
    await locker.query('rollback');
    expect(await tickUntil(ctx, () => ctx.platform.sampler.service('database')?.status === 'up')).toBe(true);
    expect((await ctx.app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);
  });
});

describe.skipIf(inject('databaseUrl'))('stalled PGlite', () => {
  let ctx: TestContext;
  let release: () => void = () => {};
  let held: Promise<unknown> | undefined;

  beforeAll(async () => {
    ctx = await startTestApp(testEnv());
  });

  afterAll(async () => {
    release();
    await held;
    await ctx?.app.close();
    await ctx?.platform.close();
  });

  it('keeps serving while a transaction holds the embedded database, and is not ready', async () => {
    expect(await tickUntil(ctx, () => ctx.platform.sampler.service('database')?.status === 'up')).toBe(true);
    const pglite = ctx.platform.database.pglite!;
    // PGlite is one connection: while this transaction is open every other query queues.
    let started!: () => void;
    const inside = new Promise<void>((r) => {
      started = r;
    });
    held = pglite.client().transaction(async (tx) => {
      await tx.query('lock table drizzle.__drizzle_migrations in access exclusive mode');
      started();
      await new Promise<void>((r) => {
        release = r;
      });
    });
    await inside;
    await expectStalledButServing(ctx);
    release();
    await held;
    expect(await tickUntil(ctx, () => ctx.platform.sampler.service('database')?.status === 'up')).toBe(true);
    expect((await ctx.app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);
  });
});

/** A probe written for the test: it answers when told to, or never. */
function manualProbe(name: string, timeoutMs: number) {
  const pending: { resolve: (d?: Record<string, unknown>) => void; reject: (e: Error) => void }[] = [];
  let calls = 0;
  const probe: Probe = {
    name,
    timeoutMs,
    check: () => {
      calls++;
      return new Promise((resolve, reject) => pending.push({ resolve, reject }));
    },
  };
  return {
    probe,
    get calls() {
      return calls;
    },
    answer(details?: Record<string, unknown>) {
      for (const p of pending.splice(0)) p.resolve(details);
    },
    fail(message: string) {
      for (const p of pending.splice(0)) p.reject(new Error(message));
    },
  };
}

function samplerWith(...probes: Probe[]) {
  return new Sampler({
    intervalMs: 60_000,
    probes,
    requests: new RequestStats(),
    registry: new client.Registry(),
  });
}

describe('Sampler', () => {
  it('marks a probe that never answers down at its timeout, and does not call it again while pending', async () => {
    const hang = manualProbe('hang', 50);
    const sampler = samplerWith(hang.probe);
    expect(sampler.service('hang')?.status).toBe('unknown');

    await sampler.tick();
    expect(sampler.service('hang')).toMatchObject({ status: 'down', error: 'timed out after 50 ms' });
    expect(hang.calls).toBe(1);

    for (let i = 0; i < 3; i++) await sampler.tick();
    expect(hang.calls).toBe(1);
    expect(sampler.service('hang')).toMatchObject({
      status: 'down',
      error: expect.stringMatching(/^timed out after 50 ms; no answer for \d+ ms$/),
    });
    expect(sampler.snapshot.services).toEqual([expect.objectContaining({ name: 'hang', status: 'down' })]);
    expect(sampler.prometheusText).toContain('superinsight_service_up{service="hang"} 0');

    // Once the stuck call settles, the next round probes again.
    hang.answer({ late: true });
    await sleep(0);
    const next = sampler.tick();
    expect(hang.calls).toBe(2);
    hang.answer({ fresh: true });
    await next;
    expect(sampler.service('hang')).toMatchObject({ status: 'up', details: { fresh: true } });
    expect(sampler.prometheusText).toContain('superinsight_service_up{service="hang"} 1');
  });

  it('lets overlapping rounds share a probe call that is still within its timeout', async () => {
    const slow = manualProbe('slow', 60_000);
    const sampler = samplerWith(slow.probe);
    const first = sampler.tick();
    const second = sampler.tick();
    await sleep(20);
    // The second round neither calls again nor declares the healthy dependency down.
    expect(slow.calls).toBe(1);
    expect(sampler.service('slow')?.status).toBe('unknown');
    slow.answer({ n: 1 });
    await Promise.all([first, second]);
    expect(sampler.service('slow')).toMatchObject({ status: 'up', details: { n: 1 } });
  });

  it('reports a rejection, and a probe that throws before returning a promise', async () => {
    const failing = manualProbe('failing', 60_000);
    let throws = 0;
    const thrower: Probe = {
      name: 'thrower',
      check: () => {
        throws++;
        throw new Error('refused synchronously');
      },
    };
    const sampler = samplerWith(failing.probe, thrower);
    const round = sampler.tick();
    failing.fail('connection refused');
    await round;
    expect(sampler.service('failing')).toMatchObject({ status: 'down', error: 'connection refused' });
    expect(sampler.service('thrower')).toMatchObject({ status: 'down', error: 'refused synchronously' });
    // Neither is left marked as running: the next round calls both again.
    const again = sampler.tick();
    failing.answer();
    await again;
    expect(failing.calls).toBe(2);
    expect(throws).toBe(2);
    expect(sampler.service('failing')?.status).toBe('up');
  });

  it('serves request figures and the Prometheus text from the last round', async () => {
    const requests = new RequestStats();
    const registry = new client.Registry();
    const counter = new client.Counter({ name: 'test_things_total', help: 'things', registers: [registry] });
    const sampler = new Sampler({ intervalMs: 60_000, probes: [], requests, registry });
    requests.record(5, 200);
    counter.inc(3);
    // Nothing changes until the sampler runs: handlers read memory only.
    expect(sampler.snapshot.requests.total).toBe(0);
    expect(sampler.prometheusText).toBe('');
    await sampler.tick();
    expect(sampler.snapshot.requests.total).toBe(1);
    expect(sampler.snapshot.sampled_at).not.toBeNull();
    expect(sampler.prometheusText).toContain('test_things_total 3');
  });
});

describe('latency histogram', () => {
  const width = 10 ** (1 / 40); // a bucket's upper bound over its lower bound

  function histogramOf(values: number[]) {
    const counts = new Uint32Array(BUCKET_COUNT);
    for (const v of values) counts[bucketOf(v)]!++;
    return counts;
  }

  /** The exact percentile of the samples, by the same nearest-rank rule. */
  function exact(values: number[], p: number): number {
    const sorted = [...values].sort((x, y) => x - y);
    return sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1]!;
  }

  it('puts every value at or under its bucket upper bound and over the one before', () => {
    for (const v of [0.011, 0.5, 1, 1.7, 9.99, 10, 123.4, 5000, 99_999]) {
      const b = bucketOf(v);
      expect(bucketUpperMs(b)).toBeGreaterThanOrEqual(v * (1 - 1e-12));
      expect(bucketUpperMs(b - 1)).toBeLessThan(v * (1 + 1e-12));
    }
    expect(bucketOf(0)).toBe(0);
    expect(bucketOf(-3)).toBe(0);
    expect(bucketOf(Number.NaN)).toBe(0);
    expect(bucketOf(1e9)).toBe(BUCKET_COUNT - 1);
  });

  it.each([
    ['uniform 1..1000 ms', Array.from({ length: 1000 }, (_, i) => i + 1)],
    ['exponential, mean 20 ms', Array.from({ length: 5000 }, (_, i) => -20 * Math.log(1 - (i + 0.5) / 5000))],
    [
      'bimodal: 90% at 2 ms, 10% at 400 ms',
      [...Array.from({ length: 900 }, () => 2), ...Array.from({ length: 100 }, () => 400)],
    ],
    ['one value', [42]],
  ])('gives percentiles of %s within one bucket', (_label, values) => {
    const counts = histogramOf(values);
    for (const p of [50, 90, 95, 99, 100]) {
      const truth = exact(values, p);
      const got = percentile(counts, values.length, p);
      expect(got, `p${p}`).toBeGreaterThanOrEqual(truth * (1 - 1e-9));
      expect(got, `p${p}`).toBeLessThanOrEqual(truth * width * (1 + 1e-9));
    }
  });

  it('is 0 without samples', () => {
    expect(percentile(new Uint32Array(BUCKET_COUNT), 0, 99)).toBe(0);
  });
});

describe('RequestStats', () => {
  function clock(startMs: number) {
    let now = startMs;
    return {
      now: () => now,
      advance(ms: number) {
        now += ms;
      },
    };
  }

  it('summarizes latency percentiles, error rate and totals', () => {
    const c = clock(1_700_000_000_000);
    const stats = new RequestStats(60, c.now);
    for (let i = 1; i <= 1000; i++) stats.record(i / 10, i % 50 === 0 ? 503 : i % 10 === 0 ? 404 : 200);
    const s = stats.summarize();
    expect(s.total).toBe(1000);
    expect(s.errors_total).toBe(20); // 4xx are the client's, not errors of the server
    expect(s.error_rate).toBe(0.02);
    const width = 10 ** (1 / 40);
    for (const [p, truth] of [
      [50, 50],
      [95, 95],
      [99, 99],
    ] as const) {
      const got = s.latency_ms[`p${p}`];
      expect(got).toBeGreaterThanOrEqual(truth * 0.999);
      expect(got).toBeLessThanOrEqual(truth * width * 1.001);
    }
  });

  it('computes per_second over completed seconds only', () => {
    const c = clock(1_700_000_000_000);
    const stats = new RequestStats(60, c.now);
    expect(stats.summarize().per_second).toBe(0);
    for (let second = 0; second < 10; second++) {
      for (let i = 0; i < 100; i++) stats.record(1, 200);
      c.advance(1000);
    }
    // The current, partial second does not count.
    for (let i = 0; i < 500; i++) stats.record(1, 200);
    const s = stats.summarize();
    expect(s.per_second).toBe(100);
    expect(s.total).toBe(1500);
  });

  it('forgets what falls out of the window but keeps the totals', () => {
    const c = clock(1_700_000_000_000);
    const stats = new RequestStats(60, c.now);
    for (let i = 0; i < 10; i++) stats.record(1000, 500);
    c.advance(5000);
    expect(stats.summarize().error_rate).toBe(1);
    expect(stats.summarize().latency_ms.p99).toBeGreaterThanOrEqual(1000);
    c.advance(61_000);
    for (let i = 0; i < 10; i++) stats.record(2, 200);
    const s = stats.summarize();
    expect(s.error_rate).toBe(0);
    expect(s.latency_ms.p99).toBeLessThan(1000);
    expect(s.total).toBe(20);
    expect(s.errors_total).toBe(10);
    // 10 requests over the 59 completed seconds of the window, none of them complete yet.
    expect(s.per_second).toBe(0);
  });

  it('keeps percentiles finite when a duration is not a number', () => {
    const stats = new RequestStats();
    stats.record(Number.NaN, 200);
    stats.record(3, 200);
    const s = stats.summarize();
    expect(s.latency_ms.p99).toBeLessThan(10);
  });
});
