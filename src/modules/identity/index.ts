import type { Module } from '../index.ts';
import { identityRoutes } from './routes.ts';
import { bootstrap } from './service.ts';

export const identityModule: Module = {
  name: 'identity',
  routes: identityRoutes,
  start: async (platform) => {
    await bootstrap(platform.database.db, platform.config, (line) => process.stdout.write(`${line}\n`));
  },
};
