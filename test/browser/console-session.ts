import fs from 'node:fs';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { CONSOLE_DIR } from '../../src/platform/http/console.ts';
import { PASSWORD } from '../fixtures.ts';
import { startTestApp, type TestContext, testEnv } from '../helpers.ts';

/** Chromium from the system (`apt-get install -y chromium`), or CHROMIUM_PATH. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface ConsoleServer extends TestContext {
  url: string;
  browser: Browser;
  close(): Promise<void>;
}

/** The whole platform listening on a free port, serving the built console, and a browser. */
export async function startConsole(
  env: Record<string, string> = testEnv(),
  options: { migrate?: boolean } = {},
): Promise<ConsoleServer> {
  if (!fs.existsSync(path.join(CONSOLE_DIR, 'index.html'))) {
    throw new Error('The console is not built: run `npm run build:web` first.');
  }
  const ctx = await startTestApp(env, options);
  await ctx.app.listen({ host: '127.0.0.1', port: 0 });
  const address = ctx.app.server.address();
  if (!address || typeof address === 'string') throw new Error('no listening address');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  return {
    ...ctx,
    url: `http://127.0.0.1:${address.port}`,
    browser,
    async close() {
      await browser.close();
      await ctx.app.close();
      await ctx.platform.close();
    },
  };
}

/**
 * A signed-in English page. Console errors and uncaught exceptions are collected in
 * `errors`, which each test expects empty at its end.
 */
export async function signedIn(server: ConsoleServer, email: string, tenant?: string) {
  const context = await server.browser.newContext({ baseURL: server.url, locale: 'en-US' });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/login');
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  if (tenant) await page.getByLabel('Organisation').fill(tenant);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((u) => u.pathname !== '/login');
  return { page, errors, close: () => context.close() };
}

/** Picks an option of an antd Select by typing it. */
export async function choose(page: Page, testId: string, option: string) {
  await page.getByTestId(testId).click();
  await page.keyboard.type(option);
  await page.keyboard.press('Enter');
  await page.keyboard.press('Escape');
}
