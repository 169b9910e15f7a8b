import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { sql } from 'drizzle-orm';
import ExcelJS from 'exceljs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newProject } from '../annotation-fixtures.ts';
import { newTenant, PASSWORD, type TenantFixture } from '../fixtures.ts';
import { annotate, annotators, seedTasks, systemSql } from '../labeling-fixtures.ts';
import { waitForJob } from '../transfer-helpers.ts';
import { type ConsoleServer, signedIn, startConsole } from './console-session.ts';

// The daily labeling loop (issue 27): each test reproduces a break a new user hit.
let server: ConsoleServer;
let t: TenantFixture;

beforeAll(async () => {
  server = await startConsole();
  t = await newTenant(server);
});
afterAll(() => server?.close());

/** Imports a file through the data manager's dialog and returns its "Duplicates skipped" figure. */
async function importThroughDialog(page: Page, name: string, content: string, dedupe: boolean) {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'si-upload-')), name);
  fs.writeFileSync(file, content);
  await page.getByRole('button', { name: 'Import' }).click();
  const dialog = page.getByRole('dialog');
  const toggle = dialog.getByRole('checkbox', { name: 'Skip tasks whose data is already in the project' });
  expect(await toggle.isChecked()).toBe(true);
  if (!dedupe) await toggle.uncheck();
  await dialog.locator('input[type=file]').setInputFiles(file);
  // The CSV's columns are shown to map first; `text` already names the data key.
  await dialog.getByTestId('column-mapper').getByRole('button', { name: 'Import', exact: true }).click();
  await dialog.getByTestId('import-progress').getByText('Completed').waitFor({ timeout: 60_000 });
  const skipped = await dialog
    .locator('.si-descriptions-item', { hasText: 'Duplicates skipped' })
    .textContent();
  await dialog.getByRole('button', { name: 'Close' }).last().click();
  return Number(/(\d+)\s*$/.exec(skipped ?? '')?.[1]);
}

describe('the daily labeling workflow', () => {
  it('review shows a readable error for a stored result the config does not fit, and only Reject', async (ctx) => {
    const project = await newProject(t, { title: 'Orphaned result' });
    const [annotator] = await annotators(t, project.id, 1);
    const [task] = await seedTasks(server, t, project, 1);
    const { id } = await annotate(t, annotator!, task!);
    // As a result imported before imports were checked, or left by a later config edit.
    await systemSql(
      server,
      sql`update annotations set result = jsonb_set(result, '{0,from_name}', '"label"') where id = ${id}`,
    );
    const owner = await signedIn(server, t.owner.email);
    ctx.onTestFailed(() =>
      owner.page.screenshot({ path: 'test-results/workflow-review.png' }).then(() => {}),
    );
    const page = owner.page;
    await page.goto(`/projects/${project.id}/review`);
    const alert = page.getByTestId('invalid-results');
    await alert.waitFor();
    expect(await alert.textContent()).toContain(
      `Annotation #${id}, region 1: the control "label" is not in the labeling config.`,
    );
    expect(await page.getByRole('button', { name: /Accept$/ }).isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Fix and accept' }).isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'Reject' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Reject' }).click();
    await page.getByText('Annotation rejected').waitFor();
    const [row] = await systemSql<{ review_status: string }>(
      server,
      sql`select review_status from annotations where id = ${id}`,
    );
    expect(row!.review_status).toBe('rejected');
    expect(owner.errors).toEqual([]);
    await owner.close();
  });

  it('review flags an empty annotation instead of accepting it silently', async () => {
    const project = await newProject(t, { title: 'Empty submit' });
    const [annotator] = await annotators(t, project.id, 1, 'Blank');
    const [task] = await seedTasks(server, t, project, 1);
    await annotate(t, annotator!, task!, false, { result: [] });
    const owner = await signedIn(server, t.owner.email);
    const page = owner.page;
    await page.goto(`/projects/${project.id}/review`);
    await page.locator('[data-testid=label-studio][data-ready=true]').waitFor({ timeout: 60_000 });
    await page
      .getByRole('alert')
      .filter({ hasText: 'This annotation is empty: the annotator submitted it without labeling anything.' })
      .waitFor();
    expect(owner.errors).toEqual([]);
    await owner.close();
  });

  it('annotators and reviewers do not see the System page; managers do', async () => {
    for (const role of ['annotator', 'reviewer'] as const) {
      const m = await t.member([role], `System ${role}`);
      const who = await signedIn(server, m.email);
      await who.page.getByRole('menuitem', { name: 'Projects' }).waitFor();
      expect(await who.page.getByRole('menuitem', { name: 'System' }).count(), role).toBe(0);
      await who.page.goto('/system');
      await who.page.getByText('No access').waitFor();
      expect(who.errors, role).toEqual([]);
      await who.close();
    }
    const manager = await t.member(['manager'], 'System manager');
    const who = await signedIn(server, manager.email);
    await who.page.getByRole('menuitem', { name: 'System' }).click();
    await who.page.waitForURL('**/system');
    await who.page.getByRole('heading', { name: 'System' }).first().waitFor();
    expect(await who.page.getByText('No access').count()).toBe(0);
    expect(who.errors).toEqual([]);
    await who.close();
  });

  it('clearing the data-manager search lists every task again, with no error', async () => {
    const project = await newProject(t, { title: 'Search and clear' });
    await seedTasks(server, t, project, 3);
    const owner = await signedIn(server, t.owner.email);
    const page = owner.page;
    await page.goto(`/projects/${project.id}/data`);
    const rows = page.getByTestId('task-row');
    await expect.poll(() => rows.count()).toBe(3);
    const search = page.getByLabel('Search', { exact: true });
    await search.fill('task 2');
    await search.press('Enter');
    await expect.poll(() => rows.count()).toBe(1);
    // The × of the search box.
    await page.locator('.si-input-search').getByRole('button', { name: 'close-circle' }).click();
    await expect.poll(() => rows.count()).toBe(3);
    // Deleting the text and pressing Enter.
    await search.fill('task 3');
    await search.press('Enter');
    await expect.poll(() => rows.count()).toBe(1);
    await search.fill('');
    await search.press('Enter');
    await expect.poll(() => rows.count()).toBe(3);
    // A field narrows the search; its select clears back to every field.
    const field = page.locator('.si-select').filter({ has: page.getByLabel('Field') });
    await field.click();
    await page.locator('.si-select-dropdown:visible .si-select-item-option[title="text"]').click();
    expect(await field.textContent()).toContain('text');
    await search.fill('task 1');
    await search.press('Enter');
    await expect.poll(() => rows.count()).toBe(1);
    await field.hover();
    await field.locator('.si-select-clear').click();
    await expect.poll(() => field.textContent()).toContain('All fields');
    await expect.poll(() => rows.count()).toBe(1);
    await search.fill('');
    await search.press('Enter');
    await expect.poll(() => rows.count()).toBe(3);
    expect(await page.getByRole('alert').count()).toBe(0);
    expect(owner.errors).toEqual([]);
    await owner.close();
  });

  it('re-importing the same file skips its tasks unless the dedupe toggle is cleared', async () => {
    const project = await newProject(t, { title: 'Import twice' });
    const owner = await signedIn(server, t.owner.email);
    const page = owner.page;
    await page.goto(`/projects/${project.id}/data`);
    const rows = page.getByTestId('task-row');
    const csv = 'text\nfirst line\nsecond line\n';
    expect(await importThroughDialog(page, 'twice.csv', csv, true)).toBe(0);
    await expect.poll(() => rows.count()).toBe(2);
    expect(await importThroughDialog(page, 'twice.csv', csv, true)).toBe(2);
    await expect.poll(() => rows.count()).toBe(2);
    expect(await importThroughDialog(page, 'twice.csv', csv, false)).toBe(0);
    await expect.poll(() => rows.count()).toBe(4);
    expect(owner.errors).toEqual([]);
    await owner.close();
  });

  it('Next task (and Alt+→) skips the held task under the project skip policy and shows another', async () => {
    const project = await newProject(t, { title: 'Move on' });
    const [annotator] = await annotators(t, project.id, 1, 'Mover');
    const ids = await seedTasks(server, t, project, 2);
    const who = await signedIn(server, annotator!.email);
    const page = who.page;
    await page.goto(`/projects/${project.id}/label`);
    const shown = page.getByTestId('task-id');
    await page.locator('[data-testid=label-studio][data-ready=true]').waitFor({ timeout: 60_000 });
    expect(await shown.textContent()).toContain(String(ids[0]));
    await page.getByRole('button', { name: 'Next task' }).click();
    await page.getByText(`Task #${ids[0]} skipped: it goes to other annotators.`).waitFor();
    await expect.poll(() => shown.textContent()).toContain(String(ids[1]));
    await page.locator('[data-testid=label-studio][data-ready=true]').waitFor({ timeout: 60_000 });
    await page.keyboard.press('Alt+ArrowRight');
    await page.getByText(`Task #${ids[1]} skipped: it goes to other annotators.`).waitFor();
    await page.getByText('Nothing left to label').waitFor();
    const skips = await systemSql<{ task_id: string }>(
      server,
      sql`select task_id from annotations where completed_by = ${annotator!.userId} and was_cancelled order by id`,
    );
    expect(skips.map((r) => Number(r.task_id))).toEqual(ids);
    expect(who.errors).toEqual([]);
    await who.close();
  });

  it('a task sent back by a reviewer opens with the annotation, the comment and a way to correct it', async (ctx) => {
    const project = await newProject(t, { title: 'Send back' });
    const [annotator] = await annotators(t, project.id, 1, 'Reworker');
    const [task] = await seedTasks(server, t, project, 1);
    const { id } = await annotate(t, annotator!, task!);
    const rejected = await t.as(t.owner, {
      method: 'POST',
      url: `/api/v1/annotations/${id}/review`,
      payload: { action: 'reject', reject_mode: 'requeue', comment: 'This one reads negative' },
    });
    expect(rejected.statusCode, rejected.body).toBe(200);

    const who = await signedIn(server, annotator!.email);
    const page = who.page;
    ctx.onTestFailed(() => page.screenshot({ path: 'test-results/workflow-rework.png' }).then(() => {}));
    await page.goto(`/projects/${project.id}/label`);
    const notice = page.getByTestId('rejected-notice');
    await notice.waitFor();
    await expect.poll(() => notice.textContent()).toContain('“This one reads negative”');
    const editor = page.locator('[data-testid=label-studio][data-ready=true]');
    await editor.waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('task-id').textContent()).toContain(String(task));
    expect(await page.getByRole('button', { name: 'Next task' }).isDisabled()).toBe(true);
    await editor.getByText('Negative').first().click();
    await editor.getByText('Update', { exact: true }).click();
    await page.getByText('Correction sent back to review').waitFor();
    await page.getByText('Nothing left to label').waitFor();
    const [row] = await systemSql<{ review_status: string; result: { value: { choices: string[] } }[] }>(
      server,
      sql`select review_status, result from annotations where id = ${id}`,
    );
    expect(row!.review_status).toBe('pending');
    expect(row!.result[0]!.value.choices).toEqual(['Negative']);
    expect(who.errors).toEqual([]);
    await who.close();
  });

  it('a locked member shows as Locked; the admin unlocks them and resets their password from the drawer', async (ctx) => {
    const member = await t.member(['annotator'], 'Forgetful');
    const signIn = (password: string) =>
      server.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: member.email, password },
        remoteAddress: '192.0.2.27',
      });
    for (let i = 0; i < 5; i++) expect((await signIn(`wrong-${i}`)).statusCode).toBe(401);
    expect((await signIn(PASSWORD)).statusCode).toBe(429);

    // An admin of its own: the owner's sign-ins would push its API session past the five a user keeps.
    const owner = await signedIn(server, (await t.member(['admin'], 'Unlocker')).email);
    ctx.onTestFailed(() =>
      owner.page.screenshot({ path: 'test-results/workflow-unlock.png' }).then(() => {}),
    );
    const page = owner.page;
    await page.goto('/admin/users');
    const row = page.getByRole('row', { name: new RegExp(member.email) });
    await row.getByText('Locked', { exact: true }).waitFor();
    expect(await row.getByText('Active', { exact: true }).count()).toBe(1);
    await row.getByRole('button', { name: member.email }).click();
    const drawer = page.locator('.si-drawer');
    await drawer.getByText(/Locked after failed sign-ins until/).waitFor();
    await drawer.getByRole('button', { name: 'Unlock' }).click();
    await drawer.getByText('Unlocked: they can sign in again.').waitFor();
    expect(await drawer.getByText('Locked', { exact: true }).count()).toBe(0);
    await expect.poll(() => row.getByText('Locked', { exact: true }).count()).toBe(0);
    expect((await signIn(PASSWORD)).statusCode).toBe(200);

    await drawer.getByRole('button', { name: 'Reset password' }).click();
    const dialog = page.getByRole('dialog', { name: `Reset the password of ${member.email}` });
    await dialog.getByRole('button', { name: 'Reset password' }).click();
    const generated = (await dialog.getByTestId('reset-password').textContent())?.trim() ?? '';
    expect(generated.length).toBeGreaterThanOrEqual(20);
    expect((await signIn(PASSWORD)).statusCode).toBe(401);
    expect((await signIn(generated)).statusCode).toBe(200);
    expect(owner.errors).toEqual([]);
    await owner.close();
  });

  it('bill and statement downloads name the annotator and the project beside their ids', async () => {
    const project = await newProject(t, { title: 'Paid work' });
    const [earner] = await annotators(t, project.id, 1, 'Earner');
    for (const task of await seedTasks(server, t, project, 2)) await annotate(t, earner!, task);
    await systemSql(
      server,
      sql`update billing_work_records set occurred_at = '2025-04-10T00:00:00Z' where project_id = ${project.id}`,
    );
    const generated = await t.as(t.owner, {
      method: 'POST',
      url: '/api/v1/billing/bills',
      payload: { period: '2025-04' },
    });
    expect(generated.statusCode, generated.body).toBe(202);
    expect((await waitForJob(t, generated.json().job_id)).state).toBe('completed');
    const billId = generated.json().bill.id as number;
    const issued = await t.as(t.owner, { method: 'POST', url: `/api/v1/billing/bills/${billId}/issue` });
    expect(issued.statusCode, issued.body).toBe(200);

    // An admin of its own: the owner's sign-ins would push its API session past the five a user keeps.
    const owner = await signedIn(server, (await t.member(['admin'], 'Bill reader')).email);
    await owner.page.goto(`/billing/bills/${billId}`);
    const [csvFile] = await Promise.all([
      owner.page.waitForEvent('download'),
      owner.page.getByRole('link', { name: 'CSV' }).click(),
    ]);
    const rows = parseCsv(fs.readFileSync(await csvFile.path(), 'utf8'), { columns: true }) as Record<
      string,
      string
    >[];
    const line = rows.find((r) => r.user_id === earner!.userId);
    expect(line).toMatchObject({
      user_name: 'Earner0',
      user_email: earner!.email,
      project_title: 'Paid work',
    });
    expect(owner.errors).toEqual([]);
    await owner.close();

    const mine = await t.as(earner!, { method: 'GET', url: `/api/v1/billing/statements?bill_id=${billId}` });
    const statementId = mine.json().items[0].id as number;
    const who = await signedIn(server, earner!.email);
    await who.page.goto(`/billing/statements/${statementId}`);
    const [xlsxFile] = await Promise.all([
      who.page.waitForEvent('download'),
      who.page.getByRole('link', { name: 'Excel' }).click(),
    ]);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(await xlsxFile.path());
    const summary = new Map(
      wb
        .getWorksheet('Summary')!
        .getSheetValues()
        .filter(Boolean)
        .map((r) => {
          const cells = r as unknown[];
          return [cells[1], cells[2]];
        }),
    );
    expect(summary.get('Annotator')).toBe('Earner0');
    expect(summary.get('E-mail')).toBe(earner!.email);
    const detail = wb.getWorksheet('Detail')!;
    const header = detail.getRow(1).values as unknown[];
    const first = detail.getRow(2);
    expect(first.getCell(header.indexOf('User')).value).toBe('Earner0');
    expect(first.getCell(header.indexOf('Project')).value).toBe('Paid work');
    expect(first.getCell(header.indexOf('Project id')).value).toBe(project.id);
    expect(who.errors).toEqual([]);
    await who.close();
  });

  it('quality issues and improvement tasks link to the task; a task made by hand goes to the author, and its assignee opens and submits it', async (ctx) => {
    const project = await newProject(t, { title: 'Improve me' });
    const [author, fixer] = await annotators(t, project.id, 2, 'Improver');
    const [task] = await seedTasks(server, t, project, 1);
    const rule = await t.as(t.owner, {
      method: 'POST',
      url: `/api/v1/projects/${project.id}/quality/rules`,
      payload: {
        name: 'Neutral only',
        type: 'allowed_labels',
        config: { labels: ['Neutral'] },
        severity: 'high',
      },
    });
    expect(rule.statusCode, rule.body).toBe(201);
    const { id } = await annotate(t, author!, task!);
    await expect
      .poll(
        async () =>
          (
            await t.as(t.owner, { method: 'GET', url: `/api/v1/projects/${project.id}/quality/issues` })
          ).json().items.length,
        { timeout: 30_000 },
      )
      .toBe(1);

    // An admin of its own: the owner's sign-ins would push its API session past the five a user keeps.
    const owner = await signedIn(server, (await t.member(['admin'], 'Quality lead')).email);
    ctx.onTestFailed(() =>
      owner.page.screenshot({ path: 'test-results/workflow-improve.png' }).then(() => {}),
    );
    const page = owner.page;
    await page.goto(`/projects/${project.id}/quality/issues`);
    const card = page.getByTestId('issues-open').locator('[data-testid^="issue-"]');
    const link = card.getByRole('link', { name: `Task #${task} · annotation #${id}` });
    await link.waitFor();
    // The issue is unassigned: the task goes where the workflow says, the annotation's author.
    await card.getByRole('button', { name: 'Improvement task' }).click();
    await page.getByText('Improvement task created').waitFor();
    await page.getByRole('tab', { name: 'Improvement tasks' }).click();
    const pending = page.getByTestId('improvements-pending');
    await pending.getByRole('link', { name: `Task #${task} · annotation #${id}` }).waitFor();
    await pending.getByTitle('Improver0').waitFor();
    // The link opens the annotation in the labeling view.
    await page.goto(`/projects/${project.id}/quality/issues`);
    await page.getByRole('link', { name: `Task #${task} · annotation #${id}` }).click();
    await page.waitForURL(`**/projects/${project.id}/label?annotation=${id}&task=${task}`);
    await page.locator('[data-testid=label-studio][data-ready=true]').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('task-id').textContent()).toContain(String(task));
    expect(owner.errors).toEqual([]);
    await owner.close();

    // Given to another annotator, who opens the annotation (not theirs) through the task and submits.
    const [improvement] = await systemSql<{ id: string }>(
      server,
      sql`select id from improvement_tasks where annotation_id = ${id}`,
    );
    const reassigned = await t.as(t.owner, {
      method: 'PATCH',
      url: `/api/v1/quality/improvement-tasks/${improvement!.id}`,
      payload: { assignee_id: fixer!.userId },
    });
    expect(reassigned.statusCode, reassigned.body).toBe(200);
    const who = await signedIn(server, fixer!.email);
    await who.page.goto('/quality');
    await who.page
      .getByTestId('my-improvements')
      .getByRole('link', { name: `Task #${task} · annotation #${id}` })
      .click();
    await who.page.waitForURL(`**/projects/${project.id}/label?improvement=${improvement!.id}`);
    await who.page.getByTestId('improvement-notice').waitFor();
    const editor = who.page.locator('[data-testid=label-studio][data-ready=true]');
    await editor.waitFor({ timeout: 60_000 });
    await editor.getByText('Neutral').first().click();
    await editor.getByText('Update', { exact: true }).click();
    await who.page.getByText('Improvement submitted for review').waitFor();
    await expect.poll(() => who.page.getByTestId('improvement-tag').textContent()).toContain('Submitted');
    const [row] = await systemSql<{ status: string; proposed_result: { value: { choices: string[] } }[] }>(
      server,
      sql`select status, proposed_result from improvement_tasks where id = ${improvement!.id}`,
    );
    expect(row!.status).toBe('submitted');
    expect(row!.proposed_result[0]!.value.choices).toEqual(['Neutral']);
    expect(who.errors).toEqual([]);
    await who.close();
  });

  it('says "no tasks yet" on a new project and "no match" for a search, with no white margin round the page', async () => {
    const project = await newProject(t, { title: 'Brand new' });
    const admin = await signedIn(server, (await t.member(['admin'], 'Empty states')).email);
    const page = admin.page;
    await page.goto(`/projects/${project.id}/data`);
    await page.getByText('No tasks yet: import some to start').waitFor();
    expect(await page.getByText('No tasks match').count()).toBe(0);
    expect(await page.evaluate('getComputedStyle(document.body).margin')).toBe('0px');
    await page.goto('/projects');
    await page.getByRole('searchbox', { name: 'Search projects' }).fill('zz-no-such-project');
    await page.keyboard.press('Enter');
    await page.getByText('No project matches “zz-no-such-project”').waitFor();
    expect(await page.getByText('No projects yet').count()).toBe(0);
    expect(admin.errors).toEqual([]);
    await admin.close();
  });

  it('shows a task that was only ever skipped as "Skipped", not "In progress"', async () => {
    const project = await newProject(t, { title: 'Skips' });
    const [annotator] = await annotators(t, project.id, 1);
    const [skipped, labeled] = await seedTasks(server, t, project, 2);
    await annotate(t, annotator!, skipped!, true);
    await annotate(t, annotator!, labeled!);
    const admin = await signedIn(server, (await t.member(['admin'], 'Skip reader')).email);
    await admin.page.goto(`/projects/${project.id}/data`);
    const row = (id: number) =>
      admin.page
        .getByRole('row')
        .filter({ has: admin.page.getByRole('button', { name: `Open task ${id}`, exact: true }) });
    await row(skipped!).getByText('Skipped').waitFor();
    expect(await row(labeled!).getByText('Skipped').count()).toBe(0);
    expect(admin.errors).toEqual([]);
    await admin.close();
  });

  it('a filter once set still says what it filters', async () => {
    const project = await newProject(t, { title: 'Named filters' });
    await seedTasks(server, t, project, 1);
    const admin = await signedIn(server, (await t.member(['admin'], 'Filter reader')).email);
    const page = admin.page;
    await page.goto(`/projects/${project.id}/data`);
    const chip = page
      .locator('.si-select')
      .filter({ has: page.getByRole('combobox', { name: 'Annotated' }) });
    await chip.click();
    await page.locator('.si-select-dropdown:visible .si-select-item-option[title="No"]').click();
    await expect.poll(() => chip.textContent()).toBe('Annotated:No');
    expect(admin.errors).toEqual([]);
    await admin.close();
  });
});
