import type { Module } from '../index.ts';
import { auditRoutes } from './routes.ts';

export const auditModule: Module = { name: 'audit', routes: auditRoutes };
