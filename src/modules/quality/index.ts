import type { Module } from '../index.ts';
import { qualityRoutes } from './routes.ts';

export const qualityModule: Module = { name: 'quality', routes: qualityRoutes };
