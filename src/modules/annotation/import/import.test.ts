import fs from 'node:fs';
import path from 'node:path';
import { and, asc, eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { newProject } from '../../../../test/annotation-fixtures.ts';
import { newTenant, type TenantFixture } from '../../../../test/fixtures.ts';
import {
  dropFreshDatabase,
  freshDatabaseEnv,
  startTestApp,
  type TestContext,
  testApp,
} from '../../../../test/helpers.ts';
import {
  exportProject,
  importTasks,
  multipart,
  taskCount,
  waitForJob,
} from '../../../../test/transfer-helpers.ts';
import { inTenant } from '../../../platform/db/tenancy.ts';
import { annotations, documents, tasks } from '../schema.ts';
import { IMPORT_BATCH, runImport } from './import.service.ts';

const DATA = path.join(import.meta.dirname, '../../../../test/data');
const file = (name: string) => ({ filename: name, content: fs.readFileSync(path.join(DATA, name)) });

const choice = (value: string) => [
  { from_name: 'sentiment', to_name: 'text', type: 'choices', value: { choices: [value] } },
];

/** Task rows (and their annotations) of a project, in id order, read from the database. */
async function rowsOf(ctx: TestContext, t: TenantFixture, projectId: number) {
  return inTenant(ctx.platform.database.db, { tenantId: t.tenantId }, async (tx) => {
    const ts = await tx.select().from(tasks).where(eq(tasks.projectId, projectId)).orderBy(asc(tasks.id));
    const as = await tx
      .select()
      .from(annotations)
      .where(eq(annotations.projectId, projectId))
      .orderBy(asc(annotations.id));
    return ts.map((task) => ({ ...task, annotations: as.filter((a) => a.taskId === task.id) }));
  });
}

describe('import', () => {
  it('imports a JSON array body as a job: tasks, annotations, predictions, counters and annotators', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const annotator = await t.member(['annotator'], 'Ann');
    const project = await newProject(t, { overlap: 2 });
    const { job, imp } = await importTasks(t, project.id, [
      { text: 'a bare data object is the data' },
      {
        data: { text: 'two annotators, one by e-mail and one by id' },
        meta: { source: 'crm', row: 7 },
        annotations: [
          {
            result: choice('Positive'),
            lead_time: 3.5,
            completed_by: annotator.email.toUpperCase(),
            created_at: '2024-02-01T10:00:00Z',
          },
          { result: choice('Negative'), lead_time: 1, completed_by: t.owner.userId, ground_truth: true },
        ],
        predictions: [
          { result: choice('Positive'), score: 0.4, model_version: 'v1' },
          { result: choice('Neutral'), score: 0.25, model_version: 'v2' },
        ],
      },
      {
        data: { text: 'an outsider and a skip' },
        annotations: [
          { result: choice('Neutral'), completed_by: 'outsider@elsewhere.example' },
          { result: [], was_cancelled: true, completed_by: 42 },
        ],
      },
    ]);
    expect(job.state).toBe('completed');
    expect(job.progress).toBe(1);
    expect(job.result).toMatchObject({ tasks: 3, annotations: 4, predictions: 2 });
    expect(imp).toMatchObject({
      status: 'completed',
      format: 'json',
      counts: { tasks: 3, annotations: 4, predictions: 2, duplicates_skipped: 0 },
      errors: [],
    });

    const rows = await rowsOf(ctx, t, project.id);
    expect(rows.map((r) => r.data)).toEqual([
      { text: 'a bare data object is the data' },
      { text: 'two annotators, one by e-mail and one by id' },
      { text: 'an outsider and a skip' },
    ]);
    expect(rows.map((r) => [r.totalAnnotations, r.cancelledAnnotations, r.totalPredictions])).toEqual([
      [0, 0, 0],
      [2, 0, 2],
      [1, 1, 0],
    ]);
    expect(rows.map((r) => [r.overlap, r.isFinished, r.status])).toEqual([
      [2, false, 'pending'],
      [2, true, 'completed'],
      [2, false, 'in_progress'],
    ]);
    expect(rows[1]!.predictionScore).toBeCloseTo(0.25);
    expect(rows[0]!.predictionScore).toBeNull();
    expect(rows[1]!.meta).toEqual({ source: 'crm', row: 7 });
    const [byEmail, byId] = rows[1]!.annotations;
    expect(byEmail).toMatchObject({
      completedBy: annotator.userId,
      completedByExternal: null,
      leadTime: 3.5,
    });
    expect(byEmail!.createdAt.toISOString()).toBe('2024-02-01T10:00:00.000Z');
    expect(byId).toMatchObject({ completedBy: t.owner.userId, groundTruth: true });
    const [outsider, skip] = rows[2]!.annotations;
    expect(outsider).toMatchObject({ completedBy: null, completedByExternal: 'outsider@elsewhere.example' });
    expect(skip).toMatchObject({ completedBy: null, completedByExternal: '42', wasCancelled: true });

    const proj = await t.as(t.owner, { method: 'GET', url: `/api/v1/projects/${project.id}` });
    expect(proj.json().task_count).toBe(3);
    // The staged file is gone once applied.
    expect(fs.readdirSync(path.join(ctx.platform.config.dataDir, 'imports', t.tenantId))).toEqual([]);
  });

  it('imports files in JSON, JSONL, CSV, TSV and TXT', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const cases: [string, string[], number][] = [
      [
        'ls-sentiment-export.json',
        [
          'Good case, Excellent value.',
          'What a waste of money and time!',
          'The goose neck needs a little coaxing',
        ],
        4,
      ],
      ['tasks.jsonl', ['first', 'second', 'third'], 1],
      ['tasks.csv', ['Good case, Excellent value.', 'He said "wow"\nand left'], 0],
      ['tasks.tsv', ['Good case, Excellent value.', 'What a waste of money and time!'], 0],
      [
        'tasks.txt',
        [
          'Good case, Excellent value.',
          'What a waste of money and time!',
          'The goose neck needs a little coaxing',
        ],
        0,
      ],
    ];
    for (const [name, texts, predictions] of cases) {
      const project = await newProject(t);
      const { imp } = await importTasks(t, project.id, file(name));
      expect(imp.status, name).toBe('completed');
      expect(imp.format, name).toBe(name.split('.').at(-1));
      expect(imp.counts.tasks, name).toBe(texts.length);
      expect(imp.counts.predictions, name).toBe(predictions);
      const exported = (await exportProject(t, project.id, 'format=JSON')).json();
      expect(
        exported.map((x: { data: { text: string } }) => x.data.text),
        name,
      ).toEqual(texts);
      if (name.endsWith('sv')) expect(exported[0].data.source).toBe('reviews');
    }
    // An explicit ?format= wins over the file name.
    const project = await newProject(t);
    const { imp } = await importTasks(
      t,
      project.id,
      { filename: 'upload.dat', content: 'one line\nanother\n' },
      'format=txt',
    );
    expect(imp.counts.tasks).toBe(2);
  });

  it('reads a Label Studio export with annotations and predictions, keeping annotators it cannot map', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const project = await newProject(t);
    const { imp } = await importTasks(t, project.id, file('ls-sentiment-export.json'));
    expect(imp.counts).toEqual({ tasks: 3, annotations: 3, predictions: 4, duplicates_skipped: 0 });
    const rows = await rowsOf(ctx, t, project.id);
    expect(rows[0]!.annotations[0]).toMatchObject({
      completedBy: null,
      completedByExternal: '1',
      groundTruth: true,
      leadTime: 7.442,
    });
    expect(rows[0]!.annotations[0]!.createdAt.toISOString()).toBe('2023-04-18T09:12:31.519Z');
    expect(rows[1]!.annotations.map((a) => [a.completedByExternal, a.wasCancelled])).toEqual([
      ['wei.zhang@annotators.example', false],
      ['1', true],
    ]);
    expect(rows.map((r) => r.predictionScore)).toEqual([
      expect.closeTo(0.91, 5),
      expect.closeTo(0.48, 5),
      expect.closeTo(0.55, 5),
    ]);
    expect(rows[1]!.meta).toEqual({ source: 'amazon-reviews', row: 2 });
  });

  it("takes one task object as the body, and Label Studio's $undefined$ as the config's one data key", async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const project = await newProject(t);
    const url = `/api/v1/projects/${project.id}/import`;
    const one = await t.as(t.owner, { method: 'POST', url, payload: { data: { text: 'alone' } } });
    expect(one.statusCode, one.body).toBe(201);
    await waitForJob(t, one.json().job_id);
    const { job } = await importTasks(t, project.id, [{ data: { $undefined$: 'placeholder key' } }]);
    expect(job.state).toBe('completed');
    expect((await rowsOf(ctx, t, project.id)).map((r) => r.data)).toEqual([
      { text: 'alone' },
      { text: 'placeholder key' },
    ]);
    const bare = await t.as(t.owner, {
      method: 'POST',
      url,
      payload: '"text"',
      headers: { 'content-type': 'application/json' },
    });
    expect(bare.statusCode).toBe(400);
  });

  it('refuses TXT when the config does not have exactly one data key', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const project = await newProject(t, {
      label_config:
        '<View><Text name="t" value="$title"/><Text name="b" value="$body"/><Choices name="c" toName="t"><Choice value="x"/></Choices></View>',
    });
    const res = await t.as(t.owner, {
      method: 'POST',
      url: `/api/v1/projects/${project.id}/import`,
      ...multipart('lines.txt', 'a\nb\n'),
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().detail).toContain('$title, $body');
    const unknown = await t.as(t.owner, {
      method: 'POST',
      url: `/api/v1/projects/${project.id}/import`,
      ...multipart('lines.xlsx', 'a'),
    });
    expect(unknown.statusCode).toBe(400);
    expect(await taskCount(ctx, t, project.id)).toBe(0);
  });

  it('rejects malformed files naming record, line and reason, and nothing of them lands', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const project = await newProject(t);
    await importTasks(t, project.id, [{ text: 'already here' }, { text: 'and this' }]);
    expect(await taskCount(ctx, t, project.id)).toBe(2);

    const syntax = await importTasks(t, project.id, file('bad-syntax.json'));
    expect(syntax.job.state).toBe('failed');
    expect(syntax.imp.status).toBe('failed');
    expect(syntax.imp.errors).toHaveLength(1);
    expect(syntax.imp.errors[0]).toMatchObject({ record: null, line: 4 });
    expect(syntax.imp.errors[0]!.message).toMatch(/^invalid JSON/);

    const records = await importTasks(t, project.id, file('bad-records.jsonl'));
    expect(records.job.state).toBe('failed');
    expect(records.job.error).toContain('record 3, line 3');
    expect(records.imp.errors).toEqual([
      { record: 3, line: 3, message: 'data lacks "text", which the labeling config uses ($text)' },
      { record: 4, line: 4, message: 'annotations[0].result must be an array' },
      { record: 5, line: 5, message: 'predictions[0].score must be a number' },
    ]);
    expect(records.imp.counts.tasks).toBe(0);

    const columns = await importTasks(t, project.id, file('bad-columns.csv'));
    expect(columns.imp.status).toBe('failed');
    expect(columns.imp.errors[0]).toMatchObject({ record: 2, line: 3 });
    expect(columns.imp.errors[0]!.message).toMatch(/^invalid CSV/);

    const empty = await importTasks(t, project.id, { filename: 'empty.jsonl', content: '\n\n' });
    expect(empty.imp.errors).toEqual([{ record: null, line: null, message: 'the file holds no tasks' }]);

    // A JSON body is checked at once: 400, nothing queued.
    const body = await t.as(t.owner, {
      method: 'POST',
      url: `/api/v1/projects/${project.id}/import`,
      payload: [{ text: 'fine' }, { data: { text: 1 }, annotations: [{ result: {} }] }, 'nope'],
    });
    expect(body.statusCode).toBe(400);
    expect(body.json().errors).toEqual([
      { path: 'body/1', message: 'annotations[0].result must be an array' },
      { path: 'body/2', message: 'a task must be a JSON object' },
    ]);
    expect(await taskCount(ctx, t, project.id)).toBe(2);
    const proj = await t.as(t.owner, { method: 'GET', url: `/api/v1/projects/${project.id}` });
    expect(proj.json().task_count).toBe(2);
  });

  it('refuses the whole file when a result names a control or value the config lacks', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const project = await newProject(t);
    const foreign = { from_name: 'label', to_name: 'text', type: 'labels', value: { labels: ['ORG'] } };
    const lines = [
      { data: { text: 'fits' }, annotations: [{ result: choice('Positive') }] },
      { data: { text: 'names a control of another config' }, annotations: [{ result: [foreign] }] },
      { data: { text: 'a choice the config lacks' }, predictions: [{ result: choice('Angry') }] },
    ];
    const content = lines.map((l) => JSON.stringify(l)).join('\n');
    const { job, imp } = await importTasks(t, project.id, { filename: 'other-config.jsonl', content });
    expect(job.state).toBe('failed');
    expect(imp.errors).toEqual([
      {
        record: 2,
        line: 2,
        message: 'annotations[0].result[0].from_name "label" names no control tag of the config',
      },
      {
        record: 3,
        line: 3,
        message: expect.stringMatching(/^predictions\[0\]\.result\[0\]\.value\.choices\[0\] .*Angry/),
      },
    ]);
    expect(await taskCount(ctx, t, project.id)).toBe(0);

    // A JSON body is checked the same way before anything is staged.
    const body = await t.as(t.owner, {
      method: 'POST',
      url: `/api/v1/projects/${project.id}/import`,
      payload: lines.slice(0, 2),
    });
    expect(body.statusCode).toBe(400);
    expect(body.json().errors).toEqual([
      {
        path: 'body/1',
        message: 'annotations[0].result[0].from_name "label" names no control tag of the config',
      },
    ]);
  });

  it('rolls back batches already written when a later record is bad', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const project = await newProject(t);
    // Records are checked as they are written: two whole batches land before the bad one is read.
    const good = Array.from({ length: 2 * IMPORT_BATCH + 10 }, (_, i) =>
      JSON.stringify({ text: `task ${i}` }),
    );
    const bad = 2 * IMPORT_BATCH + 11;
    const content = `${good.join('\n')}\n{"data": {"text": "late"}, "annotations": [{"result": {}}]}\n{"text": "after"}\n`;
    const { job, imp } = await importTasks(t, project.id, { filename: 'late-error.jsonl', content });
    expect(job.state).toBe('failed');
    expect(job.error).toContain(`record ${bad}, line ${bad}`);
    expect(imp.errors).toEqual([
      { record: bad, line: bad, message: 'annotations[0].result must be an array' },
    ]);
    expect(await taskCount(ctx, t, project.id)).toBe(0);
    const docs = await inTenant(ctx.platform.database.db, { tenantId: t.tenantId }, (tx) =>
      tx.select({ n: sql<number>`count(*)::int` }).from(documents).where(eq(documents.projectId, project.id)),
    );
    expect(docs[0]!.n).toBe(0);
  });

  it('keeps text that COPY escapes (backslashes, tabs, newlines, \\N) and the tenant of every row', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const project = await newProject(t);
    const texts = ['back\\slash \\N', 'tab\there\r\nnewline', '"quoted" 汉字 \u2028 😀', '\\\\server\\share'];
    const { imp } = await importTasks(
      t,
      project.id,
      texts.map((text) => ({ data: { text }, meta: { note: text } })),
    );
    expect(imp.status).toBe('completed');
    const rows = await inTenant(ctx.platform.database.db, { tenantId: t.tenantId }, (tx) =>
      tx
        .select({ data: tasks.data, meta: tasks.meta, tenantId: tasks.tenantId })
        .from(tasks)
        .where(eq(tasks.projectId, project.id))
        .orderBy(asc(tasks.id)),
    );
    expect(rows.map((r) => r.data.text)).toEqual(texts);
    expect(rows.map((r) => r.meta.note)).toEqual(texts);
    expect(new Set(rows.map((r) => r.tenantId))).toEqual(new Set([t.tenantId]));
  });

  it('skips tasks whose data already exists with dedupe=true', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const project = await newProject(t);
    await importTasks(t, project.id, [{ text: 'a', n: 1 }, { text: 'b' }, { text: 'c' }]);
    const { imp } = await importTasks(
      t,
      project.id,
      [
        { data: { n: 1, text: 'a' } }, // same data, other key order
        { text: 'b' },
        { text: 'new' },
        { text: 'new' }, // a duplicate within the file
        { text: 'c', n: 2 },
      ],
      'dedupe=true',
    );
    expect(imp.counts).toMatchObject({ tasks: 2, duplicates_skipped: 3 });
    expect(await taskCount(ctx, t, project.id)).toBe(5);
    const again = await importTasks(t, project.id, [{ text: 'a', n: 1 }]);
    expect(again.imp.counts).toMatchObject({ tasks: 1, duplicates_skipped: 0 });
  });

  it('spreads the overlap over the coverage share', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const project = await newProject(t, { overlap: 3, overlap_coverage: 25 });
    await importTasks(
      t,
      project.id,
      Array.from({ length: 8 }, (_, i) => ({ text: `t${i}` })),
    );
    const rows = await rowsOf(ctx, t, project.id);
    expect(rows.map((r) => r.overlap)).toEqual([1, 1, 1, 3, 1, 1, 1, 3]);
  });

  it('refuses annotators and other tenants', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const project = await newProject(t);
    const annotator = await t.member(['annotator'], 'Nope');
    const denied = await t.as(annotator, {
      method: 'POST',
      url: `/api/v1/projects/${project.id}/import`,
      payload: [{ text: 'x' }],
    });
    expect(denied.statusCode).toBe(403);
    const other = await newTenant(ctx);
    const hidden = await other.as(other.owner, {
      method: 'POST',
      url: `/api/v1/projects/${project.id}/import`,
      payload: [{ text: 'x' }],
    });
    expect(hidden.statusCode).toBe(404);
    const { imp } = await importTasks(t, project.id, [{ text: 'mine' }]);
    const peek = await other.as(other.owner, {
      method: 'GET',
      url: `/api/v1/projects/${project.id}/imports/${imp.id}`,
    });
    expect(peek.statusCode).toBe(404);
    expect(await taskCount(ctx, t, project.id)).toBe(1);
  });

  it('rolls a failed write back and the retried job starts over from the staged file', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const project = await newProject(t);
    const marker = `fail-once-${t.tenantId.slice(0, 8)}`;
    const fn = `si_test_fail_${t.tenantId.replaceAll('-', '').slice(0, 12)}`;
    const raw = ctx.platform.database.raw;
    // A trigger fails the first insert of a prediction carrying the marker: the crash comes after
    // the documents and tasks of that batch (and a whole batch before it) were written.
    // Sequences are not transactional: the count survives the rollback of the failed attempt.
    await raw.exec(`
      create sequence ${fn}_seq;
      create function ${fn}() returns trigger language plpgsql security definer as $$
      begin
        if new.model_version = '${marker}' and nextval('${fn}_seq') = 1 then
          raise exception 'simulated crash';
        end if;
        return new;
      end $$;
      create trigger ${fn} before insert on predictions for each row execute function ${fn}();`);
    try {
      const items = Array.from({ length: 2500 }, (_, i) => ({
        data: { text: `task ${i}` },
        predictions: i === 2400 ? [{ result: [], score: 0.5, model_version: marker }] : [],
      }));
      const { job, imp } = await importTasks(t, project.id, items);
      expect(job.state, JSON.stringify({ job, imp })).toBe('completed');
      const attempts = await t.as(t.owner, { method: 'GET', url: `/api/v1/jobs/${job.id}` });
      expect(attempts.json().attempts).toBe(2);
      expect(imp.counts).toMatchObject({ tasks: 2500, predictions: 1 });
      expect(await taskCount(ctx, t, project.id)).toBe(2500);
      const docs = await inTenant(ctx.platform.database.db, { tenantId: t.tenantId }, (tx) =>
        tx.execute(sql`select count(*)::int as n from documents where project_id = ${project.id}`),
      );
      expect((docs as unknown as { rows: { n: number }[] }).rows[0]!.n).toBe(2500);
    } finally {
      await raw.exec(
        `drop trigger if exists ${fn} on predictions; drop function if exists ${fn}(); drop sequence if exists ${fn}_seq;`,
      );
    }
  });

  it('streams a 20k-task JSONL file and counts it exactly', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const project = await newProject(t);
    const lines: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      const task: Record<string, unknown> = {
        data: { text: `Review ${i}: ${'lorem ipsum dolor sit amet '.repeat(6)}`.slice(0, 200), n: i },
      };
      if (i % 4 === 0) task.annotations = [{ result: choice('Positive'), lead_time: i % 17 }];
      if (i % 5 === 0)
        task.predictions = [{ result: choice('Neutral'), score: (i % 100) / 100, model_version: 'm' }];
      lines.push(JSON.stringify(task));
    }
    const { job, imp } = await importTasks(t, project.id, {
      filename: 'big.jsonl',
      content: `${lines.join('\n')}\n`,
    });
    expect(job.state).toBe('completed');
    expect(imp.counts).toEqual({
      tasks: 20_000,
      annotations: 5000,
      predictions: 4000,
      duplicates_skipped: 0,
    });
    expect(await taskCount(ctx, t, project.id)).toBe(20_000);
    const proj = await t.as(t.owner, { method: 'GET', url: `/api/v1/projects/${project.id}` });
    expect(proj.json().task_count).toBe(20_000);
    const finished = await inTenant(ctx.platform.database.db, { tenantId: t.tenantId }, (tx) =>
      tx
        .select({ n: sql<number>`count(*)::int` })
        .from(tasks)
        .where(and(eq(tasks.projectId, project.id), eq(tasks.isFinished, true))),
    );
    expect(finished[0]!.n).toBe(5000);
    const status = await waitForJob(t, imp.job_id);
    expect(status.counts).toMatchObject({ tasks: 20_000 });
  });

  it('one import run several times at once, and again after it completed, adds its rows once', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const project = await newProject(t);
    const items = Array.from({ length: IMPORT_BATCH + 1000 }, (_, i) => ({ data: { text: `twice ${i}` } }));
    const res = await t.as(t.owner, {
      method: 'POST',
      url: `/api/v1/projects/${project.id}/import`,
      payload: items,
    });
    expect(res.statusCode, res.body).toBe(201);
    const { import_id: importId, job_id: runId } = res.json() as { import_id: number; job_id: string };
    // The queue's worker runs it; two more executions of the same run start beside it, as a
    // retry of a run thought dead, or a second worker handed the same job, would.
    const again = () =>
      runImport(ctx.platform, {
        runId,
        tenantId: t.tenantId,
        createdBy: t.owner.userId,
        payload: { importId, projectId: project.id },
        lastAttempt: false,
        progress: async () => {},
      });
    const results = await Promise.all([again(), again()]);
    const job = await waitForJob(t, runId);
    expect(job.state, JSON.stringify(job)).toBe('completed');
    expect(await taskCount(ctx, t, project.id)).toBe(items.length);
    // At most one of the three wrote; the others found the import done.
    expect(results.filter((r) => r.skipped === undefined).length + (job.result?.skipped ? 0 : 1)).toBe(1);
    expect(await again()).toEqual({ import_id: importId, skipped: 'the import is completed' });
    expect(await taskCount(ctx, t, project.id)).toBe(items.length);
    const status = await t.as(t.owner, {
      method: 'GET',
      url: `/api/v1/projects/${project.id}/imports/${importId}`,
    });
    expect(status.json()).toMatchObject({ status: 'completed', counts: { tasks: items.length } });
    const proj = await t.as(t.owner, { method: 'GET', url: `/api/v1/projects/${project.id}` });
    expect(proj.json().task_count).toBe(items.length);
  });
  it('refreshes the planner statistics after an import that is large against the table (PGlite has no autovacuum)', async () => {
    const env = await freshDatabaseEnv();
    const ctx = await startTestApp(env, { migrate: true });
    try {
      const t = await newTenant(ctx);
      const p = await newProject(t);
      const known = async () => {
        const { rows } = await ctx.platform.database.raw.query(
          `select reltuples from pg_class where oid = 'tasks'::regclass`,
        );
        return Number(rows[0]?.reltuples);
      };
      // A handful of tasks leaves the statistics as they were (never analyzed: -1).
      await importTasks(t, p.id, [{ data: { text: 'one' } }]);
      expect(await known()).toBe(-1);
      await importTasks(
        t,
        p.id,
        Array.from({ length: 60 }, (_, i) => ({ data: { text: `task ${i}` } })),
      );
      expect(await known()).toBe(61);
    } finally {
      await ctx.app.close();
      await ctx.platform.close();
      await dropFreshDatabase(env);
    }
  });
});
