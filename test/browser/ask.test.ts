import fs from 'node:fs';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newProject, seedTasks } from '../annotation-fixtures.ts';
import { newTenant, type TenantFixture } from '../fixtures.ts';
import { type ConsoleServer, signedIn, startConsole } from './console-session.ts';

let server: ConsoleServer;
let t: TenantFixture;

beforeAll(async () => {
  server = await startConsole();
  t = await newTenant(server);
  const alpha = await newProject(t, { title: 'Alpha' });
  const beta = await newProject(t, { title: 'Beta' });
  await seedTasks(server, t, alpha.id, [{ data: { text: 'a' } }, { data: { text: 'b' } }]);
  await seedTasks(server, t, beta.id, [{ data: { text: 'c' } }]);
});
afterAll(async () => {
  await server?.close();
});

const QUERY = `select p.title as project, count(t.id)::int as tasks
  from projects p join tasks t on t.project_id = p.id group by 1 order by 2 desc`;

describe('Ask data', () => {
  it('answers a question in Chinese from the template pack, with its method, a table, a chart, an xlsx and a thumbs up', async () => {
    const { page, errors, close } = await signedIn(server, t.owner.email);
    await page.goto('/ask');
    await page.getByLabel('Question').fill('每个项目有多少任务');
    await page.getByLabel('Question').press('Enter');
    await expect.poll(() => page.getByRole('row').filter({ hasText: 'Alpha' }).textContent()).toContain('2');
    expect(await page.getByRole('row').filter({ hasText: 'Beta' }).textContent()).toContain('1');
    await page.getByText('Template', { exact: true }).waitFor();
    expect(await page.getByText(/^Confidence \d+%$/).count()).toBe(1);
    // The generated SQL is in the editor, ready to change.
    expect(await page.getByLabel('SQL', { exact: true }).inputValue()).toContain('reporting.projects');
    await page.getByTestId('chart').locator('canvas').waitFor();

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: /Download Excel/ }).click(),
    ]);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(fs.readFileSync((await download.path())!) as unknown as ArrayBuffer);
    const values = wb.worksheets[0]!.getSheetValues()
      .slice(1)
      .map((r) => (r as unknown[]).slice(1));
    expect(values).toEqual([
      ['project', 'tasks'],
      ['Alpha', 2],
      ['Beta', 1],
    ]);

    await page.getByRole('button', { name: 'Correct', exact: true }).click();
    await page.getByText('Thanks, the feedback was saved.').waitFor();
    const logs = await t.as(t.owner, { method: 'GET', url: '/api/v1/sql/logs?limit=5' });
    expect(
      logs.json().items.find((l: { question: string | null }) => l.question === '每个项目有多少任务'),
    ).toMatchObject({
      method: 'template',
      outcome: 'answered',
      feedback: { correct: true },
    });
    expect(errors).toEqual([]);
    await close();
  });

  it('runs edited SQL into a table and a chart, downloads it as xlsx and takes a thumbs up', async () => {
    const { page, errors, close } = await signedIn(server, t.owner.email);
    await page.getByRole('menuitem', { name: 'Ask data' }).click();
    await page.waitForURL('**/ask');
    // A refused query names the rule it broke.
    await page.getByLabel('SQL', { exact: true }).fill('delete from tasks');
    await page.getByRole('button', { name: 'Run' }).click();
    await expect
      .poll(() => page.getByRole('alert').textContent())
      .toContain('The query was refused (not_select).');
    await page.getByLabel('SQL', { exact: true }).fill(QUERY);
    await page.getByRole('button', { name: 'Run' }).click();
    await expect.poll(() => page.getByRole('row').filter({ hasText: 'Alpha' }).textContent()).toContain('2');
    expect(await page.getByRole('row').filter({ hasText: 'Beta' }).textContent()).toContain('1');
    // One text column, one number, two rows: a pie, drawn on a canvas.
    await page.getByTestId('chart').locator('canvas').waitFor();
    await page.getByText('Bar', { exact: true }).click();
    await page.getByText('No chart', { exact: true }).click();
    await expect.poll(() => page.getByTestId('chart').count()).toBe(0);

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: /Download Excel/ }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^query-\d+\.xlsx$/);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(fs.readFileSync((await download.path())!) as unknown as ArrayBuffer);
    const values = wb.worksheets[0]!.getSheetValues()
      .slice(1)
      .map((r) => (r as unknown[]).slice(1));
    expect(values).toEqual([
      ['project', 'tasks'],
      ['Alpha', 2],
      ['Beta', 1],
    ]);

    await page.getByRole('button', { name: 'Correct', exact: true }).click();
    await page.getByText('Thanks, the feedback was saved.').waitFor();
    const logs = await t.as(t.owner, { method: 'GET', url: '/api/v1/sql/logs?limit=1' });
    expect(logs.json().items[0]).toMatchObject({
      outcome: 'answered',
      row_count: 2,
      feedback: { correct: true },
    });

    // The run is in the history, and a click loads its SQL back.
    await page.getByLabel('SQL', { exact: true }).fill('select 1 as one');
    await page.getByRole('tab', { name: 'History' }).click();
    await page.getByRole('row').filter({ hasText: 'Answered' }).first().click();
    await expect.poll(() => page.getByLabel('SQL', { exact: true }).inputValue()).toBe(QUERY);
    // The one error is the browser's report of the refusal's 400.
    expect(errors).toEqual([expect.stringContaining('400')]);
    await close();
  });
});
