import type { Module } from '../index.ts';
import { securityRoutes } from './routes.ts';

export const securityModule: Module = { name: 'security', routes: securityRoutes };
