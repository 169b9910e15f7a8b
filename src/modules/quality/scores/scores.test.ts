import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { newProject } from '../../../../test/annotation-fixtures.ts';
import { type Member, newTenant, type TenantFixture } from '../../../../test/fixtures.ts';
import { type TestContext, testApp } from '../../../../test/helpers.ts';
import { annotators, seedTasks } from '../../../../test/labeling-fixtures.ts';
import { choice, RICH_CONFIG, stars } from '../../../../test/quality-fixtures.ts';
import { DEFAULT_WEIGHTS } from '../schema.ts';
import { scoreTask, timeliness, weightedTotal } from './scores.service.ts';

describe('score dimensions', () => {
  it("grades timeliness in DOMAIN.md's steps", () => {
    const steps = [
      [30, 1],
      [60, 1],
      [90, 0.9],
      [120, 0.8],
      [150, 0.6],
      [180, 0.6],
      [181, 0.4],
    ] as const;
    for (const [lead, want] of steps) expect(timeliness(lead, 60), `${lead} s of 60`).toBe(want);
  });

  it('weights the dimensions present (defaults 0.4 / 0.3 / 0.2 / 0.1)', () => {
    const all = { accuracy: 0.5, completeness: 1, timeliness: 0.8, consistency: 0 };
    expect(weightedTotal(all, DEFAULT_WEIGHTS)).toBeCloseTo(0.2 + 0.3 + 0.16, 12);
    // Without gold, accuracy's weight is left out: (0.3 + 0.16) / 0.6.
    expect(weightedTotal({ ...all, accuracy: null }, DEFAULT_WEIGHTS)).toBeCloseTo(0.46 / 0.6, 12);
  });

  it('compares with the latest gold and with peers, not with oneself', () => {
    const specs = [{ name: 'sentiment', type: 'Choices' }];
    const config = {
      weights: DEFAULT_WEIGHTS,
      requiredFields: [],
      expectedDurationSeconds: 60,
      goldRatio: 0.1,
    };
    const [old, gold, x] = scoreTask(specs, config, [
      { id: 1, userId: 'm', result: [choice('Negative')], leadTime: 0, groundTruth: true },
      { id: 2, userId: 'm', result: [choice('Positive')], leadTime: 0, groundTruth: true },
      { id: 3, userId: 'x', result: [choice('Positive')], leadTime: 10, groundTruth: false },
    ]);
    expect(x).toMatchObject({ accuracy: 1, completeness: 1, timeliness: 1, consistency: null });
    expect(x!.details.gold_annotation).toBe(2);
    expect(gold).toMatchObject({ accuracy: null, consistency: 1 });
    expect(old).toMatchObject({ accuracy: 0, consistency: 0 });
  });
});

interface Job {
  state: string;
}

describe('quality scores over HTTP', () => {
  let ctx: TestContext;
  let t: TenantFixture;
  let a: Member;
  let b: Member;
  let projectId: number;
  let tasks: number[];

  const api = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object, as = t.owner) =>
    t.as(as, { method, url: `/api/v1${url}`, ...(payload ? { payload } : {}) });
  const submit = async (as: Member, task: number, body: object) => {
    const res = await api('POST', `/tasks/${task}/annotations`, body, as);
    expect(res.statusCode, res.body).toBe(201);
    return res.json().id as number;
  };
  /** Waits until every scoring job of the tenant has finished. */
  const settled = async () => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const res = await api('GET', '/jobs?limit=1000');
      const jobs = (res.json().items as (Job & { kind: string })[]).filter((j) =>
        j.kind.startsWith('quality.'),
      );
      if (jobs.every((j) => j.state === 'completed' || j.state === 'failed')) {
        expect(jobs.filter((j) => j.state === 'failed')).toEqual([]);
        return jobs.length;
      }
      if (Date.now() > deadline) throw new Error('scoring jobs still running');
      await sleep(100);
    }
  };
  const ranking = async () => (await api('GET', `/projects/${projectId}/quality/ranking`)).json().items;
  const byUser = (items: { user_id: string; total: number }[], m: Member) =>
    items.find((i) => i.user_id === m.userId);

  beforeAll(async () => {
    ctx = await testApp();
    t = await newTenant(ctx);
    const project = await newProject(t, { label_config: RICH_CONFIG, overlap: 3 });
    projectId = project.id;
    [a, b] = (await annotators(t, projectId, 2)) as [Member, Member];
    tasks = await seedTasks(ctx, t, project, 2);
  });

  it('has default settings, and refuses weights that do not add up or unknown controls', async () => {
    const config = await api('GET', `/projects/${projectId}/quality/config`);
    expect(config.json()).toMatchObject({
      weights: { accuracy: 0.4, completeness: 0.3, timeliness: 0.2, consistency: 0.1 },
      required_fields: [],
      expected_duration_seconds: 120,
      gold_ratio: 0.1,
      updated_at: null,
    });
    const bad = await api('PUT', `/projects/${projectId}/quality/config`, {
      weights: { accuracy: 0.5, completeness: 0.5, timeliness: 0.5, consistency: 0 },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].path).toBe('body/weights');
    const unknown = await api('PUT', `/projects/${projectId}/quality/config`, { required_fields: ['nope'] });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().errors[0].path).toBe('body/required_fields/0');
    const ok = await api('PUT', `/projects/${projectId}/quality/config`, {
      required_fields: ['sentiment', 'stars'],
      expected_duration_seconds: 60,
    });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({
      required_fields: ['sentiment', 'stars'],
      expected_duration_seconds: 60,
    });
    expect(
      (await api('PUT', `/projects/${projectId}/quality/config`, { gold_ratio: 0.2 }, a)).statusCode,
    ).toBe(403);
  });

  it('scores each submission against gold and peers in the background, and ranks annotators', async () => {
    await submit(t.owner, tasks[0]!, { result: [choice('Positive'), stars(4)], ground_truth: true });
    await submit(a, tasks[0]!, { result: [choice('Positive')], lead_time: 30 });
    await submit(b, tasks[0]!, { result: [choice('Negative'), stars(4)], lead_time: 100 });
    // A skip queues nothing.
    const before = await settled();
    await submit(a, tasks[1]!, { result: [], was_cancelled: true });
    expect(await settled()).toBe(before);

    const scores = await api('GET', `/projects/${projectId}/quality/scores?user_id=${a.userId}`);
    expect(scores.statusCode, scores.body).toBe(200);
    // A: accuracy mean(sentiment 1, stars 0) = 0.5; completeness 1/2; 30 s of 60: 1; vs B: 0.
    expect(scores.json().items).toEqual([
      expect.objectContaining({
        scope: 'annotation',
        task: tasks[0],
        accuracy: 0.5,
        completeness: 0.5,
        timeliness: 1,
        consistency: 0,
        total: 0.55,
      }),
    ]);
    const ranked = await ranking();
    expect(ranked.map((r: { rank: number }) => r.rank)).toEqual([1, 2, 3]);
    // The gold annotator: completeness 1, timeliness 1, consistency 0.5, no accuracy → 0.55 / 0.6.
    expect(ranked[0]).toMatchObject({
      user_id: t.owner.userId,
      accuracy: null,
      annotations: 1,
      gold_compared: 0,
    });
    expect(ranked[0].total).toBeCloseTo(0.91667, 5);
    // B: accuracy 0.5, completeness 1, 100 s of 60: 0.8, consistency 0 → 0.2 + 0.3 + 0.16.
    expect(ranked[1]).toMatchObject({ user_id: b.userId, total: 0.66, timeliness: 0.8, gold_compared: 1 });
    expect(ranked[1].email).toBe(b.email);
    expect(ranked[2]).toMatchObject({ user_id: a.userId, total: 0.55 });
  });

  it('rescores the project as a job with new weights, and follows deletes', async () => {
    const put = await api('PUT', `/projects/${projectId}/quality/config`, {
      weights: { accuracy: 0.25, completeness: 0.25, timeliness: 0.25, consistency: 0.25 },
    });
    expect(put.statusCode).toBe(200);
    const run = await api('POST', `/projects/${projectId}/quality/scores/runs`);
    expect(run.statusCode, run.body).toBe(202);
    await settled();
    expect(byUser(await ranking(), a)).toMatchObject({ total: 0.5 });
    expect(byUser(await ranking(), b)).toMatchObject({ total: 0.575 });

    const [bAnnotation] = (
      await api('GET', `/projects/${projectId}/quality/scores?user_id=${b.userId}`)
    ).json().items;
    const del = await api('DELETE', `/annotations/${bAnnotation.annotation}`);
    expect(del.statusCode, del.body).toBe(204);
    await settled();
    const after = await ranking();
    expect(byUser(after, b)).toBeUndefined();
    // A has no peer left: (0.5 + 0.5 + 1) / 3.
    expect(byUser(after, a)).toMatchObject({ consistency: null });
    expect(byUser(after, a)!.total).toBeCloseTo(2 / 3, 5);
    const annotators = await api('GET', `/projects/${projectId}/quality/scores?scope=annotator&limit=1`);
    expect(annotators.json().items).toHaveLength(1);
    expect(annotators.json().next_cursor).toEqual(expect.any(String));
  });

  it('needs quality:read and project access', async () => {
    expect((await api('GET', `/projects/${projectId}/quality/ranking`, undefined, a)).statusCode).toBe(403);
    const viewer = await t.member(['viewer'], 'Viewer');
    expect((await api('GET', `/projects/${projectId}/quality/ranking`, undefined, viewer)).statusCode).toBe(
      404,
    );
    expect((await api('GET', `/projects/${projectId}/quality/scores?scope=everyone`)).statusCode).toBe(400);
  });
});
