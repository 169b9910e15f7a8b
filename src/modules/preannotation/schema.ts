import { bigint, boolean, index, integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { tenantRef } from '../../platform/auth/schema.ts';
import { createdAt, updatedAt } from '../../platform/db/columns.ts';
import { tenantIsolation } from '../../platform/db/tenancy.ts';
import { projects } from '../annotation/schema.ts';

const serial = () => bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity();
const ref = (name: string) => bigint(name, { mode: 'number' });
const instant = (name: string) => timestamp(name, { withTimezone: true, precision: 3 });

export const BACKEND_AUTH = ['none', 'basic', 'bearer'] as const;
export type BackendAuth = (typeof BACKEND_AUTH)[number];
/** `checking` until the first probe answers; then what the last probe found. */
export const BACKEND_STATES = ['checking', 'up', 'down'] as const;
export type BackendState = (typeof BACKEND_STATES)[number];
export const CALL_OPERATIONS = ['health', 'setup', 'predict', 'webhook'] as const;
export type CallOperation = (typeof CALL_OPERATIONS)[number];

/**
 * A model server speaking Label Studio's ML-backend protocol (/health, /setup, /predict,
 * /webhook), attached to a project. Its state is written by the background probe only.
 */
export const annotationPlugins = pgTable(
  'annotation_plugins',
  {
    id: serial(),
    tenantId: tenantRef(),
    projectId: ref('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    title: text('title').notNull(),
    url: text('url').notNull(),
    authMethod: text('auth_method', { enum: BACKEND_AUTH }).notNull().default('none'),
    basicUser: text('basic_user'),
    /** The Basic password or the bearer token, sealed by platform.secrets; never returned. */
    secretSealed: text('secret_sealed'),
    /** A token handed to the backend in /setup so it can read files and tasks back (our Label Studio API). */
    accessTokenSealed: text('access_token_sealed'),
    timeoutMs: integer('timeout_ms').notNull().default(30_000),
    isInteractive: boolean('is_interactive').notNull().default(false),
    extraParams: jsonb('extra_params').$type<Record<string, unknown>>().notNull().default({}),
    /** What /setup answered; sent back with every /predict. */
    modelVersion: text('model_version'),
    modelClass: text('model_class'),
    state: text('state', { enum: BACKEND_STATES }).notNull().default('checking'),
    stateError: text('state_error'),
    checkedAt: instant('checked_at'),
    latencyMs: integer('latency_ms'),
    createdBy: uuid('created_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('annotation_plugins_project_idx').on(t.tenantId, t.projectId), tenantIsolation(t.tenantId)],
);

/** One call to a backend: what was asked, how long it took, and how it ended. */
export const pluginCallLogs = pgTable(
  'plugin_call_logs',
  {
    id: serial(),
    tenantId: tenantRef(),
    pluginId: ref('plugin_id')
      .notNull()
      .references(() => annotationPlugins.id, { onDelete: 'cascade' }),
    operation: text('operation', { enum: CALL_OPERATIONS }).notNull(),
    /** The webhook action (ANNOTATION_CREATED, START_TRAINING, …) for a webhook call. */
    action: text('action'),
    taskIds: jsonb('task_ids').$type<number[]>().notNull().default([]),
    latencyMs: integer('latency_ms').notNull(),
    ok: boolean('ok').notNull(),
    httpStatus: integer('http_status'),
    error: text('error'),
    createdAt: createdAt(),
  },
  (t) => [
    index('plugin_call_logs_plugin_idx').on(t.pluginId, t.id),
    tenantIsolation(t.tenantId, { bulk: true }),
  ],
);
