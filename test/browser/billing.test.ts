import fs from 'node:fs';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newProject } from '../annotation-fixtures.ts';
import { type Member, newTenant, type TenantFixture } from '../fixtures.ts';
import { annotators, seedTasks, sentiment, systemSql } from '../labeling-fixtures.ts';
import { type ConsoleServer, signedIn, startConsole } from './console-session.ts';
import { overlappingTexts } from './layout.ts';

let server: ConsoleServer;
let t: TenantFixture;
let people: Member[] = [];

beforeAll(async () => {
  server = await startConsole();
  t = await newTenant(server);
});
afterAll(() => server?.close());

/** Two annotators with two annotations each, recorded as March 2025 work. */
async function seedWork() {
  const project = await newProject(t, { title: 'Billed sentiment' });
  people = await annotators(t, project.id, 2, 'Biller');
  const tasks = await seedTasks(server, t, project, 4);
  for (const [i, m] of people.entries()) {
    for (const task of tasks.slice(i * 2, i * 2 + 2)) {
      const res = await t.as(m, {
        method: 'POST',
        url: `/api/v1/tasks/${task}/annotations`,
        payload: { result: sentiment(), lead_time: 30 },
      });
      expect(res.statusCode).toBe(201);
    }
  }
  await systemSql(
    server,
    sql`update billing_work_records set occurred_at = '2025-03-10T00:00:00Z' where project_id = ${project.id}`,
  );
}

describe('billing console', () => {
  it('proposes and approves a rule version, generates, issues and exports a bill', async (ctx) => {
    await seedWork();
    const admin2 = await t.member(['admin'], 'Second Admin');

    // The owner creates the tenant's rule and proposes 0.50 per annotation from January 2025.
    const owner = await signedIn(server, t.owner.email);
    const page = owner.page;
    ctx.onTestFailed(async () => {
      await page.screenshot({ path: 'test-results/billing.png', fullPage: true }).catch(() => {});
    });
    await page.getByRole('menuitem', { name: 'Billing' }).click();
    await page.waitForURL('**/billing/bills');
    await page.getByRole('tab', { name: 'Rules' }).click();
    await page.getByRole('button', { name: 'New rule' }).click();
    await page.getByRole('dialog').getByLabel('Name').fill('Tenant rates');
    await page.getByRole('dialog').getByRole('button', { name: 'Create' }).click();
    await page.getByRole('button', { name: 'Propose version' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Rate per annotation').fill('0.50');
    const effective = dialog.getByLabel('Effective from');
    await effective.click();
    await effective.fill('2025-01-01 00:00:00');
    await effective.press('Enter');
    await dialog.getByRole('button', { name: 'Propose' }).click();
    const draft = page.getByRole('row').filter({ hasText: 'v1' });
    await draft.getByText('Draft').waitFor();
    await draft.getByText('CN¥0.50 per annotation').waitFor();
    // Its author may not approve it.
    expect(await draft.getByRole('button', { name: 'Approve' }).isDisabled()).toBe(true);

    // A second admin approves it.
    const second = await signedIn(server, admin2.email, t.slug);
    await second.page.goto('/billing/rules');
    const row = second.page.getByRole('row').filter({ hasText: 'v1' });
    await row.getByRole('button', { name: 'Approve' }).click();
    await row.getByText('Approved', { exact: true }).waitFor();
    expect(second.errors).toEqual([]);
    await second.close();

    // The owner generates March 2025. Each annotator: 2 annotations × 0.50 × 1.2 (the quality
    // module scores a lone annotation 1, the top tier, ≥0.90 ×1.2) = 1.20; the total 2.40.
    await page.getByRole('tab', { name: 'Bills' }).click();
    const month = page.getByLabel('Month');
    await month.click();
    await month.fill('2025-03');
    await month.press('Enter');
    await page.getByRole('button', { name: 'Generate bill' }).click();
    await page.waitForURL(/\/billing\/bills\/\d+$/, { timeout: 30_000 });
    const lines = page.getByTestId('bill-lines').getByRole('row').filter({ hasText: 'Biller' });
    await expect.poll(() => lines.count(), { timeout: 15_000 }).toBe(2);
    for (const name of ['Biller0', 'Biller1']) {
      const line = lines.filter({ hasText: name });
      expect(await line.textContent()).toContain('CN¥1.20');
    }
    expect(await page.getByTestId('bill-total').textContent()).toBe('CN¥2.40');

    await page.getByRole('button', { name: 'Issue' }).click();
    await page.getByRole('tooltip').getByRole('button', { name: 'OK' }).click();
    await page.getByRole('button', { name: 'Mark paid' }).waitFor();
    expect(await page.getByTestId('bill-status').textContent()).toBe('Issued');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'CSV' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^bill-2025-03-\d+\.csv$/);
    const csv = fs.readFileSync(await download.path(), 'utf8');
    expect(csv.split('\n').filter((l) => l.includes('1.20')).length).toBeGreaterThanOrEqual(2);
    expect(owner.errors).toEqual([]);
    await owner.close();
  });

  it('shows an annotator only their own statement, and the owner the month in the trends', async () => {
    const annotator = await signedIn(server, people[0]!.email, t.slug);
    await annotator.page.getByRole('menuitem', { name: 'Billing' }).click();
    await annotator.page.waitForURL('**/billing/statements');
    expect(await annotator.page.getByRole('tab', { name: 'Bills' }).count()).toBe(0);
    const rows = annotator.page.getByRole('row').filter({ hasText: '2025-03' });
    await rows.first().waitFor();
    expect(await rows.count()).toBe(1);
    expect(await rows.textContent()).toContain('CN¥1.20');
    await rows.getByRole('link', { name: '2025-03' }).click();
    const lines = annotator.page.getByTestId('bill-lines').getByRole('row');
    await lines.filter({ hasText: 'Biller0' }).waitFor();
    expect(await lines.filter({ hasText: 'Biller1' }).count()).toBe(0);
    expect(annotator.errors).toEqual([]);
    await annotator.close();

    const owner = await signedIn(server, t.owner.email);
    await owner.page.goto('/billing/trends');
    const start = owner.page.getByPlaceholder('Start month');
    await start.click();
    await start.fill('2025-01');
    await start.press('Enter');
    const end = owner.page.getByPlaceholder('End month');
    await end.fill('2025-06');
    await end.press('Enter');
    const march = owner.page.getByRole('row').filter({ hasText: '2025-03' });
    await march.waitFor();
    expect(await march.textContent()).toContain('CN¥2.40');
    await expect.poll(() => owner.page.locator('[data-testid="chart"] svg').count()).toBe(2);
    // At 1024 px no legend runs into an axis name or label (issue 27, bug 11).
    await owner.page.setViewportSize({ width: 1024, height: 768 });
    for (const chart of await owner.page.getByTestId('chart').all())
      await expect.poll(() => overlappingTexts(chart)).toEqual([]);
    expect(owner.errors).toEqual([]);
    await owner.close();
  });
});
