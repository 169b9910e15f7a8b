import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { Executor } from '../../platform/db/client.ts';
import { PageQuery, pageOf } from '../../platform/db/pagination.ts';
import { DateTime, DateTimeIn, Nullable } from '../../platform/http/schemas.ts';
import * as labeling from './labeling.service.ts';
import { BULK_PREDICTIONS_MAX } from './labeling.service.ts';
import * as reviews from './review.service.ts';
import { AnnotationOut, PredictionOut } from './shapes.ts';
import { emitEvent, type WebhookEvent } from './webhooks.service.ts';

const Id = Type.Integer({ minimum: 1 });
const TaskParams = Type.Object({ taskId: Id });
const IdParams = Type.Object({ id: Id });
/** A Label Studio `result[]`; each region is checked against the project's labeling config. */
const Result = Type.Array(Type.Unknown(), { maxItems: 10_000, description: "Label Studio's result[]" });
const UserId = Type.String({ format: 'uuid' });

const DraftOut = Type.Object({
  id: Type.Integer(),
  task: Type.Integer(),
  project: Type.Integer(),
  user: Type.String(),
  annotation: Nullable(Type.Integer()),
  result: Type.Array(Type.Unknown()),
  lead_time: Type.Number(),
  created_at: DateTime,
  updated_at: DateTime,
});
const TaskOut = Type.Object({
  id: Type.Integer(),
  project: Type.Integer(),
  data: Type.Record(Type.String(), Type.Unknown()),
  meta: Type.Record(Type.String(), Type.Unknown()),
  status: Type.String(),
  priority: Type.String(),
  overlap: Type.Integer(),
  is_labeled: Type.Boolean(),
  total_annotations: Type.Integer(),
  cancelled_annotations: Type.Integer(),
  total_predictions: Type.Integer(),
  annotations: Type.Array(AnnotationOut, { description: "The caller's own annotations of the task" }),
  predictions: Type.Array(PredictionOut),
  drafts: Type.Array(DraftOut, { description: "The caller's draft, if any" }),
  lock_expires_at: DateTime,
  created_at: DateTime,
  updated_at: DateTime,
});
const AssignmentOut = Type.Object({
  id: Type.Integer(),
  task: Type.Integer(),
  project: Type.Integer(),
  user_id: Type.String(),
  kind: Type.String(),
  source: Type.String(),
  priority: Type.Integer(),
  due_at: Nullable(DateTime),
  created_by: Nullable(Type.String()),
  created_at: DateTime,
});
const ReviewOut = Type.Object({
  id: Type.Integer(),
  annotation: Type.Integer(),
  task: Type.Integer(),
  project: Type.Integer(),
  reviewer: Nullable(Type.String()),
  status: Type.String(),
  reject_mode: Nullable(Type.String()),
  fixed_annotation: Nullable(Type.Integer()),
  annotation_snapshot: Nullable(Type.Record(Type.String(), Type.Unknown())),
  comment: Type.String(),
  created_at: DateTime,
  updated_at: DateTime,
});
const Kind = Type.Union([Type.Literal('annotate'), Type.Literal('review')]);

/**
 * Announces a labeling change in the request's transaction: to other modules (billing,
 * quality) through the platform's domain events, and to the project's webhooks.
 */
async function emit(
  tx: Executor,
  req: FastifyRequest,
  projectId: number,
  action: WebhookEvent,
  payload: Record<string, unknown>,
): Promise<void> {
  const p = req.principal!;
  const event = {
    tenantId: p.tenantId,
    projectId,
    action,
    payload: { ...payload, project: { id: projectId } },
    userId: p.userId,
  };
  await req.server.platform.events.publish(tx, event);
  await emitEvent(tx, req.server.platform.queue, event);
}

export const labelingRoutes: FastifyPluginAsyncTypebox = async (app) => {
  // ------------------------------------------------------------ annotations
  app.post(
    '/tasks/:taskId/annotations',
    {
      config: { permission: 'annotations:write' },
      schema: {
        tags: ['annotations'],
        summary: 'Submit an annotation of a task (was_cancelled: true is a skip)',
        description:
          'The result is checked against the project labeling config (400 naming each region). ' +
          "Submitting ends the caller's draft and reservation of the task; the task's counters, " +
          'finished flag and status move in the same transaction.',
        params: TaskParams,
        body: Type.Object(
          {
            result: Result,
            lead_time: Type.Optional(Type.Number({ minimum: 0 })),
            was_cancelled: Type.Optional(Type.Boolean()),
            ground_truth: Type.Optional(Type.Boolean()),
            draft_id: Type.Optional(Id),
            parent_prediction: Type.Optional(Id),
            parent_annotation: Type.Optional(Id),
          },
          { additionalProperties: false },
        ),
        response: { 201: AnnotationOut },
      },
    },
    async (req, reply) => {
      const a = await req.tx(async (tx) => {
        const a = await labeling.createAnnotation(tx, req.principal!, req.params.taskId, req.body);
        await emit(tx, req, a.projectId, 'ANNOTATION_CREATED', {
          annotation: labeling.annotationView(a),
          task: { id: a.taskId },
        });
        req.audit({
          action: a.wasCancelled ? 'annotation.skipped' : 'annotation.created',
          resourceType: 'annotation',
          resourceId: String(a.id),
          details: { task: a.taskId, project: a.projectId },
        });
        return a;
      });
      return reply.code(201).send(labeling.annotationView(a));
    },
  );

  app.get(
    '/tasks/:taskId/annotations',
    {
      config: { permission: 'projects:read' },
      schema: {
        tags: ['annotations'],
        summary: "A task's annotations (only one's own without annotations:read)",
        params: TaskParams,
        querystring: Type.Object(PageQuery),
        response: { 200: pageOf(AnnotationOut) },
      },
    },
    async (req) =>
      req.tx((tx) =>
        labeling.listTaskAnnotations(tx, req.principal!, req.params.taskId, {
          limit: req.query.limit ?? 50,
          cursor: req.query.cursor,
        }),
      ),
  );

  app.get(
    '/annotations/:id',
    {
      config: { permission: 'projects:read' },
      schema: {
        tags: ['annotations'],
        summary: 'One annotation (one’s own, or any with annotations:read)',
        params: IdParams,
        response: { 200: AnnotationOut },
      },
    },
    async (req) =>
      labeling.annotationView(
        await req.tx((tx) => labeling.getAnnotation(tx, req.principal!, req.params.id)),
      ),
  );

  app.patch(
    '/annotations/:id',
    {
      config: { permission: 'annotations:write' },
      schema: {
        tags: ['annotations'],
        summary: 'Change an annotation (its author, or a project manager)',
        description: "The author's change to a reviewed annotation sends it back to the review queue.",
        params: IdParams,
        body: Type.Object(
          {
            result: Type.Optional(Result),
            lead_time: Type.Optional(Type.Number({ minimum: 0 })),
            was_cancelled: Type.Optional(Type.Boolean()),
            ground_truth: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
        response: { 200: AnnotationOut },
      },
    },
    async (req) => {
      const a = await req.tx(async (tx) => {
        const a = await labeling.updateAnnotation(tx, req.principal!, req.params.id, req.body);
        await emit(tx, req, a.projectId, 'ANNOTATION_UPDATED', {
          annotation: labeling.annotationView(a),
          task: { id: a.taskId },
        });
        req.audit({
          action: 'annotation.updated',
          resourceType: 'annotation',
          resourceId: String(a.id),
          details: { task: a.taskId, fields: Object.keys(req.body) },
        });
        return a;
      });
      return labeling.annotationView(a);
    },
  );

  app.delete(
    '/annotations/:id',
    {
      config: { permission: 'annotations:write' },
      schema: {
        tags: ['annotations'],
        summary: 'Delete an annotation (its author, or a project manager)',
        params: IdParams,
        response: { 204: Type.Null() },
      },
    },
    async (req, reply) => {
      await req.tx(async (tx) => {
        const a = await labeling.deleteAnnotation(tx, req.principal!, req.params.id);
        await emit(tx, req, a.projectId, 'ANNOTATIONS_DELETED', {
          annotations: [{ id: a.id }],
          task: { id: a.taskId },
        });
        req.audit({
          action: 'annotation.deleted',
          resourceType: 'annotation',
          resourceId: String(a.id),
          details: { task: a.taskId, project: a.projectId, completed_by: a.completedBy },
        });
      });
      return reply.code(204).send(null);
    },
  );

  // ------------------------------------------------------------ drafts
  app.put(
    '/tasks/:taskId/draft',
    {
      config: { permission: 'annotations:write', audit: false },
      schema: {
        tags: ['annotations'],
        summary: "Autosave the caller's draft of a task (not audited)",
        params: TaskParams,
        body: Type.Object(
          { result: Result, lead_time: Type.Optional(Type.Number({ minimum: 0 })) },
          { additionalProperties: false },
        ),
        response: { 200: DraftOut },
      },
    },
    async (req) =>
      labeling.draftView(
        await req.tx((tx) => labeling.saveDraft(tx, req.principal!, req.params.taskId, req.body)),
      ),
  );

  app.get(
    '/tasks/:taskId/draft',
    {
      config: { permission: 'annotations:write' },
      schema: {
        tags: ['annotations'],
        summary: "The caller's draft of a task (404 when there is none)",
        params: TaskParams,
        response: { 200: DraftOut },
      },
    },
    async (req) =>
      labeling.draftView(await req.tx((tx) => labeling.getDraft(tx, req.principal!, req.params.taskId))),
  );

  app.delete(
    '/tasks/:taskId/draft',
    {
      config: { permission: 'annotations:write', audit: false },
      schema: {
        tags: ['annotations'],
        summary: "Discard the caller's draft of a task (not audited)",
        params: TaskParams,
        response: { 204: Type.Null() },
      },
    },
    async (req, reply) => {
      await req.tx((tx) => labeling.deleteDraft(tx, req.principal!, req.params.taskId));
      return reply.code(204).send(null);
    },
  );

  // ------------------------------------------------------------ predictions
  const PredictionBody = {
    result: Result,
    // A type list, not anyOf: with type coercion on, anyOf would turn null into 0.
    score: Type.Optional(Type.Unsafe<number | null>({ type: ['number', 'null'] })),
    model_version: Type.Optional(Type.String({ maxLength: 200 })),
  };

  app.post(
    '/tasks/:taskId/predictions',
    {
      config: { permission: 'tasks:import' },
      schema: {
        tags: ['predictions'],
        summary: 'Add a prediction to a task',
        description: "Keeps the task's total_predictions and prediction_score (the lowest score).",
        params: TaskParams,
        body: Type.Object(PredictionBody, { additionalProperties: false }),
        response: { 201: PredictionOut },
      },
    },
    async (req, reply) => {
      const p = await req.tx(async (tx) => {
        const p = await labeling.createPrediction(tx, req.principal!, req.params.taskId, req.body);
        req.audit({
          action: 'prediction.created',
          resourceType: 'prediction',
          resourceId: String(p.id),
          details: { task: p.taskId, model_version: p.modelVersion },
        });
        return p;
      });
      return reply.code(201).send(labeling.predictionView(p));
    },
  );

  app.post(
    '/projects/:id/predictions',
    {
      config: { permission: 'tasks:import' },
      schema: {
        tags: ['predictions'],
        summary: `Add up to ${BULK_PREDICTIONS_MAX} predictions in one transaction`,
        description: 'All or nothing: a 400 names every result or task that cannot be stored.',
        params: IdParams,
        body: Type.Array(Type.Object({ task: Id, ...PredictionBody }, { additionalProperties: false }), {
          minItems: 1,
          maxItems: BULK_PREDICTIONS_MAX,
        }),
        response: { 201: Type.Object({ created: Type.Integer(), tasks: Type.Integer() }) },
      },
    },
    async (req, reply) => {
      const out = await req.tx(async (tx) => {
        const out = await labeling.createPredictionsBulk(tx, req.principal!, req.params.id, req.body);
        req.audit({
          action: 'prediction.bulk_created',
          resourceType: 'project',
          resourceId: String(out.project.id),
          details: { created: out.created, tasks: out.tasks },
        });
        return out;
      });
      return reply.code(201).send({ created: out.created, tasks: out.tasks });
    },
  );

  app.get(
    '/projects/:id/predictions',
    {
      config: { permission: 'projects:read' },
      schema: {
        tags: ['predictions'],
        summary: "A project's predictions by model version, then id",
        params: IdParams,
        querystring: Type.Object({
          ...PageQuery,
          model_version: Type.Optional(Type.String({ maxLength: 200 })),
          task: Type.Optional(Id),
        }),
        response: { 200: pageOf(PredictionOut) },
      },
    },
    async (req) => {
      const q = req.query;
      return req.tx((tx) =>
        labeling.listPredictions(tx, req.principal!, req.params.id, {
          limit: q.limit ?? 50,
          cursor: q.cursor,
          model_version: q.model_version,
          task: q.task,
        }),
      );
    },
  );

  app.delete(
    '/predictions/:id',
    {
      config: { permission: 'tasks:import' },
      schema: {
        tags: ['predictions'],
        summary: 'Delete a prediction',
        params: IdParams,
        response: { 204: Type.Null() },
      },
    },
    async (req, reply) => {
      await req.tx(async (tx) => {
        const p = await labeling.deletePrediction(tx, req.principal!, req.params.id);
        req.audit({
          action: 'prediction.deleted',
          resourceType: 'prediction',
          resourceId: String(p.id),
          details: { task: p.taskId, model_version: p.modelVersion },
        });
      });
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/projects/:id/model-versions',
    {
      config: { permission: 'projects:read' },
      schema: {
        tags: ['predictions'],
        summary: 'The model versions of a project’s predictions, with counts',
        params: IdParams,
        response: {
          200: Type.Object({
            items: Type.Array(
              Type.Object({ model_version: Type.String(), count: Type.Integer(), latest: DateTime }),
            ),
          }),
        },
      },
    },
    async (req) => ({
      items: await req.tx((tx) => labeling.modelVersions(tx, req.principal!, req.params.id)),
    }),
  );

  // ------------------------------------------------------------ labeling stream
  app.get(
    '/projects/:id/next',
    {
      // It reserves a task: a cookie caller needs the CSRF checks of a POST.
      config: { permission: 'annotations:write', changesState: true },
      schema: {
        tags: ['annotations'],
        summary: 'The next task for the caller, reserved for them',
        description:
          '200: the task (Label Studio shape, with its predictions and the caller’s own annotations ' +
          'and draft), reserved for the caller until lock_expires_at. A task the caller already ' +
          'holds comes back first. 204: nothing to do; the `x-next-reason` header says why: ' +
          '`limit_reached` (the project’s per-annotator task limit) or `no_tasks`.',
        params: IdParams,
        response: {
          200: TaskOut,
          204: Type.Null({ description: 'No task for the caller; see the x-next-reason header' }),
        },
      },
    },
    async (req, reply) => {
      const out = await req.tx(async (tx) => {
        const next = await labeling.nextTask(tx, req.principal!, req.params.id);
        if ('reason' in next) return next;
        const task = await labeling.taskForAnnotator(tx, req.principal!, next.taskId);
        return { task: { ...task, lock_expires_at: next.expiresAt } };
      });
      if ('reason' in out) return reply.code(204).header('x-next-reason', out.reason).send(null);
      return out.task;
    },
  );

  // ------------------------------------------------------------ assignments
  app.post(
    '/projects/:id/assignments',
    {
      config: { permission: 'tasks:manage' },
      schema: {
        tags: ['assignments'],
        summary: 'Assign tasks to people: manually (every task to every user) or spread evenly',
        description:
          'spread gives each task to `per_task` (default 1) of the users, always those with the ' +
          'fewest assignments of this kind in the project. Annotate-assignments put tasks first in ' +
          'their assignees’ /next, and keep them from everyone else.',
        params: IdParams,
        body: Type.Object(
          {
            task_ids: Type.Array(Id, { minItems: 1, maxItems: 100_000 }),
            user_ids: Type.Array(UserId, { minItems: 1, maxItems: 200 }),
            mode: Type.Union([Type.Literal('manual'), Type.Literal('spread')]),
            kind: Type.Optional(Kind),
            per_task: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
            due_at: Type.Optional(DateTimeIn),
            priority: Type.Optional(Type.Integer({ minimum: -32768, maximum: 32767 })),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({
            kind: Type.String(),
            assigned: Type.Integer(),
            per_user: Type.Array(Type.Object({ user_id: Type.String(), count: Type.Integer() })),
          }),
        },
      },
    },
    async (req, reply) => {
      const out = await req.tx(async (tx) => {
        const out = await reviews.assign(tx, req.principal!, req.params.id, req.body);
        req.audit({
          action: 'task.assigned',
          resourceType: 'project',
          resourceId: String(out.project.id),
          details: { mode: req.body.mode, kind: out.kind, assigned: out.assigned, per_user: out.per_user },
        });
        return out;
      });
      return reply.code(201).send({ kind: out.kind, assigned: out.assigned, per_user: out.per_user });
    },
  );

  app.delete(
    '/projects/:id/assignments',
    {
      config: { permission: 'tasks:manage' },
      schema: {
        tags: ['assignments'],
        summary: 'Remove the assignments of these tasks to these users',
        params: IdParams,
        body: Type.Object(
          {
            task_ids: Type.Array(Id, { minItems: 1, maxItems: 100_000 }),
            user_ids: Type.Array(UserId, { minItems: 1, maxItems: 200 }),
            kind: Type.Optional(Kind),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ deleted: Type.Integer() }) },
      },
    },
    async (req) => {
      const out = await req.tx(async (tx) => {
        const out = await reviews.unassign(tx, req.principal!, req.params.id, req.body);
        req.audit({
          action: 'task.unassigned',
          resourceType: 'project',
          resourceId: String(out.project.id),
          details: { deleted: out.deleted, users: req.body.user_ids, kind: req.body.kind ?? null },
        });
        return out;
      });
      return { deleted: out.deleted };
    },
  );

  app.get(
    '/projects/:id/assignments',
    {
      config: { permission: 'projects:read' },
      schema: {
        tags: ['assignments'],
        summary: "A project's assignments (only one's own without tasks:manage)",
        params: IdParams,
        querystring: Type.Object({
          ...PageQuery,
          user_id: Type.Optional(UserId),
          task: Type.Optional(Id),
          kind: Type.Optional(Kind),
        }),
        response: { 200: pageOf(AssignmentOut) },
      },
    },
    async (req) => {
      const q = req.query;
      return req.tx((tx) =>
        reviews.listAssignments(tx, req.principal!, req.params.id, {
          limit: q.limit ?? 50,
          cursor: q.cursor,
          user_id: q.user_id,
          task: q.task,
          kind: q.kind,
        }),
      );
    },
  );

  // ------------------------------------------------------------ review
  app.get(
    '/projects/:id/review-queue',
    {
      config: { permission: 'reviews:write' },
      schema: {
        tags: ['reviews'],
        summary: 'Annotations awaiting review, oldest first',
        description:
          'Not skipped, not decided yet (or reworked since), not the reviewer’s own, not taken by ' +
          'another reviewer, and not on tasks whose review is assigned to other reviewers only.',
        params: IdParams,
        querystring: Type.Object(PageQuery),
        response: {
          200: pageOf(
            Type.Object({
              annotation: AnnotationOut,
              task: Type.Object({
                id: Type.Integer(),
                data: Type.Record(Type.String(), Type.Unknown()),
                meta: Type.Record(Type.String(), Type.Unknown()),
                status: Type.String(),
              }),
            }),
          ),
        },
      },
    },
    async (req) =>
      req.tx((tx) =>
        reviews.reviewQueue(tx, req.principal!, req.params.id, {
          limit: req.query.limit ?? 50,
          cursor: req.query.cursor,
        }),
      ),
  );

  app.post(
    '/annotations/:id/review',
    {
      config: { permission: 'reviews:write' },
      schema: {
        tags: ['reviews'],
        summary: 'Review an annotation: start, accept, reject (requeue or remove), fix, request_changes',
        description:
          'start: take it (in_review). accept: approved. reject + requeue (default): the annotation ' +
          'stays, rejected, stops counting, and the task goes back to its author first. reject + ' +
          'remove: the annotation is deleted; the review record keeps its id and a snapshot. fix: ' +
          'a new annotation with `result` (parent_annotation = the original, which is kept and ' +
          'approved). request_changes: modification_requested until the author changes it. A task ' +
          'whose counted annotations are all approved becomes reviewed.',
        params: IdParams,
        body: Type.Object(
          {
            action: Type.Union(
              ['start', 'accept', 'reject', 'fix', 'request_changes'].map((a) => Type.Literal(a)),
            ),
            reject_mode: Type.Optional(Type.Union([Type.Literal('requeue'), Type.Literal('remove')])),
            result: Type.Optional(Result),
            lead_time: Type.Optional(Type.Number({ minimum: 0 })),
            comment: Type.Optional(Type.String({ maxLength: 10_000 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            review: ReviewOut,
            annotation: Nullable(AnnotationOut),
            fixed_annotation: Nullable(AnnotationOut),
          }),
        },
      },
    },
    async (req) => {
      const out = await req.tx(async (tx) => {
        const body = req.body as reviews.ReviewInput;
        const out = await reviews.review(tx, req.principal!, req.params.id, body);
        await emit(tx, req, out.record.projectId, 'REVIEW_CREATED', {
          review: reviews.reviewView(out.record),
          annotation: { id: req.params.id },
        });
        req.audit({
          action: `annotation.review.${body.action}`,
          resourceType: 'annotation',
          resourceId: String(req.params.id),
          details: {
            review: out.record.id,
            status: out.record.status,
            reject_mode: out.record.rejectMode,
            fixed_annotation: out.fixed?.id ?? null,
          },
        });
        return out;
      });
      return {
        review: reviews.reviewView(out.record),
        annotation: out.annotation ? labeling.annotationView(out.annotation) : null,
        fixed_annotation: out.fixed ? labeling.annotationView(out.fixed) : null,
      };
    },
  );

  app.get(
    '/annotations/:id/reviews',
    {
      config: { permission: 'projects:read' },
      schema: {
        tags: ['reviews'],
        summary: 'The review history of an annotation (also of one a reject removed)',
        params: IdParams,
        querystring: Type.Object(PageQuery),
        response: { 200: pageOf(ReviewOut) },
      },
    },
    async (req) =>
      req.tx((tx) =>
        reviews.reviewHistory(tx, req.principal!, req.params.id, {
          limit: req.query.limit ?? 50,
          cursor: req.query.cursor,
        }),
      ),
  );
};
