import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { newProject, seedTasks } from '../../../test/annotation-fixtures.ts';
import { type Member, newTenant, type TenantFixture } from '../../../test/fixtures.ts';
import { type TestContext, testApp } from '../../../test/helpers.ts';
import { systemSql } from '../../../test/labeling-fixtures.ts';
import { choice, entity, RICH_CONFIG, stars } from '../../../test/quality-fixtures.ts';
import { taskAgreement } from './project-agreement.service.ts';

describe('task agreement', () => {
  it('takes the mean of the pairwise scores and keeps categorical values for alpha', () => {
    const specs = [
      { name: 'sentiment', type: 'Choices' },
      { name: 'ner', type: 'Labels' },
    ];
    const t = taskAgreement(specs, [
      { id: 1, annotator: 'b', result: [choice('Positive'), entity(0, 10)] },
      { id: 2, annotator: 'a', result: [choice('Positive'), entity(5, 15)] },
      { id: 3, annotator: 'c', result: [choice('Negative')] },
    ]);
    // Pairs: (b,a) = mean(1, 0.5) = 0.75; (b,c) = mean(0, 0) = 0; (a,c) = mean(0, 0) = 0.
    expect(t.annotators).toEqual(['b', 'a', 'c']);
    expect(t.pairs).toEqual([
      [0, 1, 0.75],
      [0, 2, 0],
      [1, 2, 0],
    ]);
    expect(t.score).toBeCloseTo(0.25, 12);
    expect(t.controls).toEqual({ sentiment: 0.333333, ner: 0.166667 });
    expect(t.ratings).toEqual({
      sentiment: [
        [0, 'Positive'],
        [1, 'Positive'],
        [2, 'Negative'],
      ],
    });
    expect(taskAgreement(specs, [{ id: 1, annotator: 'a', result: [] }]).score).toBeNull();
  });
});

describe('project agreement over HTTP', () => {
  let ctx: TestContext;
  let t: TenantFixture;
  let a: Member;
  let b: Member;
  let c: Member;
  let projectId: number;
  let taskIds: number[];

  const post = (body: object = {}) =>
    t.as(t.owner, { method: 'POST', url: `/api/v1/projects/${projectId}/agreement/runs`, payload: body });
  const get = (url = '') =>
    t.as(t.owner, { method: 'GET', url: `/api/v1/projects/${projectId}/agreement${url}` });
  const annotationOf = async (taskId: number, userId: string) => {
    const [row] = await systemSql<{ id: string }>(
      ctx,
      sql`select id from annotations where task_id = ${taskId} and completed_by = ${userId}::uuid`,
    );
    return Number(row!.id);
  };

  beforeAll(async () => {
    ctx = await testApp();
    t = await newTenant(ctx);
    [a, b, c] = [
      await t.member(['annotator'], 'Ann'),
      await t.member(['annotator'], 'Bob'),
      await t.member(['annotator'], 'Cy'),
    ];
    projectId = (await newProject(t, { label_config: RICH_CONFIG })).id;
    taskIds = await seedTasks(ctx, t, projectId, [
      // T1: A and B agree, C differs: pairs 1, 0, 0.
      {
        data: { text: 't1' },
        annotations: [
          { completed_by: a.userId, result: [choice('Positive')] },
          { completed_by: b.userId, result: [choice('Positive')] },
          { completed_by: c.userId, result: [choice('Negative')] },
        ],
      },
      // T2: 1.
      {
        data: { text: 't2' },
        annotations: [
          { completed_by: a.userId, result: [choice('Negative')] },
          { completed_by: b.userId, result: [choice('Negative')] },
        ],
      },
      // T3: sentiment 1, spans [0,10) vs [5,15) 0.5: 0.75.
      {
        data: { text: 't3' },
        annotations: [
          { completed_by: a.userId, result: [choice('Positive'), entity(0, 10)] },
          { completed_by: c.userId, result: [choice('Positive'), entity(5, 15)] },
        ],
      },
      // T4: a single annotation (and a skip): no score.
      {
        data: { text: 't4' },
        annotations: [
          { completed_by: a.userId, result: [choice('Neutral')] },
          { completed_by: b.userId, was_cancelled: true },
        ],
      },
      // T5: ratings 2 and 5 on a 1–5 scale: 1 − 3/4.
      {
        data: { text: 't5' },
        annotations: [
          { completed_by: a.userId, result: [stars(2)] },
          { completed_by: b.userId, result: [stars(5)] },
        ],
      },
      { data: { text: 't6, not annotated' } },
    ]);
  });

  it('answers 404 before any run, then computes a small project in the request', async () => {
    expect((await get()).statusCode).toBe(404);
    const run = await post();
    expect(run.statusCode, run.body).toBe(201);
    expect(run.json()).toMatchObject({
      status: 'completed',
      incremental: true,
      tasks_seen: 5,
      tasks_recomputed: 5,
      tasks_scored: 4,
      job_id: null,
    });

    const res = await get();
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.mean_score).toBeCloseTo((1 / 3 + 1 + 0.75 + 0.25) / 4, 6);
    expect(body.tasks_scored).toBe(4);
    const s = body.controls.sentiment;
    expect(s).toMatchObject({ type: 'Choices', metric: 'exact_set', tasks: 3 });
    expect(s.mean_score).toBeCloseTo((1 / 3 + 1 + 1) / 3, 6);
    // Nominal alpha by hand: n = 7 (P 4, N 3), D_o = 2/7, D_e = 24/42, alpha = 0.5.
    expect(s.alpha).toMatchObject({ level: 'nominal', units: 3 });
    expect(s.alpha.value).toBeCloseTo(0.5, 12);
    // Fleiss over the units with the usual number of ratings (2): T2 and T3 agree fully.
    expect(s.fleiss_kappa).toMatchObject({ value: 1, units: 2, raters: 2 });
    expect(s.cohen_kappa.value).toBeNull();
    expect(s.cohen_kappa.reason).toMatch(/exactly 2 annotators/);
    expect(body.controls.ner).toMatchObject({ metric: 'span_f1', tasks: 1, mean_score: 0.5 });
    expect(body.controls.ner.alpha.value).toBeNull();
    expect(body.controls.stars).toMatchObject({ metric: 'numeric', tasks: 1, mean_score: 0.25 });
    // One unit rated 2 and 5: D_o equals D_e, so ordinal alpha is 0.
    expect(body.controls.stars.alpha).toMatchObject({ level: 'ordinal', units: 1 });
    expect(body.controls.stars.alpha.value).toBeCloseTo(0, 12);
    const pair = (x: Member, y: Member) =>
      body.annotator_pairs.find(
        (p: { annotator_a: string; annotator_b: string }) =>
          [p.annotator_a, p.annotator_b].sort().join() === [x.userId, y.userId].sort().join(),
      );
    expect(pair(a, b)).toMatchObject({ tasks: 3 });
    expect(pair(a, b).mean_score).toBeCloseTo((1 + 1 + 0.25) / 3, 6);
    expect(pair(a, c)).toMatchObject({ tasks: 2, mean_score: 0.375 });
    expect(pair(b, c)).toMatchObject({ tasks: 1, mean_score: 0 });
    expect(body.annotator_pairs).toHaveLength(3);

    const tasks = await get('/tasks?limit=2');
    expect(tasks.statusCode).toBe(200);
    expect(tasks.json().items.map((i: { task: number }) => i.task)).toEqual(taskIds.slice(0, 2));
    const next = await get(`/tasks?limit=10&cursor=${tasks.json().next_cursor}`);
    expect(next.json().items.map((i: { task: number }) => i.task)).toEqual(taskIds.slice(2, 5));
    expect(next.json().items[1]).toMatchObject({ annotations: 1, score: null, pairs: [] });
    const disputed = await get('/tasks?below=0.5');
    expect(disputed.json().items.map((i: { task: number }) => i.task)).toEqual([taskIds[0], taskIds[4]]);
  });

  it('recomputes only the tasks whose annotations changed', async () => {
    const same = await post();
    expect(same.json()).toMatchObject({
      status: 'completed',
      tasks_seen: 5,
      tasks_recomputed: 0,
      tasks_scored: 4,
    });

    // B changes their T2 answer; C's T1 annotation is deleted.
    const edit = await t.as(t.owner, {
      method: 'PATCH',
      url: `/api/v1/annotations/${await annotationOf(taskIds[1]!, b.userId)}`,
      payload: { result: [choice('Positive')] },
    });
    expect(edit.statusCode, edit.body).toBe(200);
    const del = await t.as(t.owner, {
      method: 'DELETE',
      url: `/api/v1/annotations/${await annotationOf(taskIds[0]!, c.userId)}`,
    });
    expect(del.statusCode, del.body).toBe(204);

    const again = await post();
    expect(again.json()).toMatchObject({ tasks_seen: 5, tasks_recomputed: 2, tasks_scored: 4 });
    const body = (await get()).json();
    // T1 now 1 (A and B), T2 0, T3 0.75, T5 0.25.
    expect(body.mean_score).toBeCloseTo((1 + 0 + 0.75 + 0.25) / 4, 6);
    expect(body.run.tasks_recomputed).toBe(2);

    // A full run recomputes everything and agrees with the incremental one.
    const full = await post({ incremental: false });
    expect(full.json()).toMatchObject({ incremental: false, tasks_recomputed: 5 });
    expect((await get()).json().mean_score).toBeCloseTo(body.mean_score, 12);
  });

  it('runs as a job on request, with its progress in the job API', async () => {
    const queued = await post({ background: true });
    expect(queued.statusCode, queued.body).toBe(202);
    expect(queued.json()).toMatchObject({ status: 'queued', job_id: expect.any(String) });
    const jobId = queued.json().job_id;
    const deadline = Date.now() + 30_000;
    let job = (await t.as(t.owner, { method: 'GET', url: `/api/v1/jobs/${jobId}` })).json();
    while (job.state !== 'completed' && job.state !== 'failed') {
      if (Date.now() > deadline) throw new Error(`job still ${job.state}`);
      await sleep(100);
      job = (await t.as(t.owner, { method: 'GET', url: `/api/v1/jobs/${jobId}` })).json();
    }
    expect(job.state).toBe('completed');
    const body = (await get()).json();
    expect(body.run).toMatchObject({ id: queued.json().id, status: 'completed', tasks_seen: 5 });
    expect(body.latest_run.id).toBe(queued.json().id);
  });

  it('is refused without quality permissions, hidden from non-members, and checks its input', async () => {
    expect(
      (await t.as(a, { method: 'GET', url: `/api/v1/projects/${projectId}/agreement` })).statusCode,
    ).toBe(403);
    const viewer = await t.member(['viewer'], 'Vi');
    expect(
      (await t.as(viewer, { method: 'GET', url: `/api/v1/projects/${projectId}/agreement` })).statusCode,
    ).toBe(404);
    const bad = await post({ incremental: 'sometimes' });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    expect((await get('/tasks?cursor=nonsense')).statusCode).toBe(400);
    expect((await get('/tasks?below=2')).statusCode).toBe(400);
    expect(
      (await t.as(t.owner, { method: 'POST', url: '/api/v1/projects/999999999/agreement/runs', payload: {} }))
        .statusCode,
    ).toBe(404);
  });
});
