// A local model server for the LLM gateway's tests and bench: real inference (llama.cpp through
// node-llama-cpp) on a tiny random-weight model, behind the two APIs the gateway speaks:
// OpenAI-compatible (/v1/chat/completions, /v1/models, /v1/embeddings, and Azure's
// /openai/deployments/{name}/... and /openai/models, with `api-key` and `api-version`) and Ollama's native
// (/api/chat, /api/tags, /api/embed).
//
// Run: `node test/llm-server/server.mjs` (PORT, HOST, MODEL_NAME, API_KEY from the environment).
// It prints one JSON line `{"url": ...}` once it listens.
//
// Switches for failure tests, set with POST /_control (JSON, every field optional):
//   fail: { status, count, retryAfter }  the next `count` model calls answer `status`
//                                         (with Retry-After when given) instead of running
//   delayMs                               every model call waits this long before answering
//   ignoreFormat                          response_format / format is ignored (no grammar), as
//                                         by a provider that does not support it
// GET /_control/requests lists what the server received (method, path, query, auth headers,
// body) so a test can check what the gateway sent; DELETE /_control/requests clears it.

import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getLlama, LlamaCompletion } from 'node-llama-cpp';
import { writeTinyLlama } from './gguf.mjs';

const MODEL_NAME = process.env.MODEL_NAME || 'tiny-llama';
const API_KEY = process.env.API_KEY || '';
const SEQUENCES = 4;
const DEFAULT_MAX_TOKENS = 64;

const modelPath = join(mkdtempSync(join(tmpdir(), 'si-llm-')), 'tiny.gguf');
writeTinyLlama(modelPath);
// One thread: on two shared cores llama.cpp's spinning threads cost far more than they give.
const llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' });
const model = await llama.loadModel({ modelPath });
const context = await model.createContext({
  contextSize: 2048 * SEQUENCES,
  sequences: SEQUENCES,
  threads: 1,
});
const embeddingContext = await model.createEmbeddingContext({ contextSize: 512, threads: 1 });

/** Free completion slots, one per context sequence; callers wait in line for one. */
const slots = Array.from(
  { length: SEQUENCES },
  () => new LlamaCompletion({ contextSequence: context.getSequence() }),
);
const waiting = [];
async function withSlot(fn) {
  const slot = slots.pop() ?? (await new Promise((resolve) => waiting.push(resolve)));
  try {
    return await fn(slot);
  } finally {
    const next = waiting.shift();
    if (next) next(slot);
    else slots.push(slot);
  }
}

const control = { fail: null, delayMs: 0, ignoreFormat: false };
const received = [];

class HttpError extends Error {
  constructor(status, message, headers = {}) {
    super(message);
    this.status = status;
    this.headers = headers;
  }
}

function messageText(content) {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p) => (p?.type === 'text' ? p.text : '')).join('');
  return '';
}

/** Completion mode: the messages as a plain transcript that ends where the assistant speaks. */
function promptOf(messages) {
  if (!Array.isArray(messages) || messages.length === 0)
    throw new HttpError(400, 'messages must be a non-empty array');
  return `${messages.map((m) => `${m.role}: ${messageText(m.content)}`).join('\n')}\nassistant:`;
}

function checkModel(name) {
  if (name !== MODEL_NAME) throw new HttpError(404, `model '${name}' not found`);
}

/** Applies the failure switches before any model work, as an overloaded or broken provider would. */
async function gate(signal) {
  if (control.fail && control.fail.count > 0) {
    control.fail.count--;
    const { status, retryAfter } = control.fail;
    const headers = retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) };
    throw new HttpError(status, status === 429 ? 'rate limited' : 'server error', headers);
  }
  if (control.delayMs > 0) {
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, control.delayMs);
      signal.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
  if (signal.aborted) throw new HttpError(499, 'client closed the request');
}

async function grammarFor(format) {
  if (!format || control.ignoreFormat) return undefined;
  try {
    if (format === 'json') return await llama.getGrammarFor('json');
    return await llama.createGrammarForJsonSchema(format);
  } catch (err) {
    throw new HttpError(400, `unsupported JSON schema: ${err.message}`);
  }
}

/** Runs one completion; `onText` receives the text as it is generated. */
async function complete({ prompt, maxTokens, temperature, seed, format, stop, signal, onText }) {
  const grammar = await grammarFor(format);
  const promptTokens = model.tokenize(prompt).length;
  let completionTokens = 0;
  const result = await withSlot((slot) =>
    slot.generateCompletionWithMeta(prompt, {
      maxTokens: maxTokens ?? DEFAULT_MAX_TOKENS,
      temperature: temperature ?? 0,
      seed,
      grammar,
      customStopTriggers: stop?.length ? stop : undefined,
      signal,
      stopOnAbortSignal: true,
      onToken: (tokens) => {
        completionTokens += tokens.length;
      },
      onTextChunk: onText,
    }),
  );
  const finish = result.metadata.stopReason === 'maxTokens' ? 'length' : 'stop';
  return { text: result.response, promptTokens, completionTokens, finish };
}

async function embed(input) {
  const texts = Array.isArray(input) ? input : [input];
  if (texts.length === 0 || texts.some((t) => typeof t !== 'string')) {
    throw new HttpError(400, 'input must be a string or an array of strings');
  }
  let tokens = 0;
  const vectors = [];
  for (const text of texts) {
    tokens += model.tokenize(text).length;
    vectors.push(Array.from((await embeddingContext.getEmbeddingFor(text)).vector));
  }
  return { vectors, tokens };
}

function openAiFormat(responseFormat) {
  if (!responseFormat || responseFormat.type === 'text') return undefined;
  if (responseFormat.type === 'json_object') return 'json';
  if (responseFormat.type === 'json_schema') return responseFormat.json_schema?.schema ?? 'json';
  throw new HttpError(400, `unknown response_format type '${responseFormat.type}'`);
}

function stopList(stop) {
  if (stop === undefined || stop === null) return undefined;
  return Array.isArray(stop) ? stop : [stop];
}

async function openAiChat(body, res, signal, modelName) {
  checkModel(modelName);
  const prompt = promptOf(body.messages);
  await gate(signal);
  const id = `chatcmpl-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  const created = Math.floor(Date.now() / 1000);
  const params = {
    prompt,
    maxTokens: body.max_completion_tokens ?? body.max_tokens,
    temperature: body.temperature,
    seed: body.seed,
    format: openAiFormat(body.response_format),
    stop: stopList(body.stop),
    signal,
  };
  if (!body.stream) {
    const r = await complete(params);
    return sendJson(res, 200, {
      id,
      object: 'chat.completion',
      created,
      model: MODEL_NAME,
      choices: [{ index: 0, message: { role: 'assistant', content: r.text }, finish_reason: r.finish }],
      usage: usageOf(r),
    });
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const chunk = (delta, finish = null, extra = {}) =>
    res.write(
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: MODEL_NAME, choices: [{ index: 0, delta, finish_reason: finish }], ...extra })}\n\n`,
    );
  chunk({ role: 'assistant', content: '' });
  const r = await complete({ ...params, onText: (text) => chunk({ content: text }) });
  chunk({}, r.finish);
  if (body.stream_options?.include_usage) {
    res.write(
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: MODEL_NAME, choices: [], usage: usageOf(r) })}\n\n`,
    );
  }
  res.end('data: [DONE]\n\n');
}

function usageOf(r) {
  return {
    prompt_tokens: r.promptTokens,
    completion_tokens: r.completionTokens,
    total_tokens: r.promptTokens + r.completionTokens,
  };
}

async function openAiEmbeddings(body, res, signal, modelName) {
  checkModel(modelName);
  await gate(signal);
  const { vectors, tokens } = await embed(body.input);
  sendJson(res, 200, {
    object: 'list',
    model: MODEL_NAME,
    data: vectors.map((embedding, index) => ({ object: 'embedding', index, embedding })),
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  });
}

async function ollamaChat(body, res, signal) {
  checkModel(body.model);
  const prompt = promptOf(body.messages);
  await gate(signal);
  const started = process.hrtime.bigint();
  const params = {
    prompt,
    maxTokens: body.options?.num_predict,
    temperature: body.options?.temperature,
    seed: body.options?.seed,
    format: body.format || undefined,
    stop: body.options?.stop,
    signal,
  };
  const line = (message, done, r) => ({
    model: MODEL_NAME,
    created_at: new Date().toISOString(),
    message: { role: 'assistant', content: message },
    done,
    ...(done
      ? {
          done_reason: r.finish,
          total_duration: Number(process.hrtime.bigint() - started),
          prompt_eval_count: r.promptTokens,
          eval_count: r.completionTokens,
        }
      : {}),
  });
  if (body.stream === false) {
    const r = await complete(params);
    return sendJson(res, 200, line(r.text, true, r));
  }
  res.writeHead(200, { 'content-type': 'application/x-ndjson' });
  const r = await complete({
    ...params,
    onText: (text) => res.write(`${JSON.stringify(line(text, false))}\n`),
  });
  res.end(`${JSON.stringify(line('', true, r))}\n`);
}

async function ollamaEmbed(body, res, signal) {
  checkModel(body.model);
  await gate(signal);
  const { vectors, tokens } = await embed(body.input);
  sendJson(res, 200, { model: MODEL_NAME, embeddings: vectors, prompt_eval_count: tokens });
}

function sendJson(res, status, body, headers = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function authorized(req) {
  if (!API_KEY) return true;
  return req.headers.authorization === `Bearer ${API_KEY}` || req.headers['api-key'] === API_KEY;
}

async function readJson(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  if (chunks.length === 0) return {};
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'body is not JSON');
  }
}

function modelsList() {
  return {
    object: 'list',
    data: [{ id: MODEL_NAME, object: 'model', created: 0, owned_by: 'superinsight-test' }],
  };
}

function ollamaTags() {
  return {
    models: [
      {
        name: MODEL_NAME,
        model: MODEL_NAME,
        modified_at: new Date(0).toISOString(),
        size: 0,
        details: { family: 'llama', format: 'gguf', parameter_size: '0.1M' },
      },
    ],
  };
}

async function route(req, res, signal) {
  const url = new URL(req.url, 'http://localhost');
  const body = req.method === 'POST' ? await readJson(req) : {};
  const path = url.pathname;
  if (path === '/_control/requests') {
    if (req.method === 'DELETE') received.length = 0;
    return sendJson(res, 200, received);
  }
  if (path === '/_control' && req.method === 'POST') {
    Object.assign(control, body);
    return sendJson(res, 200, control);
  }
  received.push({
    method: req.method,
    path,
    query: Object.fromEntries(url.searchParams),
    authorization: req.headers.authorization ?? null,
    apiKey: req.headers['api-key'] ?? null,
    body,
  });
  if (!authorized(req)) {
    return sendJson(res, 401, { error: { message: 'invalid api key', type: 'invalid_request_error' } });
  }
  if (req.method === 'GET' && path === '/openai/models') {
    if (!url.searchParams.get('api-version')) throw new HttpError(400, 'api-version is required');
    return sendJson(res, 200, modelsList());
  }
  const azure = path.match(/^\/openai\/deployments\/([^/]+)\/(chat\/completions|embeddings)$/);
  if (azure) {
    if (!url.searchParams.get('api-version')) throw new HttpError(400, 'api-version is required');
    const name = decodeURIComponent(azure[1]);
    return azure[2] === 'embeddings'
      ? openAiEmbeddings(body, res, signal, name)
      : openAiChat(body, res, signal, name);
  }
  if (req.method === 'POST' && path === '/v1/chat/completions')
    return openAiChat(body, res, signal, body.model);
  if (req.method === 'POST' && path === '/v1/embeddings')
    return openAiEmbeddings(body, res, signal, body.model);
  if (req.method === 'GET' && path === '/v1/models') return sendJson(res, 200, modelsList());
  if (req.method === 'POST' && path === '/api/chat') return ollamaChat(body, res, signal);
  if (req.method === 'POST' && path === '/api/embed') return ollamaEmbed(body, res, signal);
  if (req.method === 'GET' && path === '/api/tags') return sendJson(res, 200, ollamaTags());
  throw new HttpError(404, `no route ${req.method} ${path}`);
}

const server = createServer((req, res) => {
  const aborter = new AbortController();
  res.on('close', () => aborter.abort());
  route(req, res, aborter.signal).catch((err) => {
    if (res.headersSent) return res.end();
    const status = err instanceof HttpError ? err.status : 500;
    const headers = err instanceof HttpError ? err.headers : {};
    const type =
      status === 429 ? 'rate_limit_error' : status >= 500 ? 'server_error' : 'invalid_request_error';
    sendJson(res, status, { error: { message: err.message, type } }, headers);
  });
});

server.listen(Number(process.env.PORT || 0), process.env.HOST || '127.0.0.1', () => {
  const { address, port } = server.address();
  process.stdout.write(`${JSON.stringify({ url: `http://${address}:${port}` })}\n`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.close();
    server.closeAllConnections();
    llama.dispose().finally(() => process.exit(0));
  });
}
