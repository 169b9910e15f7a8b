import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { newProject } from '../../../../test/annotation-fixtures.ts';

import { testApp } from '../../../../test/helpers.ts';
import {
  annotators,
  joinProject,
  newLabelingTenant,
  seedTasks,
  sentiment,
  systemSql,
  taskRow,
  unauditedMutations,
} from '../../../../test/labeling-fixtures.ts';

describe('annotations', () => {
  it('creates an annotation in Label Studio shape and moves the counters and status', async () => {
    const ctx = await testApp();
    const t = await newLabelingTenant(ctx);
    const project = await newProject(t, { overlap: 2 });
    const [taskId] = await seedTasks(ctx, t, project, 1);
    const [a, b] = await annotators(t, project.id, 2);
    const before = await unauditedMutations(ctx);
    expect((await taskRow(ctx, taskId!)).status).toBe('pending');

    const res = await t.as(a!, {
      method: 'POST',
      url: `/api/v1/tasks/${taskId}/annotations`,
      payload: { result: sentiment('Positive'), lead_time: 12.5 },
    });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({
      task: taskId,
      project: project.id,
      result: sentiment('Positive'),
      lead_time: 12.5,
      was_cancelled: false,
      ground_truth: false,
      completed_by: a!.userId,
      review_status: null,
    });
    expect(typeof body.id).toBe('number');
    expect(new Date(body.created_at).toISOString()).toBe(body.created_at);
    expect(await taskRow(ctx, taskId!)).toMatchObject({
      total_annotations: 1,
      cancelled_annotations: 0,
      is_finished: false,
      status: 'in_progress',
    });

    const second = await t.as(b!, {
      method: 'POST',
      url: `/api/v1/tasks/${taskId}/annotations`,
      payload: { result: sentiment('Negative') },
    });
    expect(second.statusCode).toBe(201);
    expect(await taskRow(ctx, taskId!)).toMatchObject({
      total_annotations: 2,
      is_finished: true,
      status: 'completed',
    });
    expect(await unauditedMutations(ctx)).toBe(before);
    const audit = await t.as(t.owner, { method: 'GET', url: '/api/v1/audit/logs?action=annotation.created' });
    expect(audit.statusCode).toBe(200);
    expect(audit.json().items).toHaveLength(2);
  });

  it('refuses a result that does not match the config with a 400 naming each path', async () => {
    const ctx = await testApp();
    const t = await newLabelingTenant(ctx);
    const project = await newProject(t);
    const [taskId] = await seedTasks(ctx, t, project, 1);
    const bad = await t.as(t.owner, {
      method: 'POST',
      url: `/api/v1/tasks/${taskId}/annotations`,
      payload: {
        result: [
          { from_name: 'nope', to_name: 'text', type: 'choices', value: { choices: ['Positive'] } },
          { from_name: 'sentiment', to_name: 'text', type: 'choices', value: { choices: ['Ecstatic'] } },
          { from_name: 'sentiment', to_name: 'image', type: 'labels', value: {} },
        ],
      },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    const paths = bad.json().errors.map((e: { path: string }) => e.path);
    expect(paths).toContain('body/result/0/from_name');
    expect(paths).toContain('body/result/1/value/choices/0');
    expect(paths).toContain('body/result/2/to_name');
    const notArray = await t.as(t.owner, {
      method: 'POST',
      url: `/api/v1/tasks/${taskId}/annotations`,
      payload: { result: { from_name: 'sentiment' } },
    });
    expect(notArray.statusCode).toBe(400);
    const extra = await t.as(t.owner, {
      method: 'POST',
      url: `/api/v1/tasks/${taskId}/annotations`,
      payload: { result: [], surprise: 1 },
    });
    expect(extra.statusCode).toBe(400);
    expect(extra.json().errors[0].path).toBe('body/surprise');
    const missingPrediction = await t.as(t.owner, {
      method: 'POST',
      url: `/api/v1/tasks/${taskId}/annotations`,
      payload: { result: sentiment(), parent_prediction: 999999999 },
    });
    expect(missingPrediction.statusCode).toBe(400);
    expect(missingPrediction.json().errors[0].path).toBe('body/parent_prediction');
    // Nothing of the refused requests landed.
    expect(await taskRow(ctx, taskId!)).toMatchObject({ total_annotations: 0, status: 'pending' });
  });

  it('counts a skip as cancelled; it finishes the task only under the ignore policy', async () => {
    const ctx = await testApp();
    const t = await newLabelingTenant(ctx);
    for (const [policy, finished] of [
      ['requeue_others', false],
      ['requeue_me', false],
      ['ignore', true],
    ] as const) {
      const project = await newProject(t, { skip_policy: policy });
      const [taskId] = await seedTasks(ctx, t, project, 1);
      const skip = await t.as(t.owner, {
        method: 'POST',
        url: `/api/v1/tasks/${taskId}/annotations`,
        payload: { was_cancelled: true, result: [] },
      });
      expect(skip.statusCode).toBe(201);
      expect(skip.json().was_cancelled).toBe(true);
      expect(await taskRow(ctx, taskId!), policy).toMatchObject({
        total_annotations: 0,
        cancelled_annotations: 1,
        is_finished: finished,
        status: finished ? 'completed' : 'in_progress',
      });
    }
  });

  it('lets the author or a project manager change and delete an annotation, and keeps counters right', async () => {
    const ctx = await testApp();
    const t = await newLabelingTenant(ctx);
    const project = await newProject(t);
    const [taskId] = await seedTasks(ctx, t, project, 1);
    const [a, b] = await annotators(t, project.id, 2);
    const boss = await t.member(['annotator'], 'Boss');
    await joinProject(t, project.id, boss, 'manager');
    const created = await t.as(a!, {
      method: 'POST',
      url: `/api/v1/tasks/${taskId}/annotations`,
      payload: { result: sentiment('Positive') },
    });
    const id = created.json().id;
    expect(await taskRow(ctx, taskId!)).toMatchObject({ total_annotations: 1, is_finished: true });

    const other = await t.as(b!, {
      method: 'PATCH',
      url: `/api/v1/annotations/${id}`,
      payload: { result: sentiment('Negative') },
    });
    expect(other.statusCode).toBe(403);
    const invalid = await t.as(a!, {
      method: 'PATCH',
      url: `/api/v1/annotations/${id}`,
      payload: { result: [{ from_name: 'sentiment', to_name: 'text', type: 'choices', value: {} }] },
    });
    expect(invalid.statusCode).toBe(400);
    const own = await t.as(a!, {
      method: 'PATCH',
      url: `/api/v1/annotations/${id}`,
      payload: { result: sentiment('Neutral'), lead_time: 3 },
    });
    expect(own.statusCode).toBe(200);
    expect(own.json()).toMatchObject({ result: sentiment('Neutral'), lead_time: 3 });
    const byManager = await t.as(boss, {
      method: 'PATCH',
      url: `/api/v1/annotations/${id}`,
      payload: { ground_truth: true },
    });
    expect(byManager.statusCode).toBe(200);
    expect(byManager.json()).toMatchObject({ ground_truth: true, completed_by: a!.userId });

    // Turning it into a skip moves it between the counters.
    const toSkip = await t.as(a!, {
      method: 'PATCH',
      url: `/api/v1/annotations/${id}`,
      payload: { was_cancelled: true },
    });
    expect(toSkip.statusCode).toBe(200);
    expect(await taskRow(ctx, taskId!)).toMatchObject({
      total_annotations: 0,
      cancelled_annotations: 1,
      is_finished: false,
      status: 'in_progress',
    });
    await t.as(a!, { method: 'PATCH', url: `/api/v1/annotations/${id}`, payload: { was_cancelled: false } });
    expect(await taskRow(ctx, taskId!)).toMatchObject({ total_annotations: 1, cancelled_annotations: 0 });

    expect((await t.as(b!, { method: 'DELETE', url: `/api/v1/annotations/${id}` })).statusCode).toBe(403);
    expect((await t.as(boss, { method: 'DELETE', url: `/api/v1/annotations/${id}` })).statusCode).toBe(204);
    expect((await t.as(a!, { method: 'GET', url: `/api/v1/annotations/${id}` })).statusCode).toBe(404);
    expect(await taskRow(ctx, taskId!)).toMatchObject({
      total_annotations: 0,
      is_finished: false,
      status: 'in_progress',
    });
  });

  it('shows an annotator only their own annotations; annotations:read sees all, with a cursor', async () => {
    const ctx = await testApp();
    const t = await newLabelingTenant(ctx);
    const project = await newProject(t, { overlap: 3 });
    const [taskId] = await seedTasks(ctx, t, project, 1);
    const team = await annotators(t, project.id, 3);
    const viewer = await t.member(['viewer'], 'Viewer');
    await joinProject(t, project.id, viewer, 'viewer');
    const ids: number[] = [];
    for (const m of team) {
      const r = await t.as(m, {
        method: 'POST',
        url: `/api/v1/tasks/${taskId}/annotations`,
        payload: { result: sentiment() },
      });
      ids.push(r.json().id);
    }
    const own = await t.as(team[1]!, { method: 'GET', url: `/api/v1/tasks/${taskId}/annotations` });
    expect(own.json().items.map((x: { id: number }) => x.id)).toEqual([ids[1]]);
    expect((await t.as(team[1]!, { method: 'GET', url: `/api/v1/annotations/${ids[0]}` })).statusCode).toBe(
      404,
    );

    const page1 = await t.as(viewer, { method: 'GET', url: `/api/v1/tasks/${taskId}/annotations?limit=2` });
    expect(page1.json().items.map((x: { id: number }) => x.id)).toEqual(ids.slice(0, 2));
    const page2 = await t.as(viewer, {
      method: 'GET',
      url: `/api/v1/tasks/${taskId}/annotations?limit=2&cursor=${page1.json().next_cursor}`,
    });
    expect(page2.json()).toEqual({ items: [expect.objectContaining({ id: ids[2] })], next_cursor: null });
    expect((await t.as(viewer, { method: 'GET', url: `/api/v1/annotations/${ids[0]}` })).json().id).toBe(
      ids[0],
    );
  });

  it('keeps counters exact when ten annotators submit on one task at the same moment', async () => {
    const ctx = await testApp();
    const t = await newLabelingTenant(ctx);
    const project = await newProject(t, { overlap: 3 });
    const [taskId] = await seedTasks(ctx, t, project, 1);
    const team = await annotators(t, project.id, 14);
    const results = await Promise.all(
      team.map((m, i) =>
        t.as(m, {
          method: 'POST',
          url: `/api/v1/tasks/${taskId}/annotations`,
          payload: i < 10 ? { result: sentiment() } : { result: [], was_cancelled: true },
        }),
      ),
    );
    expect(results.map((r) => r.statusCode)).toEqual(team.map(() => 201));
    expect(await taskRow(ctx, taskId!)).toMatchObject({
      total_annotations: 10,
      cancelled_annotations: 4,
      is_finished: true,
      status: 'completed',
    });
    // And back down, concurrently too.
    const deletes = await Promise.all(
      results
        .slice(0, 8)
        .map((r, i) => t.as(team[i]!, { method: 'DELETE', url: `/api/v1/annotations/${r.json().id}` })),
    );
    expect(deletes.map((r) => r.statusCode)).toEqual(deletes.map(() => 204));
    expect(await taskRow(ctx, taskId!)).toMatchObject({
      total_annotations: 2,
      cancelled_annotations: 4,
      is_finished: false,
      status: 'in_progress',
    });
    const [count] = await systemSql<{ n: number }>(
      ctx,
      sql`select count(*)::int as n from annotations where task_id = ${taskId} and not was_cancelled`,
    );
    expect(count!.n).toBe(2);
  });

  it('refuses a viewer (403), a non-member (404) and another tenant (404)', async () => {
    const ctx = await testApp();
    const t = await newLabelingTenant(ctx);
    const project = await newProject(t);
    const [taskId] = await seedTasks(ctx, t, project, 1);
    const viewer = await t.member(['viewer'], 'Viewer');
    await joinProject(t, project.id, viewer, 'viewer');
    const outsider = await t.member(['annotator'], 'Outsider');
    const asViewer = await t.as(viewer, {
      method: 'POST',
      url: `/api/v1/tasks/${taskId}/annotations`,
      payload: { result: sentiment() },
    });
    expect(asViewer.statusCode).toBe(403);
    const asOutsider = await t.as(outsider, {
      method: 'POST',
      url: `/api/v1/tasks/${taskId}/annotations`,
      payload: { result: sentiment() },
    });
    expect(asOutsider.statusCode).toBe(404);
    // A project annotator-member who is only a viewer there cannot annotate either.
    const readOnly = await t.member(['annotator'], 'ReadOnly');
    await joinProject(t, project.id, readOnly, 'viewer');
    expect(
      (
        await t.as(readOnly, {
          method: 'PUT',
          url: `/api/v1/tasks/${taskId}/draft`,
          payload: { result: [] },
        })
      ).statusCode,
    ).toBe(404);

    const other = await newLabelingTenant(ctx);
    for (const req of [
      {
        method: 'POST' as const,
        url: `/api/v1/tasks/${taskId}/annotations`,
        payload: { result: sentiment() },
      },
      { method: 'GET' as const, url: `/api/v1/tasks/${taskId}/annotations` },
      { method: 'PUT' as const, url: `/api/v1/tasks/${taskId}/draft`, payload: { result: [] } },
      { method: 'POST' as const, url: `/api/v1/tasks/${taskId}/predictions`, payload: { result: [] } },
      { method: 'GET' as const, url: `/api/v1/projects/${project.id}/next` },
      { method: 'GET' as const, url: `/api/v1/projects/${project.id}/predictions` },
    ]) {
      const res = await other.as(other.owner, req);
      expect(res.statusCode, `${req.method} ${req.url}`).toBe(404);
    }
    expect(await taskRow(ctx, taskId!)).toMatchObject({ total_annotations: 0, total_predictions: 0 });
  });
});

describe('drafts', () => {
  it('autosaves one draft per user and task, starts the task, and ends with the submission', async () => {
    const ctx = await testApp();
    const t = await newLabelingTenant(ctx);
    const project = await newProject(t);
    const [taskId] = await seedTasks(ctx, t, project, 1);
    const [a, b] = await annotators(t, project.id, 2);
    const before = await unauditedMutations(ctx);
    expect((await t.as(a!, { method: 'GET', url: `/api/v1/tasks/${taskId}/draft` })).statusCode).toBe(404);
    const first = await t.as(a!, {
      method: 'PUT',
      url: `/api/v1/tasks/${taskId}/draft`,
      payload: { result: sentiment('Negative'), lead_time: 4 },
    });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ task: taskId, user: a!.userId, result: sentiment('Negative') });
    expect((await taskRow(ctx, taskId!)).status).toBe('in_progress');
    const second = await t.as(a!, {
      method: 'PUT',
      url: `/api/v1/tasks/${taskId}/draft`,
      payload: { result: sentiment('Neutral'), lead_time: 9 },
    });
    expect(second.json().id).toBe(first.json().id);
    const got = await t.as(a!, { method: 'GET', url: `/api/v1/tasks/${taskId}/draft` });
    expect(got.json()).toMatchObject({ result: sentiment('Neutral'), lead_time: 9 });
    // Another annotator's draft is their own.
    expect((await t.as(b!, { method: 'GET', url: `/api/v1/tasks/${taskId}/draft` })).statusCode).toBe(404);
    await t.as(b!, { method: 'PUT', url: `/api/v1/tasks/${taskId}/draft`, payload: { result: [] } });

    const submitted = await t.as(a!, {
      method: 'POST',
      url: `/api/v1/tasks/${taskId}/annotations`,
      payload: { result: sentiment('Neutral'), draft_id: first.json().id },
    });
    expect(submitted.statusCode).toBe(201);
    expect((await t.as(a!, { method: 'GET', url: `/api/v1/tasks/${taskId}/draft` })).statusCode).toBe(404);
    expect((await t.as(b!, { method: 'GET', url: `/api/v1/tasks/${taskId}/draft` })).statusCode).toBe(200);
    expect((await t.as(b!, { method: 'DELETE', url: `/api/v1/tasks/${taskId}/draft` })).statusCode).toBe(204);
    expect((await t.as(b!, { method: 'GET', url: `/api/v1/tasks/${taskId}/draft` })).statusCode).toBe(404);
    // Autosave is declared unaudited, so the unaudited-mutation counter does not move.
    expect(await unauditedMutations(ctx)).toBe(before);
  });
});

describe('predictions', () => {
  it('adds predictions singly, keeps total_predictions and the lowest score, and deletes', async () => {
    const ctx = await testApp();
    const t = await newLabelingTenant(ctx);
    const project = await newProject(t);
    const [taskId] = await seedTasks(ctx, t, project, 1);
    const bad = await t.as(t.owner, {
      method: 'POST',
      url: `/api/v1/tasks/${taskId}/predictions`,
      payload: { result: [{ from_name: 'sentiment', to_name: 'text', type: 'rating', value: {} }] },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].path).toBe('body/result/0/type');
    const ids: number[] = [];
    for (const score of [0.8, 0.3, null, 0.6]) {
      const r = await t.as(t.owner, {
        method: 'POST',
        url: `/api/v1/tasks/${taskId}/predictions`,
        payload: { result: sentiment(), score, model_version: 'v1' },
      });
      expect(r.statusCode).toBe(201);
      expect(r.json()).toMatchObject({ task: taskId, result: sentiment(), score, model_version: 'v1' });
      ids.push(r.json().id);
    }
    const row = await taskRow(ctx, taskId!);
    expect(row.total_predictions).toBe(4);
    expect(row.prediction_score).toBeCloseTo(0.3, 5);
    expect((await t.as(t.owner, { method: 'DELETE', url: `/api/v1/predictions/${ids[1]}` })).statusCode).toBe(
      204,
    );
    const after = await taskRow(ctx, taskId!);
    expect(after.total_predictions).toBe(3);
    expect(after.prediction_score).toBeCloseTo(0.6, 5);
  });

  it('refuses predictions without tasks:import, and annotators cannot add them', async () => {
    const ctx = await testApp();
    const t = await newLabelingTenant(ctx);
    const project = await newProject(t);
    const [taskId] = await seedTasks(ctx, t, project, 1);
    const [a] = await annotators(t, project.id, 1);
    const res = await t.as(a!, {
      method: 'POST',
      url: `/api/v1/tasks/${taskId}/predictions`,
      payload: { result: sentiment() },
    });
    expect(res.statusCode).toBe(403);
    const list = await t.as(a!, { method: 'GET', url: `/api/v1/projects/${project.id}/predictions` });
    expect(list.statusCode).toBe(200);
  });

  it('adds up to 10,000 predictions in one all-or-nothing call, lists them by model version', async () => {
    const ctx = await testApp();
    const t = await newLabelingTenant(ctx);
    const project = await newProject(t);
    const other = await newProject(t);
    const taskIds = await seedTasks(ctx, t, project, 50);
    const [foreign] = await seedTasks(ctx, t, other, 1);

    const refused = await t.as(t.owner, {
      method: 'POST',
      url: `/api/v1/projects/${project.id}/predictions`,
      payload: [
        { task: taskIds[0], result: sentiment(), score: 0.5, model_version: 'm1' },
        { task: foreign, result: sentiment(), score: 0.5, model_version: 'm1' },
        { task: taskIds[1], result: [{ from_name: 'x' }], model_version: 'm1' },
      ],
    });
    expect(refused.statusCode).toBe(400);
    const paths = refused.json().errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['body/1/task', 'body/2/result/0/from_name']));
    const [none] = await systemSql<{ n: number }>(
      ctx,
      sql`select count(*)::int as n from predictions where project_id = ${project.id}`,
    );
    expect(none!.n).toBe(0);

    const tooMany = await t.as(t.owner, {
      method: 'POST',
      url: `/api/v1/projects/${project.id}/predictions`,
      payload: Array.from({ length: 10_001 }, () => ({ task: taskIds[0], result: [] })),
    });
    expect(tooMany.statusCode).toBe(400);

    // 10,000 predictions: 200 per task, model m1 with scores, then m2 without.
    const items = Array.from({ length: 10_000 }, (_, i) => ({
      task: taskIds[i % 50]!,
      result: sentiment(),
      score: i < 5000 ? ((i * 7) % 1000) / 1000 + 0.001 : null,
      model_version: i < 5000 ? 'm1' : 'm2',
    }));
    const ok = await t.as(t.owner, {
      method: 'POST',
      url: `/api/v1/projects/${project.id}/predictions`,
      payload: items,
    });
    expect(ok.statusCode).toBe(201);
    expect(ok.json()).toEqual({ created: 10_000, tasks: 50 });
    for (const [i, id] of taskIds.entries()) {
      const expected = Math.min(
        ...items.filter((p) => p.task === id && p.score !== null).map((p) => p.score as number),
      );
      const row = await taskRow(ctx, id);
      expect(row.total_predictions, `task ${i}`).toBe(200);
      expect(row.prediction_score).toBeCloseTo(expected, 5);
    }

    const versions = await t.as(t.owner, {
      method: 'GET',
      url: `/api/v1/projects/${project.id}/model-versions`,
    });
    expect(
      versions.json().items.map((v: { model_version: string; count: number }) => [v.model_version, v.count]),
    ).toEqual([
      ['m1', 5000],
      ['m2', 5000],
    ]);

    // Page through m2 with a cursor: every prediction once, in id order.
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const page = await t.as(t.owner, {
        method: 'GET',
        url: `/api/v1/projects/${project.id}/predictions?model_version=m2&limit=1000${cursor ? `&cursor=${cursor}` : ''}`,
      });
      expect(page.statusCode).toBe(200);
      const body = page.json();
      for (const p of body.items) {
        expect(p.model_version).toBe('m2');
        seen.push(p.id);
      }
      cursor = body.next_cursor;
    } while (cursor);
    expect(seen).toHaveLength(5000);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
    const byTask = await t.as(t.owner, {
      method: 'GET',
      url: `/api/v1/projects/${project.id}/predictions?task=${taskIds[3]}&limit=1000`,
    });
    expect(byTask.json().items).toHaveLength(200);
    expect(byTask.json().items.every((p: { task: number }) => p.task === taskIds[3])).toBe(true);
  });

  it('keeps prediction counters exact under concurrent writes to one task', async () => {
    const ctx = await testApp();
    const t = await newLabelingTenant(ctx);
    const project = await newProject(t);
    const [taskId, second] = await seedTasks(ctx, t, project, 2);
    const scores = Array.from({ length: 12 }, (_, i) => 0.9 - i * 0.05);
    const res = await Promise.all([
      ...scores.map((score) =>
        t.as(t.owner, {
          method: 'POST',
          url: `/api/v1/tasks/${taskId}/predictions`,
          payload: { result: sentiment(), score },
        }),
      ),
      t.as(t.owner, {
        method: 'POST',
        url: `/api/v1/projects/${project.id}/predictions`,
        payload: [
          { task: taskId, result: sentiment(), score: 0.2 },
          { task: second, result: sentiment(), score: 0.4 },
        ],
      }),
    ]);
    expect(res.every((r) => r.statusCode === 201)).toBe(true);
    const row = await taskRow(ctx, taskId!);
    expect(row.total_predictions).toBe(13);
    expect(row.prediction_score).toBeCloseTo(0.2, 5);
    expect((await taskRow(ctx, second!)).total_predictions).toBe(1);
  });
});

describe('counters', () => {
  it('always equal a recount after a concurrent mix of submissions, skips, edits, deletes and reviews', async () => {
    const ctx = await testApp();
    const t = await newLabelingTenant(ctx);
    const project = await newProject(t, { overlap: 2, skip_policy: 'ignore' });
    const taskIds = await seedTasks(ctx, t, project, 3);
    const team = await annotators(t, project.id, 6);
    const reviewer = await t.member(['reviewer'], 'Reviewer');
    await joinProject(t, project.id, reviewer, 'reviewer');
    // A small deterministic generator, so a failure can be replayed.
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const created = await Promise.all(
      team.flatMap((m) =>
        taskIds.map(async (taskId) => {
          const skip = rand(3) === 0;
          const res = await t.as(m, {
            method: 'POST',
            url: `/api/v1/tasks/${taskId}/annotations`,
            payload: skip ? { result: [], was_cancelled: true } : { result: sentiment() },
          });
          expect(res.statusCode).toBe(201);
          return { member: m, id: res.json().id as number, skip };
        }),
      ),
    );
    const ops = created.map((a) => {
      const roll = rand(8);
      if (roll === 0) return t.as(a.member, { method: 'DELETE', url: `/api/v1/annotations/${a.id}` });
      if (roll === 1)
        return t.as(a.member, {
          method: 'PATCH',
          url: `/api/v1/annotations/${a.id}`,
          payload: { was_cancelled: !a.skip },
        });
      if (a.skip) return Promise.resolve(null);
      const action = [
        { action: 'accept' },
        { action: 'reject', reject_mode: 'requeue' },
        { action: 'reject', reject_mode: 'remove' },
        { action: 'fix', result: sentiment('Negative') },
        { action: 'request_changes' },
        { action: 'start' },
      ][roll - 2]!;
      return t.as(reviewer, { method: 'POST', url: `/api/v1/annotations/${a.id}/review`, payload: action });
    });
    const results = await Promise.all(ops);
    for (const r of results) if (r) expect(r.statusCode, r.body).toBeLessThan(300);
    const recount = await systemSql<{
      id: string | number;
      total: number;
      cancelled: number;
      finished: boolean;
      total_annotations: number;
      cancelled_annotations: number;
      is_finished: boolean;
    }>(
      ctx,
      sql`select t.id, t.total_annotations, t.cancelled_annotations, t.is_finished,
          count(a.id) filter (where not a.was_cancelled and a.review_status is distinct from 'rejected'
            and not exists (select 1 from review_records r where r.fixed_annotation_id = a.id))::int as total,
          count(a.id) filter (where a.was_cancelled)::int as cancelled,
          (count(a.id) filter (where not exists (select 1 from review_records r where r.fixed_annotation_id = a.id)
            and (a.was_cancelled or a.review_status is distinct from 'rejected')) >= t.overlap) as finished
        from tasks t left join annotations a on a.task_id = t.id
        where t.project_id = ${project.id} group by t.id order by t.id`,
    );
    expect(recount).toHaveLength(3);
    for (const row of recount) {
      expect(
        { total: row.total_annotations, cancelled: row.cancelled_annotations, finished: row.is_finished },
        `task ${row.id}`,
      ).toEqual({ total: row.total, cancelled: row.cancelled, finished: row.finished });
    }
  });
});
