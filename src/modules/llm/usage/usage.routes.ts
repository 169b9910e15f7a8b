import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { decodeCursor, PageQuery, pageOf, toPage } from '../../../platform/db/pagination.ts';
import { badRequest } from '../../../platform/errors/problem.ts';
import { DateTimeIn, Nullable } from '../../../platform/http/schemas.ts';
import { literals } from '../providers/providers.routes.ts';
import { BUDGET_KINDS, FEATURES } from '../schema.ts';
import {
  budgetStatuses,
  budgetView,
  createBudget,
  deleteBudget,
  GROUPS,
  listUsage,
  logPromptsOn,
  setLogPrompts,
  summarize,
  updateBudget,
  usageView,
} from './usage.service.ts';

const Id = Type.Integer({ minimum: 1 });
const UsageOut = Type.Object({
  id: Type.Integer(),
  user_id: Nullable(Type.String()),
  feature: Type.String(),
  kind: Type.String(),
  configuration_id: Nullable(Type.Integer()),
  model: Nullable(Type.String()),
  request_id: Type.String(),
  attempt: Type.Integer(),
  tokens_in: Type.Integer(),
  tokens_out: Type.Integer(),
  estimated_tokens_in: Nullable(Type.Integer()),
  latency_ms: Type.Integer(),
  cost: Type.String(),
  currency: Nullable(Type.String()),
  success: Type.Boolean(),
  error_code: Nullable(Type.String()),
  prompt: Type.Unknown({ description: 'Only when the tenant logs prompts' }),
  created_at: Type.String(),
});
const Amount = Type.String({ pattern: '^[0-9]{1,14}(\\.[0-9]{1,10})?$' });
const BudgetFields = {
  name: Type.String({ minLength: 1, maxLength: 100 }),
  kind: literals(BUDGET_KINDS),
  limit: Amount,
  currency: Type.Optional(Nullable(Type.String({ pattern: '^[A-Z]{3}$' }))),
  feature: Type.Optional(Nullable(literals(FEATURES))),
  warn_ratio: Type.Optional(Type.String({ pattern: '^(0(\\.[0-9]{1,3})?|1(\\.0{1,3})?)$' })),
};
const BudgetOut = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  kind: Type.String(),
  limit: Type.String(),
  currency: Nullable(Type.String()),
  feature: Nullable(Type.String()),
  warn_ratio: Type.String(),
  used: Type.String({ description: 'This UTC month' }),
  ratio: Type.Number(),
  state: Type.String({ description: 'ok, warning (past warn_ratio) or exceeded (calls refused)' }),
});
const Settings = Type.Object({ log_prompts: Type.Boolean() }, { additionalProperties: false });

export const usageRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/llm/usage',
    {
      config: { permission: 'llm:read' },
      schema: {
        tags: ['llm'],
        summary: 'Usage rows, newest first: every provider attempt, retries and failures included',
        querystring: Type.Object({
          ...PageQuery,
          request_id: Type.Optional(Type.String({ maxLength: 100 })),
        }),
        response: { 200: pageOf(UsageOut) },
      },
    },
    async (req) => {
      const limit = req.query.limit ?? 50;
      const before = decodeCursor(req.query.cursor, 1)?.[0];
      const rows = await req.read((db) =>
        listUsage(db, {
          limit,
          before: before === undefined ? undefined : Number(before),
          requestId: req.query.request_id,
        }),
      );
      const page = toPage(rows, limit, (r) => [r.id]);
      return { items: page.items.map(usageView), next_cursor: page.next_cursor };
    },
  );

  app.get(
    '/llm/usage/summary',
    {
      config: { permission: 'llm:read' },
      schema: {
        tags: ['llm'],
        summary:
          'Calls, failures, tokens and spend per day, feature, model or user (default: the last 30 days)',
        querystring: Type.Object({
          group_by: Type.Optional(literals(GROUPS)),
          from: Type.Optional(DateTimeIn),
          to: Type.Optional(DateTimeIn),
        }),
        response: {
          200: Type.Object({
            group_by: Type.String(),
            from: Type.String(),
            to: Type.String(),
            items: Type.Array(
              Type.Object({
                key: Type.String(),
                currency: Nullable(Type.String()),
                calls: Type.Integer(),
                failures: Type.Integer(),
                tokens_in: Type.Integer(),
                tokens_out: Type.Integer(),
                cost: Type.String(),
              }),
            ),
          }),
        },
      },
    },
    async (req) => {
      const to = req.query.to ? new Date(req.query.to) : new Date();
      const from = req.query.from ? new Date(req.query.from) : new Date(to.getTime() - 30 * 86_400_000);
      if (from >= to)
        throw badRequest('request.range_reversed', 'from must be before to.', [
          { path: 'querystring/from', message: 'after to' },
        ]);
      const group = req.query.group_by ?? 'day';
      const items = await req.read((db) => summarize(db, group, from, to));
      return { group_by: group, from: from.toISOString(), to: to.toISOString(), items };
    },
  );

  app.get(
    '/llm/budgets',
    {
      config: { permission: 'llm:read' },
      schema: {
        tags: ['llm'],
        summary: "Monthly budgets with this month's use",
        response: { 200: Type.Object({ items: Type.Array(BudgetOut) }) },
      },
    },
    async (req) => ({ items: (await req.tx((tx) => budgetStatuses(tx))).map(budgetView) }),
  );

  app.post(
    '/llm/budgets',
    {
      config: { permission: 'llm:manage' },
      schema: {
        tags: ['llm'],
        summary:
          'Add a monthly budget (tokens, or money in a currency); warns at warn_ratio, refuses at 100%',
        body: Type.Object(BudgetFields, { additionalProperties: false }),
        response: { 201: BudgetOut },
      },
    },
    async (req, reply) => {
      const status = await req.tx(async (tx) => {
        const row = await createBudget(tx, req.me.tenantId, req.body);
        req.audit({
          action: 'llm.budget.created',
          resourceType: 'llm_budget',
          resourceId: String(row.id),
          details: req.body,
        });
        return (await budgetStatuses(tx)).find((s) => s.budget.id === row.id)!;
      });
      return reply.code(201).send(budgetView(status));
    },
  );

  app.patch(
    '/llm/budgets/:id',
    {
      config: { permission: 'llm:manage' },
      schema: {
        tags: ['llm'],
        summary: 'Change a budget',
        params: Type.Object({ id: Id }),
        body: Type.Partial(Type.Object(BudgetFields), { additionalProperties: false, minProperties: 1 }),
        response: { 200: BudgetOut },
      },
    },
    async (req) =>
      budgetView(
        await req.tx(async (tx) => {
          const row = await updateBudget(tx, req.params.id, req.body);
          req.audit({
            action: 'llm.budget.updated',
            resourceType: 'llm_budget',
            resourceId: String(row.id),
            details: req.body,
          });
          return (await budgetStatuses(tx)).find((s) => s.budget.id === row.id)!;
        }),
      ),
  );

  app.delete(
    '/llm/budgets/:id',
    {
      config: { permission: 'llm:manage' },
      schema: {
        tags: ['llm'],
        summary: 'Remove a budget',
        params: Type.Object({ id: Id }),
        response: { 204: Type.Null() },
      },
    },
    async (req, reply) => {
      await req.tx(async (tx) => {
        const row = await deleteBudget(tx, req.params.id);
        req.audit({ action: 'llm.budget.deleted', resourceType: 'llm_budget', resourceId: String(row.id) });
      });
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/llm/settings',
    {
      config: { permission: 'llm:read' },
      schema: { tags: ['llm'], summary: "The tenant's gateway settings", response: { 200: Settings } },
    },
    async (req) => ({ log_prompts: await req.read((db) => logPromptsOn(db)) }),
  );

  app.put(
    '/llm/settings',
    {
      config: { permission: 'llm:manage' },
      schema: {
        tags: ['llm'],
        summary: 'Gateway settings: log_prompts stores prompts in usage rows (they may hold sensitive data)',
        body: Settings,
        response: { 200: Settings },
      },
    },
    async (req) =>
      req.tx(async (tx) => {
        await setLogPrompts(tx, req.me.tenantId, req.body.log_prompts);
        req.audit({
          action: 'llm.settings.updated',
          resourceType: 'llm_settings',
          resourceId: req.me.tenantId,
          details: req.body,
        });
        return req.body;
      }),
  );
};
