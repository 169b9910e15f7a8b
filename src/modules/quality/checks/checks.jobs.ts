import { inTenant } from '../../../platform/db/tenancy.ts';
import type { Platform } from '../../../platform/index.ts';
import { jobKind } from '../../../platform/jobs/queue.ts';
import { countSubmitted, submittedIdsAfter } from '../../annotation/index.ts';
import { BATCH, checkAnnotations } from './checks.service.ts';

export const CHECK_JOB = jobKind<{ annotationIds: number[] }>('quality.check', { concurrency: 2 });
export const BATCH_CHECK_JOB = jobKind<{ projectId: number }>('quality.check_project');

/** The per-submit check and the on-demand batch check of a whole project (keyset pages). */
export function defineCheckJobs(platform: Platform): void {
  const db = platform.database.db;
  platform.queue.define(CHECK_JOB, async (ctx) =>
    inTenant(db, { tenantId: ctx.tenantId }, (tx) =>
      checkAnnotations(tx, ctx.tenantId, ctx.payload.annotationIds, ctx.runId),
    ),
  );
  platform.queue.define(BATCH_CHECK_JOB, async (ctx) => {
    const scope = { tenantId: ctx.tenantId };
    const total = await inTenant(db, scope, (tx) => countSubmitted(tx, ctx.payload.projectId));
    const counts = { annotations: 0, checked: 0, failed: 0, issues: 0 };
    let after = 0;
    for (;;) {
      const page = await inTenant(db, scope, async (tx) => {
        const ids = await submittedIdsAfter(tx, ctx.payload.projectId, after, BATCH);
        const c = await checkAnnotations(tx, ctx.tenantId, ids, ctx.runId);
        return { ids, c };
      });
      if (page.ids.length === 0) break;
      after = page.ids.at(-1)!;
      counts.annotations += page.ids.length;
      counts.checked += page.c.checked;
      counts.failed += page.c.failed;
      counts.issues += page.c.issues;
      await ctx.progress(total ? counts.annotations / total : 1, counts);
      if (page.ids.length < BATCH) break;
    }
    return counts;
  });
}
