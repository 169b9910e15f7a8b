import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newProject } from '../annotation-fixtures.ts';
import { newTenant, type TenantFixture } from '../fixtures.ts';
import { type ConsoleServer, signedIn, startConsole } from './console-session.ts';

// Import (issue 27): several sources, CSV column mapping, and media files shown in the editor.
let server: ConsoleServer;
let t: TenantFixture;

beforeAll(async () => {
  server = await startConsole();
  t = await newTenant(server);
});
afterAll(() => server?.close());

const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

function tempFile(name: string, content: string | Buffer) {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'si-upload-')), name);
  fs.writeFileSync(file, content);
  return file;
}

async function taskData(projectId: number) {
  const res = await t.as(t.owner, {
    method: 'GET',
    url: `/api/v1/projects/${projectId}/tasks?limit=100`,
  });
  expect(res.statusCode).toBe(200);
  const body = res.json();
  return (body.items as { data: Record<string, unknown> }[]).map((x) => x.data);
}

describe('import in the console', () => {
  it('imports a CSV through the column mapping step, then pasted text', async (ctx) => {
    const project = await newProject(t, { title: 'Mapped reviews' });
    const owner = await signedIn(server, t.owner.email);
    const page = owner.page;
    ctx.onTestFailed(() => page.screenshot({ path: 'test-results/import-mapping.png' }).then(() => {}));
    await page.goto(`/projects/${project.id}/data`);
    await page.getByRole('button', { name: 'Import' }).click();
    const dialog = page.getByRole('dialog');
    await dialog
      .locator('input[type=file]')
      .setInputFiles(
        tempFile('reviews.csv', 'Review,Stars,Internal\nGreat product,5,a\n"Bad, really",1,b\n'),
      );
    const mapper = dialog.getByTestId('column-mapper');
    await mapper.getByText('Great product').waitFor();
    await mapper.getByText('Bad, really').waitFor();
    // "Review" is the first column matching no data key: it is suggested for $text.
    await expect.poll(() => mapper.locator('.si-select-content[title="$text"]').count()).toBe(1);
    await expect.poll(() => mapper.locator('.si-select-content[title="Keep as “Stars”"]').count()).toBe(1);
    await mapper.getByLabel('Column Internal goes to').click();
    await page.locator('.si-select-dropdown:visible .si-select-item-option[title="Drop"]').click();
    await mapper.getByRole('button', { name: 'Import', exact: true }).click();
    await dialog.getByTestId('import-progress').getByText('Completed').first().waitFor({ timeout: 60_000 });
    expect(await taskData(project.id)).toEqual(
      expect.arrayContaining([
        { text: 'Great product', Stars: '5' },
        { text: 'Bad, really', Stars: '1' },
      ]),
    );

    await dialog.getByRole('tab', { name: 'Paste' }).click();
    await dialog
      .getByRole('textbox', { name: 'Paste' })
      .fill('first pasted line\nsecond pasted line 第二行\n');
    await dialog.getByRole('button', { name: 'Import text' }).click();
    await expect
      .poll(() => dialog.getByTestId('import-progress').getByText('Completed').count(), { timeout: 60_000 })
      .toBe(2);
    const texts = (await taskData(project.id)).map((d) => d.text);
    expect(texts).toEqual(expect.arrayContaining(['first pasted line', 'second pasted line 第二行']));
    expect(texts).toHaveLength(4);
    expect(owner.errors).toEqual([]);
    await owner.close();
  });

  it('offers every import source in Chinese', async () => {
    const project = await newProject(t, { title: '中文导入' });
    const owner = await signedIn(server, t.owner.email);
    const page = owner.page;
    await page.evaluate("localStorage.setItem('si.language','zh-CN')");
    await page.goto(`/projects/${project.id}/data`);
    await page.getByRole('button', { name: '导入' }).first().click();
    const dialog = page.getByRole('dialog');
    for (const tab of ['文件', '从 URL 导入', '粘贴']) await dialog.getByRole('tab', { name: tab }).waitFor();
    await dialog.getByText('点击或拖放文件到此处（可一次多个）').waitFor();
    await dialog.getByRole('tab', { name: '粘贴' }).click();
    await dialog.getByRole('textbox', { name: '粘贴' }).fill('a,b\n1,2\n');
    await dialog.getByRole('combobox', { name: '格式' }).click();
    await page.locator('.si-select-dropdown:visible .si-select-item-option[title="CSV"]').click();
    await dialog.getByRole('button', { name: '导入文本' }).click();
    const mapper = dialog.getByTestId('column-mapper');
    await mapper.getByText('映射 粘贴的文本 的列').waitFor();
    // "a" is suggested for $text, so nothing is missing; "b" keeps its name.
    await expect.poll(() => mapper.locator('.si-select-content[title="保留为“b”"]').count()).toBe(1);
    expect(await mapper.getByText('没有列对应到').count()).toBe(0);
    expect(owner.errors).toEqual([]);
    await owner.close();
  });

  it('turns a dropped image into a task the editor shows through a signed URL', async (ctx) => {
    const project = await newProject(t, {
      title: 'Pictures',
      label_config:
        '<View><Image name="img" value="$image"/><Choices name="c" toName="img"><Choice value="Cat"/><Choice value="Dog"/></Choices></View>',
    });
    const owner = await signedIn(server, t.owner.email);
    const page = owner.page;
    ctx.onTestFailed(() => page.screenshot({ path: 'test-results/import-media.png' }).then(() => {}));
    await page.goto(`/projects/${project.id}/data`);
    await page.getByRole('button', { name: 'Import' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.locator('input[type=file]').setInputFiles(tempFile('cat.png', PNG));
    await dialog.getByTestId('import-progress').getByText('Media files: 1').waitFor();
    await dialog.getByTestId('import-progress').getByText('Completed').waitFor({ timeout: 60_000 });
    const [data] = await taskData(project.id);
    expect(String(data!.image)).toMatch(/^\/api\/v1\/media\//);
    await dialog.getByRole('button', { name: 'Close' }).last().click();

    await page.goto(`/projects/${project.id}/label`);
    await page.locator('[data-testid=label-studio][data-ready=true]').waitFor({ timeout: 60_000 });
    const image = page.getByTestId('label-studio').locator('img[src*="/api/v1/media/"]').first();
    await image.waitFor({ timeout: 30_000 });
    expect(await image.getAttribute('src')).toContain('signature=');
    await expect
      .poll(() =>
        image.evaluate((img) => {
          const loaded = img as unknown as { complete: boolean; naturalWidth: number };
          return loaded.complete ? loaded.naturalWidth : 0;
        }),
      )
      .toBe(1);
    expect(owner.errors).toEqual([]);
    await owner.close();
  });
});
