import fs from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newProject, type ProjectJson } from '../annotation-fixtures.ts';
import { type Member, newTenant, type TenantFixture } from '../fixtures.ts';
import { annotators, seedTasks, sentiment } from '../labeling-fixtures.ts';
import { type ConsoleServer, signedIn, startConsole } from './console-session.ts';
import { overlappingTexts } from './layout.ts';

let server: ConsoleServer;
let t: TenantFixture;
let project: ProjectJson;
let raters: Member[] = [];

beforeAll(async () => {
  server = await startConsole();
  t = await newTenant(server);
});
afterAll(() => server?.close());

/**
 * Three raters on four tasks: Rater0 and Rater1 always choose Positive; Rater2 chooses
 * Negative on the first two tasks and Positive on the others. Pair agreement: Rater0×Rater1
 * 1, each with Rater2 0.5.
 */
async function seedOverlap(project: ProjectJson): Promise<Member[]> {
  const raters = await annotators(t, project.id, 3, 'Rater');
  const tasks = await seedTasks(server, t, project, 4);
  for (const [i, task] of tasks.entries()) {
    for (const [r, rater] of raters.entries()) {
      const choice = r === 2 && i < 2 ? 'Negative' : 'Positive';
      const res = await t.as(rater, {
        method: 'POST',
        url: `/api/v1/tasks/${task}/annotations`,
        payload: { result: sentiment(choice), lead_time: 20 },
      });
      expect(res.statusCode, res.body).toBe(201);
    }
  }
  return raters;
}

/** Console errors and uncaught exceptions of a page, less the API answers the test expects. */
function unexpectedErrors(page: Page, expected: [number, RegExp][]): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const path = m.location().url ? new URL(m.location().url).pathname : '';
    if (expected.some(([status, url]) => m.text().includes(`status of ${status}`) && url.test(path))) return;
    errors.push(`${m.text()} ${m.location().url}`);
  });
  page.on('pageerror', (e) => errors.push(e.message));
  return errors;
}

describe('quality console', () => {
  it('shows agreement and ranking, runs a rule, moves an issue, acknowledges an alert, exports a report', async (ctx) => {
    project = await newProject(t, { title: 'Sentiment QA', overlap: 3 });
    const owner = await signedIn(server, t.owner.email);
    const page = owner.page;
    // The API answers 404 for an agreement never computed and alert settings never saved, and
    // 400 for the bad cron below; the browser logs those as failed loads.
    const errors = unexpectedErrors(page, [
      [404, /\/api\/v1\/projects\/\d+\/(agreement|quality\/alert-config)$/],
      [400, /\/api\/v1\/projects\/\d+\/quality\/report-schedules$/],
    ]);
    ctx.onTestFailed(async () => {
      await page.screenshot({ path: 'test-results/quality.png', fullPage: true }).catch(() => {});
    });

    // From the menu to the project's quality pages.
    await page.getByRole('menuitem', { name: 'Quality' }).click();
    await page.waitForURL('**/quality');
    await page.getByRole('link', { name: 'Sentiment QA' }).click();
    await page.waitForURL(`**/projects/${project.id}/quality/overview`);
    await page.getByText('No agreement computed yet', { exact: false }).waitFor();

    // The manager sets alerts up before the work comes in: consistency below 0.9.
    await page.getByRole('tab', { name: 'Alerts' }).click();
    await page.getByLabel('Consistency').fill('0.9');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Alert settings saved').waitFor();

    raters = await seedOverlap(project);

    // Overview: compute agreement, see the matrix and the pairs; rescore, see the ranking.
    await page.getByRole('tab', { name: 'Overview' }).click();
    await page.getByRole('button', { name: 'Compute agreement' }).click();
    const matrix = page.getByTestId('agreement-matrix');
    await matrix.getByTestId('chart').locator('svg').first().waitFor();
    expect(await matrix.getByTestId('chart').getAttribute('aria-label')).toBe(
      'Heat map of the mean agreement of each pair of 3 annotators',
    );
    const pairRows = page.getByTestId('agreement-pairs').getByRole('row');
    const pairs = pairRows.filter({ hasText: 'Rater2' }).filter({ hasText: '0.500' });
    // The pairs table renders after the matrix's chart: wait for its rows.
    await expect.poll(() => pairs.count()).toBe(2);
    const agreeing = pairRows.filter({ hasText: 'Rater0' }).filter({ hasText: 'Rater1' });
    expect(await agreeing.textContent()).toContain('1.000');
    expect(await page.getByTestId('agreement-controls').getByRole('row').nth(1).textContent()).toContain(
      'sentiment',
    );
    await page.getByRole('button', { name: 'Rescore the project' }).click();
    await page.getByTestId('rescore-job').getByText('Completed').waitFor({ timeout: 30_000 });
    const ranked = page.getByTestId('ranking').locator('tbody tr.si-table-row');
    await expect.poll(() => ranked.count(), { timeout: 15_000 }).toBe(3);
    expect(await ranked.last().textContent()).toContain('Rater2');
    // Scoring settings: the weights must add up to 1, which the dialog shows as they change.
    await page.getByRole('button', { name: 'Scoring settings' }).click();
    const scoring = page.getByRole('dialog');
    await scoring.getByLabel('Consistency').fill('0.5');
    await scoring.getByText('Sum of the weights: 1.4').waitFor();
    await scoring.getByLabel('Accuracy').fill('0');
    await scoring.getByText('Sum of the weights: 1', { exact: true }).waitFor();
    await scoring.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Scoring settings saved', { exact: false }).waitFor();
    await page.getByTestId('quality-trend').getByTestId('chart').locator('svg').first().waitFor();
    // At 1024 px the trend's legend and its two axis names do not meet (issue 27, bug 11).
    await page.setViewportSize({ width: 1024, height: 768 });
    await expect
      .poll(() => overlappingTexts(page.getByTestId('quality-trend').getByTestId('chart')))
      .toEqual([]);
    await page.setViewportSize({ width: 1280, height: 720 });

    // Rules: an agreement rule, then a batch check fails Rater2's two disagreeing annotations.
    await page.getByRole('tab', { name: 'Rules & templates' }).click();
    await page.getByRole('button', { name: 'New rule' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Name').fill('Agree with peers');
    await dialog.getByTestId('rule-type').click();
    await page.keyboard.type('Agreement with');
    await page.keyboard.press('Enter');
    await dialog.getByLabel('Threshold').fill('0.5');
    await dialog.getByRole('button', { name: 'Create' }).click();
    const rule = page.getByTestId('rules').getByRole('row').filter({ hasText: 'Agree with peers' });
    await rule.waitFor();
    expect(await rule.textContent()).toContain('threshold=0.5');
    await page.getByRole('button', { name: 'Run checks' }).click();
    const result = page.getByTestId('checks-result');
    await result.waitFor({ timeout: 30_000 });
    expect(await result.textContent()).toBe('12 checks, 2 failed, 2 new issues');

    // Editing makes a new version beside the old one; a template adds its rules in one call.
    await rule.getByRole('button', { name: 'Edit' }).click();
    const edit = page.getByRole('dialog');
    await edit.getByLabel('Threshold').fill('0.4');
    await edit.getByRole('button', { name: 'Save' }).click();
    await rule.getByText('v2', { exact: true }).waitFor();
    await rule.getByRole('button', { name: 'Versions' }).click();
    const versions = page.getByRole('dialog').filter({ hasText: 'Versions of Agree with peers' });
    await versions.getByText('threshold=0.4').waitFor();
    await versions.getByText('threshold=0.5').waitFor();
    await versions.getByRole('button', { name: 'Close' }).click();
    await page.getByRole('button', { name: 'Apply template basic' }).click();
    await page.getByText('basic: 3 rules added').waitFor();
    await expect.poll(() => page.getByTestId('rules').locator('tbody tr.si-table-row').count()).toBe(4);

    // Issues: both open; one is started and lands in the "In progress" column.
    await page.getByRole('tab', { name: 'Issues' }).click();
    const open = page.getByTestId('issues-open');
    await expect.poll(() => open.getByText('Agreement 0.000', { exact: false }).count()).toBe(2);
    await open.getByRole('button', { name: 'Start' }).first().click();
    const started = page.getByTestId('issues-in_progress');
    await started.getByText('Rule: Agree with peers').waitFor();
    await expect.poll(() => open.getByText('Rule: Agree with peers').count()).toBe(1);
    const severity = page.getByLabel('Filter by severity');
    await severity.click();
    await page.keyboard.type('High');
    await page.keyboard.press('Enter');
    await page.getByText('0 of 2 issues').waitFor();
    await page.keyboard.type('Medium');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Escape');
    await page.getByText('2 of 2 issues').waitFor();

    // Alerts: evaluate the new scores, acknowledge one.
    await page.getByRole('tab', { name: 'Alerts' }).click();
    const alerts = page
      .getByTestId('alerts')
      .locator('tbody tr.si-table-row')
      .filter({ hasText: 'Consistency' });
    await expect
      .poll(
        async () => {
          await page.getByRole('button', { name: 'Evaluate now' }).click();
          return alerts.count();
        },
        { timeout: 30_000 },
      )
      .toBeGreaterThan(0);
    const before = await alerts.count();
    await alerts.first().getByRole('button', { name: 'Acknowledge' }).click();
    await expect.poll(() => alerts.count()).toBe(before - 1);
    await page.getByText('Acknowledged', { exact: true }).first().click();
    const acknowledged = page.getByTestId('alerts').locator('tbody tr.si-table-row');
    await acknowledged.first().getByText('by Owner').waitFor();
    expect(await acknowledged.count()).toBe(1);

    // Reports: the ranking as CSV, generated as a run, downloaded.
    await page.getByRole('tab', { name: 'Reports' }).click();
    await page.getByTestId('report-type').click();
    await page.keyboard.type('Annotator ranking');
    await page.keyboard.press('Enter');
    await page.getByTestId('report-format').click();
    await page.keyboard.type('CSV');
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Generate', exact: true }).click();
    const run = page.getByTestId('report-run');
    const link = run.getByRole('link', { name: 'Download CSV' });
    await link.waitFor({ timeout: 30_000 });
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    expect(download.suggestedFilename()).toMatch(new RegExp(`^project-${project.id}-ranking-.+\\.csv$`));
    const lines = fs
      .readFileSync(await download.path(), 'utf8')
      .trim()
      .split('\n');
    expect(lines[0]).toContain('rank,user_id,email,name,annotations');
    for (const [i, rater] of raters.entries()) {
      const line = lines.find((l) => l.includes(rater.userId));
      expect(line, rater.email).toContain(`,${rater.email},Rater${i},4,`);
    }
    expect(lines.at(-1)).toContain(raters[2]!.userId);

    // Schedules: a bad cron is refused with the API's reason; a good one is listed, paused, deleted.
    await page.getByRole('button', { name: 'New schedule' }).click();
    const schedule = page.getByRole('dialog');
    await schedule.getByLabel('Cron (UTC)').fill('61 * * * *');
    await schedule.getByRole('button', { name: 'Create' }).click();
    await schedule.getByRole('alert').getByText('Invalid cron expression', { exact: false }).waitFor();
    await schedule.getByLabel('Cron (UTC)').fill('0 6 * * *');
    await schedule.getByRole('button', { name: 'Create' }).click();
    const scheduled = page.getByTestId('report-schedules').locator('tbody tr.si-table-row');
    await scheduled.filter({ hasText: '0 6 * * *' }).waitFor();
    const toggle = scheduled.getByRole('switch', { name: 'Enable schedule 0 6 * * *' });
    expect(await toggle.getAttribute('aria-checked')).toBe('true');
    await toggle.click();
    await expect.poll(() => toggle.getAttribute('aria-checked')).toBe('false');
    await scheduled.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('tooltip').getByRole('button', { name: 'OK' }).click();
    await expect.poll(() => scheduled.count()).toBe(0);
    expect(errors).toEqual([]);
    await owner.close();
  });

  it('turns an issue into an improvement task that the annotator fixes and the reviewer approves', async (ctx) => {
    const owner = await signedIn(server, t.owner.email);
    ctx.onTestFailed(async () => {
      await owner.page
        .screenshot({ path: 'test-results/quality-improve.png', fullPage: true })
        .catch(() => {});
    });
    await owner.page.goto(`/projects/${project.id}/quality/issues`);
    const card = owner.page.getByTestId('issues-open').locator('[data-testid^="issue-"]');
    await card.waitFor();
    const annotationId = Number(/annotation #(\d+)/i.exec((await card.textContent()) ?? '')?.[1]);
    await card.getByLabel('Assignee').click();
    await owner.page.keyboard.type('Rater2');
    await owner.page.keyboard.press('Enter');
    await card.getByTitle('Rater2').waitFor();
    // The task takes the issue's assignee: make the task once the assignment has landed.
    const issueId = Number((await card.getAttribute('data-testid'))?.replace('issue-', ''));
    await expect
      .poll(async () => {
        const res = await t.as(t.owner, {
          method: 'GET',
          url: `/api/v1/projects/${project.id}/quality/issues?limit=1000`,
        });
        return (res.json().items as { id: number; assignee_id: string | null }[]).find(
          (i) => i.id === issueId,
        )?.assignee_id;
      })
      .toBe(raters[2]!.userId);
    await card.getByRole('button', { name: 'Improvement task' }).click();
    await owner.page.getByText('Improvement task created').waitFor();

    // The annotator finds it under Quality, starts it and submits the corrected result.
    const rater = await signedIn(server, raters[2]!.email, t.slug);
    await rater.page.getByRole('menuitem', { name: 'Quality' }).click();
    await rater.page.waitForURL('**/quality');
    const mine = rater.page.getByTestId('my-improvements');
    await mine.getByTestId('improvements-pending').getByText(`Annotation #${annotationId}`).waitFor();
    await mine.getByRole('button', { name: 'Start' }).click();
    await mine.getByTestId('improvements-in_progress').getByRole('button', { name: 'Submit' }).click();
    const submit = rater.page.getByRole('dialog');
    expect(await submit.getByLabel('Improved result').inputValue()).toContain('Negative');
    await submit.getByLabel('Improved result').fill(JSON.stringify(sentiment('Positive')));
    await submit.getByLabel('Comment').fill('Positive, like the others');
    await submit.getByRole('button', { name: 'Submit' }).click();
    await mine.getByTestId('improvements-submitted').getByText(`Annotation #${annotationId}`).waitFor();
    expect(rater.errors).toEqual([]);
    await rater.close();

    // The reviewer approves it; the history shows every step and the annotation is corrected.
    await owner.page.getByRole('tab', { name: 'Improvement tasks' }).click();
    const submitted = owner.page.getByTestId('improvements-submitted');
    await submitted.getByRole('button', { name: 'Approve' }).click();
    await owner.page.getByRole('dialog').getByLabel('Comment').fill('Agreed');
    await owner.page.getByRole('dialog').getByRole('button', { name: 'Approve' }).click();
    const approved = owner.page.getByTestId('improvements-approved');
    await approved.getByText(`Annotation #${annotationId}`).waitFor();
    await approved.getByRole('button', { name: 'History' }).click();
    const history = owner.page.getByTestId('improvement-history');
    await history.getByText('Submitted → Approved').waitFor();
    for (const step of ['Created', 'Pending → In progress', 'In progress → Submitted', 'Agreed']) {
      await history.getByText(step, { exact: true }).waitFor();
    }
    const res = await t.as(t.owner, { method: 'GET', url: `/api/v1/annotations/${annotationId}` });
    expect(res.json().result[0].value.choices).toEqual(['Positive']);

    // From now on failed checks open improvement tasks by themselves.
    await owner.page.getByRole('button', { name: 'Close' }).click();
    await owner.page.getByLabel('Failed checks open improvement tasks').click();
    await owner.page.getByRole('button', { name: 'Save' }).click();
    await owner.page.getByText('Workflow saved').waitFor();
    const workflow = await t.as(t.owner, {
      method: 'GET',
      url: `/api/v1/projects/${project.id}/quality/workflow`,
    });
    expect(workflow.json()).toMatchObject({ auto_create_improvement: true, min_severity: 'medium' });
    expect(owner.errors).toEqual([]);
    await owner.close();
  });
});
