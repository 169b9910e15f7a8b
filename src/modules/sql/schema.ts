import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { tenantRef } from '../../platform/auth/schema.ts';
import { createdAt, updatedAt } from '../../platform/db/columns.ts';
import { tenantIsolation } from '../../platform/db/tenancy.ts';

export const METHODS = ['template', 'llm', 'hybrid', 'third_party', 'manual'] as const;
export type Method = (typeof METHODS)[number];
/** The methods a tenant can make its default; `manual` is SQL a user typed or edited. */
export const DEFAULT_METHODS = ['template', 'llm', 'hybrid', 'third_party'] as const;
export const OUTCOMES = ['answered', 'refused', 'invalid', 'error', 'timeout'] as const;
export type Outcome = (typeof OUTCOMES)[number];
/** `platform`: the reporting views over the platform's own data; registered databases come later. */
export const PLATFORM_SOURCE = 'platform';

/**
 * An external text-to-SQL service the tenant registered (method `third_party`): the
 * platform POSTs the question and the reporting schema to `endpoint_url` with the key as
 * a bearer token (the contract is in the README). Its SQL is validated like any other.
 */
export const thirdPartyPlugins = pgTable(
  'third_party_plugins',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    tenantId: tenantRef(),
    name: text('name').notNull(),
    endpointUrl: text('endpoint_url').notNull(),
    /** Sealed by platform.secrets; never returned or logged. */
    apiKeySealed: text('api_key_sealed').notNull(),
    /** The key's last four characters, shown as ••••last4. */
    apiKeyLast4: text('api_key_last4').notNull(),
    timeoutMs: integer('timeout_ms').notNull().default(10_000),
    enabled: boolean('enabled').notNull().default(true),
    createdBy: uuid('created_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('third_party_plugins_tenant_name_key').on(t.tenantId, t.name),
    tenantIsolation(t.tenantId),
  ],
);

/** One row per tenant; absent means the defaults below. */
export const textToSqlConfigurations = pgTable(
  'text_to_sql_configurations',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    tenantId: tenantRef(),
    defaultMethod: text('default_method', { enum: DEFAULT_METHODS }).notNull().default('hybrid'),
    rowLimit: integer('row_limit').notNull().default(1000),
    statementTimeoutMs: integer('statement_timeout_ms').notNull().default(5000),
    enabledSources: jsonb('enabled_sources').$type<string[]>().notNull().default(sql`'["platform"]'::jsonb`),
    /** The LLM gateway binding feature whose configuration the LLM method calls (llm_bindings). */
    llmBinding: text('llm_binding'),
    /** The plugin method `third_party` calls when the question names none; a deleted plugin clears it. */
    pluginId: bigint('plugin_id', { mode: 'number' }).references(() => thirdPartyPlugins.id, {
      onDelete: 'set null',
    }),
    updatedBy: uuid('updated_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('text_to_sql_configurations_tenant_key').on(t.tenantId), tenantIsolation(t.tenantId)],
);

/** Every question asked and every query run: what was generated, how it ended, and its feedback. */
export const sqlGenerationLogs = pgTable(
  'sql_generation_logs',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    tenantId: tenantRef(),
    userId: uuid('user_id'),
    sourceId: text('source_id').notNull().default(PLATFORM_SOURCE),
    /** Null for SQL a user ran without a question. */
    question: text('question'),
    method: text('method', { enum: METHODS }).notNull(),
    sql: text('sql').notNull(),
    params: jsonb('params').$type<unknown[]>().notNull().default(sql`'[]'::jsonb`),
    confidence: numeric('confidence', { precision: 4, scale: 3 }),
    durationMs: integer('duration_ms').notNull(),
    outcome: text('outcome', { enum: OUTCOMES }).notNull(),
    rowCount: integer('row_count'),
    /** The refusal's rule code or the database's message. */
    error: text('error'),
    /** The plugin a `third_party` question went to, and how long it took to reply (history: no foreign key). */
    pluginId: bigint('plugin_id', { mode: 'number' }),
    pluginLatencyMs: integer('plugin_latency_ms'),
    feedbackCorrect: boolean('feedback_correct'),
    correctedSql: text('corrected_sql'),
    feedbackBy: uuid('feedback_by'),
    feedbackAt: timestamp('feedback_at', { withTimezone: true, precision: 3 }),
    createdAt: createdAt(),
  },
  (t) => [
    index('sql_generation_logs_tenant_idx').on(t.tenantId, t.id),
    index('sql_generation_logs_user_idx').on(t.tenantId, t.userId, t.id),
    tenantIsolation(t.tenantId),
  ],
);

export const SLOT_TYPES = ['number', 'period', 'enum', 'project', 'member'] as const;
export type SlotType = (typeof SLOT_TYPES)[number];
/** A phrasing of the question; `{slot}` marks where a slot's value is said. */
export interface Pattern {
  lang: 'zh' | 'en';
  text: string;
}
/**
 * A value the question fills. A `period` takes two parameters (from, to); the others one.
 * `values` lists an enum's allowed values (task status, review status or priority).
 */
export interface Slot {
  name: string;
  type: SlotType;
  values?: string[];
  /** Used when the question does not say it (e.g. a top-n without n). */
  default?: number | string;
}

/** A tenant's own question templates; the built-in pack lives in code (templates/pack.ts). */
export const sqlTemplates = pgTable(
  'sql_templates',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    tenantId: tenantRef(),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    patterns: jsonb('patterns').$type<Pattern[]>().notNull(),
    slots: jsonb('slots').$type<Slot[]>().notNull(),
    /** A SELECT over the reporting views with $1..$n in the order the slots give them. */
    sql: text('sql').notNull(),
    enabled: boolean('enabled').notNull().default(true),
    createdBy: uuid('created_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('sql_templates_tenant_name_key').on(t.tenantId, t.name), tenantIsolation(t.tenantId)],
);
