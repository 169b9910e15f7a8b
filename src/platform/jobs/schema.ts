import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgTable, real, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { tenantRef } from '../auth/schema.ts';
import { createdAt, id, updatedAt } from '../db/columns.ts';
import { tenantIsolation } from '../db/tenancy.ts';

export const JOB_STATES = ['queued', 'running', 'completed', 'failed', 'cancelled'] as const;
export type JobState = (typeof JOB_STATES)[number];

/** The user-visible record of a background job; pg-boss holds the queue mechanics. */
export const jobRuns = pgTable(
  'job_runs',
  {
    id: id(),
    tenantId: tenantRef(),
    kind: text('kind').notNull(),
    state: text('state', { enum: JOB_STATES }).notNull().default('queued'),
    progress: real('progress').notNull().default(0),
    counts: jsonb('counts').$type<Record<string, number>>().notNull().default({}),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull().default({}),
    result: jsonb('result').$type<Record<string, unknown>>(),
    error: text('error'),
    attempts: integer('attempts').notNull().default(0),
    createdBy: uuid('created_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    startedAt: timestamp('started_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    /** Written by the worker while an attempt runs; a stale one means the worker stopped. */
    heartbeatAt: timestamp('heartbeat_at', { withTimezone: true }),
  },
  (t) => [
    index('job_runs_tenant_created_idx').on(t.tenantId, t.createdAt),
    // Finds a tenant's job of a kind that has not started (quality checks join one).
    index('job_runs_queued_idx').on(t.tenantId, t.kind).where(sql`${t.state} = 'queued'`),
    // The sweeper's scan for runs whose worker stopped.
    index('job_runs_running_idx').on(t.heartbeatAt).where(sql`${t.state} = 'running'`),
    tenantIsolation(t.tenantId),
  ],
);
