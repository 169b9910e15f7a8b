import { sql } from 'drizzle-orm';
import ExcelJS from 'exceljs';
import { beforeAll, describe, expect, it } from 'vitest';
import { newProject, seedTasks } from '../../../../test/annotation-fixtures.ts';
import { newTenant } from '../../../../test/fixtures.ts';
import { type TestContext, testApp } from '../../../../test/helpers.ts';
import { systemSql } from '../../../../test/labeling-fixtures.ts';
import { sentMails } from '../../../../test/mail-sink.ts';
import { choice, insertScore, settledJobs, until } from '../../../../test/quality-ops-fixtures.ts';
import { sweepTenant } from '../alerts/alerts.sweep.ts';
import { nextCronTime } from './reports.service.ts';

async function readWorkbook(bytes: Buffer) {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(bytes as unknown as ArrayBuffer);
  const ws = wb.getWorksheet('report')!;
  const rows: unknown[][] = [];
  ws.eachRow((row) => rows.push((row.values as unknown[]).slice(1)));
  return rows;
}

describe('cron times', () => {
  it('computes the next time in UTC and rejects bad expressions', () => {
    const at = new Date('2030-01-01T10:15:00Z');
    expect(nextCronTime('0 * * * *', at).toISOString()).toBe('2030-01-01T11:00:00.000Z');
    expect(nextCronTime('30 9 * * 1', at).toISOString()).toBe('2030-01-07T09:30:00.000Z');
    expect(() => nextCronTime('61 * * * *', at)).toThrow(/Invalid cron/);
    expect(() => nextCronTime('* * * *', at)).toThrow(/five fields/);
  });
});

describe('quality reports', () => {
  let ctx: TestContext;

  beforeAll(async () => {
    ctx = await testApp();
  });

  /** Two annotators: A scores 0.9 and 0.8, B scores 0.5; one skip. */
  async function seedProject() {
    const t = await newTenant(ctx);
    const project = await newProject(t);
    const a = await t.member(['annotator'], 'Alice');
    const b = await t.member(['annotator'], 'Bob');
    const taskIds = await seedTasks(ctx, t, project.id, [
      { data: { text: '1' }, annotations: [{ completed_by: a.userId, result: choice('Positive') }] },
      { data: { text: '2' }, annotations: [{ completed_by: a.userId, result: choice('Negative') }] },
      { data: { text: '3' }, annotations: [{ completed_by: b.userId, result: choice('Neutral') }] },
      { data: { text: '4' }, annotations: [{ completed_by: b.userId, was_cancelled: true }] },
    ]);
    const ids = (
      await systemSql<{ id: number }>(
        ctx,
        sql`select id from annotations where task_id = any(${`{${taskIds.join(',')}}`}::bigint[]) order by task_id`,
      )
    ).map((r) => Number(r.id));
    await insertScore(ctx, t, project.id, ids[0]!, 0.9, new Date(), { accuracy: 1 });
    await insertScore(ctx, t, project.id, ids[1]!, 0.8, new Date(), { accuracy: 0.5 });
    await insertScore(ctx, t, project.id, ids[2]!, 0.5, new Date(), { accuracy: 0 });
    return { t, project, a, b, ids };
  }

  it('makes the summary, ranking and trend as CSV, xlsx and HTML', async () => {
    const { t, project, a, b } = await seedProject();
    const from = new Date(Date.now() - 86_400_000).toISOString();
    const to = new Date(Date.now() + 86_400_000).toISOString();
    const get = (report: string, format: string) =>
      t.as(t.owner, {
        method: 'GET',
        url: `/api/v1/projects/${project.id}/quality/reports/${report}?format=${format}&from=${from}&to=${to}`,
      });

    const summary = await get('summary', 'csv');
    expect(summary.statusCode, summary.body).toBe(200);
    expect(summary.headers['content-type']).toContain('text/csv');
    const lines = summary.body.trim().split('\n');
    expect(lines[0]).toBe('metric,value');
    expect(lines).toContain('annotations submitted,3');
    expect(lines).toContain('annotations skipped,1');
    expect(lines).toContain('mean total,0.7333');
    expect(lines).toContain('mean accuracy,0.5');
    expect(lines).toContain('scores 0.5–0.7 (medium),1');

    const ranking = await get('ranking', 'xlsx');
    expect(ranking.headers['content-type']).toContain('spreadsheetml');
    const rows = await readWorkbook(ranking.rawPayload);
    expect(rows[1]).toEqual([
      'rank',
      'user_id',
      'email',
      'name',
      'annotations',
      'scored',
      'mean_total',
      'mean_accuracy',
      'mean_completeness',
      'mean_timeliness',
      'mean_consistency',
      'issues',
    ]);
    expect(rows[2]!.slice(0, 7)).toEqual([1, a.userId, a.email, 'Alice', 2, 2, 0.85]);
    expect(rows[3]!.slice(0, 7)).toEqual([2, b.userId, b.email, 'Bob', 1, 1, 0.5]);

    const trend = await get('trend', 'html');
    expect(trend.headers['content-type']).toContain('text/html');
    const today = new Date().toISOString().slice(0, 10);
    expect(trend.body).toContain(`<tr><td>${today}</td><td>3</td><td>3</td><td>0.7333</td><td>0</td></tr>`);

    expect((await get('ranking', 'pdf')).statusCode).toBe(400);
    expect((await get('bogus', 'csv')).statusCode).toBe(400);
    const viewer = await t.member(['annotator'], 'NoQuality');
    expect(
      (await t.as(viewer, { method: 'GET', url: `/api/v1/projects/${project.id}/quality/reports/summary` }))
        .statusCode,
    ).toBe(403);
  });

  it('runs cron schedules through the job queue, delivers them and reproduces a run from stored data', async () => {
    const t = await newTenant(ctx);
    const project = await newProject(t);
    const lead = await t.member(['manager'], 'Lead');
    const post = (payload: object) =>
      t.as(t.owner, {
        method: 'POST',
        url: `/api/v1/projects/${project.id}/quality/report-schedules`,
        payload,
      });
    const bad = await post({ report: 'ranking', format: 'xlsx', cron: '0 25 * * *', channels: ['email'] });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].path).toBe('body/cron');
    const made = await post({
      report: 'ranking',
      format: 'xlsx',
      cron: '0 * * * *',
      channels: ['in_app', 'email'],
      recipients: { user_ids: [lead.userId], emails: ['boss@example.test'] },
    });
    expect(made.statusCode, made.body).toBe(201);
    const schedule = made.json();
    const due = new Date(schedule.next_run_at);
    expect(due.getUTCMinutes()).toBe(0);

    // Data inside the period (the schedule was made before it).
    const a = await t.member(['annotator'], 'Alice');
    const [taskId] = await seedTasks(ctx, t, project.id, [
      { data: { text: '1' }, annotations: [{ completed_by: a.userId, result: choice('Positive') }] },
    ]);
    const [ann] = await systemSql<{ id: number }>(
      ctx,
      sql`select id from annotations where task_id = ${taskId}`,
    );
    await insertScore(ctx, t, project.id, Number(ann!.id), 0.75);

    // Not yet due; then due: one run, and the schedule moves on.
    expect((await sweepTenant(ctx.platform, t.tenantId, new Date(due.getTime() - 1000))).reports).toBe(0);
    expect((await sweepTenant(ctx.platform, t.tenantId, due)).reports).toBe(1);
    expect((await sweepTenant(ctx.platform, t.tenantId, due)).reports).toBe(0);
    const [job] = await settledJobs(ctx, t.tenantId, 'quality.report');
    expect(job!.state, job!.error ?? '').toBe('completed');
    const runs = (
      await t.as(t.owner, { method: 'GET', url: `/api/v1/projects/${project.id}/quality/report-runs` })
    ).json().items;
    expect(runs).toHaveLength(1);
    const run = runs[0];
    expect(run).toMatchObject({ schedule_id: schedule.id, status: 'completed', row_count: 1 });
    expect(new Date(run.period_to).getTime()).toBe(due.getTime());
    const after = (
      await t.as(t.owner, { method: 'GET', url: `/api/v1/projects/${project.id}/quality/report-schedules` })
    ).json().items[0];
    expect(new Date(after.next_run_at).getTime()).toBe(due.getTime() + 3_600_000);
    expect(new Date(after.last_run_at).getTime()).toBe(due.getTime());

    // Delivered: in-app to the lead, e-mail with the workbook attached.
    const inbox = (await t.as(lead, { method: 'GET', url: '/api/v1/notifications' })).json().items;
    expect(inbox[0]).toMatchObject({ kind: 'QUALITY_REPORT', data: { report_run_id: run.id } });
    const [mail] = await until(
      async () => sentMails().filter((m) => m.to.includes('boss@example.test')),
      (m) => m.length >= 1,
    );
    expect(mail!.raw).toMatch(/filename=.*\.xlsx/);
    const attached =
      /Content-Disposition: attachment;[^\r\n]*(?:\r\n[ \t][^\r\n]*)*\r\n(?:[^\r\n]+\r\n)*\r\n([A-Za-z0-9+/=\r\n]+)/.exec(
        mail!.raw,
      );
    expect(attached).not.toBeNull();
    const mailed = await readWorkbook(Buffer.from(attached![1]!.replace(/\r\n/g, ''), 'base64'));
    expect(mailed[2]!.slice(0, 7)).toEqual([1, a.userId, a.email, 'Alice', 1, 1, 0.75]);

    // Reproducible: made again from stored data, even after later data arrives.
    const later = new Date(due.getTime() + 60_000).toISOString();
    const [late] = await systemSql<{ id: number }>(
      ctx,
      sql`insert into annotations (tenant_id, project_id, task_id, completed_by, result, created_at)
        values (${t.tenantId}::uuid, ${project.id}, ${taskId}, ${a.userId}::uuid, '[]'::jsonb, ${later}::timestamptz)
        returning id`,
    );
    await insertScore(ctx, t, project.id, Number(late!.id), 0.1, new Date(later));
    const current = await t.as(t.owner, {
      method: 'GET',
      url: `/api/v1/projects/${project.id}/quality/reports/ranking?format=csv&from=${run.period_from}&to=${new Date(due.getTime() + 3_600_000).toISOString()}`,
    });
    expect(current.headers['x-report-sha256']).not.toBe(run.data_sha256);
    const again = await t.as(t.owner, {
      method: 'GET',
      url: `/api/v1/quality/report-runs/${run.id}/content`,
    });
    expect(again.statusCode).toBe(200);
    expect(again.headers['x-report-sha256']).toBe(run.data_sha256);
    expect(again.headers['x-report-reproduced']).toBe('true');
    expect((await readWorkbook(again.rawPayload))[2]).toEqual(mailed[2]);

    // An on-demand run; a switched-off schedule does not run.
    const onDemand = await t.as(t.owner, {
      method: 'POST',
      url: `/api/v1/projects/${project.id}/quality/report-runs`,
      payload: { report: 'summary', format: 'csv', from: new Date(0).toISOString(), to: due.toISOString() },
    });
    expect(onDemand.statusCode, onDemand.body).toBe(202);
    await t.as(t.owner, {
      method: 'PATCH',
      url: `/api/v1/quality/report-schedules/${schedule.id}`,
      payload: { enabled: false },
    });
    expect((await sweepTenant(ctx.platform, t.tenantId, new Date(due.getTime() + 7_200_000))).reports).toBe(
      0,
    );
    const jobs = await settledJobs(ctx, t.tenantId, 'quality.report', 2);
    expect(jobs.map((j) => j.state)).toEqual(['completed', 'completed']);
  }, 180_000);
});
