import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyFile, signDocument } from '../../src/modules/license/keys.ts';
import { newTenant, type TenantFixture } from '../fixtures.ts';
import { dropFreshDatabase, freshDatabaseEnv } from '../helpers.ts';
import { type ConsoleServer, signedIn, startConsole } from './console-session.ts';

const vendor = generateKeyFile('browser-test');
let server: ConsoleServer;
let env: Record<string, string>;
let t: TenantFixture;

beforeAll(async () => {
  // A database of its own: installing a license changes the whole installation.
  env = await freshDatabaseEnv({ SUPERINSIGHT_LICENSE_TEST_KEYS: `browser-test=${vendor.public_key}` });
  server = await startConsole(env, { migrate: true });
  t = await newTenant(server);
  await server.platform.database.raw.query('update users set is_platform_owner = true where id = $1', [
    t.owner.userId,
  ]);
}, 120_000);
afterAll(async () => {
  await server?.close();
  await dropFreshDatabase(env);
});

describe('license console', () => {
  it('installs a key, shows the new edition and limits, and explains a locked feature', async () => {
    const key = signDocument('license', vendor, {
      id: crypto.randomUUID(),
      licensee: 'Browser Co',
      edition: 'professional',
      features: [],
      limits: { seats: 25, projects: 40 },
      validity: 'yearly',
      issued_at: new Date(Date.now() - 86_400_000).toISOString(),
      not_before: new Date(Date.now() - 86_400_000).toISOString(),
      expires_at: new Date(Date.now() + 200 * 86_400_000).toISOString(),
      grace_days: 7,
      activation: 'none',
    });
    const { page, errors, close } = await signedIn(server, t.owner.email);
    await page.goto('/admin/license');
    await expect.poll(() => page.getByTestId('license-edition').textContent()).toBe('Trial');
    await page.getByLabel('License key').fill(key);
    await page.getByRole('button', { name: 'Install' }).click();
    await expect.poll(() => page.getByTestId('license-edition').textContent()).toBe('Professional');
    await expect.poll(() => page.getByTestId('limit-seats').textContent()).toBe('25');
    expect(await page.getByTestId('limit-projects').textContent()).toBe('40');
    expect(await page.getByTestId('locked-sso').textContent()).toContain(
      'Locked: needs the Enterprise edition',
    );
    expect(errors).toEqual([]);
    await close();
  });

  it('shows a banner app-wide while the license nears expiry, linking admins to it, dismissable for the session', async () => {
    const day = 86_400_000;
    const key = signDocument('license', vendor, {
      id: crypto.randomUUID(),
      licensee: 'Browser Co',
      edition: 'professional',
      features: [],
      limits: {},
      validity: 'monthly',
      issued_at: new Date(Date.now() - day).toISOString(),
      not_before: new Date(Date.now() - day).toISOString(),
      expires_at: new Date(Date.now() + 6 * day - 60_000).toISOString(),
      grace_days: 7,
      activation: 'none',
    });
    const installed = await t.as(t.owner, { method: 'PUT', url: '/api/v1/license', payload: { key } });
    expect(installed.statusCode).toBe(200);
    const { page, errors, close } = await signedIn(server, t.owner.email);
    await page.goto('/projects');
    const banner = page.getByTestId('license-banner');
    await expect.poll(() => banner.textContent()).toContain('The license expires in 6 days.');
    await banner.getByRole('link', { name: 'Administration → License' }).click();
    await expect.poll(() => page.url()).toMatch(/\/admin\/license$/);
    await banner.getByRole('button', { name: /close/i }).click();
    await expect.poll(() => banner.count()).toBe(0);
    await page.reload();
    await expect.poll(() => page.getByTestId('license-edition').textContent()).toBe('Professional');
    expect(await banner.count()).toBe(0);
    expect(errors).toEqual([]);
    await close();
  });
});
