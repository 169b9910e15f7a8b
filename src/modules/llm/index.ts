import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Module } from '../index.ts';
import { bindingsRoutes } from './bindings/bindings.routes.ts';
import { callsRoutes } from './calls/calls.routes.ts';
import { modelsRoutes } from './models/models.routes.ts';
import { defineHealthJobs, startHealthChecks } from './providers/health.ts';
import { providersRoutes } from './providers/providers.routes.ts';
import { usageRoutes } from './usage/usage.routes.ts';

const routes: FastifyPluginAsyncTypebox = async (app) => {
  await app.register(providersRoutes);
  await app.register(modelsRoutes);
  await app.register(bindingsRoutes);
  await app.register(callsRoutes);
  await app.register(usageRoutes);
};

export const llmModule: Module = {
  name: 'llm',
  routes,
  jobs: defineHealthJobs,
  start: async (platform) => startHealthChecks(platform),
};

export { chat, embed, estimateTokens, type PlannedCall, quote, structured } from './calls/calls.service.ts';
/** The gateway for other modules (pre-annotation, text-to-SQL, Ragas): one call path, logged and budgeted. */
export { type CallContext, LLM_NOT_BOUND } from './calls/gateway.ts';
