import type { Tx } from '../../platform/db/client.ts';
import { Problem } from '../../platform/errors/problem.ts';
import { runSelect } from './executor.ts';
import type { PluginReply } from './plugins/client.ts';
import { getPlugin, type PluginRow } from './plugins/store.ts';
import type { Method } from './schema.ts';
import { type Configuration, getConfiguration, logUnanswered, runQuery } from './service.ts';
import { type Match, rank } from './templates/match.ts';
import type { Vocabulary } from './templates/slots.ts';
import { listTemplates } from './templates/store.ts';

/** Below this the hybrid method does not trust a template and asks the LLM instead. */
export const HYBRID_THRESHOLD = 0.7;
/** The template method answers only a match at least this good, with every slot filled. */
export const TEMPLATE_THRESHOLD = 0.5;

export type TxRunner = <T>(work: (tx: Tx) => Promise<T>) => Promise<T>;

export interface AskContext {
  tx: TxRunner;
  tenantId: string;
  userId: string;
  /** The LLM method, made per request with the platform that serves it. */
  generate: Generator;
  /** Sends a question to a third-party plugin (method third_party); made per request likewise. */
  consult: (plugin: PluginRow, question: string) => Promise<PluginReply>;
}

/**
 * The LLM method's shape: SQL (with $1..$n and their values) for a question, or
 * why it cannot answer. What it returns still goes through the validator and the executor.
 */
export type Generator = (
  ctx: AskContext,
  question: string,
  config: Configuration,
) => Promise<{ sql: string; params: unknown[]; confidence: number } | { cannotAnswer: string }>;

export interface Question {
  question: string;
  sourceId: string | null | undefined;
  method?: Exclude<Method, 'manual'>;
  /** The plugin of method third_party; the configuration's when absent. */
  pluginId?: number;
}

/** The tenant's project titles and member names, read as the query role from the views. */
export async function loadVocabulary(tx: Tx): Promise<Vocabulary> {
  const { rows } = await runSelect(
    tx,
    `select 'project' as kind, id::text as id, title as name, null::text as email from reporting.projects
     union all select 'member', user_id::text, name, email from reporting.members`,
    [],
    { rowLimit: 20_000, statementTimeoutMs: 5000, boundPlan: false },
  );
  const text = (v: unknown) => (v === null ? '' : String(v));
  return {
    projects: rows
      .filter((r) => r.kind === 'project')
      .map((r) => ({ id: Number(r.id), title: text(r.name) })),
    members: rows
      .filter((r) => r.kind === 'member')
      .map((r) => ({ userId: text(r.id), name: text(r.name), email: text(r.email) })),
  };
}

/** The best `count` templates for a question (the pack and the tenant's enabled ones). */
export async function bestTemplate(tx: TxRunner, question: string, now: Date, count = 1) {
  // One transaction for both reads: each ask used to open two (and so two connections).
  return tx(async (t) => {
    const templates = await listTemplates(t, true);
    const vocabulary = await loadVocabulary(t);
    return rank(question, templates, vocabulary, now).slice(0, count);
  });
}

/**
 * Answers a question by the method asked for (the configuration's default otherwise):
 * template, llm, or hybrid (the template when it matches with confidence ≥ 0.7, else the
 * LLM, and when the LLM cannot answer, a template match the template method would take), or
 * third_party (the tenant's plugin). Whatever SQL comes out runs through runQuery; a
 * question nothing answers is a logged 422 cannot_answer.
 */
export async function ask(ctx: AskContext, q: Question, limits: { boundPlan: boolean }, now = new Date()) {
  const started = performance.now();
  const config = await ctx.tx(getConfiguration);
  const method = q.method ?? config.defaultMethod;
  const scope = { tenantId: ctx.tenantId, userId: ctx.userId };
  const refuse = async (
    reason: string,
    confidence?: number,
    plugin?: { pluginId: number; pluginLatencyMs?: number },
  ): Promise<never> => {
    const logId = await ctx.tx((t) =>
      logUnanswered(t, scope, {
        question: q.question,
        method,
        reason,
        confidence,
        durationMs: Math.round(performance.now() - started),
        ...plugin,
      }),
    );
    throw new Problem(422, 'cannot_answer', reason, {
      type: 'https://superinsight.dev/problems/sql-cannot-answer',
      log_id: logId,
    });
  };
  if (method === 'third_party') {
    const pluginId = q.pluginId ?? config.pluginId;
    if (pluginId === null)
      return refuse(
        'No third-party plugin is chosen: name one in plugin_id, here or in the text-to-SQL configuration.',
      );
    const plugin = await ctx.tx((t) => getPlugin(t, pluginId));
    if (!plugin.enabled) return refuse(`The plugin “${plugin.name}” is disabled.`, undefined, { pluginId });
    return answerFromPlugin(ctx, scope, q, plugin, { limits, config }, { started, refuse });
  }
  const answer = (best: Match) => answerFromTemplate(ctx, scope, q, best, { limits, config });
  const best =
    method === 'template' || method === 'hybrid'
      ? (await bestTemplate(ctx.tx, q.question, now))[0]
      : undefined;
  const usable = (threshold: number) =>
    best && best.confidence >= threshold && best.filled.missing.length === 0 ? best : undefined;
  const confidence = best?.confidence;
  if (method === 'template') {
    const match = usable(TEMPLATE_THRESHOLD);
    if (match) return answer(match);
    return refuse(
      `No template matched with confidence ≥ ${TEMPLATE_THRESHOLD} and every slot filled.`,
      confidence,
    );
  }
  const strong = method === 'hybrid' ? usable(HYBRID_THRESHOLD) : undefined;
  if (strong) return answer(strong);
  const generated = await ctx.generate(ctx, q.question, config);
  if ('cannotAnswer' in generated) {
    // Hybrid without an LLM that can answer falls back to a weaker template match.
    const weak = method === 'hybrid' ? usable(TEMPLATE_THRESHOLD) : undefined;
    if (weak) return answer(weak);
    return refuse(
      method === 'hybrid'
        ? `No template matched with confidence ≥ ${HYBRID_THRESHOLD}, and the LLM could not answer: ${generated.cannotAnswer}`
        : generated.cannotAnswer,
      confidence,
    );
  }
  const result = await runQuery(
    ctx.tx,
    scope,
    { ...generated, sourceId: q.sourceId, method: 'llm', question: q.question },
    limits,
    config,
  );
  return { ...result, ...generated, method: 'llm' as const, template_id: null };
}

/** What an answer runs under: the driver's limits and the configuration the ask read. */
interface Under {
  limits: { boundPlan: boolean };
  config: Configuration;
}

/**
 * The plugin's SQL goes through runQuery like any other method's (a DELETE is refused by
 * the validator). A plugin that cannot answer is a 422 cannot_answer; one that fails
 * (timeout, HTTP error, a reply outside the contract) a 502, or 504 for a timeout, logged
 * as error or timeout.
 */
async function answerFromPlugin(
  ctx: AskContext,
  scope: { tenantId: string; userId: string },
  q: Question,
  plugin: PluginRow,
  under: Under,
  how: {
    started: number;
    refuse: (
      reason: string,
      confidence: undefined,
      plugin: { pluginId: number; pluginLatencyMs: number },
    ) => Promise<never>;
  },
) {
  const reply = await ctx.consult(plugin, q.question);
  const logged = { pluginId: plugin.id, pluginLatencyMs: reply.latencyMs };
  if (reply.kind === 'cannot_answer')
    return how.refuse(`The plugin “${plugin.name}” could not answer: ${reply.reason}`, undefined, logged);
  if (reply.kind === 'failed') {
    const logId = await ctx.tx((t) =>
      logUnanswered(t, scope, {
        question: q.question,
        method: 'third_party',
        reason: reply.message,
        durationMs: Math.round(performance.now() - how.started),
        outcome: reply.failure === 'timeout' ? 'timeout' : 'error',
        error: `plugin_failed: ${reply.failure}: ${reply.message}`,
        ...logged,
      }),
    );
    throw new Problem(
      reply.failure === 'timeout' ? 504 : 502,
      'plugin_failed',
      `The plugin “${plugin.name}” failed: ${reply.message}.`,
      {
        params: { plugin: plugin.name, message: reply.message },
        type: 'https://superinsight.dev/problems/sql-plugin-failed',
        reason: reply.failure,
        log_id: logId,
      },
    );
  }
  const result = await runQuery(
    ctx.tx,
    scope,
    {
      sql: reply.sql,
      params: reply.params,
      sourceId: q.sourceId,
      method: 'third_party',
      question: q.question,
      confidence: reply.confidence ?? undefined,
      ...logged,
    },
    under.limits,
    under.config,
  );
  return {
    ...result,
    sql: reply.sql,
    params: reply.params,
    method: 'third_party' as const,
    confidence: reply.confidence,
    template_id: null,
    plugin_id: plugin.id,
  };
}

async function answerFromTemplate(
  ctx: AskContext,
  scope: { tenantId: string; userId: string },
  q: Question,
  best: Match,
  under: Under,
) {
  const result = await runQuery(
    ctx.tx,
    scope,
    {
      sql: best.template.sql,
      params: best.filled.params,
      sourceId: q.sourceId,
      method: 'template',
      question: q.question,
      confidence: best.confidence,
    },
    under.limits,
    under.config,
  );
  return {
    ...result,
    sql: best.template.sql,
    params: best.filled.params,
    method: 'template' as const,
    confidence: best.confidence,
    template_id: best.template.id,
  };
}
