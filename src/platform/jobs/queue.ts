import { sql } from 'drizzle-orm';
import PgBoss from 'pg-boss';
import type { Database, Executor, RawSql } from '../db/client.ts';
import { rowsOf } from '../db/sql.ts';
import { APP_ROLE } from '../db/tenancy.ts';
import { Problem } from '../errors/problem.ts';
import { jobRuns } from './schema.ts';

export interface JobContext<P> {
  runId: string;
  tenantId: string;
  createdBy: string | null;
  payload: P;
  /** No retry follows if this attempt fails. */
  lastAttempt: boolean;
  /** Records progress (0..1) and running counts where the job-status API can see them. */
  progress(fraction: number, counts?: Record<string, number>): Promise<void>;
}

export type JobHandler<P> = (ctx: JobContext<P>) => Promise<Record<string, unknown> | undefined>;

/** A run the sweeper failed because its worker stopped: the kind cleans up what the run held. */
export interface StrandedRun<P> {
  runId: string;
  tenantId: string;
  payload: P;
}
export type StrandedHandler<P> = (run: StrandedRun<P>) => Promise<void>;

export interface JobKindOptions {
  /** Further attempts after a failure that is not the client's fault. */
  retryLimit?: number;
  /** Jobs of this kind run at once in one worker process. */
  concurrency?: number;
}

/**
 * A job kind and its payload type: the one value both `define` and `enqueue` take, so the
 * handler and every producer agree on the payload. The name is stored in job_runs and
 * pg-boss, so it never changes once released.
 */
export interface JobKind<P extends object> {
  readonly name: string;
  readonly options: Required<JobKindOptions>;
  /** Never set: carries the payload type. */
  readonly payloadType?: P;
}

export function jobKind<P extends object>(name: string, options: JobKindOptions = {}): JobKind<P> {
  return { name, options: { retryLimit: options.retryLimit ?? 2, concurrency: options.concurrency ?? 1 } };
}

/** How often a running job says it is alive, and how old a heartbeat declares its worker gone. */
export interface HeartbeatOptions {
  heartbeatMs: number;
  staleMs: number;
}

/** The error a run gets when its worker stopped without finishing it. */
export const WORKER_STOPPED = 'the worker running it stopped';

interface Logger {
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
}

interface Kind {
  handler: JobHandler<never>;
  options: Required<JobKindOptions>;
  stranded?: StrandedHandler<never>;
}

/** A run is finished only from the state it is in while an attempt works it. */
const isRunning = (runId: string) => sql`${jobRuns.id} = ${runId} and ${jobRuns.state} = 'running'`;

const SCHEMA = 'pgboss';

function bossDb(raw: RawSql): PgBoss.Db {
  // PGlite cannot prepare several statements at once, so parameterless text goes to exec.
  return {
    executeSql: (text, values) => (values?.length ? raw.query(text, values) : raw.exec(text)),
  };
}

/**
 * Replicas (or test workers) starting together race to create the same queues and grants;
 * PostgreSQL then picks a deadlock victim or reports a concurrent catalogue update. The
 * loser retries and finds the work done.
 */
async function retryOnConflict<T>(work: () => Promise<T>, attempts = 8): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await work();
    } catch (err) {
      const e = err as { code?: string; message?: string };
      const race =
        e.code === '40P01' ||
        e.code === '23505' ||
        e.code === '40001' ||
        /concurrently updated/.test(e.message ?? '');
      if (i >= attempts || !race) throw err;
      await new Promise((r) => setTimeout(r, 50 * i + Math.random() * 100));
    }
  }
}

/** Lets pg-boss insert its job inside the caller's transaction, so a run and its job commit together. */
function txDb(tx: Executor): PgBoss.Db {
  return {
    executeSql: async (text, values) => {
      const parts = text.split(/\$(\d+)/);
      // pg-boss passes `undefined` for options it leaves unset. drizzle renders an undefined
      // parameter as nothing at all (no placeholder), which breaks the statement or, worse,
      // shifts every later value into the wrong place; the drivers send it as NULL.
      const chunks = parts.map((part, i) =>
        i % 2 === 0 ? sql.raw(part) : sql`${values[Number(part) - 1] ?? null}`,
      );
      const result = await tx.execute(sql.join(chunks));
      return { rows: (result as unknown as { rows: unknown[] }).rows };
    },
  };
}

/**
 * Background jobs on pg-boss in the platform's own database. Each run has a `job_runs`
 * row (state, progress, counts, error) that the job-status API reads; only this class
 * changes it. A running attempt writes a heartbeat on its row; every working process
 * sweeps runs whose heartbeat stopped (their worker died) to failed, and pg-boss's later
 * retry of such a run finds it no longer queued or running and does nothing.
 */
export class JobQueue {
  private readonly kinds = new Map<string, Kind>();
  private boss: PgBoss | undefined;
  /** Runs this process is working: never swept by it, whatever their heartbeat says. */
  private readonly active = new Set<string>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly database: Database,
    private readonly log: Logger,
    private readonly heartbeat: HeartbeatOptions = { heartbeatMs: 10_000, staleMs: 60_000 },
  ) {}

  /** `stranded` runs after the sweeper failed a run of this kind whose worker stopped. */
  define<P extends object>(kind: JobKind<P>, handler: JobHandler<P>, stranded?: StrandedHandler<P>): void {
    if (this.boss) throw new Error(`job kind ${kind.name} defined after the queue started`);
    if (this.kinds.has(kind.name)) throw new Error(`job kind ${kind.name} is defined twice`);
    this.kinds.set(kind.name, {
      handler: handler as JobHandler<never>,
      options: kind.options,
      stranded: stranded as StrandedHandler<never> | undefined,
    });
  }

  async start({ work }: { work: boolean }): Promise<void> {
    const boss = new PgBoss({ db: bossDb(this.database.raw), schema: SCHEMA });
    boss.on('error', (err) => this.log.error({ err }, 'job queue error'));
    await boss.start();
    this.boss = boss;
    // Tenant transactions run as the application role and enqueue jobs inside themselves.
    await retryOnConflict(() =>
      this.database.raw.exec(
        `GRANT USAGE ON SCHEMA ${SCHEMA} TO ${APP_ROLE}; GRANT SELECT, INSERT ON ${SCHEMA}.job, ${SCHEMA}.queue TO ${APP_ROLE};`,
      ),
    );
    for (const [name, kind] of this.kinds) {
      await retryOnConflict(() =>
        boss.createQueue(name, {
          name,
          retryLimit: kind.options.retryLimit,
          retryBackoff: true,
          retryDelay: 2,
        }),
      );
      if (!work) continue;
      for (let i = 0; i < kind.options.concurrency; i++) {
        await boss.work<{ runId: string }>(
          name,
          { batchSize: 1, pollingIntervalSeconds: 0.5, includeMetadata: true },
          async ([job]) => {
            if (job) await this.execute(kind, job.data.runId, job.retryCount >= job.retryLimit);
          },
        );
      }
    }
    if (work) this.startSweeper();
  }

  /** Every working process sweeps, so one surviving worker notices another's death. */
  private startSweeper(): void {
    const sweep = () => {
      this.sweep().catch((err) => this.log.error({ err }, 'sweeping stranded jobs failed'));
    };
    sweep();
    this.sweeper = setInterval(sweep, this.heartbeat.heartbeatMs);
    this.sweeper.unref();
  }

  /**
   * Fails the running runs whose heartbeat is older than the stale age: their worker
   * stopped (killed, crashed, cut off) without finishing them. Returns their ids.
   */
  async sweep(): Promise<string[]> {
    const result = await this.database.db.execute(sql`
      update job_runs set state = 'failed', error = ${WORKER_STOPPED}, finished_at = now(), updated_at = now()
      where state = 'running'
        and coalesce(heartbeat_at, started_at, updated_at) < now() - make_interval(secs => ${this.heartbeat.staleMs / 1000})
        and id::text not in (select jsonb_array_elements_text(${JSON.stringify([...this.active])}::jsonb))
      returning id, kind, tenant_id, payload`);
    const stranded = rowsOf<{ id: string; kind: string; tenant_id: string; payload: never }>(result);
    for (const run of stranded) {
      this.log.warn({ runId: run.id, kind: run.kind }, 'job failed: its worker stopped');
      await this.kinds
        .get(run.kind)
        ?.stranded?.({ runId: run.id, tenantId: run.tenant_id, payload: run.payload })
        .catch((err) => this.log.error({ err, runId: run.id }, 'cleaning up after a stranded job failed'));
    }
    return stranded.map((r) => r.id);
  }

  async stop(): Promise<void> {
    clearInterval(this.sweeper);
    this.sweeper = undefined;
    await this.boss?.stop({ graceful: true, wait: true, timeout: 15_000 });
    this.boss = undefined;
  }

  /** Creates a run and its queued job in the caller's transaction; returns the run id. */
  async enqueue<P extends object>(
    tx: Executor,
    job: { tenantId: string; kind: JobKind<P>; payload: NoInfer<P>; createdBy?: string | null },
  ): Promise<string> {
    const name = job.kind.name;
    const kind = this.kinds.get(name);
    if (!kind) throw new Error(`job kind ${name} is not defined`);
    if (!this.boss) throw new Error(`job kind ${name} enqueued before the queue started`);
    const [run] = await tx
      .insert(jobRuns)
      .values({
        tenantId: job.tenantId,
        kind: name,
        payload: job.payload as Record<string, unknown>,
        createdBy: job.createdBy ?? null,
      })
      .returning({ id: jobRuns.id });
    await this.boss.send(name, { runId: run!.id }, { db: txDb(tx), retryLimit: kind.options.retryLimit });
    return run!.id;
  }

  /**
   * Appends `item` to the array `field` of a run of this kind in the tenant that no attempt
   * has started and that holds fewer than `max` items, in the caller's transaction; false
   * when there is none. The row lock makes it safe: the worker's move to `running` waits
   * for this transaction and then reads the longer list, and a run the worker has already
   * locked is skipped (the caller enqueues a new one).
   */
  async joinQueued<P extends object>(
    tx: Executor,
    kind: JobKind<P>,
    tenantId: string,
    field: keyof P & string,
    item: string | number,
    max: number,
  ): Promise<boolean> {
    const joined = await tx.execute(sql`
      update job_runs set payload = jsonb_set(payload, ${`{${field}}`}::text[], (payload->${field}) || ${JSON.stringify(item)}::jsonb)
      where id = (
        select id from job_runs
        where tenant_id = ${tenantId} and kind = ${kind.name} and state = 'queued' and attempts = 0
          and jsonb_array_length(payload->${field}) < ${max}
        limit 1 for update skip locked)
      returning id`);
    return (joined as unknown as { rows: unknown[] }).rows.length > 0;
  }

  /** Jobs waiting to run, across every kind. */
  async depth(): Promise<number> {
    const { rows } = await this.database.raw.query(
      `select count(*)::int as n from ${SCHEMA}.job where state in ('created', 'retry')`,
    );
    return Number(rows[0]?.n ?? 0);
  }

  private async execute(kind: Kind, runId: string, lastAttempt: boolean): Promise<void> {
    const db = this.database.db;
    const [run] = await db
      .update(jobRuns)
      .set({
        state: 'running',
        startedAt: sql`coalesce(${jobRuns.startedAt}, now())`,
        heartbeatAt: sql`now()`,
        attempts: sql`${jobRuns.attempts} + 1`,
        updatedAt: sql`now()`,
      })
      .where(sql`${jobRuns.id} = ${runId} and ${jobRuns.state} in ('queued', 'running')`)
      .returning();
    // Cancelled, finished by an earlier attempt, or failed by the sweeper after its worker died.
    if (!run) return;
    this.active.add(runId);
    const beat = this.beat(runId);
    // Every later write applies only while the run is running: a run the sweeper failed stays failed.
    const finish = (values: Partial<typeof jobRuns.$inferInsert>) =>
      db
        .update(jobRuns)
        .set({ ...values, updatedAt: sql`now()`, finishedAt: sql`now()` })
        .where(isRunning(runId));
    try {
      const result = await kind.handler({
        runId,
        tenantId: run.tenantId,
        createdBy: run.createdBy,
        payload: run.payload as never,
        lastAttempt,
        progress: async (fraction, counts) => {
          await db
            .update(jobRuns)
            .set({
              progress: Math.max(0, Math.min(1, fraction)),
              ...(counts ? { counts } : {}),
              updatedAt: sql`now()`,
            })
            .where(isRunning(runId));
        },
      });
      await finish({ state: 'completed', progress: 1, result: result ?? null, error: null });
    } catch (err) {
      const clientFault = err instanceof Problem && err.status < 500;
      const message = err instanceof Error ? err.message : String(err);
      if (clientFault || lastAttempt) {
        await finish({
          state: 'failed',
          error: message,
          // The problem's code and values beside its extra members: the console translates them.
          result: err instanceof Problem ? { ...err.extra, code: err.code, params: err.params } : null,
        });
        if (!clientFault) this.log.error({ err, runId }, 'job failed');
        return;
      }
      await db
        .update(jobRuns)
        .set({ state: 'queued', error: message, updatedAt: sql`now()` })
        .where(isRunning(runId));
      throw err;
    } finally {
      clearInterval(beat);
      this.active.delete(runId);
    }
  }

  /** Writes the run's heartbeat every interval while an attempt works it; one write at a time. */
  private beat(runId: string): NodeJS.Timeout {
    let busy = false;
    const timer = setInterval(() => {
      if (busy) return;
      busy = true;
      this.database.db
        .update(jobRuns)
        .set({ heartbeatAt: sql`now()` })
        .where(isRunning(runId))
        .catch((err) => this.log.warn({ err, runId }, 'job heartbeat failed'))
        .finally(() => {
          busy = false;
        });
    }, this.heartbeat.heartbeatMs);
    timer.unref();
    return timer;
  }
}
