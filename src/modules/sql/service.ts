import { and, eq } from 'drizzle-orm';
import type { Executor, Tx } from '../../platform/db/client.ts';
import { newestFirst, type PageRequest } from '../../platform/db/pagination.ts';
import { badRequest, notFound, Problem } from '../../platform/errors/problem.ts';
import { type ExecutionError, type Limits, runSelect } from './executor.ts';
import {
  type Method,
  type Outcome,
  PLATFORM_SOURCE,
  sqlGenerationLogs,
  textToSqlConfigurations,
  thirdPartyPlugins,
} from './schema.ts';
import { loadParser, Refusal, validateSelect } from './validator.ts';

export type Configuration = Pick<
  typeof textToSqlConfigurations.$inferSelect,
  'defaultMethod' | 'rowLimit' | 'statementTimeoutMs' | 'enabledSources' | 'llmBinding' | 'pluginId'
> & { updatedAt: Date | null };

/** A tenant without a row gets the defaults of the table. */
const DEFAULTS: Configuration = {
  defaultMethod: 'hybrid',
  rowLimit: 1000,
  statementTimeoutMs: 5000,
  enabledSources: [PLATFORM_SOURCE],
  llmBinding: null,
  pluginId: null,
  updatedAt: null,
};

export async function getConfiguration(db: Executor): Promise<Configuration> {
  const [row] = await db.select().from(textToSqlConfigurations).limit(1);
  return row ?? DEFAULTS;
}

export async function putConfiguration(
  tx: Tx,
  tenantId: string,
  userId: string,
  values: Omit<Configuration, 'updatedAt'>,
): Promise<Configuration> {
  if (values.pluginId !== null) {
    // The foreign key alone would accept another tenant's plugin: it is checked without RLS.
    const [plugin] = await tx
      .select({ id: thirdPartyPlugins.id })
      .from(thirdPartyPlugins)
      .where(eq(thirdPartyPlugins.id, values.pluginId));
    if (!plugin)
      throw badRequest('sql.plugin_unknown', 'plugin_id names no plugin of this tenant.', [
        { path: '/plugin_id', message: 'unknown plugin' },
      ]);
  }
  const set = { ...values, updatedBy: userId, updatedAt: new Date() };
  const [row] = await tx
    .insert(textToSqlConfigurations)
    .values({ tenantId, ...set })
    .onConflictDoUpdate({ target: textToSqlConfigurations.tenantId, set })
    .returning();
  return row!;
}

export interface Run {
  sql: string;
  sourceId: string | null | undefined;
  method: Method;
  question?: string;
  /** Values of $1..$n; a template's SQL is never built by splicing them in. */
  params?: unknown[];
  confidence?: number;
  /** A `third_party` answer's plugin and how long it took to reply. */
  pluginId?: number;
  pluginLatencyMs?: number;
}

type Log = Omit<typeof sqlGenerationLogs.$inferInsert, 'tenantId'>;

/** Problems a run ends in, by how it failed; each carries a stable `code`. */
const FAILURES: Record<ExecutionError['failure'], { status: number; outcome: Outcome }> = {
  timeout: { status: 422, outcome: 'timeout' },
  plan_too_costly: { status: 422, outcome: 'refused' },
  duplicate_column: { status: 422, outcome: 'error' },
  query_failed: { status: 422, outcome: 'error' },
};

/** The source a query names, if it is one that can be queried (only the platform's own data so far). */
export function knownSource(sourceId: string | null | undefined): string {
  const source = sourceId ?? PLATFORM_SOURCE;
  if (source !== PLATFORM_SOURCE)
    throw new Problem(
      400,
      'unknown_source',
      'Only the platform’s own data (source_id null) can be queried so far.',
      {
        errors: [{ path: '/source_id', message: 'unknown source' }],
      },
    );
  return source;
}

/**
 * Validates and runs one query under the tenant's configuration (its enabled sources, row
 * limit and timeout; the caller has read it, once per request), then logs it, whatever the
 * outcome, in a transaction of its own (the query's is read-only and may have been cancelled).
 */
export async function runQuery(
  tx: <T>(work: (tx: Tx) => Promise<T>) => Promise<T>,
  scope: { tenantId: string; userId: string },
  run: Run,
  limits: Omit<Limits, 'rowLimit' | 'statementTimeoutMs'>,
  config: Configuration,
) {
  const started = performance.now();
  const log = (entry: Omit<Log, 'durationMs' | 'userId' | 'sql' | 'method' | 'question'>) =>
    tx(async (t) => {
      const [row] = await t
        .insert(sqlGenerationLogs)
        .values({
          tenantId: scope.tenantId,
          userId: scope.userId,
          sql: run.sql,
          method: run.method,
          question: run.question ?? null,
          params: run.params ?? [],
          confidence: run.confidence === undefined ? null : run.confidence.toFixed(3),
          pluginId: run.pluginId ?? null,
          pluginLatencyMs: run.pluginLatencyMs ?? null,
          durationMs: Math.round(performance.now() - started),
          ...entry,
        })
        .returning({ id: sqlGenerationLogs.id });
      return row!.id;
    });
  const sourceId = knownSource(run.sourceId);
  if (!config.enabledSources.includes(sourceId))
    throw new Problem(400, 'source_disabled', 'This source is not enabled in the text-to-SQL configuration.');
  let valid: ReturnType<typeof validateSelect>;
  await loadParser();
  try {
    valid = validateSelect(run.sql);
    if (valid.parameters !== (run.params ?? []).length)
      throw new Refusal(
        'parameter_mismatch',
        `The query uses ${valid.parameters} parameter(s) ($1..$n) but ${(run.params ?? []).length} value(s) were given.`,
      );
  } catch (err) {
    if (!(err instanceof Refusal)) throw err;
    const logId = await log({ outcome: err.rule === 'sql_syntax' ? 'invalid' : 'refused', error: err.rule });
    throw new Problem(400, err.rule, err.message, {
      type: 'https://superinsight.dev/problems/sql-refused',
      log_id: logId,
    });
  }
  try {
    const result = await tx((t) =>
      runSelect(t, valid.sql, run.params ?? [], {
        ...limits,
        rowLimit: config.rowLimit,
        statementTimeoutMs: config.statementTimeoutMs,
      }),
    );
    const logId = await log({ outcome: 'answered', rowCount: result.rows.length });
    return { log_id: logId, ...result };
  } catch (err) {
    const failure = (err as ExecutionError).failure;
    if (!failure) throw err;
    const { status, outcome } = FAILURES[failure];
    const logId = await log({ outcome, error: `${failure}: ${(err as Error).message}` });
    throw new Problem(status, failure, (err as Error).message, {
      type: 'https://superinsight.dev/problems/sql-failed',
      log_id: logId,
    });
  }
}

export function listLogs(db: Executor, userId: string | undefined, page: PageRequest) {
  return newestFirst(
    db,
    sqlGenerationLogs,
    [userId ? eq(sqlGenerationLogs.userId, userId) : undefined],
    page,
    logView,
  );
}

/** Feedback on one's own log (any log with sql:manage); a corrected query must pass validation. */
export async function giveFeedback(
  tx: Tx,
  id: number,
  by: { userId: string; anyLog: boolean },
  feedback: { correct: boolean; sql?: string },
) {
  if (feedback.sql !== undefined) {
    await loadParser();
    try {
      validateSelect(feedback.sql);
    } catch (err) {
      if (!(err instanceof Refusal)) throw err;
      throw new Problem(400, err.rule, err.message, {
        type: 'https://superinsight.dev/problems/sql-refused',
        errors: [{ path: '/sql', message: err.rule }],
      });
    }
    if (feedback.correct)
      throw badRequest('sql.correction_needs_incorrect', 'A corrected query comes with correct: false.', [
        { path: '/sql', message: 'only with correct: false' },
      ]);
  }
  const [row] = await tx
    .update(sqlGenerationLogs)
    .set({
      feedbackCorrect: feedback.correct,
      correctedSql: feedback.sql ?? null,
      feedbackBy: by.userId,
      feedbackAt: new Date(),
    })
    .where(and(eq(sqlGenerationLogs.id, id), by.anyLog ? undefined : eq(sqlGenerationLogs.userId, by.userId)))
    .returning();
  if (!row) throw notFound('log.not_found', 'The log');
  return logView(row);
}

export function logView(r: typeof sqlGenerationLogs.$inferSelect) {
  return {
    id: r.id,
    user_id: r.userId,
    source_id: r.sourceId === PLATFORM_SOURCE ? null : r.sourceId,
    question: r.question,
    method: r.method,
    sql: r.sql,
    params: r.params,
    confidence: r.confidence === null ? null : Number(r.confidence),
    duration_ms: r.durationMs,
    outcome: r.outcome,
    row_count: r.rowCount,
    error: r.error,
    plugin_id: r.pluginId,
    plugin_latency_ms: r.pluginLatencyMs,
    feedback:
      r.feedbackCorrect === null
        ? null
        : {
            correct: r.feedbackCorrect,
            sql: r.correctedSql,
            by: r.feedbackBy,
            at: r.feedbackAt!.toISOString(),
          },
    created_at: r.createdAt.toISOString(),
  };
}

/**
 * A question no method could answer: logged with no SQL, as refused with the reason, or
 * (a plugin that failed) as an error or timeout with what went wrong.
 */
export async function logUnanswered(
  tx: Tx,
  scope: { tenantId: string; userId: string },
  entry: {
    question: string;
    method: Method;
    reason: string;
    confidence?: number;
    durationMs: number;
    outcome?: Outcome;
    error?: string;
    pluginId?: number;
    pluginLatencyMs?: number;
  },
) {
  const [row] = await tx
    .insert(sqlGenerationLogs)
    .values({
      tenantId: scope.tenantId,
      userId: scope.userId,
      question: entry.question,
      method: entry.method,
      sql: '',
      confidence: entry.confidence === undefined ? null : entry.confidence.toFixed(3),
      durationMs: entry.durationMs,
      outcome: entry.outcome ?? 'refused',
      error: entry.error ?? `cannot_answer: ${entry.reason}`,
      pluginId: entry.pluginId ?? null,
      pluginLatencyMs: entry.pluginLatencyMs ?? null,
    })
    .returning({ id: sqlGenerationLogs.id });
  return row!.id;
}
