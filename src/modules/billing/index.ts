import type { Module } from '../index.ts';
import { subscribeBilling } from './billing.events.ts';
import { defineBillingJobs } from './billing.jobs.ts';
import { billingRoutes } from './routes.ts';

export const billingModule: Module = {
  name: 'billing',
  routes: billingRoutes,
  jobs: defineBillingJobs,
  subscribe: subscribeBilling,
};
