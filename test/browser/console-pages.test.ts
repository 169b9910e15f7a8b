import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newProject } from '../annotation-fixtures.ts';
import { newTenant, type TenantFixture } from '../fixtures.ts';
import { seedTasks, sentiment } from '../labeling-fixtures.ts';
import { type ConsoleServer, choose, signedIn, startConsole } from './console-session.ts';

let server: ConsoleServer;
let t: TenantFixture;

beforeAll(async () => {
  server = await startConsole();
  t = await newTenant(server);
});
afterAll(() => server?.close());

describe('profile, system and dashboard pages', () => {
  it('creates an API token shown once, which works until it is revoked', async () => {
    const { page, errors, close } = await signedIn(server, t.owner.email);
    await page.goto('/profile');
    await page.getByTestId('token-name').fill('ci-bot');
    await choose(page, 'token-permissions', 'users:read');
    await page.getByRole('button', { name: 'Create token' }).click();
    const shown = page.getByTestId('new-token');
    await shown.waitFor();
    const token = (await shown.textContent())?.trim() ?? '';
    expect(token.length).toBeGreaterThan(20);
    const asToken = () =>
      server.app.inject({
        method: 'GET',
        url: '/api/v1/users',
        headers: { authorization: `Bearer ${token}` },
      });
    expect((await asToken()).statusCode).toBe(200);
    await page.getByRole('dialog').getByRole('button', { name: 'OK' }).click();

    const row = page.getByRole('row').filter({ hasText: 'ci-bot' });
    await row.getByRole('button', { name: 'Revoke' }).click();
    await page.getByRole('tooltip').getByRole('button', { name: 'OK' }).click();
    await row.getByText('Revoked').waitFor();
    expect((await asToken()).statusCode).toBe(401);
    expect(errors).toEqual([]);
    await close();
  });

  it('shows the services with their status', async () => {
    const { page, errors, close } = await signedIn(server, t.owner.email);
    // A deep link: the server's own routes are under /system/, the page is /system.
    await page.goto('/system');
    const services = page.getByTestId('services');
    const database = services.getByRole('row').filter({ hasText: 'database' });
    await database.getByText('Up').waitFor();
    await page.getByText('Background jobs').waitFor();
    expect(errors).toEqual([]);
    await close();
  });

  it('draws the dashboard charts from the tenant’s work', async () => {
    const project = await newProject(t, { title: 'Dashboard sentiment' });
    const taskIds = await seedTasks(server, t, project, 3);
    for (const id of taskIds.slice(0, 2)) {
      const res = await t.as(t.owner, {
        method: 'POST',
        url: `/api/v1/tasks/${id}/annotations`,
        payload: { result: sentiment() },
      });
      expect(res.statusCode).toBe(201);
    }
    const { page, errors, close } = await signedIn(server, t.owner.email);
    await page.goto('/');
    // Per day, throughput and project progress have data; no review decisions yet.
    await expect.poll(() => page.locator('[data-testid="chart"] svg').count(), { timeout: 15_000 }).toBe(3);
    const stat = (title: string) =>
      page.locator('.si-statistic').filter({ hasText: title }).locator('.si-statistic-content').textContent();
    expect(await stat('Tasks created')).toBe('3');
    expect(await stat('Annotations')).toBe('2');
    expect(await stat('Tasks completed')).toBe('2');
    // A shorter period still holds today's work; a custom one opens the calendar (its own chunk).
    await page.getByText('Last 7 days').click();
    await expect.poll(() => page.locator('.si-segmented-item-selected').textContent()).toBe('Last 7 days');
    expect(await stat('Tasks created')).toBe('3');
    await page.getByText('Custom…').click();
    await page.locator('.si-picker-range').waitFor();
    expect(errors).toEqual([]);
    await close();
  });
});
