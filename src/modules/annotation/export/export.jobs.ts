import type { Platform } from '../../../platform/index.ts';
import { jobKind } from '../../../platform/jobs/queue.ts';
import { type ExportJobPayload, runExport } from './export.service.ts';

export const EXPORT_JOB = jobKind<ExportJobPayload>('annotation.export', { retryLimit: 2 });

export function defineExportJobs(platform: Platform): void {
  platform.queue.define(EXPORT_JOB, (ctx) => runExport(platform, ctx));
}
