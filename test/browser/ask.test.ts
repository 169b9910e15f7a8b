import fs from 'node:fs';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROBE_QUESTION } from '../../src/modules/sql/plugins/routes.ts';
import { newProject, seedTasks } from '../annotation-fixtures.ts';
import { newTenant, type TenantFixture } from '../fixtures.ts';
import { pluginServer } from '../sql-plugin-server.ts';
import { type ConsoleServer, signedIn, startConsole } from './console-session.ts';

let server: ConsoleServer;
let t: TenantFixture;
let betaId: number;

beforeAll(async () => {
  server = await startConsole();
  t = await newTenant(server);
  const alpha = await newProject(t, { title: 'Alpha' });
  const beta = await newProject(t, { title: 'Beta' });
  await seedTasks(server, t, alpha.id, [{ data: { text: 'a' } }, { data: { text: 'b' } }]);
  await seedTasks(server, t, beta.id, [{ data: { text: 'c' } }]);
  betaId = beta.id;
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
    await page.getByTestId('chart').locator('svg').waitFor();

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
    // One text column, one number, two rows: a pie, drawn as SVG.
    await page.getByTestId('chart').locator('svg').waitFor();
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

  it('creates a template with a project slot, finds it in the tester, and answers a question with it', async () => {
    const { page, errors, close } = await signedIn(server, t.owner.email);
    await page.goto('/ask');
    await page.getByRole('tab', { name: 'Templates' }).click();
    await page.getByRole('button', { name: 'New template' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Name', { exact: true }).fill('roster_size');
    await dialog.getByLabel('Phrasing', { exact: true }).fill('{project}的花名册人数');
    await dialog.getByRole('button', { name: 'Add slot' }).click();
    await dialog.getByLabel('Slot name').fill('project');
    await dialog.getByLabel('Slot type').click();
    // Number is chosen; Project is three below it (number, period, enum, project, member).
    for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await dialog
      .getByLabel('SQL', { exact: true })
      .fill(
        'select title as project, task_count::int as roster from reporting.projects where id = $1::bigint',
      );
    await dialog.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => dialog.count()).toBe(0);
    await page.getByRole('row').filter({ hasText: 'roster_size' }).waitFor();

    // The tester ranks it first for a question naming a project, with the project's id bound.
    await page.getByLabel('Test a question').fill('Beta的花名册人数是多少');
    await page.getByLabel('Test a question').press('Enter');
    const first = page.getByTestId('template-matches').getByRole('row').nth(1);
    await expect.poll(() => first.textContent()).toContain('roster_size');
    expect(await first.textContent()).toContain(`[${betaId}]`);

    await page.getByRole('tab', { name: 'Ask' }).click();
    await page.getByLabel('Question', { exact: true }).fill('Beta的花名册人数是多少');
    await page.getByLabel('Question', { exact: true }).press('Enter');
    await expect.poll(() => page.getByRole('row').filter({ hasText: 'Beta' }).textContent()).toContain('1');
    expect(await page.getByRole('columnheader', { name: 'roster' }).count()).toBe(1);
    expect(await page.getByLabel('SQL', { exact: true }).inputValue()).toContain('as roster');
    const logs = await t.as(t.owner, { method: 'GET', url: '/api/v1/sql/logs?limit=1' });
    expect(logs.json().items[0]).toMatchObject({ method: 'template', outcome: 'answered', row_count: 1 });
    expect(errors).toEqual([]);
    await close();
  });

  it('takes a thumbs down with a corrected query, and History shows it beside the log', async () => {
    const { page, errors, close } = await signedIn(server, t.owner.email);
    await page.goto('/ask');
    await page.getByLabel('Question').fill('how many projects are there');
    await page.getByLabel('Question').press('Enter');
    await page.getByText('Template', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Not correct', exact: true }).click();
    const corrected = "select count(*)::int as projects from projects where title <> 'Beta'";
    await page.getByLabel('Corrected SQL').fill(corrected);
    await page.getByRole('button', { name: 'Send feedback' }).click();
    await page.getByText('Thanks, the feedback was saved.').waitFor();

    await page.getByRole('tab', { name: 'History' }).click();
    const row = page.getByRole('row').filter({ hasText: 'how many projects are there' });
    await expect.poll(() => row.textContent()).toContain('Not correct');
    expect(await row.textContent()).toContain(corrected);
    const logs = await t.as(t.owner, { method: 'GET', url: '/api/v1/sql/logs?limit=5' });
    expect(
      logs
        .json()
        .items.find((l: { question: string | null }) => l.question === 'how many projects are there'),
    ).toMatchObject({ feedback: { correct: false, sql: corrected } });
    expect(errors).toEqual([]);
    await close();
  });

  it('adds a plugin with a write-only key, tests it against a real plugin server, and deletes it', async () => {
    const key = 'sk-browser-plugin-7319';
    const plugin = await pluginServer(key, {
      [PROBE_QUESTION]: { sql: 'select count(*)::int as projects from projects', confidence: 0.8 },
    });
    try {
      const { page, errors, close } = await signedIn(server, t.owner.email);
      await page.goto('/ask');
      await page.getByRole('tab', { name: 'Plugins' }).click();
      await page.getByRole('button', { name: 'Add plugin' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByLabel('Name', { exact: true }).fill('acme nl2sql');
      await dialog.getByLabel('URL', { exact: true }).fill(plugin.url);
      await dialog.getByLabel('API key', { exact: true }).fill(key);
      await dialog.getByRole('button', { name: 'Save' }).click();
      await expect.poll(() => dialog.count()).toBe(0);
      const row = page.getByRole('row').filter({ hasText: 'acme nl2sql' });
      await expect.poll(() => row.textContent()).toContain('••••7319');
      expect(await page.content()).not.toContain(key);

      await row.getByRole('button', { name: 'Test' }).click();
      await page.getByText('The plugin answered with SQL that passes validation.').waitFor();
      await page.getByText('select count(*)::int as projects from projects').waitFor();
      // The probe really went to the plugin, with the key as its bearer token.
      expect(plugin.received.at(-1)).toMatchObject({
        authorization: `Bearer ${key}`,
        body: { question: PROBE_QUESTION },
      });

      // A plugin that fails says how.
      plugin.setMode('error');
      await row.getByRole('button', { name: 'Test' }).click();
      await page.getByText('The plugin call failed (bad_status).').waitFor();

      await row.getByRole('button', { name: 'Delete' }).click();
      await page.getByRole('tooltip').getByRole('button', { name: 'OK' }).click();
      await expect.poll(() => row.count()).toBe(0);
      // Read from the database: five browser sign-ins have ended the fixture's API session
      // (the per-user session limit ends the oldest).
      const { rows } = await server.platform.database.raw.query(
        'select count(*)::int as n from third_party_plugins where tenant_id = $1',
        [t.tenantId],
      );
      expect(rows[0]).toEqual({ n: 0 });
      expect(errors).toEqual([]);
      await close();
    } finally {
      await plugin.close();
    }
  });
});
