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
import { tenantRef, users } from '../../platform/auth/schema.ts';
import { createdAt, updatedAt } from '../../platform/db/columns.ts';
import { reportingRead, tenantIsolation } from '../../platform/db/tenancy.ts';
import { projects } from '../annotation/schema.ts';

const serial = () => bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity();
const ref = (name: string) => bigint(name, { mode: 'number' });
const money = (name: string) => numeric(name, { precision: 20, scale: 6 });
const instant = (name: string) => timestamp(name, { withTimezone: true, precision: 3 });

export const WORK_KINDS = ['submitted', 'skipped', 'updated', 'reviewed'] as const;
export const MODES = ['count', 'time', 'project', 'hybrid'] as const;
export const VERSION_STATES = ['draft', 'approved'] as const;
export const BILL_STATES = ['draft', 'issued', 'paid', 'void'] as const;
export const RECORD_KINDS = ['work', 'project_fee', 'adjustment'] as const;
export const DIFFICULTIES = ['easy', 'normal', 'hard', 'expert'] as const;

/**
 * One piece of billable work, written in the transaction of the annotation change that
 * caused it. Bills are computed from these rows alone, so a bill can be recomputed.
 * `user_id` is always the annotation's author (a review credits the reviewed work).
 * `billable_seconds` is the increase of the annotation's lead time, capped per annotation
 * by the project's setting at the time; `was_cancelled` and `review_status` are the
 * annotation's state after this event, so the latest row of an annotation says its state.
 */
export const billingWorkRecords = pgTable(
  'billing_work_records',
  {
    id: serial(),
    tenantId: tenantRef(),
    projectId: ref('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    taskId: ref('task_id').notNull(),
    /** Not a foreign key: paid work stays on record when its annotation is deleted. */
    annotationId: ref('annotation_id').notNull(),
    userId: uuid('user_id'),
    kind: text('kind', { enum: WORK_KINDS }).notNull(),
    /** Annotations this row adds: 1 for a submission or skip, 0 for an update or review. */
    units: integer('units').notNull(),
    leadTime: numeric('lead_time', { precision: 14, scale: 3 }).notNull(),
    billableSeconds: numeric('billable_seconds', { precision: 14, scale: 3 }).notNull(),
    wasCancelled: boolean('was_cancelled').notNull(),
    reviewStatus: text('review_status'),
    occurredAt: instant('occurred_at').notNull().defaultNow(),
  },
  (t) => [
    index('billing_work_records_tenant_time_idx').on(t.tenantId, t.occurredAt),
    index('billing_work_records_annotation_idx').on(t.annotationId),
    tenantIsolation(t.tenantId),
  ],
);

/** Billing settings of a project: how hard its work is, and the lead-time cap per annotation. */
export const billingProjectSettings = pgTable(
  'billing_project_settings',
  {
    projectId: ref('project_id')
      .primaryKey()
      .references(() => projects.id, { onDelete: 'cascade' }),
    tenantId: tenantRef(),
    difficulty: text('difficulty', { enum: DIFFICULTIES }).notNull().default('normal'),
    /** Lead time counted per annotation at most; null means no cap. */
    leadTimeCapSeconds: integer('lead_time_cap_seconds'),
    updatedAt: updatedAt(),
  },
  (t) => [tenantIsolation(t.tenantId)],
);

/** A billing rule of the tenant (project_id null) or of one project; its terms are versioned. */
export const billingRules = pgTable(
  'billing_rules',
  {
    id: serial(),
    tenantId: tenantRef(),
    projectId: ref('project_id').references(() => projects.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    createdBy: uuid('created_by'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('billing_rules_scope_key').on(t.tenantId, sql`coalesce(${t.projectId}, 0)`),
    tenantIsolation(t.tenantId),
  ],
);

export interface QualityTier {
  /** Lowest quality (inclusive) of the tier, a decimal string. */
  min: string;
  multiplier: string;
}

/** The terms of a rule from `effective_from` on. A draft until an admin other than its author approves it. */
export const billingRuleVersions = pgTable(
  'billing_rule_versions',
  {
    id: serial(),
    tenantId: tenantRef(),
    ruleId: ref('rule_id')
      .notNull()
      .references(() => billingRules.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    status: text('status', { enum: VERSION_STATES }).notNull().default('draft'),
    mode: text('mode', { enum: MODES }).notNull(),
    currency: text('currency').notNull(),
    countRate: money('count_rate').notNull(),
    hourRate: money('hour_rate').notNull(),
    projectFee: money('project_fee').notNull(),
    /** Highest `min` first; below every tier nothing is paid (the floor). */
    qualityTiers: jsonb('quality_tiers').$type<QualityTier[]>().notNull(),
    difficultyMultipliers: jsonb('difficulty_multipliers').$type<Record<string, string>>().notNull(),
    payRejected: boolean('pay_rejected').notNull().default(false),
    paySkipped: boolean('pay_skipped').notNull().default(false),
    effectiveFrom: instant('effective_from').notNull(),
    createdBy: uuid('created_by'),
    approvedBy: uuid('approved_by'),
    approvedAt: instant('approved_at'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('billing_rule_versions_rule_version_key').on(t.ruleId, t.version),
    tenantIsolation(t.tenantId),
  ],
);

/** A tenant's bill for one month of its time zone. Immutable once issued, except for adjustment lines. */
export const billingBills = pgTable(
  'billing_bills',
  {
    id: serial(),
    tenantId: tenantRef(),
    /** YYYY-MM in `time_zone`. */
    period: text('period').notNull(),
    timeZone: text('time_zone').notNull(),
    periodStart: instant('period_start').notNull(),
    periodEnd: instant('period_end').notNull(),
    status: text('status', { enum: BILL_STATES }).notNull().default('draft'),
    currency: text('currency'),
    total: numeric('total', { precision: 20, scale: 6 }).notNull().default('0'),
    /** The rule versions the lines used (null in the list: the built-in defaults). */
    ruleVersionIds: jsonb('rule_version_ids').$type<(number | null)[]>().notNull().default([]),
    jobId: uuid('job_id'),
    generatedAt: instant('generated_at'),
    issuedAt: instant('issued_at'),
    paidAt: instant('paid_at'),
    voidedAt: instant('voided_at'),
    createdBy: uuid('created_by'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('billing_bills_open_period_key').on(t.tenantId, t.period).where(sql`${t.status} <> 'void'`),
    tenantIsolation(t.tenantId),
  ],
);

/**
 * A bill line: the pay of one annotator in one project under one rule version for the
 * bill's period (kind `work`), a project's fixed fee (`project_fee`), or a correction
 * added after the fact (`adjustment`). Amounts are rounded half-up to the currency's
 * minor unit per line; a bill's total is the sum of its lines.
 */
export const billingRecords = pgTable(
  'billing_records',
  {
    id: serial(),
    tenantId: tenantRef(),
    billId: ref('bill_id')
      .notNull()
      .references(() => billingBills.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: RECORD_KINDS }).notNull(),
    userId: uuid('user_id').references(() => users.id, { onDelete: 'set null' }),
    projectId: ref('project_id').references(() => projects.id, { onDelete: 'set null' }),
    period: text('period').notNull(),
    ruleVersionId: ref('rule_version_id'),
    mode: text('mode'),
    acceptedCount: integer('accepted_count').notNull().default(0),
    rejectedCount: integer('rejected_count').notNull().default(0),
    skippedCount: integer('skipped_count').notNull().default(0),
    paidCount: integer('paid_count').notNull().default(0),
    billableSeconds: numeric('billable_seconds', { precision: 16, scale: 3 }).notNull().default('0'),
    paidSeconds: numeric('paid_seconds', { precision: 16, scale: 3 }).notNull().default('0'),
    qualityScore: numeric('quality_score', { precision: 8, scale: 5 }),
    qualityMultiplier: numeric('quality_multiplier', { precision: 10, scale: 4 }).notNull().default('1'),
    difficulty: text('difficulty'),
    difficultyMultiplier: numeric('difficulty_multiplier', { precision: 10, scale: 4 })
      .notNull()
      .default('1'),
    baseAmount: money('base_amount').notNull().default('0'),
    amount: numeric('amount', { precision: 20, scale: 6 }).notNull(),
    currency: text('currency').notNull(),
    note: text('note').notNull().default(''),
    createdBy: uuid('created_by'),
    createdAt: createdAt(),
  },
  (t) => [
    index('billing_records_bill_idx').on(t.billId, t.id),
    index('billing_records_user_idx').on(t.tenantId, t.userId, t.period),
    tenantIsolation(t.tenantId),
  ],
);

/** An annotator's statement of a bill: their lines' total. Follows the bill's status. */
export const billingStatements = pgTable(
  'billing_statements',
  {
    id: serial(),
    tenantId: tenantRef(),
    billId: ref('bill_id')
      .notNull()
      .references(() => billingBills.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    total: numeric('total', { precision: 20, scale: 6 }).notNull(),
    lines: integer('lines').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('billing_statements_bill_user_key').on(t.billId, t.userId),
    index('billing_statements_user_idx').on(t.tenantId, t.userId),
    tenantIsolation(t.tenantId),
  ],
);

// Text-to-SQL reads these tables through the reporting views (as the reporting role).
export const billingRecordsReportingRead = reportingRead(billingRecords, billingRecords.tenantId);
