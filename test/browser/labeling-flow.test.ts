import { sql } from 'drizzle-orm';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newProject } from '../annotation-fixtures.ts';
import { newTenant, type TenantFixture } from '../fixtures.ts';
import { annotate, annotators, seedTasks, systemSql } from '../labeling-fixtures.ts';
import { type ConsoleServer, signedIn, startConsole } from './console-session.ts';
import { overlappingTexts } from './layout.ts';

// The labeling flow of issue 27: progress, labeling a selection, skip to next, narrow windows.
let server: ConsoleServer;
let t: TenantFixture;

beforeAll(async () => {
  server = await startConsole();
  t = await newTenant(server);
});
afterAll(() => server?.close());

const editor = (page: Page) => page.locator('[data-testid=label-studio][data-ready=true]');
const ready = (page: Page) => editor(page).waitFor({ timeout: 60_000 });
const shownTask = async (page: Page) =>
  Number(/\d+/.exec((await page.getByTestId('task-id').textContent()) ?? '')?.[0]);

async function submit(page: Page, choice = 'Positive') {
  await ready(page);
  const before = await page.getByTestId('task-id').textContent();
  await editor(page).getByText(choice).first().click();
  await editor(page).getByRole('button', { name: 'Submit' }).click();
  await expect
    .poll(() =>
      page
        .getByTestId('task-id')
        .count()
        .then(async (n) => (n ? page.getByTestId('task-id').textContent() : null)),
    )
    .not.toBe(before);
}

describe('labeling flow', () => {
  it('says how many tasks are left, in English and Chinese, as the annotator submits and moves on', async () => {
    const project = await newProject(t, { title: 'Progress' });
    const [annotator] = await annotators(t, project.id, 1, 'Counter');
    const ids = await seedTasks(server, t, project, 3);
    const who = await signedIn(server, annotator!.email);
    const page = who.page;
    await page.goto(`/projects/${project.id}/label`);
    const progress = page.getByTestId('progress');
    await expect.poll(() => progress.textContent()).toBe('3 of 3 left');
    await submit(page);
    await expect.poll(() => progress.textContent()).toBe('2 of 3 left');
    // Next skips the task under the project's policy, says so, and the figure follows.
    await ready(page);
    expect(await shownTask(page)).toBe(ids[1]);
    await page.getByRole('button', { name: 'Next task' }).click();
    await page.getByText(`Task #${ids[1]} skipped: it goes to other annotators.`).waitFor();
    await expect.poll(() => progress.textContent()).toBe('1 of 3 left');
    await expect.poll(() => shownTask(page)).toBe(ids[2]);

    await page.evaluate("localStorage.setItem('si.language','zh-CN')");
    await page.reload();
    await expect.poll(() => page.getByTestId('progress').textContent()).toBe('剩余 1 / 3');
    // Alt+→ moves on too; then nothing is left.
    await ready(page);
    await page.keyboard.press('Alt+ArrowRight');
    await page.getByText(`已跳过任务 #${ids[2]}：它将交给其他标注员。`).waitFor();
    await expect.poll(() => page.getByTestId('progress').textContent()).toBe('剩余 0 / 3');
    await page.getByText('没有待标注的任务').waitFor();
    expect(who.errors).toEqual([]);
    await who.close();

    // The data manager shows the tasks only ever skipped as "Skipped".
    const owner = await signedIn(server, t.owner.email);
    await owner.page.goto(`/projects/${project.id}/data`);
    const row = (id: number) =>
      owner.page
        .getByTestId('task-row')
        .filter({ has: owner.page.getByRole('button', { name: `Open task ${id}`, exact: true }) });
    await row(ids[1]!).getByText('Skipped').waitFor();
    await row(ids[2]!).getByText('Skipped').waitFor();
    expect(await row(ids[0]!).getByText('Skipped').count()).toBe(0);
    expect(owner.errors).toEqual([]);
    await owner.close();
  });

  it('under requeue_me the editor’s Skip and Next say a skipped task comes back, and it does, after the others', async () => {
    const project = await newProject(t, { title: 'Requeue me', skip_policy: 'requeue_me' });
    const [annotator] = await annotators(t, project.id, 1, 'Requeuer');
    const ids = await seedTasks(server, t, project, 2);
    const who = await signedIn(server, annotator!.email);
    const page = who.page;
    await page.goto(`/projects/${project.id}/label`);
    await ready(page);
    expect(await shownTask(page)).toBe(ids[0]);
    await editor(page).getByRole('button', { name: 'Skip' }).click();
    await page.getByText(`Task #${ids[0]} skipped: it comes back to you after the other tasks.`).waitFor();
    // A skipped task is still to do under this policy.
    await expect.poll(() => page.getByTestId('progress').textContent()).toBe('2 of 2 left');
    await expect.poll(() => shownTask(page)).toBe(ids[1]);
    await ready(page);
    await page.getByRole('button', { name: 'Next task' }).click();
    await page.getByText(`Task #${ids[1]} skipped: it comes back to you after the other tasks.`).waitFor();
    await expect.poll(() => shownTask(page)).toBe(ids[0]);
    await submit(page);
    await expect.poll(() => page.getByTestId('progress').textContent()).toBe('1 of 2 left');
    await expect.poll(() => shownTask(page)).toBe(ids[1]);
    expect(who.errors).toEqual([]);
    await who.close();
  });

  it('labels a selection from the data manager in the grid’s order, passing over a task someone else holds', async () => {
    const project = await newProject(t, { title: 'Selection' });
    const [other] = await annotators(t, project.id, 1, 'Holder');
    const ids = await seedTasks(server, t, project, 5);
    // Someone else is labeling the second task of the selection.
    const held = await t.as(other!, {
      method: 'GET',
      url: `/api/v1/projects/${project.id}/next?tasks=${ids[2]}`,
    });
    expect(held.json().id).toBe(ids[2]);

    const owner = await signedIn(server, t.owner.email);
    const page = owner.page;
    await page.goto(`/projects/${project.id}/data`);
    await page.getByLabel('Sort').click();
    await page.locator('.si-select-dropdown:visible .si-select-item-option[title="ID descending"]').click();
    const box = (id: number) => page.getByRole('checkbox', { name: `Select task ${id}`, exact: true });
    await box(ids[3]!).waitFor();
    await expect.poll(() => page.getByTestId('task-row').first().textContent()).toContain(String(ids[4]));
    // A click, then a shift-click: the range between them (in the grid's order: 4, 3, 2 of 1–5).
    await box(ids[3]!).click();
    await box(ids[1]!).click({ modifiers: ['Shift'] });
    for (const id of [ids[1]!, ids[2]!, ids[3]!]) expect(await box(id).isChecked()).toBe(true);
    for (const id of [ids[0]!, ids[4]!]) expect(await box(id).isChecked()).toBe(false);
    await page.getByRole('button', { name: 'Label 3 selected tasks' }).click();
    await page.waitForURL((u) => u.pathname.endsWith('/label'));
    expect(new URL(page.url()).searchParams.get('tasks')).toBe(`${ids[3]},${ids[2]},${ids[1]}`);

    const progress = page.getByTestId('progress');
    await expect.poll(() => progress.textContent()).toBe('3 of 3 left in the selection');
    await ready(page);
    expect(await shownTask(page)).toBe(ids[3]);
    await submit(page);
    // The held task is passed over, and said.
    await page.getByText(`Task #${ids[2]} passed over: someone else is labeling it.`).waitFor();
    await expect.poll(() => shownTask(page)).toBe(ids[1]);
    await submit(page, 'Negative');
    const done = page.getByTestId('selection-done');
    await done.getByText('Selection done').waitFor();
    await done.getByText(`except task #${ids[2]}, which someone else is labeling`).waitFor();
    const mine = await systemSql<{ task_id: string }>(
      server,
      sql`select task_id from annotations where completed_by = ${t.owner.userId} and project_id = ${project.id} order by id`,
    );
    expect(mine.map((r) => Number(r.task_id))).toEqual([ids[3], ids[1]]);
    expect(owner.errors).toEqual([]);
    await owner.close();
  });

  it('at 1024 px the data manager shows the text column, and who each task is assigned to and held by', async () => {
    const project = await newProject(t, { title: 'Narrow' });
    const [assignee, holder] = await annotators(t, project.id, 2, 'Person');
    const ids = await seedTasks(server, t, project, 3);
    const assigned = await t.as(t.owner, {
      method: 'POST',
      url: `/api/v1/projects/${project.id}/assignments`,
      payload: { task_ids: [ids[0]], user_ids: [assignee!.userId], mode: 'manual' },
    });
    expect(assigned.statusCode, assigned.body).toBe(201);
    await t.as(holder!, { method: 'GET', url: `/api/v1/projects/${project.id}/next?tasks=${ids[1]}` });

    const owner = await signedIn(server, t.owner.email);
    const page = owner.page;
    await page.setViewportSize({ width: 1024, height: 768 });
    await page.goto(`/projects/${project.id}/data`);
    const header = page.getByRole('columnheader', { name: 'text', exact: true });
    await header.waitFor();
    const box = await header.boundingBox();
    expect(box).not.toBeNull();
    expect(box!.x).toBeGreaterThanOrEqual(0);
    expect(box!.x + box!.width).toBeLessThanOrEqual(1024);
    const row = (id: number) =>
      page
        .getByTestId('task-row')
        .filter({ has: page.getByRole('button', { name: `Open task ${id}`, exact: true }) });
    await expect.poll(() => row(ids[0]!).getByTestId('assignee').textContent()).toBe('Person0');
    await expect
      .poll(() => row(ids[1]!).getByTestId('assignee').textContent())
      .toBe('Person1 (labeling now)');
    expect(await row(ids[2]!).getByTestId('assignee').textContent()).toBe('');
    // The columns past the window are reached by scrolling the grid sideways.
    const created = page.getByRole('columnheader', { name: 'Created', exact: true });
    await created.scrollIntoViewIfNeeded();
    const after = await created.boundingBox();
    expect(after!.x + after!.width).toBeLessThanOrEqual(1024);
    expect(owner.errors).toEqual([]);
    await owner.close();
  });

  it('at 1024 px no chart legend runs into an axis name or label on the dashboard, in English and Chinese', async () => {
    const project = await newProject(t, { title: 'Charts' });
    const [annotator] = await annotators(t, project.id, 1, 'Charter');
    const ids = await seedTasks(server, t, project, 3);
    await annotate(t, annotator!, ids[0]!);
    await annotate(t, annotator!, ids[1]!, true);
    const owner = await signedIn(server, t.owner.email);
    const page = owner.page;
    await page.setViewportSize({ width: 1024, height: 768 });
    for (const language of ['en', 'zh-CN']) {
      await page.evaluate(`localStorage.setItem('si.language', '${language}')`);
      await page.goto('/');
      const charts = page.getByTestId('chart');
      await expect
        .poll(() => page.locator('[data-testid="chart"] svg text').count(), { timeout: 15_000 })
        .toBeGreaterThan(10);
      await expect.poll(() => charts.count()).toBe(3);
      for (const chart of await charts.all()) expect(await overlappingTexts(chart)).toEqual([]);
    }
    expect(owner.errors).toEqual([]);
    await owner.close();
  });
});
