import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import type { PGliteOptions, QueryOptions, Results, Transaction } from '@electric-sql/pglite';

const run = promisify(execFile);

/**
 * The embedded database is unavailable for a moment: its thread was restarted after a query
 * ran past its bound, or after the thread died. SQLSTATE 57P01 (admin_shutdown) is what a
 * PostgreSQL server says when it ends a session, so both drivers are answered alike: 503
 * with Retry-After (errors/handler.ts).
 */
export class DatabaseRestartedError extends Error {
  readonly code = '57P01';
  constructor(reason: string) {
    super(`The embedded database was restarted: ${reason}`);
    this.name = 'DatabaseRestartedError';
  }
}

/** A PostgreSQL error raised in the thread, with its SQLSTATE and fields. */
class ThreadDatabaseError extends Error {
  constructor(fields: Record<string, unknown>) {
    super(String(fields.message));
    Object.assign(this, fields);
    this.name = 'DatabaseError';
  }
}

type Request =
  | { op: 'query'; text: string; params?: unknown[]; rowMode?: 'array' | 'object'; raw?: number[] }
  | {
      op: 'scoped';
      /** The role, tenant id and user id the statement runs under. */
      scope: [string, string, string];
      text: string;
      params?: unknown[];
      rowMode?: 'array' | 'object';
      raw?: number[];
    }
  | { op: 'exec'; text: string }
  | { op: 'dump'; compression: 'gzip' | 'none' }
  | { op: 'close' };

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
  timer?: NodeJS.Timeout;
}

type Reply =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: Record<string, unknown> };

export interface PgliteThreadOptions {
  /** A request that runs longer is abandoned by restarting the thread; 0: no bound. */
  queryTimeoutMs: number;
  pglite?: PGliteOptions;
  /** Told when the thread was restarted, and why. */
  onRestart?: (reason: string) => void;
}

const WORKER_URL = new URL('./pglite-worker.mjs', import.meta.url);
const CREATE_SCRIPT = fileURLToPath(new URL('./pglite-create.mjs', import.meta.url));

async function createDatabase(dataDir: string, options: PgliteThreadOptions): Promise<void> {
  const settings = JSON.stringify(options.pglite?.postgresqlconf ?? []);
  try {
    await run(process.execPath, [CREATE_SCRIPT, dataDir, settings]);
  } catch (err) {
    const stderr = String((err as { stderr?: unknown }).stderr ?? '').trim();
    throw new Error(
      `Could not create the embedded database in ${dataDir}: ${stderr || (err as Error).message}`,
    );
  }
}

/** First-in, first-out exclusive use of the one connection PGlite has. */
class Turns {
  #tail: Promise<void> = Promise.resolve();
  take(): Promise<() => void> {
    let release!: () => void;
    const turn = new Promise<void>((resolve) => {
      release = resolve;
    });
    const ready = this.#tail.then(() => release);
    this.#tail = this.#tail.then(() => turn);
    return ready;
  }
}

/**
 * PGlite in a worker thread, behind the part of PGlite's interface that drizzle, pg-boss and
 * the migrator use (`query`, `exec`, `transaction`, `dumpDataDir`). One request is in the
 * thread at a time, in arrival order; a transaction holds the connection from BEGIN to
 * COMMIT, so statements of others never interleave with it. A request past the bound, or
 * the thread dying, restarts the thread: the requests under way fail with
 * DatabaseRestartedError, an open transaction is rolled back by the restart (PostgreSQL
 * recovers the data directory from its WAL), and the queue behind it goes on.
 */
export class PgliteThread {
  #worker!: Worker;
  #ready!: Promise<void>;
  #pending = new Map<number, Pending>();
  #nextId = 1;
  #generation = 0;
  #closing = false;
  #dumping = 0;
  #turns = new Turns();
  readonly #dataDir: string | undefined;
  readonly #options: PgliteThreadOptions;

  private constructor(dataDir: string | undefined, options: PgliteThreadOptions) {
    this.#dataDir = dataDir;
    this.#options = options;
  }

  static async open(dataDir: string | undefined, options: PgliteThreadOptions): Promise<PgliteThread> {
    const thread = new PgliteThread(dataDir, options);
    // Creating a database in the serving thread would leave it ~450 MB larger for good; a
    // short-lived process creates it, and the thread opens it as on any later start.
    if (dataDir && !fs.existsSync(path.join(dataDir, 'PG_VERSION'))) await createDatabase(dataDir, options);
    thread.#spawn();
    try {
      await thread.#ready;
    } catch (err) {
      await thread.#worker.terminate();
      throw err;
    }
    return thread;
  }

  /** How many restarts there were (each one a new thread). */
  get restarts(): number {
    return this.#generation;
  }

  #spawn(): void {
    const worker = new Worker(WORKER_URL, {
      workerData: { dataDir: this.#dataDir, options: this.#options.pglite ?? {} },
      // The thread's JavaScript only passes messages (PGlite's memory is WebAssembly's, outside
      // this heap): a small young generation saves ~25 MB of an idle platform at no cost.
      resourceLimits: { maxYoungGenerationSizeMb: 4 },
    });
    this.#worker = worker;
    this.#ready = new Promise<void>((resolve, reject) => {
      const onFirst = (message: { type?: string; error?: Record<string, unknown> }) => {
        if (message.type === 'ready') resolve();
        else if (message.type === 'failed') reject(new ThreadDatabaseError(message.error ?? {}));
        else return;
        worker.off('message', onFirst);
      };
      worker.on('message', onFirst);
      worker.once('exit', (code) =>
        reject(new Error(`the database thread exited (code ${code}) while opening`)),
      );
    });
    // A first start that fails is open()'s error; a restart that fails is tried again, and
    // the requests meanwhile are told the database is unavailable (#opened).
    this.#ready.catch((err: Error) => {
      if (this.#generation > 0 && this.#worker === worker && !this.#closing)
        setTimeout(() => this.#worker === worker && this.#restart(`reopening failed: ${err.message}`), 1000);
    });
    worker.on('message', (message: Reply | { type: string }) => {
      if ('id' in message) this.#settle(message);
    });
    worker.on('error', (err) => {
      if (this.#worker === worker) this.#restart(`the database thread failed: ${err.message}`);
    });
    worker.on('exit', (code) => {
      if (this.#worker === worker && !this.#closing)
        this.#restart(`the database thread exited (code ${code})`);
    });
  }

  #settle(reply: Reply): void {
    const pending = this.#pending.get(reply.id);
    if (!pending) return;
    this.#pending.delete(reply.id);
    clearTimeout(pending.timer);
    if (reply.ok) pending.resolve(reply.result);
    else pending.reject(new ThreadDatabaseError(reply.error));
  }

  #restart(reason: string): void {
    this.#generation++;
    const old = this.#worker;
    const failure = new DatabaseRestartedError(reason);
    for (const pending of this.#pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(failure);
    }
    this.#pending.clear();
    void old.terminate();
    this.#spawn();
    this.#options.onRestart?.(reason);
  }

  async #opened(): Promise<void> {
    try {
      await this.#ready;
    } catch (err) {
      throw new DatabaseRestartedError((err as Error).message);
    }
  }

  /** Sends one request to the thread; the caller holds the turn. */
  async #send(request: Request, generation: number, timeoutMs: number): Promise<unknown> {
    await this.#opened();
    if (generation !== this.#generation) throw new DatabaseRestartedError('its transaction was rolled back');
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const pending: Pending = { resolve, reject };
      if (timeoutMs > 0)
        pending.timer = setTimeout(
          () => this.#restart(`a query ran longer than ${timeoutMs} ms and was abandoned`),
          timeoutMs,
        );
      this.#pending.set(id, pending);
      this.#worker.postMessage({ id, ...request });
    });
  }

  /** One request in its own turn. */
  async #alone(request: Request, timeoutMs: number): Promise<unknown> {
    if (this.#closing) throw new DatabaseRestartedError('the database is closed');
    const release = await this.#turns.take();
    try {
      return await this.#send(request, this.#generation, timeoutMs);
    } finally {
      release();
    }
  }

  /** A client with its own bound for each request (0: none, for migrations and dumps). */
  client(timeoutMs = this.#options.queryTimeoutMs): PgliteClient {
    return new PgliteClient(this, timeoutMs);
  }

  /** @internal used by PgliteClient */
  _query<T>(
    text: string,
    params: unknown[] | undefined,
    options: QueryOptions | undefined,
    timeoutMs: number,
  ) {
    return this.#alone(queryRequest(text, params, options), timeoutMs).then((r) =>
      applyParsers<T>(r as Results<T>, options),
    );
  }

  /** @internal used by ScopedPgliteClient */
  _scopedQuery<T>(
    scope: [string, string, string],
    text: string,
    params: unknown[] | undefined,
    options: QueryOptions | undefined,
    timeoutMs: number,
  ) {
    return this.#alone({ ...queryRequest(text, params, options), op: 'scoped', scope }, timeoutMs).then((r) =>
      applyParsers<T>(r as Results<T>, options),
    );
  }

  /** @internal used by PgliteClient */
  _exec(text: string, timeoutMs: number) {
    return this.#alone({ op: 'exec', text }, timeoutMs) as Promise<Results[]>;
  }

  /** @internal used by PgliteClient */
  async _transaction<T>(callback: (tx: Transaction) => Promise<T>, timeoutMs: number): Promise<T> {
    if (this.#closing) throw new DatabaseRestartedError('the database is closed');
    const release = await this.#turns.take();
    let closed = false;
    try {
      await this.#opened();
      const generation = this.#generation;
      const send = (request: Request) => {
        if (closed) throw new Error('Transaction is closed');
        return this.#send(request, generation, timeoutMs);
      };
      await send({ op: 'exec', text: 'BEGIN' });
      const tx = {
        query: async <R>(text: string, params?: unknown[], options?: QueryOptions) =>
          applyParsers<R>((await send(queryRequest(text, params, options))) as Results<R>, options),
        exec: async (text: string) => (await send({ op: 'exec', text })) as Results[],
        rollback: async () => {
          await send({ op: 'exec', text: 'ROLLBACK' });
          closed = true;
        },
        get closed() {
          return closed;
        },
      } as unknown as Transaction;
      try {
        const result = await callback(tx);
        if (!closed) {
          closed = true;
          await this.#send({ op: 'exec', text: 'COMMIT' }, generation, timeoutMs);
        }
        return result;
      } catch (err) {
        // After a restart there is nothing to roll back: the new thread never saw the transaction.
        if (!closed && generation === this.#generation) {
          closed = true;
          await this.#send({ op: 'exec', text: 'ROLLBACK' }, generation, timeoutMs).catch(() => {});
        }
        throw err;
      }
    } finally {
      closed = true;
      release();
    }
  }

  /** A consistent tar (gzip) of the data directory, taken between requests. */
  async dumpDataDir(compression: 'gzip' | 'none' = 'gzip'): Promise<Blob> {
    this.#dumping += 1;
    try {
      const bytes = (await this.#alone({ op: 'dump', compression }, 0)) as Uint8Array;
      return new Blob([bytes], { type: compression === 'gzip' ? 'application/x-gzip' : 'application/x-tar' });
    } finally {
      this.#dumping -= 1;
    }
  }

  /**
   * A backup holds the one connection while it dumps: the database is up but busy, and
   * readiness must not say otherwise (a load balancer would pull the only instance).
   */
  get dumping(): boolean {
    return this.#dumping > 0;
  }

  /** As a crash would: the thread ends at once and is started again. */
  async terminate(): Promise<void> {
    await this.#worker.terminate();
  }

  async close(): Promise<void> {
    if (this.#closing) return;
    const release = await this.#turns.take();
    this.#closing = true;
    try {
      await this.#ready.then(
        () => this.#send({ op: 'close' }, this.#generation, 10_000),
        () => {},
      );
    } finally {
      release();
      await this.#worker.terminate();
    }
  }
}

/**
 * The PGlite-shaped handle drizzle-orm/pglite and pg-boss are given: the thread plus the
 * bound its requests run under.
 */
export class PgliteClient {
  constructor(
    readonly thread: PgliteThread,
    readonly timeoutMs: number,
  ) {}
  query<T>(text: string, params?: unknown[], options?: QueryOptions): Promise<Results<T>> {
    return this.thread._query<T>(text, params, options, this.timeoutMs);
  }
  exec(text: string): Promise<Results[]> {
    return this.thread._exec(text, this.timeoutMs);
  }
  transaction<T>(callback: (tx: Transaction) => Promise<T>): Promise<T> {
    return this.thread._transaction(callback, this.timeoutMs);
  }
}

/**
 * A handle whose every statement runs alone in its own transaction under a role and tenant,
 * in one request to the thread: what a read (or a one-statement write) in a tenant needs,
 * as an autocommitted statement on a tenant connection is on the `pg` path.
 */
export class ScopedPgliteClient {
  constructor(
    readonly client: PgliteClient,
    readonly scope: [string, string, string],
  ) {}
  query<T>(text: string, params?: unknown[], options?: QueryOptions): Promise<Results<T>> {
    return this.client.thread._scopedQuery<T>(this.scope, text, params, options, this.client.timeoutMs);
  }
  exec(): never {
    throw new Error('a scoped handle runs single statements; use inTenant for a script');
  }
  transaction(): never {
    throw new Error('a scoped handle runs single statements; use inTenant for a transaction');
  }
}

function queryRequest(
  text: string,
  params: unknown[] | undefined,
  options: QueryOptions | undefined,
): Extract<Request, { op: 'query' }> {
  const raw = options?.parsers ? Object.keys(options.parsers).map(Number) : undefined;
  return { op: 'query', text, params, rowMode: options?.rowMode, raw };
}

/** Runs the caller's parsers on the fields the thread left as text. */
function applyParsers<T>(result: Results<T>, options: QueryOptions | undefined): Results<T> {
  const parsers = options?.parsers;
  if (!parsers) return result;
  const columns = result.fields
    .map((field, index) => ({ index, name: field.name, parse: parsers[field.dataTypeID] }))
    .filter((c) => c.parse);
  if (columns.length === 0) return result;
  const arrays = options?.rowMode === 'array';
  for (const row of result.rows as Record<string | number, unknown>[]) {
    for (const c of columns) {
      const key = arrays ? c.index : c.name;
      const value = row[key];
      if (value !== null && value !== undefined) row[key] = c.parse!(value as string);
    }
  }
  return result;
}
