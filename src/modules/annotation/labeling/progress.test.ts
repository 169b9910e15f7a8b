import { describe, expect, it } from 'vitest';
import { newProject } from '../../../../test/annotation-fixtures.ts';
import type { Member, TenantFixture } from '../../../../test/fixtures.ts';
import { startTestApp, testApp, testEnv } from '../../../../test/helpers.ts';
import { annotate, annotators, newLabelingTenant, seedTasks } from '../../../../test/labeling-fixtures.ts';
import { waitForJob } from '../../../../test/transfer-helpers.ts';

async function progress(t: TenantFixture, m: Member, projectId: number, tasks?: number[]) {
  const query = tasks ? `?tasks=${tasks.join(',')}` : '';
  const res = await t.as(m, { method: 'GET', url: `/api/v1/projects/${projectId}/progress${query}` });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as { total: number; left: number | null; left_job?: string };
}

async function nextOf(t: TenantFixture, m: Member, projectId: number, tasks: number[]) {
  const res = await t.as(m, {
    method: 'GET',
    url: `/api/v1/projects/${projectId}/next?tasks=${tasks.join(',')}`,
  });
  expect([200, 204], res.body).toContain(res.statusCode);
  return {
    id: res.statusCode === 200 ? (res.json().id as number) : null,
    reason: (res.headers['x-next-reason'] as string | undefined) ?? null,
    held: ((res.headers['x-next-held'] as string | undefined) ?? '').split(',').filter(Boolean).map(Number),
  };
}

describe('labeling progress: /progress', () => {
  it('counts what /next would still serve the caller, and moves as they submit and skip', async () => {
    const ctx = await testApp();
    const t = await newLabelingTenant(ctx);
    const project = await newProject(t);
    const ids = await seedTasks(ctx, t, project, 5);
    const [a, b] = await annotators(t, project.id, 2);
    expect(await progress(t, a!, project.id)).toEqual({ total: 5, left: 5 });

    await annotate(t, a!, ids[0]!);
    expect(await progress(t, a!, project.id)).toEqual({ total: 5, left: 4 });
    // Overlap 1: the task a finished is gone for b too.
    expect(await progress(t, b!, project.id)).toEqual({ total: 5, left: 4 });

    // requeue_others: a's skip ends the task for a, not for b.
    await annotate(t, a!, ids[1]!, true);
    expect(await progress(t, a!, project.id)).toEqual({ total: 5, left: 3 });
    expect(await progress(t, b!, project.id)).toEqual({ total: 5, left: 4 });

    // A task assigned to b alone is not a's to get.
    const assigned = await t.as(t.owner, {
      method: 'POST',
      url: `/api/v1/projects/${project.id}/assignments`,
      payload: { task_ids: [ids[4]], user_ids: [b!.userId], mode: 'manual' },
    });
    expect(assigned.statusCode, assigned.body).toBe(201);
    expect(await progress(t, a!, project.id)).toEqual({ total: 5, left: 2 });
    expect(await progress(t, b!, project.id)).toEqual({ total: 5, left: 4 });

    // A reservation by someone else does not take a task off the figure: it expires.
    await t.as(b!, { method: 'GET', url: `/api/v1/projects/${project.id}/next` });
    expect(await progress(t, a!, project.id)).toEqual({ total: 5, left: 2 });

    // Of a selection: its size, and how many of its tasks are still the caller's to label.
    expect(await progress(t, a!, project.id, [ids[4]!, ids[2]!, ids[0]!])).toEqual({ total: 3, left: 1 });
  });

  it('follows the skip policy and the task limit', async () => {
    const ctx = await testApp();
    const t = await newLabelingTenant(ctx);
    const requeue = await newProject(t, { skip_policy: 'requeue_me' });
    const ids = await seedTasks(ctx, t, requeue, 3);
    const [a] = await annotators(t, requeue.id, 1);
    // requeue_me: a skipped task comes back, so it is still left.
    await annotate(t, a!, ids[0]!, true);
    expect(await progress(t, a!, requeue.id)).toEqual({ total: 3, left: 3 });
    await annotate(t, a!, ids[1]!);
    expect(await progress(t, a!, requeue.id)).toEqual({ total: 3, left: 2 });

    const limited = await newProject(t, { annotator_task_limit: 2 });
    const more = await seedTasks(ctx, t, limited, 4);
    const [c] = await annotators(t, limited.id, 1, 'Limited');
    expect(await progress(t, c!, limited.id)).toEqual({ total: 4, left: 2 });
    await annotate(t, c!, more[0]!);
    expect(await progress(t, c!, limited.id)).toEqual({ total: 4, left: 1 });
    await annotate(t, c!, more[1]!);
    expect(await progress(t, c!, limited.id)).toEqual({ total: 4, left: 0 });
  });

  it('counts a costly figure in the background, then takes the caller’s own work since off it', async () => {
    const ctx = await startTestApp(testEnv({ COUNT_INLINE_MAX_COST: '0' }));
    try {
      const t = await newLabelingTenant(ctx);
      const project = await newProject(t);
      const ids = await seedTasks(ctx, t, project, 4);
      const [a] = await annotators(t, project.id, 1);
      const first = await progress(t, a!, project.id);
      expect(first).toMatchObject({ total: 4, left: null, left_job: expect.any(String) });
      const job = await waitForJob(t, first.left_job!, a!);
      expect(job).toMatchObject({ state: 'completed', result: { left: 4 } });
      expect(await progress(t, a!, project.id)).toEqual({ total: 4, left: 4 });
      await annotate(t, a!, ids[0]!);
      await annotate(t, a!, ids[1]!, true);
      expect(await progress(t, a!, project.id)).toEqual({ total: 4, left: 2 });
    } finally {
      await ctx.app.close();
      await ctx.platform.close();
    }
  });

  it('refuses a bad selection with a 400', async () => {
    const ctx = await testApp();
    const t = await newLabelingTenant(ctx);
    const project = await newProject(t);
    const [a] = await annotators(t, project.id, 1);
    for (const tasks of ['1,,2', 'x', '0', Array.from({ length: 1001 }, (_, i) => i + 1).join(',')]) {
      for (const path of ['progress', 'next']) {
        const res = await t.as(a!, {
          method: 'GET',
          url: `/api/v1/projects/${project.id}/${path}?tasks=${tasks}`,
        });
        expect(res.statusCode, `${path}?tasks=${tasks.slice(0, 20)}`).toBe(400);
        expect(res.headers['content-type']).toContain('application/problem+json');
      }
    }
  });
});

describe('labeling a selection: /next?tasks=', () => {
  it('walks exactly the selection in its order, passes over what others hold and says so, then is done', async () => {
    const ctx = await testApp();
    const t = await newLabelingTenant(ctx);
    const project = await newProject(t);
    const ids = await seedTasks(ctx, t, project, 6);
    const other = await newProject(t);
    const [foreign] = await seedTasks(ctx, t, other, 1);
    const [a, b] = await annotators(t, project.id, 2);
    const selection = [ids[4]!, ids[1]!, foreign!, ids[3]!];

    // b holds the second task of the selection.
    expect((await nextOf(t, b!, project.id, [ids[1]!])).id).toBe(ids[1]);

    expect(await nextOf(t, a!, project.id, selection)).toEqual({ id: ids[4], reason: null, held: [] });
    // Asking again gives back the task a holds, in its place.
    expect((await nextOf(t, a!, project.id, selection)).id).toBe(ids[4]);
    await annotate(t, a!, ids[4]!);
    // The task b holds is passed over and named; another project's task is never served.
    expect(await nextOf(t, a!, project.id, selection)).toEqual({ id: ids[3], reason: null, held: [ids[1]] });
    await annotate(t, a!, ids[3]!);
    expect(await nextOf(t, a!, project.id, selection)).toEqual({
      id: null,
      reason: 'selection_done',
      held: [ids[1]],
    });
    // Once b is done with it, nothing is held: the selection is done for a.
    await annotate(t, b!, ids[1]!);
    expect(await nextOf(t, a!, project.id, selection)).toEqual({
      id: null,
      reason: 'selection_done',
      held: [],
    });
    // Tasks outside the selection were never touched.
    expect((await t.as(a!, { method: 'GET', url: `/api/v1/projects/${project.id}/next` })).json().id).toBe(
      ids[0],
    );
  });
});
