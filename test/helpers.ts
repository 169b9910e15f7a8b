import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { pino } from 'pino';
import { inject } from 'vitest';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { wireModules } from '../src/modules/index.ts';
import { type Platform, startPlatform } from '../src/platform/index.ts';

export interface TestContext {
  app: FastifyInstance;
  platform: Platform;
}

/** Environment for a platform under test: the suite's database and Redis, quiet logs. */
export function testEnv(extra: Record<string, string> = {}): Record<string, string> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'si-test-'));
  const env: Record<string, string> = {
    DATA_DIR: dataDir,
    // Errors only: a 500 in a test leaves its cause in the run's output.
    LOG_LEVEL: 'error',
    SAMPLER_INTERVAL_MS: '200',
    // Several platforms (workers, replicas, fresh databases) share one server's 100 connections.
    DB_POOL_SIZE: '10',
    // Fixtures sign in from one address many times a minute; tests of the limit set their own.
    AUTH_RATE_LIMIT_PER_MINUTE: '1000000',
    REDIS_KEY_PREFIX: `si-test-${inject('runId')}:`,
    // Webhook and notification tests post to servers on loopback, which outbound requests
    // refuse unless allowed (test/outbound.test.ts checks the refusals without this).
    OUTBOUND_ALLOW_CIDRS: '127.0.0.0/8,::1/128',
    // Replicas sharing a database must share the master key; so do the test workers.
    SUPERINSIGHT_SECRET_KEY: createHash('sha256')
      .update(`si-test-${inject('runId')}`)
      .digest('hex'),
  };
  // Every platform of the run sends e-mail to the run's one SMTP server (test/mail-sink.ts).
  env.SMTP_URL = inject('mailSink').url;
  env.SMTP_FROM = 'quality@superinsight.test';
  const databaseUrl = inject('databaseUrl');
  const redisUrl = inject('redisUrl');
  if (databaseUrl) env.DATABASE_URL = databaseUrl;
  if (redisUrl) env.REDIS_URL = redisUrl;
  return { ...env, ...extra };
}

/**
 * Starts a whole platform and app (jobs and workers included) on the given environment.
 * The suite's PostgreSQL database is migrated once by the global setup; pass
 * `migrate: true` for a database of your own.
 */
export async function startTestApp(
  env: Record<string, string> = testEnv(),
  options: { migrate?: boolean } = {},
): Promise<TestContext> {
  const config = loadConfig(env);
  const platform = await startPlatform(config, pino({ level: config.logLevel }), {
    pgliteDir: null,
    migrate: options.migrate ?? !config.databaseUrl,
  });
  const app = await buildApp(platform);
  wireModules(platform);
  await platform.startJobs({ work: true });
  await app.ready();
  return { app, platform };
}

/** A new empty database: a fresh PostgreSQL database of the suite's server, or PGlite in memory. */
export async function freshDatabaseEnv(extra: Record<string, string> = {}): Promise<Record<string, string>> {
  const env = testEnv(extra);
  if (!env.DATABASE_URL) return env;
  const name = `si_fresh_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  const admin = new pg.Client({ connectionString: env.DATABASE_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(env.DATABASE_URL);
  url.pathname = `/${name}`;
  return { ...env, DATABASE_URL: url.toString() };
}

/** Drops a database made by freshDatabaseEnv. */
export async function dropFreshDatabase(env: Record<string, string>): Promise<void> {
  if (!env.DATABASE_URL) return;
  const url = new URL(env.DATABASE_URL);
  const name = url.pathname.slice(1);
  if (!name.startsWith('si_fresh_')) return;
  url.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: url.toString() });
  await admin.connect();
  await admin.query(`drop database if exists ${name} with (force)`);
  await admin.end();
}

let shared: Promise<TestContext> | undefined;

/** The worker's shared platform; tests isolate themselves by creating their own tenants. */
export function testApp(): Promise<TestContext> {
  shared ??= startTestApp();
  return shared;
}
