import { eq } from 'drizzle-orm';
import { inTenant } from '../../../platform/db/tenancy.ts';
import type { Platform } from '../../../platform/index.ts';
import { jobKind } from '../../../platform/jobs/queue.ts';
import { dispatch } from '../notifications/notifications.service.ts';
import { reportRuns, reportSchedules } from '../schema.ts';
import { buildReport, getRun } from './reports.service.ts';

export const REPORT_JOB = jobKind<{ reportRunId: number }>('quality.report');

/**
 * Produces a report run from stored data, records the SHA-256 of its rows (a later rerun
 * must match it), and delivers a scheduled one on the schedule's channels; e-mails carry
 * the file, which the delivery job makes again from the same run.
 */
export function defineReportJobs(platform: Platform): void {
  platform.queue.define(REPORT_JOB, async (ctx) =>
    inTenant(platform.database.db, { tenantId: ctx.tenantId }, async (tx) => {
      const run = await getRun(tx, { tenantId: ctx.tenantId }, ctx.payload.reportRunId);
      if (run.status !== 'queued') return { skipped: true };
      const built = await buildReport(
        tx,
        ctx.tenantId,
        run.projectId,
        run.report,
        run.format,
        run.periodFrom,
        run.periodTo,
      );
      await tx
        .update(reportRuns)
        .set({
          status: 'completed',
          dataSha256: built.sha256,
          rowCount: built.data.rows.length,
          finishedAt: new Date(),
        })
        .where(eq(reportRuns.id, run.id));
      if (run.scheduleId) {
        const [s] = await tx.select().from(reportSchedules).where(eq(reportSchedules.id, run.scheduleId));
        if (s)
          await dispatch(tx, platform, s.channels, s.recipients, {
            tenantId: ctx.tenantId,
            projectId: run.projectId,
            event: 'QUALITY_REPORT',
            subject: built.data.title,
            text: `${built.data.title}\n${built.data.rows.length} row(s). Download: /api/v1/quality/report-runs/${run.id}/content`,
            data: {
              report_run_id: run.id,
              report: run.report,
              format: run.format,
              data_sha256: built.sha256,
              columns: built.data.columns,
              rows: built.data.rows,
            },
            reportRunId: run.id,
          });
      }
      return { rows: built.data.rows.length, sha256: built.sha256 };
    }),
  );
}
