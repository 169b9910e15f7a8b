import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { DraftOut, Result, TaskParams } from './labeling.schemas.ts';
import * as labeling from './labeling.service.ts';

/** One annotator's draft per task. */
export const draftRoutes: FastifyPluginAsyncTypebox = async (app) => {
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
      labeling.draftView(await req.tx((tx) => labeling.saveDraft(tx, req.me, req.params.taskId, req.body))),
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
    async (req) => labeling.draftView(await req.tx((tx) => labeling.getDraft(tx, req.me, req.params.taskId))),
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
      await req.tx((tx) => labeling.deleteDraft(tx, req.me, req.params.taskId));
      return reply.code(204).send(null);
    },
  );
};
