import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newProject } from '../annotation-fixtures.ts';
import { newTenant, type TenantFixture } from '../fixtures.ts';
import { importTasks } from '../transfer-helpers.ts';
import { type ConsoleServer, signedIn, startConsole } from './console-session.ts';

// The data manager's search (issue 26) and its use in the daily flow (issue 27): search every
// field with the matches marked, the view in the URL, saved tabs, bulk labeling.
let server: ConsoleServer;
let t: TenantFixture;

beforeAll(async () => {
  server = await startConsole();
  t = await newTenant(server);
});
afterAll(() => server?.close());

const TASKS = [
  { data: { text: 'The quick brown fox' } },
  { data: { text: 'A lazy dog sleeps', source: { site: 'Quick reads' } } },
  { data: { text: 'Slow turtle' } },
  { data: { text: '😀 标注平台 quick search' } },
];

async function seeded(title: string) {
  const project = await newProject(t, { title });
  await importTasks(t, project.id, TASKS);
  return project;
}

/** Picks an option of the antd Select labelled `label`. */
async function pick(page: Page, label: string, option: string) {
  await page
    .locator('.si-select')
    .filter({ has: page.getByLabel(label, { exact: true }) })
    .click();
  await page.locator(`.si-select-dropdown:visible .si-select-item-option[title="${option}"]`).click();
}

async function searchFor(page: Page, text: string) {
  const box = page.getByLabel('Search', { exact: true });
  await box.fill(text);
  await box.press('Enter');
}

const texts = (page: Page) =>
  page.getByTestId('task-row').evaluateAll((rows) => rows.map((r) => r.textContent ?? '').sort());

describe('data manager search', () => {
  it('searches every field by default and marks the matches in the grid and the task detail', async (ctx) => {
    const project = await seeded('Search all fields');
    const member = await t.member(['admin'], 'Searcher');
    const who = await signedIn(server, member.email);
    ctx.onTestFailed(() => who.page.screenshot({ path: 'test-results/search-grid.png' }).then(() => {}));
    const page = who.page;
    await page.goto(`/projects/${project.id}/data`);
    const rows = page.getByTestId('task-row');
    await expect.poll(() => rows.count()).toBe(4);
    await searchFor(page, 'QUICK');
    // The nested data.source.site matches too, though no column shows it.
    await expect.poll(() => rows.count()).toBe(3);
    const marks = page.getByTestId('task-row').getByTestId('search-match');
    await expect.poll(() => marks.allTextContents()).toEqual(['quick', 'quick']);
    // The emoji before it is two UTF-16 units: the mark still covers exactly the word.
    const cjk = rows.filter({ hasText: '标注平台' }).getByTestId('search-match');
    expect(await cjk.textContent()).toBe('quick');

    const nested = rows.filter({ hasText: 'A lazy dog sleeps' });
    await nested.getByRole('button', { name: /^Open task/ }).click();
    const detail = page.getByTestId('task-detail');
    await detail.waitFor();
    expect(await detail.getByTestId('search-match').allTextContents()).toEqual(['Quick']);
    expect(await detail.textContent()).toContain('source.site');
    expect(who.errors).toEqual([]);
    await who.close();
  });

  it('keeps the query, its mode and the sort in the URL across a reload and in a shared link', async () => {
    const project = await seeded('Search in the URL');
    const member = await t.member(['admin'], 'Searcher');
    const who = await signedIn(server, member.email);
    const page = who.page;
    await page.goto(`/projects/${project.id}/data`);
    const rows = page.getByTestId('task-row');
    await expect.poll(() => rows.count()).toBe(4);
    await pick(page, 'Search mode', 'Full text');
    await searchFor(page, 'quick -fox');
    await expect.poll(() => rows.count()).toBe(2);
    // A full-text query offers the relevance order.
    await pick(page, 'Sort', 'Best match first');
    await page.waitForURL((u) => u.searchParams.get('sort') === 'relevance');
    const url = new URL(page.url());
    expect(url.searchParams.get('q')).toBe('quick -fox');
    // The new order refetches the page: read the rows once it is back.
    await expect.poll(async () => (await texts(page)).length).toBe(2);
    const before = await texts(page);

    await page.reload();
    await expect.poll(() => rows.count()).toBe(2);
    expect(await texts(page)).toEqual(before);
    expect(await page.getByLabel('Search', { exact: true }).inputValue()).toBe('quick -fox');
    expect(
      await page
        .locator('.si-select')
        .filter({ has: page.getByLabel('Search mode') })
        .textContent(),
    ).toContain('Full text');
    expect(
      await page
        .locator('.si-select')
        .filter({ has: page.getByLabel('Sort') })
        .textContent(),
    ).toContain('Best match first');

    // A shared link opens the same view in another session.
    const colleague = await t.member(['admin'], 'Colleague');
    const other = await signedIn(server, colleague.email);
    await other.page.goto(page.url().replace(server.url, ''));
    await expect.poll(() => other.page.getByTestId('task-row').count()).toBe(2);
    expect(await texts(other.page)).toEqual(before);
    expect([...who.errors, ...other.errors]).toEqual([]);
    await other.close();
    await who.close();
  });

  it('saves the view as a tab and restores it, also after a reload', async () => {
    const project = await seeded('Saved tabs');
    const member = await t.member(['admin'], 'Searcher');
    const who = await signedIn(server, member.email);
    const page = who.page;
    await page.goto(`/projects/${project.id}/data`);
    const rows = page.getByTestId('task-row');
    await expect.poll(() => rows.count()).toBe(4);
    await searchFor(page, 'turtle');
    await expect.poll(() => rows.count()).toBe(1);
    await page.getByRole('button', { name: 'Add tab' }).first().click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Tab name').fill('Turtles');
    await dialog.getByRole('button', { name: 'OK' }).click();
    await page.getByRole('tab', { name: 'Turtles' }).waitFor();
    await page.waitForURL((u) => u.searchParams.has('tab'));

    await page.getByRole('tab', { name: 'All tasks' }).click();
    await expect.poll(() => rows.count()).toBe(4);
    expect(await page.getByLabel('Search', { exact: true }).inputValue()).toBe('');

    await page.getByRole('tab', { name: 'Turtles' }).click();
    await expect.poll(() => rows.count()).toBe(1);
    expect(await page.getByLabel('Search', { exact: true }).inputValue()).toBe('turtle');

    await page.goto(`/projects/${project.id}/data`);
    await expect.poll(() => rows.count()).toBe(4);
    await page.getByRole('tab', { name: 'Turtles' }).click();
    await expect.poll(() => rows.count()).toBe(1);
    await page.reload();
    await expect.poll(() => rows.count()).toBe(1);
    expect(await page.getByRole('tab', { name: 'Turtles' }).getAttribute('aria-selected')).toBe('true');

    const saved = await t.as(member, { method: 'GET', url: `/api/v1/projects/${project.id}/tabs` });
    expect(saved.json().items).toEqual([
      expect.objectContaining({ name: 'Turtles', filters: { search: 'turtle' } }),
    ]);
    expect(who.errors).toEqual([]);
    await who.close();
  });

  it('labels the tasks of a search in one action, chosen or all matching', async () => {
    const project = await seeded('Bulk labeling');
    const member = await t.member(['admin'], 'Searcher');
    const who = await signedIn(server, member.email);
    const page = who.page;
    await page.goto(`/projects/${project.id}/data`);
    const rows = page.getByTestId('task-row');
    await expect.poll(() => rows.count()).toBe(4);
    await searchFor(page, 'quick');
    await expect.poll(() => rows.count()).toBe(3);

    // The loaded rows, chosen with the header checkbox: labelled in the request.
    await page.getByLabel('Select all loaded tasks').click();
    await page.getByRole('button', { name: 'Actions (3)' }).click();
    await page.getByRole('menuitem', { name: 'Label…' }).click();
    await pick(page, 'Choice', 'Positive');
    await page.getByRole('dialog').getByRole('button', { name: 'OK' }).click();
    await page.getByText('3 tasks labeled (0 already annotated by you)').waitFor();
    const labelled = async (choice: string) => {
      const res = await t.as(member, {
        method: 'GET',
        url: `/api/v1/projects/${project.id}/tasks?label=${choice}`,
      });
      expect(res.statusCode, res.body).toBe(200);
      return res.json().total as number;
    };
    expect(await labelled('Positive')).toBe(3);

    // Every task matching the search, as a job: the caller's own labelled ones are skipped.
    await searchFor(page, 'e');
    await expect.poll(() => rows.count()).toBe(4);
    await rows.first().getByRole('checkbox').check();
    await page.getByRole('button', { name: 'Select all 4 matching tasks' }).click();
    await page.getByRole('button', { name: 'Actions (4)' }).click();
    await page.getByRole('menuitem', { name: 'Label…' }).click();
    await pick(page, 'Choice', 'Negative');
    await page.getByRole('dialog').getByRole('button', { name: 'OK' }).click();
    await page.getByText('The bulk action finished').waitFor({ timeout: 60_000 });
    await expect.poll(() => labelled('Negative')).toBe(1);
    await expect.poll(() => page.getByTestId('task-row').filter({ hasText: 'Completed' }).count()).toBe(4);
    expect(who.errors).toEqual([]);
    await who.close();
  });
});
