import type { Module } from '../index.ts';
import { subscribeBilling } from './billing.events.ts';
import { GENERATE_JOB, generateBill } from './bills.service.ts';
import { billingRoutes } from './routes.ts';

export const billingModule: Module = {
  name: 'billing',
  routes: billingRoutes,
  jobs: (platform) => {
    // A bill is computed in SQL, so one at a time per worker is plenty.
    platform.queue.define<{ bill_id: number }>(GENERATE_JOB, (ctx) => generateBill(platform, ctx), {
      retryLimit: 1,
    });
  },
  subscribe: subscribeBilling,
};
