import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { inject } from 'vitest';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { defineJobs } from '../src/modules/index.ts';
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
    LOG_LEVEL: 'silent',
    SAMPLER_INTERVAL_MS: '200',
    REDIS_KEY_PREFIX: `si-test-${inject('runId')}:`,
  };
  const databaseUrl = inject('databaseUrl');
  const redisUrl = inject('redisUrl');
  if (databaseUrl) env.DATABASE_URL = databaseUrl;
  if (redisUrl) env.REDIS_URL = redisUrl;
  return { ...env, ...extra };
}

/** Starts a whole platform and app (jobs and workers included) on the given environment. */
export async function startTestApp(env: Record<string, string> = testEnv()): Promise<TestContext> {
  const config = loadConfig(env);
  const platform = await startPlatform(config, pino({ level: 'silent' }), {
    pgliteDir: null,
    migrate: !config.databaseUrl,
  });
  const app = await buildApp(platform);
  defineJobs(platform);
  await platform.startJobs({ work: true });
  await app.ready();
  return { app, platform };
}

let shared: Promise<TestContext> | undefined;

/** The worker's shared platform; tests isolate themselves by creating their own tenants. */
export function testApp(): Promise<TestContext> {
  shared ??= startTestApp();
  return shared;
}
