import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { newProject, seedManyTasks, seedTasks } from '../../../../test/annotation-fixtures.ts';
import { type Member, newTenant, type TenantFixture } from '../../../../test/fixtures.ts';
import { startTestApp, type TestContext, testApp, testEnv } from '../../../../test/helpers.ts';
import { joinProject } from '../../../../test/labeling-fixtures.ts';
import { waitForJob } from '../../../../test/transfer-helpers.ts';
import { inTenant } from '../../../platform/db/tenancy.ts';
import { BULK_BATCH } from './tasks.service.ts';

async function unaudited(ctx: TestContext): Promise<number> {
  const metric = await ctx.platform.registry.getSingleMetric('superinsight_unaudited_mutations_total')?.get();
  return (metric?.values ?? []).reduce((sum, v) => sum + v.value, 0);
}

interface Item {
  id: number;
  created_at: string;
  total_annotations: number;
  prediction_score: number | null;
  [k: string]: unknown;
}

async function list(t: TenantFixture, projectId: number, query = '', as = t.owner) {
  const res = await t.as(as, {
    method: 'GET',
    url: `/api/v1/projects/${projectId}/tasks${query ? `?${query}` : ''}`,
  });
  return res;
}

/** Every page of a listing, following next_cursor. */
async function walk(t: TenantFixture, projectId: number, query: string) {
  const items: Item[] = [];
  let cursor: string | null = null;
  let pages = 0;
  let total = -1;
  do {
    const res = await list(t, projectId, `${query}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json() as { items: Item[]; next_cursor: string | null; total: number };
    items.push(...body.items);
    cursor = body.next_cursor;
    total = body.total;
    pages += 1;
  } while (cursor && pages < 1000);
  return { items, pages, total };
}

const sentiment = (choice: string, id = `r-${choice}`) => [
  { id, from_name: 'sentiment', to_name: 'text', type: 'choices', value: { choices: [choice] } },
];

describe('data manager: list', () => {
  it('says who each task is assigned to and who is labeling it now', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const p = await newProject(t);
    const [a, b, c] = await seedTasks(ctx, t, p.id, [
      { data: { text: 'a' } },
      { data: { text: 'b' } },
      { data: { text: 'c' } },
    ]);
    const ann = await t.member(['annotator'], 'Holder');
    await joinProject(t, p.id, ann, 'annotator');
    const assigned = await t.as(t.owner, {
      method: 'POST',
      url: `/api/v1/projects/${p.id}/assignments`,
      payload: { task_ids: [b], user_ids: [ann.userId, t.owner.userId], mode: 'manual' },
    });
    expect(assigned.statusCode, assigned.body).toBe(201);
    // The annotator's next task is the one assigned to them: they hold it now.
    const next = await t.as(ann, { method: 'GET', url: `/api/v1/projects/${p.id}/next` });
    expect(next.json().id).toBe(b);
    const items = (await list(t, p.id)).json().items as {
      id: number;
      assignees: string[];
      holders: string[];
    }[];
    const people = Object.fromEntries(
      items.map((i) => [i.id, { assignees: i.assignees, holders: i.holders }]),
    );
    expect(people).toEqual({
      [a!]: { assignees: [], holders: [] },
      [b!]: { assignees: [ann.userId, t.owner.userId].sort(), holders: [ann.userId] },
      [c!]: { assignees: [], holders: [] },
    });
  });

  it('lists tasks in Label Studio shape with the kept total, and 404s across projects and tenants', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const other = await newTenant(ctx);
    const p = await newProject(t);
    const q = await newProject(t, { title: 'Other project' });
    const [a, b] = await seedTasks(ctx, t, p.id, [
      { data: { text: 'Great movie' }, meta: { source: 'imdb' } },
      {
        data: { text: 'Awful movie' },
        annotations: [{ completed_by: t.owner.userId, result: sentiment('Negative') }],
        predictions: [{ result: sentiment('Negative'), score: 0.42, model_version: 'v1' }],
      },
    ]);
    const [foreign] = await seedTasks(ctx, t, q.id, [{ data: { text: 'elsewhere' } }]);

    const res = await list(t, p.id);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.total).toBe(2);
    expect(body.next_cursor).toBeNull();
    expect(body.items).toEqual([
      expect.objectContaining({
        id: a,
        project: p.id,
        data: { text: 'Great movie' },
        meta: { source: 'imdb' },
        status: 'pending',
        priority: 'medium',
        total_annotations: 0,
        cancelled_annotations: 0,
        total_predictions: 0,
        is_finished: false,
        prediction_score: null,
      }),
      expect.objectContaining({
        id: b,
        status: 'completed',
        total_annotations: 1,
        total_predictions: 1,
        is_finished: true,
      }),
    ]);
    expect(body.items[1].prediction_score).toBeCloseTo(0.42, 5);
    expect(body.items[0]).not.toHaveProperty('annotations');
    expect(new Date(body.items[0].created_at).toISOString()).toBe(body.items[0].created_at);

    // The full task: annotations and predictions in Label Studio's shape.
    const full = await t.as(t.owner, { method: 'GET', url: `/api/v1/projects/${p.id}/tasks/${b}` });
    expect(full.statusCode).toBe(200);
    expect(full.json()).toMatchObject({
      id: b,
      data: { text: 'Awful movie' },
      is_labeled: true,
      annotations: [
        {
          result: sentiment('Negative'),
          was_cancelled: false,
          ground_truth: false,
          lead_time: 0,
          completed_by: t.owner.userId,
        },
      ],
      predictions: [{ result: sentiment('Negative'), model_version: 'v1' }],
    });

    // A task of another project through this project, another tenant, an unknown project.
    expect(
      (await t.as(t.owner, { method: 'GET', url: `/api/v1/projects/${p.id}/tasks/${foreign}` })).statusCode,
    ).toBe(404);
    expect((await list(other, p.id, '', other.owner)).statusCode).toBe(404);
    expect(
      (await other.as(other.owner, { method: 'GET', url: `/api/v1/projects/${p.id}/tasks/${a}` })).statusCode,
    ).toBe(404);
    expect((await list(t, 987654321)).statusCode).toBe(404);
    // A tenant member who is no project member sees no project.
    const stranger = await t.member(['annotator']);
    expect((await list(t, p.id, '', stranger)).statusCode).toBe(404);
  });

  it('pages through every sort, both directions, with no duplicates and no gaps', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const p = await newProject(t);
    const n = 1234;
    await seedManyTasks(ctx, t, p.id, n);
    const all = await walk(t, p.id, 'limit=1000');
    expect(all.items).toHaveLength(n);
    expect(all.total).toBe(n);
    const byId = all.items.map((i) => i.id);
    expect(byId).toEqual([...byId].sort((x, y) => x - y));

    const keyOf: Record<string, (i: Item) => number | null> = {
      id: (i) => i.id,
      created_at: (i) => Date.parse(i.created_at),
      total_annotations: (i) => i.total_annotations,
      prediction_score: (i) => i.prediction_score,
    };
    for (const key of Object.keys(keyOf)) {
      for (const desc of [false, true]) {
        const sort = `${desc ? '-' : ''}${key}`;
        const { items, pages } = await walk(t, p.id, `limit=97&sort=${sort}`);
        const ids = items.map((i) => i.id);
        expect(new Set(ids).size, sort).toBe(n);
        expect(pages, sort).toBe(Math.ceil(n / 97));
        const k = keyOf[key]!;
        const expected = [...all.items].sort((x, y) => {
          const a = k(x);
          const b = k(y);
          // Unscored tasks come last in both directions.
          if (a === null || b === null) {
            if (a !== b) return a === null ? 1 : -1;
          } else if (a !== b) return desc ? b - a : a - b;
          return desc ? y.id - x.id : x.id - y.id;
        });
        expect(ids, sort).toEqual(expected.map((i) => i.id));
      }
    }
    // A filter with a sort pages the same way.
    const filtered = await walk(t, p.id, 'limit=50&sort=-prediction_score&annotated=true');
    expect(filtered.items.every((i) => i.total_annotations > 0)).toBe(true);
    expect(filtered.items).toHaveLength(all.items.filter((i) => i.total_annotations > 0).length);
    expect(filtered.total).toBe(filtered.items.length);
  });

  it('filters by status, annotation, reviewer, predictions, score, model version, text and creation time', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const p = await newProject(t);
    const ann = await t.member(['annotator'], 'Ann');
    const ids = await seedTasks(ctx, t, p.id, [
      /* 0 */ { data: { text: 'The Quick brown fox' }, created_at: '2025-03-01T10:00:00Z' },
      /* 1 */ {
        data: { text: 'lazy dog' },
        created_at: '2025-03-02T10:00:00Z',
        annotations: [{ completed_by: ann.userId, result: sentiment('Positive'), review_status: 'approved' }],
        predictions: [{ score: 0.9, model_version: 'bert-v2' }],
      },
      /* 2 */ {
        data: { text: 'QUICKSILVER' },
        created_at: '2025-03-03T10:00:00Z',
        annotations: [{ completed_by: t.owner.userId, result: sentiment('Neutral') }],
        predictions: [
          { score: 0.2, model_version: 'bert-v1' },
          { score: 0.6, model_version: 'bert-v2' },
        ],
      },
      /* 3 */ {
        data: { text: 'skipped one', title: 'quick' },
        created_at: '2025-03-04T10:00:00Z',
        annotations: [{ completed_by: ann.userId, was_cancelled: true }],
      },
      /* 4 */ { data: { text: '100% quick_ly' }, created_at: '2025-03-05T10:00:00Z', priority: 'urgent' },
    ]);
    const expectIds = async (query: string, want: number[]) => {
      const res = await list(t, p.id, query);
      expect(res.statusCode, `${query}: ${res.body}`).toBe(200);
      expect(
        res.json().items.map((i: Item) => i.id),
        query,
      ).toEqual(want.map((i) => ids[i]));
      expect(res.json().total, query).toBe(want.length);
    };
    await expectIds('status=pending', [0, 4]);
    await expectIds('status=completed&status=reviewed', [1, 2]);
    await expectIds('status=in_progress', [3]);
    await expectIds('priority=urgent', [4]);
    await expectIds('annotated=true', [1, 2]);
    await expectIds('annotated=false', [0, 3, 4]);
    await expectIds(`annotated_by=${ann.userId}`, [1, 3]);
    await expectIds(`annotated_by=${t.owner.userId}`, [2]);
    await expectIds('reviewed=true', [1]);
    await expectIds('reviewed=false', [0, 2, 3, 4]);
    await expectIds('has_predictions=true', [1, 2]);
    await expectIds('has_predictions=false', [0, 3, 4]);
    await expectIds('score_min=0.5', [1]);
    await expectIds('score_max=0.5', [2]);
    await expectIds('score_min=0.1&score_max=0.95&sort=prediction_score', [2, 1]);
    await expectIds('model_version=bert-v2', [1, 2]);
    await expectIds('model_version=bert-v1', [2]);
    await expectIds('data_key=text&contains=quick', [0, 2, 4]);
    // LIKE wildcards in the search text are literal.
    await expectIds('data_key=text&contains=100%25', [4]);
    await expectIds('data_key=text&contains=k_l', [4]);
    await expectIds('data_key=title&contains=QUICK', [3]);
    await expectIds('created_from=2025-03-02T00:00:00Z&created_to=2025-03-04T10:00:00Z', [1, 2]);
    await expectIds('annotated=true&has_predictions=true&score_max=0.5&sort=-id', [2]);
  });

  it('counts a filtered total once and caches it briefly; the unfiltered total is the kept task_count', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const p = await newProject(t);
    await seedTasks(ctx, t, p.id, [
      { data: { text: 'a' } },
      { data: { text: 'b' } },
      { data: { text: 'c' } },
    ]);
    const first = await list(t, p.id, 'status=pending&limit=1');
    expect(first.json().total).toBe(3);
    // One more matching task: the cached total stands while the pages already show it.
    await seedTasks(ctx, t, p.id, [{ data: { text: 'd' } }]);
    const again = await list(t, p.id, 'status=pending&limit=10');
    expect(again.json().total).toBe(3);
    expect(again.json().items).toHaveLength(4);
    // The unfiltered total is projects.task_count, never counted.
    expect((await list(t, p.id)).json().total).toBe(4);
    // A bulk action invalidates cached totals of its project.
    const del = await t.as(t.owner, {
      method: 'POST',
      url: `/api/v1/projects/${p.id}/tasks/actions`,
      payload: {
        action: 'set_priority',
        selection: { filter: { data_key: 'text', contains: 'd' } },
        priority: 'high',
      },
    });
    expect(del.statusCode).toBe(202);
    expect((await waitForJob(t, del.json().job_id)).result).toEqual({ affected: 1 });
    expect((await list(t, p.id, 'status=pending&limit=1')).json().total).toBe(4);
  });

  it('counts a costly filtered total in the background: the page answers at once, a later request has the total', async () => {
    // Every count costs more than nothing: each filtered total goes to the count job.
    const ctx = await startTestApp(testEnv({ COUNT_INLINE_MAX_COST: '0' }));
    try {
      const t = await newTenant(ctx);
      const p = await newProject(t);
      await seedTasks(ctx, t, p.id, [
        { data: { text: 'a' } },
        { data: { text: 'b' } },
        { data: { text: 'c' } },
      ]);
      const first = await list(t, p.id, 'status=pending&limit=2');
      expect(first.statusCode, first.body).toBe(200);
      expect(first.json()).toMatchObject({ total: null, total_job: expect.any(String) });
      expect(first.json().items).toHaveLength(2);
      const jobId = first.json().total_job as string;
      // Until the job is done, requests for the same total wait on it rather than queue another.
      const meanwhile = (await list(t, p.id, 'status=pending&limit=1')).json();
      if (meanwhile.total === null) expect(meanwhile.total_job).toBe(jobId);
      const job = await waitForJob(t, jobId);
      expect(job).toMatchObject({ state: 'completed', result: { total: 3 } });
      const later = (await list(t, p.id, 'status=pending&limit=1')).json();
      expect(later.total).toBe(3);
      expect(later).not.toHaveProperty('total_job');
      // The unfiltered total is the kept task_count, never counted.
      expect((await list(t, p.id)).json()).toMatchObject({ total: 3 });
      expect((await list(t, p.id)).json()).not.toHaveProperty('total_job');
    } finally {
      await ctx.app.close();
      await ctx.platform.close();
    }
  });

  it('refuses bad queries with 400s', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const p = await newProject(t);
    for (const q of [
      'limit=1001',
      'limit=0',
      'sort=title',
      'contains=x',
      'data_key=text',
      'score_min=0.9&score_max=0.1',
      'status=done',
      'annotated=maybe',
      'annotated_by=nobody',
      'created_from=yesterday',
      'cursor=not-a-cursor',
      `cursor=${Buffer.from('["x"]').toString('base64url')}`,
      `sort=prediction_score&cursor=${Buffer.from('[7,0,1]').toString('base64url')}`,
      'colour=red',
    ]) {
      const res = await list(t, p.id, q);
      expect(res.statusCode, q).toBe(400);
      expect(res.headers['content-type'], q).toContain('application/problem+json');
    }
  });
});

/**
 * Posts a bulk action. A filter runs as a job (202 with its id): this waits for the job and
 * answers with its result as the body, so both paths read alike.
 */
async function action(t: TenantFixture, projectId: number, payload: Record<string, unknown>, as?: Member) {
  const who = as ?? t.owner;
  const res = await t.as(who, {
    method: 'POST',
    url: `/api/v1/projects/${projectId}/tasks/actions`,
    payload,
  });
  const selection = payload.selection as { filter?: unknown } | undefined;
  if (res.statusCode >= 400 || !selection?.filter) return res;
  expect(res.statusCode, res.body).toBe(202);
  const job = await waitForJob(t, res.json().job_id, who);
  expect(job.state, job.error ?? '').toBe('completed');
  return {
    statusCode: 200,
    body: JSON.stringify(job.result),
    json: () => job.result as Record<string, unknown>,
  };
}

describe('data manager: bulk actions', () => {
  it('deletes by ids and by filter, keeping task_count, and ignores tasks of other projects', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const p = await newProject(t);
    const q = await newProject(t, { title: 'Q' });
    const before = await unaudited(ctx);
    const ids = await seedTasks(ctx, t, p.id, [
      {
        data: { text: 'one' },
        annotations: [{ completed_by: t.owner.userId, result: sentiment('Positive') }],
      },
      { data: { text: 'two' } },
      { data: { text: 'three' }, predictions: [{ score: 0.5 }] },
      { data: { text: 'four' } },
    ]);
    const [foreign] = await seedTasks(ctx, t, q.id, [{ data: { text: 'foreign' } }]);

    const res = await action(t, p.id, {
      action: 'delete',
      selection: { ids: [ids[0], ids[1], foreign, 999999999] },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ affected: 2 });
    const proj = await t.as(t.owner, { method: 'GET', url: `/api/v1/projects/${p.id}` });
    expect(proj.json().task_count).toBe(2);
    expect((await list(t, p.id)).json().items.map((i: Item) => i.id)).toEqual([ids[2], ids[3]]);
    expect((await t.as(t.owner, { method: 'GET', url: `/api/v1/projects/${q.id}` })).json().task_count).toBe(
      1,
    );
    const summary = await t.as(t.owner, { method: 'GET', url: `/api/v1/projects/${p.id}/summary` });
    expect(summary.json()).toMatchObject({ task_count: 2, annotations: 0, predictions: 1 });

    const byFilter = await action(t, p.id, {
      action: 'delete',
      selection: { filter: { has_predictions: false } },
    });
    expect(byFilter.json()).toEqual({ affected: 1 });
    expect((await list(t, p.id)).json()).toMatchObject({ total: 1, items: [{ id: ids[2] }] });

    const audit = await t.as(t.owner, { method: 'GET', url: '/api/v1/audit/logs?action=tasks.delete' });
    expect(audit.json().items).toHaveLength(2);
    expect(await unaudited(ctx)).toBe(before);
  });

  it('sets priority, removes annotations and predictions, and keeps the counters and status right', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const p = await newProject(t);
    const ids = await seedTasks(ctx, t, p.id, [
      {
        data: { text: 'a' },
        annotations: [
          { completed_by: t.owner.userId, result: sentiment('Positive') },
          { completed_by: t.owner.userId, was_cancelled: true },
        ],
        predictions: [{ score: 0.3, model_version: 'm1' }],
      },
      {
        data: { text: 'b' },
        predictions: [
          { score: 0.7, model_version: 'm1' },
          { score: 0.1, model_version: 'm2' },
        ],
      },
      { data: { text: 'c' }, annotations: [{ completed_by: t.owner.userId, result: sentiment('Neutral') }] },
    ]);
    const pr = await action(t, p.id, {
      action: 'set_priority',
      selection: { filter: { model_version: 'm1' } },
      priority: 'urgent',
    });
    expect(pr.json()).toEqual({ affected: 2 });
    expect((await list(t, p.id, 'priority=urgent')).json().items.map((i: Item) => i.id)).toEqual([
      ids[0],
      ids[1],
    ]);

    const ra = await action(t, p.id, { action: 'remove_annotations', selection: { ids: [ids[0], ids[1]] } });
    expect(ra.json()).toEqual({ affected: 2, removed: 2 });
    const a = (
      await t.as(t.owner, { method: 'GET', url: `/api/v1/projects/${p.id}/tasks/${ids[0]}` })
    ).json();
    expect(a).toMatchObject({
      annotations: [],
      total_annotations: 0,
      cancelled_annotations: 0,
      is_finished: false,
      status: 'pending',
    });
    const c = (
      await t.as(t.owner, { method: 'GET', url: `/api/v1/projects/${p.id}/tasks/${ids[2]}` })
    ).json();
    expect(c).toMatchObject({ total_annotations: 1, status: 'completed' });

    const rp = await action(t, p.id, {
      action: 'remove_predictions',
      selection: { filter: { has_predictions: true } },
    });
    expect(rp.json()).toEqual({ affected: 2, removed: 3 });
    const items = (await list(t, p.id)).json().items as Item[];
    expect(items.map((i) => [i.total_predictions, i.prediction_score])).toEqual([
      [0, null],
      [0, null],
      [0, null],
    ]);
    const summary = (await t.as(t.owner, { method: 'GET', url: `/api/v1/projects/${p.id}/summary` })).json();
    expect(summary).toMatchObject({ annotations: 1, cancelled: 0, predictions: 0, finished: 1 });

    // Validation: set_priority needs a priority; an empty id list and unknown actions are 400s.
    expect((await action(t, p.id, { action: 'set_priority', selection: { ids: [ids[0]] } })).statusCode).toBe(
      400,
    );
    expect((await action(t, p.id, { action: 'delete', selection: { ids: [] } })).statusCode).toBe(400);
    expect((await action(t, p.id, { action: 'explode', selection: { ids: [ids[0]] } })).statusCode).toBe(400);
    expect(
      (await action(t, p.id, { action: 'delete', selection: { filter: { contains: 'x' } } })).statusCode,
    ).toBe(400);
  });

  it('assigns the selected tasks evenly over the users, and refuses users who cannot annotate', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const p = await newProject(t);
    const members = [
      await t.member(['annotator'], 'A'),
      await t.member(['annotator'], 'B'),
      await t.member(['annotator'], 'C'),
    ];
    for (const m of members) {
      const r = await t.as(t.owner, {
        method: 'POST',
        url: `/api/v1/projects/${p.id}/members`,
        payload: { user_id: m.userId, role: 'annotator' },
      });
      expect(r.statusCode).toBe(201);
    }
    await seedManyTasks(ctx, t, p.id, 11);
    const res = await action(t, p.id, {
      action: 'assign',
      selection: { filter: {} },
      user_ids: members.map((m) => m.userId),
    });
    expect(res.json()).toEqual({ affected: 11, assignments_created: 11 });
    const counts = await inTenant(
      ctx.platform.database.db,
      { tenantId: t.tenantId },
      async (tx) =>
        (
          (await tx.execute(
            sql`select user_id, count(*)::int as n, min(kind) as kind, min(source) as source
              from task_assignments where project_id = ${p.id} group by user_id order by n desc`,
          )) as unknown as { rows: { user_id: string; n: number; kind: string; source: string }[] }
        ).rows,
    );
    expect(counts.map((c) => c.n)).toEqual([4, 4, 3]);
    expect(counts.every((c) => c.kind === 'annotate' && c.source === 'manual')).toBe(true);
    // Again: nothing new is created.
    expect(
      (
        await action(t, p.id, { action: 'assign', selection: { filter: {} }, user_ids: [members[0]!.userId] })
      ).json(),
    ).toMatchObject({
      affected: 11,
    });

    const outsider = await t.member(['annotator'], 'Outsider');
    const refused = await action(t, p.id, {
      action: 'assign',
      selection: { filter: {} },
      user_ids: [outsider.userId],
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().errors[0].path).toBe('body/user_ids/0');
    const stranger = await newTenant(ctx);
    const foreign = await action(t, p.id, {
      action: 'assign',
      selection: { filter: {} },
      user_ids: [stranger.owner.userId],
    });
    expect(foreign.statusCode).toBe(400);
    expect((await action(t, p.id, { action: 'assign', selection: { filter: {} } })).statusCode).toBe(400);
  });

  it('runs a filter over more than one batch as a job: 202, progress and result at GET /jobs/{id}', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const p = await newProject(t);
    // Two and a bit batches; a quarter of them (i % 4 = 0) are pending, the rest completed.
    const n = BULK_BATCH * 2 + 40;
    await seedManyTasks(ctx, t, p.id, n);
    const res = await t.as(t.owner, {
      method: 'POST',
      url: `/api/v1/projects/${p.id}/tasks/actions`,
      payload: { action: 'set_priority', selection: { filter: {} }, priority: 'high' },
    });
    expect(res.statusCode, res.body).toBe(202);
    const job = await waitForJob(t, res.json().job_id);
    expect(job).toMatchObject({ state: 'completed', progress: 1, result: { affected: n } });
    expect((await list(t, p.id, 'priority=high&limit=1')).json().total).toBe(n);

    const del = await t.as(t.owner, {
      method: 'POST',
      url: `/api/v1/projects/${p.id}/tasks/actions`,
      payload: { action: 'delete', selection: { filter: { status: ['completed'] } } },
    });
    expect(del.statusCode).toBe(202);
    const deleted = await waitForJob(t, del.json().job_id);
    expect(deleted.result).toEqual({ affected: n - Math.floor(n / 4) });
    const project = (await t.as(t.owner, { method: 'GET', url: `/api/v1/projects/${p.id}` })).json();
    expect(project.task_count).toBe(Math.floor(n / 4));
    expect((await list(t, p.id, 'limit=1')).json().total).toBe(Math.floor(n / 4));
    const audit = await t.as(t.owner, { method: 'GET', url: '/api/v1/audit/logs?action=tasks.delete' });
    expect(audit.json().items[0].details.job_id).toBe(del.json().job_id);

    // An id list longer than one batch is a job too; a short one answers at once.
    const ids = (await list(t, p.id, 'limit=1000')).json().items.map((i: Item) => i.id);
    const long = await t.as(t.owner, {
      method: 'POST',
      url: `/api/v1/projects/${p.id}/tasks/actions`,
      payload: {
        action: 'set_priority',
        selection: { ids: [...ids, ...Array.from({ length: BULK_BATCH }, (_, i) => 900_000_000 + i)] },
        priority: 'low',
      },
    });
    expect(long.statusCode).toBe(202);
    expect((await waitForJob(t, long.json().job_id)).result).toEqual({ affected: ids.length });
    // Another tenant cannot read the job.
    const other = await newTenant(ctx);
    expect(
      (await other.as(other.owner, { method: 'GET', url: `/api/v1/jobs/${long.json().job_id}` })).statusCode,
    ).toBe(404);
  });

  it('needs tasks:manage and project management; other tenants get 404', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const other = await newTenant(ctx);
    const p = await newProject(t);
    const [id] = await seedTasks(ctx, t, p.id, [{ data: { text: 'x' } }]);
    const annotator = await t.member(['annotator']);
    await t.as(t.owner, {
      method: 'POST',
      url: `/api/v1/projects/${p.id}/members`,
      payload: { user_id: annotator.userId, role: 'annotator' },
    });
    expect(
      (await action(t, p.id, { action: 'delete', selection: { ids: [id] } }, annotator)).statusCode,
    ).toBe(403);
    expect(
      (await action(other, p.id, { action: 'delete', selection: { ids: [id] } }, other.owner)).statusCode,
    ).toBe(404);
    expect((await list(t, p.id)).json().total).toBe(1);
  });
});
