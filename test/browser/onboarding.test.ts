import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newProject } from '../annotation-fixtures.ts';
import { login, newTenant, PASSWORD, type TenantFixture } from '../fixtures.ts';
import { receiver } from '../http-receiver.ts';
import { seedTasks } from '../labeling-fixtures.ts';
import { type ConsoleServer, signedIn, startConsole } from './console-session.ts';

let server: ConsoleServer;
let t: TenantFixture;
const closers: { close(): Promise<unknown> }[] = [];

beforeAll(async () => {
  server = await startConsole();
  t = await newTenant(server);
});
afterAll(async () => {
  for (const c of closers) await c.close();
  await server?.close();
});

describe('onboarding and project actions', () => {
  it('an empty dashboard leads to the sample project, whose first task is labeled in a minute', async (ctx) => {
    const { page, errors, close } = await signedIn(server, t.owner.email);
    ctx.onTestFailed(() => page.screenshot({ path: 'test-results/onboarding-sample.png' }).then(() => {}));
    await page.goto('/');
    await page.getByText('Start with a project').waitFor();
    expect(await page.getByRole('link', { name: 'Create a project' }).count()).toBe(1);
    await page.getByRole('button', { name: 'Try the sample project' }).click();
    await page.waitForURL(/\/projects\/\d+\/label$/, { timeout: 60_000 });
    const projectId = Number(/projects\/(\d+)/.exec(page.url())![1]);
    const editor = page.locator('[data-testid=label-studio][data-ready=true]');
    await editor.waitFor({ timeout: 60_000 });
    const task = await page.getByTestId('task-id').textContent();
    await editor.getByText('Positive').first().click();
    await editor.getByRole('button', { name: 'Submit' }).click();
    await expect.poll(() => page.getByTestId('task-id').textContent(), { timeout: 30_000 }).not.toBe(task);

    const project = await t.as(t.owner, { method: 'GET', url: `/api/v1/projects/${projectId}` });
    expect(project.json()).toMatchObject({ title: 'Sample: product review sentiment', task_count: 20 });
    const done = await t.as(t.owner, { method: 'GET', url: `/api/v1/projects/${projectId}/summary` });
    expect(done.json().annotations).toBe(1);
    // With a project the dashboard shows its statistics, not the start.
    await page.goto('/');
    await page.getByText('Tasks created').first().waitFor();
    expect(await page.getByText('Start with a project').count()).toBe(0);
    expect(errors).toEqual([]);
    await close();
  });

  it('the sample project speaks Chinese in a zh-CN console', async () => {
    const other = await newTenant(server);
    const { page, errors, close } = await signedIn(server, other.owner.email);
    await page.evaluate("localStorage.setItem('si.language','zh-CN')");
    await page.goto('/projects');
    await page.getByRole('button', { name: '试用示例项目' }).click();
    await page.waitForURL(/\/projects\/\d+\/label$/, { timeout: 60_000 });
    await page.getByText('示例：商品评价情感').first().waitFor();
    expect(errors).toEqual([]);
    await close();
  });

  it('duplicates a project with its tasks from the settings, then deletes the copy after typing its name', async (ctx) => {
    const source = await newProject(t, { title: 'To copy', instructions: 'Read twice' });
    await seedTasks(server, t, source, 3);
    const { page, errors, close } = await signedIn(server, t.owner.email);
    ctx.onTestFailed(() => page.screenshot({ path: 'test-results/onboarding-duplicate.png' }).then(() => {}));
    await page.goto(`/projects/${source.id}/settings`);
    await page.getByRole('button', { name: 'Duplicate' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Name').fill('Copied project');
    await dialog.getByText('Copy the tasks too').click();
    await dialog.getByRole('button', { name: 'Duplicate' }).click();
    await page.waitForURL(/\/projects\/\d+\/data/);
    const copyId = Number(/projects\/(\d+)/.exec(page.url())![1]);
    expect(copyId).not.toBe(source.id);
    await expect.poll(() => page.getByTestId('task-row').count(), { timeout: 15_000 }).toBe(3);
    const copy = (await t.as(t.owner, { method: 'GET', url: `/api/v1/projects/${copyId}` })).json();
    expect(copy).toMatchObject({ title: 'Copied project', instructions: 'Read twice', task_count: 3 });

    await page.goto(`/projects/${copyId}/settings`);
    await page.getByRole('button', { name: 'Delete project' }).click();
    const confirm = page.getByRole('dialog');
    const ok = confirm.getByRole('button', { name: 'Delete project' });
    expect(await ok.isDisabled()).toBe(true);
    await confirm.getByLabel('Project name').fill('Copied project');
    await ok.click();
    await page.waitForURL(/\/projects$/);
    await page.getByText('“Copied project” was deleted').waitFor();
    const gone = await t.as(t.owner, { method: 'GET', url: `/api/v1/projects/${copyId}` });
    expect(gone.statusCode).toBe(404);
    expect((await t.as(t.owner, { method: 'GET', url: `/api/v1/projects/${source.id}` })).statusCode).toBe(
      200,
    );
    expect(errors).toEqual([]);
    await close();
  });

  it('adds a project webhook, sends it a test and sees it delivered, then removes it', async (ctx) => {
    const hookServer = await receiver([200]);
    closers.push(hookServer);
    const project = await newProject(t, { title: 'Hooked' });
    const { page, errors, close } = await signedIn(server, t.owner.email);
    ctx.onTestFailed(() => page.screenshot({ path: 'test-results/onboarding-webhook.png' }).then(() => {}));
    await page.goto(`/projects/${project.id}/settings`);
    await page.getByRole('button', { name: 'Add webhook' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('URL').fill(hookServer.url);
    await dialog.getByRole('button', { name: 'Save' }).click();
    await page.getByText('The signing secret, shown only now').waitFor();
    const row = page.getByRole('row').filter({ hasText: hookServer.url });
    await row.getByText('Annotation created').waitFor();
    const hooks = (await t.as(t.owner, { method: 'GET', url: '/api/v1/webhooks' })).json() as {
      project_id: number;
      events: string[];
    }[];
    expect(hooks.filter((h) => h.project_id === project.id)).toEqual([
      expect.objectContaining({ events: ['ANNOTATION_CREATED', 'ANNOTATION_UPDATED'] }),
    ]);

    await row.getByRole('button', { name: 'Send test' }).click();
    await row.getByRole('button', { name: /expand/i }).click();
    await page.getByText('Delivered').waitFor({ timeout: 30_000 });
    expect(hookServer.received.map((r) => JSON.parse(r.body).action)).toEqual(['WEBHOOK_TEST']);

    await row.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('tooltip').getByRole('button', { name: 'OK' }).click();
    await page.getByText('No webhooks for this project').waitFor();
    expect((await t.as(t.owner, { method: 'GET', url: '/api/v1/webhooks' })).json()).toEqual([]);
    expect(errors).toEqual([]);
    await close();
  });

  it('an admin invites by link; the invitee opens it, sets a name and password, and signs in', async (ctx) => {
    const email = `invitee-${Date.now()}@browser.test`;
    const admin = await signedIn(server, t.owner.email);
    ctx.onTestFailed(() =>
      admin.page.screenshot({ path: 'test-results/onboarding-invite.png' }).then(() => {}),
    );
    await admin.page.goto('/admin/users');
    await admin.page.getByRole('button', { name: 'Invite', exact: true }).click();
    const dialog = admin.page.getByRole('dialog');
    await dialog.getByRole('textbox', { name: 'E-mail' }).fill(email);
    await dialog.getByRole('button', { name: 'Invite', exact: true }).click();
    const link = (await admin.page.getByTestId('invite-link').textContent())?.trim() ?? '';
    expect(link).toMatch(/\/invite#sii_/);
    await admin.page.keyboard.press('Escape');
    await admin.page.getByRole('row').filter({ hasText: email }).getByText('Pending').waitFor();

    // The invitee, signed out, in a browser of their own.
    const context = await server.browser.newContext({ baseURL: server.url, locale: 'en-US' });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(link);
    await page.getByText(`as ${email}`).waitFor();
    await page.getByLabel('Your name').fill('Ivy Invitee');
    await page.getByLabel('Choose a password').fill(PASSWORD);
    await page.getByRole('button', { name: /^Join / }).click();
    await page.waitForURL(/\/login\?joined=/);
    await page.getByText('You joined').waitFor();
    await page.getByLabel('E-mail').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => u.pathname === '/');
    const session = (await login(server.app, email, PASSWORD)) as unknown as { roles: string[] };
    expect(session.roles).toEqual(['annotator']);
    // The link works once.
    await page.goto(link);
    await page.getByText('This invitation was used already.').waitFor();
    await admin.page.reload();
    await admin.page.getByRole('row').filter({ hasText: email }).getByText('Joined').waitFor();
    expect(errors).toEqual([]);
    expect(admin.errors).toEqual([]);
    await context.close();
    await admin.close();
  });

  it('the forgotten-password page answers alike for any address', async () => {
    const context = await server.browser.newContext({ baseURL: server.url, locale: 'en-US' });
    const page = await context.newPage();
    await page.goto('/login');
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await page.getByLabel('E-mail').fill('nobody@browser.test');
    await page.getByRole('button', { name: 'Send the link' }).click();
    await page.getByText('If an account has this address, a link is on its way.').waitFor();
    await context.close();
  });
});
