import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { newProject, seedTasks } from '../../../../test/annotation-fixtures.ts';
import { newTenant, type TenantFixture } from '../../../../test/fixtures.ts';
import { type TestContext, testApp } from '../../../../test/helpers.ts';
import { systemSql } from '../../../../test/labeling-fixtures.ts';
import { choice, insertScore } from '../../../../test/quality-ops-fixtures.ts';

describe('quality trend over HTTP', () => {
  let ctx: TestContext;
  let t: TenantFixture;
  let projectId: number;

  beforeAll(async () => {
    ctx = await testApp();
    t = await newTenant(ctx);
    projectId = (await newProject(t)).id;
    const a = await t.member(['annotator'], 'Alice');
    const taskIds = await seedTasks(ctx, t, projectId, [
      { data: { text: '1' }, annotations: [{ completed_by: a.userId, result: choice('Positive') }] },
      { data: { text: '2' }, annotations: [{ completed_by: a.userId, result: choice('Negative') }] },
      { data: { text: '3' }, annotations: [{ completed_by: a.userId, result: choice('Neutral') }] },
    ]);
    const ids = (
      await systemSql<{ id: string }>(
        ctx,
        sql`select id from annotations where task_id = any(${`{${taskIds.join(',')}}`}::bigint[]) order by task_id`,
      )
    ).map((r) => Number(r.id));
    // Two days: 0.9 and 0.6 on 3 March, 0.4 on 5 March; the annotations are of today.
    await insertScore(ctx, t, projectId, ids[0]!, 0.9, new Date('2030-03-03T08:00:00Z'));
    await insertScore(ctx, t, projectId, ids[1]!, 0.6, new Date('2030-03-03T20:00:00Z'));
    await insertScore(ctx, t, projectId, ids[2]!, 0.4, new Date('2030-03-05T12:00:00Z'));
  });

  const get = (query: string, id = projectId) =>
    t.as(t.owner, { method: 'GET', url: `/api/v1/projects/${id}/quality/trend${query}` });

  it('gives the mean total score per day of the period', async () => {
    const res = await get('?from=2030-03-01T00:00:00Z&to=2030-03-10T00:00:00Z');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({
      from: '2030-03-01T00:00:00.000Z',
      to: '2030-03-10T00:00:00.000Z',
      days: [
        { day: '2030-03-03', annotations: 0, scored: 2, mean_total: 0.75, issues: 0 },
        { day: '2030-03-05', annotations: 0, scored: 1, mean_total: 0.4, issues: 0 },
      ],
    });
    const narrow = await get('?from=2030-03-04T00:00:00Z&to=2030-03-10T00:00:00Z');
    expect(narrow.json().days).toEqual([
      { day: '2030-03-05', annotations: 0, scored: 1, mean_total: 0.4, issues: 0 },
    ]);
  });

  it('counts today’s annotations in the default period', async () => {
    const res = await get('');
    expect(res.statusCode, res.body).toBe(200);
    const today = new Date().toISOString().slice(0, 10);
    expect(res.json().days).toEqual([{ day: today, annotations: 3, scored: 0, mean_total: null, issues: 0 }]);
  });

  it('refuses a reversed period, an unknown project and a caller without quality:read', async () => {
    const reversed = await get('?from=2030-03-10T00:00:00Z&to=2030-03-01T00:00:00Z');
    expect(reversed.statusCode).toBe(400);
    expect(reversed.headers['content-type']).toContain('application/problem+json');
    expect((await get('', 999_999)).statusCode).toBe(404);
    const annotator = await t.member(['annotator'], 'NoRead');
    const res = await t.as(annotator, { method: 'GET', url: `/api/v1/projects/${projectId}/quality/trend` });
    expect(res.statusCode).toBe(403);
  });
});
