import { and, eq, isNull } from 'drizzle-orm';
import { inTenant } from '../../../platform/db/tenancy.ts';
import type { Platform } from '../../../platform/index.ts';
import { type JobContext, jobKind } from '../../../platform/jobs/queue.ts';
import { projects } from '../schema.ts';
import { type LabelInput, runBulkLabel } from './bulk-label.ts';
import { bumpGeneration, lockProjectRow } from './tasks.service.ts';

export interface LabelJobPayload {
  projectId: number;
  selection: LabelInput['selection'];
  /** The result checked against the config when the action was asked for. */
  result: unknown[];
}

export const LABEL_JOB = jobKind<LabelJobPayload>('annotation.bulk_label', { retryLimit: 2 });

/**
 * A large bulk labeling, in one transaction so that it labels every selected task or none
 * (a failed run leaves nothing, and its retry starts over). Its progress shows at the end
 * only: on PGlite the progress row could not be written beside the open transaction.
 */
export async function runLabelJob(platform: Platform, ctx: JobContext<LabelJobPayload>) {
  const { projectId, selection, result } = ctx.payload;
  const userId = ctx.createdBy;
  if (!userId) throw new Error('a bulk labeling job needs the user who asked for it');
  const author = { tenantId: ctx.tenantId, userId };
  const outcome = await inTenant(platform.database.db, author, async (tx) => {
    const [project] = await tx
      .select()
      .from(projects)
      .where(
        and(eq(projects.id, projectId), eq(projects.tenantId, ctx.tenantId), isNull(projects.deletingSince)),
      );
    if (!project) return undefined;
    await lockProjectRow(tx, project.id);
    return runBulkLabel(tx, platform, author, project, selection, result);
  });
  await bumpGeneration(platform.kv.cache, ctx.tenantId, projectId);
  const counts = outcome ?? { affected: 0, annotations_created: 0, skipped: 0 };
  await ctx.progress(1, counts);
  return counts;
}

export function defineLabelJobs(platform: Platform): void {
  platform.queue.define(LABEL_JOB, (ctx) => runLabelJob(platform, ctx));
}
