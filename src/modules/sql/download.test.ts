import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { beforeAll, describe, expect, it } from 'vitest';
import { newProject, seedTasks } from '../../../test/annotation-fixtures.ts';
import { newTenant, type TenantFixture } from '../../../test/fixtures.ts';
import { type TestContext, testApp } from '../../../test/helpers.ts';

let ctx: TestContext;
let t: TenantFixture;
let logId: number;

const QUERY = `select p.title as 项目, count(t.id)::int as tasks
  from projects p join reporting.tasks t on t.project_id = p.id group by 1 order by 2 desc`;
const download = (id: number, format: string, as = t.owner) =>
  t.as(as, { method: 'GET', url: `/api/v1/sql/logs/${id}/result?format=${format}` });

beforeAll(async () => {
  ctx = await testApp();
  t = await newTenant(ctx);
  const alpha = await newProject(t, { title: '甲项目' });
  const beta = await newProject(t, { title: '乙项目' });
  await seedTasks(ctx, t, alpha.id, [{ data: { text: 'a' } }, { data: { text: 'b' } }]);
  await seedTasks(ctx, t, beta.id, [{ data: { text: 'c' } }]);
  const run = await t.as(t.owner, { method: 'POST', url: '/api/v1/sql/run', payload: { sql: QUERY } });
  expect(run.statusCode, run.body).toBe(200);
  logId = run.json().log_id;
});

describe('GET /sql/logs/:id/result', () => {
  it('answers the rows as CSV with a byte-order mark for Excel, and audits the download', async () => {
    const res = await download(logId, 'csv');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toContain('text/csv');
    expect(res.headers['content-disposition']).toBe(`attachment; filename="query-${logId}.csv"`);
    expect([...res.rawPayload.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(parse(res.body.replace(/^\ufeff/, ''), { columns: true })).toEqual([
      { 项目: '甲项目', tasks: '2' },
      { 项目: '乙项目', tasks: '1' },
    ]);
    const audit = await t.as(t.owner, { method: 'GET', url: '/api/v1/audit/logs?action=sql.download' });
    expect(audit.json().items[0]).toMatchObject({
      action: 'sql.download',
      resource_id: String(logId),
      details: { format: 'csv' },
    });
  });

  it('answers an xlsx workbook that reads back with the header and typed cells', async () => {
    const res = await download(logId, 'xlsx');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-disposition']).toBe(`attachment; filename="query-${logId}.xlsx"`);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(res.rawPayload as unknown as ArrayBuffer);
    const sheet = wb.worksheets[0]!;
    const values = sheet
      .getSheetValues()
      .slice(1)
      .map((r) => (r as unknown[]).slice(1));
    expect(values).toEqual([
      ['项目', 'tasks'],
      ['甲项目', 2],
      ['乙项目', 1],
    ]);
  });

  it('keeps text that Excel would run as a formula inert in the CSV, and negative numbers as they are', async () => {
    const run = await t.as(t.owner, {
      method: 'POST',
      url: '/api/v1/sql/run',
      payload: { sql: "select '=HYPERLINK(\"http://x\")' as title, -1.5::numeric as delta, '@sum' as note" },
    });
    expect(run.statusCode, run.body).toBe(200);
    const res = await download(run.json().log_id, 'csv');
    expect(parse(res.body.replace(/^\ufeff/, ''), { columns: true })).toEqual([
      { title: `'=HYPERLINK("http://x")`, delta: '-1.5', note: "'@sum" },
    ]);
  });

  it('runs an asked question again with the parameters its log holds', async () => {
    const asked = await t.as(t.owner, {
      method: 'POST',
      url: '/api/v1/sql/ask',
      payload: { question: '甲项目的任务状态分布', method: 'template' },
    });
    expect(asked.statusCode, asked.body).toBe(200);
    expect(asked.json().params.length).toBeGreaterThan(0);
    const res = await download(asked.json().log_id, 'csv');
    expect(res.statusCode, res.body).toBe(200);
    const rows = parse(res.body.replace(/^\ufeff/, ''), { columns: true });
    expect(rows).toEqual(
      asked
        .json()
        .rows.map((r: Record<string, unknown>) =>
          Object.fromEntries(Object.entries(r).map(([k, v]) => [k, String(v)])),
        ),
    );
    expect(rows.length).toBeGreaterThan(0);
  });

  it('is only for the log’s own user, unless sql:manage', async () => {
    const manager = await t.member(['manager'], 'Manager');
    const res = await download(logId, 'csv', manager);
    expect(res.statusCode, res.body).toBe(404);
    expect(res.headers['content-type']).toContain('application/problem+json');
  });

  it('answers 404 for a log that is not there and 400 for an unknown format', async () => {
    expect((await download(999_999, 'csv')).statusCode).toBe(404);
    const bad = await download(logId, 'pdf');
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
  });
});
