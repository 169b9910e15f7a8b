import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  real,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { tenants, users } from '../../platform/auth/schema.ts';
import { tenantIsolation } from '../../platform/db/tenancy.ts';
import { annotations, projects, tasks } from '../annotation/schema.ts';

export const SCORE_SCOPES = ['annotation', 'annotator'] as const;

/**
 * Quality of one annotation, or of one annotator over a project: the four dimensions in
 * [0, 1] (null when not measurable, e.g. no gold on the task) and their weighted total.
 * Billing reads `total` for its quality multiplier, so this shape is a contract.
 */
export const qualityScores = pgTable(
  'quality_scores',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    projectId: bigint('project_id', { mode: 'number' })
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    scope: text('scope', { enum: SCORE_SCOPES }).notNull(),
    annotationId: bigint('annotation_id', { mode: 'number' }).references(() => annotations.id, {
      onDelete: 'cascade',
    }),
    userId: uuid('user_id').references(() => users.id, { onDelete: 'set null' }),
    accuracy: numeric('accuracy', { precision: 6, scale: 5 }),
    completeness: numeric('completeness', { precision: 6, scale: 5 }),
    timeliness: numeric('timeliness', { precision: 6, scale: 5 }),
    consistency: numeric('consistency', { precision: 6, scale: 5 }),
    total: numeric('total', { precision: 6, scale: 5 }).notNull(),
    details: jsonb('details').$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
    computedAt: timestamp('computed_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('quality_scores_annotation_uq').on(t.annotationId).where(sql`${t.scope} = 'annotation'`),
    uniqueIndex('quality_scores_annotator_uq').on(t.projectId, t.userId).where(sql`${t.scope} = 'annotator'`),
    index('quality_scores_project_user_idx').on(t.projectId, t.userId, t.computedAt),
    // Deleting an annotation cascades here; the unique index above is partial, so it can't serve that.
    index('quality_scores_annotation_idx').on(t.annotationId),
    tenantIsolation(t.tenantId),
  ],
);

// ---------------------------------------------------------------------------------------
// Project agreement (part 1), scores' settings (part 2) and Ragas evaluations (part 7).

const tenantRef = () =>
  uuid('tenant_id')
    .notNull()
    .references(() => tenants.id, { onDelete: 'cascade' });
const projectRef = () =>
  bigint('project_id', { mode: 'number' })
    .notNull()
    .references(() => projects.id, { onDelete: 'cascade' });
const at = (name: string) => timestamp(name, { withTimezone: true, precision: 3 });

export const AGREEMENT_RUN_STATES = ['queued', 'running', 'completed', 'failed'] as const;

/** One computation of a project's agreement: its summary, read by GET …/agreement. */
export const qualityAgreementRuns = pgTable(
  'quality_agreement_runs',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    tenantId: tenantRef(),
    projectId: projectRef(),
    status: text('status', { enum: AGREEMENT_RUN_STATES }).notNull().default('queued'),
    /** The background job that computes it; null when computed in the request. */
    jobId: uuid('job_id'),
    /** Recompute only the tasks whose annotations changed since they were last computed. */
    incremental: boolean('incremental').notNull().default(true),
    tasksSeen: integer('tasks_seen').notNull().default(0),
    tasksRecomputed: integer('tasks_recomputed').notNull().default(0),
    /** Tasks with at least two annotations, which have a score. */
    tasksScored: integer('tasks_scored').notNull().default(0),
    meanScore: real('mean_score'),
    /** Per control: metric, mean pairwise score, and alpha / kappa over the project. */
    controls: jsonb('controls').$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
    /** Per annotator pair: tasks both annotated and their mean score. */
    pairs: jsonb('pairs').$type<unknown[]>().notNull().default(sql`'[]'::jsonb`),
    error: text('error'),
    createdBy: uuid('created_by'),
    createdAt: at('created_at').notNull().defaultNow(),
    finishedAt: at('finished_at'),
  },
  (t) => [index('quality_agreement_runs_project_idx').on(t.projectId, t.id), tenantIsolation(t.tenantId)],
);

/**
 * The agreement of one task as last computed, with the signature of the annotations it was
 * computed from (count, id sum, latest update): a run recomputes a task only when it changed.
 */
export const qualityAgreementTasks = pgTable(
  'quality_agreement_tasks',
  {
    taskId: bigint('task_id', { mode: 'number' })
      .primaryKey()
      .references(() => tasks.id, { onDelete: 'cascade' }),
    tenantId: tenantRef(),
    projectId: projectRef(),
    signature: text('signature').notNull(),
    annotations: integer('annotations').notNull(),
    /** Mean pairwise score; null with fewer than two annotations. */
    score: real('score'),
    /** Mean pairwise score per control. */
    controls: jsonb('controls').$type<Record<string, number>>().notNull(),
    /** The task's annotators (user ids), each once: pairs and ratings name them by position. */
    annotators: jsonb('annotators').$type<string[]>().notNull(),
    /** [annotator, annotator, score] per pair of annotations. */
    pairs: jsonb('pairs').$type<[number, number, number][]>().notNull(),
    /** Per control with categorical values: [annotator, value] per annotation, for alpha and kappa. */
    ratings: jsonb('ratings').$type<Record<string, [number, string | number][]>>().notNull(),
    computedAt: at('computed_at').notNull().defaultNow(),
  },
  (t) => [
    index('quality_agreement_tasks_project_idx').on(t.projectId, t.taskId),
    tenantIsolation(t.tenantId),
  ],
);

export interface ScoreWeights {
  accuracy: number;
  completeness: number;
  timeliness: number;
  consistency: number;
}
export const DEFAULT_WEIGHTS: ScoreWeights = {
  accuracy: 0.4,
  completeness: 0.3,
  timeliness: 0.2,
  consistency: 0.1,
};

/** A project's quality settings: score weights, required controls, expected duration, gold ratio. */
export const qualityProjectConfigs = pgTable(
  'quality_project_configs',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    tenantId: tenantRef(),
    projectId: projectRef(),
    weights: jsonb('weights')
      .$type<ScoreWeights>()
      .notNull()
      .default(sql`'{"accuracy":0.4,"completeness":0.3,"timeliness":0.2,"consistency":0.1}'::jsonb`),
    /** Control names an annotation must fill; empty means every control of the config. */
    requiredFields: text('required_fields').array().notNull().default(sql`'{}'::text[]`),
    /** Seconds an annotation is expected to take (timeliness). */
    expectedDurationSeconds: real('expected_duration_seconds').notNull().default(120),
    /** Share of tasks meant to carry a ground-truth annotation. */
    goldRatio: real('gold_ratio').notNull().default(0.1),
    updatedBy: uuid('updated_by'),
    createdAt: at('created_at').notNull().defaultNow(),
    updatedAt: at('updated_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('quality_project_configs_project_uq').on(t.projectId), tenantIsolation(t.tenantId)],
);

/**
 * One RAG record (question, answer, retrieved contexts, reference) with its Ragas metric
 * scores by Ragas' metric names. LLM-based metrics add their names to `metrics` when the
 * LLM integration computes them; `skipped` says why a metric has no score.
 */
export const ragasEvaluations = pgTable(
  'ragas_evaluations',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    tenantId: tenantRef(),
    projectId: bigint('project_id', { mode: 'number' }).references(() => projects.id, {
      onDelete: 'cascade',
    }),
    dataset: text('dataset').notNull(),
    question: text('question'),
    answer: text('answer'),
    contexts: jsonb('contexts').$type<string[]>().notNull().default(sql`'[]'::jsonb`),
    reference: text('reference'),
    referenceContexts: jsonb('reference_contexts').$type<string[]>().notNull().default(sql`'[]'::jsonb`),
    metrics: jsonb('metrics').$type<Record<string, number>>().notNull().default(sql`'{}'::jsonb`),
    skipped: jsonb('skipped').$type<Record<string, string>>().notNull().default(sql`'{}'::jsonb`),
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
    createdBy: uuid('created_by'),
    createdAt: at('created_at').notNull().defaultNow(),
    evaluatedAt: at('evaluated_at'),
  },
  (t) => [
    index('ragas_evaluations_dataset_idx').on(t.tenantId, t.dataset, t.id),
    tenantIsolation(t.tenantId),
  ],
);
