import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { newProject } from '../../../../test/annotation-fixtures.ts';
import { newTenant } from '../../../../test/fixtures.ts';
import { testApp } from '../../../../test/helpers.ts';
import { joinProject, seedTasks, systemSql } from '../../../../test/labeling-fixtures.ts';
import { choice, settledJobs, submit } from '../../../../test/quality-ops-fixtures.ts';

describe('improvement loop', () => {
  it('turns a failed check into an assigned task, and an approval fixes the annotation keeping the original', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const project = await newProject(t);
    const annotator = await t.member(['annotator'], 'Ann');
    const reviewer = await t.member(['reviewer'], 'Rev');
    await joinProject(t, project.id, annotator, 'annotator');
    await joinProject(t, project.id, reviewer, 'reviewer');
    const [taskId] = await seedTasks(ctx, t, project, 1);

    const wf = await t.as(t.owner, {
      method: 'PUT',
      url: `/api/v1/projects/${project.id}/quality/workflow`,
      payload: { auto_create_improvement: true, auto_assign: 'annotator', min_severity: 'medium' },
    });
    expect(wf.statusCode, wf.body).toBe(200);
    const rule = await t.as(t.owner, {
      method: 'POST',
      url: `/api/v1/projects/${project.id}/quality/rules`,
      payload: {
        name: 'Positive or Neutral',
        type: 'allowed_labels',
        config: { labels: ['Positive', 'Neutral'] },
        severity: 'high',
      },
    });
    expect(rule.statusCode).toBe(201);
    // A low-severity failure stays an issue: below the workflow's minimum.
    await t.as(t.owner, {
      method: 'POST',
      url: `/api/v1/projects/${project.id}/quality/rules`,
      payload: { name: 'Slow', type: 'min_lead_time', config: { seconds: 60 }, severity: 'low' },
    });

    const annotationId = await submit(t, annotator, taskId!, choice('Negative'), 12);
    await settledJobs(ctx, t.tenantId, 'quality.check');

    const mine = (await t.as(annotator, { method: 'GET', url: '/api/v1/quality/improvement-tasks' })).json()
      .items;
    expect(mine).toHaveLength(1);
    const task = mine[0];
    expect(task).toMatchObject({
      annotation_id: annotationId,
      task_id: taskId,
      project_id: project.id,
      status: 'pending',
      assignee_id: annotator.userId,
      original_result: choice('Negative'),
    });
    const issues = (
      await t.as(t.owner, { method: 'GET', url: `/api/v1/projects/${project.id}/quality/issues` })
    ).json().items;
    expect(issues.map((i: { task_id: number }) => i.task_id)).toEqual([taskId, taskId]);
    expect(issues.map((i: { status: string; severity: string }) => [i.severity, i.status]).sort()).toEqual([
      ['high', 'in_progress'],
      ['low', 'open'],
    ]);

    const move = (as: typeof annotator, payload: object) =>
      t.as(as, { method: 'POST', url: `/api/v1/quality/improvement-tasks/${task.id}/transitions`, payload });
    // Wrong moves: skipping ahead (409); the annotator deciding (403); submitting without a result (400).
    expect((await move(annotator, { to: 'submitted', result: choice('Positive') })).statusCode).toBe(409);
    expect((await move(annotator, { to: 'in_progress' })).json().status).toBe('in_progress');
    expect((await move(annotator, { to: 'submitted' })).statusCode).toBe(400);
    expect((await move(annotator, { to: 'submitted', result: choice('Neutral') })).json()).toMatchObject({
      status: 'submitted',
      proposed_result: choice('Neutral'),
    });
    expect((await move(annotator, { to: 'approved' })).statusCode).toBe(403);
    // Another annotator does not see the task at all.
    const stranger = await t.member(['annotator'], 'Other');
    expect(
      (await t.as(stranger, { method: 'GET', url: `/api/v1/quality/improvement-tasks/${task.id}` }))
        .statusCode,
    ).toBe(404);
    expect((await move(stranger, { to: 'in_progress' })).statusCode).toBe(404);

    expect((await move(reviewer, { to: 'rejected', comment: 'Should be positive' })).json().status).toBe(
      'rejected',
    );
    expect((await move(annotator, { to: 'in_progress' })).json().status).toBe('in_progress');
    expect((await move(annotator, { to: 'submitted', result: choice('Positive') })).json().status).toBe(
      'submitted',
    );
    // The annotation is untouched until approval.
    const stillOld = await t.as(t.owner, { method: 'GET', url: `/api/v1/annotations/${annotationId}` });
    expect(stillOld.json().result).toEqual(choice('Negative'));
    const approved = await move(reviewer, { to: 'approved', comment: 'Good' });
    expect(approved.json()).toMatchObject({ status: 'approved', original_result: choice('Negative') });

    const updated = await t.as(t.owner, { method: 'GET', url: `/api/v1/annotations/${annotationId}` });
    expect(updated.json().result).toEqual(choice('Positive'));
    const fixedIssue = (
      await t.as(t.owner, {
        method: 'GET',
        url: `/api/v1/projects/${project.id}/quality/issues?status=resolved`,
      })
    ).json().items;
    expect(fixedIssue).toHaveLength(1);
    expect(fixedIssue[0].severity).toBe('high');

    // The approval re-checks the annotation (ANNOTATION_UPDATED): the label rule passes now.
    const runs = await settledJobs(ctx, t.tenantId, 'quality.check', 2);
    expect(runs.at(-1)!.result).toMatchObject({ checked: 2, failed: 1 });

    // Reopen; every move is in the history, the approval with the result it replaced.
    expect((await move(reviewer, { to: 'pending', comment: 'Look again' })).json().status).toBe('pending');
    const full = (
      await t.as(annotator, { method: 'GET', url: `/api/v1/quality/improvement-tasks/${task.id}` })
    ).json();
    expect(full.history.map((h: { from: string | null; to: string }) => `${h.from}->${h.to}`)).toEqual([
      'null->pending',
      'pending->in_progress',
      'in_progress->submitted',
      'submitted->rejected',
      'rejected->in_progress',
      'in_progress->submitted',
      'submitted->approved',
      'approved->pending',
    ]);
    const approval = full.history[6];
    expect(approval).toMatchObject({
      actor_id: reviewer.userId,
      comment: 'Good',
      details: { replaced_result: choice('Negative'), new_result: choice('Positive') },
    });
    const [count] = await systemSql<{ n: number }>(
      ctx,
      sql`select count(*)::int as n from improvement_history where improvement_task_id = ${task.id}`,
    );
    expect(count!.n).toBe(8);
  }, 180_000);

  it('lets a reviewer make and assign tasks by hand; project lists need quality:review', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const project = await newProject(t);
    const annotator = await t.member(['annotator'], 'Ann');
    const reviewer = await t.member(['reviewer'], 'Rev');
    // A project's quality pages are for its members (and tenant-wide managers).
    await joinProject(t, project.id, reviewer, 'reviewer');
    const [taskId] = await seedTasks(ctx, t, project, 1);
    const annotationId = await submit(t, t.owner, taskId!, choice('Neutral'));
    const made = await t.as(reviewer, {
      method: 'POST',
      url: '/api/v1/quality/improvement-tasks',
      payload: { annotation_id: annotationId, comment: 'check the tone' },
    });
    expect(made.statusCode, made.body).toBe(201);
    // The workflow's default gives a task made by hand to the annotation's author, as a check's.
    expect(made.json()).toMatchObject({
      issue_id: null,
      assignee_id: t.owner.userId,
      task_id: taskId,
      status: 'pending',
    });
    const assigned = await t.as(reviewer, {
      method: 'PATCH',
      url: `/api/v1/quality/improvement-tasks/${made.json().id}`,
      payload: { assignee_id: annotator.userId },
    });
    expect(assigned.json()).toMatchObject({ assignee_id: annotator.userId, task_id: taskId });
    expect(
      (
        await t.as(annotator, {
          method: 'GET',
          url: `/api/v1/projects/${project.id}/quality/improvement-tasks`,
        })
      ).statusCode,
    ).toBe(403);
    const list = await t.as(reviewer, {
      method: 'GET',
      url: `/api/v1/projects/${project.id}/quality/improvement-tasks?status=pending`,
    });
    expect(list.json().items.map((x: { id: number }) => x.id)).toEqual([made.json().id]);
    expect(
      (
        await t.as(reviewer, {
          method: 'POST',
          url: '/api/v1/quality/improvement-tasks',
          payload: { annotation_id: 999_999_999 },
        })
      ).statusCode,
    ).toBe(404);
  });
  it('assigns a task made by hand per the workflow setting, and its assignee reads the annotation', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const project = await newProject(t);
    const author = await t.member(['annotator'], 'Author');
    const fixer = await t.member(['annotator'], 'Fixer');
    const stranger = await t.member(['annotator'], 'Stranger');
    for (const m of [author, fixer, stranger]) await joinProject(t, project.id, m, 'annotator');
    const [taskId] = await seedTasks(ctx, t, project, 1);
    const annotationId = await submit(t, author, taskId!, choice('Negative'));
    const make = (payload: object) =>
      t.as(t.owner, {
        method: 'POST',
        url: '/api/v1/quality/improvement-tasks',
        payload: { annotation_id: annotationId, ...payload },
      });
    const workflow = (payload: object) =>
      t.as(t.owner, {
        method: 'PUT',
        url: `/api/v1/projects/${project.id}/quality/workflow`,
        payload: { auto_create_improvement: false, ...payload },
      });

    expect((await make({})).json().assignee_id).toBe(author.userId);
    expect((await workflow({ auto_assign: 'none' })).statusCode).toBe(200);
    expect((await make({})).json().assignee_id).toBeNull();
    expect((await workflow({ auto_assign: 'user', assignee_id: fixer.userId })).statusCode).toBe(200);
    const forFixer = await make({});
    expect(forFixer.json()).toMatchObject({ assignee_id: fixer.userId, task_id: taskId });
    // Given explicitly, the assignee (or no one) wins over the setting.
    expect((await make({ assignee_id: null })).json().assignee_id).toBeNull();
    expect((await make({ assignee_id: author.userId })).json().assignee_id).toBe(author.userId);

    // The assignee opens the annotation through the task, though it is not theirs.
    const url = `/api/v1/quality/improvement-tasks/${forFixer.json().id}/annotation`;
    const opened = await t.as(fixer, { method: 'GET', url });
    expect(opened.statusCode, opened.body).toBe(200);
    expect(opened.json()).toMatchObject({
      annotation: { id: annotationId, task: taskId, result: choice('Negative'), completed_by: author.userId },
      task: { id: taskId, data: expect.any(Object) },
    });
    expect(
      (await t.as(fixer, { method: 'GET', url: `/api/v1/annotations/${annotationId}` })).statusCode,
    ).toBe(404);
    expect((await t.as(stranger, { method: 'GET', url })).statusCode).toBe(404);
    expect((await t.as(t.owner, { method: 'GET', url })).statusCode).toBe(200);
    const other = await newTenant(ctx);
    expect((await other.as(other.owner, { method: 'GET', url })).statusCode).toBe(404);
  });

  it('approves only a result the labeling config allows, and announces it to webhooks', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const project = await newProject(t);
    const [taskId] = await seedTasks(ctx, t, project, 1);
    const annotationId = await submit(t, t.owner, taskId!, choice('Neutral'));
    const hook = await t.as(t.owner, {
      method: 'POST',
      url: '/api/v1/webhooks',
      payload: { url: 'http://127.0.0.1:9/hook', events: ['ANNOTATION_UPDATED'], project_id: project.id },
    });
    expect(hook.statusCode, hook.body).toBe(201);
    const made = await t.as(t.owner, {
      method: 'POST',
      url: '/api/v1/quality/improvement-tasks',
      payload: { annotation_id: annotationId, assignee_id: t.owner.userId },
    });
    const move = (payload: object) =>
      t.as(t.owner, {
        method: 'POST',
        url: `/api/v1/quality/improvement-tasks/${made.json().id}/transitions`,
        payload,
      });
    expect((await move({ to: 'in_progress' })).statusCode).toBe(200);
    expect((await move({ to: 'submitted', result: choice('Furious') })).statusCode).toBe(200);
    const refused = await move({ to: 'approved' });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().errors.length).toBeGreaterThan(0);
    const kept = await t.as(t.owner, { method: 'GET', url: `/api/v1/annotations/${annotationId}` });
    expect(kept.json().result).toEqual(choice('Neutral'));

    expect((await move({ to: 'rejected' })).statusCode).toBe(200);
    expect((await move({ to: 'in_progress' })).statusCode).toBe(200);
    expect((await move({ to: 'submitted', result: choice('Positive') })).statusCode).toBe(200);
    expect((await move({ to: 'approved' })).statusCode).toBe(200);
    const deliveries = await ctx.platform.database.raw.query(
      'select event, payload from webhook_deliveries where webhook_id = $1',
      [hook.json().id],
    );
    expect(deliveries.rows.map((r) => r.event)).toEqual(['ANNOTATION_UPDATED']);
    expect(deliveries.rows[0]!.payload).toMatchObject({
      annotation: { id: annotationId, result: choice('Positive') },
      source: { improvement_task: made.json().id },
    });
  });
});
