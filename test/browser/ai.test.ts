import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newTenant, type TenantFixture } from '../fixtures.ts';
import { type ModelServer, startModelServer } from '../model-server.ts';
import { type ConsoleServer, choose, signedIn, startConsole } from './console-session.ts';

let server: ConsoleServer;
let model: ModelServer;
let t: TenantFixture;

beforeAll(async () => {
  server = await startConsole();
  model = await startModelServer();
  t = await newTenant(server);
});
afterAll(async () => {
  await model?.close();
  await server?.close();
});

describe('Administration → AI', () => {
  it('adds a provider, tests it, runs a streamed playground call and shows its usage row', async () => {
    const { page, errors, close } = await signedIn(server, t.owner.email);
    await page.goto('/admin/ai/providers');
    await page.getByRole('button', { name: 'Add provider' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Name').fill('local model');
    await dialog.getByLabel('Base URL').fill(`${model.url}/v1`);
    await dialog.getByLabel('Default model').fill(model.model);
    await dialog.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.getByRole('cell', { name: 'local model' }).count()).toBe(1);

    await page.getByRole('button', { name: 'Test' }).click();
    const result = page.getByTestId('test-result');
    await result.waitFor();
    expect(await result.textContent()).toMatch(/Connected in \d+ ms; 1 model\(s\) listed/);
    expect(await result.textContent()).toContain(model.model);
    // The test recorded the health the table shows.
    await expect
      .poll(() => page.getByRole('row').filter({ hasText: 'local model' }).textContent())
      .toContain('Up');

    await page.getByRole('tab', { name: 'Playground' }).click();
    await page.waitForURL('**/admin/ai/playground');
    await choose(page, 'playground-configuration', 'local model');
    await page.getByLabel('Max tokens').fill('12');
    await page.getByLabel('Prompt', { exact: true }).fill('Say something.');
    await page.getByRole('button', { name: 'Run' }).click();
    const usage = page.getByTestId('playground-usage');
    await usage.waitFor();
    expect((await page.getByTestId('playground-output').textContent())?.length).toBeGreaterThan(0);
    expect(await usage.textContent()).toContain(model.model);

    // The model server saw a streamed request; the call is the newest usage row.
    const sent = (await model.requests()).filter((r) => r.path === '/v1/chat/completions');
    expect(sent.map((r) => r.body.stream)).toEqual([true]);
    await page.getByRole('tab', { name: 'Usage' }).click();
    await page.waitForURL('**/admin/ai/usage');
    const row = page.getByTestId('usage-rows').getByRole('row').filter({ hasText: 'Playground' });
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.textContent()).toContain('OK');
    expect(await row.textContent()).toContain(model.model);
    await page.getByTestId('chart').waitFor();

    const api = await t.as(t.owner, { method: 'GET', url: '/api/v1/llm/usage' });
    expect(api.json().items).toHaveLength(1);
    expect(api.json().items[0]).toMatchObject({ feature: 'playground', kind: 'stream', success: true });
    expect(errors).toEqual([]);
    await close();
  });
});
