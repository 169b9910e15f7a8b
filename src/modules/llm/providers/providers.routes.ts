import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { Nullable, Uuid } from '../../../platform/http/schemas.ts';
import { PROVIDERS } from '../schema.ts';
import {
  configurationView,
  createConfiguration,
  deleteConfiguration,
  getConfiguration,
  listConfigurations,
  recordHealth,
  updateConfiguration,
} from './configurations.service.ts';
import { probeConfiguration, queueHealthCheck } from './health.ts';

const Id = Type.Integer({ minimum: 1 });
const IdParams = Type.Object({ id: Id });
export const literals = <T extends string>(values: readonly T[]) =>
  Type.Unsafe<T>({ type: 'string', enum: [...values] });

const Fields = {
  name: Type.String({ minLength: 1, maxLength: 100 }),
  provider: literals(PROVIDERS),
  base_url: Type.String({ minLength: 1, maxLength: 2000, description: 'For openai the API root with /v1' }),
  api_key: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 4000, description: 'Write-only' }))),
  api_version: Type.Optional(Nullable(Type.String({ maxLength: 40, description: "Azure's api-version" }))),
  default_model: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 200 }))),
  timeout_ms: Type.Optional(Type.Integer({ minimum: 100, maximum: 600_000 })),
  max_retries: Type.Optional(Type.Integer({ minimum: 0, maximum: 10 })),
  breaker_threshold: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  breaker_cooldown_ms: Type.Optional(Type.Integer({ minimum: 100, maximum: 3_600_000 })),
  fallback_ids: Type.Optional(Type.Array(Id, { maxItems: 10 })),
  enabled: Type.Optional(Type.Boolean()),
};
const ConfigurationIn = Type.Object(Fields, { additionalProperties: false });
const ConfigurationPatch = Type.Partial(Type.Object(Fields), {
  additionalProperties: false,
  minProperties: 1,
});

const ConfigurationOut = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  provider: Type.String(),
  base_url: Type.String(),
  api_key: Nullable(Type.String({ description: '••••last4, never the key' })),
  api_version: Nullable(Type.String()),
  default_model: Nullable(Type.String()),
  timeout_ms: Type.Integer(),
  max_retries: Type.Integer(),
  breaker_threshold: Type.Integer(),
  breaker_cooldown_ms: Type.Integer(),
  fallback_ids: Type.Array(Type.Integer()),
  enabled: Type.Boolean(),
  breaker: Type.String({ description: "This server process's circuit breaker: closed, open or half_open" }),
  health: Type.Object({
    status: Type.String(),
    checked_at: Nullable(Type.String()),
    latency_ms: Nullable(Type.Integer()),
    error: Nullable(Type.String()),
  }),
  created_at: Type.String(),
  updated_at: Type.String(),
});

const TestOut = Type.Object({
  ok: Type.Boolean(),
  latency_ms: Type.Integer(),
  models: Type.Array(Type.String()),
  error: Nullable(Type.String()),
});

const audited = (id: number, name: string) => ({
  resourceType: 'llm_configuration',
  resourceId: String(id),
  details: { name },
});

export const providersRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const platform = app.platform;

  app.get(
    '/llm/configurations',
    {
      config: { permission: 'llm:read' },
      schema: {
        tags: ['llm'],
        summary: "The tenant's LLM provider configurations (keys shown as ••••last4)",
        response: { 200: Type.Object({ items: Type.Array(ConfigurationOut) }) },
      },
    },
    async (req) => ({ items: (await req.tx((tx) => listConfigurations(tx))).map(configurationView) }),
  );

  app.post(
    '/llm/configurations',
    {
      config: { permission: 'llm:manage' },
      schema: {
        tags: ['llm'],
        summary: 'Add a provider configuration; the API key is sealed and never returned',
        body: ConfigurationIn,
        response: { 201: ConfigurationOut },
      },
    },
    async (req, reply) => {
      const row = await req.tx(async (tx) => {
        const row = await createConfiguration(tx, platform, req.me.tenantId, req.me.userId, req.body);
        req.audit({ action: 'llm.configuration.created', ...audited(row.id, row.name) });
        return row;
      });
      return reply.code(201).send(configurationView(row));
    },
  );

  app.get(
    '/llm/configurations/:id',
    {
      config: { permission: 'llm:read' },
      schema: {
        tags: ['llm'],
        summary: 'A provider configuration',
        params: IdParams,
        response: { 200: ConfigurationOut },
      },
    },
    async (req) => configurationView(await req.tx((tx) => getConfiguration(tx, req.params.id))),
  );

  app.patch(
    '/llm/configurations/:id',
    {
      config: { permission: 'llm:manage' },
      schema: {
        tags: ['llm'],
        summary: 'Change a configuration (api_key: a new key, or null to remove it)',
        params: IdParams,
        body: ConfigurationPatch,
        response: { 200: ConfigurationOut },
      },
    },
    async (req) =>
      configurationView(
        await req.tx(async (tx) => {
          const row = await updateConfiguration(tx, platform, req.params.id, req.body);
          req.audit({
            action: 'llm.configuration.updated',
            ...audited(row.id, row.name),
            details: { name: row.name, changed: Object.keys(req.body) },
          });
          return row;
        }),
      ),
  );

  app.delete(
    '/llm/configurations/:id',
    {
      config: { permission: 'llm:manage' },
      schema: {
        tags: ['llm'],
        summary: 'Remove a configuration',
        params: IdParams,
        response: { 204: Type.Null() },
      },
    },
    async (req, reply) => {
      await req.tx(async (tx) => {
        const row = await deleteConfiguration(tx, req.params.id);
        req.audit({ action: 'llm.configuration.deleted', ...audited(row.id, row.name) });
      });
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/llm/configurations/:id/test',
    {
      config: { permission: 'llm:manage' },
      schema: {
        tags: ['llm'],
        summary: "Test the connection now: lists the provider's models and records the health",
        params: IdParams,
        response: { 200: TestOut },
      },
    },
    async (req) => {
      const result = await probeConfiguration(platform, req.me.tenantId, req.params.id);
      await req.tx(async (tx) => {
        await recordHealth(tx, req.params.id, result);
        req.audit({
          action: 'llm.configuration.tested',
          resourceType: 'llm_configuration',
          resourceId: String(req.params.id),
          details: { ok: result.ok, error: result.error },
        });
      });
      return { ok: result.ok, latency_ms: result.latencyMs, models: result.models, error: result.error };
    },
  );

  app.post(
    '/llm/configurations/:id/health-check',
    {
      config: { permission: 'llm:manage' },
      schema: {
        tags: ['llm'],
        summary: 'Queue a background health check of the configuration',
        params: IdParams,
        response: { 202: Type.Object({ job_id: Uuid }) },
      },
    },
    async (req, reply) => {
      const jobId = await req.tx(async (tx) => {
        await getConfiguration(tx, req.params.id);
        const jobId = await queueHealthCheck(tx, platform, req.me.tenantId, req.me.userId, [req.params.id]);
        req.audit({
          action: 'llm.configuration.health_check',
          resourceType: 'llm_configuration',
          resourceId: String(req.params.id),
          details: { job_id: jobId },
        });
        return jobId;
      });
      return reply.code(202).send({ job_id: jobId });
    },
  );

  app.get(
    '/llm/configurations/:id/provider-models',
    {
      config: { permission: 'llm:read' },
      schema: {
        tags: ['llm'],
        summary:
          "The models the provider lists (its /v1/models, Azure's /openai/models or Ollama's /api/tags)",
        params: IdParams,
        response: { 200: TestOut },
      },
    },
    async (req) => {
      const result = await probeConfiguration(platform, req.me.tenantId, req.params.id);
      return { ok: result.ok, latency_ms: result.latencyMs, models: result.models, error: result.error };
    },
  );
};
