import { inTenant } from '../../../platform/db/tenancy.ts';
import type { Platform } from '../../../platform/index.ts';
import { jobKind } from '../../../platform/jobs/queue.ts';
import { type CountJobPayload, countLater } from './tasks.service.ts';

/**
 * A data-manager total too costly to count in the request (see totalOf). No retry: a
 * failed count leaves the total unknown, and a request after the pending mark expires
 * queues another.
 */
export const COUNT_JOB = jobKind<CountJobPayload>('annotation.count_tasks', { retryLimit: 0 });

export function defineTaskJobs(platform: Platform): void {
  platform.queue.define(COUNT_JOB, async (ctx) => {
    const scope = { tenantId: ctx.tenantId, userId: ctx.createdBy ?? undefined };
    const total = await inTenant(platform.database.db, scope, (tx) =>
      countLater(tx, platform.kv.cache, ctx.payload),
    );
    return { total };
  });
}
