import { Decimal } from 'decimal.js';
import { asc, desc, eq, lt, sql } from 'drizzle-orm';
import type { Executor, Tx } from '../../../platform/db/client.ts';
import { rowsOf } from '../../../platform/db/sql.ts';
import { statementInTenant } from '../../../platform/db/tenancy.ts';
import { badRequest, notFound, Problem } from '../../../platform/errors/problem.ts';
import type { Platform } from '../../../platform/index.ts';
import {
  type BudgetRow,
  type CALL_KINDS,
  type Feature,
  llmBudgets,
  llmSettings,
  llmUsageLogs,
  type UsageRow,
} from '../schema.ts';

export interface UsageEntry {
  tenantId: string;
  userId: string | null;
  feature: Feature;
  kind: (typeof CALL_KINDS)[number];
  configurationId: number | null;
  model: string | null;
  requestId: string;
  attempt: number;
  tokensIn: number;
  tokensOut: number;
  estimatedTokensIn: number | null;
  latencyMs: number;
  cost: Decimal;
  currency: string | null;
  success: boolean;
  errorCode: string | null;
  prompt: unknown;
}

/**
 * Writes one usage row and adds it to its month's totals, in one statement (one round trip
 * on `pg`): never a transaction held across a provider call.
 */
export async function logUsage(platform: Platform, e: UsageEntry): Promise<void> {
  await statementInTenant(platform.database, { tenantId: e.tenantId }, (db) =>
    db.execute(sql`
      with logged as (
        insert into llm_usage_logs (tenant_id, user_id, feature, kind, configuration_id, model, request_id,
          attempt, tokens_in, tokens_out, estimated_tokens_in, latency_ms, cost, currency, success, error_code, prompt)
        values (${e.tenantId}, ${e.userId}, ${e.feature}, ${e.kind}, ${e.configurationId}, ${e.model},
          ${e.requestId}, ${e.attempt}, ${e.tokensIn}, ${e.tokensOut}, ${e.estimatedTokensIn}, ${e.latencyMs},
          ${e.cost.toFixed(10)}, ${e.currency}, ${e.success}, ${e.errorCode},
          ${e.prompt === null || e.prompt === undefined ? null : JSON.stringify(e.prompt)}::jsonb)
        returning tenant_id, created_at, feature, currency, tokens_in + tokens_out as tokens, cost)
      insert into llm_usage_totals as t (tenant_id, month, feature, currency, tokens, cost)
      select tenant_id, date_trunc('month', created_at at time zone 'UTC')::date, feature,
        coalesce(currency, ''), tokens, cost
      from logged
      on conflict (tenant_id, month, feature, currency)
        do update set tokens = t.tokens + excluded.tokens, cost = t.cost + excluded.cost`),
  );
}

export async function logPromptsOn(tx: Executor): Promise<boolean> {
  const [row] = await tx.select().from(llmSettings);
  return row?.logPrompts ?? false;
}

export async function setLogPrompts(tx: Tx, tenantId: string, on: boolean): Promise<void> {
  await tx
    .insert(llmSettings)
    .values({ tenantId, logPrompts: on })
    .onConflictDoUpdate({ target: llmSettings.tenantId, set: { logPrompts: on, updatedAt: new Date() } });
}

export function usageView(r: UsageRow) {
  return {
    id: r.id,
    user_id: r.userId,
    feature: r.feature,
    kind: r.kind,
    configuration_id: r.configurationId,
    model: r.model,
    request_id: r.requestId,
    attempt: r.attempt,
    tokens_in: r.tokensIn,
    tokens_out: r.tokensOut,
    estimated_tokens_in: r.estimatedTokensIn,
    latency_ms: r.latencyMs,
    cost: new Decimal(r.cost).toFixed(),
    currency: r.currency,
    success: r.success,
    error_code: r.errorCode,
    prompt: r.prompt ?? null,
    created_at: r.createdAt.toISOString(),
  };
}

export async function listUsage(
  tx: Executor,
  options: { limit: number; before?: number; requestId?: string },
): Promise<UsageRow[]> {
  const conditions = [
    options.before === undefined ? undefined : lt(llmUsageLogs.id, options.before),
    options.requestId === undefined ? undefined : eq(llmUsageLogs.requestId, options.requestId),
  ].filter((c) => c !== undefined);
  return tx
    .select()
    .from(llmUsageLogs)
    .where(conditions.length ? sql.join(conditions, sql` and `) : undefined)
    .orderBy(desc(llmUsageLogs.id))
    .limit(options.limit + 1);
}

export const GROUPS = ['day', 'feature', 'model', 'user'] as const;
export type Group = (typeof GROUPS)[number];

const GROUP_SQL: Record<Group, ReturnType<typeof sql>> = {
  day: sql`to_char(created_at at time zone 'UTC', 'YYYY-MM-DD')`,
  feature: sql`feature`,
  model: sql`coalesce(model, '')`,
  user: sql`coalesce(user_id::text, '')`,
};

/** Calls, failures, tokens and spend (per currency) between two instants, grouped one way. */
export async function summarize(tx: Executor, group: Group, from: Date, to: Date) {
  const key = GROUP_SQL[group];
  const rows = rowsOf<{
    key: string;
    currency: string | null;
    calls: string;
    failures: string;
    tokens_in: string;
    tokens_out: string;
    cost: string;
  }>(
    await tx.execute(sql`
      select ${key} as key, currency, count(*) as calls, count(*) filter (where not success) as failures,
        coalesce(sum(tokens_in), 0) as tokens_in, coalesce(sum(tokens_out), 0) as tokens_out,
        coalesce(sum(cost), 0) as cost
      from llm_usage_logs
      where created_at >= ${from.toISOString()}::timestamptz and created_at < ${to.toISOString()}::timestamptz
      group by 1, 2 order by 1, 2`),
  );
  return rows.map((r) => ({
    key: r.key,
    currency: r.currency,
    calls: Number(r.calls),
    failures: Number(r.failures),
    tokens_in: Number(r.tokens_in),
    tokens_out: Number(r.tokens_out),
    cost: new Decimal(r.cost).toFixed(),
  }));
}

// ------------------------------------------------------------------ budgets

export interface BudgetInput {
  name: string;
  kind: 'tokens' | 'cost';
  limit: string;
  currency?: string | null;
  feature?: Feature | null;
  warn_ratio?: string;
}

function checkBudget(b: { kind: string; limit: string; currency?: string | null; warn_ratio?: string }) {
  const limit = new Decimal(b.limit);
  if (limit.lte(0))
    throw badRequest('llm_budget.limit_not_positive', 'limit must be above 0.', [
      { path: '/limit', message: 'not positive' },
    ]);
  if (b.kind === 'tokens' && !limit.isInteger())
    throw badRequest('llm_budget.tokens_whole', 'A token budget is a whole number.', [
      { path: '/limit', message: 'not an integer' },
    ]);
  if (b.kind === 'cost' && !b.currency)
    throw badRequest('llm_budget.currency_required', 'A cost budget needs its currency.', [
      { path: '/currency', message: 'required' },
    ]);
  if (b.warn_ratio !== undefined) {
    const ratio = new Decimal(b.warn_ratio);
    if (ratio.lte(0) || ratio.gt(1))
      throw badRequest('llm_budget.warn_ratio', 'warn_ratio is a share in (0, 1].', [
        { path: '/warn_ratio', message: 'out of range' },
      ]);
  }
}

export async function createBudget(tx: Tx, tenantId: string, input: BudgetInput): Promise<BudgetRow> {
  checkBudget(input);
  const [row] = await tx
    .insert(llmBudgets)
    .values({
      tenantId,
      name: input.name,
      kind: input.kind,
      limit: input.limit,
      currency: input.kind === 'cost' ? input.currency : null,
      feature: input.feature ?? null,
      warnRatio: input.warn_ratio,
    })
    .returning();
  return row!;
}

export async function getBudget(tx: Tx, id: number): Promise<BudgetRow> {
  const [row] = await tx.select().from(llmBudgets).where(eq(llmBudgets.id, id));
  if (!row) throw notFound('budget.not_found', 'The budget');
  return row;
}

export async function updateBudget(tx: Tx, id: number, patch: Partial<BudgetInput>): Promise<BudgetRow> {
  const current = await getBudget(tx, id);
  const kind = patch.kind ?? current.kind;
  checkBudget({
    kind,
    limit: patch.limit ?? current.limit,
    currency: patch.currency === undefined ? current.currency : patch.currency,
    warn_ratio: patch.warn_ratio,
  });
  const [row] = await tx
    .update(llmBudgets)
    .set({
      name: patch.name,
      kind: patch.kind,
      limit: patch.limit,
      currency: kind === 'cost' ? patch.currency : null,
      feature: patch.feature,
      warnRatio: patch.warn_ratio,
      updatedAt: new Date(),
    })
    .where(eq(llmBudgets.id, id))
    .returning();
  return row!;
}

export async function deleteBudget(tx: Tx, id: number): Promise<BudgetRow> {
  const row = await getBudget(tx, id);
  await tx.delete(llmBudgets).where(eq(llmBudgets.id, id));
  return row;
}

export interface BudgetStatus {
  budget: BudgetRow;
  used: Decimal;
  ratio: number;
  state: 'ok' | 'warning' | 'exceeded';
}

/** What each budget has used this UTC month (from the month's totals), and whether it warns or refuses. */
export async function budgetStatuses(tx: Executor, feature?: Feature): Promise<BudgetStatus[]> {
  const used = sql<string>`(
    select coalesce(sum(case when ${llmBudgets.kind} = 'tokens' then t.tokens else t.cost end), 0)::text
    from llm_usage_totals t
    where t.month = date_trunc('month', now() at time zone 'UTC')::date
      and (${llmBudgets.feature} is null or t.feature = ${llmBudgets.feature})
      and (${llmBudgets.kind} = 'tokens' or t.currency = ${llmBudgets.currency}))`;
  const rows = await tx
    .select({ budget: llmBudgets, used })
    .from(llmBudgets)
    .where(
      feature === undefined
        ? undefined
        : sql`(${llmBudgets.feature} is null or ${llmBudgets.feature} = ${feature})`,
    )
    .orderBy(asc(llmBudgets.id));
  return rows.map(({ budget, used }) => {
    const amount = new Decimal(used);
    const ratio = amount.div(budget.limit).toNumber();
    const state = ratio >= 1 ? 'exceeded' : ratio >= Number(budget.warnRatio) ? 'warning' : 'ok';
    return { budget, used: amount, ratio, state };
  });
}

export function budgetView(s: BudgetStatus) {
  return {
    id: s.budget.id,
    name: s.budget.name,
    kind: s.budget.kind,
    limit: new Decimal(s.budget.limit).toFixed(),
    currency: s.budget.currency,
    feature: s.budget.feature,
    warn_ratio: new Decimal(s.budget.warnRatio).toFixed(),
    used: s.used.toFixed(),
    ratio: s.ratio,
    state: s.state,
  };
}

/** Refuses a call (429, naming the budget) when a budget of the feature is used up this month. */
export function assertWithinBudgets(statuses: BudgetStatus[]): void {
  const exceeded = statuses.find((s) => s.state === 'exceeded');
  if (!exceeded) return;
  const b = exceeded.budget;
  const now = new Date();
  const nextMonth = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1);
  throw new Problem(
    429,
    'llm_budget.exceeded',
    `The LLM budget "${b.name}" is used up for this month (${exceeded.used.toFixed()} of ${new Decimal(b.limit).toFixed()}${b.kind === 'cost' ? ` ${b.currency}` : ' tokens'}).`,
    {
      type: 'https://superinsight.dev/problems/llm-budget-exceeded',
      title: 'LLM budget exceeded',
      budget: { id: b.id, name: b.name, kind: b.kind },
      params: { name: b.name },
      retryAfter: Math.ceil((nextMonth - now.getTime()) / 1000),
    },
  );
}
