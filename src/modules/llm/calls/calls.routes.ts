import { Readable } from 'node:stream';
import { type FastifyPluginAsyncTypebox, type Static, Type } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Nullable } from '../../../platform/http/schemas.ts';
import { costOf } from '../models/models.service.ts';
import { literals } from '../providers/providers.routes.ts';
import { FEATURES } from '../schema.ts';
import { chat, embed, estimateTokens, openStream, type StreamEvent, structured } from './calls.service.ts';
import { type CallContext, plan } from './gateway.ts';

const Message = Type.Object(
  {
    role: literals(['system', 'user', 'assistant'] as const),
    content: Type.String({ maxLength: 1_000_000 }),
  },
  { additionalProperties: false },
);
const Target = {
  feature: Type.Optional(literals(FEATURES)),
  configuration_id: Type.Optional(Type.Integer({ minimum: 1 })),
  model: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
};
const ChatFields = {
  ...Target,
  messages: Type.Array(Message, { minItems: 1, maxItems: 500 }),
  max_tokens: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
  temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 2 })),
};
const ChatIn = Type.Object(
  { ...ChatFields, stream: Type.Optional(Type.Boolean({ description: 'Answer as server-sent events' })) },
  { additionalProperties: false },
);
const StructuredIn = Type.Object(
  { ...ChatFields, schema: Type.Record(Type.String(), Type.Unknown(), { description: 'A JSON schema' }) },
  { additionalProperties: false },
);
const EmbeddingsIn = Type.Object(
  {
    ...Target,
    input: Type.Union([
      Type.String({ maxLength: 1_000_000 }),
      Type.Array(Type.String({ maxLength: 1_000_000 }), { minItems: 1, maxItems: 256 }),
    ]),
  },
  { additionalProperties: false },
);
const EstimateIn = Type.Object(
  { ...Target, messages: ChatFields.messages, max_tokens: ChatFields.max_tokens },
  { additionalProperties: false },
);

const Usage = Type.Object({
  configuration_id: Type.Integer(),
  model: Type.String(),
  tokens_in: Type.Integer(),
  tokens_out: Type.Integer(),
  estimated_tokens_in: Nullable(Type.Integer()),
  cost: Type.String({ description: 'Exact decimal at the registry price' }),
  currency: Nullable(Type.String()),
});
const Warnings = Type.Array(Type.String(), { description: 'Budgets past their warning share' });
const ChatOut = Type.Object({
  text: Type.String(),
  finish_reason: Nullable(Type.String()),
  usage: Usage,
  budget_warnings: Warnings,
});

function callContext(req: FastifyRequest, reply: FastifyReply, feature: string | undefined): CallContext {
  // The client going away ends the provider call (and its retries) too.
  const aborter = new AbortController();
  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished) aborter.abort();
  });
  return {
    tenantId: req.me.tenantId,
    userId: req.me.userId,
    feature: (feature ?? 'playground') as CallContext['feature'],
    requestId: String(req.id),
    signal: aborter.signal,
  };
}

const choiceOf = (b: { configuration_id?: number; model?: string }) => ({
  configurationId: b.configuration_id,
  model: b.model,
});

async function* sse(events: AsyncGenerator<StreamEvent>): AsyncGenerator<string> {
  try {
    for await (const e of events) yield `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`;
  } catch (err) {
    const code = (err as { code?: string }).code ?? 'network';
    yield `event: error\ndata: ${JSON.stringify({ type: 'error', code, detail: 'the provider stream broke off' })}\n\n`;
  }
}

export const callsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { platform } = app;

  app.post(
    '/llm/chat',
    {
      config: { permission: 'llm:use', audit: false },
      schema: {
        tags: ['llm'],
        summary:
          "A chat completion through the gateway (the feature's binding unless a configuration is named)",
        description:
          'With `stream: true` the answer is text/event-stream: `delta` events with text, then `done` with the usage.',
        body: ChatIn,
        response: { 200: ChatOut },
      },
    },
    async (req, reply) => {
      const ctx = callContext(req, reply, req.body.feature);
      const input = { ...choiceOf(req.body), ...req.body };
      if (!req.body.stream) return chat(platform, ctx, input);
      const { events, budgetWarnings } = await openStream(platform, ctx, input);
      reply.header('cache-control', 'no-cache');
      if (budgetWarnings.length) reply.header('x-llm-budget-warning', budgetWarnings.join(', '));
      // A stream bypasses the response schema, which describes the JSON answer.
      return reply.type('text/event-stream').send(Readable.from(sse(events)) as never);
    },
  );

  app.post(
    '/llm/structured',
    {
      config: { permission: 'llm:use', audit: false },
      schema: {
        tags: ['llm'],
        summary: 'Structured output: a reply validated against a JSON schema, with one repair attempt',
        body: StructuredIn,
        response: {
          200: Type.Object({
            value: Type.Unknown(),
            attempts: Type.Integer(),
            usage: Type.Array(Usage),
            budget_warnings: Warnings,
          }),
        },
      },
    },
    async (req, reply) =>
      structured(platform, callContext(req, reply, req.body.feature), { ...choiceOf(req.body), ...req.body }),
  );

  app.post(
    '/llm/embeddings',
    {
      config: { permission: 'llm:use', audit: false },
      schema: {
        tags: ['llm'],
        summary: 'Embeddings through a provider (and model) that has them',
        body: EmbeddingsIn,
        response: {
          200: Type.Object({
            embeddings: Type.Array(Type.Array(Type.Number())),
            usage: Usage,
            budget_warnings: Warnings,
          }),
        },
      },
    },
    async (req, reply) => {
      const input = Array.isArray(req.body.input) ? req.body.input : [req.body.input];
      return embed(platform, callContext(req, reply, req.body.feature), { ...choiceOf(req.body), input });
    },
  );

  app.post(
    '/llm/estimate',
    {
      config: { permission: 'llm:use', audit: false },
      schema: {
        tags: ['llm'],
        summary: 'The tokens and cost of a call before making it (gpt-tokenizer count, registry prices)',
        body: EstimateIn,
        response: {
          200: Type.Object({
            configuration_id: Type.Integer(),
            model: Type.String(),
            tokens_in: Type.Integer(),
            max_tokens_out: Nullable(Type.Integer()),
            cost_in: Type.String(),
            max_cost: Nullable(Type.String()),
            currency: Nullable(Type.String()),
          }),
        },
      },
    },
    async (req, reply) => estimate(platform, callContext(req, reply, req.body.feature), req.body),
  );
};

async function estimate(
  platform: Parameters<typeof plan>[0],
  ctx: CallContext,
  body: Static<typeof EstimateIn>,
) {
  const p = await plan(platform, ctx, choiceOf(body), 'chat');
  const target = p.targets[0]!;
  const tokensIn = estimateTokens(body.messages);
  const maxOut = body.max_tokens ?? null;
  return {
    configuration_id: target.config.id,
    model: target.model,
    tokens_in: tokensIn,
    max_tokens_out: maxOut,
    cost_in: costOf(target.registry, tokensIn, 0).toFixed(),
    max_cost: maxOut === null ? null : costOf(target.registry, tokensIn, maxOut).toFixed(),
    currency: target.registry?.currency ?? null,
  };
}
