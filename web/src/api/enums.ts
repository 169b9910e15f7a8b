import type { paths } from './schema';

/**
 * The API's enums (states, formats, roles…) as lists for the console's selects, columns
 * and filters. Each list is checked against the generated API types (schema.d.ts): a value
 * the API does not accept, or one of its values the list leaves out, fails the typecheck,
 * so a server-side change shows up here after `npm run web:api`. The order is the order
 * the console shows them in.
 */

type Method = 'get' | 'post' | 'put' | 'patch';
type Operation<P extends keyof paths, M extends Method> = NonNullable<paths[P][M]>;
type Query<P extends keyof paths, M extends Method = 'get'> = NonNullable<
  Operation<P, M> extends { parameters: { query?: infer Q } } ? Q : never
>;
type Body<P extends keyof paths, M extends Method> = NonNullable<
  Operation<P, M> extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never
>;
/** A field's values: the union itself, or the union of an array field's items. */
type Values<T> = NonNullable<T> extends readonly (infer I)[] ? I : NonNullable<T>;

/** Lists every value of the string union T: extra values and missing ones are type errors. */
const all =
  <T extends string>() =>
  <const V extends readonly T[]>(
    values: V & (Exclude<T, V[number]> extends never ? unknown : { missing: Exclude<T, V[number]> }),
  ): V =>
    values;

// Annotation
type TaskQuery = Query<'/api/v1/projects/{id}/tasks'>;
export const TASK_STATUSES = all<Values<TaskQuery['status']>>()([
  'pending',
  'in_progress',
  'completed',
  'reviewed',
  'cancelled',
]);
export const TASK_PRIORITIES = all<Values<TaskQuery['priority']>>()(['low', 'medium', 'high', 'urgent']);
export const PROJECT_ROLES = all<Values<Body<'/api/v1/projects/{id}/members', 'post'>['role']>>()([
  'manager',
  'reviewer',
  'annotator',
  'viewer',
]);

export const WEBHOOK_EVENTS = all<Values<Body<'/api/v1/webhooks', 'post'>['events']>>()([
  'PROJECT_CREATED',
  'PROJECT_UPDATED',
  'PROJECT_DELETED',
  'TASKS_CREATED',
  'TASKS_DELETED',
  'ANNOTATION_CREATED',
  'ANNOTATIONS_CREATED',
  'ANNOTATION_UPDATED',
  'ANNOTATIONS_DELETED',
  'REVIEW_CREATED',
  'REVIEW_UPDATED',
  'REVIEWS_DELETED',
]);

// Quality
type RuleIn = Body<'/api/v1/projects/{projectId}/quality/rules', 'post'>;
export const SEVERITIES = all<Values<RuleIn['severity']>>()(['low', 'medium', 'high', 'critical']);
export const RULE_TYPES = all<RuleIn['type']>()([
  'required',
  'regex',
  'text_length',
  'no_overlap',
  'allowed_labels',
  'min_lead_time',
  'agreement',
  'expression',
]);
export const ISSUE_STATES = all<Values<Query<'/api/v1/projects/{projectId}/quality/issues'>['status']>>()([
  'open',
  'in_progress',
  'resolved',
  'wont_fix',
]);
export const IMPROVEMENT_STATES = all<Values<Query<'/api/v1/quality/improvement-tasks'>['status']>>()([
  'pending',
  'in_progress',
  'submitted',
  'approved',
  'rejected',
]);
type WorkflowIn = Body<'/api/v1/projects/{projectId}/quality/workflow', 'put'>;
export const AUTO_ASSIGN = all<Values<WorkflowIn['auto_assign']>>()(['annotator', 'user', 'none']);
type AlertConfigIn = Body<'/api/v1/projects/{projectId}/quality/alert-config', 'put'>;
export const ALERT_STATES = all<Values<Query<'/api/v1/projects/{projectId}/quality/alerts'>['status']>>()([
  'open',
  'acknowledged',
  'resolved',
]);
export const ALERT_METRICS = all<keyof NonNullable<AlertConfigIn['thresholds']>>()([
  'total',
  'accuracy',
  'completeness',
  'timeliness',
  'consistency',
  'agreement',
]);
export const CHANNELS = all<Values<AlertConfigIn['channels']>>()(['in_app', 'webhook', 'email']);
type ReportQuery = Query<'/api/v1/projects/{projectId}/quality/reports/{report}'>;
export const REPORTS = all<
  NonNullable<
    Operation<'/api/v1/projects/{projectId}/quality/reports/{report}', 'get'>['parameters']['path']
  >['report']
>()(['summary', 'ranking', 'trend']);
export const REPORT_FORMATS = all<Values<ReportQuery['format']>>()(['xlsx', 'csv', 'html']);
export const SCORE_DIMENSIONS = all<
  keyof NonNullable<Body<'/api/v1/projects/{id}/quality/config', 'put'>['weights']>
>()(['accuracy', 'completeness', 'timeliness', 'consistency']);

// Billing
export const BILL_STATES = all<Values<Query<'/api/v1/billing/bills'>['status']>>()([
  'draft',
  'issued',
  'paid',
  'void',
]);
export const BILL_EXPORT_FORMATS = all<Values<Query<'/api/v1/billing/bills/{id}/export'>['format']>>()([
  'xlsx',
  'csv',
  'json',
]);
export const DIFFICULTIES = all<
  Values<Body<'/api/v1/billing/projects/{projectId}/settings', 'put'>['difficulty']>
>()(['easy', 'normal', 'hard', 'expert']);
