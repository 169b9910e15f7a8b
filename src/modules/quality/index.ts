import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { sql } from 'drizzle-orm';
import type { Module } from '../index.ts';
import { requireProjectReader } from './access.ts';
import { defineProjectAgreementJobs } from './agreement/agreement.jobs.ts';
import { projectAgreementRoutes } from './agreement/project-agreement.routes.ts';
import { alertsRoutes } from './alerts/alerts.routes.ts';
import { startSweeper } from './alerts/alerts.sweep.ts';
import { defineCheckJobs } from './checks/checks.jobs.ts';
import { improvementRoutes } from './improvement/improvement.routes.ts';
import { defineDeliveryJobs } from './notifications/notifications.jobs.ts';
import { subscribeQuality } from './quality.events.ts';
import { defineRagasJobs } from './ragas/ragas.jobs.ts';
import { ragasRoutes } from './ragas/ragas.routes.ts';
import { defineReportJobs } from './reports/reports.jobs.ts';
import { reportsRoutes } from './reports/reports.routes.ts';
import { rulesRoutes } from './rules/rules.routes.ts';
import { defineScoreJobs } from './scores/scores.jobs.ts';
import { scoreRoutes } from './scores/scores.routes.ts';
import { qualityRoutes } from './stats/stats.routes.ts';

const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('preHandler', requireProjectReader);
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
  subscribe: subscribeQuality,
  start: async (platform) => startSweeper(platform),
};

/**
 * Quality scores as other modules may read them (billing's quality multiplier): a read-only
 * relation for their set-based SQL, flattened by PostgreSQL into the caller's query.
 */
export const scoreRows = sql`(select tenant_id, project_id, scope, annotation_id, user_id, total,
  computed_at from quality_scores)`;

/** Notifications as other modules send them (the license's expiry warnings). */
export { emailTenant, notifyInApp } from './notifications/notifications.service.ts';
