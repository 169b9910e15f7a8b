import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newProject } from '../annotation-fixtures.ts';
import { newTenant, type TenantFixture } from '../fixtures.ts';
import { mlBackend } from '../ml-backend.ts';
import { type ConsoleServer, signedIn, startConsole } from './console-session.ts';

let server: ConsoleServer;
let backend: Awaited<ReturnType<typeof mlBackend>>;
let t: TenantFixture;

beforeAll(async () => {
  server = await startConsole();
  backend = await mlBackend({ basic: { user: 'ml', password: 'pw-browser' } });
  t = await newTenant(server);
});
afterAll(async () => {
  await backend?.close();
  await server?.close();
});

describe('Project settings → ML backends', () => {
  it('adds a backend, shows its health once checked, its calls, and the reason a broken one is down', async () => {
    const project = await newProject(t, { title: 'ML project' });
    const { page, errors, close } = await signedIn(server, t.owner.email);
    await page.goto(`/projects/${project.id}/settings`);
    await page.getByText('No ML backend yet').waitFor();

    await page.getByRole('button', { name: 'Add ML backend' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Name').fill('Naive Bayes');
    await dialog.getByLabel('URL').fill(backend.url);
    await dialog.getByLabel('Authentication').click();
    await page
      .locator('.si-select-dropdown:visible .si-select-item-option[title="Basic (user and password)"]')
      .click();
    await dialog.getByLabel('User').fill('ml');
    await dialog.getByLabel('Password').fill('pw-browser');
    await dialog.getByRole('button', { name: 'Save' }).click();
    const row = page.getByRole('row').filter({ hasText: 'Naive Bayes' });
    await expect.poll(() => row.textContent(), { timeout: 30_000 }).toContain('Connected');
    expect(await row.textContent()).toContain('nb-0');

    // A backend on a port nothing listens on is shown down, with why.
    await page.getByRole('button', { name: 'Add ML backend' }).click();
    await dialog.getByLabel('Name').fill('Gone');
    await dialog.getByLabel('URL').fill('http://127.0.0.1:9');
    await dialog.getByRole('button', { name: 'Save' }).click();
    const gone = page.getByRole('row').filter({ hasText: 'Gone' });
    await expect.poll(() => gone.textContent(), { timeout: 30_000 }).toContain('Error');
    expect(await gone.textContent()).toContain('GET /health: the backend could not be reached');

    // Its calls, newest first, under the row.
    await row.getByRole('button', { name: /expand/i }).click();
    const calls = page.locator('[data-testid^="ml-calls-"]');
    await expect.poll(() => calls.textContent()).toContain('setup');
    expect(await calls.textContent()).toContain('health');

    await row.getByRole('button', { name: 'Train' }).click();
    await page.getByText('Training requested').waitFor();
    await expect
      .poll(() => backend.received.some((r) => r.body?.action === 'START_TRAINING'), { timeout: 30_000 })
      .toBe(true);
    expect(errors).toEqual([]);
    await close();
  });
});
