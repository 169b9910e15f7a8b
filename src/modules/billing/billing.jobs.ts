import type { Platform } from '../../platform/index.ts';
import { jobKind } from '../../platform/jobs/queue.ts';
import { generateBill } from './bills.service.ts';

/** A bill is computed in SQL, so one at a time per worker is plenty. */
export const GENERATE_JOB = jobKind<{ bill_id: number }>('billing.generate', { retryLimit: 1 });

export function defineBillingJobs(platform: Platform): void {
  platform.queue.define(GENERATE_JOB, (ctx) => generateBill(platform, ctx));
}
