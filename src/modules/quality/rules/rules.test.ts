import { inArray, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { newProject } from '../../../../test/annotation-fixtures.ts';
import { newTenant, type TenantFixture } from '../../../../test/fixtures.ts';
import { type TestContext, testApp } from '../../../../test/helpers.ts';
import { joinProject, seedTasks, systemSql } from '../../../../test/labeling-fixtures.ts';
import { choice, settledJobs, submit, until } from '../../../../test/quality-ops-fixtures.ts';
import { inTenant } from '../../../platform/db/tenancy.ts';
import { annotationView } from '../../annotation/index.ts';
import { annotations } from '../../annotation/schema.ts';
import { type CheckInput, resultAgreement, runRule } from './rules.ts';

const input = (result: unknown[], extra: Partial<CheckInput> = {}): CheckInput => ({
  annotation: { id: 1, result, lead_time: 10, was_cancelled: false, ground_truth: false, completed_by: null },
  task: { id: 1, data: { text: 'hello' } },
  controls: [{ name: 'sentiment', type: 'Choices', labels: ['Positive', 'Negative', 'Neutral'] }],
  others: [],
  ...extra,
});
const span = (id: string, start: number, end: number, label = 'PER') => ({
  id,
  from_name: 'label',
  to_name: 'text',
  type: 'labels',
  value: { start, end, labels: [label] },
});
const textarea = (text: string) => ({
  from_name: 'answer',
  to_name: 'text',
  type: 'textarea',
  value: { text: [text] },
});

describe('rule types', () => {
  it('judges each built-in type', async () => {
    expect((await runRule('required', {}, input([]))).passed).toBe(false);
    expect((await runRule('required', {}, input(choice('Positive')))).passed).toBe(true);
    expect((await runRule('allowed_labels', {}, input(choice('Happy')))).message).toContain('Happy');
    expect((await runRule('allowed_labels', { labels: ['Positive'] }, input(choice('Neutral')))).passed).toBe(
      false,
    );
    expect((await runRule('min_lead_time', { seconds: 20 }, input([]))).passed).toBe(false);
    const overlap = await runRule(
      'no_overlap',
      {},
      input([span('a', 0, 5), span('b', 3, 8), span('c', 8, 9)]),
    );
    expect(overlap).toMatchObject({ passed: false, details: { pairs: [['a', 'b']] } });
    expect((await runRule('no_overlap', {}, input([span('a', 0, 5), span('b', 5, 8)]))).passed).toBe(true);
    expect((await runRule('regex', { pattern: '^\\d{4}$' }, input([textarea('2024')]))).passed).toBe(true);
    expect((await runRule('regex', { pattern: '^\\d{4}$' }, input([textarea('24')]))).passed).toBe(false);
    expect((await runRule('text_length', { min: 3, max: 5 }, input([textarea('ab')]))).passed).toBe(false);
    expect((await runRule('text_length', { min: 3, max: 5 }, input([textarea('中文字')]))).passed).toBe(true);
    // Skips pass every rule.
    const skipped = input([]);
    skipped.annotation.was_cancelled = true;
    expect((await runRule('required', {}, skipped)).passed).toBe(true);
  });

  it('measures agreement as region overlap with the other annotations', async () => {
    expect(resultAgreement(choice('Positive'), choice('Positive'))).toBe(1);
    expect(resultAgreement(choice('Positive'), choice('Negative'))).toBe(0);
    expect(resultAgreement([span('a', 0, 5), span('b', 6, 9)], [span('x', 0, 5)])).toBe(0.5);
    const others = { others: [choice('Negative'), choice('Positive')] };
    const r = await runRule('agreement', { threshold: 0.6 }, input(choice('Positive'), others));
    expect(r).toMatchObject({ passed: false, details: { agreement: 0.5 } });
    expect((await runRule('agreement', { threshold: 0.6 }, input(choice('Positive')))).passed).toBe(true);
  });

  it('evaluates JSONata expressions without eval, within a time limit', async () => {
    const cfg = { expression: 'annotation.lead_time > 5 and $count(annotation.result) = 1' };
    expect((await runRule('expression', cfg, input(choice('Positive')))).passed).toBe(true);
    expect((await runRule('expression', cfg, input([]))).passed).toBe(false);
    const loop = await runRule(
      'expression',
      { expression: '($f := function($x){ $f($x) }; $f(1))' },
      input([]),
    );
    expect(loop.passed).toBe(false);
    expect(loop.message).toMatch(/Expression failed/);
    const spin = await runRule('expression', { expression: '$sum([1..9999999].($ * 2))' }, input([]));
    expect(spin.passed).toBe(false);
    // No way out to the process.
    const breakout = await runRule('expression', { expression: '$eval("process.exit(1)")' }, input([]));
    expect(breakout.passed).toBe(false);
  });
});

describe('quality rules and checks over the API', () => {
  let ctx: TestContext;
  let t: TenantFixture;
  let projectId: number;

  beforeAll(async () => {
    ctx = await testApp();
    t = await newTenant(ctx);
    projectId = (await newProject(t)).id;
  });

  const post = (url: string, payload: object, as = t.owner) => t.as(as, { method: 'POST', url, payload });

  it('rejects bad configs with a 400 naming the error, and needs quality:manage', async () => {
    const base = `/api/v1/projects/${projectId}/quality/rules`;
    const bad = await post(base, { name: 'x', type: 'expression', config: { expression: 'annotation.(' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    expect(bad.json().errors[0].path).toBe('body/config/expression');
    expect(bad.json().detail).toMatch(/expression/);
    const regex = await post(base, { name: 'x', type: 'regex', config: { pattern: '([a-z' } });
    expect(regex.statusCode).toBe(400);
    expect(regex.json().errors[0].path).toBe('body/config/pattern');
    expect((await post(base, { name: 'x', type: 'agreement', config: { threshold: 2 } })).statusCode).toBe(
      400,
    );
    expect((await post(base, { name: 'x', type: 'nope' })).statusCode).toBe(400);
    const annotator = await t.member(['annotator'], 'Ann');
    expect((await post(base, { name: 'x', type: 'required' }, annotator)).statusCode).toBe(403);
    expect(
      (await post('/api/v1/projects/999999999/quality/rules', { name: 'x', type: 'required' })).statusCode,
    ).toBe(404);
  });

  it('checks each submitted annotation in a job, records results and opens issues', async () => {
    // Before any rule, a submit queues no check.
    const [task0, task1, task2] = await seedTasks(ctx, t, { id: projectId, overlap: 1 } as never, 3);
    await submit(t, t.owner, task0!, choice('Positive'));
    const base = `/api/v1/projects/${projectId}/quality/rules`;
    const applied = await post(`/api/v1/projects/${projectId}/quality/rule-templates/basic/apply`, {});
    expect(applied.statusCode, applied.body).toBe(201);
    expect(applied.json().items.map((r: { type: string }) => r.type)).toEqual([
      'required',
      'allowed_labels',
      'min_lead_time',
    ]);
    const onlyPositive = await post(base, {
      name: 'Positive only',
      type: 'expression',
      config: { expression: "annotation.result.value.choices[0] = 'Positive'", message: 'not positive' },
      severity: 'critical',
      priority: 5,
    });
    expect(onlyPositive.statusCode).toBe(201);
    const before = await systemSql(
      ctx,
      sql`select count(*)::int as n from job_runs where tenant_id = ${t.tenantId} and kind = 'quality.check'`,
    );
    expect(before[0]!.n).toBe(0);

    const annotationId = await submit(t, t.owner, task1!, choice('Neutral'), 1);
    const runs = await settledJobs(ctx, t.tenantId, 'quality.check');
    expect(runs.map((r) => r.state)).toEqual(['completed']);
    expect(runs[0]!.result).toMatchObject({ checked: 4, failed: 2, issues: 2 });

    const results = await t.as(t.owner, {
      method: 'GET',
      url: `/api/v1/projects/${projectId}/quality/check-results?annotation_id=${annotationId}&passed=false`,
    });
    expect(
      results
        .json()
        .items.map((r: { message: string }) => r.message)
        .sort(),
    ).toEqual(['Lead time 1s is below the minimum 2s', 'not positive']);
    const issues = (
      await t.as(t.owner, { method: 'GET', url: `/api/v1/projects/${projectId}/quality/issues?status=open` })
    ).json().items;
    expect(issues).toHaveLength(2);
    expect(issues.map((i: { severity: string }) => i.severity).sort()).toEqual(['critical', 'low']);

    // Issue states: open → in_progress → resolved; resolved → wont_fix is not a move; reopen.
    const id = issues[0].id;
    const reviewer = await t.member(['reviewer'], 'Rev');
    await joinProject(t, projectId, reviewer, 'reviewer');
    const patch = (payload: object) =>
      t.as(reviewer, { method: 'PATCH', url: `/api/v1/quality/issues/${id}`, payload });
    expect((await patch({ status: 'in_progress', assignee_id: reviewer.userId })).json()).toMatchObject({
      status: 'in_progress',
      assignee_id: reviewer.userId,
    });
    expect((await patch({ status: 'resolved' })).json().resolved_at).not.toBeNull();
    expect((await patch({ status: 'wont_fix' })).statusCode).toBe(409);
    expect((await patch({ status: 'open' })).json()).toMatchObject({ status: 'open', resolved_at: null });
    const other = await newTenant(ctx);
    expect((await patch({ assignee_id: other.owner.userId })).statusCode).toBe(400);

    // A changed rule is a new version; the old one is kept.
    const changed = await t.as(t.owner, {
      method: 'PATCH',
      url: `/api/v1/quality/rules/${onlyPositive.json().id}`,
      payload: { severity: 'high', enabled: false },
    });
    expect(changed.json()).toMatchObject({ version: 2, severity: 'high', enabled: false });
    const versions = await t.as(t.owner, {
      method: 'GET',
      url: `/api/v1/quality/rules/${onlyPositive.json().id}/versions`,
    });
    expect(
      versions.json().items.map((v: { version: number; severity: string }) => [v.version, v.severity]),
    ).toEqual([
      [1, 'critical'],
      [2, 'high'],
    ]);

    // The batch check walks every submitted annotation; the live issue is not duplicated.
    await submit(t, t.owner, task2!, [], 30);
    await settledJobs(ctx, t.tenantId, 'quality.check', 2);
    const batch = await post(`/api/v1/projects/${projectId}/quality/checks`, {});
    expect(batch.statusCode).toBe(202);
    const [job] = await settledJobs(ctx, t.tenantId, 'quality.check_project');
    expect(job!.state).toBe('completed');
    expect(job!.result).toMatchObject({ annotations: 3, checked: 9 });
    const after = (
      await t.as(t.owner, { method: 'GET', url: `/api/v1/projects/${projectId}/quality/issues` })
    ).json().items;
    // task0's annotation passes; task1's keeps its 2 issues (rule 4 now disabled keeps its issue);
    // task2's empty result misses the required control.
    expect(after.map((i: { annotation_id: number; message: string }) => i.message).sort()).toEqual([
      'All controls answered: Missing required control(s): sentiment',
      'Minimum lead time: Lead time 1s is below the minimum 2s',
      'Positive only: not positive',
    ]);
  }, 180_000);

  it('adds submits to a check job that has not started, so checks keep up with submits', async () => {
    const t2 = await newTenant(ctx);
    const project = await newProject(t2);
    await t2.as(t2.owner, {
      method: 'POST',
      url: `/api/v1/projects/${project.id}/quality/rules`,
      payload: { name: 'Slow', type: 'min_lead_time', config: { seconds: 60 } },
    });
    const tasks = await seedTasks(ctx, t2, project, 3);
    const ids = await Promise.all(tasks.map((id) => submit(t2, t2.owner, id, choice('Positive'), 1)));
    // Announced together in one transaction, three annotations make one job.
    await inTenant(ctx.platform.database.db, { tenantId: t2.tenantId }, async (tx) => {
      for (const a of await tx.select().from(annotations).where(inArray(annotations.id, ids)))
        await ctx.platform.events.publish(tx, {
          tenantId: t2.tenantId,
          projectId: project.id,
          action: 'ANNOTATION_UPDATED',
          payload: { annotation: annotationView(a), task: { id: a.taskId }, project: { id: project.id } },
        });
    });
    // Every annotation is checked; the three announced together share one job.
    const byJob = await until(
      () =>
        systemSql<{ job_id: string; n: number }>(
          ctx,
          sql`select job_id, count(distinct annotation_id)::int as n from quality_check_results
            where tenant_id = ${t2.tenantId} group by job_id order by n desc`,
        ),
      (rows) => rows.some((r) => r.n === 3),
    );
    expect(byJob[0]!.n).toBe(3);
    const runs = await settledJobs(ctx, t2.tenantId, 'quality.check');
    expect(runs.every((r) => r.state === 'completed')).toBe(true);
    expect(runs.length).toBeLessThanOrEqual(4);
  });

  it('keeps tenant templates beside the built-in ones', async () => {
    const saved = await post('/api/v1/quality/rule-templates', {
      name: 'strict',
      rules: [
        { name: 'Slow down', type: 'min_lead_time', config: { seconds: 30 }, severity: 'high', priority: 1 },
      ],
    });
    expect(saved.statusCode).toBe(201);
    expect(
      (await post('/api/v1/quality/rule-templates', { name: 'basic', rules: saved.json().rules })).statusCode,
    ).toBe(409);
    const list = (await t.as(t.owner, { method: 'GET', url: '/api/v1/quality/rule-templates' })).json().items;
    expect(list.map((x: { name: string }) => x.name)).toEqual(['basic', 'nlp', 'strict']);
    const applied = await post(`/api/v1/projects/${projectId}/quality/rule-templates/strict/apply`, {});
    expect(applied.json().items[0]).toMatchObject({
      type: 'min_lead_time',
      template: 'strict',
      config: { seconds: 30 },
    });
    expect(
      (await post(`/api/v1/projects/${projectId}/quality/rule-templates/none/apply`, {})).statusCode,
    ).toBe(404);
  });
});
