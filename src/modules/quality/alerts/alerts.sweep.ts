import { sql } from 'drizzle-orm';
import { rowsOf } from '../../../platform/db/sql.ts';
import { inSystem, inTenant } from '../../../platform/db/tenancy.ts';
import type { Platform } from '../../../platform/index.ts';
import { runDueSchedules } from '../reports/reports.service.ts';
import { escalateDue, evaluateScores } from './alerts.service.ts';

/** How often `serve` looks for due quality work. */
export const SWEEP_INTERVAL_MS = 60_000;

/**
 * One tenant's due quality work at `now`: alerts for new scores, escalations of alerts left
 * unacknowledged, and report schedules whose time has come. Row locks (skip locked) let
 * several replicas sweep at once without doing anything twice.
 */
export async function sweepTenant(platform: Platform, tenantId: string, now: Date) {
  return inTenant(platform.database.db, { tenantId }, async (tx) => {
    const projects = rowsOf<{ project_id: number }>(
      await tx.execute(sql`select project_id from alert_configs where enabled`),
    );
    let alerts = 0;
    for (const p of projects)
      alerts += (await evaluateScores(tx, platform, tenantId, Number(p.project_id), now)).length;
    const escalated = (await escalateDue(tx, platform, tenantId, now)).length;
    const reports = (await runDueSchedules(tx, platform, tenantId, now)).length;
    return { alerts, escalated, reports };
  });
}

/** Every tenant with quality alerting or report schedules (found as the system, across tenants). */
export async function sweepAll(platform: Platform, now = new Date()): Promise<void> {
  const tenants = await inSystem(platform.database.db, async (tx) =>
    rowsOf<{ tenant_id: string }>(
      await tx.execute(sql`select tenant_id from alert_configs where enabled
        union select tenant_id from report_schedules where enabled and next_run_at <= ${now.toISOString()}::timestamptz`),
    ),
  );
  for (const t of tenants) {
    try {
      await sweepTenant(platform, t.tenant_id, now);
    } catch (err) {
      platform.log.error({ err, tenantId: t.tenant_id }, 'quality sweep failed');
    }
  }
}

/** Runs the sweep every minute in a serving process, until the platform closes. */
export function startSweeper(platform: Platform): void {
  const timer = setInterval(() => {
    sweepAll(platform).catch((err) => platform.log.error({ err }, 'quality sweep failed'));
  }, SWEEP_INTERVAL_MS);
  timer.unref();
  platform.onClose(() => clearInterval(timer));
}
