import { type Outbound, OutboundError } from '../../../platform/http/outbound.ts';
import type { Example } from '../llm/retrieval.ts';
import { REPORTING_VIEWS } from '../reporting.ts';
import type { PluginEndpoint } from './store.ts';

/** What a plugin is sent: the contract in the README's text-to-SQL section. */
export interface PluginRequest {
  question: string;
  dialect: 'postgresql';
  schema: typeof REPORTING_VIEWS;
  examples: Example[];
}

export const PLUGIN_FAILURES = [
  'timeout',
  'unauthorized',
  'bad_status',
  'bad_response',
  'network',
  'refused_address',
] as const;
export type PluginFailure = (typeof PLUGIN_FAILURES)[number];

/** A plugin's reply, or why there is none; never the body of a failed reply (it is not ours to show). */
export type PluginReply = { latencyMs: number } & (
  | { kind: 'sql'; sql: string; params: unknown[]; confidence: number | null }
  | { kind: 'cannot_answer'; reason: string }
  | { kind: 'failed'; failure: PluginFailure; message: string }
);

/** A plugin's reply is small: SQL and a few values. */
const MAX_REPLY_BYTES = 256 * 1024;
const MAX_SQL_CHARS = 20_000;
const MAX_PARAMS = 100;

type Parsed =
  | { kind: 'sql'; sql: string; params: unknown[]; confidence: number | null }
  | { kind: 'cannot_answer'; reason: string }
  | { kind: 'failed'; failure: 'bad_response'; message: string };

const badReply = (why: string): Parsed => ({
  kind: 'failed',
  failure: 'bad_response',
  message: `the plugin's reply does not follow the contract: ${why}`,
});

const scalar = (v: unknown) =>
  v === null ||
  typeof v === 'string' ||
  typeof v === 'boolean' ||
  (typeof v === 'number' && Number.isFinite(v));

/** Checks a reply against the contract: `{sql, params?, confidence?}` or `{cannot_answer}`. */
export function parseReply(text: string): Parsed {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return badReply('it is not JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return badReply('it is not an object');
  const r = body as Record<string, unknown>;
  if ('cannot_answer' in r) {
    if (typeof r.cannot_answer !== 'string' || r.cannot_answer.trim() === '')
      return badReply('cannot_answer is not a non-empty string');
    return { kind: 'cannot_answer', reason: r.cannot_answer.slice(0, 1000) };
  }
  if (typeof r.sql !== 'string' || r.sql.trim() === '') return badReply('sql is missing or empty');
  if (r.sql.length > MAX_SQL_CHARS) return badReply(`sql is longer than ${MAX_SQL_CHARS} characters`);
  const params = r.params ?? [];
  if (!Array.isArray(params) || params.length > MAX_PARAMS || !params.every(scalar))
    return badReply(`params is not an array of at most ${MAX_PARAMS} strings, numbers, booleans or nulls`);
  const confidence = r.confidence ?? null;
  if (confidence !== null && (typeof confidence !== 'number' || !(confidence >= 0 && confidence <= 1)))
    return badReply('confidence is not a number from 0 to 1');
  return { kind: 'sql', sql: r.sql, params, confidence };
}

function failureOf(err: OutboundError): { failure: PluginFailure; message: string } {
  if (err.reason === 'timeout') return { failure: 'timeout', message: err.message };
  if (err.reason === 'refused_address' || err.reason === 'bad_url')
    return { failure: 'refused_address', message: err.message };
  if (err.reason === 'too_large') return { failure: 'bad_response', message: err.message };
  return { failure: 'network', message: err.message };
}

/**
 * POSTs the question to the plugin through the guarded outbound client (address checks,
 * the plugin's timeout for the whole exchange, a bounded reply, no redirects) and checks
 * the reply against the contract. Never throws for what the plugin does.
 */
export async function consultPlugin(
  outbound: Outbound,
  plugin: PluginEndpoint,
  question: string,
  examples: Example[],
): Promise<PluginReply> {
  const started = performance.now();
  const latency = () => Math.round(performance.now() - started);
  const request: PluginRequest = { question, dialect: 'postgresql', schema: REPORTING_VIEWS, examples };
  let res: Awaited<ReturnType<Outbound['request']>>;
  try {
    res = await outbound.request(plugin.url, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${plugin.apiKey}`,
        'content-type': 'application/json',
        accept: 'application/json',
      },
      body: JSON.stringify(request),
      timeoutMs: plugin.timeoutMs,
      maxResponseBytes: MAX_REPLY_BYTES,
      maxRedirects: 0,
    });
  } catch (err) {
    if (!(err instanceof OutboundError)) throw err;
    const { failure, message } = failureOf(err);
    const detail =
      failure === 'timeout' ? `the plugin did not answer within ${plugin.timeoutMs} ms` : message;
    return { kind: 'failed', failure, message: detail, latencyMs: latency() };
  }
  if (res.status === 401 || res.status === 403)
    return {
      kind: 'failed',
      failure: 'unauthorized',
      message: `the plugin refused the API key (${res.status})`,
      latencyMs: latency(),
    };
  if (res.status < 200 || res.status >= 300)
    return {
      kind: 'failed',
      failure: 'bad_status',
      message: `the plugin answered HTTP ${res.status}`,
      latencyMs: latency(),
    };
  return { ...parseReply(res.body.toString('utf8')), latencyMs: latency() };
}
