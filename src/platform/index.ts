import path from 'node:path';
import type { Logger } from 'pino';
import client from 'prom-client';
import type { Config } from '../config.ts';
import { createKeyValue, type KeyValue } from './cache/index.ts';
import { loadMasterKey } from './crypto/master-key.ts';
import { SecretBox } from './crypto/secrets.ts';
import { type Database, openDatabase, ping } from './db/client.ts';
import { migrationState, readJournal, runMigrations } from './db/migrate.ts';
import { DomainEvents } from './events/index.ts';
import { Outbound } from './http/outbound.ts';
import { fallbackRateLimitStore } from './http/rate-limit-store.ts';
import { JobQueue } from './jobs/queue.ts';
import { RequestStats } from './metrics/requests.ts';
import { type Probe, Sampler } from './metrics/sampler.ts';
import { type FileStorage, LocalStorage } from './storage/storage.ts';

export interface Platform {
  config: Config;
  log: Logger;
  database: Database;
  kv: KeyValue;
  queue: JobQueue;
  /** In-transaction announcements between modules (see events/index.ts). */
  events: DomainEvents;
  masterKey: Buffer;
  /** Seals secrets at rest with versioned data keys wrapped by the master key. */
  secrets: SecretBox;
  requests: RequestStats;
  /** The store of @fastify/rate-limit: Redis, falling back to in-process counters. */
  rateLimitStore: ReturnType<typeof fallbackRateLimitStore>['Store'];
  /** The client for every request to a URL a user gave (src/platform/http/outbound.ts). */
  outbound: Outbound;
  /** Uploaded files (media), by tenant-prefixed key (src/platform/storage/storage.ts). */
  storage: FileStorage;
  registry: client.Registry;
  httpDuration: client.Histogram<'method' | 'route' | 'status_code'>;
  sampler: Sampler;
  startedAt: Date;
  /** Starts the queue (and its workers, when asked) once every module has defined its jobs. */
  startJobs(options: { work: boolean }): Promise<void>;
  /** Runs `stop` first thing in close(): for timers a module starts. */
  onClose(stop: () => void): void;
  close(): Promise<void>;
}

export interface PlatformOptions {
  /** Apply pending migrations before serving (serve and worker do; tests migrate once). */
  migrate?: boolean;
  /** Overrides where PGlite keeps its data; `null` keeps it in memory. */
  pgliteDir?: string | null;
}

export async function startPlatform(
  config: Config,
  log: Logger,
  options: PlatformOptions = {},
): Promise<Platform> {
  const pgliteDir =
    options.pgliteDir === undefined ? path.join(config.dataDir, 'pg') : (options.pgliteDir ?? undefined);
  const masterKey = loadMasterKey(config.secretKey, config.dataDir);
  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    pgliteDir,
    poolSize: config.dbPoolSize,
    queryTimeoutMs: config.pgliteQueryTimeoutMs,
    sharedBuffersMb: config.pgliteSharedBuffersMb,
    onRestart: (reason) => log.error({ reason }, 'the embedded database thread was restarted'),
  });
  const secrets = new SecretBox(masterKey);
  try {
    if (options.migrate !== false) {
      const { applied } = await runMigrations(database);
      log.info({ applied, driver: database.driver }, 'database migrations applied');
    }
    await secrets.assertMasterKey(database.db);
  } catch (err) {
    await database.close();
    throw err;
  }
  const kv = await createKeyValue(config.redisUrl, config.redisPrefix, log);
  const queue = new JobQueue(database, log, {
    heartbeatMs: config.jobHeartbeatSeconds * 1000,
    staleMs: config.jobStaleSeconds * 1000,
  });
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const httpDuration = new client.Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route and status.',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const queueDepth = new client.Gauge({
    name: 'superinsight_job_queue_depth',
    help: 'Jobs waiting to run.',
    registers: [registry],
  });
  const poolGauge = new client.Gauge({
    name: 'superinsight_db_pool_connections',
    help: 'Database pool connections by state.',
    labelNames: ['state'] as const,
    registers: [registry],
  });
  const requests = new RequestStats();
  const journal = readJournal();
  let jobsStarted = false;
  let restartsSeen = 0;
  let lastDatabase: Record<string, unknown> | undefined;
  const probes: Probe[] = [
    {
      name: 'database',
      check: async () => {
        // A restart of PGlite's thread since the last round: the database was down in between.
        const restarts = database.pglite?.restarts ?? 0;
        if (restarts !== restartsSeen) {
          restartsSeen = restarts;
          throw new Error('the embedded database thread was restarted');
        }
        // A backup holds PGlite's one connection: the database is up, as last seen, but busy.
        if (database.pglite?.dumping && lastDatabase) return { ...lastDatabase, busy: 'backup' };
        await ping(database.db);
        const state = await migrationState(database.raw, journal);
        lastDatabase = {
          driver: database.driver,
          migrations_applied: state.applied,
          migrations_expected: state.expected,
          at_head: state.atHead,
        };
        return lastDatabase;
      },
    },
    {
      name: 'job_queue',
      check: async () => {
        if (!jobsStarted) throw new Error('not started');
        const depth = await queue.depth();
        queueDepth.set(depth);
        return { depth };
      },
    },
  ];
  if (kv.probe) probes.push(kv.probe);
  const rateLimits = fallbackRateLimitStore(kv.redis, `${config.redisPrefix}rl:`);
  // Always up: it says where the rate limits count, in-process while Redis is away.
  probes.push({ name: 'rate_limits', check: async () => ({ ...rateLimits.mode() }) });
  const sampler = new Sampler({
    intervalMs: config.samplerIntervalMs,
    probes,
    requests,
    registry,
    extra: () => {
      const pool = database.poolStats();
      poolGauge.set({ state: 'total' }, pool.total);
      poolGauge.set({ state: 'idle' }, pool.idle);
      poolGauge.set({ state: 'waiting' }, pool.waiting);
      return { pool };
    },
  });
  sampler.start();
  const stoppers: (() => void)[] = [];
  return {
    config,
    log,
    outbound: new Outbound(config.outboundAllowCidrs),
    storage: new LocalStorage(path.join(config.dataDir, 'files')),
    rateLimitStore: rateLimits.Store,
    database,
    kv,
    queue,
    events: new DomainEvents(),
    masterKey,
    secrets,
    requests,
    registry,
    httpDuration,
    sampler,
    startedAt: new Date(),
    async startJobs({ work }) {
      await queue.start({ work });
      jobsStarted = true;
      await sampler.tick();
    },
    onClose(stop) {
      stoppers.push(stop);
    },
    async close() {
      for (const stop of stoppers.splice(0)) stop();
      sampler.stop();
      await queue.stop();
      await kv.close();
      await database.close();
    },
  };
}
