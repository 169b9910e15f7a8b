import { inTenant } from '../../../platform/db/tenancy.ts';
import { Problem } from '../../../platform/errors/problem.ts';
import type { Platform } from '../../../platform/index.ts';
import { type CallContext, LLM_NOT_BOUND, structured } from '../../llm/index.ts';
import { ExecutionError, explainOnly } from '../executor.ts';
import type { Configuration } from '../service.ts';
import { loadParser, Refusal, validateSelect } from '../validator.ts';
import { linkSchema, schemaText } from './linking.ts';
import { confirmedExamples, type Example, topExamples } from './retrieval.ts';

export type Generated =
  | { sql: string; params: unknown[]; confidence: number; rounds: number }
  | { cannotAnswer: string };

/** After the first reply, how many times the model is shown its error and asked again. */
export const MAX_CORRECTIONS = 3;
const EXAMPLES_IN_PROMPT = 5;
/** Bounds a reply (llama.cpp grammars refuse much longer bounds); max_tokens leaves room to close the JSON. */
const MAX_SQL_CHARS = 400;
const MAX_TOKENS = 1200;

const REPLY_SCHEMA = {
  type: 'object',
  properties: { sql: { type: 'string', maxLength: MAX_SQL_CHARS } },
  required: ['sql'],
  additionalProperties: false,
};

type Context = Omit<CallContext, 'feature'>;
const scope = (ctx: Context) => ({ tenantId: ctx.tenantId, userId: ctx.userId ?? undefined });
type Message = { role: 'system' | 'user' | 'assistant'; content: string };

/**
 * The binding the tenant's configuration names, else the text_to_sql feature's; the gateway
 * answers 409 for a name with no binding.
 */
function feature(config: Pick<Configuration, 'llmBinding'>) {
  return (config.llmBinding ?? 'text_to_sql') as CallContext['feature'];
}

export function prompt(question: string, examples: Example[]): Message[] {
  const schema = schemaText(linkSchema(question));
  const shown = examples.map((e) => `Question: ${e.question}\nSQL: ${e.sql}`).join('\n\n');
  return [
    {
      role: 'system',
      content: `You write one PostgreSQL SELECT statement answering a question over these views (and nothing else; no writes, no system catalogs):\n\n${schema}\n\nReply with JSON {"sql": "..."}.`,
    },
    {
      role: 'user',
      content: `${shown ? `Examples:\n\n${shown}\n\n` : ''}Question: ${question}`,
    },
  ];
}

/** Why a generated query cannot be used: the validator's or the database's message, or undefined. */
async function check(platform: Platform, ctx: Context, query: string, timeoutMs: number) {
  let valid: string;
  try {
    valid = validateSelect(query).sql;
  } catch (err) {
    if (err instanceof Refusal) return { valid: null, error: `${err.rule}: ${err.message}` };
    throw err;
  }
  try {
    await inTenant(platform.database.db, scope(ctx), (tx) => explainOnly(tx, valid, [], timeoutMs));
    return { valid, error: null };
  } catch (err) {
    if (err instanceof ExecutionError) return { valid: null, error: `database: ${err.message}` };
    throw err;
  }
}

/**
 * Writes SQL with the tenant's bound LLM: the linked schema, the closest examples (the
 * caller's plus the tenant's confirmed logs) and the question; each reply is validated and
 * planned (EXPLAIN as the sql role); a failure goes back to the model for at most
 * MAX_CORRECTIONS rounds. The gateway's refusals (budget, breaker, timeout) are thrown as
 * they are. Confidence is a heuristic: lower for each correction needed.
 */
export async function generateWithLlm(
  platform: Platform,
  ctx: Context,
  question: string,
  config: Pick<Configuration, 'llmBinding' | 'statementTimeoutMs'>,
  examples: Example[],
): Promise<Generated> {
  const callCtx: CallContext = { ...ctx, feature: feature(config) };
  const logged = await inTenant(platform.database.db, scope(ctx), confirmedExamples);
  const messages = prompt(question, topExamples(question, [...logged, ...examples], EXAMPLES_IN_PROMPT));
  await loadParser();
  let lastError = '';
  for (let round = 0; round <= MAX_CORRECTIONS; round++) {
    const reply = await structured(platform, callCtx, {
      messages,
      schema: REPLY_SCHEMA,
      checkMaxLength: false,
      max_tokens: MAX_TOKENS,
      temperature: 0,
    }).catch((err: unknown) => {
      // A tenant without an LLM for text-to-SQL is not an error: hybrid answers from templates.
      if (err instanceof Problem && err.code === LLM_NOT_BOUND) return undefined;
      throw err;
    });
    if (!reply)
      return {
        cannotAnswer: `No LLM is bound (bind one to ${callCtx.feature} or set the configuration's llm_binding).`,
      };
    const query = String((reply.value as { sql: string }).sql);
    const { valid, error } = await check(platform, ctx, query, config.statementTimeoutMs);
    if (valid !== null)
      return { sql: valid, params: [], confidence: Math.max(0.3, 0.9 - 0.2 * round), rounds: round };
    lastError = error!;
    messages.push(
      { role: 'assistant', content: JSON.stringify({ sql: query }) },
      {
        role: 'user',
        content: `That query cannot be used: ${lastError}\nAnswer again with a corrected query.`,
      },
    );
  }
  return {
    cannotAnswer: `No valid query after ${MAX_CORRECTIONS} corrections; the last error: ${lastError}`,
  };
}
