import { describe, expect, it } from 'vitest';
import { newProject } from '../../../../test/annotation-fixtures.ts';
import type { Member, TenantFixture } from '../../../../test/fixtures.ts';
import { testApp } from '../../../../test/helpers.ts';
import {
  annotate,
  annotators,
  joinProject,
  newLabelingTenant,
  seedTasks,
  unauditedMutations,
} from '../../../../test/labeling-fixtures.ts';

type Comment = {
  id: number;
  task: number;
  annotation: number | null;
  review: number | null;
  parent: number | null;
  author: string | null;
  author_name: string | null;
  text: string;
  resolved_at: string | null;
  resolved_by: string | null;
};

const base = (projectId: number, taskId: number) => `/api/v1/projects/${projectId}/tasks/${taskId}/comments`;

async function say(t: TenantFixture, m: Member, url: string, payload: Record<string, unknown>) {
  const res = await t.as(m, { method: 'POST', url, payload });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as Comment;
}

async function thread(t: TenantFixture, m: Member, url: string) {
  const res = await t.as(m, { method: 'GET', url });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().items as Comment[];
}

async function notes(t: TenantFixture, m: Member) {
  const res = await t.as(m, { method: 'GET', url: '/api/v1/notifications?limit=50' });
  expect(res.statusCode).toBe(200);
  return res.json().items as { kind: string; body: string; data: Record<string, unknown> }[];
}

async function setup() {
  const ctx = await testApp();
  const t = await newLabelingTenant(ctx);
  const project = await newProject(t, { overlap: 2 });
  const [taskId, otherTask] = await seedTasks(ctx, t, project, 2);
  const [ann, other] = await annotators(t, project.id, 2);
  const rev = await t.member(['reviewer'], 'Rita Reviewer');
  await joinProject(t, project.id, rev, 'reviewer');
  const viewer = await t.member(['viewer'], 'Vic Viewer');
  await joinProject(t, project.id, viewer, 'viewer');
  const a = await annotate(t, ann!, taskId!);
  return {
    ctx,
    t,
    project,
    taskId: taskId!,
    otherTask: otherTask!,
    ann: ann!,
    other: other!,
    rev,
    viewer,
    a,
  };
}

describe('task comments', () => {
  it('threads a conversation on an annotation, notifies the other party, edits, resolves, audited', async () => {
    const { ctx, t, project, taskId, ann, rev, a } = await setup();
    const url = base(project.id, taskId);
    const unaudited = await unauditedMutations(ctx);

    const first = await say(t, rev, url, { text: '  The sentiment is negative here. ', annotation: a.id });
    expect(first).toMatchObject({
      task: taskId,
      annotation: a.id,
      parent: null,
      author: rev.userId,
      author_name: 'Rita Reviewer',
      text: 'The sentiment is negative here.',
      resolved_at: null,
    });
    // The annotation's author hears of it.
    const heard = (await notes(t, ann)).filter((n) => n.kind === 'COMMENT_CREATED');
    expect(heard).toHaveLength(1);
    expect(heard[0]!.body).toBe('The sentiment is negative here.');
    expect(heard[0]!.data).toMatchObject({ task_id: taskId, comment_id: first.id, annotation_id: a.id });
    expect((await notes(t, rev)).filter((n) => n.kind === 'COMMENT_CREATED')).toHaveLength(0);

    // The annotator replies: the reply joins the thread and its annotation; the reviewer hears.
    const reply = await say(t, ann, url, { text: 'Fixed, thanks.', parent: first.id });
    expect(reply).toMatchObject({ parent: first.id, annotation: a.id, author: ann.userId });
    const replyNote = (await notes(t, rev)).filter((n) => n.kind === 'COMMENT_CREATED');
    expect(replyNote.map((n) => n.data.comment_id)).toEqual([reply.id]);
    // A reply to a reply joins the same thread.
    const third = await say(t, rev, url, { text: 'Great.', parent: reply.id });
    expect(third.parent).toBe(first.id);

    expect((await thread(t, ann, url)).map((c) => c.id)).toEqual([first.id, reply.id, third.id]);

    // Only its author edits a comment.
    const edit = (m: Member, id: number, text: string) =>
      t.as(m, { method: 'PATCH', url: `${url}/${id}`, payload: { text } });
    expect((await edit(ann, first.id, 'hijack')).statusCode).toBe(403);
    expect((await edit(ann, first.id, 'hijack')).json().code).toBe('comment.not_yours');
    const edited = await edit(ann, reply.id, 'Fixed now, thanks.');
    expect(edited.statusCode).toBe(200);
    expect(edited.json().text).toBe('Fixed now, thanks.');

    // The annotator resolves the thread; a reply cannot be resolved on its own; it reopens.
    const resolve = (m: Member, id: number, verb = 'resolve') =>
      t.as(m, { method: 'POST', url: `${url}/${id}/${verb}` });
    expect((await resolve(ann, reply.id)).statusCode).toBe(409);
    const resolved = await resolve(ann, first.id);
    expect(resolved.statusCode).toBe(200);
    expect(resolved.json()).toMatchObject({ resolved_by: ann.userId, resolved_at: expect.any(String) });
    const task = await t.as(rev, { method: 'GET', url: `/api/v1/projects/${project.id}/tasks/${taskId}` });
    expect(task.json().unresolved_comments).toBe(0);
    const reopened = await resolve(rev, first.id, 'unresolve');
    expect(reopened.json()).toMatchObject({ resolved_at: null, resolved_by: null });

    const audit = await t.as(t.owner, { method: 'GET', url: '/api/v1/audit/logs?limit=50' });
    const actions = (audit.json().items as { action: string }[]).map((x) => x.action);
    for (const action of ['comment.created', 'comment.updated', 'comment.resolved', 'comment.unresolved'])
      expect(actions).toContain(action);
    expect(await unauditedMutations(ctx)).toBe(unaudited);
  });

  it('checks permissions: viewers read, annotators see only comments on their own work, authors or managers delete', async () => {
    const { t, project, taskId, otherTask, ann, other, rev, viewer, a } = await setup();
    const url = base(project.id, taskId);
    const onAnnotation = await say(t, rev, url, { text: 'About your answer', annotation: a.id });
    const onTask = await say(t, rev, url, { text: 'Ambiguous text' });

    // A viewer reads (with annotations:read) but cannot comment.
    expect((await thread(t, viewer, url)).map((c) => c.id)).toEqual([onAnnotation.id, onTask.id]);
    expect((await t.as(viewer, { method: 'POST', url, payload: { text: 'hi' } })).statusCode).toBe(403);
    // Another annotator sees the task's comment, not the one on someone else's annotation,
    // and cannot reply into it or comment on that annotation.
    expect((await thread(t, other, url)).map((c) => c.id)).toEqual([onTask.id]);
    const intoHidden = await t.as(other, {
      method: 'POST',
      url,
      payload: { text: 'x', parent: onAnnotation.id },
    });
    expect(intoHidden.statusCode).toBe(404);
    const onHidden = await t.as(other, { method: 'POST', url, payload: { text: 'x', annotation: a.id } });
    expect(onHidden.statusCode).toBe(404);
    // An annotation of another task, a blank text, a reply whose annotation differs.
    const elsewhere = await t.as(rev, {
      method: 'POST',
      url: base(project.id, otherTask),
      payload: { text: 'x', annotation: a.id },
    });
    expect(elsewhere.statusCode).toBe(400);
    expect(elsewhere.json().code).toBe('comment.annotation_elsewhere');
    expect((await t.as(rev, { method: 'POST', url, payload: { text: '   ' } })).statusCode).toBe(400);
    const mismatch = await t.as(rev, {
      method: 'POST',
      url,
      payload: { text: 'x', parent: onTask.id, annotation: a.id },
    });
    expect(mismatch.statusCode).toBe(400);
    expect(mismatch.json().code).toBe('comment.reply_annotation');
    // A comment of one task is not found through another.
    expect(
      (
        await t.as(rev, {
          method: 'PATCH',
          url: `${base(project.id, otherTask)}/${onTask.id}`,
          payload: { text: 'y' },
        })
      ).statusCode,
    ).toBe(404);

    // Deleting: not another's (an annotator), the author's own, and a manager's moderation.
    const reply = await say(t, ann, url, { text: 'ok', parent: onAnnotation.id });
    expect((await t.as(ann, { method: 'DELETE', url: `${url}/${onTask.id}` })).statusCode).toBe(403);
    expect((await t.as(ann, { method: 'DELETE', url: `${url}/${reply.id}` })).statusCode).toBe(204);
    expect((await t.as(t.owner, { method: 'DELETE', url: `${url}/${onTask.id}` })).statusCode).toBe(204);
    // Deleting a thread's first comment deletes its replies.
    await say(t, ann, url, { text: 'again', parent: onAnnotation.id });
    expect((await t.as(rev, { method: 'DELETE', url: `${url}/${onAnnotation.id}` })).statusCode).toBe(204);
    expect(await thread(t, rev, url)).toEqual([]);
  });

  it("puts a reviewer's reject comment in the annotation's thread and tells the annotator", async () => {
    const { t, project, taskId, ann, rev, a } = await setup();
    const rejected = await t.as(rev, {
      method: 'POST',
      url: `/api/v1/annotations/${a.id}/review`,
      payload: { action: 'reject', comment: 'Wrong label: the text is negative.' },
    });
    expect(rejected.statusCode, rejected.body).toBe(200);
    const [comment] = await thread(t, ann, base(project.id, taskId));
    expect(comment).toMatchObject({
      annotation: a.id,
      review: rejected.json().review.id,
      author: rev.userId,
      text: 'Wrong label: the text is negative.',
      resolved_at: null,
    });
    expect((await notes(t, ann)).map((n) => n.data.comment_id)).toContain(comment!.id);
    // An accept without a comment adds none.
    const b = await annotate(t, t.owner, taskId);
    await t.as(rev, {
      method: 'POST',
      url: `/api/v1/annotations/${b.id}/review`,
      payload: { action: 'accept' },
    });
    expect(await thread(t, rev, base(project.id, taskId))).toHaveLength(1);
  });

  it('counts and filters unresolved threads in the data manager', async () => {
    const { t, project, taskId, otherTask, rev } = await setup();
    const url = base(project.id, taskId);
    const first = await say(t, rev, url, { text: 'open' });
    await say(t, rev, url, { text: 'reply', parent: first.id });
    const list = async (q: string) =>
      (await t.as(rev, { method: 'GET', url: `/api/v1/projects/${project.id}/tasks?${q}` })).json().items as {
        id: number;
        unresolved_comments: number;
      }[];
    expect((await list('')).map((r) => [r.id, r.unresolved_comments])).toEqual([
      [taskId, 1],
      [otherTask, 0],
    ]);
    expect((await list('unresolved_comments=true')).map((r) => r.id)).toEqual([taskId]);
    expect((await list('unresolved_comments=false')).map((r) => r.id)).toEqual([otherTask]);
    await t.as(rev, { method: 'POST', url: `${url}/${first.id}/resolve` });
    expect((await list('unresolved_comments=true')).map((r) => r.id)).toEqual([]);
  });

  it("tells a task's history: creation, submits, changes and reviews, with names", async () => {
    const { t, project, taskId, ann, rev, a } = await setup();
    await t.as(rev, {
      method: 'POST',
      url: `/api/v1/annotations/${a.id}/review`,
      payload: { action: 'accept' },
    });
    // An annotation keeps only its latest change: here the author's, after the review.
    await t.as(ann, { method: 'PATCH', url: `/api/v1/annotations/${a.id}`, payload: { lead_time: 3 } });
    const res = await t.as(rev, {
      method: 'GET',
      url: `/api/v1/projects/${project.id}/tasks/${taskId}/history`,
    });
    expect(res.statusCode, res.body).toBe(200);
    const items = res.json().items as { action: string; user: string | null; user_name: string | null }[];
    expect(items.map((i) => i.action)).toEqual([
      'task_created',
      'annotation_created',
      'reviewed',
      'annotation_updated',
    ]);
    expect(items[1]).toMatchObject({ user: ann.userId, user_name: 'Annotator0' });
    expect(items[2]).toMatchObject({
      user: rev.userId,
      user_name: 'Rita Reviewer',
      review_status: 'approved',
    });
    // Another annotator sees only their own part.
    const [, other] = await annotators(t, project.id, 2, 'Late');
    const theirs = await t.as(other!, {
      method: 'GET',
      url: `/api/v1/projects/${project.id}/tasks/${taskId}/history`,
    });
    expect((theirs.json().items as { action: string }[]).map((i) => i.action)).toEqual(['task_created']);
  });
});
