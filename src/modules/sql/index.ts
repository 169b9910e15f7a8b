import type { Module } from '../index.ts';
import { sqlRoutes } from './routes.ts';

/** Text-to-SQL over the platform's own data (reporting views); registered databases come later. */
export const sqlModule: Module = {
  name: 'sql',
  routes: sqlRoutes,
};

export { REPORTING_SCHEMA, REPORTING_VIEWS } from './reporting.ts';
