import type { Platform } from '../../../platform/index.ts';
import { jobKind } from '../../../platform/jobs/queue.ts';
import { type ImportJobPayload, importStranded, runImport } from './import.service.ts';

export const IMPORT_JOB = jobKind<ImportJobPayload>('annotation.import', { retryLimit: 2 });

export function defineImportJobs(platform: Platform): void {
  platform.queue.define(
    IMPORT_JOB,
    (ctx) => runImport(platform, ctx),
    (run) => importStranded(platform, run),
  );
}
