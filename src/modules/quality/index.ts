import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Module } from '../index.ts';
import { alertsRoutes } from './alerts.routes.ts';
import { startSweeper } from './alerts.sweep.ts';
import { defineCheckJobs, subscribeChecks } from './checks.service.ts';
import { improvementRoutes } from './improvement.routes.ts';
import { defineDeliveryJobs } from './notifications.service.ts';
import { defineProjectAgreementJobs, projectAgreementRoutes } from './project-agreement.routes.ts';
import { defineRagasJobs, ragasRoutes } from './ragas.routes.ts';
import { defineReportJobs } from './reports.jobs.ts';
import { reportsRoutes } from './reports.routes.ts';
import { qualityRoutes } from './routes.ts';
import { rulesRoutes } from './rules.routes.ts';
import { defineScoreJobs, scoreRoutes, subscribeScores } from './scores.routes.ts';

const routes: FastifyPluginAsyncTypebox = async (app) => {
  await app.register(qualityRoutes);
  await app.register(projectAgreementRoutes);
  await app.register(scoreRoutes);
  await app.register(ragasRoutes);
  await app.register(rulesRoutes);
  await app.register(improvementRoutes);
  await app.register(alertsRoutes);
  await app.register(reportsRoutes);
};

export const qualityModule: Module = {
  name: 'quality',
  routes,
  jobs: (platform) => {
    defineProjectAgreementJobs(platform);
    defineScoreJobs(platform);
    defineRagasJobs(platform);
    defineCheckJobs(platform);
    defineDeliveryJobs(platform);
    defineReportJobs(platform);
  },
  subscribe: (platform) => {
    subscribeScores(platform);
    subscribeChecks(platform);
  },
  start: async (platform) => startSweeper(platform),
};

/** The table other modules may read (billing's quality multiplier); its shape is a contract. */
export { qualityScores } from './schema.ts';
