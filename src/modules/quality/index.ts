import type { Module } from '../index.ts';
import { qualityRoutes } from './routes.ts';

export const qualityModule: Module = { name: 'quality', routes: qualityRoutes };

/** The table other modules may read (billing's quality multiplier); its shape is a contract. */
export { qualityScores } from './schema.ts';
