import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { newProject } from '../../../../test/annotation-fixtures.ts';
import { type Member, newTenant, type TenantFixture } from '../../../../test/fixtures.ts';
import { testApp } from '../../../../test/helpers.ts';
import {
  annotators,
  joinProject,
  seedTasks,
  annotate as submitAnnotation,
  systemSql,
} from '../../../../test/labeling-fixtures.ts';

/** Annotations of the dashboard's tests take 4 s. */
const annotate = (t: TenantFixture, m: Member, taskId: number, skip = false) =>
  submitAnnotation(t, m, taskId, skip, { lead_time: 4 });

const today = () => new Date().toISOString().slice(0, 10);

describe('dashboard', () => {
  it('counts tasks, completions, annotations, throughput, reviews and progress per day, in the tenant only', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const project = await newProject(t, { overlap: 1 });
    const taskIds = await seedTasks(ctx, t, project, 4);
    // One task created three days ago, outside a two-day range.
    await systemSql(
      ctx,
      sql`update tasks set created_at = now() - interval '3 days' where id = ${taskIds[3]!}`,
    );
    const [a, b] = await annotators(t, project.id, 2);
    const x = await annotate(t, a!, taskIds[0]!);
    await annotate(t, a!, taskIds[1]!);
    await annotate(t, b!, taskIds[2]!, true);
    const reviewer = await t.member(['reviewer'], 'Reviewer');
    await joinProject(t, project.id, reviewer, 'reviewer');
    const review = await t.as(reviewer, {
      method: 'POST',
      url: `/api/v1/annotations/${x.id}/review`,
      payload: { action: 'accept' },
    });
    expect(review.statusCode).toBe(200);

    const from = new Date(Date.now() - 2 * 86_400_000).toISOString();
    const res = await t.as(t.owner, { method: 'GET', url: `/api/v1/dashboard?from=${from}` });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.time_zone).toBe('UTC');
    expect(body.days).toHaveLength(3);
    const sum = (k: string) => body.days.reduce((n: number, d: Record<string, number>) => n + d[k]!, 0);
    expect(sum('tasks_created')).toBe(3);
    expect(sum('tasks_completed')).toBe(2);
    expect(sum('annotations')).toBe(2);
    expect(sum('skips')).toBe(1);
    expect(body.days.at(-1).day).toBe(today());
    expect(body.annotators).toEqual([
      {
        user_id: a!.userId,
        name: 'Annotator0',
        email: a!.email,
        annotations: 2,
        skips: 0,
        mean_lead_time: 4,
      },
      {
        user_id: b!.userId,
        name: 'Annotator1',
        email: b!.email,
        annotations: 0,
        skips: 1,
        mean_lead_time: null,
      },
    ]);
    expect(body.reviews.approved).toBe(1);
    expect(body.projects).toEqual([{ id: project.id, title: project.title, tasks: 4, finished: 2 }]);

    // An annotator sees the projects they belong to and only their own throughput.
    const mine = (await t.as(b!, { method: 'GET', url: '/api/v1/dashboard' })).json();
    expect(mine.annotators.map((r: { user_id: string }) => r.user_id)).toEqual([b!.userId]);
    expect(mine.projects).toHaveLength(1);
    const outsider = await t.member(['annotator'], 'Outsider');
    const none = (await t.as(outsider, { method: 'GET', url: '/api/v1/dashboard' })).json();
    expect(none.projects).toEqual([]);
    expect(none.days.every((d: Record<string, number>) => d.tasks_created === 0 && d.annotations === 0)).toBe(
      true,
    );

    // Another tenant's owner sees none of it.
    const other = await newTenant(ctx);
    const theirs = (await other.as(other.owner, { method: 'GET', url: '/api/v1/dashboard' })).json();
    expect(theirs.projects).toEqual([]);
    expect(theirs.annotators).toEqual([]);
    expect(Object.values(theirs.reviews).every((n) => n === 0)).toBe(true);
    expect(theirs.days).toHaveLength(31);
  });

  it('counts a task completed once, when the annotation reaching its overlap arrives', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const project = await newProject(t, { overlap: 2 });
    const [taskId] = await seedTasks(ctx, t, project, 1);
    const [a, b] = await annotators(t, project.id, 2);
    const completed = async () =>
      (await t.as(t.owner, { method: 'GET', url: '/api/v1/dashboard' }))
        .json()
        .days.reduce((n: number, d: { tasks_completed: number }) => n + d.tasks_completed, 0);
    await annotate(t, a!, taskId!);
    expect(await completed()).toBe(0);
    await annotate(t, b!, taskId!);
    expect(await completed()).toBe(1);
  });

  it('reports days in the tenant time zone and refuses bad ranges', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const project = await newProject(t);
    const [taskId] = await seedTasks(ctx, t, project, 1);
    // 23:30 UTC on 1 March is 07:30 on 2 March in Shanghai.
    await systemSql(ctx, sql`update tasks set created_at = '2026-03-01T23:30:00Z' where id = ${taskId!}`);
    const patch = await t.as(t.owner, {
      method: 'PATCH',
      url: '/api/v1/tenant',
      payload: { time_zone: 'Asia/Shanghai' },
    });
    expect(patch.statusCode).toBe(200);
    const range = 'from=2026-02-28T16:00:00Z&to=2026-03-03T16:00:00Z';
    const body = (await t.as(t.owner, { method: 'GET', url: `/api/v1/dashboard?${range}` })).json();
    expect(body.days.map((d: { day: string; tasks_created: number }) => [d.day, d.tasks_created])).toEqual([
      ['2026-03-01', 0],
      ['2026-03-02', 1],
      ['2026-03-03', 0],
    ]);

    for (const q of [
      'from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z',
      'from=2024-01-01T00:00:00Z&to=2026-01-01T00:00:00Z',
      'from=yesterday',
    ]) {
      const res = await t.as(t.owner, { method: 'GET', url: `/api/v1/dashboard?${q}` });
      expect(res.statusCode, q).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
  });
});
