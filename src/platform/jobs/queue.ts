import { eq, sql } from 'drizzle-orm';
import PgBoss from 'pg-boss';
import type { Database, Executor, RawSql } from '../db/client.ts';
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

export interface JobKindOptions {
  /** Further attempts after a failure that is not the client's fault. */
  retryLimit?: number;
  /** Jobs of this kind run at once in one worker process. */
  concurrency?: number;
}

interface Logger {
  info(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
}

interface Kind {
  handler: JobHandler<never>;
  options: Required<JobKindOptions>;
}

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
 * row (state, progress, counts, error) that the job-status API reads.
 */
export class JobQueue {
  private readonly kinds = new Map<string, Kind>();
  private boss: PgBoss | undefined;

  constructor(
    private readonly database: Database,
    private readonly log: Logger,
  ) {}

  define<P>(kind: string, handler: JobHandler<P>, options: JobKindOptions = {}): void {
    if (this.boss) throw new Error(`job kind ${kind} defined after the queue started`);
    this.kinds.set(kind, {
      handler: handler as JobHandler<never>,
      options: { retryLimit: options.retryLimit ?? 2, concurrency: options.concurrency ?? 1 },
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
  }

  async stop(): Promise<void> {
    await this.boss?.stop({ graceful: true, wait: true, timeout: 15_000 });
    this.boss = undefined;
  }

  /** Creates a run and its queued job in the caller's transaction; returns the run id. */
  async enqueue(
    tx: Executor,
    job: { tenantId: string; kind: string; payload?: Record<string, unknown>; createdBy?: string | null },
  ): Promise<string> {
    const kind = this.kinds.get(job.kind);
    if (!kind || !this.boss) throw new Error(`unknown job kind ${job.kind}`);
    const [run] = await tx
      .insert(jobRuns)
      .values({
        tenantId: job.tenantId,
        kind: job.kind,
        payload: job.payload ?? {},
        createdBy: job.createdBy ?? null,
      })
      .returning({ id: jobRuns.id });
    await this.boss.send(job.kind, { runId: run!.id }, { db: txDb(tx), retryLimit: kind.options.retryLimit });
    return run!.id;
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
        attempts: sql`${jobRuns.attempts} + 1`,
        updatedAt: sql`now()`,
      })
      .where(sql`${jobRuns.id} = ${runId} and ${jobRuns.state} in ('queued', 'running')`)
      .returning();
    if (!run) return; // cancelled, or already finished by an earlier attempt
    const finish = (values: Partial<typeof jobRuns.$inferInsert>) =>
      db
        .update(jobRuns)
        .set({ ...values, updatedAt: sql`now()`, finishedAt: sql`now()` })
        .where(eq(jobRuns.id, runId));
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
            .where(eq(jobRuns.id, runId));
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
          result: err instanceof Problem ? { ...err.extra } : null,
        });
        if (!clientFault) this.log.error({ err, runId }, 'job failed');
        return;
      }
      await db
        .update(jobRuns)
        .set({ state: 'queued', error: message, updatedAt: sql`now()` })
        .where(eq(jobRuns.id, runId));
      throw err;
    }
  }
}
