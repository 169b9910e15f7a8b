import { execFileSync } from 'node:child_process';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { openDatabase } from '../src/platform/db/client.ts';
import { runMigrations } from '../src/platform/db/migrate.ts';
import { startMailSink } from './mail-sink.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string | null;
    redisUrl: string | null;
    runId: string;
    mailSink: { url: string; dir: string };
  }
}

/**
 * With DATABASE_URL the suite runs in a fresh database of that server, migrated once and
 * dropped afterwards; without it each worker migrates its own in-memory PGlite.
 */
export default async function setup(project: TestProject) {
  // The LLM tests' local model server has its own packages, installed once per lockfile.
  execFileSync(process.execPath, [new URL('./llm-server/install.mjs', import.meta.url).pathname], {
    stdio: 'inherit',
  });
  const runId = `${Date.now().toString(36)}${process.pid.toString(36)}`;
  project.provide('runId', runId);
  project.provide('redisUrl', process.env.REDIS_URL || null);
  const mail = await startMailSink();
  project.provide('mailSink', { url: mail.url, dir: mail.dir });
  const base = process.env.DATABASE_URL;
  if (!base) {
    project.provide('databaseUrl', null);
    return mail.close;
  }
  const name = `si_test_${runId}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  const database = await openDatabase({ databaseUrl: url.toString(), poolSize: 2 });
  await runMigrations(database);
  await database.close();
  project.provide('databaseUrl', url.toString());

  return async () => {
    const client = new pg.Client({ connectionString: base });
    await client.connect();
    await client.query(`drop database if exists ${name} with (force)`);
    await client.end();
    await mail.close();
  };
}
