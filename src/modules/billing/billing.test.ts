import { parse as parseCsv } from 'csv-parse/sync';
import { sql } from 'drizzle-orm';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { newProject } from '../../../test/annotation-fixtures.ts';
import type { Member, TenantFixture } from '../../../test/fixtures.ts';
import { newTenant } from '../../../test/fixtures.ts';
import { type TestContext, testApp } from '../../../test/helpers.ts';
import {
  annotators,
  joinProject,
  seedTasks,
  sentiment,
  systemSql,
  unauditedMutations,
} from '../../../test/labeling-fixtures.ts';
import { waitForJob } from '../../../test/transfer-helpers.ts';

// Scenarios are hand-checked: each expected amount is worked out in the comment beside it.

async function annotate(
  t: TenantFixture,
  m: Member,
  taskId: number,
  body: { lead_time?: number; was_cancelled?: boolean } = {},
) {
  const res = await t.as(m, {
    method: 'POST',
    url: `/api/v1/tasks/${taskId}/annotations`,
    payload: { result: body.was_cancelled ? [] : sentiment('Positive'), ...body },
  });
  if (res.statusCode !== 201) throw new Error(`annotate: ${res.statusCode} ${res.body}`);
  return res.json().id as number;
}

/** Moves an annotation's work rows (of one kind, or all) to a point in time: test setup only. */
async function at(ctx: TestContext, annotationId: number, iso: string, kind?: string) {
  await systemSql(
    ctx,
    sql`update billing_work_records set occurred_at = ${iso}::timestamptz
      where annotation_id = ${annotationId} ${kind ? sql`and kind = ${kind}` : sql``}`,
  );
}

// The quality module scores every submitted annotation in the background; these scenarios set
// the scores themselves. Scores given by `score` are kept here and put back before each bill.
const givenScores = new Map<string, Map<number, { projectId: number; total: string }>>();

/** A quality score of one annotation, as the quality module would store it: test setup only. */
async function score(
  _ctx: TestContext,
  t: TenantFixture,
  projectId: number,
  annotationId: number,
  total: string,
) {
  const mine = givenScores.get(t.tenantId) ?? new Map();
  mine.set(annotationId, { projectId, total });
  givenScores.set(t.tenantId, mine);
}

/** Waits for the tenant's scoring jobs, then leaves exactly the scores the scenario gave. */
async function settleScores(ctx: TestContext, t: TenantFixture) {
  for (let i = 0; i < 300; i++) {
    const [busy] = await systemSql<{ n: number }>(
      ctx,
      sql`select count(*)::int as n from job_runs where tenant_id = ${t.tenantId}::uuid
        and kind like 'quality.%' and state in ('queued', 'running')`,
    );
    if (busy!.n === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await systemSql(ctx, sql`delete from quality_scores where tenant_id = ${t.tenantId}::uuid`);
  for (const [annotationId, { projectId, total }] of givenScores.get(t.tenantId) ?? []) {
    await systemSql(
      ctx,
      sql`insert into quality_scores (tenant_id, project_id, scope, annotation_id, total)
        values (${t.tenantId}::uuid, ${projectId}, 'annotation', ${annotationId}, ${total}::numeric)`,
    );
  }
}

async function ok(res: { statusCode: number; body: string; json(): unknown }, status = 200) {
  if (res.statusCode !== status) throw new Error(`expected ${status}, got ${res.statusCode}: ${res.body}`);
  // biome-ignore lint/suspicious/noExplicitAny: test reads JSON loosely
  return res.json() as any;
}

/** Generates the bill of a month and returns it once its job has finished. */
async function bill(ctx: TestContext, t: TenantFixture, period: string) {
  await settleScores(ctx, t);
  const out = await ok(
    await t.as(t.owner, { method: 'POST', url: '/api/v1/billing/bills', payload: { period } }),
    202,
  );
  const job = await waitForJob(t, out.job_id);
  if (job.state !== 'completed') throw new Error(`bill job ${job.state}: ${job.error}`);
  return ok(await t.as(t.owner, { method: 'GET', url: `/api/v1/billing/bills/${out.bill.id}` }));
}

async function lines(t: TenantFixture, billId: number, as = t.owner) {
  const page = await ok(
    await t.as(as, { method: 'GET', url: `/api/v1/billing/records?bill_id=${billId}&limit=1000` }),
  );
  return page.items as Record<string, unknown>[];
}

const byUser = (items: Record<string, unknown>[], userId: string) =>
  items.filter((l) => l.user_id === userId);

/** A tenant rule version proposed by the owner and approved by a second admin. */
async function approvedVersion(
  t: TenantFixture,
  admin2: Member,
  ruleId: number,
  body: Record<string, unknown>,
) {
  const v = await ok(
    await t.as(t.owner, { method: 'POST', url: `/api/v1/billing/rules/${ruleId}/versions`, payload: body }),
    201,
  );
  await ok(await t.as(admin2, { method: 'POST', url: `/api/v1/billing/rule-versions/${v.id}/approve` }));
  return v.id as number;
}

async function readXlsx(body: Buffer) {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(body as unknown as ArrayBuffer);
  return wb;
}

describe('billing', () => {
  it('pays by count with the default rule and the quality boundaries (0.50, 0.70, 0.80, 0.90 exactly)', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const project = await newProject(t);
    const people = await annotators(t, project.id, 6);
    const tasks = await seedTasks(ctx, t, project, 12);
    const qualities: (string[] | null)[] = [
      ['0.90', '0.90'], // mean 0.90 → ×1.2
      ['0.85', '0.75'], // mean 0.80 → ×1.0
      ['0.70', '0.70'], // mean 0.70 → ×0.9
      ['0.50', '0.50'], // mean 0.50 → ×0.7
      ['0.49', '0.49'], // mean 0.49 → nothing
      null, // no scores → ×1.0
    ];
    for (const [i, m] of people.entries()) {
      for (let k = 0; k < 2; k++) {
        const id = await annotate(t, m, tasks[i * 2 + k]!, { lead_time: 30 });
        await at(ctx, id, '2025-03-10T00:00:00Z');
        const q = qualities[i];
        if (q) await score(ctx, t, project.id, id, q[k]!);
      }
    }
    const b = await bill(ctx, t, '2025-03');
    expect(b).toMatchObject({ status: 'draft', currency: 'CNY', time_zone: 'UTC', rule_version_ids: [null] });
    const ls = await lines(t, b.id);
    // 2 accepted × 0.10 × quality multiplier, each line rounded half-up to fen.
    const expected = ['0.24', '0.20', '0.18', '0.14', '0.00', '0.20'];
    const multipliers = ['1.2', '1', '0.9', '0.7', '0', '1'];
    for (const [i, m] of people.entries()) {
      const [line] = byUser(ls, m.userId);
      expect(line, `annotator ${i}`).toMatchObject({
        kind: 'work',
        accepted_count: 2,
        paid_count: 2,
        amount: expected[i],
        quality_multiplier: multipliers[i],
        rule_version_id: null,
      });
    }
    expect(byUser(ls, people[5]!.userId)[0]!.note).toContain('no quality scores: quality multiplier 1.0');
    expect(byUser(ls, people[4]!.userId)[0]!.note).toContain('nothing paid');
    expect(b.total).toBe('0.96');
    expect(await unauditedMutations(ctx)).toBe(0);
  });

  it('pays by time and hybrid with difficulty, a lead-time cap, a mid-month version change and a project fee', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const admin2 = await t.member(['admin'], 'Second Admin');
    const p = await newProject(t);
    const q = await newProject(t, { title: 'Fixed fee' });
    await ok(
      await t.as(t.owner, {
        method: 'PUT',
        url: `/api/v1/billing/projects/${p.id}/settings`,
        payload: { difficulty: 'hard', lead_time_cap_seconds: 600 },
      }),
    );
    const rule = await ok(
      await t.as(t.owner, {
        method: 'POST',
        url: '/api/v1/billing/rules',
        payload: { name: 'Tenant rates' },
      }),
      201,
    );
    // v1: time mode, 50.00 an hour. Its author cannot approve it; a second admin can.
    const draft = await ok(
      await t.as(t.owner, {
        method: 'POST',
        url: `/api/v1/billing/rules/${rule.id}/versions`,
        payload: { mode: 'time', hour_rate: '50.00', effective_from: '2025-01-01T00:00:00Z' },
      }),
      201,
    );
    expect(draft.status).toBe('draft');
    const self = await t.as(t.owner, {
      method: 'POST',
      url: `/api/v1/billing/rule-versions/${draft.id}/approve`,
    });
    expect(self.statusCode).toBe(403);
    await ok(
      await t.as(admin2, { method: 'POST', url: `/api/v1/billing/rule-versions/${draft.id}/approve` }),
    );
    const again = await t.as(admin2, {
      method: 'POST',
      url: `/api/v1/billing/rule-versions/${draft.id}/approve`,
    });
    expect(again.statusCode).toBe(409);
    // v2 from 16 April: hybrid, 0.15 per annotation plus 60.00 an hour.
    const v2 = await approvedVersion(t, admin2, rule.id, {
      mode: 'hybrid',
      count_rate: '0.15',
      hour_rate: '60',
      effective_from: '2025-04-16T00:00:00Z',
    });
    // A draft never applies.
    await ok(
      await t.as(t.owner, {
        method: 'POST',
        url: `/api/v1/billing/rules/${rule.id}/versions`,
        payload: { mode: 'count', count_rate: '99', effective_from: '2025-04-20T00:00:00Z' },
      }),
      201,
    );
    // Project Q has its own rule: a fixed fee of 1000.00 a month.
    const qRule = await ok(
      await t.as(t.owner, {
        method: 'POST',
        url: '/api/v1/billing/rules',
        payload: { name: 'Q fee', project_id: q.id },
      }),
      201,
    );
    const qv = await approvedVersion(t, admin2, qRule.id, {
      mode: 'project',
      project_fee: '1000.00',
      effective_from: '2025-01-01T00:00:00Z',
    });

    const [a] = await annotators(t, p.id, 1);
    await joinProject(t, q.id, a!, 'annotator');
    const [t1, t2] = await seedTasks(ctx, t, p, 2);
    const [tq] = await seedTasks(ctx, t, q, 1);
    const a1 = await annotate(t, a!, t1!, { lead_time: 1800 }); // capped to 600 s
    const a2 = await annotate(t, a!, t2!, { lead_time: 300 });
    const edit = await t.as(a!, {
      method: 'PATCH',
      url: `/api/v1/annotations/${a2}`,
      payload: { lead_time: 500 },
    });
    expect(edit.statusCode).toBe(200); // +200 s
    const aq = await annotate(t, a!, tq!, { lead_time: 100 });
    await at(ctx, a1, '2025-04-05T10:00:00Z');
    await at(ctx, a2, '2025-04-20T10:00:00Z');
    await at(ctx, a2, '2025-04-21T10:00:00Z', 'updated');
    await at(ctx, aq, '2025-04-07T10:00:00Z');

    const work = await ok(
      await t.as(t.owner, { method: 'GET', url: `/api/v1/billing/work-records?project_id=${p.id}` }),
    );
    expect(work.items.map((w: Record<string, unknown>) => [w.kind, w.lead_time, w.billable_seconds])).toEqual(
      [
        ['submitted', '1800', '600'],
        ['submitted', '300', '300'],
        ['updated', '500', '200'],
      ],
    );

    const b = await bill(ctx, t, '2025-04');
    expect(b.rule_version_ids).toEqual([draft.id, v2, qv]);
    const ls = await lines(t, b.id);
    const pLines = ls.filter((l) => l.project_id === p.id);
    // 1–15 April, v1 time: 600 s = 1/6 h × 50.00 = 8.3333… × 1.3 (hard) = 10.8333… → 10.83
    expect(pLines.find((l) => l.rule_version_id === draft.id)).toMatchObject({
      mode: 'time',
      accepted_count: 1,
      paid_seconds: '600',
      difficulty: 'hard',
      difficulty_multiplier: '1.3',
      amount: '10.83',
    });
    // 16–30 April, v2 hybrid: 1 × 0.15 + 500 s/3600 × 60.00 = 0.15 + 8.3333… = 8.4833… × 1.3 = 11.0283… → 11.03
    expect(pLines.find((l) => l.rule_version_id === v2)).toMatchObject({
      mode: 'hybrid',
      accepted_count: 1,
      paid_seconds: '500',
      amount: '11.03',
    });
    // Project Q: work under the fee pays nothing itself; the fee line is 1000.00.
    const qLines = ls.filter((l) => l.project_id === q.id);
    expect(qLines.find((l) => l.kind === 'work')).toMatchObject({ mode: 'project', amount: '0.00' });
    expect(qLines.find((l) => l.kind === 'project_fee')).toMatchObject({ amount: '1000.00', user_id: null });
    expect(b.total).toBe('1021.86');

    const trends = await ok(
      await t.as(t.owner, { method: 'GET', url: '/api/v1/billing/trends?from=2025-04&to=2025-04' }),
    );
    expect(trends.months).toEqual([
      // 600 + 500 + 100 s = 1200 s = 0.3333 h; 3 accepted; 1021.86 / 3 = 340.62
      {
        period: '2025-04',
        amount: '1021.86',
        currency: 'CNY',
        hours: '0.3333',
        accepted: 3,
        cost_per_accepted: '340.62',
      },
    ]);
    expect(trends.projects.find((x: { project_id: number }) => x.project_id === p.id)).toMatchObject({
      amount: '21.86',
      accepted: 2,
      cost_per_accepted: '10.93',
    });
  });

  it('bills by the tenant time zone; rejected and skipped work by the rule; a correction after issue; xlsx', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const admin2 = await t.member(['admin'], 'Second Admin');
    await ok(
      await t.as(t.owner, {
        method: 'PATCH',
        url: '/api/v1/tenant',
        payload: { time_zone: 'Asia/Shanghai' },
      }),
    );
    const p = await newProject(t);
    const [a, b] = await annotators(t, p.id, 2);
    const r = await t.member(['reviewer'], 'Reviewer');
    await joinProject(t, p.id, r, 'reviewer');
    const rule = await ok(
      await t.as(t.owner, { method: 'POST', url: '/api/v1/billing/rules', payload: { name: 'Rates' } }),
      201,
    );
    const v1 = await approvedVersion(t, admin2, rule.id, {
      mode: 'count',
      count_rate: '0.15',
      effective_from: '2025-01-01T00:00:00Z',
    });
    const tasks = await seedTasks(ctx, t, p, 5);
    const accepted = await annotate(t, a!, tasks[0]!);
    const rejected = await annotate(t, a!, tasks[1]!);
    const skipped = await annotate(t, a!, tasks[2]!, { was_cancelled: true });
    await ok(
      await t.as(r, {
        method: 'POST',
        url: `/api/v1/annotations/${accepted}/review`,
        payload: { action: 'accept' },
      }),
    );
    await ok(
      await t.as(r, {
        method: 'POST',
        url: `/api/v1/annotations/${rejected}/review`,
        payload: { action: 'reject' },
      }),
    );
    await score(ctx, t, p.id, accepted, '0.60'); // mean 0.60 → ×0.7
    for (const id of [accepted, rejected, skipped]) await at(ctx, id, '2025-05-15T04:00:00Z');
    // 1 May 00:30 in Shanghai is 30 April 16:30 UTC: May. 1 June 00:30 there is 31 May 16:30 UTC: June.
    const early = await annotate(t, b!, tasks[3]!);
    const late = await annotate(t, b!, tasks[4]!);
    await at(ctx, early, '2025-04-30T16:30:00Z');
    await at(ctx, late, '2025-05-31T16:30:00Z');

    let may = await bill(ctx, t, '2025-05');
    expect(may).toMatchObject({
      time_zone: 'Asia/Shanghai',
      period_start: '2025-04-30T16:00:00.000Z',
      period_end: '2025-05-31T16:00:00.000Z',
      rule_version_ids: [v1],
    });
    let ls = await lines(t, may.id);
    // A: 1 accepted × 0.15 × 0.7 = 0.105 → 0.11 (half-up; a binary float gives 0.10)
    expect(byUser(ls, a!.userId)).toEqual([
      expect.objectContaining({
        accepted_count: 1,
        rejected_count: 1,
        skipped_count: 1,
        paid_count: 1,
        amount: '0.11',
      }),
    ]);
    // B: only the 1 May (local) annotation: 0.15
    expect(byUser(ls, b!.userId)).toEqual([expect.objectContaining({ accepted_count: 1, amount: '0.15' })]);
    expect(may.total).toBe('0.26');

    // From 1 May local time, rejected and skipped work is paid too; the draft is regenerated.
    const v2 = await approvedVersion(t, admin2, rule.id, {
      mode: 'count',
      count_rate: '0.15',
      pay_rejected: true,
      pay_skipped: true,
      effective_from: '2025-05-01T00:00:00+08:00',
    });
    may = await bill(ctx, t, '2025-05');
    expect(may.rule_version_ids).toEqual([v2]);
    ls = await lines(t, may.id);
    // A: 3 paid × 0.15 × 0.7 = 0.315 → 0.32
    expect(byUser(ls, a!.userId)).toEqual([expect.objectContaining({ paid_count: 3, amount: '0.32' })]);
    expect(may.total).toBe('0.47');

    const june = await bill(ctx, t, '2025-06');
    expect(byUser(await lines(t, june.id), b!.userId)).toEqual([
      expect.objectContaining({ accepted_count: 1 }),
    ]);

    // Annotators see no statement of a draft.
    const none = await ok(await t.as(a!, { method: 'GET', url: '/api/v1/billing/statements' }));
    expect(none.items).toEqual([]);
    await ok(await t.as(t.owner, { method: 'POST', url: `/api/v1/billing/bills/${may.id}/issue` }));
    const regenerate = await t.as(t.owner, {
      method: 'POST',
      url: '/api/v1/billing/bills',
      payload: { period: '2025-05' },
    });
    expect(regenerate.statusCode).toBe(409);
    // A correction after issue is a new line; the issued lines stay as they were.
    const before = await lines(t, may.id);
    const adj = await ok(
      await t.as(t.owner, {
        method: 'POST',
        url: `/api/v1/billing/bills/${may.id}/adjustments`,
        payload: { amount: '1.50', note: 'missed overtime', user_id: a!.userId, project_id: p.id },
      }),
      201,
    );
    expect(adj).toMatchObject({ kind: 'adjustment', amount: '1.50' });
    const bad = await t.as(t.owner, {
      method: 'POST',
      url: `/api/v1/billing/bills/${may.id}/adjustments`,
      payload: { amount: '0.001', note: 'too precise' },
    });
    expect(bad.statusCode).toBe(400);
    const after = await lines(t, may.id);
    expect(after.slice(0, before.length)).toEqual(before);
    may = await ok(await t.as(t.owner, { method: 'GET', url: `/api/v1/billing/bills/${may.id}` }));
    expect(may).toMatchObject({ status: 'issued', total: '1.97' });

    // Each annotator sees only their own statement.
    const mine = await ok(await t.as(a!, { method: 'GET', url: '/api/v1/billing/statements' }));
    expect(mine.items).toEqual([expect.objectContaining({ user_id: a!.userId, total: '1.82', lines: 2 })]);
    const stmt = mine.items[0];
    const theirs = await t.as(b!, { method: 'GET', url: `/api/v1/billing/statements/${stmt.id}` });
    expect(theirs.statusCode).toBe(404);
    expect((await t.as(a!, { method: 'GET', url: `/api/v1/billing/bills/${may.id}` })).statusCode).toBe(403);

    // The xlsx read back: summary total and the detail amounts equal the API's.
    const xlsx = await t.as(t.owner, {
      method: 'GET',
      url: `/api/v1/billing/bills/${may.id}/export?format=xlsx`,
    });
    expect(xlsx.statusCode).toBe(200);
    const wb = await readXlsx(xlsx.rawPayload);
    const summary = wb.getWorksheet('Summary')!;
    const totalRow = summary.getRows(1, summary.rowCount)!.find((row) => row.getCell(1).value === 'Total')!;
    expect(totalRow.getCell(2).value).toBe(1.97);
    expect(totalRow.getCell(2).numFmt).toBe('#,##0.00 "CNY"');
    const detail = wb.getWorksheet('Detail')!;
    const header = (detail.getRow(1).values as unknown[]).indexOf('Amount');
    let cents = 0;
    for (let i = 2; i <= detail.rowCount; i++) {
      const v = detail.getRow(i).getCell(header).value;
      expect(typeof v).toBe('number');
      cents += Math.round((v as number) * 100);
    }
    expect(cents).toBe(197);
    expect(detail.rowCount - 1).toBe(after.length);
    // Names beside the ids, as the screen shows them: the annotator's name and e-mail, the project's title.
    // The annotators fixture names them Annotator0, Annotator1.
    const people = new Map([a!, b!].map((m, i) => [m.userId, { name: `Annotator${i}`, email: m.email }]));
    const headers = detail.getRow(1).values as unknown[];
    const col = (name: string) => headers.indexOf(name);
    expect(headers.slice(3, 8)).toEqual(['User', 'E-mail', 'User id', 'Project', 'Project id']);
    let named = 0;
    for (let i = 2; i <= detail.rowCount; i++) {
      const row = detail.getRow(i);
      const userId = row.getCell(col('User id')).value as string | null;
      if (userId) {
        expect(row.getCell(col('User')).value).toBe(people.get(userId)!.name);
        expect(row.getCell(col('E-mail')).value).toBe(people.get(userId)!.email);
        named++;
      }
      if (row.getCell(col('Project id')).value !== null) {
        expect(row.getCell(col('Project')).value).toBe(p.title);
      }
    }
    expect(named).toBeGreaterThan(0);

    const sx = await t.as(a!, {
      method: 'GET',
      url: `/api/v1/billing/statements/${stmt.id}/export?format=xlsx`,
    });
    expect(sx.statusCode).toBe(200);
    const swb = await readXlsx(sx.rawPayload);
    const sSummary = swb.getWorksheet('Summary')!;
    const sTotal = sSummary.getRows(1, sSummary.rowCount)!.find((row) => row.getCell(1).value === 'Total')!;
    expect(sTotal.getCell(2).value).toBe(1.82);
    const summaryValue = (label: string) =>
      sSummary
        .getRows(1, sSummary.rowCount)!
        .find((row) => row.getCell(1).value === label)
        ?.getCell(2).value;
    expect(summaryValue('Annotator')).toBe('Annotator0');
    expect(summaryValue('E-mail')).toBe(a!.email);
    expect(summaryValue('Annotator id')).toBe(a!.userId);

    // In the reader's language: the one they chose in the console, else their Accept-Language.
    const chose = await t.as(a!, {
      method: 'PUT',
      url: '/api/v1/auth/language',
      payload: { language: 'zh-CN' },
    });
    expect(chose.statusCode, chose.body).toBe(204);
    const zh = await readXlsx(
      (await t.as(a!, { method: 'GET', url: `/api/v1/billing/statements/${stmt.id}/export?format=xlsx` }))
        .rawPayload,
    );
    const zhSummary = zh.getWorksheet('汇总')!;
    expect(zhSummary.getRow(1).getCell(1).value).toBe(`${stmt.period} 结算单`);
    const zhTotal = zhSummary.getRows(1, zhSummary.rowCount)!.find((row) => row.getCell(1).value === '合计')!;
    expect(zhTotal.getCell(2).value).toBe(1.82);
    expect((zh.getWorksheet('明细')!.getRow(1).values as unknown[]).slice(1, 8)).toEqual([
      '行号',
      '类型',
      '用户',
      '电子邮箱',
      '用户 ID',
      '项目',
      '项目 ID',
    ]);
    const asked = await t.as(t.owner, {
      method: 'GET',
      url: `/api/v1/billing/bills/${may.id}/export?format=xlsx`,
      headers: { 'accept-language': 'zh-CN,zh;q=0.9,en;q=0.8' },
    });
    expect((await readXlsx(asked.rawPayload)).getWorksheet('明细')!.getRow(1).values).toContain('金额');

    const csv = await t.as(t.owner, {
      method: 'GET',
      url: `/api/v1/billing/bills/${may.id}/export?format=csv`,
    });
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.body.trim().split('\n')).toHaveLength(after.length + 1);
    const csvRows = parseCsv(csv.body, { columns: true }) as Record<string, string>[];
    expect(Object.keys(csvRows[0]!).slice(2, 7)).toEqual([
      'user_name',
      'user_email',
      'user_id',
      'project_title',
      'project_id',
    ]);
    const annotated = csvRows.filter((r) => r.user_id);
    expect(annotated.length).toBeGreaterThan(0);
    for (const r of annotated) {
      expect(r.user_name).toBe(people.get(r.user_id!)!.name);
      expect(r.user_email).toBe(people.get(r.user_id!)!.email);
    }
    expect(csvRows.some((r) => r.project_id)).toBe(true);
    for (const r of csvRows.filter((row) => row.project_id)) expect(r.project_title).toBe(p.title);
    const json = await ok(
      await t.as(t.owner, { method: 'GET', url: `/api/v1/billing/bills/${may.id}/export?format=json` }),
    );
    expect(json.bill.total).toBe('1.97');

    await ok(await t.as(t.owner, { method: 'POST', url: `/api/v1/billing/bills/${may.id}/pay` }));
    const late2 = await t.as(t.owner, {
      method: 'POST',
      url: `/api/v1/billing/bills/${may.id}/adjustments`,
      payload: { amount: '1.00', note: 'too late' },
    });
    expect(late2.statusCode).toBe(409);
    expect(await unauditedMutations(ctx)).toBe(0);
  });

  it('shows a project manager only the projects they manage; refuses bad input with 4xx', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const mine = await newProject(t, { title: 'Mine' });
    const other = await newProject(t, { title: 'Other' });
    const role = await t.as(t.owner, {
      method: 'POST',
      url: '/api/v1/roles',
      payload: { name: 'project-billing', permissions: ['projects:read', 'billing:read'] },
    });
    expect(role.statusCode).toBe(201);
    const pm = await t.member(['project-billing'], 'PM');
    await joinProject(t, mine.id, pm, 'manager');
    const [a] = await annotators(t, mine.id, 1);
    await joinProject(t, other.id, a!, 'annotator');
    const [tm] = await seedTasks(ctx, t, mine, 1);
    const [to] = await seedTasks(ctx, t, other, 1);
    await at(ctx, await annotate(t, a!, tm!), '2025-07-02T00:00:00Z');
    await at(ctx, await annotate(t, a!, to!), '2025-07-03T00:00:00Z');
    const b = await bill(ctx, t, '2025-07');
    expect(b.total).toBe('0.20');
    const seen = await ok(await t.as(pm, { method: 'GET', url: `/api/v1/billing/bills/${b.id}` }));
    expect(seen).toMatchObject({ scope: 'projects', total: '0.10' });
    const pmLines = await lines(t, b.id, pm);
    expect(pmLines.map((l) => l.project_id)).toEqual([mine.id]);
    const otherSettings = await t.as(pm, {
      method: 'GET',
      url: `/api/v1/billing/projects/${other.id}/settings`,
    });
    expect(otherSettings.statusCode).toBe(404);

    const bad: [string, string, unknown][] = [
      ['POST', '/api/v1/billing/bills', { period: '2025-13' }],
      ['POST', '/api/v1/billing/rules', { name: 'x', project_id: 999999999 }],
      ['PUT', `/api/v1/billing/projects/${mine.id}/settings`, { difficulty: 'impossible' }],
    ];
    for (const [method, url, payload] of bad) {
      const res = await t.as(t.owner, { method: method as 'POST', url, payload: payload as object });
      expect(res.statusCode, url).toBeGreaterThanOrEqual(400);
      expect(res.statusCode, url).toBeLessThan(500);
    }
    const rule = await ok(
      await t.as(t.owner, { method: 'POST', url: '/api/v1/billing/rules', payload: { name: 'r' } }),
      201,
    );
    for (const payload of [
      { mode: 'count', currency: 'XYZ', effective_from: '2025-01-01T00:00:00Z' },
      { mode: 'count', count_rate: '-1', effective_from: '2025-01-01T00:00:00Z' },
      { mode: 'count', count_rate: '0.1234567', effective_from: '2025-01-01T00:00:00Z' },
      {
        mode: 'count',
        quality_tiers: [{ min: '1.5', multiplier: '1' }],
        effective_from: '2025-01-01T00:00:00Z',
      },
      { mode: 'count', difficulty_multipliers: { insane: '2' }, effective_from: '2025-01-01T00:00:00Z' },
      { mode: 'weekly', effective_from: '2025-01-01T00:00:00Z' },
      { mode: 'count', effective_from: 'yesterday' },
    ]) {
      const res = await t.as(t.owner, {
        method: 'POST',
        url: `/api/v1/billing/rules/${rule.id}/versions`,
        payload,
      });
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    const dup = await t.as(t.owner, {
      method: 'POST',
      url: '/api/v1/billing/rules',
      payload: { name: 'again' },
    });
    expect(dup.statusCode).toBe(409);
  });
});
