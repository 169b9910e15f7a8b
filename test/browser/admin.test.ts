import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newTenant, type TenantFixture } from '../fixtures.ts';
import { type ConsoleServer, signedIn, startConsole } from './console-session.ts';

let server: ConsoleServer;
let t: TenantFixture;

beforeAll(async () => {
  server = await startConsole();
  t = await newTenant(server);
});
afterAll(() => server?.close());

describe('administration console', () => {
  it('lets the owner add a member, find it in the audit log and verify the chain', async () => {
    const { page, errors, close } = await signedIn(server, t.owner.email);
    await page.getByRole('menuitem', { name: 'Administration' }).click();
    await page.waitForURL('**/admin/users');

    const email = `new-member@${t.slug}.test`;
    await page.getByRole('button', { name: 'Add member' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('E-mail').fill(email);
    await dialog.getByLabel('Name').fill('New Member');
    await dialog.getByLabel('Password').fill('Another-horse-43');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await expect.poll(() => page.getByRole('cell', { name: email }).count()).toBe(1);

    await page.getByRole('tab', { name: 'Audit log' }).click();
    await page.waitForURL('**/admin/audit');
    const row = page.getByRole('row').filter({ hasText: 'user.added' });
    await expect.poll(() => row.count()).toBe(1);

    await page.getByRole('button', { name: 'Verify chain' }).click();
    const result = page.getByTestId('verify-result');
    await result.waitFor();
    expect(await result.textContent()).toContain('The audit chain is intact');
    expect(await result.textContent()).toMatch(/Rows checked: \d+/);
    expect(await result.textContent()).toContain('No signed checkpoint yet');
    // The verified head was checkpointed: the next verification is held against it.
    await page.getByRole('button', { name: 'Verify chain' }).click();
    await expect
      .poll(() => page.getByTestId('verify-anchor').textContent())
      .toMatch(/Checked against 1 signed checkpoint\(s\); the newest records row \d+/);

    // The page's answer is the server's: a second check through the API agrees.
    const api = await t.as(t.owner, { method: 'POST', url: '/api/v1/audit/verify' });
    expect(api.json()).toMatchObject({ ok: true, first_broken_id: null });
    expect(errors).toEqual([]);
    await close();
  });

  it('shows an annotator no administration menu and a forbidden page at /admin', async () => {
    const annotator = await t.member(['annotator'], 'Annie');
    const { page, errors, close } = await signedIn(server, annotator.email, t.slug);
    const menu = page.getByRole('menu', { name: 'Main menu' });
    await menu.getByRole('menuitem', { name: 'Dashboard' }).waitFor();
    expect(await menu.getByRole('menuitem', { name: 'Administration' }).count()).toBe(0);

    await page.goto('/admin/users');
    await page.getByText('No access').waitFor();
    expect(await page.getByRole('tab', { name: 'Users' }).count()).toBe(0);
    expect(errors).toEqual([]);
    await close();
  });

  it('names roles and permissions readably, in Chinese too, with the roles headers on one line at 1024 px', async () => {
    const { page, errors, close } = await signedIn(server, t.owner.email);
    await page.setViewportSize({ width: 1024, height: 768 });
    await page.goto('/admin/roles');
    const annotator = page.getByRole('row').filter({ hasText: 'Annotator' });
    await annotator.getByText('See projects', { exact: true }).waitFor();
    await page
      .getByRole('row')
      .filter({ hasText: 'Project manager' })
      .getByText('All “projects” permissions')
      .waitFor();
    expect(await page.getByText('projects:read', { exact: true }).count()).toBe(0);

    await page.evaluate("localStorage.setItem('si.language', 'zh-CN')");
    await page.reload();
    const zhAnnotator = page.getByRole('row').filter({ hasText: '标注员' });
    await zhAnnotator.getByText('查看项目', { exact: true }).waitFor();
    await zhAnnotator.getByText('标注所属项目的任务').waitFor();
    await page.getByRole('row').filter({ hasText: '项目经理' }).waitFor();
    // A one-line header is as tall as the name header; one broken per character is several times taller.
    const heights = await page
      .locator('thead th')
      .evaluateAll((ths) => ths.map((th) => Math.round(th.getBoundingClientRect().height)));
    expect(Math.max(...heights)).toBeLessThan(Math.min(...heights) * 1.5);
    expect(errors).toEqual([]);
    await close();
  });
});
