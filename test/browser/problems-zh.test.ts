import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newProject } from '../annotation-fixtures.ts';
import { newTenant, type TenantFixture } from '../fixtures.ts';
import { annotate, annotators, seedTasks } from '../labeling-fixtures.ts';
import { type ConsoleServer, signedIn, startConsole } from './console-session.ts';

let server: ConsoleServer;
let t: TenantFixture;

beforeAll(async () => {
  server = await startConsole();
  t = await newTenant(server);
});
afterAll(() => server?.close());

/** Server messages in zh-CN: the console translates each problem by its code, not its English detail. */
describe('server messages in Chinese', () => {
  it('says a wrong password in Chinese at sign-in', async () => {
    const context = await server.browser.newContext({ baseURL: server.url, locale: 'en-US' });
    const page = await context.newPage();
    await page.goto('/login');
    await page.evaluate("localStorage.setItem('si.language', 'zh-CN')");
    await page.reload();
    await page.getByLabel('电子邮箱').fill(t.owner.email);
    await page.getByLabel('密码').fill('not-the-password-at-all');
    await page.getByRole('button', { name: /^登\s*录$/ }).click();
    const alert = page.getByRole('alert');
    await alert.getByText('邮箱或密码错误。').waitFor();
    await alert.getByText('身份验证失败').waitFor();
    expect(await alert.textContent()).not.toMatch(/[A-Za-z]{3,}/);
    await context.close();
  });

  it('says a config conflict and an import refusal in Chinese, with their values', async () => {
    const project = await newProject(t, { title: 'Conflict zh' });
    const [annotator] = await annotators(t, project.id, 1);
    const [task] = await seedTasks(server, t, project, 1);
    await annotate(t, annotator!, task!);
    const { page, errors, close } = await signedIn(server, t.owner.email);
    await page.evaluate("localStorage.setItem('si.language', 'zh-CN')");

    // A config without the "sentiment" control the annotation uses: 409 project.config_drops_data.
    await page.goto(`/projects/${project.id}/settings`);
    await page
      .getByLabel('标注配置（XML）')
      .fill(
        '<View><Text name="text" value="$text"/><Choices name="topic" toName="text"><Choice value="A"/></Choices></View>',
      );
    await page.getByRole('button', { name: /^保\s*存$/ }).click();
    const conflict = page.getByRole('alert').filter({ hasText: '新的标注配置会丢弃' });
    await conflict.waitFor();
    await conflict.getByText('冲突').waitFor();
    expect(await conflict.textContent()).not.toContain('The new labeling config');

    // A file that is neither a task file nor media: 415 media.unsupported_type, naming the file.
    await page.goto(`/projects/${project.id}/data`);
    await page.getByRole('button', { name: '导入' }).first().click();
    const dialog = page.getByRole('dialog');
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'si-upload-')), 'tasks.xml');
    fs.writeFileSync(file, '<tasks/>');
    await dialog.locator('input[type=file]').setInputFiles(file);
    const refused = dialog.getByRole('alert');
    await refused.getByText('“tasks.xml”不是图片、音频、视频或 PDF 文件', { exact: false }).waitFor();
    await refused.getByText('不支持的类型').waitFor();
    expect(await refused.textContent()).not.toContain('is not an image');
    // A refusal is an answer, not a console error; a failed request logs one line in Chromium.
    expect(errors.filter((e) => !/status of (400|409|415)/.test(e))).toEqual([]);
    await close();
  });

  it('names the built-in rule templates and the rules applied from them in Chinese', async () => {
    const project = await newProject(t, { title: 'Templates zh' });
    const { page, errors, close } = await signedIn(server, t.owner.email);
    await page.evaluate("localStorage.setItem('si.language', 'zh-CN')");
    await page.goto(`/projects/${project.id}/quality/rules`);
    await page.getByText('每个控件都已作答、标签来自配置、至少用时 2 秒').waitFor();
    expect(await page.getByText('Every control answered', { exact: false }).count()).toBe(0);
    await page.getByRole('button', { name: '应用模板 基础' }).click();
    const rules = page.getByTestId('rules');
    await rules.getByRole('cell', { name: '所有控件均已作答' }).waitFor();
    expect(await rules.textContent()).not.toContain('All controls answered');
    // The API keeps the seeded English names.
    const stored = await t.as(t.owner, {
      method: 'GET',
      url: `/api/v1/projects/${project.id}/quality/rules`,
    });
    expect(stored.json().items.map((r: { name: string }) => r.name)).toContain('All controls answered');
    expect(errors).toEqual([]);
    await close();
  });
});
