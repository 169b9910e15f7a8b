import { setTimeout as sleep } from 'node:timers/promises';
import type { Decimal } from 'decimal.js';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { readInTenant } from '../../../platform/db/tenancy.ts';
import { badRequest, conflict, Problem, type ProblemCode } from '../../../platform/errors/problem.ts';
import type { Platform } from '../../../platform/index.ts';
import { costOf } from '../models/models.service.ts';
import { type Endpoint, ProviderError } from '../providers/adapters.ts';
import { breakerOf, isBrokenCircuit } from '../providers/breaker.ts';
import { endpointOf } from '../providers/configurations.service.ts';
import {
  type CALL_KINDS,
  type Capability,
  type ConfigurationRow,
  type Feature,
  llmBindings,
  llmConfigurations,
  llmModelRegistry,
  type ModelRow,
} from '../schema.ts';
import { assertWithinBudgets, type BudgetStatus, budgetStatuses, logUsage } from '../usage/usage.service.ts';

/**
 * The gateway: every LLM call of the platform goes through here. It picks the feature's
 * configuration and model (or the caller's), refuses when a budget is used up, then tries
 * the configuration and its fallbacks in order, each with retries (exponential backoff with
 * full jitter, honouring Retry-After) behind its circuit breaker, and logs every attempt.
 * No database transaction is held while a provider is called.
 */

export interface CallContext {
  tenantId: string;
  userId: string | null;
  feature: Feature;
  requestId: string;
  /** Ends the call when the client goes away. */
  signal?: AbortSignal;
}

export interface Choice {
  configurationId?: number;
  model?: string;
}

export interface Target {
  config: ConfigurationRow;
  endpoint: Endpoint;
  model: string;
  registry: ModelRow | null;
}

export interface Plan {
  targets: Target[];
  logPrompts: boolean;
  budgets: BudgetStatus[];
}

/** A Retry-After longer than this is not waited out: the next configuration is tried instead. */
const MAX_RETRY_WAIT_MS = 10_000;
const BACKOFF_CAP_MS = 8_000;

type Kind = (typeof CALL_KINDS)[number];

/**
 * Reads everything a call needs in few statements (no transaction: each reads the committed
 * state): the configuration (the caller's, or the feature's binding's) with its model's
 * registry entry and the tenant's prompt-logging switch; its enabled fallbacks with theirs,
 * when it has any; the budgets with this month's totals.
 */
/** The problem code of a call through a feature that has no binding. */
export const LLM_NOT_BOUND = 'llm_not_bound' satisfies ProblemCode;

export async function plan(
  platform: Platform,
  ctx: CallContext,
  choice: Choice,
  need: Capability,
): Promise<Plan> {
  return readInTenant(platform.database, { tenantId: ctx.tenantId }, async (db) => {
    const viaBinding = choice.configurationId === undefined;
    // The binding's model counts only when the call goes to the bound configuration.
    const boundModel = viaBinding
      ? need === 'embeddings'
        ? llmBindings.embeddingModel
        : llmBindings.model
      : sql`null::text`;
    const model = sql<
      string | null
    >`coalesce(${choice.model ?? null}::text, ${boundModel}, ${llmConfigurations.defaultModel})`;
    const [primary] = await db
      .select({
        config: llmConfigurations,
        registry: llmModelRegistry,
        model,
        logPrompts: sql<boolean>`coalesce((select log_prompts from llm_settings), false)`,
      })
      .from(llmConfigurations)
      .leftJoin(llmBindings, eq(llmBindings.feature, ctx.feature))
      .leftJoin(
        llmModelRegistry,
        and(eq(llmModelRegistry.configurationId, llmConfigurations.id), eq(llmModelRegistry.model, model)),
      )
      .where(
        viaBinding
          ? eq(llmConfigurations.id, llmBindings.configurationId)
          : eq(llmConfigurations.id, choice.configurationId!),
      );
    if (!primary) {
      if (viaBinding)
        throw new Problem(
          409,
          LLM_NOT_BOUND,
          `No LLM configuration is bound to the feature "${ctx.feature}"; add a binding first.`,
          { params: { feature: ctx.feature } },
        );
      throw badRequest('llm_configuration.not_found', 'The LLM configuration does not exist.', [
        { path: '/configuration_id', message: 'unknown' },
      ]);
    }
    if (!primary.model)
      throw badRequest('llm.no_model', 'No model: name one, or set the binding or configuration default.', [
        { path: '/model', message: 'required' },
      ]);
    if (!primary.config.enabled)
      throw conflict(
        'llm.configuration_disabled',
        `The LLM configuration "${primary.config.name}" is disabled.`,
        { name: primary.config.name },
      );
    const ids = primary.config.fallbackIds;
    const fallbacks = ids.length
      ? await db
          .select({
            config: llmConfigurations,
            registry: llmModelRegistry,
            model: llmConfigurations.defaultModel,
          })
          .from(llmConfigurations)
          .leftJoin(
            llmModelRegistry,
            and(
              eq(llmModelRegistry.configurationId, llmConfigurations.id),
              eq(llmModelRegistry.model, llmConfigurations.defaultModel),
            ),
          )
          .where(and(inArray(llmConfigurations.id, ids), eq(llmConfigurations.enabled, true)))
      : [];
    const chain = [
      primary,
      ...ids.map((id) => fallbacks.find((f) => f.config.id === id)).filter((f) => f !== undefined),
    ];
    const targets: Target[] = [];
    for (const { config, model, registry } of chain) {
      if (!model) continue;
      // A registered model that is switched off or cannot do this is skipped; an unregistered
      // one is tried (it costs nothing on record until the tenant gives it prices).
      if (registry && (!registry.enabled || !registry.capabilities.includes(need))) continue;
      targets.push({ config, endpoint: await endpointOf(db, platform, config), model, registry });
    }
    if (targets.length === 0)
      throw badRequest(
        'llm.capability_missing',
        `No enabled model of this configuration (or its fallbacks) has the capability "${need}".`,
        undefined,
        { capability: need },
      );
    const budgets = await budgetStatuses(db, ctx.feature);
    assertWithinBudgets(budgets);
    return { targets, logPrompts: primary.logPrompts, budgets };
  });
}

interface Attempted {
  tokensIn: number;
  tokensOut: number;
}

/** Full jitter: a random wait up to base·2^(attempt−1), capped. */
function backoff(baseMs: number, attempt: number): number {
  return Math.random() * Math.min(BACKOFF_CAP_MS, baseMs * 2 ** (attempt - 1));
}

/**
 * Runs `call` against one target with its retries behind its breaker, logging each attempt.
 * Throws the last ProviderError (or `circuit_open`) when the target gives up.
 */
async function withRetries<T extends Attempted>(
  platform: Platform,
  ctx: CallContext,
  p: Plan,
  target: Target,
  kind: Kind,
  estimate: number | null,
  prompt: unknown,
  call: (signal: AbortSignal | undefined) => Promise<T>,
): Promise<{ result: T; attempt: number }> {
  const { config } = target;
  const breaker = breakerOf(config.id, config.breakerThreshold, config.breakerCooldownMs);
  const log = (
    attempt: number,
    started: number,
    outcome: { tokensIn: number; tokensOut: number; error: string | null },
  ) =>
    logUsage(platform, {
      tenantId: ctx.tenantId,
      userId: ctx.userId,
      feature: ctx.feature,
      kind,
      configurationId: config.id,
      model: target.model,
      requestId: ctx.requestId,
      attempt,
      tokensIn: outcome.tokensIn,
      tokensOut: outcome.tokensOut,
      estimatedTokensIn: estimate,
      latencyMs: Math.round(performance.now() - started),
      cost: costOf(target.registry, outcome.tokensIn, outcome.tokensOut),
      currency: target.registry?.currency ?? null,
      success: outcome.error === null,
      errorCode: outcome.error,
      prompt: p.logPrompts ? prompt : null,
    });
  for (let attempt = 1; ; attempt++) {
    const started = performance.now();
    try {
      const result = await breaker.execute(() => call(ctx.signal));
      // A stream's successful attempt is logged when the stream ends, with its tokens.
      if (kind !== 'stream')
        await log(attempt, started, { tokensIn: result.tokensIn, tokensOut: result.tokensOut, error: null });
      return { result, attempt };
    } catch (err) {
      if (isBrokenCircuit(err)) {
        await log(attempt, started, { tokensIn: 0, tokensOut: 0, error: 'circuit_open' });
        throw new ProviderError('circuit_open', `its circuit breaker is open`);
      }
      const pe =
        err instanceof ProviderError ? err : new ProviderError('network', 'the provider call failed');
      const error = ctx.signal?.aborted ? 'client_closed' : pe.code;
      await log(attempt, started, { tokensIn: 0, tokensOut: 0, error });
      if (ctx.signal?.aborted || !pe.retryable || attempt > config.maxRetries) throw pe;
      const wait = pe.retryAfterMs ?? backoff(platform.config.llm.retryBaseMs, attempt);
      if (wait > MAX_RETRY_WAIT_MS) throw pe;
      await sleep(wait, undefined, { signal: ctx.signal }).catch(() => undefined);
    }
  }
}

/** Tries each target in order until one answers; a fault of the request itself stops at once. */
export async function acrossTargets<T extends Attempted>(
  platform: Platform,
  ctx: CallContext,
  p: Plan,
  kind: Kind,
  estimate: number | null,
  prompt: unknown,
  call: (target: Target, signal: AbortSignal | undefined) => Promise<T>,
): Promise<{ result: T; target: Target; attempt: number }> {
  const failures: string[] = [];
  let last: ProviderError | null = null;
  for (const target of p.targets) {
    try {
      const { result, attempt } = await withRetries(
        platform,
        ctx,
        p,
        target,
        kind,
        estimate,
        prompt,
        (signal) => call(target, signal),
      );
      return { result, target, attempt };
    } catch (err) {
      const pe = err as ProviderError;
      last = pe;
      failures.push(`${target.config.name}: ${pe.message}`);
      if (pe.isRequestFault || ctx.signal?.aborted) break;
    }
  }
  throw failureProblem(last!, failures);
}

function failureProblem(last: ProviderError, failures: string[]): Problem {
  const detail = `The LLM call failed (${failures.join('; ')}).`;
  const extra = {
    type: 'https://superinsight.dev/problems/llm-call-failed',
    params: { failures: failures.join('; ') },
  };
  if (last.code === 'bad_request') return new Problem(400, last.code, detail, extra);
  if (last.code === 'timeout') return new Problem(504, last.code, detail, extra);
  if (last.code === 'circuit_open') return new Problem(503, last.code, detail, { ...extra, retryAfter: 5 });
  return new Problem(502, last.code, detail, extra);
}

export interface Usage {
  configuration_id: number;
  model: string;
  tokens_in: number;
  tokens_out: number;
  estimated_tokens_in: number | null;
  cost: string;
  currency: string | null;
}

export function usageOf(target: Target, tokensIn: number, tokensOut: number, estimate: number | null): Usage {
  const cost: Decimal = costOf(target.registry, tokensIn, tokensOut);
  return {
    configuration_id: target.config.id,
    model: target.model,
    tokens_in: tokensIn,
    tokens_out: tokensOut,
    estimated_tokens_in: estimate,
    cost: cost.toFixed(),
    currency: target.registry?.currency ?? null,
  };
}

/** Budgets past their warning share: said in the response so a console can show it. */
export function budgetWarnings(p: Plan): string[] {
  return p.budgets.filter((b) => b.state === 'warning').map((b) => b.budget.name);
}
