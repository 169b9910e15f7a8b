import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newProject, seedTasks } from '../annotation-fixtures.ts';
import { newTenant, type TenantFixture } from '../fixtures.ts';
import { type ConsoleServer, signedIn, startConsole } from './console-session.ts';

// Label Studio compatibility in the console (issue 25).
let server: ConsoleServer;
let t: TenantFixture;

beforeAll(async () => {
  server = await startConsole();
  t = await newTenant(server);
});
afterAll(() => server?.close());

describe('Label Studio configs in the console', () => {
  it('accepts a config as Label Studio does and shows its remarks in the project settings', async (ctx) => {
    // As Label Studio's document-retrieval template (a choice twice) with a PDF viewer this editor lacks.
    const project = await newProject(t, {
      title: 'Retrieval',
      label_config: `<View>
  <Text name="legend" value="Pick the matching documents."/>
  <Pdf name="pdf" value="$pdf"/>
  <Choices name="selection" toName="pdf"><Choice value="One"/><Choice value="Two"/><Choice value="Two"/></Choices>
</View>`,
    });
    const owner = await signedIn(server, t.owner.email);
    ctx.onTestFailed(() =>
      owner.page.screenshot({ path: 'test-results/label-studio-warnings.png' }).then(() => {}),
    );
    const page = owner.page;
    await page.goto(`/projects/${project.id}/settings`);
    const remarks = page
      .getByRole('alert')
      .filter({ hasText: 'Label Studio accepts this config, with remarks' });
    await remarks.waitFor();
    expect(await remarks.getByRole('listitem').allTextContents()).toEqual([
      '<Choices name="selection"> declares “Two” twice; both count as one.',
      'The embedded editor cannot show <Pdf>: tasks of this project cannot be labeled here until the editor supports it.',
    ]);
    expect(owner.errors).toEqual([]);
    await owner.close();
  });

  it('shows data read through an indexed path ($images[0].url) in the editor', async (ctx) => {
    const pixel =
      'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';
    const project = await newProject(t, {
      title: 'Indexed path',
      label_config:
        '<View><Image name="img" value="$images[0].url"/><Choices name="c" toName="img"><Choice value="Cat"/></Choices></View>',
    });
    await seedTasks(server, t, project.id, [{ data: { images: [{ url: pixel }, { url: 'unused.png' }] } }]);
    const owner = await signedIn(server, t.owner.email);
    ctx.onTestFailed(() =>
      owner.page.screenshot({ path: 'test-results/label-studio-path.png' }).then(() => {}),
    );
    const page = owner.page;
    await page.goto(`/projects/${project.id}/label`);
    const editor = page.locator('[data-testid=label-studio][data-ready=true]');
    await editor.waitFor({ timeout: 60_000 });
    await editor.locator(`img[src="${pixel}"]`).first().waitFor();
    expect(owner.errors).toEqual([]);
    await owner.close();
  });
});
