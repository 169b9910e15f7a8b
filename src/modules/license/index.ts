import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Module } from '../index.ts';
import { checkProjectLimit } from './limits.ts';
import { licenseRoutes } from './routes.ts';
import { licenseServerRoutes } from './server.routes.ts';
import { licenseOf } from './state.ts';
import { startExpiryWarnings } from './warnings.ts';

const routes: FastifyPluginAsyncTypebox = async (app) => {
  await app.register(licenseRoutes);
  if (app.platform.config.license.server) await app.register(licenseServerRoutes);
};

export const licenseModule: Module = {
  name: 'license',
  routes,
  subscribe: (platform) => {
    platform.events.subscribe('PROJECT_CREATED', (tx, event) =>
      checkProjectLimit(platform, tx, event.tenantId, event.userId ?? null),
    );
  },
  // The installation's id and first start (the trial's) are fixed at the first start.
  start: async (platform) => {
    await licenseOf(platform).state();
    startExpiryWarnings(platform);
  },
};

export type { Feature } from './editions.ts';
export { gatedRoutes, licenseGate, requireFeature } from './gate.ts';
export { checkStorageLimit, seatClaim, withinAnnotatorLimit } from './limits.ts';
