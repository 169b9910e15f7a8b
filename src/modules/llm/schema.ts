import {
  bigint,
  boolean,
  date,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { tenantRef, tenants } from '../../platform/auth/schema.ts';
import { createdAt, updatedAt } from '../../platform/db/columns.ts';
import { tenantIsolation } from '../../platform/db/tenancy.ts';

const serial = () => bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity();
const ref = (name: string) => bigint(name, { mode: 'number' });
const instant = (name: string) => timestamp(name, { withTimezone: true, precision: 3 });
/** Prices per million tokens and costs: exact decimals, fine enough for a fraction of a cent per token. */
const price = (name: string) => numeric(name, { precision: 20, scale: 10 });

/** `openai` covers every OpenAI-compatible endpoint (OpenAI, DeepSeek, DashScope, Zhipu, vLLM, Ollama's /v1). */
export const PROVIDERS = ['openai', 'azure_openai', 'ollama'] as const;
export type Provider = (typeof PROVIDERS)[number];
export const HEALTH_STATES = ['unknown', 'up', 'down'] as const;
export const CAPABILITIES = ['chat', 'json_schema', 'tools', 'vision', 'embeddings'] as const;
export type Capability = (typeof CAPABILITIES)[number];
export const FEATURES = ['pre_annotation', 'text_to_sql', 'ragas', 'playground'] as const;
export type Feature = (typeof FEATURES)[number];
export const BUDGET_KINDS = ['tokens', 'cost'] as const;
export const CALL_KINDS = ['chat', 'stream', 'embeddings', 'structured'] as const;

/** A tenant's connection to one LLM provider endpoint. */
export const llmConfigurations = pgTable(
  'llm_configurations',
  {
    id: serial(),
    tenantId: tenantRef(),
    name: text('name').notNull(),
    provider: text('provider', { enum: PROVIDERS }).notNull(),
    /** For `openai` the API root including `/v1`; for Azure the resource URL; for Ollama its root. */
    baseUrl: text('base_url').notNull(),
    /** Sealed by platform.secrets; never returned. */
    apiKeySealed: text('api_key_sealed'),
    /** The key's last four characters, shown as ••••last4. */
    apiKeyLast4: text('api_key_last4'),
    /** Azure OpenAI's `api-version` query parameter. */
    apiVersion: text('api_version'),
    /** The model a call uses when its binding or request names none (and when this is a fallback). */
    defaultModel: text('default_model'),
    timeoutMs: integer('timeout_ms').notNull().default(30_000),
    maxRetries: integer('max_retries').notNull().default(3),
    /** Consecutive failed calls that open the breaker, and how long it stays open. */
    breakerThreshold: integer('breaker_threshold').notNull().default(5),
    breakerCooldownMs: integer('breaker_cooldown_ms').notNull().default(30_000),
    /** Configurations tried in this order when this one fails or its breaker is open. */
    fallbackIds: jsonb('fallback_ids').$type<number[]>().notNull().default([]),
    enabled: boolean('enabled').notNull().default(true),
    /** Written by the background health check only (never on a request's path). */
    healthStatus: text('health_status', { enum: HEALTH_STATES }).notNull().default('unknown'),
    healthCheckedAt: instant('health_checked_at'),
    healthLatencyMs: integer('health_latency_ms'),
    healthError: text('health_error'),
    createdBy: uuid('created_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('llm_configurations_name_key').on(t.tenantId, t.name), tenantIsolation(t.tenantId)],
);

/** A model of a configuration: what it can do, how much context it takes and what it costs. */
export const llmModelRegistry = pgTable(
  'llm_model_registry',
  {
    id: serial(),
    tenantId: tenantRef(),
    configurationId: ref('configuration_id')
      .notNull()
      .references(() => llmConfigurations.id, { onDelete: 'cascade' }),
    model: text('model').notNull(),
    capabilities: jsonb('capabilities').$type<Capability[]>().notNull().default(['chat']),
    contextWindow: integer('context_window'),
    inputPricePerMillion: price('input_price_per_million').notNull().default('0'),
    outputPricePerMillion: price('output_price_per_million').notNull().default('0'),
    currency: text('currency').notNull().default('USD'),
    enabled: boolean('enabled').notNull().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('llm_model_registry_model_key').on(t.configurationId, t.model),
    tenantIsolation(t.tenantId),
  ],
);

/** Which configuration and model a feature of the tenant calls. */
export const llmBindings = pgTable(
  'llm_bindings',
  {
    tenantId: tenantRef(),
    feature: text('feature', { enum: FEATURES }).notNull(),
    configurationId: ref('configuration_id')
      .notNull()
      .references(() => llmConfigurations.id, { onDelete: 'cascade' }),
    /** Null: the configuration's default model. */
    model: text('model'),
    /** For features that need embeddings too (Ragas answer relevancy). */
    embeddingModel: text('embedding_model'),
    updatedAt: updatedAt(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.feature] }), tenantIsolation(t.tenantId)],
);

/** Gateway settings of a tenant; a tenant without a row has the defaults. */
export const llmSettings = pgTable(
  'llm_settings',
  {
    tenantId: uuid('tenant_id')
      .primaryKey()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    /** Prompts may hold sensitive data: stored in usage logs only when the tenant turns this on. */
    logPrompts: boolean('log_prompts').notNull().default(false),
    updatedAt: updatedAt(),
  },
  (t) => [tenantIsolation(t.tenantId)],
);

/** A monthly limit (UTC calendar month) on the tenant's tokens or spend, optionally for one feature. */
export const llmBudgets = pgTable(
  'llm_budgets',
  {
    id: serial(),
    tenantId: tenantRef(),
    name: text('name').notNull(),
    kind: text('kind', { enum: BUDGET_KINDS }).notNull(),
    /** Tokens (an integer) or an amount in `currency`. */
    limit: numeric('limit', { precision: 24, scale: 10 }).notNull(),
    currency: text('currency'),
    feature: text('feature', { enum: FEATURES }),
    warnRatio: numeric('warn_ratio', { precision: 4, scale: 3 }).notNull().default('0.8'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('llm_budgets_name_key').on(t.tenantId, t.name), tenantIsolation(t.tenantId)],
);

/** One provider request (every attempt: retries and failures too) or one refused call. */
export const llmUsageLogs = pgTable(
  'llm_usage_logs',
  {
    id: serial(),
    tenantId: tenantRef(),
    userId: uuid('user_id'),
    feature: text('feature', { enum: FEATURES }).notNull(),
    kind: text('kind', { enum: CALL_KINDS }).notNull(),
    /** Not a foreign key: usage stays on record when its configuration is deleted. */
    configurationId: ref('configuration_id'),
    model: text('model'),
    /** The API request that made the call; its attempts share it. */
    requestId: text('request_id').notNull(),
    attempt: integer('attempt').notNull().default(1),
    tokensIn: integer('tokens_in').notNull().default(0),
    tokensOut: integer('tokens_out').notNull().default(0),
    /** The estimate made before the call (gpt-tokenizer), for comparing with what was billed. */
    estimatedTokensIn: integer('estimated_tokens_in'),
    latencyMs: integer('latency_ms').notNull(),
    cost: price('cost').notNull().default('0'),
    currency: text('currency'),
    success: boolean('success').notNull(),
    errorCode: text('error_code'),
    /** The prompt, only when the tenant's llm_settings.log_prompts is on. */
    prompt: jsonb('prompt'),
    createdAt: createdAt(),
  },
  (t) => [
    index('llm_usage_logs_tenant_time_idx').on(t.tenantId, t.createdAt),
    index('llm_usage_logs_request_idx').on(t.tenantId, t.requestId),
    tenantIsolation(t.tenantId, { bulk: true }),
  ],
);

/**
 * Tokens and spend per tenant, UTC month, feature and currency: the usage insert adds to its
 * row in the same statement, so a budget check reads a few rows instead of summing the logs.
 */
export const llmUsageTotals = pgTable(
  'llm_usage_totals',
  {
    tenantId: tenantRef(),
    month: date('month', { mode: 'string' }).notNull(),
    feature: text('feature', { enum: FEATURES }).notNull(),
    /** '' for calls to unregistered models, which cost nothing on record. */
    currency: text('currency').notNull(),
    tokens: bigint('tokens', { mode: 'number' }).notNull(),
    cost: numeric('cost', { precision: 24, scale: 10 }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.month, t.feature, t.currency] }), tenantIsolation(t.tenantId)],
);

export type ConfigurationRow = typeof llmConfigurations.$inferSelect;
export type ModelRow = typeof llmModelRegistry.$inferSelect;
export type BudgetRow = typeof llmBudgets.$inferSelect;
export type UsageRow = typeof llmUsageLogs.$inferSelect;
