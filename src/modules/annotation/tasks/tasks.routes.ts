import { type FastifyPluginAsyncTypebox, type Static, Type } from '@fastify/type-provider-typebox';
import { PageQuery } from '../../../platform/db/pagination.ts';
import { DateTime, Nullable, Uuid } from '../../../platform/http/schemas.ts';
import { loadProject } from '../access.ts';
import { BULK_JOB } from '../projects/project.jobs.ts';
import { PRIORITIES, TASK_STATUSES } from '../schema.ts';
import { AnnotationOut, PredictionOut } from '../shapes.ts';
import { LABEL_ACTION, labelResult, runBulkLabel } from './bulk-label.ts';
import { HISTORY_ACTIONS, taskHistory } from './history.ts';
import { LABEL_JOB } from './label.jobs.ts';
import { COUNT_JOB } from './tasks.jobs.ts';
import * as service from './tasks.service.ts';

const Id = Type.Integer({ minimum: 1 });
const ProjectParams = Type.Object({ id: Id });
const Status = Type.Union(TASK_STATUSES.map((s) => Type.Literal(s)));
const Priority = Type.Union(PRIORITIES.map((s) => Type.Literal(s)));

/** The data manager's filters, shared by the list (query string) and bulk actions (body). */
const filterFields = {
  status: Type.Optional(
    Type.Array(Status, { maxItems: TASK_STATUSES.length, description: 'Any of these statuses' }),
  ),
  priority: Type.Optional(
    Type.Array(Priority, { maxItems: PRIORITIES.length, description: 'Any of these priorities' }),
  ),
  annotated: Type.Optional(Type.Boolean({ description: 'Has (or has no) counted annotation' })),
  annotated_by: Type.Optional(Type.String({ format: 'uuid', description: 'Has an annotation by this user' })),
  reviewed: Type.Optional(Type.Boolean({ description: 'Has an approved or rejected annotation' })),
  has_predictions: Type.Optional(Type.Boolean({ description: 'Has (or has no) prediction' })),
  unresolved_comments: Type.Optional(
    Type.Boolean({ description: 'Has (or has no) comment thread left unresolved' }),
  ),
  score_min: Type.Optional(Type.Number({ description: 'Lowest prediction score at least this' })),
  score_max: Type.Optional(Type.Number({ description: 'Lowest prediction score at most this' })),
  model_version: Type.Optional(
    Type.String({ maxLength: 200, description: 'Has a prediction of this model version' }),
  ),
  data_key: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 200,
      description: 'Narrows `search` (or `contains`) to data[data_key]',
    }),
  ),
  contains: Type.Optional(
    Type.String({ minLength: 1, maxLength: 500, description: 'The old name of `search`; needs `data_key`' }),
  ),
  search: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 500,
      description:
        'Substring search, case-insensitive, over every string in the task data (nested ones too), or data[data_key] only',
    }),
  ),
  q: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 500,
      description:
        'Full-text search over the task data: words (all must occur), "a phrase", -excluded, OR; Chinese is matched by words. Adds `rank`; sort=relevance orders by it',
    }),
  ),
  label: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 500,
      description: 'Has an annotation (not cancelled) or a prediction with this label, choice or text answer',
    }),
  ),
  created_from: Type.Optional(
    Type.String({ format: 'date-time', description: 'Created at or after this time' }),
  ),
  created_to: Type.Optional(Type.String({ format: 'date-time', description: 'Exclusive' })),
};
export const Filter = Type.Object(filterFields, { additionalProperties: false });
type FilterT = Static<typeof Filter>;

const TaskItem = Type.Object({
  id: Type.Integer(),
  project: Type.Integer(),
  data: Type.Record(Type.String(), Type.Unknown()),
  meta: Type.Record(Type.String(), Type.Unknown()),
  status: Type.String(),
  priority: Type.String(),
  overlap: Type.Integer(),
  total_annotations: Type.Integer(),
  cancelled_annotations: Type.Integer(),
  total_predictions: Type.Integer(),
  is_finished: Type.Boolean(),
  prediction_score: Nullable(Type.Number()),
  unresolved_comments: Type.Integer({ description: 'Comment threads on the task left unresolved' }),
  created_at: DateTime,
  updated_at: DateTime,
});

const Highlight = Type.Object({
  path: Type.String({ description: 'JSON Pointer to a string in the task data' }),
  start: Type.Integer({ description: 'Offset in UTF-16 code units (as String.prototype.slice takes it)' }),
  end: Type.Integer({ description: 'Exclusive' }),
});

const TaskListItem = Type.Composite([
  TaskItem,
  Type.Object({
    highlights: Type.Optional(
      Type.Array(Highlight, { description: 'Under `search`, `contains` or `q`: where the task matched' }),
    ),
    rank: Type.Optional(Type.Number({ description: 'Under `q`: the full-text rank (ts_rank)' })),
    assignees: Type.Array(Type.String(), { description: 'Users the task is assigned to for annotation' }),
    holders: Type.Array(Type.String(), { description: 'Users labeling it now (a live reservation)' }),
  }),
]);

const TaskDetail = Type.Composite([
  TaskItem,
  Type.Object({
    annotations: Type.Array(AnnotationOut),
    predictions: Type.Array(PredictionOut),
    is_labeled: Type.Boolean(),
  }),
]);

function toFilter(f: FilterT): service.TaskFilter {
  return f;
}

export const taskRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const cache = app.platform.kv.cache;

  app.get(
    '/projects/:id/tasks',
    {
      config: { permission: 'projects:read' },
      schema: {
        tags: ['tasks'],
        summary: 'Data manager: filter, sort and page through the tasks of a project',
        params: ProjectParams,
        querystring: Type.Object(
          {
            ...PageQuery,
            sort: Type.Optional(
              Type.Union(
                service.SORTS.map((s) => Type.Literal(s)),
                {
                  default: 'id',
                  description:
                    'Sort key; a leading "-" sorts descending. Unscored tasks sort last by prediction_score. relevance (with `q`): best match first.',
                },
              ),
            ),
            ...filterFields,
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            items: Type.Array(TaskListItem),
            next_cursor: Nullable(Type.String()),
            total: Nullable(
              Type.Integer({
                description:
                  'Tasks under this filter (cached up to 30 s); null while a costly count runs in the background (`total_job`): ask again for it',
              }),
            ),
            total_job: Type.Optional(
              Type.String({ format: 'uuid', description: 'The job counting the total, while total is null' }),
            ),
          }),
        },
      },
    },
    async (req) => {
      const { limit, cursor, sort, ...filter } = req.query;
      service.checkFilter(filter, 'querystring');
      // One-statement reads, each autocommitted (no begin/commit round trips): the page and
      // its total need not share a snapshot. Only queuing a count job writes.
      return req.read(async (db) => {
        const project = await loadProject(db, req.me, req.params.id, 'read');
        const listed = await service.listTasks(db, project, {
          filter: toFilter(filter),
          sort: sort ?? 'id',
          limit: limit ?? 50,
          cursor,
        });
        const page = await service.withPeople(db, listed);
        const total = await service.totalOf(
          db,
          {
            cache,
            maxInlineCost: app.platform.config.countInlineMaxCost,
            countLater: (payload) =>
              req.tx((tx) =>
                app.platform.queue.enqueue(tx, {
                  tenantId: project.tenantId,
                  kind: COUNT_JOB,
                  payload,
                  createdBy: req.me.userId,
                }),
              ),
          },
          project,
          filter,
        );
        return { ...page, ...total };
      });
    },
  );

  app.get(
    '/projects/:id/tasks/:taskId',
    {
      config: { permission: 'projects:read' },
      schema: {
        tags: ['tasks'],
        summary: "A task in Label Studio's format, with its annotations and predictions",
        params: Type.Object({ id: Id, taskId: Id }),
        response: { 200: TaskDetail },
      },
    },
    async (req) =>
      req.tx(async (tx) => {
        const project = await loadProject(tx, req.me, req.params.id, 'read');
        return service.getTask(tx, req.me, project, req.params.taskId);
      }),
  );

  app.get(
    '/projects/:id/tasks/:taskId/history',
    {
      config: { permission: 'projects:read' },
      schema: {
        tags: ['tasks'],
        summary: 'Who created, annotated, changed and reviewed a task, and when (oldest first)',
        description:
          "Without annotations:read, only the caller's own annotations and their reviews. `import` names the import that created the task.",
        params: Type.Object({ id: Id, taskId: Id }),
        response: {
          200: Type.Object({
            items: Type.Array(
              Type.Object({
                at: DateTime,
                action: Type.Union(HISTORY_ACTIONS.map((a) => Type.Literal(a))),
                user: Nullable(Type.String()),
                user_name: Nullable(Type.String()),
                annotation: Nullable(Type.Integer()),
                review_status: Nullable(Type.String()),
                reject_mode: Nullable(Type.String()),
                import: Nullable(Type.Integer()),
              }),
            ),
          }),
        },
      },
    },
    async (req) =>
      req.tx(async (tx) => {
        const project = await loadProject(tx, req.me, req.params.id, 'read');
        return taskHistory(tx, req.me, project, req.params.taskId);
      }),
  );

  app.post(
    '/projects/:id/tasks/actions',
    {
      config: { permission: 'tasks:manage' },
      schema: {
        tags: ['tasks'],
        summary:
          'Bulk action on tasks chosen by ids or by a filter: delete, set_priority, assign (spread evenly), remove_annotations, remove_predictions, label',
        description:
          '`label` (bulk labeling) adds one annotation by the caller with `choices` of the Choices control `from_name` to every selected task the caller has not annotated yet (those count as `skipped`); all the tasks or none, in one transaction, also when it runs as a job.',
        params: ProjectParams,
        body: Type.Object(
          {
            action: Type.Union([...service.BULK_ACTIONS, LABEL_ACTION].map((a) => Type.Literal(a))),
            selection: Type.Union([
              Type.Object(
                { ids: Type.Array(Id, { minItems: 1, maxItems: 100_000 }) },
                { additionalProperties: false },
              ),
              Type.Object({ filter: Filter }, { additionalProperties: false }),
            ]),
            priority: Type.Optional(Priority),
            user_ids: Type.Optional(Type.Array(Uuid, { minItems: 1, maxItems: 1000 })),
            from_name: Type.Optional(
              Type.String({
                minLength: 1,
                maxLength: 200,
                description: 'label: the Choices control to answer',
              }),
            ),
            choices: Type.Optional(
              Type.Array(Type.String({ minLength: 1, maxLength: 500 }), {
                minItems: 1,
                maxItems: 100,
                description: 'label: the choices to set (each one of the control’s)',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            affected: Type.Integer({ description: 'Tasks the action applied to' }),
            removed: Type.Optional(Type.Integer({ description: 'Annotations or predictions removed' })),
            assignments_created: Type.Optional(Type.Integer()),
            annotations_created: Type.Optional(Type.Integer({ description: 'label: annotations added' })),
            skipped: Type.Optional(
              Type.Integer({
                description: 'label: tasks the caller had annotated already, left as they were',
              }),
            ),
          }),
          202: Type.Object({
            job_id: Type.String({
              format: 'uuid',
              description: `A filter, or more than ${service.BULK_INLINE_MAX} ids: the job that applies the action in batches (GET /jobs/{id}; its result is the 200 body)`,
            }),
          }),
        },
      },
    },
    async (req, reply) => {
      const { action, ...body } = req.body;
      if ('filter' in body.selection) service.checkFilter(body.selection.filter, 'body/selection/filter');
      const selection: service.BulkInput['selection'] =
        'ids' in body.selection ? { ids: body.selection.ids } : { filter: toFilter(body.selection.filter) };
      const inline = service.bulkRunsInline(selection);
      if (action === LABEL_ACTION) {
        const result = await req.tx(async (tx) => {
          const project = await loadProject(tx, req.me, req.params.id, 'manage');
          const labelled = labelResult(project, body);
          await service.lockProjectRow(tx, project.id);
          const audit = (details: Record<string, unknown>) =>
            req.audit({
              action: 'tasks.label',
              resourceType: 'project',
              resourceId: String(project.id),
              details: {
                action,
                selection: 'ids' in selection ? { ids: selection.ids.length } : { filter: selection.filter },
                from_name: body.from_name,
                choices: body.choices,
                ...details,
              },
            });
          if (!inline) {
            const jobId = await app.platform.queue.enqueue(tx, {
              tenantId: project.tenantId,
              kind: LABEL_JOB,
              payload: { projectId: project.id, selection, result: labelled },
              createdBy: req.me.userId,
            });
            audit({ job_id: jobId });
            return { job_id: jobId };
          }
          const r = await runBulkLabel(tx, app.platform, req.me, project, selection, labelled);
          audit(r);
          return r;
        });
        if ('job_id' in result) return reply.code(202).send(result);
        await service.bumpGeneration(cache, req.me.tenantId, req.params.id);
        return result;
      }
      const input = { ...body, action, selection };
      const result = await req.tx(async (tx) => {
        const project = await loadProject(tx, req.me, req.params.id, 'manage');
        await service.lockProjectRow(tx, project.id);
        const audit = (details: Record<string, unknown>) =>
          req.audit({
            action: `tasks.${action}`,
            resourceType: 'project',
            resourceId: String(project.id),
            details: {
              action: action,
              selection: 'ids' in selection ? { ids: selection.ids.length } : { filter: selection.filter },
              ...(body.priority ? { priority: body.priority } : {}),
              ...(body.user_ids ? { user_ids: body.user_ids } : {}),
              ...details,
            },
          });
        if (!inline) {
          // Checked now, so a bad request is a 400 here rather than a failed job.
          const users = await service.prepareBulkAction(tx, req.me, project, input);
          const jobId = await app.platform.queue.enqueue(tx, {
            tenantId: project.tenantId,
            kind: BULK_JOB,
            payload: { projectId: project.id, input, users },
            createdBy: req.me.userId,
          });
          audit({ job_id: jobId });
          return { job_id: jobId };
        }
        const r = await service.runBulkAction(tx, req.me, project, input);
        if (action === 'delete' && r.affected > 0) {
          await app.platform.events.publish(tx, {
            tenantId: project.tenantId,
            projectId: project.id,
            action: 'TASKS_DELETED',
            payload: {
              project: { id: project.id },
              count: r.affected,
              ...('ids' in selection ? { tasks: selection.ids.map((id) => ({ id })) } : {}),
            },
            userId: req.me.userId,
          });
        }
        audit(r);
        return r;
      });
      if ('job_id' in result) return reply.code(202).send(result);
      await service.bumpGeneration(cache, req.me.tenantId, req.params.id);
      return result;
    },
  );
};
