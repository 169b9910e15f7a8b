import type { IncomingHttpHeaders } from 'node:http';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { type Outbound, OutboundError } from '../../../platform/http/outbound.ts';
import type { Provider } from '../schema.ts';

/**
 * The two wire protocols the gateway speaks: OpenAI's chat completions (OpenAI, Azure OpenAI,
 * DeepSeek, DashScope's compatible mode, Zhipu, vLLM, Ollama's /v1) and Ollama's native API.
 * Plain HTTP through platform.outbound, so every provider URL gets the address checks, the
 * deadline and the size cap; no SDK, whose own client would bypass them.
 */

export interface Endpoint {
  provider: Provider;
  baseUrl: string;
  apiKey: string | null;
  apiVersion: string | null;
  timeoutMs: number;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  maxTokens?: number;
  temperature?: number;
  /** A JSON schema the reply must follow (response_format / format). */
  schema?: Record<string, unknown>;
}

export interface ChatResult {
  text: string;
  tokensIn: number;
  tokensOut: number;
  finishReason: string | null;
}

export interface EmbeddingsResult {
  vectors: number[][];
  tokensIn: number;
}

/** A failed provider request, classified for retries, the breaker and the usage log. */
export type ProviderErrorCode =
  | 'rate_limited'
  | 'server_error'
  | 'timeout'
  | 'network'
  | 'unauthorized'
  | 'model_not_found'
  | 'bad_request'
  | 'refused_address'
  | 'bad_response'
  | 'circuit_open';

const RETRYABLE = new Set<ProviderErrorCode>(['rate_limited', 'server_error', 'timeout', 'network']);

export class ProviderError extends Error {
  constructor(
    readonly code: ProviderErrorCode,
    message: string,
    readonly status: number | null = null,
    /** From Retry-After (or retry-after-ms), when the provider sent it. */
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
  }

  get retryable(): boolean {
    return RETRYABLE.has(this.code);
  }

  /** Our own request was wrong: another provider would refuse it too. */
  get isRequestFault(): boolean {
    return this.code === 'bad_request';
  }
}

const MAX_BODY = 16 << 20;

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

function headersOf(e: Endpoint): Record<string, string> {
  const h: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (e.apiKey) {
    if (e.provider === 'azure_openai') h['api-key'] = e.apiKey;
    else h.authorization = `Bearer ${e.apiKey}`;
  }
  return h;
}

function azureUrl(e: Endpoint, path: string): string {
  const version = encodeURIComponent(e.apiVersion ?? '');
  return `${trimSlash(e.baseUrl)}/openai/${path}?api-version=${version}`;
}

function chatUrl(e: Endpoint, model: string): string {
  if (e.provider === 'azure_openai')
    return azureUrl(e, `deployments/${encodeURIComponent(model)}/chat/completions`);
  if (e.provider === 'ollama') return `${trimSlash(e.baseUrl)}/api/chat`;
  return `${trimSlash(e.baseUrl)}/chat/completions`;
}

function embeddingsUrl(e: Endpoint, model: string): string {
  if (e.provider === 'azure_openai')
    return azureUrl(e, `deployments/${encodeURIComponent(model)}/embeddings`);
  if (e.provider === 'ollama') return `${trimSlash(e.baseUrl)}/api/embed`;
  return `${trimSlash(e.baseUrl)}/embeddings`;
}

function modelsUrl(e: Endpoint): string {
  if (e.provider === 'azure_openai') return azureUrl(e, 'models');
  if (e.provider === 'ollama') return `${trimSlash(e.baseUrl)}/api/tags`;
  return `${trimSlash(e.baseUrl)}/models`;
}

function chatBody(e: Endpoint, req: ChatRequest, stream: boolean): Record<string, unknown> {
  if (e.provider === 'ollama') {
    return {
      model: req.model,
      messages: req.messages,
      stream,
      ...(req.schema ? { format: req.schema } : {}),
      options: {
        ...(req.maxTokens !== undefined ? { num_predict: req.maxTokens } : {}),
        ...(req.temperature !== undefined ? { temperature: req.temperature } : {}),
      },
    };
  }
  return {
    ...(e.provider === 'openai' ? { model: req.model } : {}),
    messages: req.messages,
    ...(req.maxTokens !== undefined ? { max_tokens: req.maxTokens } : {}),
    ...(req.temperature !== undefined ? { temperature: req.temperature } : {}),
    ...(req.schema
      ? { response_format: { type: 'json_schema', json_schema: { name: 'output', schema: req.schema } } }
      : {}),
    ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
  };
}

/** Retry-After in seconds or as an HTTP date; OpenAI's retry-after-ms when present. */
export function retryAfterOf(headers: IncomingHttpHeaders, now = Date.now()): number | null {
  const ms = Number(headers['retry-after-ms']);
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const raw = headers['retry-after'];
  if (typeof raw !== 'string' || raw.trim() === '') return null;
  const seconds = Number(raw);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(raw);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

function statusError(status: number, headers: IncomingHttpHeaders): ProviderError {
  if (status === 429 || status === 408 || status === 409)
    return new ProviderError(
      'rate_limited',
      `the provider answered ${status}`,
      status,
      retryAfterOf(headers),
    );
  if (status >= 500)
    return new ProviderError(
      'server_error',
      `the provider answered ${status}`,
      status,
      retryAfterOf(headers),
    );
  if (status === 401 || status === 403)
    return new ProviderError('unauthorized', `the provider refused the credentials (${status})`, status);
  if (status === 404)
    return new ProviderError('model_not_found', 'the provider has no such model or path (404)', 404);
  return new ProviderError('bad_request', `the provider refused the request (${status})`, status);
}

function outboundError(err: unknown): ProviderError {
  if (err instanceof ProviderError) return err;
  if (err instanceof OutboundError) {
    if (err.reason === 'timeout') return new ProviderError('timeout', 'the provider did not answer in time');
    if (err.reason === 'refused_address' || err.reason === 'bad_url')
      return new ProviderError('refused_address', err.message);
    if (err.reason === 'too_large') return new ProviderError('bad_response', err.message);
    return new ProviderError('network', err.message);
  }
  return new ProviderError('network', 'the provider could not be reached');
}

async function postJson(
  outbound: Outbound,
  e: Endpoint,
  url: string,
  body: unknown,
  signal?: AbortSignal,
): Promise<Record<string, unknown>> {
  let res: Awaited<ReturnType<Outbound['request']>>;
  try {
    res = await outbound.request(url, {
      method: body === undefined ? 'GET' : 'POST',
      headers: headersOf(e),
      body: body === undefined ? undefined : JSON.stringify(body),
      timeoutMs: e.timeoutMs,
      maxResponseBytes: MAX_BODY,
      maxRedirects: 0,
      signal,
    });
  } catch (err) {
    throw outboundError(err);
  }
  if (res.status < 200 || res.status >= 300) throw statusError(res.status, res.headers);
  try {
    return JSON.parse(res.body.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new ProviderError(
      'bad_response',
      'the provider answered with something other than JSON',
      res.status,
    );
  }
}

type Json = Record<string, unknown>;
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

function parseChat(e: Endpoint, body: Json): ChatResult {
  if (e.provider === 'ollama') {
    const message = body.message as Json | undefined;
    if (typeof message?.content !== 'string')
      throw new ProviderError('bad_response', 'the reply had no message');
    return {
      text: message.content,
      tokensIn: num(body.prompt_eval_count),
      tokensOut: num(body.eval_count),
      finishReason: typeof body.done_reason === 'string' ? body.done_reason : null,
    };
  }
  const choice = (body.choices as Json[] | undefined)?.[0];
  const content = (choice?.message as Json | undefined)?.content;
  if (typeof content !== 'string') throw new ProviderError('bad_response', 'the reply had no message');
  const usage = (body.usage ?? {}) as Json;
  return {
    text: content,
    tokensIn: num(usage.prompt_tokens),
    tokensOut: num(usage.completion_tokens),
    finishReason: typeof choice?.finish_reason === 'string' ? choice.finish_reason : null,
  };
}

export async function chat(
  outbound: Outbound,
  e: Endpoint,
  req: ChatRequest,
  signal?: AbortSignal,
): Promise<ChatResult> {
  return parseChat(e, await postJson(outbound, e, chatUrl(e, req.model), chatBody(e, req, false), signal));
}

/** A piece of a streamed reply: text as it comes, and the token counts at the end. */
export type StreamPiece =
  | { text: string }
  | { tokensIn: number; tokensOut: number; finishReason: string | null };

/**
 * Opens a streamed chat. Resolves once the provider accepted it (so a refusal can still be
 * retried or fall back); the pieces then follow until the provider ends the stream.
 */
export async function openChatStream(
  outbound: Outbound,
  e: Endpoint,
  req: ChatRequest,
  signal?: AbortSignal,
): Promise<AsyncGenerator<StreamPiece>> {
  let res: Awaited<ReturnType<Outbound['stream']>>;
  try {
    res = await outbound.stream(chatUrl(e, req.model), {
      method: 'POST',
      headers: {
        ...headersOf(e),
        accept: e.provider === 'ollama' ? 'application/x-ndjson' : 'text/event-stream',
      },
      body: JSON.stringify(chatBody(e, req, true)),
      timeoutMs: e.timeoutMs,
      signal,
    });
  } catch (err) {
    throw outboundError(err);
  }
  if (res.status < 200 || res.status >= 300) {
    res.body.destroy();
    throw statusError(res.status, res.headers);
  }
  return e.provider === 'ollama' ? ollamaPieces(res.body) : openAiPieces(res.body);
}

async function* lines(body: Readable): AsyncGenerator<string> {
  try {
    for await (const line of createInterface({ input: body, crlfDelay: Number.POSITIVE_INFINITY })) {
      if (line.trim() !== '') yield line;
    }
  } catch (err) {
    throw outboundError(
      err instanceof OutboundError ? err : new OutboundError('timeout', 'the stream ended early'),
    );
  } finally {
    body.destroy();
  }
}

function parseLine(line: string): Json {
  try {
    return JSON.parse(line) as Json;
  } catch {
    throw new ProviderError('bad_response', 'the stream held something other than JSON');
  }
}

async function* openAiPieces(body: Readable): AsyncGenerator<StreamPiece> {
  let finishReason: string | null = null;
  for await (const line of lines(body)) {
    if (!line.startsWith('data:')) continue;
    const data = line.slice(5).trim();
    if (data === '[DONE]') return;
    const chunk = parseLine(data);
    const choice = (chunk.choices as Json[] | undefined)?.[0];
    const text = (choice?.delta as Json | undefined)?.content;
    if (typeof text === 'string' && text !== '') yield { text };
    if (typeof choice?.finish_reason === 'string') finishReason = choice.finish_reason;
    const usage = chunk.usage as Json | undefined;
    if (usage)
      yield { tokensIn: num(usage.prompt_tokens), tokensOut: num(usage.completion_tokens), finishReason };
  }
}

async function* ollamaPieces(body: Readable): AsyncGenerator<StreamPiece> {
  for await (const line of lines(body)) {
    const chunk = parseLine(line);
    const text = (chunk.message as Json | undefined)?.content;
    if (typeof text === 'string' && text !== '') yield { text };
    if (chunk.done === true) {
      yield {
        tokensIn: num(chunk.prompt_eval_count),
        tokensOut: num(chunk.eval_count),
        finishReason: typeof chunk.done_reason === 'string' ? chunk.done_reason : null,
      };
      return;
    }
  }
}

export async function embeddings(
  outbound: Outbound,
  e: Endpoint,
  model: string,
  input: string[],
  signal?: AbortSignal,
): Promise<EmbeddingsResult> {
  const body = e.provider === 'ollama' || e.provider === 'openai' ? { model, input } : { input };
  const res = await postJson(outbound, e, embeddingsUrl(e, model), body, signal);
  if (e.provider === 'ollama') {
    const vectors = res.embeddings;
    if (!Array.isArray(vectors)) throw new ProviderError('bad_response', 'the reply had no embeddings');
    return { vectors: vectors as number[][], tokensIn: num(res.prompt_eval_count) };
  }
  const data = res.data;
  if (!Array.isArray(data)) throw new ProviderError('bad_response', 'the reply had no embeddings');
  const vectors = (data as Json[])
    .sort((a, b) => num(a.index) - num(b.index))
    .map((d) => d.embedding as number[]);
  return { vectors, tokensIn: num((res.usage as Json | undefined)?.prompt_tokens) };
}

/** The provider's model names, from /v1/models (or Azure's /openai/models) or Ollama's /api/tags. */
export async function listModels(outbound: Outbound, e: Endpoint, signal?: AbortSignal): Promise<string[]> {
  const res = await postJson(outbound, e, modelsUrl(e), undefined, signal);
  const list = (e.provider === 'ollama' ? res.models : res.data) as Json[] | undefined;
  if (!Array.isArray(list)) throw new ProviderError('bad_response', 'the reply had no model list');
  return list
    .map((m) => (e.provider === 'ollama' ? m.name : m.id))
    .filter((n): n is string => typeof n === 'string');
}
