import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Module } from '../index.ts';
import { alertsRoutes } from './alerts.routes.ts';
import { startSweeper } from './alerts.sweep.ts';
import { defineCheckJobs, subscribeChecks } from './checks.service.ts';
import { improvementRoutes } from './improvement.routes.ts';
import { defineDeliveryJobs } from './notifications.service.ts';
import { defineReportJobs } from './reports.jobs.ts';
import { reportsRoutes } from './reports.routes.ts';
import { qualityRoutes } from './routes.ts';
import { rulesRoutes } from './rules.routes.ts';

const routes: FastifyPluginAsyncTypebox = async (app) => {
  await app.register(qualityRoutes);
  await app.register(rulesRoutes);
  await app.register(improvementRoutes);
  await app.register(alertsRoutes);
  await app.register(reportsRoutes);
};

export const qualityModule: Module = {
  name: 'quality',
  routes,
  jobs: (platform) => {
    defineCheckJobs(platform);
    defineDeliveryJobs(platform);
    defineReportJobs(platform);
  },
  subscribe: subscribeChecks,
  start: async (platform) => startSweeper(platform),
};

/** The table other modules may read (billing's quality multiplier); its shape is a contract. */
export { qualityScores } from './schema.ts';
