import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { drizzle as drizzleNodePg } from 'drizzle-orm/node-postgres';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { acquireDirLock, type DirLock } from './dir-lock.ts';
import { PgliteThread } from './pglite-thread.ts';
import { APP_ROLE } from './tenancy.ts';

export { DirLockedError } from './dir-lock.ts';

// Both drivers share one query-builder surface; the schema is imported where it is used.
export type Db = PgDatabase<PgQueryResultHKT>;
export type Tx = PgTransaction<PgQueryResultHKT>;
export type Executor = Db | Tx;

/** The raw SQL surface that pg-boss and the migrator need, for either driver. */
export interface RawSql {
  /** Parameterised single statement. */
  query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
  /** Parameterless text that may hold several statements; returns the last statement's rows. */
  exec(text: string): Promise<{ rows: Record<string, unknown>[] }>;
}

export interface PoolStats {
  max: number;
  total: number;
  idle: number;
  waiting: number;
}

export interface Database {
  readonly driver: 'pglite' | 'pg';
  readonly db: Db;
  readonly raw: RawSql;
  /** Present on the `pg` driver; used for advisory-locked migration on one connection. */
  readonly pool?: pg.Pool;
  /**
   * `pg` only: connections that are always the application role, for tenant reads outside
   * a transaction (see readInTenant). Kept apart so no owner-role work ever runs on them.
   */
  readonly readPool?: pg.Pool;
  /** PGlite's own thread (the embedded driver): dumps, unbounded clients for migrations. */
  readonly pglite?: PgliteThread;
  poolStats(): PoolStats;
  close(): Promise<void>;
}

export interface OpenOptions {
  databaseUrl?: string;
  /** PGlite data directory; `undefined` keeps the database in memory (tests). */
  pgliteDir?: string;
  poolSize?: number;
  /** Sent as application_name so sessions can be told apart in pg_stat_activity. */
  applicationName?: string;
  /** PGlite: a request running longer restarts its thread (0: no bound). PostgreSQL's is statement_timeout. */
  queryTimeoutMs?: number;
  /** PGlite: told when its thread was restarted, and why. */
  onRestart?: (reason: string) => void;
  /**
   * PGlite: PostgreSQL's shared buffers, in MB. The default 128 MB is WebAssembly memory PGlite
   * keeps once touched (a reopened database idles at 294 MB with it, 193 MB with 48); below
   * ~48 MB a 100k-task import thrashes (24 s at 48 MB, 65 s at 32), bench/annotation --pglite.
   */
  sharedBuffersMb?: number;
}

// pg returns int8 and numeric as strings; keep them exact, callers convert where safe.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => v);

export async function openDatabase(options: OpenOptions): Promise<Database> {
  if (options.databaseUrl)
    return openPg(options.databaseUrl, options.poolSize ?? 20, options.applicationName);
  return openPglite(options);
}

function openPg(url: string, max: number, applicationName = 'superinsight'): Database {
  const options = {
    connectionString: url,
    max,
    application_name: applicationName,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 10_000,
  };
  const pool = new pg.Pool(options);
  // Row-level security applies to this role (the connecting user is a member, migration
  // 0010); as a start-up option, a connection that cannot take it fails instead of opening.
  // One-statement reads hold a connection briefly, so a quarter of the pool's size serves them.
  const readMax = Math.ceil(max / 4);
  const readPool = new pg.Pool({ ...options, max: readMax, options: `-c role=${APP_ROLE}` });
  // An idle client whose server went away must not crash the process. pg-pool also takes its
  // error listener off a client while it is checked out (drizzle's transactions check one
  // out), so a server that ends the session between two statements would raise an unhandled
  // 'error': every client keeps a listener of its own; its failed queries still reject, and
  // the pool drops it when it comes back.
  for (const p of [pool, readPool]) {
    p.on('error', () => {});
    p.on('connect', (client) => client.on('error', () => {}));
  }
  const db = drizzleNodePg(pool) as unknown as Db;
  const raw: RawSql = {
    query: async (text, values) => pool.query(text, values as unknown[]),
    exec: async (text) => {
      const result = (await pool.query(text)) as unknown as pg.QueryResult | pg.QueryResult[];
      const last = Array.isArray(result) ? result.at(-1) : result;
      return { rows: last?.rows ?? [] };
    },
  };
  return {
    driver: 'pg',
    db,
    raw,
    pool,
    readPool,
    poolStats: () => ({
      max: max + readMax,
      total: pool.totalCount + readPool.totalCount,
      idle: pool.idleCount + readPool.idleCount,
      waiting: pool.waitingCount + readPool.waitingCount,
    }),
    close: async () => {
      await Promise.all([pool.end(), readPool.end()]);
    },
  };
}

async function openPglite(options: OpenOptions): Promise<Database> {
  const dir = options.pgliteDir;
  let lock: DirLock | undefined;
  if (dir) {
    fs.mkdirSync(path.dirname(dir), { recursive: true });
    // The lock is the process's: it outlives the thread's restarts.
    lock = acquireDirLock(`${dir}.lock`, dir);
  }
  let thread: PgliteThread;
  try {
    thread = await PgliteThread.open(dir, {
      queryTimeoutMs: options.queryTimeoutMs ?? 0,
      onRestart: options.onRestart,
      pglite: { postgresqlconf: [`shared_buffers=${options.sharedBuffersMb ?? 48}MB`] },
    });
  } catch (err) {
    lock?.release();
    throw err;
  }
  const client = thread.client();
  const db = drizzlePglite({ client: client as never }) as unknown as Db;
  const raw: RawSql = {
    query: async (text, values) => client.query(text, values),
    exec: async (text) => {
      const results = await client.exec(text);
      return { rows: (results.at(-1)?.rows ?? []) as Record<string, unknown>[] };
    },
  };
  return {
    driver: 'pglite',
    db,
    raw,
    pglite: thread,
    // PGlite is one connection; "waiting" is not observable from outside.
    poolStats: () => ({ max: 1, total: 1, idle: 1, waiting: 0 }),
    close: async () => {
      try {
        await thread.close();
      } finally {
        lock?.release();
      }
    },
  };
}

/** Sends `data` (rows in the statement's COPY format) to `COPY … FROM STDIN` on the connection it was made for. */
export type CopyIn = (statement: string, data: string) => Promise<void>;

/**
 * Runs `work` on one connection of its own: a Db bound to it and, on the `pg` driver, COPY
 * FROM STDIN on that same connection (so inside the transaction `work` opens). PGlite is
 * one connection already and gets no CopyIn: callers keep a multi-row INSERT path for it.
 */
export async function onOneConnection<T>(
  database: Database,
  work: (db: Db, copyIn: CopyIn | undefined) => Promise<T>,
): Promise<T> {
  if (!database.pool) return work(database.db, undefined);
  const client = await database.pool.connect();
  let broken: Error | undefined;
  try {
    const copyIn: CopyIn = (statement, data) =>
      new Promise<void>((resolve, reject) => {
        const stream = client.query(copyFrom(statement));
        stream.on('finish', () => resolve());
        stream.on('error', reject);
        stream.end(data);
      });
    return await work(drizzleNodePg(client) as unknown as Db, copyIn);
  } catch (err) {
    broken = err as Error;
    throw err;
  } finally {
    // A connection that failed mid-COPY is not handed back to others.
    client.release(broken);
  }
}

export async function ping(db: Db): Promise<void> {
  await db.execute(sql`select 1`);
}
