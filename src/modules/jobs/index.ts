import type { Module } from '../index.ts';
import { jobRoutes } from './routes.ts';

export const jobsModule: Module = { name: 'jobs', routes: jobRoutes };
