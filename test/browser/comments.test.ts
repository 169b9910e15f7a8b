import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newProject } from '../annotation-fixtures.ts';
import { newTenant, type TenantFixture } from '../fixtures.ts';
import { annotate, annotators, joinProject, seedTasks, systemSql } from '../labeling-fixtures.ts';
import { type ConsoleServer, signedIn, startConsole } from './console-session.ts';

// Review as a conversation (issue 27): comment threads, their notifications, the task's history.
let server: ConsoleServer;
let t: TenantFixture;

beforeAll(async () => {
  server = await startConsole();
  t = await newTenant(server);
});
afterAll(() => server?.close());

describe('comments', () => {
  it('a reviewer rejects with a comment; the annotator finds it from the data manager, replies and resolves', async (ctx) => {
    const project = await newProject(t, { title: 'Conversation' });
    const [annotator] = await annotators(t, project.id, 1, 'Ann');
    const reviewer = await t.member(['reviewer'], 'Rita');
    await joinProject(t, project.id, reviewer, 'reviewer');
    const [task] = await seedTasks(server, t, project, 1);
    const { id } = await annotate(t, annotator!, task!);

    // The reviewer rejects it with a comment from the review page, where the thread shows it.
    const rev = await signedIn(server, reviewer.email);
    ctx.onTestFailed(() => rev.page.screenshot({ path: 'test-results/comments-review.png' }).then(() => {}));
    await rev.page.goto(`/projects/${project.id}/review`);
    await rev.page.locator('[data-testid=label-studio][data-ready=true]').waitFor({ timeout: 60_000 });
    await rev.page.getByTestId('comment-thread').getByText('No comments yet').waitFor();
    await rev.page.getByRole('button', { name: 'Reject' }).click();
    const dialog = rev.page.getByRole('dialog');
    await dialog.getByLabel('Comment for the annotator').fill('The text reads negative, please fix.');
    await dialog.getByRole('button', { name: 'Reject' }).click();
    await rev.page.getByText('Annotation rejected').waitFor();
    expect(rev.errors).toEqual([]);

    // The annotator opens the task from the data manager: the open thread is counted in its
    // row, and the drawer shows the thread and the task's history.
    const who = await signedIn(server, annotator!.email);
    const page = who.page;
    ctx.onTestFailed(() => page.screenshot({ path: 'test-results/comments-annotator.png' }).then(() => {}));
    await page.goto(`/projects/${project.id}/data`);
    const row = page
      .getByTestId('task-row')
      .filter({ has: page.getByRole('button', { name: `Open task ${task}` }) });
    await expect.poll(() => row.getByTestId('unresolved-comments').textContent()).toBe('1');
    await page.getByRole('button', { name: `Open task ${task}` }).click();
    const drawer = page.getByTestId('task-detail');
    const thread = drawer.getByTestId('comment-thread');
    await thread.getByText('The text reads negative, please fix.').waitFor();
    expect(await thread.getByTestId('unresolved-count').textContent()).toBe('1');
    expect(await thread.getByText('Review', { exact: true }).count()).toBe(1);
    const history = drawer.getByTestId('history-entry');
    await expect
      .poll(() => history.allTextContents())
      .toEqual([
        expect.stringContaining('Created'),
        expect.stringContaining(`Ann0 submitted annotation #${id}`),
        expect.stringContaining(`Rita reviewed annotation #${id}: rejected`),
      ]);

    // Label this task: the annotator's own annotation opens in the editor, with the thread.
    await page.getByRole('button', { name: 'Label this task' }).click();
    await page.waitForURL(
      (u) => u.pathname.endsWith('/label') && u.searchParams.get('annotation') === String(id),
    );
    await page.locator('[data-testid=label-studio][data-ready=true]').waitFor({ timeout: 60_000 });
    const labeling = page.getByTestId('comment-thread');
    await labeling.getByText('The text reads negative, please fix.').waitFor();
    await labeling.getByRole('button', { name: 'Reply' }).click();
    await labeling.getByLabel('Write a reply').fill('Changed it to Negative.');
    await labeling.getByRole('button', { name: 'Reply' }).click();
    await labeling.getByText('Changed it to Negative.').waitFor();
    await labeling.getByRole('button', { name: 'Resolve' }).click();
    await labeling.getByTestId('comment-resolved').waitFor();
    expect(await labeling.getByTestId('unresolved-count').count()).toBe(0);

    const rows = await systemSql<{
      text: string;
      parent_id: string | null;
      review_id: string | null;
      resolved_by: string | null;
    }>(
      server,
      sql`select text, parent_id, review_id, resolved_by from task_comments where task_id = ${task} order by id`,
    );
    expect(rows.map((r) => [r.text, r.parent_id !== null, r.review_id !== null])).toEqual([
      ['The text reads negative, please fix.', false, true],
      ['Changed it to Negative.', true, false],
    ]);
    expect(rows[0]!.resolved_by).toBe(annotator!.userId);
    // The reviewer hears of the reply, in-app.
    const notes = await t.as(reviewer, { method: 'GET', url: '/api/v1/notifications' });
    expect(
      (notes.json().items as { kind: string; body: string }[]).filter((n) => n.kind === 'COMMENT_CREATED'),
    ).toEqual([expect.objectContaining({ body: 'Changed it to Negative.' })]);
    expect(who.errors).toEqual([]);
    await who.close();
    await rev.close();
  });

  it('shows the thread and history in Chinese', async (ctx) => {
    const project = await newProject(t, { title: '评论' });
    const [annotator] = await annotators(t, project.id, 1, 'Zhang');
    const [task] = await seedTasks(server, t, project, 1);
    await annotate(t, annotator!, task!);
    await t.as(t.owner, {
      method: 'POST',
      url: `/api/v1/projects/${project.id}/tasks/${task}/comments`,
      payload: { text: '请再检查一下' },
    });
    const admin = await signedIn(server, (await t.member(['admin'], 'Li')).email);
    const page = admin.page;
    ctx.onTestFailed(() => page.screenshot({ path: 'test-results/comments-zh.png' }).then(() => {}));
    await page.evaluate("localStorage.setItem('si.language','zh-CN')");
    await page.goto(`/projects/${project.id}/data`);
    await page.getByRole('button', { name: `打开任务 ${task}` }).click();
    const drawer = page.getByTestId('task-detail');
    await drawer.getByTestId('comment-thread').getByText('请再检查一下').waitFor();
    await drawer.getByText('评论', { exact: true }).first().waitFor();
    await drawer.getByText('历史', { exact: true }).waitFor();
    await expect.poll(() => drawer.getByTestId('history-entry').allTextContents()).toHaveLength(2);
    expect((await drawer.getByTestId('history-entry').allTextContents())[1]).toContain('Zhang0 提交了标注');
    await page.getByRole('button', { name: '标注此任务' }).waitFor();
    expect(admin.errors).toEqual([]);
    await admin.close();
  });
});
