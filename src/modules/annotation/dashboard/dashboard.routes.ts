import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { badRequest } from '../../../platform/errors/problem.ts';
import { DateTime, DateTimeIn, Nullable, Uuid } from '../../../platform/http/schemas.ts';
import { dashboard } from './dashboard.service.ts';

const DAY_MS = 86_400_000;
const MAX_DAYS = 366;

const Dashboard = Type.Object({
  from: DateTime,
  to: DateTime,
  time_zone: Type.String(),
  days: Type.Array(
    Type.Object({
      day: Type.String({ format: 'date' }),
      tasks_created: Type.Integer(),
      tasks_completed: Type.Integer(),
      annotations: Type.Integer(),
      skips: Type.Integer(),
    }),
  ),
  annotators: Type.Array(
    Type.Object({
      user_id: Uuid,
      name: Type.String(),
      email: Type.String(),
      annotations: Type.Integer(),
      skips: Type.Integer(),
      mean_lead_time: Nullable(Type.Number()),
    }),
  ),
  reviews: Type.Record(Type.String(), Type.Integer()),
  projects: Type.Array(
    Type.Object({
      id: Type.Integer(),
      title: Type.String(),
      tasks: Type.Integer(),
      finished: Type.Integer(),
    }),
  ),
});

export const dashboardRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/dashboard',
    {
      config: { permission: 'projects:read' },
      schema: {
        tags: ['projects'],
        summary:
          'Tasks created and completed, annotations and skips per day, annotator throughput, review outcomes and project progress over a range (default: the last 30 days)',
        querystring: Type.Object({ from: Type.Optional(DateTimeIn), to: Type.Optional(DateTimeIn) }),
        response: { 200: Dashboard },
      },
    },
    async (req) => {
      const to = req.query.to ? new Date(req.query.to) : new Date();
      const from = req.query.from ? new Date(req.query.from) : new Date(to.getTime() - 30 * DAY_MS);
      if (from >= to) {
        throw badRequest('dashboard.range_reversed', 'The range must end after it starts.', [
          { path: 'querystring/to', message: 'is not after from' },
        ]);
      }
      if (to.getTime() - from.getTime() > MAX_DAYS * DAY_MS) {
        throw badRequest(
          'dashboard.range_too_long',
          `The range may span at most ${MAX_DAYS} days.`,
          [{ path: 'querystring/from', message: `is more than ${MAX_DAYS} days before to` }],
          { max_days: MAX_DAYS },
        );
      }
      return req.tx((tx) => dashboard(tx, req.me, { from, to }));
    },
  );
};
