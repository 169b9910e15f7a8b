import { type TSchema, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { newProject } from './annotation-fixtures.ts';
import { newTenant } from './fixtures.ts';
import { testApp } from './helpers.ts';
import { exportProject, importTasks } from './transfer-helpers.ts';

/*
 * Label Studio's task, annotation and prediction models as its SDK declares them
 * (label_studio_sdk/types/base_task.py, annotation.py, prediction.py, generated from its
 * OpenAPI): the fields both sides write, with their types. Extra fields are allowed there too.
 */
const Int = Type.Integer();
const IntOrNull = Type.Union([Type.Integer(), Type.Null()]);
const DateTime = Type.String({ format: 'date-time' });
const Obj = Type.Record(Type.String(), Type.Unknown());

const LsAnnotation = Type.Object({
  id: Int,
  result: Type.Array(Obj),
  created_username: Type.String(),
  completed_by: IntOrNull,
  was_cancelled: Type.Boolean(),
  ground_truth: Type.Boolean(),
  created_at: DateTime,
  updated_at: DateTime,
  lead_time: Type.Union([Type.Number(), Type.Null()]),
  task: IntOrNull,
  project: IntOrNull,
  parent_prediction: IntOrNull,
  parent_annotation: IntOrNull,
});
const LsPrediction = Type.Object({
  id: Int,
  result: Type.Array(Obj),
  model_version: Type.String(),
  score: Type.Union([Type.Number(), Type.Null()]),
  task: Int,
  project: IntOrNull,
  created_at: DateTime,
});
const LsTask = Type.Object({
  id: Int,
  data: Obj,
  meta: Type.Union([Obj, Type.Null()]),
  created_at: DateTime,
  updated_at: DateTime,
  total_annotations: Int,
  cancelled_annotations: Int,
  total_predictions: Int,
  project: IntOrNull,
  updated_by: IntOrNull,
  annotations: Type.Array(LsAnnotation),
  predictions: Type.Array(LsPrediction),
});

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
function schemaErrors(schema: TSchema, value: unknown): string[] {
  const formats = [...Value.Errors(schema, value)].map((e) => `${e.path}: ${e.message}`);
  return formats.filter((e) => !e.includes('date-time'));
}
function dateTimesOk(tasks: Record<string, unknown>[]): boolean {
  const stamps = tasks.flatMap((t) => [
    t.created_at,
    t.updated_at,
    ...(t.annotations as Record<string, unknown>[]).flatMap((a) => [a.created_at, a.updated_at]),
    ...(t.predictions as Record<string, unknown>[]).map((p) => p.created_at),
  ]);
  return stamps.every((s) => typeof s === 'string' && ISO.test(s));
}

const choice = (value: string) => [
  { id: `r-${value}`, from_name: 'sentiment', to_name: 'text', type: 'choices', value: { choices: [value] } },
];

describe('Label Studio task schema', () => {
  it('numbers members per tenant in joining order, never shared across tenants', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const other = await newTenant(ctx);
    const first = await t.member(['annotator'], 'Ann');
    const second = await t.member(['annotator'], 'Bob');
    expect([t.owner.number, first.number, second.number]).toEqual([1, 2, 3]);
    expect(other.owner.number).toBe(1);
    // The same account joining another tenant gets that tenant's next number.
    const joined = await other.as(other.owner, {
      method: 'POST',
      url: '/api/v1/users',
      payload: { email: first.email, roles: ['viewer'] },
    });
    expect(joined.statusCode).toBe(201);
    expect(joined.json().user).toMatchObject({ id: first.userId, number: 2 });
    const listed = await t.as(t.owner, { method: 'GET', url: '/api/v1/users?limit=10' });
    expect(
      listed
        .json()
        .items.map((u: { number: number }) => u.number)
        .sort(),
    ).toEqual([1, 2, 3]);
  });

  it('exports completed_by and updated_by as member numbers with the e-mail beside, and re-imports losslessly', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const ann = await t.member(['annotator'], 'Ann');
    const source = await newProject(t, { overlap: 2 });
    await importTasks(t, source.id, [
      {
        data: { text: 'good' },
        annotations: [
          { result: choice('Positive'), completed_by: ann.email, lead_time: 2 },
          { result: choice('Negative'), completed_by: 'Guest Reviewer', lead_time: 3 },
        ],
        predictions: [{ result: choice('Positive'), score: 0.5, model_version: 'v1' }],
      },
      // Label Studio's object form of completed_by.
      {
        data: { text: 'bad' },
        annotations: [{ result: choice('Negative'), completed_by: { id: 99, email: t.owner.email } }],
      },
      { data: { text: 'none' } },
    ]);
    const [firstTask] = (await exportProject(t, source.id, 'format=JSON')).json();
    const manager = await t.member(['manager'], 'Max');
    const marked = await t.as(manager, {
      method: 'POST',
      url: `/api/v1/projects/${source.id}/tasks/actions`,
      payload: { action: 'set_priority', selection: { ids: [firstTask.id] }, priority: 'high' },
    });
    expect(marked.statusCode).toBe(200);

    const exported = (await exportProject(t, source.id, 'format=JSON')).json() as Record<string, unknown>[];
    expect(schemaErrors(Type.Array(LsTask), exported)).toEqual([]);
    expect(dateTimesOk(exported)).toBe(true);
    const [good, bad, none] = exported as {
      updated_by: number | null;
      annotations: Record<string, unknown>[];
    }[];
    // The importer touched every task last, the manager the first one after.
    expect([good!.updated_by, none!.updated_by]).toEqual([manager.number, t.owner.number]);
    expect(good!.annotations.map((a) => [a.completed_by, a.completed_by_email, a.created_username])).toEqual([
      [ann.number, ann.email, `Ann ${ann.email}, ${ann.number}`],
      [null, null, 'Guest Reviewer'],
    ]);
    expect(bad!.annotations[0]).toMatchObject({
      completed_by: t.owner.number,
      completed_by_email: t.owner.email,
    });

    // Into another project of the same tenant: the same members, the same outsider.
    const copy = await newProject(t, { overlap: 2 });
    await importTasks(t, copy.id, { filename: 'export.json', content: JSON.stringify(exported) });
    const again = (await exportProject(t, copy.id, 'format=JSON')).json() as Record<string, unknown>[];
    expect(schemaErrors(Type.Array(LsTask), again)).toEqual([]);
    const who = (tasks: Record<string, unknown>[]) =>
      tasks.map((x) =>
        (x.annotations as Record<string, unknown>[]).map((a) => [
          a.completed_by,
          a.completed_by_email,
          a.completed_by_external,
          a.result,
          a.lead_time,
        ]),
      );
    expect(who(again)).toEqual(who(exported));

    // Into another tenant where Ann is the second member too, but the owner is someone else:
    // the e-mail decides, never the number.
    const other = await newTenant(ctx);
    await other.as(other.owner, {
      method: 'POST',
      url: '/api/v1/users',
      payload: { email: ann.email, roles: ['annotator'] },
    });
    const elsewhere = await newProject(other, { overlap: 2 });
    await importTasks(other, elsewhere.id, { filename: 'export.json', content: JSON.stringify(exported) });
    const there = (await exportProject(other, elsewhere.id, 'format=JSON')).json();
    expect(
      there.map((x: { annotations: Record<string, unknown>[] }) =>
        x.annotations.map((a) => [a.completed_by, a.completed_by_email, a.completed_by_external]),
      ),
    ).toEqual([
      [
        [2, ann.email, null],
        [null, null, 'Guest Reviewer'],
      ],
      [[null, null, t.owner.email]],
      [],
    ]);
  });

  it('refuses a bare integer as someone here: it is kept as the external name', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const project = await newProject(t);
    await importTasks(t, project.id, [
      { data: { text: 'x' }, annotations: [{ result: [], completed_by: 1 }] },
    ]);
    const [task] = (await exportProject(t, project.id, 'format=JSON')).json();
    expect(task.annotations[0]).toMatchObject({ completed_by: null, completed_by_external: '1' });
  });
});
