import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { asc, eq } from 'drizzle-orm';
import { badRequest, notFound } from '../../../platform/errors/problem.ts';
import { Nullable } from '../../../platform/http/schemas.ts';
import { literals } from '../providers/providers.routes.ts';
import { FEATURES, llmBindings, llmConfigurations } from '../schema.ts';

const FeatureParams = Type.Object({ feature: literals(FEATURES) });
const BindingIn = Type.Object(
  {
    configuration_id: Type.Integer({ minimum: 1 }),
    model: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 200 }))),
    embedding_model: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 200 }))),
  },
  { additionalProperties: false },
);
const BindingOut = Type.Object({
  feature: Type.String(),
  configuration_id: Type.Integer(),
  model: Nullable(Type.String()),
  embedding_model: Nullable(Type.String()),
  updated_at: Type.String(),
});

const view = (b: typeof llmBindings.$inferSelect) => ({
  feature: b.feature,
  configuration_id: b.configurationId,
  model: b.model,
  embedding_model: b.embeddingModel,
  updated_at: b.updatedAt.toISOString(),
});

/** Which configuration and model each feature (pre-annotation, text-to-SQL, Ragas, playground) calls. */
export const bindingsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/llm/bindings',
    {
      config: { permission: 'llm:read' },
      schema: {
        tags: ['llm'],
        summary: 'The configuration and model bound to each feature',
        response: { 200: Type.Object({ items: Type.Array(BindingOut) }) },
      },
    },
    async (req) => ({
      items: (await req.tx((tx) => tx.select().from(llmBindings).orderBy(asc(llmBindings.feature)))).map(
        view,
      ),
    }),
  );

  app.put(
    '/llm/bindings/:feature',
    {
      config: { permission: 'llm:manage' },
      schema: {
        tags: ['llm'],
        summary: 'Bind a feature to a configuration (and model)',
        params: FeatureParams,
        body: BindingIn,
        response: { 200: BindingOut },
      },
    },
    async (req) =>
      view(
        await req.tx(async (tx) => {
          const [config] = await tx
            .select({ id: llmConfigurations.id })
            .from(llmConfigurations)
            .where(eq(llmConfigurations.id, req.body.configuration_id));
          if (!config)
            throw badRequest('llm_configuration.not_found', 'The configuration does not exist.', [
              { path: '/configuration_id', message: 'unknown' },
            ]);
          const values = {
            configurationId: req.body.configuration_id,
            model: req.body.model ?? null,
            embeddingModel: req.body.embedding_model ?? null,
            updatedAt: new Date(),
          };
          const [row] = await tx
            .insert(llmBindings)
            .values({ tenantId: req.me.tenantId, feature: req.params.feature, ...values })
            .onConflictDoUpdate({ target: [llmBindings.tenantId, llmBindings.feature], set: values })
            .returning();
          req.audit({
            action: 'llm.binding.set',
            resourceType: 'llm_binding',
            resourceId: req.params.feature,
            details: req.body,
          });
          return row!;
        }),
      ),
  );

  app.delete(
    '/llm/bindings/:feature',
    {
      config: { permission: 'llm:manage' },
      schema: {
        tags: ['llm'],
        summary: 'Unbind a feature',
        params: FeatureParams,
        response: { 204: Type.Null() },
      },
    },
    async (req, reply) => {
      await req.tx(async (tx) => {
        const gone = await tx
          .delete(llmBindings)
          .where(eq(llmBindings.feature, req.params.feature))
          .returning();
        if (gone.length === 0) throw notFound('binding.not_found', 'The binding');
        req.audit({
          action: 'llm.binding.deleted',
          resourceType: 'llm_binding',
          resourceId: req.params.feature,
        });
      });
      return reply.code(204).send(null);
    },
  );
};
