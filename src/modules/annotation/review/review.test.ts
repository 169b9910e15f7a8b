import { sql } from 'drizzle-orm';
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
  sentiment,
  systemSql,
  taskRow,
  unauditedMutations,
} from '../../../../test/labeling-fixtures.ts';

async function reviewer(t: TenantFixture, projectId: number, name = 'Reviewer') {
  const r = await t.member(['reviewer'], name);
  await joinProject(t, projectId, r, 'reviewer');
  return r;
}

const act = (t: TenantFixture, m: Member, annotationId: number, body: Record<string, unknown>) =>
  t.as(m, { method: 'POST', url: `/api/v1/annotations/${annotationId}/review`, payload: body });

const queueIds = async (t: TenantFixture, m: Member, projectId: number) => {
  const res = await t.as(m, { method: 'GET', url: `/api/v1/projects/${projectId}/review-queue?limit=1000` });
  expect(res.statusCode).toBe(200);
  return res.json().items.map((i: { annotation: { id: number } }) => i.annotation.id) as number[];
};

describe('review', () => {
  it('queues annotations awaiting review (not skips, not the reviewer’s own) with a cursor', async () => {
    const ctx = await testApp();
    const t = await newLabelingTenant(ctx);
    const project = await newProject(t, { overlap: 3 });
    const [taskId] = await seedTasks(ctx, t, project, 1);
    const [a, b, c] = await annotators(t, project.id, 3);
    const r = await reviewer(t, project.id);
    const x = await annotate(t, a!, taskId!);
    await annotate(t, b!, taskId!, true);
    const y = await annotate(t, c!, taskId!);
    const own = await annotate(t, r, taskId!);

    const page1 = await t.as(r, {
      method: 'GET',
      url: `/api/v1/projects/${project.id}/review-queue?limit=1`,
    });
    expect(page1.statusCode).toBe(200);
    expect(page1.json().items).toEqual([
      {
        annotation: expect.objectContaining({
          id: x.id,
          completed_by: a!.userId,
          result: sentiment('Positive'),
        }),
        task: { id: taskId, data: { text: 'task 1' }, meta: {}, status: 'completed' },
      },
    ]);
    const page2 = await t.as(r, {
      method: 'GET',
      url: `/api/v1/projects/${project.id}/review-queue?limit=1&cursor=${page1.json().next_cursor}`,
    });
    expect(page2.json().items.map((i: { annotation: { id: number } }) => i.annotation.id)).toEqual([y.id]);
    expect(page2.json().next_cursor).toBeNull();
    // The owner (a tenant-wide manager) sees the reviewer's own annotation too.
    expect(await queueIds(t, t.owner, project.id)).toEqual([x.id, y.id, own.id]);
    // An annotator cannot review.
    expect(
      (await t.as(a!, { method: 'GET', url: `/api/v1/projects/${project.id}/review-queue` })).statusCode,
    ).toBe(403);
    expect((await act(t, a!, y.id, { action: 'accept' })).statusCode).toBe(403);
    // Nobody reviews their own work, and a skip has nothing to review.
    expect((await act(t, r, own.id, { action: 'accept' })).statusCode).toBe(403);
    const skipId = (await t.as(b!, { method: 'GET', url: `/api/v1/tasks/${taskId}/annotations` })).json()
      .items[0].id as number;
    expect((await act(t, r, skipId, { action: 'accept' })).statusCode).toBe(409);
  });

  it('accept: approved; the finished task whose annotations are all approved becomes reviewed', async () => {
    const ctx = await testApp();
    const t = await newLabelingTenant(ctx);
    const project = await newProject(t, { overlap: 2, review_required: true });
    const [taskId] = await seedTasks(ctx, t, project, 1);
    const [a, b] = await annotators(t, project.id, 2);
    const r = await reviewer(t, project.id);
    const before = await unauditedMutations(ctx);
    const x = await annotate(t, a!, taskId!);
    const first = await act(t, r, x.id, { action: 'accept', comment: 'good' });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({
      review: { annotation: x.id, task: taskId, reviewer: r.userId, status: 'approved', comment: 'good' },
      annotation: { id: x.id, review_status: 'approved' },
      fixed_annotation: null,
    });
    // One of two wanted annotations: not finished, so not reviewed yet.
    expect((await taskRow(ctx, taskId!)).status).toBe('in_progress');
    const y = await annotate(t, b!, taskId!);
    expect((await taskRow(ctx, taskId!)).status).toBe('completed');
    await act(t, r, y.id, { action: 'accept' });
    expect((await taskRow(ctx, taskId!)).status).toBe('reviewed');
    expect(await queueIds(t, r, project.id)).toEqual([]);
    // The author's later change sends it back to review; the task is no longer reviewed.
    const changed = await t.as(b!, {
      method: 'PATCH',
      url: `/api/v1/annotations/${y.id}`,
      payload: { result: sentiment('Negative') },
    });
    expect(changed.json().review_status).toBe('pending');
    expect((await taskRow(ctx, taskId!)).status).toBe('completed');
    expect(await queueIds(t, r, project.id)).toEqual([y.id]);

    const history = await t.as(a!, { method: 'GET', url: `/api/v1/annotations/${x.id}/reviews` });
    expect(history.statusCode).toBe(200);
    expect(history.json().items).toEqual([
      expect.objectContaining({ status: 'approved', reviewer: r.userId }),
    ]);
    // Another annotator cannot read a's review history.
    expect((await t.as(b!, { method: 'GET', url: `/api/v1/annotations/${x.id}/reviews` })).statusCode).toBe(
      404,
    );
    expect(await unauditedMutations(ctx)).toBe(before);
  });

  it('reject + requeue: the annotation stops counting and the task goes back to its author only', async () => {
    const ctx = await testApp();
    const t = await newLabelingTenant(ctx);
    const project = await newProject(t);
    const ids = await seedTasks(ctx, t, project, 2);
    const [a, b] = await annotators(t, project.id, 2);
    const r = await reviewer(t, project.id);
    const x = await annotate(t, a!, ids[0]!);
    expect(await taskRow(ctx, ids[0]!)).toMatchObject({ total_annotations: 1, is_finished: true });

    const rejected = await act(t, r, x.id, { action: 'reject', reject_mode: 'requeue', comment: 'wrong' });
    expect(rejected.statusCode).toBe(200);
    expect(rejected.json()).toMatchObject({
      review: { status: 'rejected', reject_mode: 'requeue' },
      annotation: { id: x.id, review_status: 'rejected' },
    });
    expect(await taskRow(ctx, ids[0]!)).toMatchObject({
      total_annotations: 0,
      is_finished: false,
      status: 'in_progress',
    });
    // b is not given the requeued task; a gets it first, with their rejected annotation.
    const forB = await t.as(b!, { method: 'GET', url: `/api/v1/projects/${project.id}/next` });
    expect(forB.json().id).toBe(ids[1]);
    const forA = await t.as(a!, { method: 'GET', url: `/api/v1/projects/${project.id}/next` });
    expect(forA.json().id).toBe(ids[0]);
    expect(forA.json().annotations).toEqual([
      expect.objectContaining({ id: x.id, review_status: 'rejected' }),
    ]);
    // The rework counts again and goes back to the queue.
    const reworked = await t.as(a!, {
      method: 'PATCH',
      url: `/api/v1/annotations/${x.id}`,
      payload: { result: sentiment('Neutral') },
    });
    expect(reworked.json().review_status).toBe('pending');
    expect(await taskRow(ctx, ids[0]!)).toMatchObject({ total_annotations: 1, is_finished: true });
    expect(await queueIds(t, r, project.id)).toEqual([x.id]);
  });

  it('reject + remove: the annotation is deleted; the record keeps its id and a snapshot', async () => {
    const ctx = await testApp();
    const t = await newLabelingTenant(ctx);
    const project = await newProject(t);
    const [taskId] = await seedTasks(ctx, t, project, 1);
    const [a, b] = await annotators(t, project.id, 2);
    const r = await reviewer(t, project.id);
    const x = await annotate(t, a!, taskId!);
    const removed = await act(t, r, x.id, { action: 'reject', reject_mode: 'remove' });
    expect(removed.statusCode).toBe(200);
    expect(removed.json()).toMatchObject({
      review: {
        annotation: x.id,
        status: 'rejected',
        reject_mode: 'remove',
        annotation_snapshot: { id: x.id, completed_by: a!.userId, result: sentiment('Positive') },
      },
      annotation: null,
    });
    expect((await t.as(a!, { method: 'GET', url: `/api/v1/annotations/${x.id}` })).statusCode).toBe(404);
    expect(await taskRow(ctx, taskId!)).toMatchObject({
      total_annotations: 0,
      is_finished: false,
      status: 'in_progress',
    });
    // The history survives, for the author and for reviewers.
    for (const m of [a!, r]) {
      const history = await t.as(m, { method: 'GET', url: `/api/v1/annotations/${x.id}/reviews` });
      expect(history.statusCode).toBe(200);
      expect(history.json().items).toEqual([
        expect.objectContaining({ status: 'rejected', reject_mode: 'remove' }),
      ]);
    }
    // The task is open to anyone again.
    expect((await t.as(b!, { method: 'GET', url: `/api/v1/projects/${project.id}/next` })).json().id).toBe(
      taskId,
    );
  });

  it('fix: a new annotation by the reviewer as a child of the kept, approved original', async () => {
    const ctx = await testApp();
    const t = await newLabelingTenant(ctx);
    const project = await newProject(t);
    const [taskId] = await seedTasks(ctx, t, project, 1);
    const [a] = await annotators(t, project.id, 1);
    const r = await reviewer(t, project.id);
    const x = await annotate(t, a!, taskId!);
    const missing = await act(t, r, x.id, { action: 'fix' });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().errors[0].path).toBe('body/result');
    const invalid = await act(t, r, x.id, {
      action: 'fix',
      result: [{ from_name: 'sentiment', to_name: 'text', type: 'choices', value: { choices: ['Meh'] } }],
    });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json().errors[0].path).toBe('body/result/0/value/choices/0');

    const fixed = await act(t, r, x.id, {
      action: 'fix',
      result: sentiment('Negative'),
      comment: 'was negative',
    });
    expect(fixed.statusCode).toBe(200);
    const body = fixed.json();
    expect(body.annotation).toMatchObject({
      id: x.id,
      review_status: 'approved',
      result: sentiment('Positive'),
    });
    expect(body.fixed_annotation).toMatchObject({
      parent_annotation: x.id,
      completed_by: r.userId,
      result: sentiment('Negative'),
      review_status: 'approved',
    });
    expect(body.review).toMatchObject({ status: 'approved', fixed_annotation: body.fixed_annotation.id });
    // The fix replaces nothing in the counters: one annotator's annotation, reviewed.
    expect(await taskRow(ctx, taskId!)).toMatchObject({
      total_annotations: 1,
      is_finished: true,
      status: 'reviewed',
    });
    const all = await t.as(r, { method: 'GET', url: `/api/v1/tasks/${taskId}/annotations` });
    expect(all.json().items.map((i: { id: number }) => i.id)).toEqual([x.id, body.fixed_annotation.id]);
    // Deleting the original keeps the fix uncounted; deleting the fix then touches nothing.
    expect((await t.as(t.owner, { method: 'DELETE', url: `/api/v1/annotations/${x.id}` })).statusCode).toBe(
      204,
    );
    expect(await taskRow(ctx, taskId!)).toMatchObject({ total_annotations: 0, is_finished: false });
    expect(
      (await t.as(t.owner, { method: 'DELETE', url: `/api/v1/annotations/${body.fixed_annotation.id}` }))
        .statusCode,
    ).toBe(204);
    expect(await taskRow(ctx, taskId!)).toMatchObject({ total_annotations: 0, is_finished: false });
  });

  it('request_changes, start (in_review) and the history of states', async () => {
    const ctx = await testApp();
    const t = await newLabelingTenant(ctx);
    const project = await newProject(t);
    const [taskId] = await seedTasks(ctx, t, project, 1);
    const [a] = await annotators(t, project.id, 1);
    const r1 = await reviewer(t, project.id, 'R1');
    const r2 = await reviewer(t, project.id, 'R2');
    const x = await annotate(t, a!, taskId!);

    const taken = await act(t, r1, x.id, { action: 'start' });
    expect(taken.json()).toMatchObject({
      review: { status: 'in_review' },
      annotation: { review_status: 'in_review' },
    });
    expect(await queueIds(t, r1, project.id)).toEqual([x.id]);
    expect(await queueIds(t, r2, project.id)).toEqual([]);
    expect((await act(t, r2, x.id, { action: 'start' })).statusCode).toBe(409);

    const asked = await act(t, r1, x.id, { action: 'request_changes', comment: 'be precise' });
    expect(asked.json()).toMatchObject({
      review: { id: taken.json().review.id, status: 'modification_requested', comment: 'be precise' },
      annotation: { review_status: 'modification_requested' },
    });
    expect(await queueIds(t, r2, project.id)).toEqual([]);
    await t.as(a!, {
      method: 'PATCH',
      url: `/api/v1/annotations/${x.id}`,
      payload: { result: sentiment('Neutral') },
    });
    expect(await queueIds(t, r2, project.id)).toEqual([x.id]);
    await act(t, r2, x.id, { action: 'accept' });
    const history = await t.as(r1, { method: 'GET', url: `/api/v1/annotations/${x.id}/reviews` });
    expect(
      history.json().items.map((h: { status: string; reviewer: string }) => [h.status, h.reviewer]),
    ).toEqual([
      ['modification_requested', r1.userId],
      ['approved', r2.userId],
    ]);
    expect((await taskRow(ctx, taskId!)).status).toBe('reviewed');

    // Two reviewers taking the same annotation at once: exactly one gets it.
    const y = await annotate(t, a!, (await seedTasks(ctx, t, project, 1))[0]!);
    const both = await Promise.all([
      act(t, r1, y.id, { action: 'start' }),
      act(t, r2, y.id, { action: 'start' }),
    ]);
    expect(both.map((res) => res.statusCode).sort()).toEqual([200, 409]);
  });

  it('review assignments keep a task in its assigned reviewers’ queues only', async () => {
    const ctx = await testApp();
    const t = await newLabelingTenant(ctx);
    const project = await newProject(t);
    const ids = await seedTasks(ctx, t, project, 2);
    const [a] = await annotators(t, project.id, 1);
    const r1 = await reviewer(t, project.id, 'R1');
    const r2 = await reviewer(t, project.id, 'R2');
    const x = await annotate(t, a!, ids[0]!);
    const y = await annotate(t, a!, ids[1]!);
    const assigned = await t.as(t.owner, {
      method: 'POST',
      url: `/api/v1/projects/${project.id}/assignments`,
      payload: { task_ids: [ids[0]], user_ids: [r1.userId], mode: 'manual', kind: 'review' },
    });
    expect(assigned.statusCode).toBe(201);
    expect(await queueIds(t, r1, project.id)).toEqual([x.id, y.id]);
    expect(await queueIds(t, r2, project.id)).toEqual([y.id]);
    // An annotator-only member cannot be a review assignee.
    const bad = await t.as(t.owner, {
      method: 'POST',
      url: `/api/v1/projects/${project.id}/assignments`,
      payload: { task_ids: [ids[0]], user_ids: [a!.userId], mode: 'manual', kind: 'review' },
    });
    expect(bad.statusCode).toBe(400);
  });

  it('keeps counters right when reviews and new annotations race on one task', async () => {
    const ctx = await testApp();
    const t = await newLabelingTenant(ctx);
    const project = await newProject(t, { overlap: 4 });
    const [taskId] = await seedTasks(ctx, t, project, 1);
    const team = await annotators(t, project.id, 8);
    const r = await reviewer(t, project.id);
    const first = await Promise.all(team.slice(0, 4).map((m) => annotate(t, m, taskId!)));
    const results = await Promise.all([
      ...first.map((x, i) =>
        act(
          t,
          r,
          x.id,
          i % 2 === 0
            ? { action: 'reject', reject_mode: i === 0 ? 'remove' : 'requeue' }
            : { action: 'accept' },
        ),
      ),
      ...team.slice(4).map((m) =>
        t.as(m, {
          method: 'POST',
          url: `/api/v1/tasks/${taskId}/annotations`,
          payload: { result: sentiment() },
        }),
      ),
    ]);
    expect(results.map((res) => res.statusCode)).toEqual([200, 200, 200, 200, 201, 201, 201, 201]);
    // 4 + 4 annotations, one removed and one rejected: 6 count.
    const [counted] = await systemSql<{ n: number }>(
      ctx,
      sql`select count(*)::int as n from annotations where task_id = ${taskId}
        and not was_cancelled and review_status is distinct from 'rejected'`,
    );
    expect(counted!.n).toBe(6);
    expect(await taskRow(ctx, taskId!)).toMatchObject({
      total_annotations: 6,
      is_finished: true,
      status: 'completed',
    });
  });

  it('hides another tenant’s annotations (404)', async () => {
    const ctx = await testApp();
    const t = await newLabelingTenant(ctx);
    const project = await newProject(t);
    const [taskId] = await seedTasks(ctx, t, project, 1);
    const x = await annotate(t, t.owner, taskId!);
    const other = await newLabelingTenant(ctx);
    for (const req of [
      { method: 'POST' as const, url: `/api/v1/annotations/${x.id}/review`, payload: { action: 'accept' } },
      { method: 'GET' as const, url: `/api/v1/annotations/${x.id}/reviews` },
      { method: 'GET' as const, url: `/api/v1/annotations/${x.id}` },
      { method: 'PATCH' as const, url: `/api/v1/annotations/${x.id}`, payload: { lead_time: 1 } },
      { method: 'DELETE' as const, url: `/api/v1/annotations/${x.id}` },
      { method: 'GET' as const, url: `/api/v1/projects/${project.id}/review-queue` },
      { method: 'GET' as const, url: `/api/v1/projects/${project.id}/assignments` },
    ]) {
      expect((await other.as(other.owner, req)).statusCode, `${req.method} ${req.url}`).toBe(404);
    }
    expect(
      (await t.as(t.owner, { method: 'GET', url: `/api/v1/annotations/${x.id}` })).json().review_status,
    ).toBeNull();
  });
});
