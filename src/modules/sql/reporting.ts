/**
 * The reporting views over the platform's own data (schema `reporting`, created by
 * drizzle/0032_reporting_views.sql with security_invoker, so each base table's row-level
 * security filters them to the transaction's tenant). This list is the allow-list the
 * validator checks relations against and the schema the API documents; a test compares it
 * with the database's own columns.
 */
export const REPORTING_SCHEMA = 'reporting';

export interface ViewColumn {
  name: string;
  type: string;
  description: string;
}

export interface ReportingView {
  name: string;
  description: string;
  columns: ViewColumn[];
}

const col = (name: string, type: string, description: string): ViewColumn => ({ name, type, description });

export const REPORTING_VIEWS: ReportingView[] = [
  {
    name: 'projects',
    description: 'Labeling projects of the tenant (projects being deleted are left out).',
    columns: [
      col('id', 'bigint', 'Project id'),
      col('title', 'text', 'Project title'),
      col('description', 'text', 'Project description'),
      col('overlap', 'integer', 'Annotations wanted per task'),
      col('review_required', 'boolean', 'Whether annotations must be reviewed'),
      col('task_count', 'bigint', 'Tasks in the project'),
      col('created_by', 'uuid', 'User who created the project (members.user_id)'),
      col('created_at', 'timestamptz', 'When the project was created'),
      col('updated_at', 'timestamptz', 'When the project was last changed'),
    ],
  },
  {
    name: 'tasks',
    description: 'Tasks to annotate, one per imported item.',
    columns: [
      col('id', 'bigint', 'Task id'),
      col('project_id', 'bigint', 'Project (projects.id)'),
      col('status', 'text', 'pending, in_progress, completed, reviewed or cancelled'),
      col('priority', 'text', 'low, medium, high or urgent'),
      col('overlap', 'integer', 'Annotations this task needs'),
      col('total_annotations', 'integer', 'Annotations submitted'),
      col('cancelled_annotations', 'integer', 'Annotations skipped (cancelled)'),
      col('is_finished', 'boolean', 'Whether the task has all the annotations it needs'),
      col('created_at', 'timestamptz', 'When the task was imported'),
      col('updated_at', 'timestamptz', 'When the task last changed'),
    ],
  },
  {
    name: 'annotations',
    description: 'Annotations submitted by people (not their labels).',
    columns: [
      col('id', 'bigint', 'Annotation id'),
      col('project_id', 'bigint', 'Project (projects.id)'),
      col('task_id', 'bigint', 'Task (tasks.id)'),
      col('completed_by', 'uuid', 'Annotator (members.user_id); null for imported annotations'),
      col('lead_time', 'real', 'Seconds spent'),
      col('was_cancelled', 'boolean', 'Whether the task was skipped'),
      col('ground_truth', 'boolean', 'Whether it is a gold-standard answer'),
      col(
        'review_status',
        'text',
        'pending, in_review, approved, rejected or modification_requested; null before review',
      ),
      col('created_at', 'timestamptz', 'When it was submitted'),
      col('updated_at', 'timestamptz', 'When it was last changed'),
    ],
  },
  {
    name: 'reviews',
    description: "Reviewers' decisions on annotations.",
    columns: [
      col('id', 'bigint', 'Review id'),
      col('project_id', 'bigint', 'Project (projects.id)'),
      col('task_id', 'bigint', 'Task (tasks.id)'),
      col('annotation_id', 'bigint', 'Reviewed annotation (annotations.id; it may be gone after a reject)'),
      col('reviewer_id', 'uuid', 'Reviewer (members.user_id)'),
      col('status', 'text', 'pending, in_review, approved, rejected or modification_requested'),
      col('reject_mode', 'text', 'On reject: requeue or remove'),
      col('created_at', 'timestamptz', 'When the review started'),
      col('updated_at', 'timestamptz', 'When it was decided'),
    ],
  },
  {
    name: 'quality_scores',
    description: 'Quality scores (0–1) per annotation or per annotator in a project.',
    columns: [
      col('id', 'bigint', 'Score id'),
      col('project_id', 'bigint', 'Project (projects.id)'),
      col('scope', 'text', 'annotation or annotator'),
      col('annotation_id', 'bigint', 'Scored annotation (scope annotation)'),
      col('user_id', 'uuid', 'Scored annotator (members.user_id)'),
      col('accuracy', 'numeric', 'Accuracy against gold or consensus'),
      col('completeness', 'numeric', 'Share of required fields filled'),
      col('timeliness', 'numeric', 'Speed relative to the project'),
      col('consistency', 'numeric', 'Agreement with other annotators'),
      col('total', 'numeric', 'Weighted total'),
      col('computed_at', 'timestamptz', 'When it was computed'),
    ],
  },
  {
    name: 'billing_lines',
    description: "Lines of bills: one annotator's work in a project and period, and adjustments.",
    columns: [
      col('id', 'bigint', 'Line id'),
      col('bill_id', 'bigint', 'Bill the line belongs to'),
      col('kind', 'text', 'work, project_fee or adjustment'),
      col('user_id', 'uuid', 'Annotator paid (members.user_id)'),
      col('project_id', 'bigint', 'Project (projects.id)'),
      col('period', 'text', 'Billing month, YYYY-MM'),
      col('accepted_count', 'integer', 'Accepted annotations'),
      col('rejected_count', 'integer', 'Rejected annotations'),
      col('skipped_count', 'integer', 'Skipped tasks'),
      col('billable_seconds', 'numeric', 'Billable time in seconds'),
      col('quality_score', 'numeric', 'Quality score applied'),
      col('amount', 'numeric', 'Amount in the currency'),
      col('currency', 'text', 'ISO 4217 currency'),
      col('created_at', 'timestamptz', 'When the line was made'),
    ],
  },
  {
    name: 'members',
    description: 'Members of the tenant.',
    columns: [
      col('user_id', 'uuid', 'User id (the *_by, *_id user columns of the other views)'),
      col('name', 'text', 'Display name'),
      col('email', 'text', 'Email address'),
      col('status', 'text', 'active or deactivated (in this tenant)'),
      col('joined_at', 'timestamptz', 'When the user joined the tenant'),
    ],
  },
];

export const REPORTING_VIEW_NAMES: ReadonlySet<string> = new Set(REPORTING_VIEWS.map((v) => v.name));
