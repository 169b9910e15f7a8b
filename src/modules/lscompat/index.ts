import type { Module } from '../index.ts';
import { lscompatRoutes } from './routes.ts';

/** Label Studio's REST API at /api/…, for its clients, SDK and ML backends: a thin adapter over /api/v1. */
export const lscompatModule: Module = { name: 'lscompat', routes: lscompatRoutes, prefix: '/api' };
