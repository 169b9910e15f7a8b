import { eq } from 'drizzle-orm';
import type { Tx } from '../../platform/db/client.ts';
import { jobRuns } from '../../platform/jobs/schema.ts';

/** The job behind an import or export, as its status view reads it. */
export type JobState = { state: string; progress: number; error: string | null } | undefined;

export async function jobState(tx: Tx, jobId: string | null): Promise<JobState> {
  if (!jobId) return undefined;
  const [job] = await tx
    .select({ state: jobRuns.state, progress: jobRuns.progress, error: jobRuns.error })
    .from(jobRuns)
    .where(eq(jobRuns.id, jobId));
  return job;
}
