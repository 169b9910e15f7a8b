import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { newProject, seedTasks } from '../../../../test/annotation-fixtures.ts';
import { type Member, newTenant, type TenantFixture } from '../../../../test/fixtures.ts';
import { type TestContext, testApp } from '../../../../test/helpers.ts';
import { systemSql } from '../../../../test/labeling-fixtures.ts';
import { choice, entity, RICH_CONFIG, stars } from '../../../../test/quality-fixtures.ts';
import { BATCH, taskAgreement } from './project-agreement.service.ts';

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

describe('project agreement over several batches', () => {
  let ctx: TestContext;
  let t: TenantFixture;
  let members: Member[];
  let projectId: number;
  const TASKS = BATCH + 700;
  // Choice values a careless array or JSON encoding would mangle.
  const VALUES = ['Pos "quoted"', 'back\\slash', 'line\nbreak', '中性 {a,b}', 'NULL'];

  const post = (body: object = {}) =>
    t.as(t.owner, { method: 'POST', url: `/api/v1/projects/${projectId}/agreement/runs`, payload: body });
  const get = async (url = '') => {
    const res = await t.as(t.owner, { method: 'GET', url: `/api/v1/projects/${projectId}/agreement${url}` });
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  };
  /** The project figures and every task's result, without run ids and times. */
  const snapshot = async () => {
    const body = await get();
    const tasks: { computed_at?: string }[] = [];
    let cursor = '';
    do {
      const page = await get(`/tasks?limit=1000${cursor ? `&cursor=${cursor}` : ''}`);
      tasks.push(...page.items);
      cursor = page.next_cursor ?? '';
    } while (cursor);
    for (const task of tasks) delete task.computed_at;
    return {
      mean_score: body.mean_score,
      tasks_scored: body.tasks_scored,
      controls: body.controls,
      annotator_pairs: body.annotator_pairs,
      tasks,
    };
  };
  /** Equal, numbers to 6 decimals (task scores are stored as 4-byte reals). */
  const expectSame = (x: unknown, y: unknown, path = ''): void => {
    if (typeof x === 'number' && typeof y === 'number') {
      expect(x, path).toBeCloseTo(y, 6);
    } else if (x && y && typeof x === 'object' && typeof y === 'object') {
      expect(Object.keys(x).sort(), path).toEqual(Object.keys(y).sort());
      for (const k of Object.keys(x))
        expectSame((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k], `${path}/${k}`);
    } else expect(x, path).toEqual(y);
  };

  beforeAll(async () => {
    ctx = await testApp();
    t = await newTenant(ctx);
    members = [
      await t.member(['annotator'], 'Ann'),
      await t.member(['annotator'], 'Bob'),
      await t.member(['annotator'], 'Cy'),
    ];
    projectId = (await newProject(t, { label_config: RICH_CONFIG })).id;
    await systemSql(
      ctx,
      sql`insert into tasks (tenant_id, project_id, data, overlap, status)
        select ${t.tenantId}::uuid, ${projectId}, jsonb_build_object('text', 'task ' || i), 3, 'completed'
        from generate_series(1, ${TASKS}) i`,
    );
    await systemSql(ctx, sql`update projects set task_count = ${TASKS} where id = ${projectId}`);
    // Three annotators per task (every 7th task lacks the third; every 11th has a fourth
    // annotation by nobody), choices agreeing often, spans overlapping, stars on some tasks.
    const n = (x: number) => sql.raw(String(x));
    for (let k = 0; k < 4; k++) {
      await systemSql(
        ctx,
        sql`insert into annotations (tenant_id, project_id, task_id, completed_by, result)
          select tenant_id, project_id, id, ${k < 3 ? members[k]!.userId : null}::uuid,
            jsonb_build_array(
              jsonb_build_object('from_name', 'sentiment', 'to_name', 'text', 'type', 'choices',
                'value', jsonb_build_object('choices', jsonb_build_array(
                  (array[${sql.join(
                    VALUES.map((v) => sql`${v}::text`),
                    sql`, `,
                  )}])[1 + case when (id * 31 + ${n(k * 17)}) % 10 < 6 then id % 5 else (id + ${n(k)}) % 5 end]))),
              jsonb_build_object('from_name', 'ner', 'to_name', 'text', 'type', 'labels',
                'value', jsonb_build_object('start', (id * ${n(k + 1)}) % 5, 'end', 10 + (id + ${n(k)}) % 7,
                  'labels', jsonb_build_array('PER'))))
              || case when id % 3 = 0 then jsonb_build_array(jsonb_build_object('from_name', 'stars',
                'to_name', 'text', 'type', 'rating', 'value', jsonb_build_object('rating', 1 + (id + ${n(k)}) % 5)))
                else '[]'::jsonb end
          from tasks where project_id = ${projectId}
            and case ${n(k)} when 2 then id % 7 <> 0 when 3 then id % 11 = 0 else true end`,
      );
    }
  });

  it('gives after changes incrementally what a full run gives', async () => {
    const first = await post({ incremental: false, background: true });
    expect(first.statusCode, first.body).toBe(202);
    const runJob = async (jobId: string) => {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const job = (await t.as(t.owner, { method: 'GET', url: `/api/v1/jobs/${jobId}` })).json();
        if (job.state === 'completed' || job.state === 'failed') return job.state;
        if (Date.now() > deadline) throw new Error(`job still ${job.state}`);
        await sleep(100);
      }
    };
    expect(await runJob(first.json().job_id)).toBe('completed');
    const before = await snapshot();
    expect(before.tasks).toHaveLength(TASKS);
    expect(before.controls.sentiment.alpha.value).toEqual(expect.any(Number));
    expect(before.controls.stars.alpha.value).toEqual(expect.any(Number));
    expect(before.controls.sentiment.fleiss_kappa.value).toEqual(expect.any(Number));

    // Edits (one in the first batch, most after it), deletions, skips and a new annotation.
    const [ann, bob, cy] = members as [Member, Member, Member];
    await systemSql(
      ctx,
      sql`update annotations set result = jsonb_build_array(jsonb_build_object('from_name', 'sentiment',
          'to_name', 'text', 'type', 'choices', 'value', jsonb_build_object('choices', jsonb_build_array('NULL')))),
          updated_at = now() + interval '1 second'
        where project_id = ${projectId} and task_id % 97 = 0 and completed_by = ${bob.userId}::uuid`,
    );
    await systemSql(
      ctx,
      sql`delete from annotations where project_id = ${projectId} and task_id % 89 = 0 and completed_by = ${cy.userId}::uuid`,
    );
    await systemSql(
      ctx,
      sql`update annotations set was_cancelled = true, updated_at = now() + interval '1 second'
        where project_id = ${projectId} and task_id % 83 = 0 and completed_by = ${ann.userId}::uuid`,
    );
    await systemSql(
      ctx,
      sql`delete from annotations where project_id = ${projectId}
        and task_id = (select min(id) + 5 from tasks where project_id = ${projectId})`,
    );
    await systemSql(
      ctx,
      sql`insert into annotations (tenant_id, project_id, task_id, completed_by, result)
        select tenant_id, project_id, id, ${cy.userId}::uuid, '[]'::jsonb from tasks
        where project_id = ${projectId} and id % 7 = 0 and id % 13 = 0`,
    );

    const inc = await post({ background: true });
    expect(await runJob(inc.json().job_id)).toBe('completed');
    const incremental = await snapshot();
    const run = (await get()).run;
    expect(run.incremental).toBe(true);
    expect(run.tasks_recomputed).toBeGreaterThan(50);
    expect(run.tasks_recomputed).toBeLessThan(TASKS / 5);
    // The task without annotations any more is gone from the per-task results.
    expect(incremental.tasks).toHaveLength(TASKS - 1);
    expect(incremental.mean_score).not.toBeCloseTo(before.mean_score, 6);

    const full = await post({ incremental: false, background: true });
    expect(await runJob(full.json().job_id)).toBe('completed');
    expect((await get()).run.tasks_recomputed).toBe(TASKS - 1);
    expectSame(incremental, await snapshot());
  });
});
