import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { PageQuery, pageOf } from '../../../platform/db/pagination.ts';
import { DateTimeIn } from '../../../platform/http/schemas.ts';
import * as reviews from '../review/review.service.ts';
import { AssignmentOut, Id, IdParams, Kind, UserId } from './labeling.schemas.ts';

/** Who annotates or reviews which tasks. */
export const assignmentRoutes: FastifyPluginAsyncTypebox = async (app) => {
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
        const out = await reviews.assign(tx, req.me, req.params.id, req.body);
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
        const out = await reviews.unassign(tx, req.me, req.params.id, req.body);
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
        reviews.listAssignments(tx, req.me, req.params.id, {
          limit: q.limit ?? 50,
          cursor: q.cursor,
          user_id: q.user_id,
          task: q.task,
          kind: q.kind,
        }),
      );
    },
  );
};
