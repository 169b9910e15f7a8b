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
import { tenantRef, users } from '../../platform/auth/schema.ts';
import { reportingRead, tenantIsolation } from '../../platform/db/tenancy.ts';
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
    tenantId: tenantRef(),
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
    /** Per LLM-based metric, the model's verdicts its score came from (statements, reasons). */
    details: jsonb('details').$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
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

// ---------------------------------------------------------------- rules, checks, issues

const serial = () => bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity();
const ref = (name: string) => bigint(name, { mode: 'number' });
const createdAt = () => at('created_at').notNull().defaultNow();
const updatedAt = () => at('updated_at').notNull().defaultNow();

export const RULE_TYPES = [
  'required',
  'regex',
  'text_length',
  'no_overlap',
  'allowed_labels',
  'min_lead_time',
  'agreement',
  'expression',
] as const;
export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export const ISSUE_STATES = ['open', 'in_progress', 'resolved', 'wont_fix'] as const;

/** A check run on each submitted annotation of a project; `version` rises with every change. */
export const qualityRules = pgTable(
  'quality_rules',
  {
    id: serial(),
    tenantId: tenantRef(),
    projectId: projectRef(),
    name: text('name').notNull(),
    type: text('type', { enum: RULE_TYPES }).notNull(),
    config: jsonb('config').$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
    severity: text('severity', { enum: SEVERITIES }).notNull().default('medium'),
    priority: integer('priority').notNull().default(0),
    enabled: boolean('enabled').notNull().default(true),
    version: integer('version').notNull().default(1),
    /** The template it came from, when applied from one. */
    template: text('template'),
    createdBy: uuid('created_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('quality_rules_project_idx').on(t.projectId, t.enabled, t.priority),
    tenantIsolation(t.tenantId),
  ],
);

/** Every version of every rule, as it was: check results name the version they ran. */
export const qualityRuleVersions = pgTable(
  'quality_rule_versions',
  {
    id: serial(),
    tenantId: tenantRef(),
    ruleId: ref('rule_id')
      .notNull()
      .references(() => qualityRules.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    snapshot: jsonb('snapshot').$type<Record<string, unknown>>().notNull(),
    changedBy: uuid('changed_by'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('quality_rule_versions_rule_uq').on(t.ruleId, t.version), tenantIsolation(t.tenantId)],
);

/** A tenant's own named bundle of rules (the built-in ones, "basic" and "nlp", live in code). */
export const qualityRuleTemplates = pgTable(
  'quality_rule_templates',
  {
    id: serial(),
    tenantId: tenantRef(),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    rules: jsonb('rules').$type<Record<string, unknown>[]>().notNull(),
    createdBy: uuid('created_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('quality_rule_templates_name_uq').on(t.tenantId, t.name), tenantIsolation(t.tenantId)],
);

/** One rule run on one annotation. */
export const qualityCheckResults = pgTable(
  'quality_check_results',
  {
    id: serial(),
    tenantId: tenantRef(),
    projectId: projectRef(),
    annotationId: ref('annotation_id')
      .notNull()
      .references(() => annotations.id, { onDelete: 'cascade' }),
    ruleId: ref('rule_id')
      .notNull()
      .references(() => qualityRules.id, { onDelete: 'cascade' }),
    ruleVersion: integer('rule_version').notNull(),
    passed: boolean('passed').notNull(),
    message: text('message').notNull().default(''),
    details: jsonb('details').$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
    /** The job run that checked it. */
    jobId: uuid('job_id'),
    checkedAt: createdAt(),
  },
  (t) => [
    index('quality_check_results_annotation_idx').on(t.annotationId, t.id),
    index('quality_check_results_project_idx').on(t.projectId, t.id),
    tenantIsolation(t.tenantId),
  ],
);

/** A failed check to act on; one live issue per annotation and rule. */
export const qualityIssues = pgTable(
  'quality_issues',
  {
    id: serial(),
    tenantId: tenantRef(),
    projectId: projectRef(),
    annotationId: ref('annotation_id')
      .notNull()
      .references(() => annotations.id, { onDelete: 'cascade' }),
    ruleId: ref('rule_id').references(() => qualityRules.id, { onDelete: 'set null' }),
    checkResultId: ref('check_result_id').references(() => qualityCheckResults.id, { onDelete: 'set null' }),
    severity: text('severity', { enum: SEVERITIES }).notNull(),
    message: text('message').notNull(),
    status: text('status', { enum: ISSUE_STATES }).notNull().default('open'),
    assigneeId: uuid('assignee_id').references(() => users.id, { onDelete: 'set null' }),
    resolvedAt: at('resolved_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('quality_issues_live_uq')
      .on(t.annotationId, t.ruleId)
      .where(sql`${t.status} in ('open', 'in_progress')`),
    index('quality_issues_project_idx').on(t.projectId, t.status, t.id),
    tenantIsolation(t.tenantId),
  ],
);

// ---------------------------------------------------------------- improvement loop

export const IMPROVEMENT_STATES = ['pending', 'in_progress', 'submitted', 'approved', 'rejected'] as const;

/** Per project: whether failed checks become improvement tasks, and for whom. */
export const qualityWorkflows = pgTable(
  'quality_workflows',
  {
    id: serial(),
    tenantId: tenantRef(),
    projectId: projectRef(),
    stages: jsonb('stages').$type<string[]>().notNull().default(sql`'["check","improve","review"]'::jsonb`),
    autoCreateImprovement: boolean('auto_create_improvement').notNull().default(false),
    /** Lowest issue severity that makes a task automatically. */
    minSeverity: text('min_severity', { enum: SEVERITIES }).notNull().default('medium'),
    /** 'annotator': the annotation's author; 'user': assigneeId; 'none': unassigned. */
    autoAssign: text('auto_assign', { enum: ['annotator', 'user', 'none'] })
      .notNull()
      .default('annotator'),
    assigneeId: uuid('assignee_id').references(() => users.id, { onDelete: 'set null' }),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('quality_workflows_project_uq').on(t.projectId), tenantIsolation(t.tenantId)],
);

export const improvementTasks = pgTable(
  'improvement_tasks',
  {
    id: serial(),
    tenantId: tenantRef(),
    projectId: projectRef(),
    annotationId: ref('annotation_id')
      .notNull()
      .references(() => annotations.id, { onDelete: 'cascade' }),
    issueId: ref('issue_id').references(() => qualityIssues.id, { onDelete: 'set null' }),
    status: text('status', { enum: IMPROVEMENT_STATES }).notNull().default('pending'),
    assigneeId: uuid('assignee_id').references(() => users.id, { onDelete: 'set null' }),
    /** The annotation's result when the task was made; kept whatever happens after. */
    originalResult: jsonb('original_result').$type<unknown[]>().notNull(),
    proposedResult: jsonb('proposed_result').$type<unknown[]>(),
    comment: text('comment').notNull().default(''),
    createdBy: uuid('created_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('improvement_tasks_project_idx').on(t.projectId, t.status, t.id),
    index('improvement_tasks_assignee_idx').on(t.assigneeId, t.status),
    tenantIsolation(t.tenantId),
  ],
);

/** Every move of an improvement task; an approval also records the result it replaced. */
export const improvementHistory = pgTable(
  'improvement_history',
  {
    id: serial(),
    tenantId: tenantRef(),
    improvementTaskId: ref('improvement_task_id')
      .notNull()
      .references(() => improvementTasks.id, { onDelete: 'cascade' }),
    fromStatus: text('from_status', { enum: IMPROVEMENT_STATES }),
    toStatus: text('to_status', { enum: IMPROVEMENT_STATES }).notNull(),
    actorId: uuid('actor_id'),
    comment: text('comment').notNull().default(''),
    details: jsonb('details').$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
    createdAt: createdAt(),
  },
  (t) => [index('improvement_history_task_idx').on(t.improvementTaskId, t.id), tenantIsolation(t.tenantId)],
);

// ---------------------------------------------------------------- alerts and notifications

export const CHANNELS = ['in_app', 'webhook', 'email'] as const;
export const ALERT_STATES = ['open', 'acknowledged', 'resolved'] as const;

export interface AlertRecipients {
  userIds: string[];
  emails: string[];
}

/** Per project: when a score raises an alert, and who hears of it how. */
export const alertConfigs = pgTable(
  'alert_configs',
  {
    id: serial(),
    tenantId: tenantRef(),
    projectId: projectRef(),
    enabled: boolean('enabled').notNull().default(true),
    /** Below these an alert is raised: total, accuracy, completeness, timeliness, consistency, agreement. */
    thresholds: jsonb('thresholds').$type<Record<string, number>>().notNull(),
    channels: text('channels').array().notNull(),
    recipients: jsonb('recipients').$type<AlertRecipients>().notNull(),
    webhookUrl: text('webhook_url'),
    webhookSecretEncrypted: text('webhook_secret_encrypted'),
    silenceUntil: at('silence_until'),
    escalateAfterHours: real('escalate_after_hours'),
    escalationRecipients: jsonb('escalation_recipients').$type<AlertRecipients>(),
    /** The last quality_scores row evaluated. */
    lastScoreId: ref('last_score_id').notNull().default(0),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('alert_configs_project_uq').on(t.projectId), tenantIsolation(t.tenantId)],
);

export const qualityAlerts = pgTable(
  'quality_alerts',
  {
    id: serial(),
    tenantId: tenantRef(),
    projectId: projectRef(),
    /** total, a dimension, or agreement. */
    metric: text('metric').notNull(),
    value: real('value').notNull(),
    threshold: real('threshold').notNull(),
    severity: text('severity', { enum: SEVERITIES }).notNull(),
    status: text('status', { enum: ALERT_STATES }).notNull().default('open'),
    escalationLevel: integer('escalation_level').notNull().default(0),
    annotationId: ref('annotation_id').references(() => annotations.id, { onDelete: 'set null' }),
    scoreId: ref('score_id'),
    message: text('message').notNull(),
    acknowledgedBy: uuid('acknowledged_by'),
    acknowledgedAt: at('acknowledged_at'),
    resolvedBy: uuid('resolved_by'),
    resolvedAt: at('resolved_at'),
    lastEscalatedAt: at('last_escalated_at'),
    createdAt: createdAt(),
  },
  (t) => [
    index('quality_alerts_project_idx').on(t.projectId, t.status, t.id),
    index('quality_alerts_open_idx').on(t.createdAt).where(sql`${t.status} = 'open'`),
    tenantIsolation(t.tenantId),
  ],
);

/** In-app notifications: the console polls GET /notifications. */
export const notifications = pgTable(
  'notifications',
  {
    id: serial(),
    tenantId: tenantRef(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    kind: text('kind').notNull(),
    title: text('title').notNull(),
    body: text('body').notNull().default(''),
    data: jsonb('data').$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
    readAt: at('read_at'),
    createdAt: createdAt(),
  },
  (t) => [index('notifications_user_idx').on(t.userId, t.id), tenantIsolation(t.tenantId)],
);

/** One message to send by webhook or e-mail; a queued job sends it and retries. */
export const notificationDeliveries = pgTable(
  'notification_deliveries',
  {
    id: serial(),
    tenantId: tenantRef(),
    /** Null for a tenant-wide message outside any project (the license's expiry warnings). */
    projectId: bigint('project_id', { mode: 'number' }).references(() => projects.id, {
      onDelete: 'cascade',
    }),
    channel: text('channel', { enum: ['webhook', 'email'] }).notNull(),
    target: text('target').notNull(),
    event: text('event').notNull(),
    subject: text('subject').notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    /** A report run whose file goes along as an attachment. */
    reportRunId: ref('report_run_id'),
    status: text('status', { enum: ['pending', 'delivered', 'failed', 'disabled'] })
      .notNull()
      .default('pending'),
    attempts: integer('attempts').notNull().default(0),
    responseStatus: integer('response_status'),
    error: text('error'),
    createdAt: createdAt(),
    deliveredAt: at('delivered_at'),
  },
  (t) => [index('notification_deliveries_project_idx').on(t.projectId, t.id), tenantIsolation(t.tenantId)],
);

// ---------------------------------------------------------------- reports

export const REPORT_TYPES = ['summary', 'ranking', 'trend'] as const;
export const REPORT_FORMATS = ['xlsx', 'csv', 'html'] as const;

export const reportSchedules = pgTable(
  'report_schedules',
  {
    id: serial(),
    tenantId: tenantRef(),
    projectId: projectRef(),
    report: text('report', { enum: REPORT_TYPES }).notNull(),
    format: text('format', { enum: REPORT_FORMATS }).notNull(),
    /** Five-field cron, UTC. */
    cron: text('cron').notNull(),
    channels: text('channels').array().notNull(),
    recipients: jsonb('recipients').$type<AlertRecipients>().notNull(),
    enabled: boolean('enabled').notNull().default(true),
    nextRunAt: at('next_run_at').notNull(),
    lastRunAt: at('last_run_at'),
    createdBy: uuid('created_by'),
    createdAt: createdAt(),
  },
  (t) => [
    index('report_schedules_due_idx').on(t.nextRunAt).where(sql`${t.enabled}`),
    tenantIsolation(t.tenantId),
  ],
);

/** One produced report: its parameters fix the data it covers, so it can be made again. */
export const reportRuns = pgTable(
  'report_runs',
  {
    id: serial(),
    tenantId: tenantRef(),
    projectId: projectRef(),
    scheduleId: ref('schedule_id').references(() => reportSchedules.id, { onDelete: 'set null' }),
    report: text('report', { enum: REPORT_TYPES }).notNull(),
    format: text('format', { enum: REPORT_FORMATS }).notNull(),
    periodFrom: at('period_from').notNull(),
    periodTo: at('period_to').notNull(),
    status: text('status', { enum: ['queued', 'completed', 'failed'] })
      .notNull()
      .default('queued'),
    /** SHA-256 of the report's rows as JSON: a rerun from stored data must match it. */
    dataSha256: text('data_sha256'),
    rowCount: integer('row_count'),
    error: text('error'),
    createdBy: uuid('created_by'),
    createdAt: createdAt(),
    finishedAt: at('finished_at'),
  },
  (t) => [index('report_runs_project_idx').on(t.projectId, t.id), tenantIsolation(t.tenantId)],
);

// Text-to-SQL reads these tables through the reporting views (as the reporting role).
export const qualityScoresReportingRead = reportingRead(qualityScores, qualityScores.tenantId);
