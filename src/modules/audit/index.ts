import type { Module } from '../index.ts';
import { startAnchoring } from './anchoring.ts';
import { auditRoutes } from './routes.ts';

export const auditModule: Module = {
  name: 'audit',
  routes: auditRoutes,
  start: async (platform) => startAnchoring(platform),
};
