import { createRequire } from 'node:module';
import { Ajv, type ErrorObject } from 'ajv';
import { Decimal } from 'decimal.js';
import { badRequest, Problem } from '../../../platform/errors/problem.ts';
import type { Platform } from '../../../platform/index.ts';
import { costOf } from '../models/models.service.ts';
import type { ChatMessage, StreamPiece } from '../providers/adapters.ts';
import * as adapters from '../providers/adapters.ts';
import type { Capability } from '../schema.ts';
import { logUsage } from '../usage/usage.service.ts';
import {
  acrossTargets,
  budgetWarnings,
  type CallContext,
  type Choice,
  plan,
  type Target,
  type Usage,
  usageOf,
} from './gateway.ts';

export interface ChatInput extends Choice {
  messages: ChatMessage[];
  max_tokens?: number;
  temperature?: number;
}

// gpt-tokenizer holds ~65 MB of merge tables once loaded: an idle platform, or one whose
// tenants never call an LLM, does without them until the first count.
let tokenizer: { countTokens(text: string): number } | undefined;
function countTokens(text: string): number {
  tokenizer ??= createRequire(import.meta.url)('gpt-tokenizer') as { countTokens(text: string): number };
  return tokenizer.countTokens(text);
}

/**
 * Tokens of the messages before a call, for the cost estimate: gpt-tokenizer's o200k count
 * plus the few tokens each message's framing takes. Other tokenizers differ by some percent.
 */
export function estimateTokens(messages: { content: string }[]): number {
  return messages.reduce((n, m) => n + countTokens(m.content) + 4, 2);
}

export interface ChatOutput {
  text: string;
  finish_reason: string | null;
  usage: Usage;
  budget_warnings: string[];
}

export async function chat(platform: Platform, ctx: CallContext, input: ChatInput): Promise<ChatOutput> {
  const p = await plan(platform, ctx, input, 'chat');
  const estimate = estimateTokens(input.messages);
  const { result, target } = await acrossTargets(
    platform,
    ctx,
    p,
    'chat',
    estimate,
    input.messages,
    (t, signal) =>
      adapters.chat(platform.outbound, t.endpoint, { ...request(input), model: t.model }, signal),
  );
  return {
    text: result.text,
    finish_reason: result.finishReason,
    usage: usageOf(target, result.tokensIn, result.tokensOut, estimate),
    budget_warnings: budgetWarnings(p),
  };
}

function request(input: ChatInput) {
  return { messages: input.messages, maxTokens: input.max_tokens, temperature: input.temperature };
}

export type StreamEvent =
  | { type: 'delta'; text: string }
  | { type: 'done'; usage: Usage; finish_reason: string | null };

/**
 * Opens a streamed chat: resolves once a provider accepted it (refusals retried and fallen
 * back like any call), then yields text as it comes and the usage at the end. The attempt
 * that streamed is logged when the stream ends, with the provider's counts (or, when it
 * sent none, gpt-tokenizer's count of the text), or as failed when it broke off.
 */
export async function openStream(
  platform: Platform,
  ctx: CallContext,
  input: ChatInput,
): Promise<{ events: AsyncGenerator<StreamEvent>; budgetWarnings: string[] }> {
  const p = await plan(platform, ctx, input, 'chat');
  const estimate = estimateTokens(input.messages);
  const opened = performance.now();
  const { result, target, attempt } = await acrossTargets(
    platform,
    ctx,
    p,
    'stream',
    estimate,
    input.messages,
    async (t, signal) => {
      const pieces = await adapters.openChatStream(
        platform.outbound,
        t.endpoint,
        { ...request(input), model: t.model },
        signal,
      );
      return { pieces, tokensIn: 0, tokensOut: 0 };
    },
  );
  async function* events(): AsyncGenerator<StreamEvent> {
    let text = '';
    let counts: Extract<StreamPiece, { tokensIn: number }> | null = null;
    let error: string | null = null;
    let tokensIn = estimate;
    let tokensOut = 0;
    try {
      for await (const piece of result.pieces) {
        if ('text' in piece) {
          text += piece.text;
          yield { type: 'delta', text: piece.text };
        } else counts = piece;
      }
    } catch (err) {
      error = err instanceof adapters.ProviderError ? err.code : 'network';
      throw err;
    } finally {
      tokensIn = counts?.tokensIn || estimate;
      tokensOut = counts?.tokensOut || countTokens(text);
      await logUsage(platform, {
        tenantId: ctx.tenantId,
        userId: ctx.userId,
        feature: ctx.feature,
        kind: 'stream',
        configurationId: target.config.id,
        model: target.model,
        requestId: ctx.requestId,
        attempt,
        tokensIn,
        tokensOut,
        estimatedTokensIn: estimate,
        latencyMs: Math.round(performance.now() - opened),
        cost: costOf(target.registry, tokensIn, tokensOut),
        currency: target.registry?.currency ?? null,
        success: error === null && counts !== null,
        errorCode: error ?? (counts === null ? 'stream_cut' : null),
        prompt: p.logPrompts ? input.messages : null,
      });
    }
    yield {
      type: 'done',
      usage: usageOf(target, tokensIn, tokensOut, estimate),
      finish_reason: counts?.finishReason ?? null,
    };
  }
  return { events: events(), budgetWarnings: budgetWarnings(p) };
}

export interface EmbeddingsInput extends Choice {
  input: string[];
}

export async function embed(platform: Platform, ctx: CallContext, input: EmbeddingsInput) {
  const p = await plan(platform, ctx, input, 'embeddings');
  const estimate = input.input.reduce((n, t) => n + countTokens(t), 0);
  const { result, target } = await acrossTargets(
    platform,
    ctx,
    p,
    'embeddings',
    estimate,
    input.input,
    async (t, signal) => {
      const r = await adapters.embeddings(platform.outbound, t.endpoint, t.model, input.input, signal);
      return { ...r, tokensOut: 0 };
    },
  );
  return {
    embeddings: result.vectors,
    usage: usageOf(target, result.tokensIn, 0, estimate),
    budget_warnings: budgetWarnings(p),
  };
}

export interface StructuredInput extends ChatInput {
  schema: Record<string, unknown>;
  /**
   * False: the schema's maxLength bounds what the provider generates but is not checked on
   * the reply. A grammar-constrained provider (llama.cpp) counts an invalid UTF-8 sequence as
   * fewer characters than the U+FFFD it decodes to, so a reply within its bound can fail it.
   */
  checkMaxLength?: boolean;
}

/** The schema without its maxLength keywords, for checking a reply whose lengths only bound generation. */
function withoutMaxLength(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withoutMaxLength);
  if (schema === null || typeof schema !== 'object') return schema;
  return Object.fromEntries(
    Object.entries(schema)
      .filter(([k]) => k !== 'maxLength')
      .map(([k, v]) => [k, withoutMaxLength(v)]),
  );
}

function describeErrors(errors: ErrorObject[] | null | undefined): { path: string; message: string }[] {
  return (errors ?? [])
    .slice(0, 20)
    .map((e) => ({ path: e.instancePath || '/', message: e.message ?? 'invalid' }));
}

type Verdict = { ok: true; value: unknown } | { ok: false; errors: { path: string; message: string }[] };

/**
 * Structured output: the schema goes to the provider (response_format / format), the reply
 * is parsed and validated; one repair attempt shows the model its reply and the validation
 * errors; a reply that still fails is a clear 422 naming what was wrong.
 */
export async function structured(platform: Platform, ctx: CallContext, input: StructuredInput) {
  let validate: ReturnType<Ajv['compile']>;
  try {
    // An instance per call: a shared one would cache every request's schema for good.
    validate = new Ajv({ allErrors: true, strict: false }).compile(
      (input.checkMaxLength === false ? withoutMaxLength(input.schema) : input.schema) as object,
    );
  } catch (err) {
    throw badRequest(
      'llm.schema_invalid',
      `schema is not a valid JSON schema: ${(err as Error).message}`,
      [{ path: '/schema', message: 'invalid JSON schema' }],
      { message: (err as Error).message },
    );
  }
  const check = (text: string): Verdict => {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return { ok: false, errors: [{ path: '/', message: 'the reply is not JSON' }] };
    }
    return validate(value) ? { ok: true, value } : { ok: false, errors: describeErrors(validate.errors) };
  };
  const p = await plan(platform, ctx, input, 'json_schema');
  const run = async (messages: ChatMessage[]) => {
    const estimate = estimateTokens(messages);
    const { result, target } = await acrossTargets(
      platform,
      ctx,
      p,
      'structured',
      estimate,
      messages,
      (t, signal) =>
        adapters.chat(
          platform.outbound,
          t.endpoint,
          { ...request(input), messages, model: t.model, schema: input.schema },
          signal,
        ),
    );
    return { result, usage: usageOf(target, result.tokensIn, result.tokensOut, estimate) };
  };
  const first = await run(input.messages);
  const verdict = check(first.result.text);
  if (verdict.ok)
    return { value: verdict.value, attempts: 1, usage: [first.usage], budget_warnings: budgetWarnings(p) };
  const repairMessages: ChatMessage[] = [
    ...input.messages,
    { role: 'assistant', content: first.result.text },
    {
      role: 'user',
      content: `That reply does not match the required JSON schema: ${verdict.errors
        .map((e) => `${e.path} ${e.message}`)
        .join('; ')}. Answer again with only JSON that matches the schema.`,
    },
  ];
  const second = await run(repairMessages);
  const repaired = check(second.result.text);
  if (repaired.ok)
    return {
      value: repaired.value,
      attempts: 2,
      usage: [first.usage, second.usage],
      budget_warnings: budgetWarnings(p),
    };
  throw new Problem(
    422,
    'llm.structured_output_invalid',
    'The model did not produce JSON matching the schema, also after one repair attempt.',
    {
      type: 'https://superinsight.dev/problems/llm-structured-output-invalid',
      errors: repaired.errors,
    },
  );
}

export interface PlannedCall {
  need: Extract<Capability, 'chat' | 'json_schema' | 'embeddings'>;
  tokensIn: number;
  /** The call's max_tokens (0 for embeddings). */
  maxTokensOut: number;
}

/**
 * What a batch of calls of a feature will cost, before making them: input tokens as counted,
 * output at each call's limit, at the prices of the model each kind of call goes to first.
 * Refuses as the calls would (no binding, no capable model, a budget used up).
 */
export async function quote(platform: Platform, ctx: CallContext, calls: readonly PlannedCall[]) {
  const targets = new Map<PlannedCall['need'], Target>();
  for (const need of new Set(calls.map((c) => c.need)))
    targets.set(need, (await plan(platform, ctx, {}, need)).targets[0]!);
  const costs = new Map<string, { cost_in: Decimal; max_cost: Decimal }>();
  let tokensIn = 0;
  let maxTokensOut = 0;
  for (const c of calls) {
    const target = targets.get(c.need)!;
    tokensIn += c.tokensIn;
    maxTokensOut += c.maxTokensOut;
    const currency = target.registry?.currency ?? '';
    const sum = costs.get(currency) ?? { cost_in: new Decimal(0), max_cost: new Decimal(0) };
    sum.cost_in = sum.cost_in.add(costOf(target.registry, c.tokensIn, 0));
    sum.max_cost = sum.max_cost.add(costOf(target.registry, c.tokensIn, c.maxTokensOut));
    costs.set(currency, sum);
  }
  return {
    calls: calls.length,
    tokens_in: tokensIn,
    max_tokens_out: maxTokensOut,
    /** Per currency; an unregistered model costs nothing on record (currency null). */
    costs: [...costs].map(([currency, c]) => ({
      currency: currency || null,
      cost_in: c.cost_in.toFixed(),
      max_cost: c.max_cost.toFixed(),
    })),
    models: [...targets].map(([need, t]) => ({ need, configuration_id: t.config.id, model: t.model })),
  };
}
