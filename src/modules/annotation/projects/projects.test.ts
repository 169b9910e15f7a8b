import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
  newProject,
  seedManyTasks,
  seedTasks,
  TEXT_CLASSIFICATION_CONFIG,
} from '../../../../test/annotation-fixtures.ts';
import { newTenant } from '../../../../test/fixtures.ts';
import { testApp } from '../../../../test/helpers.ts';
import { importTasks, waitForJob } from '../../../../test/transfer-helpers.ts';
import { inTenant } from '../../../platform/db/tenancy.ts';
import { OVERLAP_BATCH } from './project.jobs.ts';
import { DELETE_BATCH } from './projects.service.ts';

const NER = `<View>
  <Labels name="label" toName="text">
    <Label value="PER"/><Label value="ORG"/><Label value="LOC"/><Label value="MISC"/>
  </Labels>
  <Text name="text" value="$ner"/>
</View>`;

describe('projects: create and read', () => {
  it('creates a project with defaults, the data keys of its config, and audits it', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const p = await newProject(t, { description: 'Movie reviews', instructions: '# Be kind' });
    expect(p).toMatchObject({
      title: 'Sentiment',
      description: 'Movie reviews',
      instructions: '# Be kind',
      label_config: TEXT_CLASSIFICATION_CONFIG,
      data_keys: ['text'],
      overlap: 1,
      overlap_coverage: 100,
      ordering: 'id',
      reservation_minutes: 60,
      annotator_task_limit: null,
      skip_policy: 'requeue_others',
      review_required: false,
      task_count: 0,
      created_by: t.owner.userId,
      member_role: 'manager',
    });
    expect(p.parsed_config).toEqual({
      objects: [{ name: 'text', type: 'Text', value: '$text' }],
      controls: [
        { name: 'sentiment', type: 'Choices', toName: ['text'], labels: ['Positive', 'Negative', 'Neutral'] },
      ],
      dataKeys: ['text'],
    });
    const got = await t.as(t.owner, { method: 'GET', url: `/api/v1/projects/${p.id}` });
    expect(got.statusCode).toBe(200);
    expect(got.json()).toEqual(p);
    const audit = await t.as(t.owner, { method: 'GET', url: `/api/v1/audit/logs?action=project.created` });
    expect(audit.json().items).toEqual([
      expect.objectContaining({ action: 'project.created', resource_id: String(p.id) }),
    ]);
  });

  it('takes every setting', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const p = await newProject(t, {
      title: 'NER',
      label_config: NER,
      overlap: 3,
      overlap_coverage: 40,
      ordering: 'uncertainty',
      reservation_minutes: 15,
      annotator_task_limit: 500,
      skip_policy: 'requeue_me',
      review_required: true,
    });
    expect(p).toMatchObject({
      data_keys: ['ner'],
      overlap: 3,
      overlap_coverage: 40,
      ordering: 'uncertainty',
      reservation_minutes: 15,
      annotator_task_limit: 500,
      skip_policy: 'requeue_me',
      review_required: true,
    });
  });

  it('refuses an invalid config with a 400 naming the problem', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const cases: [string, RegExp][] = [
      ['<View><Text name="t" value="$t"></View>', /not well-formed XML at line 1, column \d+/],
      ['<Text name="t" value="$t"/>', /root tag must be <View>/],
      [
        '<View><Text name="t" value="$t"/><Choices name="c"><Choice value="a"/></Choices></View>',
        /<Choices name="c"> has no toName/,
      ],
      [
        '<View><Text name="t" value="$t"/><Choices name="c" toName="x"><Choice value="a"/></Choices></View>',
        /toName "x", which names no tag/,
      ],
      [
        '<View><Text name="t" value="$t"/><Choices toName="t"><Choice value="a"/></Choices></View>',
        /<Choices> has no name/,
      ],
    ];
    for (const [label_config, detail] of cases) {
      const res = await t.as(t.owner, {
        method: 'POST',
        url: '/api/v1/projects',
        payload: { title: 'x', label_config },
      });
      expect(res.statusCode, label_config).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().detail).toMatch(detail);
      expect(res.json().errors[0].path).toBe('body/label_config');
    }
    const bad = await t.as(t.owner, {
      method: 'POST',
      url: '/api/v1/projects',
      payload: { title: 'x', label_config: TEXT_CLASSIFICATION_CONFIG, overlap: 0, colour: 'red' },
    });
    expect(bad.statusCode).toBe(400);
  });

  it("accepts what Label Studio accepts with warnings, and a Repeater project takes its instances' results", async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const warned = await t.as(t.owner, {
      method: 'POST',
      url: '/api/v1/projects',
      payload: {
        title: 'Odd',
        label_config:
          '<View><Text name="t" value="$t"/><Choices name="c" toName="t"><Choice value="a"/></Choices><Rating name="r" toName="c"/><Marquee/></View>',
      },
    });
    expect(warned.statusCode, warned.body).toBe(201);
    expect(warned.json().warnings.map((w: { code: string }) => w.code)).toEqual([
      'to_name_not_object',
      'unknown_tag',
    ]);

    // Label Studio's Repeater case (its test_config_validation.py): regions name labels_0 → page_0.
    const created = await t.as(t.owner, {
      method: 'POST',
      url: '/api/v1/projects',
      payload: {
        title: 'Pages',
        label_config:
          '<View><Repeater on="$images" indexFlag="{{idx}}"><Image name="page_{{idx}}" value="$images[{{idx}}].url"/><RectangleLabels name="labels_{{idx}}" toName="page_{{idx}}"><Label value="Header"/><Label value="Body"/></RectangleLabels></Repeater></View>',
      },
    });
    expect(created.statusCode, created.body).toBe(201);
    const box = (i: number, label: string) => ({
      id: `r${i}`,
      from_name: `labels_${i}`,
      to_name: `page_${i}`,
      type: 'rectanglelabels',
      value: { x: 1, y: 2, width: 3, height: 4, rectanglelabels: [label] },
    });
    const task = (label: string) => ({
      data: { images: [{ url: 'p0.png' }, { url: 'p1.png' }] },
      annotations: [{ result: [box(0, 'Header'), box(1, label)] }],
    });
    const { job } = await importTasks(t, created.json().id, [task('Body')]);
    expect(job.state, JSON.stringify(job)).toBe('completed');
    const refused = await t.as(t.owner, {
      method: 'POST',
      url: `/api/v1/projects/${created.json().id}/import`,
      payload: [task('Footer')],
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().errors).toEqual([
      {
        path: 'body/0',
        message: 'annotations[0].result[1].value.rectanglelabels[0] "Footer" is not a label of "labels_1"',
      },
    ]);
  });

  it('needs projects:create, and hides projects of other tenants and non-members (404)', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const other = await newTenant(ctx);
    const annotator = await t.member(['annotator']);
    const denied = await t.as(annotator, {
      method: 'POST',
      url: '/api/v1/projects',
      payload: { title: 'x', label_config: TEXT_CLASSIFICATION_CONFIG },
    });
    expect(denied.statusCode).toBe(403);
    const p = await newProject(t);
    expect((await other.as(other.owner, { method: 'GET', url: `/api/v1/projects/${p.id}` })).statusCode).toBe(
      404,
    );
    expect((await t.as(annotator, { method: 'GET', url: `/api/v1/projects/${p.id}` })).statusCode).toBe(404);
    expect((await t.as(t.owner, { method: 'GET', url: '/api/v1/projects/999999999' })).statusCode).toBe(404);
  });
});

const sentiment = (choice: string) => [
  {
    id: `r-${choice}`,
    from_name: 'sentiment',
    to_name: 'text',
    type: 'choices',
    value: { choices: [choice] },
  },
];

describe('projects: list', () => {
  it('shows managers every project and others their member projects, newest first, with a cursor', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const other = await newTenant(ctx);
    await newProject(other, { title: 'Not mine' });
    const made = [];
    for (const title of ['Alpha', 'Beta', 'Gamma', 'Delta', 'Epsilon'])
      made.push(await newProject(t, { title }));
    const manager = await t.member(['manager']);
    const annotator = await t.member(['annotator']);
    await t.as(t.owner, {
      method: 'POST',
      url: `/api/v1/projects/${made[1]!.id}/members`,
      payload: { user_id: annotator.userId, role: 'annotator' },
    });

    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const res = await t.as(manager, {
        method: 'GET',
        url: `/api/v1/projects?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      });
      expect(res.statusCode).toBe(200);
      seen.push(...res.json().items.map((p: { id: number }) => p.id));
      cursor = res.json().next_cursor;
    } while (cursor);
    expect(seen).toEqual(made.map((p) => p.id).reverse());

    const mine = await t.as(annotator, { method: 'GET', url: '/api/v1/projects' });
    expect(mine.json().items).toEqual([
      expect.objectContaining({ id: made[1]!.id, member_role: 'annotator' }),
    ]);
    const search = await t.as(t.owner, { method: 'GET', url: '/api/v1/projects?search=ta' });
    expect(search.json().items.map((p: { title: string }) => p.title)).toEqual(['Delta', 'Beta']);
  });
});

describe('projects: update and delete', () => {
  it('changes settings and re-derives overlap, finished and status of existing tasks', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const p = await newProject(t);
    const [done, open] = await seedTasks(ctx, t, p.id, [
      { data: { text: 'a' }, annotations: [{ completed_by: t.owner.userId, result: sentiment('Positive') }] },
      { data: { text: 'b' } },
    ]);
    const patch = (payload: Record<string, unknown>) =>
      t.as(t.owner, { method: 'PATCH', url: `/api/v1/projects/${p.id}`, payload });
    const task = async (id: number) =>
      (await t.as(t.owner, { method: 'GET', url: `/api/v1/projects/${p.id}/tasks/${id}` })).json();

    const res = await patch({ overlap: 2, title: 'Sentiment v2', annotator_task_limit: 10 });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ overlap: 2, title: 'Sentiment v2', annotator_task_limit: 10 });
    expect(await task(done!)).toMatchObject({ overlap: 2, is_finished: false, status: 'in_progress' });
    expect(await task(open!)).toMatchObject({ overlap: 2, is_finished: false, status: 'pending' });

    // At 50 % coverage every second task (in id order, as imports spread it) keeps the overlap.
    await patch({ overlap_coverage: 50 });
    expect(await task(done!)).toMatchObject({ overlap: 1, is_finished: true, status: 'completed' });
    expect(await task(open!)).toMatchObject({ overlap: 2, is_finished: false, status: 'pending' });
    // No task gets the overlap at 0 % coverage; the setting comes back.
    await patch({ overlap_coverage: 0 });
    expect(await task(done!)).toMatchObject({ overlap: 1, is_finished: true, status: 'completed' });
    expect((await patch({ annotator_task_limit: null })).json().annotator_task_limit).toBeNull();
    expect((await patch({})).statusCode).toBe(400);
    expect((await patch({ ordering: 'alphabetical' })).statusCode).toBe(400);

    const audit = await t.as(t.owner, { method: 'GET', url: '/api/v1/audit/logs?action=project.updated' });
    expect(audit.json().items[0].details.changed).toEqual(['annotator_task_limit']);
  });

  it('re-derives a large project in a job: 202 with the job id, every task right when it ends', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const p = await newProject(t);
    // More than one job batch; task i has i % 4 annotations.
    const n = OVERLAP_BATCH + 1_001;
    await seedManyTasks(ctx, t, p.id, n);
    const res = await t.as(t.owner, {
      method: 'PATCH',
      url: `/api/v1/projects/${p.id}`,
      payload: { overlap: 3, overlap_coverage: 50 },
    });
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json()).toMatchObject({ overlap: 3, overlap_coverage: 50 });
    const job = await waitForJob(t, res.json().job_id);
    expect(job).toMatchObject({ state: 'completed', progress: 1, result: { tasks: n } });
    // At 50 % every second task in id order wants 3 annotations, the others one.
    const wrong = await inTenant(ctx.platform.database.db, { tenantId: t.tenantId }, async (tx) => {
      const r = await tx.execute(sql`
        select count(*)::int as n from (
          select overlap, is_finished, total_annotations, status, row_number() over (order by id) as rn
          from tasks where project_id = ${p.id}) x
        where overlap <> case when rn % 2 = 0 then 3 else 1 end
           or is_finished <> (total_annotations >= overlap)
           or (status = 'completed') <> is_finished`);
      return (r as unknown as { rows: { n: number }[] }).rows[0]!.n;
    });
    expect(wrong).toBe(0);
    const audit = await t.as(t.owner, { method: 'GET', url: '/api/v1/audit/logs?action=project.updated' });
    expect(audit.json().items[0].details.job_id).toBe(res.json().job_id);
    // A change that re-derives nothing answers at once.
    expect(
      (await t.as(t.owner, { method: 'PATCH', url: `/api/v1/projects/${p.id}`, payload: { title: 'x' } }))
        .statusCode,
    ).toBe(200);
  });

  it('re-validates the config and refuses (409) to drop keys, controls or labels that existing work uses', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const p = await newProject(t);
    await seedTasks(ctx, t, p.id, [
      { data: { text: 'a' }, annotations: [{ completed_by: t.owner.userId, result: sentiment('Negative') }] },
    ]);
    const patch = (label_config: string) =>
      t.as(t.owner, { method: 'PATCH', url: `/api/v1/projects/${p.id}`, payload: { label_config } });

    // Adding a choice and dropping an unused one is fine.
    const grown = TEXT_CLASSIFICATION_CONFIG.replace('<Choice value="Neutral"/>', '<Choice value="Mixed"/>');
    const ok = await patch(grown);
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json().parsed_config.controls[0].labels).toEqual(['Positive', 'Negative', 'Mixed']);

    const noNegative = grown.replace('<Choice value="Negative"/>', '');
    const r1 = await patch(noNegative);
    expect(r1.statusCode).toBe(409);
    expect(r1.json().detail).toMatch(/the choice "Negative" of "sentiment", which annotations use/);

    const renamedControl = grown.replace('name="sentiment"', 'name="mood"');
    const r2 = await patch(renamedControl);
    expect(r2.statusCode).toBe(409);
    expect(r2.json().detail).toMatch(/the control "sentiment" \(<Choices>\), which annotations use/);

    const otherKey = grown.replace('value="$text"', 'value="$review"');
    const r3 = await patch(otherKey);
    expect(r3.statusCode).toBe(409);
    expect(r3.json().detail).toMatch(/the data key "\$text", which tasks of this project carry/);

    const invalid = await patch(
      '<View><Text name="text" value="$text"/><Choices name="c" toName="nope"/></View>',
    );
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json().errors[0].path).toBe('body/label_config');

    const current = await t.as(t.owner, { method: 'GET', url: `/api/v1/projects/${p.id}` });
    expect(current.json().label_config).toBe(grown);
  });

  it('lets only project managers with the permission change or delete; delete removes everything', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const other = await newTenant(ctx);
    const p = await newProject(t);
    await seedTasks(ctx, t, p.id, [{ data: { text: 'x' }, annotations: [{ completed_by: t.owner.userId }] }]);
    const viewer = await t.member(['viewer']);
    await t.as(t.owner, {
      method: 'POST',
      url: `/api/v1/projects/${p.id}/members`,
      payload: { user_id: viewer.userId, role: 'viewer' },
    });
    const manager = await t.member(['manager']);
    expect(
      (await t.as(viewer, { method: 'PATCH', url: `/api/v1/projects/${p.id}`, payload: { title: 'x' } }))
        .statusCode,
    ).toBe(403);
    expect((await t.as(viewer, { method: 'DELETE', url: `/api/v1/projects/${p.id}` })).statusCode).toBe(403);
    expect(
      (
        await other.as(other.owner, {
          method: 'PATCH',
          url: `/api/v1/projects/${p.id}`,
          payload: { title: 'x' },
        })
      ).statusCode,
    ).toBe(404);
    expect(
      (await other.as(other.owner, { method: 'DELETE', url: `/api/v1/projects/${p.id}` })).statusCode,
    ).toBe(404);

    const del = await t.as(manager, { method: 'DELETE', url: `/api/v1/projects/${p.id}` });
    expect(del.statusCode).toBe(204);
    expect((await t.as(t.owner, { method: 'GET', url: `/api/v1/projects/${p.id}` })).statusCode).toBe(404);
    expect((await t.as(t.owner, { method: 'DELETE', url: `/api/v1/projects/${p.id}` })).statusCode).toBe(404);
    const audit = await t.as(t.owner, { method: 'GET', url: '/api/v1/audit/logs?action=project.deleted' });
    expect(audit.json().items[0].details).toMatchObject({ title: 'Sentiment', task_count: 1 });
  });
});

describe('projects: delete as a job', () => {
  it('hides a large project at once (202) and empties it in batches; nothing of it is left', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const p = await newProject(t);
    const keep = await newProject(t, { title: 'Keep' });
    await seedTasks(ctx, t, p.id, [
      { data: { text: 'a' }, annotations: [{ completed_by: t.owner.userId }], predictions: [{ score: 0.5 }] },
    ]);
    await seedTasks(ctx, t, keep.id, [
      { data: { text: 'kept' }, annotations: [{ completed_by: t.owner.userId }] },
    ]);
    await seedManyTasks(ctx, t, p.id, DELETE_BATCH + 499);
    await importTasks(t, p.id, [{ text: 'imported' }]); // with its document
    const del = await t.as(t.owner, { method: 'DELETE', url: `/api/v1/projects/${p.id}` });
    expect(del.statusCode, del.body).toBe(202);
    expect((await t.as(t.owner, { method: 'GET', url: `/api/v1/projects/${p.id}` })).statusCode).toBe(404);
    const listed = await t.as(t.owner, { method: 'GET', url: '/api/v1/projects' });
    expect(listed.json().items.map((i: { id: number }) => i.id)).toEqual([keep.id]);
    const job = await waitForJob(t, del.json().job_id);
    expect(job.state, job.error ?? '').toBe('completed');
    expect(job.result).toMatchObject({ tasks: DELETE_BATCH + 501, documents: 1, projects: 1 });
    const left = await inTenant(ctx.platform.database.db, { tenantId: t.tenantId }, async (tx) => {
      const r = await tx.execute(sql`
        select (select count(*) from projects where id = ${p.id})::int as projects,
               (select count(*) from tasks where project_id = ${p.id})::int as tasks,
               (select count(*) from documents where project_id = ${p.id})::int as documents,
               (select count(*) from annotations where project_id = ${p.id})::int as annotations,
               (select count(*) from predictions where project_id = ${p.id})::int as predictions,
               (select count(*) from tasks where project_id = ${keep.id})::int as kept`);
      return (r as unknown as { rows: Record<string, number>[] }).rows[0];
    });
    expect(left).toEqual({ projects: 0, tasks: 0, documents: 0, annotations: 0, predictions: 0, kept: 1 });
    const audit = await t.as(t.owner, { method: 'GET', url: '/api/v1/audit/logs?action=project.deleted' });
    expect(audit.json().items[0].details).toMatchObject({
      job_id: del.json().job_id,
      task_count: DELETE_BATCH + 501,
    });
  });
});

describe('projects: members', () => {
  it('adds tenant members with project roles, changes and removes them; access follows', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const other = await newTenant(ctx);
    const p = await newProject(t);
    const ann = await t.member(['annotator'], 'Ann');
    const url = `/api/v1/projects/${p.id}/members`;

    expect((await t.as(ann, { method: 'GET', url: `/api/v1/projects/${p.id}` })).statusCode).toBe(404);
    const add = await t.as(t.owner, {
      method: 'POST',
      url,
      payload: { user_id: ann.userId, role: 'annotator' },
    });
    expect(add.statusCode).toBe(201);
    expect(add.json()).toMatchObject({
      user_id: ann.userId,
      email: ann.email,
      name: 'Ann',
      role: 'annotator',
    });
    const seen = await t.as(ann, { method: 'GET', url: `/api/v1/projects/${p.id}` });
    expect(seen.statusCode).toBe(200);
    expect(seen.json().member_role).toBe('annotator');

    const change = await t.as(t.owner, {
      method: 'POST',
      url,
      payload: { user_id: ann.userId, role: 'reviewer' },
    });
    expect(change.statusCode).toBe(200);
    expect(change.json().role).toBe('reviewer');

    const members = await t.as(ann, { method: 'GET', url });
    expect(members.json().items.map((m: { user_id: string; role: string }) => [m.user_id, m.role])).toEqual([
      [ann.userId, 'reviewer'],
      [t.owner.userId, 'manager'],
    ]);
    const reviewers = await t.as(t.owner, { method: 'GET', url: `${url}?role=reviewer` });
    expect(reviewers.json().items).toHaveLength(1);

    // Annotators cannot manage members, even as project members.
    expect(
      (await t.as(ann, { method: 'POST', url, payload: { user_id: t.owner.userId, role: 'viewer' } }))
        .statusCode,
    ).toBe(403);
    // Someone from another tenant is no member here.
    const foreign = await t.as(t.owner, {
      method: 'POST',
      url,
      payload: { user_id: other.owner.userId, role: 'viewer' },
    });
    expect(foreign.statusCode).toBe(400);
    expect(foreign.json().errors[0].path).toBe('body/user_id');
    expect(
      (await t.as(t.owner, { method: 'POST', url, payload: { user_id: ann.userId, role: 'boss' } }))
        .statusCode,
    ).toBe(400);

    expect((await t.as(t.owner, { method: 'DELETE', url: `${url}/${ann.userId}` })).statusCode).toBe(204);
    expect((await t.as(t.owner, { method: 'DELETE', url: `${url}/${ann.userId}` })).statusCode).toBe(404);
    expect((await t.as(ann, { method: 'GET', url: `/api/v1/projects/${p.id}` })).statusCode).toBe(404);

    const audit = await t.as(t.owner, {
      method: 'GET',
      url: `/api/v1/audit/logs?resource_type=project&resource_id=${p.id}`,
    });
    const actions = audit.json().items.map((i: { action: string }) => i.action);
    expect(actions).toEqual(
      expect.arrayContaining(['project.member_added', 'project.member_updated', 'project.member_removed']),
    );
  });
});

describe('projects: summary', () => {
  it('counts tasks by status, finished, annotations, skips, predictions, reviewed and per annotator', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const p = await newProject(t);
    const ann = await t.member(['annotator'], 'Ann');
    await seedTasks(ctx, t, p.id, [
      { data: { text: '1' } },
      {
        data: { text: '2' },
        annotations: [
          {
            completed_by: ann.userId,
            result: sentiment('Positive'),
            lead_time: 10,
            review_status: 'approved',
          },
        ],
        predictions: [{ score: 0.5 }],
      },
      {
        data: { text: '3' },
        annotations: [
          { completed_by: t.owner.userId, result: sentiment('Neutral'), lead_time: 5, ground_truth: true },
          { completed_by: ann.userId, was_cancelled: true, lead_time: 1 },
        ],
        predictions: [{ score: 0.1 }, { score: 0.2 }],
      },
      { data: { text: '4' }, annotations: [{ completed_by: ann.userId, was_cancelled: true }] },
    ]);
    const res = await t.as(t.owner, { method: 'GET', url: `/api/v1/projects/${p.id}/summary` });
    expect(res.statusCode).toBe(200);
    const s = res.json();
    expect(s).toMatchObject({
      project: p.id,
      task_count: 4,
      finished: 2,
      in_progress: 1,
      annotations: 2,
      cancelled: 2,
      predictions: 3,
      reviewed: 1,
      lead_time: 16,
      by_status: { pending: 1, in_progress: 1, completed: 1, reviewed: 1, cancelled: 0 },
    });
    expect(s.annotators).toEqual([
      {
        user_id: ann.userId,
        external_name: null,
        email: ann.email,
        name: 'Ann',
        annotations: 1,
        cancelled: 2,
        ground_truth: 0,
        lead_time: 11,
      },
      {
        user_id: t.owner.userId,
        external_name: null,
        email: t.owner.email,
        name: 'Owner',
        annotations: 1,
        cancelled: 0,
        ground_truth: 1,
        lead_time: 5,
      },
    ]);
    expect((await t.as(t.owner, { method: 'GET', url: `/api/v1/projects/${p.id}` })).json().task_count).toBe(
      4,
    );
  });
});
