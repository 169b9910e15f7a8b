import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { wireModules } from '../src/modules/index.ts';
import { startPlatform } from '../src/platform/index.ts';
import { WORKER_STOPPED } from '../src/platform/jobs/queue.ts';
import { newProject } from './annotation-fixtures.ts';
import { newTenant, type TenantFixture } from './fixtures.ts';
import { freshDatabaseEnv, type TestContext } from './helpers.ts';
import { type ImportJson, type JobJson, multipart, taskCount, waitForJob } from './transfer-helpers.ts';

/**
 * A worker process killed with SIGKILL in the middle of an import, on PostgreSQL (a worker
 * shares the database with the API; PGlite has one process). Nothing of the import lands,
 * another worker's sweeper fails the run with the reason once its heartbeat is stale, the
 * user's new upload of the same file completes, and pg-boss's later retry of the stranded
 * job adds nothing: one copy of the tasks.
 */

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = path.join(ROOT, 'bin', 'superinsight.mjs');
const TASKS = 200_000;

const children = new Set<ChildProcess>();
let ctx: TestContext | undefined;
let databaseUrl: string | undefined;

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await ctx?.app.close();
  await ctx?.platform.close();
  if (databaseUrl) {
    const url = new URL(databaseUrl);
    const name = url.pathname.slice(1);
    url.pathname = '/postgres';
    const admin = new pg.Client({ connectionString: url.toString() });
    await admin.connect();
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
});

interface Worker {
  child: ChildProcess;
  output(): string;
  exited: Promise<unknown>;
}

/** The CLI's `worker` on the test's database and data directory, nothing else inherited that picks them. */
function startWorker(env: Record<string, string>): Worker {
  const inherited: NodeJS.ProcessEnv = {};
  for (const name of ['PATH', 'HOME', 'TMPDIR', 'LANG'])
    if (process.env[name]) inherited[name] = process.env[name];
  const child = spawn(process.execPath, [CLI, 'worker'], {
    cwd: ROOT,
    env: { ...inherited, ...env, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let output = '';
  child.stdout!.on('data', (c: Buffer) => {
    output += c.toString();
  });
  child.stderr!.on('data', (c: Buffer) => {
    output += c.toString();
  });
  const exited = new Promise((resolve) =>
    child.on('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    }),
  );
  return { child, output: () => output, exited };
}

async function getJob(t: TenantFixture, id: string): Promise<JobJson & { attempts: number }> {
  const res = await t.as(t.owner, { method: 'GET', url: `/api/v1/jobs/${id}` });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

async function getImport(t: TenantFixture, projectId: number, id: number): Promise<ImportJson> {
  const res = await t.as(t.owner, { method: 'GET', url: `/api/v1/projects/${projectId}/imports/${id}` });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

/** Polls until `check` returns a value; the deadline only ends a test that would hang. */
async function until<T>(what: string, check: () => Promise<T | undefined>, worker?: Worker): Promise<T> {
  const deadline = Date.now() + 300_000;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (worker && worker.child.exitCode !== null) throw new Error(`the worker exited:\n${worker.output()}`);
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}\n${worker?.output() ?? ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function upload(t: TenantFixture, projectId: number, content: Buffer) {
  const res = await t.as(t.owner, {
    method: 'POST',
    url: `/api/v1/projects/${projectId}/import`,
    ...multipart('big.jsonl', content),
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { import_id: number; job_id: string };
}

describe.skipIf(!inject('databaseUrl'))('a worker killed during an import', () => {
  it('lands nothing, is shown failed with the reason, and neither the re-run nor the retry duplicates', async () => {
    // Short heartbeats, so the test waits seconds rather than the minute of the defaults.
    const env = await freshDatabaseEnv({
      JOB_HEARTBEAT_SECONDS: '1',
      JOB_STALE_SECONDS: '4',
      SUPERINSIGHT_IN_PROCESS_WORKER: 'false',
    });
    databaseUrl = env.DATABASE_URL;
    const config = loadConfig(env);
    const platform = await startPlatform(config, pino({ level: 'error' }), {
      pgliteDir: null,
      migrate: true,
    });
    const app = await buildApp(platform);
    wireModules(platform);
    // The API only: the workers are the child processes.
    await platform.startJobs({ work: false });
    await app.ready();
    ctx = { app, platform };
    const t = await newTenant(ctx);
    const project = await newProject(t);
    const lines: string[] = [];
    for (let i = 0; i < TASKS; i++) lines.push(JSON.stringify({ text: `stranded ${i}`, n: i }));
    const file = Buffer.from(`${lines.join('\n')}\n`);

    const first = startWorker(env);
    const stranded = await upload(t, project.id, file);
    // Mid-write: the run reports progress while its one transaction fills the tables.
    await until(
      'the import to be writing',
      async () => {
        const job = await getJob(t, stranded.job_id);
        if (job.state !== 'queued' && job.state !== 'running')
          throw new Error(`the import ended: ${job.state}`);
        return job.state === 'running' && job.progress >= 0.2 ? job : undefined;
      },
      first,
    );
    first.child.kill('SIGKILL');
    await first.exited;
    // All or none: the killed transaction left no task behind.
    expect(await taskCount(ctx, t, project.id)).toBe(0);

    // A surviving worker notices the dead one by its stale heartbeat.
    const second = startWorker(env);
    const failed = await until(
      'the run to be failed',
      async () => {
        const imp = await getImport(t, project.id, stranded.import_id);
        return imp.status === 'failed' ? imp : undefined;
      },
      second,
    );
    expect(failed.errors).toEqual([{ record: null, line: null, message: WORKER_STOPPED }]);
    expect(failed.counts.tasks).toBe(0);
    expect(await getJob(t, stranded.job_id)).toMatchObject({ state: 'failed', error: WORKER_STOPPED });
    // The import row itself says so, not only its status view, and its staged file is gone.
    const row = await until(
      'the import row to be failed',
      async () => {
        const { rows } = await platform.database.raw.query(
          'select status, staged_path, errors from imports where id = $1',
          [stranded.import_id],
        );
        return rows[0]?.status === 'failed' ? rows[0] : undefined;
      },
      second,
    );
    expect(row).toMatchObject({ staged_path: null, errors: [{ message: WORKER_STOPPED }] });
    expect(fs.readdirSync(path.join(env.DATA_DIR!, 'imports', t.tenantId))).toEqual([]);

    // The user uploads the same file again: a new import, which completes.
    const rerun = await upload(t, project.id, file);
    expect(rerun.import_id).not.toBe(stranded.import_id);
    expect((await waitForJob(t, rerun.job_id)).state).toBe('completed');
    expect(await getImport(t, project.id, rerun.import_id)).toMatchObject({
      status: 'completed',
      counts: { tasks: TASKS },
    });
    expect(await taskCount(ctx, t, project.id)).toBe(TASKS);

    // pg-boss retries the stranded job once its (long) expiry passes; forced here.
    const raw = platform.database.raw;
    const boss = await raw.query(
      `update pgboss.job set state = 'retry', start_after = now() where data->>'runId' = $1 returning state`,
      [stranded.job_id],
    );
    expect(boss.rows).toHaveLength(1);
    await until(
      'the retried job to be done',
      async () => {
        const { rows } = await raw.query(`select state from pgboss.job where data->>'runId' = $1`, [
          stranded.job_id,
        ]);
        return rows[0]?.state === 'completed' ? true : undefined;
      },
      second,
    );
    // The retry found its run failed and did nothing: still one copy, the run still failed.
    expect(await taskCount(ctx, t, project.id)).toBe(TASKS);
    expect(await getJob(t, stranded.job_id)).toMatchObject({ state: 'failed', error: WORKER_STOPPED });
    expect((await getImport(t, project.id, stranded.import_id)).status).toBe('failed');
    const proj = await t.as(t.owner, { method: 'GET', url: `/api/v1/projects/${project.id}` });
    expect(proj.json().task_count).toBe(TASKS);
    second.child.kill('SIGTERM');
    await second.exited;
  }, 900_000);
});
