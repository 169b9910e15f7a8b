import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { newProject, seedTasks } from '../../../../test/annotation-fixtures.ts';
import { newTenant } from '../../../../test/fixtures.ts';
import { testApp } from '../../../../test/helpers.ts';
import { importTasks, waitForJob } from '../../../../test/transfer-helpers.ts';
import { rowsOf } from '../../../platform/db/sql.ts';
import { inTenant } from '../../../platform/db/tenancy.ts';
import { SAMPLE_REVIEWS } from './sample.ts';

const choice = (value: string) => [
  { from_name: 'sentiment', to_name: 'review', type: 'choices', value: { choices: [value] } },
];

describe('the sample project', () => {
  it('creates a project with the twenty reviews through the import job, ready to label', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const res = await t.as(t.owner, { method: 'POST', url: '/api/v1/projects/sample', payload: {} });
    expect(res.statusCode).toBe(201);
    const project = res.json();
    expect(project).toMatchObject({ title: 'Sample: product review sentiment', member_role: 'manager' });
    expect(project.data_keys.sort()).toEqual(['product', 'review']);
    const job = await waitForJob(t, project.job_id);
    expect(job.state).toBe('completed');
    const imp = await t.as(t.owner, {
      method: 'GET',
      url: `/api/v1/projects/${project.id}/imports/${project.import_id}`,
    });
    expect(imp.json()).toMatchObject({ status: 'completed', counts: { tasks: 20 } });

    const list = await t.as(t.owner, { method: 'GET', url: `/api/v1/projects/${project.id}/tasks?limit=50` });
    const items = list.json().items as { id: number; data: { review: string; language: string } }[];
    expect(items.map((x) => x.data.review).sort()).toEqual(SAMPLE_REVIEWS.map((r) => r.review).sort());
    expect(items.filter((x) => x.data.language === 'zh')).toHaveLength(10);

    // A task of it takes an annotation the config allows, and refuses one it does not.
    const ok = await t.as(t.owner, {
      method: 'POST',
      url: `/api/v1/tasks/${items[0]!.id}/annotations`,
      payload: { result: choice('Positive') },
    });
    expect(ok.statusCode).toBe(201);
    const bad = await t.as(t.owner, {
      method: 'POST',
      url: `/api/v1/tasks/${items[1]!.id}/annotations`,
      payload: { result: choice('Delighted') },
    });
    expect(bad.statusCode).toBe(400);

    const audit = await t.as(t.owner, { method: 'GET', url: '/api/v1/audit/logs?action=project.created' });
    expect(audit.json().items).toEqual([
      expect.objectContaining({
        resource_id: String(project.id),
        details: expect.objectContaining({ sample: true, import_id: project.import_id }),
      }),
    ]);
  });

  it('speaks Chinese when asked, refuses an unknown language, and needs projects:create', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const zh = await t.as(t.owner, {
      method: 'POST',
      url: '/api/v1/projects/sample',
      payload: { language: 'zh-CN' },
    });
    expect(zh.statusCode).toBe(201);
    expect(zh.json().title).toBe('示例：商品评价情感');
    const bad = await t.as(t.owner, {
      method: 'POST',
      url: '/api/v1/projects/sample',
      payload: { language: 'fr' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    const annotator = await t.member(['annotator']);
    const denied = await t.as(annotator, { method: 'POST', url: '/api/v1/projects/sample', payload: {} });
    expect(denied.statusCode).toBe(403);
  });
});

describe('duplicating a project', () => {
  async function source() {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const p = await newProject(t, { instructions: '# Be kind', overlap: 2, review_required: true });
    const author = await t.member(['annotator']);
    await seedTasks(ctx, t, p.id, [
      {
        data: { text: 'good' },
        overlap: 2,
        annotations: [
          { completed_by: author.userId, result: [], review_status: 'approved' },
          { completed_by: author.userId, result: [] },
        ],
        predictions: [{ result: [], score: 0.4, model_version: 'v1' }],
      },
      { data: { text: 'bad' }, overlap: 2 },
      { data: { text: 'so-so' }, overlap: 2 },
    ]);
    return { ctx, t, p };
  }

  it('copies the config and settings only, by default, and audits it', async () => {
    const { t, p } = await source();
    const res = await t.as(t.owner, {
      method: 'POST',
      url: `/api/v1/projects/${p.id}/duplicate`,
      payload: { title: 'Copy' },
    });
    expect(res.statusCode).toBe(201);
    const copy = res.json();
    expect(copy).toMatchObject({
      title: 'Copy',
      label_config: p.label_config,
      instructions: '# Be kind',
      overlap: 2,
      review_required: true,
      task_count: 0,
      member_role: 'manager',
      copied: { tasks: 0, annotations: 0, predictions: 0 },
    });
    expect(copy.id).not.toBe(p.id);
    const audit = await t.as(t.owner, { method: 'GET', url: '/api/v1/audit/logs?action=project.duplicated' });
    expect(audit.json().items[0]).toMatchObject({
      resource_id: String(copy.id),
      details: { source_id: p.id },
    });
  });

  it('copies tasks as fresh ones, their documents kept for dedupe, not their annotations', async () => {
    const { ctx, t, p } = await source();
    const res = await t.as(t.owner, {
      method: 'POST',
      url: `/api/v1/projects/${p.id}/duplicate`,
      payload: { title: 'With tasks', tasks: true },
    });
    expect(res.statusCode).toBe(201);
    const copy = res.json();
    expect(copy).toMatchObject({ task_count: 3, copied: { tasks: 3, annotations: 0, predictions: 0 } });
    const list = await t.as(t.owner, { method: 'GET', url: `/api/v1/projects/${copy.id}/tasks` });
    const items = list.json().items as {
      data: { text: string };
      status: string;
      total_annotations: number;
    }[];
    expect(items.map((x) => x.data.text).sort()).toEqual(['bad', 'good', 'so-so']);
    expect(items.every((x) => x.status === 'pending' && x.total_annotations === 0)).toBe(true);
    // Tasks imported into the source project bring their documents: a dedupe import into the copy skips them.
    const { imp } = await importTasks(t, p.id, [{ data: { text: 'imported once' } }]);
    expect(imp.counts.tasks).toBe(1);
    const again = await t.as(t.owner, {
      method: 'POST',
      url: `/api/v1/projects/${p.id}/duplicate`,
      payload: { title: 'Second copy', tasks: true },
    });
    const second = again.json();
    const dedupe = await importTasks(t, second.id, [{ data: { text: 'imported once' } }], 'dedupe=true');
    expect(dedupe.imp.counts).toMatchObject({ tasks: 0, duplicates_skipped: 1 });
    // The original is untouched.
    const counts = await inTenant(ctx.platform.database.db, { tenantId: t.tenantId }, async (tx) =>
      rowsOf<{ n: string }>(
        await tx.execute(sql`select count(*) as n from annotations where project_id = ${p.id}`),
      ),
    );
    expect(Number(counts[0]!.n)).toBe(2);
  });

  it('copies annotations and predictions when asked, without their review decisions', async () => {
    const { t, p } = await source();
    const res = await t.as(t.owner, {
      method: 'POST',
      url: `/api/v1/projects/${p.id}/duplicate`,
      payload: { title: 'Everything', tasks: true, annotations: true },
    });
    expect(res.statusCode).toBe(201);
    const copy = res.json();
    expect(copy.copied).toEqual({ tasks: 3, annotations: 2, predictions: 1 });
    const list = await t.as(t.owner, { method: 'GET', url: `/api/v1/projects/${copy.id}/tasks` });
    const good = (list.json().items as { data: { text: string }; status: string; id: number }[]).find(
      (x) => x.data.text === 'good',
    )!;
    expect(good.status).toBe('completed');
    const detail = await t.as(t.owner, {
      method: 'GET',
      url: `/api/v1/projects/${copy.id}/tasks/${good.id}`,
    });
    const body = detail.json();
    expect(body.annotations).toHaveLength(2);
    expect(body.annotations.every((a: { review_status: unknown }) => a.review_status === null)).toBe(true);
    expect(body.predictions).toEqual([expect.objectContaining({ model_version: 'v1', score: 0.4 })]);
  });

  it('refuses annotations without tasks, an untitled copy, a member without manage, another tenant', async () => {
    const { ctx, t, p } = await source();
    const url = `/api/v1/projects/${p.id}/duplicate`;
    const noTasks = await t.as(t.owner, { method: 'POST', url, payload: { title: 'x', annotations: true } });
    expect(noTasks.statusCode).toBe(400);
    expect(noTasks.json().code).toBe('project.duplicate_needs_tasks');
    const untitled = await t.as(t.owner, { method: 'POST', url, payload: { title: '' } });
    expect(untitled.statusCode).toBe(400);
    const annotator = await t.member(['annotator']);
    expect((await t.as(annotator, { method: 'POST', url, payload: { title: 'x' } })).statusCode).toBe(403);
    const other = await newTenant(ctx);
    const foreign = await other.as(other.owner, {
      method: 'POST',
      url,
      payload: { title: 'x', tasks: true },
    });
    expect(foreign.statusCode).toBe(404);
  });
});
