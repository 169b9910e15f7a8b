import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Module } from '../index.ts';
import { authRoutes } from './auth/auth.routes.ts';
import { inviteRoutes } from './invites/invites.routes.ts';
import { defineAccountMailJobs } from './invites/mail.jobs.ts';
import { memberRoutes } from './members/members.routes.ts';
import { roleRoutes } from './roles/roles.routes.ts';
import { tenantRoutes } from './tenants/tenants.routes.ts';
import { bootstrap } from './tenants/tenants.service.ts';
import { tokenRoutes } from './tokens/tokens.routes.ts';

const routes: FastifyPluginAsyncTypebox = async (app) => {
  await app.register(authRoutes);
  await app.register(tokenRoutes);
  await app.register(memberRoutes);
  await app.register(roleRoutes);
  await app.register(tenantRoutes);
  await app.register(inviteRoutes);
};

export const identityModule: Module = {
  name: 'identity',
  routes,
  jobs: defineAccountMailJobs,
  start: async (platform) => {
    await bootstrap(platform.database.db, platform.config, (line) => process.stdout.write(`${line}\n`));
  },
};
