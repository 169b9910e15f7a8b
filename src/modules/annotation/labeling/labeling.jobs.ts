import { inTenant } from '../../../platform/db/tenancy.ts';
import type { Platform } from '../../../platform/index.ts';
import { jobKind } from '../../../platform/jobs/queue.ts';
import { countLeftLater, type LeftJobPayload } from './progress.ts';

/**
 * An annotator's "left" figure too costly to count in the request (see progressOf). No
 * retry: a failed count leaves the figure unknown, and a request after the pending mark
 * expires queues another.
 */
export const LEFT_JOB = jobKind<LeftJobPayload>('annotation.count_left', { retryLimit: 0 });

export function defineLabelingJobs(platform: Platform): void {
  platform.queue.define(LEFT_JOB, async (ctx) => {
    const scope = { tenantId: ctx.tenantId, userId: ctx.createdBy ?? undefined };
    const left = await inTenant(platform.database.db, scope, (tx) =>
      countLeftLater(tx, platform.kv.cache, ctx.payload),
    );
    return { left };
  });
}
