import { type SQL, sql } from 'drizzle-orm';
import type { Tx } from '../../platform/db/client.ts';
import { REPORTING_ROLE } from '../../platform/db/tenancy.ts';
import { REPORTING_SCHEMA } from './reporting.ts';
import { placeholders } from './validator.ts';

/**
 * PGlite ignores statement_timeout, so there a plan whose estimate passes these bounds is
 * refused before it runs (PostgreSQL stops a slow query by its timeout instead).
 */
export const MAX_PLAN_COST = 5_000_000;
export const MAX_PLAN_ROWS = 5_000_000;

export interface Limits {
  rowLimit: number;
  statementTimeoutMs: number;
  /** Check the plan's estimate first: the embedded driver, which has no statement timeout. */
  boundPlan: boolean;
}

export interface QueryResult {
  columns: string[];
  rows: Record<string, unknown>[];
  truncated: boolean;
}

export type ExecutionFailure = 'timeout' | 'plan_too_costly' | 'duplicate_column' | 'query_failed';

export class ExecutionError extends Error {
  constructor(
    readonly failure: ExecutionFailure,
    message: string,
  ) {
    super(message);
  }
}

interface RawResult {
  rows: Record<string, unknown>[];
  fields?: { name: string; dataTypeID: number }[];
}

/**
 * Runs a validated SELECT in the caller's tenant transaction (RLS applies through the
 * security_invoker views): read-only, as the role that can read only the views' columns
 * (a second wall if the validator let something through), with the statement timeout,
 * unqualified names resolved in the reporting schema, and one row past the limit fetched
 * to tell truncation.
 * The newline before `)` keeps a trailing `--` comment from swallowing it. Its $1..$n are
 * sent as bound parameters (`params[n - 1]`), never spliced into the text.
 */
export async function runSelect(tx: Tx, validSql: string, params: readonly unknown[], limits: Limits) {
  await asReportingRole(tx, limits.statementTimeoutMs);
  const wrapped = sql.join([
    sql.raw('select * from (\n'),
    bind(validSql, params),
    sql.raw(`\n) as answer limit ${limits.rowLimit + 1}`),
  ]);
  try {
    if (limits.boundPlan) await checkPlan(tx, wrapped);
    const result = (await tx.execute(wrapped)) as unknown as RawResult;
    const columns = (result.fields ?? []).map((f) => f.name);
    if (new Set(columns).size !== columns.length)
      throw new ExecutionError(
        'duplicate_column',
        'Two result columns have the same name; give them aliases.',
      );
    const truncated = result.rows.length > limits.rowLimit;
    const types = new Map((result.fields ?? []).map((f) => [f.name, f.dataTypeID]));
    const rows = result.rows.slice(0, limits.rowLimit).map((row) => plain(row, types));
    return { columns, rows, truncated } satisfies QueryResult;
  } catch (err) {
    if (err instanceof ExecutionError) throw err;
    const failure = databaseError(err);
    if (!failure) throw err;
    if (failure.code === '57014')
      throw new ExecutionError(
        'timeout',
        `The query ran longer than ${limits.statementTimeoutMs} ms and was stopped.`,
      );
    throw new ExecutionError('query_failed', failure.message);
  }
}

/** The query with each $n replaced by a bound parameter (the driver numbers them again). */
function bind(validSql: string, params: readonly unknown[]): SQL {
  const chunks: SQL[] = [];
  let at = 0;
  for (const p of placeholders(validSql)) {
    if (p.number > params.length)
      throw new ExecutionError('query_failed', `$${p.number} has no value (${params.length} given).`);
    chunks.push(sql.raw(validSql.slice(at, p.start)), sql`${params[p.number - 1]}`);
    at = p.end;
  }
  chunks.push(sql.raw(validSql.slice(at)));
  return sql.join(chunks);
}

/** The transaction read-only, as the reporting role, with the timeout and the reporting schema first. */
async function asReportingRole(tx: Tx, statementTimeoutMs: number) {
  await tx.execute(sql`set transaction read only`);
  await tx.execute(
    sql`select set_config('role', ${REPORTING_ROLE}, true), set_config('statement_timeout', ${String(statementTimeoutMs)}, true), set_config('search_path', ${REPORTING_SCHEMA}, true)`,
  );
}

/**
 * Plans a validated SELECT without running it, as runSelect would run it: a generated
 * query's names, types and grants are checked by the database before anyone sees it.
 * Throws ExecutionError('query_failed') with the database's message.
 */
export async function explainOnly(
  tx: Tx,
  validSql: string,
  params: readonly unknown[],
  statementTimeoutMs: number,
) {
  await asReportingRole(tx, statementTimeoutMs);
  try {
    await tx.execute(
      sql.join([sql.raw('explain select * from (\n'), bind(validSql, params), sql.raw('\n) as answer')]),
    );
  } catch (err) {
    const failure = databaseError(err);
    if (!failure) throw err;
    throw new ExecutionError('query_failed', failure.message);
  }
}

async function checkPlan(tx: Tx, wrapped: SQL) {
  const result = (await tx.execute(sql`explain (format json) ${wrapped}`)) as unknown as RawResult;
  const cell = Object.values(result.rows[0] ?? {})[0];
  const plan = (typeof cell === 'string' ? JSON.parse(cell) : cell) as { Plan: PlanNode }[];
  const { cost, rows } = largest(plan[0]!.Plan);
  if (cost > MAX_PLAN_COST || rows > MAX_PLAN_ROWS)
    throw new ExecutionError(
      'plan_too_costly',
      `The query's plan is estimated at cost ${Math.round(cost)} and ${Math.round(rows)} rows; the bound is ${MAX_PLAN_COST} and ${MAX_PLAN_ROWS}.`,
    );
}

interface PlanNode {
  'Total Cost': number;
  'Plan Rows': number;
  Plans?: PlanNode[];
}

/** The costliest node and the most rows any node expects (a limit on top hides both). */
function largest(node: PlanNode): { cost: number; rows: number } {
  let cost = node['Total Cost'];
  let rows = node['Plan Rows'];
  for (const child of node.Plans ?? []) {
    const c = largest(child);
    cost = Math.max(cost, c.cost);
    rows = Math.max(rows, c.rows);
  }
  return { cost, rows };
}

const INT8 = 20;
const TIMESTAMPTZ = 1184;

/**
 * The same JSON from both drivers (pg gives int8 as text, PGlite as a number): int8 as a
 * number when exact (else a string), timestamptz as ISO 8601 UTC.
 */
function plain(row: Record<string, unknown>, types: Map<string, number>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    const type = types.get(k);
    if (v === null) out[k] = null;
    else if (type === INT8) out[k] = Number.isSafeInteger(Number(v)) ? Number(v) : String(v);
    else if (type === TIMESTAMPTZ) out[k] = new Date(v as string | Date).toISOString();
    else if (v instanceof Date) out[k] = v.toISOString();
    else if (typeof v === 'bigint') out[k] = v.toString();
    else out[k] = v;
  }
  return out;
}

function databaseError(err: unknown): { code: string; message: string } | undefined {
  for (
    let e = err as { code?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0;
    e && depth < 5;
    e = e.cause as typeof e, depth++
  ) {
    if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code))
      return { code: e.code, message: String(e.message) };
  }
  return undefined;
}
