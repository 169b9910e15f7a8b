import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Module } from '../index.ts';
import { defineProjectAgreementJobs, projectAgreementRoutes } from './project-agreement.routes.ts';
import { defineRagasJobs, ragasRoutes } from './ragas.routes.ts';
import { qualityRoutes } from './routes.ts';
import { defineScoreJobs, scoreRoutes, subscribeScores } from './scores.routes.ts';

const routes: FastifyPluginAsyncTypebox = async (app) => {
  await app.register(qualityRoutes);
  await app.register(projectAgreementRoutes);
  await app.register(scoreRoutes);
  await app.register(ragasRoutes);
};

export const qualityModule: Module = {
  name: 'quality',
  routes,
  jobs: (platform) => {
    defineProjectAgreementJobs(platform);
    defineScoreJobs(platform);
    defineRagasJobs(platform);
  },
  subscribe: subscribeScores,
};

/** The table other modules may read (billing's quality multiplier); its shape is a contract. */
export { qualityScores } from './schema.ts';
