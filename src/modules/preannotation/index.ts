import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Module } from '../index.ts';
import { defineBackendJobs, startBackendProbes } from './backends/backends.jobs.ts';
import { backendRoutes } from './backends/backends.routes.ts';
import { subscribePreannotation } from './preannotation.events.ts';

const routes: FastifyPluginAsyncTypebox = async (app) => {
  await app.register(backendRoutes);
};

/** AI pre-annotation: ML backends speaking Label Studio's protocol (issue 23, part 1). */
export const preannotationModule: Module = {
  name: 'preannotation',
  routes,
  jobs: defineBackendJobs,
  subscribe: subscribePreannotation,
  start: async (platform) => startBackendProbes(platform),
};

/** For the Label Studio API's /api/ml (lscompat). */
export { queueProbe, WEBHOOK_JOB } from './backends/backends.jobs.ts';
export {
  backendView,
  createBackend,
  deleteBackend,
  getBackend,
  listBackends,
  updateBackend,
} from './backends/backends.service.ts';
