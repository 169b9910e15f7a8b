import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { badRequest } from '../../../platform/errors/problem.ts';
import { Uuid } from '../../../platform/http/schemas.ts';
import { LEFT_JOB } from './labeling.jobs.ts';
import { IdParams, TaskOut } from './labeling.schemas.ts';
import * as labeling from './labeling.service.ts';
import { progressOf } from './progress.ts';

/** The largest selection the labeling page walks (its ids travel in the query string). */
const MAX_SELECTION = 1000;

const Selection = Type.Object({
  tasks: Type.Optional(
    Type.String({
      pattern: '^[1-9][0-9]{0,17}(,[1-9][0-9]{0,17})*$',
      maxLength: 20_000,
      description: `Task ids, comma-separated (at most ${MAX_SELECTION}): a selection from the data manager, walked in this order`,
    }),
  ),
});

/** The selection's ids, in order, without repeats; a 400 past the limit. */
function idsOf(tasks: string | undefined): number[] | undefined {
  if (tasks === undefined) return undefined;
  const ids = [...new Set(tasks.split(',').map(Number))];
  if (ids.length > MAX_SELECTION || !ids.every(Number.isSafeInteger))
    throw badRequest(
      'next.selection_too_large',
      `A selection names at most ${MAX_SELECTION} tasks.`,
      [{ path: 'querystring/tasks', message: `must name at most ${MAX_SELECTION} task ids` }],
      { max: MAX_SELECTION },
    );
  return ids;
}

/** The labeling stream: the next task for the caller, and how many are left. */
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
          '`limit_reached` (the project’s per-annotator task limit), `no_tasks`, or ' +
          '`selection_done`. With `tasks`, the first of those tasks (in that order) the caller ' +
          'can take; `x-next-held` lists, comma-separated, those passed over because others hold them.',
        params: IdParams,
        querystring: Selection,
        response: {
          200: TaskOut,
          204: Type.Null({ description: 'No task for the caller; see the x-next-reason header' }),
        },
      },
    },
    async (req, reply) => {
      const only = idsOf(req.query.tasks);
      const out = await req.tx(async (tx) => {
        const next = await labeling.nextTask(tx, req.me, req.params.id, only);
        if ('reason' in next) return next;
        const task = await labeling.taskForAnnotator(tx, req.me, next.taskId);
        return { task: { ...task, lock_expires_at: next.expiresAt }, held: next.held };
      });
      if (out.held.length) reply.header('x-next-held', out.held.join(','));
      if ('reason' in out) return reply.code(204).header('x-next-reason', out.reason).send(null);
      return out.task;
    },
  );

  app.get(
    '/projects/:id/progress',
    {
      config: { permission: 'annotations:write' },
      schema: {
        tags: ['annotations'],
        summary: 'How many tasks are left for the caller ("12 of 200 left")',
        description:
          'Of the project’s tasks (or of the selection `tasks`), `left` is how many the caller ' +
          'can still get from /next under the project’s overlap, assignments, skip policy and ' +
          'task limit; tasks others hold at the moment count (reservations expire). On a large ' +
          'project the count runs in the background: `left` is null and `left_job` names the job; ' +
          'ask again.',
        params: IdParams,
        querystring: Selection,
        response: {
          200: Type.Object({
            total: Type.Integer({ description: 'The project’s tasks, or the selection’s' }),
            left: Type.Union([Type.Integer(), Type.Null()]),
            left_job: Type.Optional(Uuid),
          }),
        },
      },
    },
    async (req) => {
      const ids = idsOf(req.query.tasks);
      return req.tx((tx) =>
        progressOf(
          tx,
          {
            cache: app.platform.kv.cache,
            maxInlineCost: app.platform.config.countInlineMaxCost,
            countLater: (payload) =>
              app.platform.queue.enqueue(tx, {
                tenantId: req.me.tenantId,
                kind: LEFT_JOB,
                payload,
                createdBy: req.me.userId,
              }),
          },
          req.me,
          req.params.id,
          ids,
        ),
      );
    },
  );
};
