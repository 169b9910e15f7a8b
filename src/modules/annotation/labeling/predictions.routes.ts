import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { PageQuery, pageOf } from '../../../platform/db/pagination.ts';
import { DateTime } from '../../../platform/http/schemas.ts';
import { PredictionOut } from '../shapes.ts';
import { Id, IdParams, Result, TaskParams } from './labeling.schemas.ts';
import * as labeling from './labeling.service.ts';
import { BULK_PREDICTIONS_MAX } from './labeling.service.ts';

/** Model predictions on tasks, and the model versions a project has seen. */
export const predictionRoutes: FastifyPluginAsyncTypebox = async (app) => {
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
        const p = await labeling.createPrediction(tx, req.me, req.params.taskId, req.body);
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
        const out = await labeling.createPredictionsBulk(tx, req.me, req.params.id, req.body);
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
        labeling.listPredictions(tx, req.me, req.params.id, {
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
        const p = await labeling.deletePrediction(tx, req.me, req.params.id);
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
      items: await req.tx((tx) => labeling.modelVersions(tx, req.me, req.params.id)),
    }),
  );
};
