// The CLI as its users run it: child processes on free ports, on temporary data
// directories and fresh databases, all removed by cleanUpCli() after the file's tests.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const CLI = path.join(ROOT, 'bin', 'superinsight.mjs');
export const SERVER_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

const children = new Set<ChildProcess>();
const tempDirs: string[] = [];
const databases: string[] = [];

/** Kills what is still running and drops what was made; for afterAll. */
export async function cleanUpCli(): Promise<void> {
  for (const child of children) child.kill('SIGKILL');
  for (const dir of tempDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  if (databases.length > 0) {
    const client = new pg.Client({ connectionString: SERVER_URL });
    await client.connect();
    for (const name of databases.splice(0))
      await client.query(`drop database if exists ${name} with (force)`);
    await client.end();
  }
}

export function tempDataDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'si-cli-'));
  tempDirs.push(dir);
  return path.join(dir, 'data');
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The CLI's environment: nothing inherited that picks a database, Redis or port for it. */
export function cliEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) {
    if (
      /^(PORT|HOST|DATA_DIR|DATABASE_URL|REDIS_URL|REDIS_KEY_PREFIX|LOG_LEVEL|BODY_LIMIT_BYTES|DB_POOL_SIZE|SAMPLER_INTERVAL_MS)$/.test(
        name,
      ) ||
      name.startsWith('SUPERINSIGHT_') ||
      name.startsWith('VITEST') ||
      name === 'NODE_OPTIONS'
    )
      delete env[name];
  }
  return { ...env, LOG_LEVEL: 'warn', HOST: '127.0.0.1', ...extra };
}

export interface Running {
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function start(args: string[], env: NodeJS.ProcessEnv): Running {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    });
  });
  return { child, output: () => output, exited };
}

/** Runs the CLI to its end. */
export async function run(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; output: string }> {
  const running = start(args, env);
  const { code } = await running.exited;
  return { code, output: running.output() };
}

/**
 * Polls `url` until it answers `status`, the process dies, or `deadlineMs` passes. The
 * deadline is generous: a start takes a few seconds, but CI machines run other suites too
 * (a PostgreSQL serve missed 20 s at a load average of 10 on 2 cores, a PGlite serve 60 s
 * at 14). A server that never comes up still fails.
 */
export async function waitFor(
  url: string,
  running: Running,
  status = 200,
  deadlineMs = 120_000,
): Promise<Response> {
  const deadline = Date.now() + deadlineMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (running.child.exitCode !== null || running.child.signalCode !== null) {
      throw new Error(`the server exited (${running.child.exitCode}) before ${url}:\n${running.output()}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.status === status) return res;
      last = `HTTP ${res.status}: ${await res.text()}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(
    `${url} did not answer ${status} within ${deadlineMs} ms (last: ${last}):\n${running.output()}`,
  );
}

export async function freshDatabaseUrl(): Promise<string> {
  const name = `si_cli_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: SERVER_URL, connectionTimeoutMillis: 3000 });
  await client.connect();
  await client.query(`create database ${name}`);
  await client.end();
  databases.push(name);
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function serverReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: SERVER_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}
