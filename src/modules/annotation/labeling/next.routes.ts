import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { IdParams, TaskOut } from './labeling.schemas.ts';
import * as labeling from './labeling.service.ts';

/** The labeling stream: the next task for the caller. */
export const nextTaskRoutes: FastifyPluginAsyncTypebox = async (app) => {
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
        const next = await labeling.nextTask(tx, req.me, req.params.id);
        if ('reason' in next) return next;
        const task = await labeling.taskForAnnotator(tx, req.me, next.taskId);
        return { task: { ...task, lock_expires_at: next.expiresAt } };
      });
      if ('reason' in out) return reply.code(204).header('x-next-reason', out.reason).send(null);
      return out.task;
    },
  );
};
