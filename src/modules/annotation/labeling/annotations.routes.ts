import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { PageQuery, pageOf } from '../../../platform/db/pagination.ts';
import { AnnotationOut } from '../shapes.ts';
import { emit } from './announce.ts';
import { Id, IdParams, Result, TaskParams } from './labeling.schemas.ts';
import * as labeling from './labeling.service.ts';

/** Annotations on a task: create, list, read, update, delete. */
export const annotationRoutes: FastifyPluginAsyncTypebox = async (app) => {
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
        const a = await labeling.createAnnotation(tx, req.me, req.params.taskId, req.body);
        await emit(tx, req, a.projectId, 'ANNOTATION_CREATED', {
          annotation: labeling.annotationView(a),
          task: { id: a.taskId },
          project: { id: a.projectId },
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
        labeling.listTaskAnnotations(tx, req.me, req.params.taskId, {
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
      labeling.annotationView(await req.tx((tx) => labeling.getAnnotation(tx, req.me, req.params.id))),
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
        const a = await labeling.updateAnnotation(tx, req.me, req.params.id, req.body);
        await emit(tx, req, a.projectId, 'ANNOTATION_UPDATED', {
          annotation: labeling.annotationView(a),
          task: { id: a.taskId },
          project: { id: a.projectId },
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
        const a = await labeling.deleteAnnotation(tx, req.me, req.params.id);
        await emit(tx, req, a.projectId, 'ANNOTATIONS_DELETED', {
          annotations: [{ id: a.id }],
          task: { id: a.taskId },
          project: { id: a.projectId },
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
};
