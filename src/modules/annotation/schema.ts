import { sql } from 'drizzle-orm';
import {
  type AnyPgColumn,
  bigint,
  boolean,
  customType,
  index,
  integer,
  jsonb,
  pgTable,
  real,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { tenantRef, users } from '../../platform/auth/schema.ts';
import { createdAt, updatedAt } from '../../platform/db/columns.ts';
import { reportingRead, tenantIsolation } from '../../platform/db/tenancy.ts';
import type { TaskFilter } from './tasks/tasks.service.ts';

// Label Studio identifies projects, tasks, annotations and predictions by integers; so do we.
const serial = () => bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity();
const ref = (name: string) => bigint(name, { mode: 'number' });
const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

/**
 * Every string in a task's data, nested ones too, as one text (a JSON array of them, so a
 * substring search escapes its term as JSON does). Written by PostgreSQL itself, so every
 * way a task is inserted keeps it; the trigram index on it answers substring search.
 */
export const TASK_SEARCH_TEXT = sql`jsonb_path_query_array(data, 'strict $.** ? (@.type() == "string")')::text`;

export const ORDERINGS = ['id', 'random', 'uncertainty'] as const;
export const SKIP_POLICIES = ['requeue_me', 'requeue_others', 'ignore'] as const;
export const PROJECT_ROLES = ['manager', 'reviewer', 'annotator', 'viewer'] as const;
export const TASK_STATUSES = ['pending', 'in_progress', 'completed', 'reviewed', 'cancelled'] as const;
export const PRIORITIES = ['low', 'medium', 'high', 'urgent'] as const;
export const REVIEW_STATES = [
  'pending',
  'in_review',
  'approved',
  'rejected',
  'modification_requested',
] as const;

/** The parsed labeling config, stored beside the XML so results validate without re-parsing. */
export interface ParsedConfig {
  objects: { name: string; type: string; value: string }[];
  controls: { name: string; type: string; toName: string[]; labels: string[] }[];
  dataKeys: string[];
  /** What Label Studio accepts but deserves a word: duplicate values, tags this editor cannot show. */
  warnings?: ConfigWarning[];
}

export const CONFIG_WARNING_CODES = [
  'duplicate_value',
  'editor_cannot_show',
  'unknown_tag',
  'to_name_not_object',
] as const;

/** A warning on a labeling config, with a stable code and its parameters for the console. */
export interface ConfigWarning {
  code: (typeof CONFIG_WARNING_CODES)[number];
  message: string;
  tag: string;
  control?: string;
  value?: string;
}

export const projects = pgTable(
  'projects',
  {
    id: serial(),
    tenantId: tenantRef(),
    title: text('title').notNull(),
    description: text('description').notNull().default(''),
    instructions: text('instructions').notNull().default(''),
    labelConfig: text('label_config').notNull(),
    parsedConfig: jsonb('parsed_config').$type<ParsedConfig>().notNull(),
    /** Annotations wanted per task (Label Studio's maximum_annotations). */
    overlap: integer('overlap').notNull().default(1),
    /** Share of tasks, in percent, that get `overlap` annotations; the rest get one. */
    overlapCoverage: smallint('overlap_coverage').notNull().default(100),
    ordering: text('ordering', { enum: ORDERINGS }).notNull().default('id'),
    reservationMinutes: integer('reservation_minutes').notNull().default(60),
    annotatorTaskLimit: integer('annotator_task_limit'),
    skipPolicy: text('skip_policy', { enum: SKIP_POLICIES }).notNull().default('requeue_others'),
    reviewRequired: boolean('review_required').notNull().default(false),
    /** Tasks in the project; kept by imports and deletes so lists need not count. */
    taskCount: bigint('task_count', { mode: 'number' }).notNull().default(0),
    /** Set when a delete job took the project: it is gone for the API while the job empties it. */
    deletingSince: timestamp('deleting_since', { withTimezone: true, precision: 3 }),
    createdBy: uuid('created_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('projects_tenant_created_idx').on(t.tenantId, t.createdAt),
    // The target of (project_id, tenant_id) foreign keys: one check proves both.
    uniqueIndex('projects_id_tenant_key').on(t.id, t.tenantId),
    tenantIsolation(t.tenantId),
  ],
);

/**
 * Documents and tasks name their project and tenant without a foreign key: a key checks
 * each inserted row by itself (a per-row trigger, the largest cost of an import). The
 * checks are statement-level triggers instead (drizzle/0020_project_rows_check.sql): each
 * insert checks its rows' distinct (project_id, tenant_id) pairs once and locks those
 * projects against deletion and key change until it commits, as the key's check would;
 * a project's delete deletes its documents and tasks, its key does not change under them.
 */

export const projectMembers = pgTable(
  'project_members',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: tenantRef(),
    projectId: ref('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: text('role', { enum: PROJECT_ROLES }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('project_members_project_user_key').on(t.projectId, t.userId),
    index('project_members_user_idx').on(t.userId),
    tenantIsolation(t.tenantId),
  ],
);

export const imports = pgTable(
  'imports',
  {
    id: serial(),
    tenantId: tenantRef(),
    projectId: ref('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    jobId: uuid('job_id'),
    status: text('status', { enum: ['queued', 'running', 'completed', 'failed'] })
      .notNull()
      .default('queued'),
    format: text('format').notNull(),
    source: text('source').notNull(),
    options: jsonb('options').$type<Record<string, unknown>>().notNull().default({}),
    counts: jsonb('counts').$type<Record<string, number>>().notNull().default({}),
    errors: jsonb('errors')
      .$type<{ record: number | null; line: number | null; message: string }[]>()
      .notNull()
      .default([]),
    /** Where the uploaded file waits for the job, until it has been applied. */
    stagedPath: text('staged_path'),
    createdBy: uuid('created_by'),
    createdAt: createdAt(),
    finishedAt: timestamp('finished_at', { withTimezone: true, precision: 3 }),
  },
  (t) => [index('imports_project_idx').on(t.projectId, t.id), tenantIsolation(t.tenantId)],
);

/**
 * Source records. A task is made from one; its hash finds duplicates within a project. The
 * hash has no index: an import that skips duplicates reads its project's hashes once, and
 * every other import saves a random index insert per task.
 */
export const documents = pgTable(
  'documents',
  {
    id: serial(),
    tenantId: uuid('tenant_id').notNull(),
    projectId: ref('project_id').notNull(),
    sourceType: text('source_type').notNull(),
    sourceConfig: jsonb('source_config').$type<Record<string, unknown>>().notNull().default({}),
    content: jsonb('content').$type<Record<string, unknown>>().notNull(),
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull().default({}),
    contentHash: text('content_hash').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    // The delete job and the duplicate check walk a project's documents.
    index('documents_project_id_idx').on(t.projectId, t.id),
    tenantIsolation(t.tenantId, { bulk: true }),
  ],
);

export const tasks = pgTable(
  'tasks',
  {
    id: serial(),
    tenantId: uuid('tenant_id').notNull(),
    projectId: ref('project_id').notNull(),
    /**
     * The document and the import the task was made from. Not foreign keys, on purpose: a
     * check per imported row each, for rows that are only deleted with their project (a
     * document also when its last task is deleted), which deletes the task too.
     */
    documentId: ref('document_id'),
    importId: ref('import_id'),
    data: jsonb('data').$type<Record<string, unknown>>().notNull(),
    meta: jsonb('meta').$type<Record<string, unknown>>().notNull().default({}),
    status: text('status', { enum: TASK_STATUSES }).notNull().default('pending'),
    priority: text('priority', { enum: PRIORITIES }).notNull().default('medium'),
    /** Annotations this task needs (the project's overlap, or 1 outside the coverage share). */
    overlap: integer('overlap').notNull().default(1),
    totalAnnotations: integer('total_annotations').notNull().default(0),
    cancelledAnnotations: integer('cancelled_annotations').notNull().default(0),
    totalPredictions: integer('total_predictions').notNull().default(0),
    isFinished: boolean('is_finished').notNull().default(false),
    /** The lowest prediction score: "uncertainty" ordering serves these first. */
    predictionScore: real('prediction_score'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    updatedBy: uuid('updated_by'),
    searchText: text('search_text').generatedAlwaysAs(TASK_SEARCH_TEXT),
    /**
     * The data's words for full-text search when they are not separated by spaces (Chinese):
     * the strings segmented into words at import (jieba), joined by spaces; null otherwise.
     */
    searchWords: text('search_words'),
    /** The full-text document: the segmented words, or every string of the data. */
    searchDoc: tsvector('search_doc').generatedAlwaysAs(
      sql`coalesce(to_tsvector('simple', search_words), jsonb_to_tsvector('simple', data, '["string"]'))`,
    ),
  },
  (t) => [
    index('tasks_project_id_idx').on(t.projectId, t.id),
    index('tasks_project_status_idx').on(t.projectId, t.status, t.id),
    index('tasks_project_finished_idx').on(t.projectId, t.isFinished, t.id),
    // The data manager's score sort and bounds walk scored tasks only; unscored ones (every
    // imported task without predictions) stay out, a saved index insert per imported task.
    index('tasks_project_score_idx')
      .on(t.projectId, t.predictionScore, t.id)
      .where(sql`${t.predictionScore} is not null`),
    // /next under "uncertainty" walks open scored tasks lowest score first; finished ones
    // (the lowest scores, soon) leave this index, so the walk never steps over them.
    index('tasks_open_score_idx')
      .on(t.projectId, t.predictionScore, t.id)
      .where(sql`not ${t.isFinished} and ${t.predictionScore} is not null`),
    index('tasks_project_created_idx').on(t.projectId, t.createdAt, t.id),
    // The data manager sorts by annotation count with a (total_annotations, id) keyset cursor.
    index('tasks_project_annotations_idx').on(t.projectId, t.totalAnnotations, t.id),
    // Substring search (ILIKE on search_text) and full-text search (@@ on search_doc).
    index('tasks_search_text_trgm_idx').using('gin', t.searchText.op('gin_trgm_ops')),
    index('tasks_search_doc_idx').using('gin', t.searchDoc),
    tenantIsolation(t.tenantId, { bulk: true }),
  ],
);

export const annotations = pgTable(
  'annotations',
  {
    id: serial(),
    tenantId: tenantRef(),
    projectId: ref('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    taskId: ref('task_id')
      .notNull()
      .references(() => tasks.id, { onDelete: 'cascade' }),
    completedBy: uuid('completed_by').references(() => users.id, { onDelete: 'set null' }),
    /** An annotator named in an imported file who has no account here. */
    completedByExternal: text('completed_by_external'),
    result: jsonb('result').$type<unknown[]>().notNull().default(sql`'[]'::jsonb`),
    leadTime: real('lead_time').notNull().default(0),
    wasCancelled: boolean('was_cancelled').notNull().default(false),
    groundTruth: boolean('ground_truth').notNull().default(false),
    /** A reviewer's fix points at the annotation it corrects, which is kept. */
    parentAnnotationId: ref('parent_annotation_id'),
    parentPredictionId: ref('parent_prediction_id'),
    reviewStatus: text('review_status', { enum: REVIEW_STATES }),
    importId: ref('import_id').references(() => imports.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('annotations_task_idx').on(t.taskId),
    index('annotations_project_user_idx').on(t.projectId, t.completedBy),
    index('annotations_project_id_idx').on(t.projectId, t.id),
    // The review queue walks only annotations awaiting a decision, in id order.
    index('annotations_review_queue_idx')
      .on(t.projectId, t.id)
      .where(
        sql`not ${t.wasCancelled} and (${t.reviewStatus} is null or ${t.reviewStatus} in ('pending', 'in_review'))`,
      ),
    tenantIsolation(t.tenantId),
  ],
);

export const annotationDrafts = pgTable(
  'annotation_drafts',
  {
    id: serial(),
    tenantId: tenantRef(),
    projectId: ref('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    taskId: ref('task_id')
      .notNull()
      .references(() => tasks.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    annotationId: ref('annotation_id').references(() => annotations.id, { onDelete: 'cascade' }),
    result: jsonb('result').$type<unknown[]>().notNull(),
    leadTime: real('lead_time').notNull().default(0),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('annotation_drafts_task_user_key').on(t.taskId, t.userId), tenantIsolation(t.tenantId)],
);

export const predictions = pgTable(
  'predictions',
  {
    id: serial(),
    tenantId: tenantRef(),
    projectId: ref('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    taskId: ref('task_id')
      .notNull()
      .references(() => tasks.id, { onDelete: 'cascade' }),
    result: jsonb('result').$type<unknown[]>().notNull(),
    score: real('score'),
    modelVersion: text('model_version').notNull().default(''),
    importId: ref('import_id').references(() => imports.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
  },
  (t) => [
    index('predictions_task_idx').on(t.taskId),
    // Lists by model version walk (project, model_version, id) with a keyset cursor.
    index('predictions_project_model_id_idx').on(t.projectId, t.modelVersion, t.id),
    tenantIsolation(t.tenantId),
  ],
);

export const taskAssignments = pgTable(
  'task_assignments',
  {
    id: serial(),
    tenantId: tenantRef(),
    projectId: ref('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    taskId: ref('task_id')
      .notNull()
      .references(() => tasks.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: ['annotate', 'review'] })
      .notNull()
      .default('annotate'),
    source: text('source', { enum: ['manual', 'auto'] })
      .notNull()
      .default('manual'),
    priority: smallint('priority').notNull().default(0),
    dueAt: timestamp('due_at', { withTimezone: true, precision: 3 }),
    createdBy: uuid('created_by'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('task_assignments_task_user_kind_key').on(t.taskId, t.userId, t.kind),
    index('task_assignments_user_idx').on(t.projectId, t.userId, t.kind),
    tenantIsolation(t.tenantId),
  ],
);

/** A reservation: the task is held for its annotator until `expires_at`. */
export const taskLocks = pgTable(
  'task_locks',
  {
    id: serial(),
    tenantId: tenantRef(),
    projectId: ref('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    taskId: ref('task_id')
      .notNull()
      .references(() => tasks.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    expiresAt: timestamp('expires_at', { withTimezone: true, precision: 3 }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('task_locks_task_user_key').on(t.taskId, t.userId),
    index('task_locks_project_user_idx').on(t.projectId, t.userId),
    tenantIsolation(t.tenantId),
  ],
);

export const reviewRecords = pgTable(
  'review_records',
  {
    id: serial(),
    tenantId: tenantRef(),
    projectId: ref('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    taskId: ref('task_id')
      .notNull()
      .references(() => tasks.id, { onDelete: 'cascade' }),
    /**
     * The reviewed annotation. Deliberately not a foreign key: a reject that removes the
     * annotation keeps the record, its id and `annotation_snapshot` as history.
     */
    annotationId: ref('annotation_id').notNull(),
    /** The annotation as it was when a reject removed it (Label Studio shape). */
    annotationSnapshot: jsonb('annotation_snapshot').$type<Record<string, unknown>>(),
    reviewerId: uuid('reviewer_id').references(() => users.id, { onDelete: 'set null' }),
    status: text('status', { enum: REVIEW_STATES }).notNull().default('pending'),
    /** On reject: send the task back to its annotator, or remove the annotation. */
    rejectMode: text('reject_mode', { enum: ['requeue', 'remove'] }),
    fixedAnnotationId: ref('fixed_annotation_id'),
    comment: text('comment').notNull().default(''),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('review_records_project_status_idx').on(t.projectId, t.status, t.id),
    index('review_records_annotation_idx').on(t.annotationId),
    tenantIsolation(t.tenantId),
  ],
);

export const exports = pgTable(
  'exports',
  {
    id: serial(),
    tenantId: tenantRef(),
    projectId: ref('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    jobId: uuid('job_id'),
    format: text('format').notNull(),
    options: jsonb('options').$type<Record<string, unknown>>().notNull().default({}),
    status: text('status', { enum: ['queued', 'running', 'completed', 'failed'] })
      .notNull()
      .default('queued'),
    filePath: text('file_path'),
    sizeBytes: bigint('size_bytes', { mode: 'number' }),
    counts: jsonb('counts').$type<Record<string, number>>().notNull().default({}),
    error: text('error'),
    createdBy: uuid('created_by'),
    createdAt: createdAt(),
    finishedAt: timestamp('finished_at', { withTimezone: true, precision: 3 }),
  },
  (t) => [index('exports_project_idx').on(t.projectId, t.id), tenantIsolation(t.tenantId)],
);

export const webhooks = pgTable(
  'webhooks',
  {
    id: serial(),
    tenantId: tenantRef(),
    /** Null: every project of the tenant. */
    projectId: ref('project_id').references(() => projects.id, { onDelete: 'cascade' }),
    url: text('url').notNull(),
    events: text('events').array().notNull(),
    /** The HMAC secret, encrypted at rest. */
    secretEncrypted: text('secret_encrypted').notNull(),
    sendPayload: boolean('send_payload').notNull().default(true),
    headers: jsonb('headers').$type<Record<string, string>>().notNull().default({}),
    active: boolean('active').notNull().default(true),
    createdBy: uuid('created_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('webhooks_tenant_idx').on(t.tenantId, t.projectId), tenantIsolation(t.tenantId)],
);

export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: serial(),
    tenantId: tenantRef(),
    webhookId: ref('webhook_id')
      .notNull()
      .references(() => webhooks.id, { onDelete: 'cascade' }),
    event: text('event').notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    status: text('status', { enum: ['pending', 'delivered', 'failed'] })
      .notNull()
      .default('pending'),
    attempts: integer('attempts').notNull().default(0),
    responseStatus: integer('response_status'),
    error: text('error'),
    createdAt: createdAt(),
    deliveredAt: timestamp('delivered_at', { withTimezone: true, precision: 3 }),
  },
  (t) => [index('webhook_deliveries_webhook_idx').on(t.webhookId, t.id), tenantIsolation(t.tenantId)],
);

/**
 * A user's saved data-manager view of a project (Label Studio's tabs): the task list's filter
 * object (search included), its sort and the columns shown. Each user sees only their own.
 */
export const dataManagerTabs = pgTable(
  'data_manager_tabs',
  {
    id: serial(),
    tenantId: tenantRef(),
    projectId: ref('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    filters: jsonb('filters').$type<TaskFilter>().notNull().default({}),
    ordering: text('ordering').notNull().default('id'),
    columns: jsonb('columns').$type<string[]>().notNull().default([]),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('data_manager_tabs_project_user_name_key').on(t.projectId, t.userId, t.name),
    tenantIsolation(t.tenantId),
  ],
);

/**
 * A comment on a task, or on one of its annotations, so that review is a conversation (Label
 * Studio's comments). A reply names its thread's first comment as `parent`; a thread is
 * resolved as a whole, on that first comment.
 */
export const taskComments = pgTable(
  'task_comments',
  {
    id: serial(),
    tenantId: tenantRef(),
    projectId: ref('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    taskId: ref('task_id')
      .notNull()
      .references(() => tasks.id, { onDelete: 'cascade' }),
    /** Deliberately not a foreign key, as in review_records: a reject may remove the annotation. */
    annotationId: ref('annotation_id'),
    /** The review whose verdict the comment gave (a reviewer's reject comment). */
    reviewId: ref('review_id').references(() => reviewRecords.id, { onDelete: 'set null' }),
    parentId: ref('parent_id').references((): AnyPgColumn => taskComments.id, { onDelete: 'cascade' }),
    authorId: uuid('author_id').references(() => users.id, { onDelete: 'set null' }),
    text: text('text').notNull(),
    resolvedAt: timestamp('resolved_at', { withTimezone: true, precision: 3 }),
    resolvedBy: uuid('resolved_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('task_comments_task_idx').on(t.taskId, t.id),
    // The data manager counts each task's open threads.
    index('task_comments_unresolved_idx')
      .on(t.taskId)
      .where(sql`${t.parentId} is null and ${t.resolvedAt} is null`),
    tenantIsolation(t.tenantId),
  ],
);

// Text-to-SQL reads these tables through the reporting views (as the reporting role).
export const projectsReportingRead = reportingRead(projects, projects.tenantId);
export const tasksReportingRead = reportingRead(tasks, tasks.tenantId);
export const annotationsReportingRead = reportingRead(annotations, annotations.tenantId);
export const reviewRecordsReportingRead = reportingRead(reviewRecords, reviewRecords.tenantId);
