import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { Nullable } from '../../../platform/http/schemas.ts';
import { getConfiguration } from '../providers/configurations.service.ts';
import { literals } from '../providers/providers.routes.ts';
import { CAPABILITIES } from '../schema.ts';
import { addModel, deleteModel, listModels, modelView, updateModel } from './models.service.ts';

const Id = Type.Integer({ minimum: 1 });
const Price = Type.String({
  pattern: '^[0-9]{1,10}(\\.[0-9]{1,10})?$',
  description: 'Exact decimal, per million tokens',
});
const Fields = {
  model: Type.String({ minLength: 1, maxLength: 200 }),
  capabilities: Type.Optional(Type.Array(literals(CAPABILITIES), { uniqueItems: true, maxItems: 5 })),
  context_window: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 100_000_000 }))),
  input_price_per_million: Type.Optional(Price),
  output_price_per_million: Type.Optional(Price),
  currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$' })),
  enabled: Type.Optional(Type.Boolean()),
};
const ModelOut = Type.Object({
  id: Type.Integer(),
  configuration_id: Type.Integer(),
  model: Type.String(),
  capabilities: Type.Array(Type.String()),
  context_window: Nullable(Type.Integer()),
  input_price_per_million: Type.String(),
  output_price_per_million: Type.String(),
  currency: Type.String(),
  enabled: Type.Boolean(),
  created_at: Type.String(),
  updated_at: Type.String(),
});

const audit = (id: number, model: string) => ({
  resourceType: 'llm_model',
  resourceId: String(id),
  details: { model },
});

/** The model registry: per configuration, what each model can do and what it costs. */
export const modelsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/llm/models',
    {
      config: { permission: 'llm:read' },
      schema: {
        tags: ['llm'],
        summary: 'Registered models with capabilities and prices',
        querystring: Type.Object({ configuration_id: Type.Optional(Id) }),
        response: { 200: Type.Object({ items: Type.Array(ModelOut) }) },
      },
    },
    async (req) => ({
      items: (await req.tx((tx) => listModels(tx, req.query.configuration_id))).map(modelView),
    }),
  );

  app.post(
    '/llm/configurations/:id/models',
    {
      config: { permission: 'llm:manage' },
      schema: {
        tags: ['llm'],
        summary: 'Register a model of the configuration',
        params: Type.Object({ id: Id }),
        body: Type.Object(Fields, { additionalProperties: false }),
        response: { 201: ModelOut },
      },
    },
    async (req, reply) => {
      const row = await req.tx(async (tx) => {
        await getConfiguration(tx, req.params.id);
        const row = await addModel(tx, req.me.tenantId, req.params.id, req.body);
        req.audit({ action: 'llm.model.created', ...audit(row.id, row.model) });
        return row;
      });
      return reply.code(201).send(modelView(row));
    },
  );

  app.patch(
    '/llm/models/:id',
    {
      config: { permission: 'llm:manage' },
      schema: {
        tags: ['llm'],
        summary: "Change a model's capabilities, prices or switch",
        params: Type.Object({ id: Id }),
        body: Type.Partial(Type.Object(Fields), { additionalProperties: false, minProperties: 1 }),
        response: { 200: ModelOut },
      },
    },
    async (req) =>
      modelView(
        await req.tx(async (tx) => {
          const row = await updateModel(tx, req.params.id, req.body);
          req.audit({ action: 'llm.model.updated', ...audit(row.id, row.model) });
          return row;
        }),
      ),
  );

  app.delete(
    '/llm/models/:id',
    {
      config: { permission: 'llm:manage' },
      schema: {
        tags: ['llm'],
        summary: 'Remove a model from the registry',
        params: Type.Object({ id: Id }),
        response: { 204: Type.Null() },
      },
    },
    async (req, reply) => {
      await req.tx(async (tx) => {
        const row = await deleteModel(tx, req.params.id);
        req.audit({ action: 'llm.model.deleted', ...audit(row.id, row.model) });
      });
      return reply.code(204).send(null);
    },
  );
};
