import { createHash } from 'node:crypto';
import { CronExpressionParser } from 'cron-parser';
import { stringify } from 'csv-stringify/sync';
import { and, asc, desc, eq, lte, sql } from 'drizzle-orm';
import type { Executor } from '../../../platform/db/client.ts';
import { rowsOf } from '../../../platform/db/sql.ts';
import { badRequest } from '../../../platform/errors/problem.ts';
import type { Platform } from '../../../platform/index.ts';
import { readOnly } from '../../annotation/index.ts';
import { loadRow, type Reader } from '../access.ts';
import { requireProject } from '../rules/rules.service.ts';
import { type REPORT_FORMATS, type REPORT_TYPES, reportRuns, reportSchedules } from '../schema.ts';
import { REPORT_JOB } from './reports.jobs.ts';

export type ReportType = (typeof REPORT_TYPES)[number];
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export interface ReportData {
  title: string;
  columns: string[];
  rows: (string | number | null)[][];
}

/** Numbers as the database rounded them, so a rerun gives the same figures on either driver. */
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

const DIMENSIONS = ['total', 'accuracy', 'completeness', 'timeliness', 'consistency'] as const;
const means = DIMENSIONS.map((d) => sql.raw(`round(avg(s.${d})::numeric, 4) as mean_${d}`));

/**
 * The report's rows for [from, to): annotations by their creation time, scores by when they
 * were computed, issues and alerts by when they were raised. Nothing after `to` counts, so
 * a run over a past period reads the same data again.
 */
export async function reportData(
  tx: Executor,
  projectId: number,
  type: ReportType,
  from: Date,
  to: Date,
  title: string,
): Promise<ReportData> {
  const f = from.toISOString();
  const t = to.toISOString();
  const inPeriod = (col: string) => sql.raw(`${col} >= '${f}'::timestamptz and ${col} < '${t}'::timestamptz`);
  const period = `${f} – ${t}`;
  if (type === 'summary') {
    const [a] = rowsOf<Record<string, unknown>>(
      await tx.execute(sql`select
        count(*) filter (where not was_cancelled)::int as submitted,
        count(*) filter (where was_cancelled)::int as skipped,
        count(distinct completed_by)::int as annotators
        from ${readOnly.annotations} a where project_id = ${projectId} and ${inPeriod('created_at')}`),
    );
    const [s] = rowsOf<Record<string, unknown>>(
      await tx.execute(sql`select count(*)::int as scored, ${sql.join(means, sql`, `)},
        count(*) filter (where s.total < 0.3)::int as critical,
        count(*) filter (where s.total >= 0.3 and s.total < 0.5)::int as high,
        count(*) filter (where s.total >= 0.5 and s.total < 0.7)::int as medium
        from quality_scores s where s.project_id = ${projectId} and s.scope = 'annotation' and ${inPeriod('s.computed_at')}`),
    );
    const [i] = rowsOf<Record<string, unknown>>(
      await tx.execute(sql`select count(*)::int as raised,
        count(*) filter (where status in ('open', 'in_progress'))::int as still_open
        from quality_issues where project_id = ${projectId} and ${inPeriod('created_at')}`),
    );
    const [al] = rowsOf<Record<string, unknown>>(
      await tx.execute(sql`select count(*)::int as n from quality_alerts
        where project_id = ${projectId} and ${inPeriod('created_at')}`),
    );
    const rows: [string, number | null][] = [
      ['annotations submitted', num(a?.submitted)],
      ['annotations skipped', num(a?.skipped)],
      ['annotators', num(a?.annotators)],
      ['annotations scored', num(s?.scored)],
      ...DIMENSIONS.map((d) => [`mean ${d}`, num(s?.[`mean_${d}`])] as [string, number | null]),
      ['scores below 0.3 (critical)', num(s?.critical)],
      ['scores 0.3–0.5 (high)', num(s?.high)],
      ['scores 0.5–0.7 (medium)', num(s?.medium)],
      ['issues raised', num(i?.raised)],
      ['issues raised and still open', num(i?.still_open)],
      ['alerts raised', num(al?.n)],
    ];
    return { title: `${title}: quality summary, ${period}`, columns: ['metric', 'value'], rows };
  }
  if (type === 'ranking') {
    const rows = rowsOf<Record<string, unknown>>(
      await tx.execute(sql`with a as (
          select completed_by as user_id, count(*)::int as annotations
          from ${readOnly.annotations} a where project_id = ${projectId} and not was_cancelled and completed_by is not null
            and ${inPeriod('created_at')} group by completed_by),
        s as (select a2.completed_by as user_id, count(*)::int as scored, ${sql.join(means, sql`, `)}
          from quality_scores s join ${readOnly.annotations} a2 on a2.id = s.annotation_id
          where s.project_id = ${projectId} and s.scope = 'annotation' and ${inPeriod('s.computed_at')}
          group by a2.completed_by),
        i as (select a3.completed_by as user_id, count(*)::int as issues
          from quality_issues q join ${readOnly.annotations} a3 on a3.id = q.annotation_id
          where q.project_id = ${projectId} and ${inPeriod('q.created_at')} group by a3.completed_by)
        select a.user_id, u.email, u.name, a.annotations, coalesce(s.scored, 0) as scored,
          s.mean_total, s.mean_accuracy, s.mean_completeness, s.mean_timeliness, s.mean_consistency,
          coalesce(i.issues, 0) as issues
        from a left join s using (user_id) left join i using (user_id) left join users u on u.id = a.user_id
        order by s.mean_total desc nulls last, a.annotations desc, u.email, a.user_id`),
    );
    return {
      title: `${title}: annotator ranking, ${period}`,
      columns: [
        'rank',
        'user_id',
        'email',
        'name',
        'annotations',
        'scored',
        ...DIMENSIONS.map((d) => `mean_${d}`),
        'issues',
      ],
      rows: rows.map((r, i) => [
        i + 1,
        String(r.user_id),
        (r.email as string) ?? null,
        (r.name as string) ?? null,
        num(r.annotations),
        num(r.scored),
        ...DIMENSIONS.map((d) => num(r[`mean_${d}`])),
        num(r.issues),
      ]),
    };
  }
  const rows = rowsOf<Record<string, unknown>>(
    await tx.execute(sql`with a as (
        select date_trunc('day', created_at at time zone 'UTC') as day, count(*)::int as annotations
        from ${readOnly.annotations} a where project_id = ${projectId} and not was_cancelled and ${inPeriod('created_at')} group by 1),
      s as (select date_trunc('day', s.computed_at at time zone 'UTC') as day, count(*)::int as scored,
          ${sql.join(means, sql`, `)}
        from quality_scores s where s.project_id = ${projectId} and s.scope = 'annotation'
          and ${inPeriod('s.computed_at')} group by 1),
      i as (select date_trunc('day', created_at at time zone 'UTC') as day, count(*)::int as issues
        from quality_issues where project_id = ${projectId} and ${inPeriod('created_at')} group by 1)
      select to_char(day, 'YYYY-MM-DD') as day, coalesce(a.annotations, 0) as annotations,
        coalesce(s.scored, 0) as scored, s.mean_total, coalesce(i.issues, 0) as issues
      from a full join s using (day) full join i using (day) order by day`),
  );
  return {
    title: `${title}: quality trend by day (UTC), ${period}`,
    columns: ['day', 'annotations', 'scored', 'mean_total', 'issues'],
    rows: rows.map((r) => [
      String(r.day),
      num(r.annotations),
      num(r.scored),
      num(r.mean_total),
      num(r.issues),
    ]),
  };
}

export const dataSha256 = (d: ReportData) =>
  createHash('sha256')
    .update(JSON.stringify([d.columns, d.rows]))
    .digest('hex');

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export interface RenderedReport {
  body: Buffer;
  contentType: string;
  filename: string;
}

export async function render(
  data: ReportData,
  format: ReportFormat,
  name: string,
  createdAt: Date,
): Promise<RenderedReport> {
  if (format === 'csv')
    return {
      body: Buffer.from(stringify([data.columns, ...data.rows])),
      contentType: 'text/csv; charset=utf-8',
      filename: `${name}.csv`,
    };
  if (format === 'html') {
    const cell = (v: unknown, tag: string) => `<${tag}>${escapeHtml(v === null ? '' : String(v))}</${tag}>`;
    const html = `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(data.title)}</title></head><body><h1>${escapeHtml(data.title)}</h1><table border="1"><thead><tr>${data.columns.map((c) => cell(c, 'th')).join('')}</tr></thead><tbody>${data.rows.map((r) => `<tr>${r.map((v) => cell(v, 'td')).join('')}</tr>`).join('')}</tbody></table></body></html>`;
    return { body: Buffer.from(html), contentType: 'text/html; charset=utf-8', filename: `${name}.html` };
  }
  // Loaded on first use: ~28 MB that an idle platform need not hold.
  const { default: ExcelJS } = await import('exceljs');
  const wb = new ExcelJS.Workbook();
  wb.creator = 'SuperInsight';
  wb.created = createdAt;
  wb.modified = createdAt;
  const ws = wb.addWorksheet('report');
  ws.addRow([data.title]);
  ws.addRow(data.columns).font = { bold: true };
  for (const r of data.rows) ws.addRow(r);
  return {
    body: Buffer.from(await wb.xlsx.writeBuffer()),
    contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    filename: `${name}.xlsx`,
  };
}

export async function buildReport(
  tx: Executor,
  tenantId: string,
  projectId: number,
  type: ReportType,
  format: ReportFormat,
  from: Date,
  to: Date,
) {
  const project = await requireProject(tx, tenantId, projectId);
  const data = await reportData(tx, projectId, type, from, to, project.title);
  const name = `project-${projectId}-${type}-${from.toISOString().slice(0, 10)}-${to.toISOString().slice(0, 10)}`;
  return { data, sha256: dataSha256(data), file: await render(data, format, name, to) };
}

/** The trend report's rows as objects, for the console's chart (same figures as the file). */
export async function trendSeries(tx: Executor, tenantId: string, projectId: number, from: Date, to: Date) {
  const project = await requireProject(tx, tenantId, projectId);
  const data = await reportData(tx, projectId, 'trend', from, to, project.title);
  return data.rows.map(([day, annotations, scored, meanTotal, issues]) => ({
    day: String(day),
    annotations: Number(annotations),
    scored: Number(scored),
    mean_total: meanTotal === null ? null : Number(meanTotal),
    issues: Number(issues),
  }));
}

type Run = typeof reportRuns.$inferSelect;

export function runView(r: Run) {
  return {
    id: r.id,
    project_id: r.projectId,
    schedule_id: r.scheduleId,
    report: r.report,
    format: r.format,
    period_from: r.periodFrom,
    period_to: r.periodTo,
    status: r.status,
    data_sha256: r.dataSha256,
    row_count: r.rowCount,
    error: r.error,
    created_at: r.createdAt,
    finished_at: r.finishedAt,
  };
}

export const getRun = (tx: Executor, reader: Reader, id: number): Promise<Run> =>
  loadRow(tx, reader, reportRuns, id, 'report_run.not_found', 'The report run');

/** Makes a run's file again from the stored data and parameters. */
export async function renderRun(tx: Executor, reader: Reader, id: number) {
  const run = await getRun(tx, reader, id);
  const built = await buildReport(
    tx,
    reader.tenantId,
    run.projectId,
    run.report,
    run.format,
    run.periodFrom,
    run.periodTo,
  );
  return { ...built.file, sha256: built.sha256, run };
}

/** Records a run and queues the job that produces (and, for a schedule, delivers) it. */
export async function queueRun(
  tx: Executor,
  platform: Platform,
  input: {
    tenantId: string;
    projectId: number;
    report: ReportType;
    format: ReportFormat;
    from: Date;
    to: Date;
    scheduleId?: number;
    by?: string | null;
  },
): Promise<Run> {
  if (!(input.from < input.to))
    throw badRequest('report.period_reversed', 'The period must end after it starts.', [
      { path: 'body/to', message: 'is not after from' },
    ]);
  const [run] = await tx
    .insert(reportRuns)
    .values({
      tenantId: input.tenantId,
      projectId: input.projectId,
      scheduleId: input.scheduleId ?? null,
      report: input.report,
      format: input.format,
      periodFrom: input.from,
      periodTo: input.to,
      createdBy: input.by ?? null,
    })
    .returning();
  await platform.queue.enqueue(tx, {
    tenantId: input.tenantId,
    kind: REPORT_JOB,
    payload: { reportRunId: run!.id },
    createdBy: input.by ?? null,
  });
  return run!;
}

// ---------------------------------------------------------------- schedules

type Schedule = typeof reportSchedules.$inferSelect;

/** The first cron time strictly after `after` (UTC); a bad expression is a 400 naming the error. */
export function nextCronTime(cron: string, after: Date): Date {
  if (cron.trim().split(/\s+/).length !== 5)
    throw badRequest('report.cron_fields', 'cron must have five fields (minute hour day month weekday).', [
      { path: 'body/cron', message: 'must have five fields' },
    ]);
  try {
    return CronExpressionParser.parse(cron, { currentDate: after, tz: 'UTC' }).next().toDate();
  } catch (err) {
    throw badRequest(
      'report.cron_invalid',
      `Invalid cron expression: ${(err as Error).message}`,
      [{ path: 'body/cron', message: (err as Error).message }],
      { message: (err as Error).message },
    );
  }
}

export function scheduleView(s: Schedule) {
  return {
    id: s.id,
    project_id: s.projectId,
    report: s.report,
    format: s.format,
    cron: s.cron,
    channels: s.channels,
    recipients: { user_ids: s.recipients.userIds, emails: s.recipients.emails },
    enabled: s.enabled,
    next_run_at: s.nextRunAt,
    last_run_at: s.lastRunAt,
    created_at: s.createdAt,
  };
}

export async function createSchedule(
  tx: Executor,
  tenantId: string,
  projectId: number,
  input: {
    report: ReportType;
    format: ReportFormat;
    cron: string;
    channels: ('in_app' | 'webhook' | 'email')[];
    recipients?: { user_ids?: string[]; emails?: string[] };
    enabled?: boolean;
  },
  by: string,
  now: Date,
): Promise<Schedule> {
  await requireProject(tx, tenantId, projectId);
  const [row] = await tx
    .insert(reportSchedules)
    .values({
      tenantId,
      projectId,
      report: input.report,
      format: input.format,
      cron: input.cron,
      channels: input.channels,
      recipients: { userIds: input.recipients?.user_ids ?? [], emails: input.recipients?.emails ?? [] },
      enabled: input.enabled ?? true,
      nextRunAt: nextCronTime(input.cron, now),
      createdBy: by,
      createdAt: now,
    })
    .returning();
  return row!;
}

export const getSchedule = (tx: Executor, reader: Reader, id: number): Promise<Schedule> =>
  loadRow(tx, reader, reportSchedules, id, 'report_schedule.not_found', 'The report schedule');

export async function listSchedules(tx: Executor, tenantId: string, projectId: number) {
  await requireProject(tx, tenantId, projectId);
  return tx
    .select()
    .from(reportSchedules)
    .where(eq(reportSchedules.projectId, projectId))
    .orderBy(asc(reportSchedules.id));
}

export async function listRuns(tx: Executor, tenantId: string, projectId: number, limit: number) {
  await requireProject(tx, tenantId, projectId);
  const rows = await tx
    .select()
    .from(reportRuns)
    .where(eq(reportRuns.projectId, projectId))
    .orderBy(desc(reportRuns.id))
    .limit(limit);
  return rows.map(runView);
}

/**
 * Runs every schedule of the tenant that is due at `now`: each due time gets a run over
 * the period since the previous one (or since the schedule was made), and the schedule
 * moves to its next time after `now` (missed times are not replayed one by one).
 */
export async function runDueSchedules(
  tx: Executor,
  platform: Platform,
  tenantId: string,
  now: Date,
): Promise<Run[]> {
  const due = await tx
    .select()
    .from(reportSchedules)
    .where(
      and(
        eq(reportSchedules.tenantId, tenantId),
        eq(reportSchedules.enabled, true),
        lte(reportSchedules.nextRunAt, now),
      ),
    )
    .orderBy(asc(reportSchedules.nextRunAt))
    .for('update', { skipLocked: true });
  const runs: Run[] = [];
  for (const s of due) {
    runs.push(
      await queueRun(tx, platform, {
        tenantId,
        projectId: s.projectId,
        report: s.report,
        format: s.format,
        from: s.lastRunAt ?? s.createdAt,
        to: s.nextRunAt,
        scheduleId: s.id,
        by: s.createdBy,
      }),
    );
    await tx
      .update(reportSchedules)
      .set({ lastRunAt: s.nextRunAt, nextRunAt: nextCronTime(s.cron, now) })
      .where(eq(reportSchedules.id, s.id));
  }
  return runs;
}
