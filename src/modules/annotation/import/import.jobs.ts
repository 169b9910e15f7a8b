import type { Platform } from '../../../platform/index.ts';
import { jobKind } from '../../../platform/jobs/queue.ts';
import { type ImportJobPayload, importStranded, runImport } from './import.service.ts';
import { projectFilesPrefix } from './media.ts';

export const IMPORT_JOB = jobKind<ImportJobPayload>('annotation.import', { retryLimit: 2 });
/** Removes a deleted project's stored files (its media); a job, as there may be many. */
export const DELETE_FILES_JOB = jobKind<{ projectId: number }>('annotation.delete_project_files', {
  retryLimit: 3,
});

export function defineImportJobs(platform: Platform): void {
  platform.queue.define(
    IMPORT_JOB,
    (ctx) => runImport(platform, ctx),
    (run) => importStranded(platform, run),
  );
  platform.queue.define(DELETE_FILES_JOB, async (ctx) => ({
    files: await platform.storage.deletePrefix(projectFilesPrefix(ctx.tenantId, ctx.payload.projectId)),
  }));
}
