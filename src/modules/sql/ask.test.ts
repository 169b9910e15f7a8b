import { beforeAll, describe, expect, it } from 'vitest';
import { newProject, seedTasks } from '../../../test/annotation-fixtures.ts';
import { type Member, newTenant, type TenantFixture } from '../../../test/fixtures.ts';
import { type TestContext, testApp } from '../../../test/helpers.ts';
import { inTenant } from '../../platform/db/tenancy.ts';
import { runSelect } from './executor.ts';
import { BUILTIN_TEMPLATES } from './templates/pack.ts';
import { loadParser, validateSelect } from './validator.ts';

let ctx: TestContext;
let t: TenantFixture;
let alice: Member;
let projectId: number;

const ask = (question: string, method?: string, as = t.owner) =>
  t.as(as, { method: 'POST', url: '/api/v1/sql/ask', payload: { question, ...(method ? { method } : {}) } });
const templates = (method: 'POST' | 'PATCH' | 'DELETE' | 'GET', path = '', payload?: object, as = t.owner) =>
  t.as(as, { method, url: `/api/v1/sql/templates${path}`, ...(payload ? { payload } : {}) });

beforeAll(async () => {
  ctx = await testApp();
  t = await newTenant(ctx);
  alice = await t.member(['annotator'], 'Alice Wang');
  const project = await newProject(t, { title: '街景标注' });
  projectId = project.id;
  await newProject(t, { title: 'Street Signs' });
  await seedTasks(ctx, t, project.id, [
    {
      data: { text: 'a' },
      annotations: [{ completed_by: alice.userId, lead_time: 10, review_status: 'approved' }],
    },
    { data: { text: 'b' }, annotations: [{ completed_by: alice.userId, lead_time: 20 }] },
    {
      data: { text: 'c' },
      annotations: [{ completed_by: t.owner.userId, lead_time: 5, review_status: 'rejected' }],
      priority: 'high',
    },
    { data: { text: 'd' } },
  ]);
});

describe('the built-in pack', () => {
  it('has at least 40 templates, each valid and running on this driver', async () => {
    expect(BUILTIN_TEMPLATES.length).toBeGreaterThanOrEqual(40);
    expect(new Set(BUILTIN_TEMPLATES.map((b) => b.id)).size).toBe(BUILTIN_TEMPLATES.length);
    await loadParser();
    for (const template of BUILTIN_TEMPLATES) {
      const params = template.slots.flatMap((s): unknown[] =>
        s.type === 'period'
          ? ['2026-01-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z']
          : s.type === 'number'
            ? [3]
            : s.type === 'enum'
              ? [s.values![0]]
              : s.type === 'project'
                ? [projectId]
                : [alice.userId],
      );
      expect(validateSelect(template.sql).parameters, template.id).toBe(params.length);
      const result = await inTenant(ctx.platform.database.db, { tenantId: t.tenantId }, (tx) =>
        runSelect(tx, template.sql, params, { rowLimit: 100, statementTimeoutMs: 5000, boundPlan: true }),
      ).catch((err: Error) => {
        throw new Error(`${template.id}: ${err.message}`);
      });
      expect(result.columns.length, template.id).toBeGreaterThan(0);
    }
  });
});

describe('POST /sql/ask', () => {
  it('answers from a template, filling a project (Chinese) and logging question, params and confidence', async () => {
    const res = await ask('街景标注的完成率', 'template');
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({
      method: 'template',
      template_id: 'builtin:completion_rate_of_project',
      params: [projectId],
      columns: ['tasks', 'finished', 'completion_rate'],
      rows: [{ tasks: 4, finished: 2, completion_rate: '0.500' }], // a rejected annotation does not finish its task
      truncated: false,
    });
    expect(body.confidence).toBeGreaterThanOrEqual(0.7);
    const logs = await t.as(t.owner, { method: 'GET', url: '/api/v1/sql/logs?limit=1' });
    expect(logs.json().items[0]).toMatchObject({
      id: body.log_id,
      question: '街景标注的完成率',
      method: 'template',
      params: [projectId],
      confidence: body.confidence,
      outcome: 'answered',
    });
    const audit = await t.as(t.owner, { method: 'GET', url: '/api/v1/audit/logs?action=sql.ask' });
    expect(audit.json().items[0]).toMatchObject({ details: { question: '街景标注的完成率' } });
  });

  it('fills a period, in English and Chinese (the default method, hybrid)', async () => {
    for (const question of ['annotations per annotator this month', '本月每个标注员的标注数']) {
      const res = await ask(question);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({
        template_id: 'builtin:annotations_per_annotator_in_period',
        rows: [
          { annotator: 'Alice Wang', annotations: 2 },
          { annotator: 'Owner', annotations: 1 },
        ],
      });
      const [from, to] = res.json().params as string[];
      expect(new Date(from!).getTime()).toBeLessThanOrEqual(Date.now());
      expect(new Date(to!).getTime()).toBeGreaterThan(Date.now());
      expect(new Date(from!).getUTCDate()).toBe(1);
    }
  });

  it('fills an enum, a number and a member', async () => {
    const completed = await ask('how many completed tasks');
    expect(completed.json()).toMatchObject({ params: ['completed'], rows: [{ tasks: 1 }] });
    const reviewed = await ask('已完成的任务有多少');
    expect(reviewed.json()).toMatchObject({ params: ['completed'], rows: [{ tasks: 1 }] });
    const high = await ask('有多少高优先级任务');
    expect(high.json()).toMatchObject({ params: ['high'], rows: [{ tasks: 1 }] });
    const rejected = await ask('how many rejected annotations');
    expect(rejected.json()).toMatchObject({ params: ['rejected'], rows: [{ annotations: 1 }] });
    const top = await ask('本月标注最多的前一名');
    expect(top.statusCode, top.body).toBe(200);
    expect(top.json()).toMatchObject({
      params: [1, expect.any(String), expect.any(String)],
      rows: [{ annotator: 'Alice Wang' }],
    });
    const topEn = await ask('top 2 annotators this month');
    expect(topEn.json().rows).toHaveLength(2);
    const member = await ask('how many annotations did Alice Wang submit today');
    expect(member.statusCode, member.body).toBe(200);
    expect(member.json()).toMatchObject({
      template_id: 'builtin:annotations_of_member_in_period',
      params: [alice.userId, expect.any(String), expect.any(String)],
      rows: [{ annotations: 2 }],
    });
  });

  it('answers 422 cannot_answer, logged as refused, when no template fits and no LLM is bound', async () => {
    for (const method of ['hybrid', 'llm', 'template']) {
      const res = await ask('what is the weather like on Mars', method);
      expect(res.statusCode, res.body).toBe(422);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json()).toMatchObject({ code: 'cannot_answer' });
      const logs = await t.as(t.owner, { method: 'GET', url: '/api/v1/sql/logs?limit=1' });
      expect(logs.json().items[0]).toMatchObject({
        id: res.json().log_id,
        method,
        outcome: 'refused',
        question: 'what is the weather like on Mars',
      });
    }
    expect((await ask('what is the weather like on Mars', 'hybrid')).json().detail).toContain(
      'No LLM is bound',
    );
  });

  it('needs sql:ask and tenant-wide project access', async () => {
    expect((await ask('tasks by status', undefined, alice)).statusCode).toBe(403);
    const bad = await t.as(t.owner, { method: 'POST', url: '/api/v1/sql/ask', payload: { question: '' } });
    expect(bad.statusCode).toBe(400);
  });
});

describe('templates', () => {
  const mine = {
    name: 'long annotations',
    description: 'Annotations that took longer than n seconds',
    patterns: [
      { lang: 'zh', text: '耗时超过{n}秒的标注' },
      { lang: 'en', text: 'annotations slower than {n} seconds' },
    ],
    slots: [{ name: 'n', type: 'number' }],
    sql: 'select count(*)::int as slow from annotations where lead_time > $1::int',
  };

  it('lists the built-ins and the tenant’s own, which /ask uses; built-ins are read-only', async () => {
    const created = await templates('POST', '', mine);
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id as string;
    expect(created.json()).toMatchObject({ builtin: false, enabled: true, name: 'long annotations' });

    const list = await templates('GET');
    const items = list.json().items as { id: string; builtin: boolean }[];
    expect(items.filter((i) => i.builtin)).toHaveLength(BUILTIN_TEMPLATES.length);
    expect(items.find((i) => i.id === id)).toMatchObject({ builtin: false });

    const asked = await ask('耗时超过8秒的标注');
    expect(asked.statusCode, asked.body).toBe(200);
    expect(asked.json()).toMatchObject({ template_id: id, params: [8], rows: [{ slow: 2 }] });
    const english = await ask('annotations slower than fifteen seconds');
    expect(english.statusCode).toBe(422); // "fifteen" is no number it reads
    expect((await ask('annotations slower than 15 seconds')).json()).toMatchObject({
      params: [15],
      rows: [{ slow: 1 }],
    });

    const off = await templates('PATCH', `/${id}`, { enabled: false });
    expect(off.json()).toMatchObject({ enabled: false });
    expect((await ask('耗时超过8秒的标注', 'template')).json().template_id).not.toBe(id);

    expect((await templates('PATCH', '/builtin:tasks_by_status', { enabled: false })).statusCode).toBe(409);
    const builtinDelete = await templates('DELETE', '/builtin:tasks_by_status');
    expect(builtinDelete.statusCode).toBe(409);
    expect(builtinDelete.json()).toMatchObject({ code: 'builtin_read_only' });
    expect((await templates('POST', '', mine)).json()).toMatchObject({ code: 'template_name_taken' });

    expect((await templates('DELETE', `/${id}`)).statusCode).toBe(204);
    expect((await templates('DELETE', `/${id}`)).statusCode).toBe(404);
    expect((await templates('PATCH', '/nope', { enabled: true })).statusCode).toBe(404);
    const audit = await t.as(t.owner, {
      method: 'GET',
      url: '/api/v1/audit/logs?action=sql.template.deleted',
    });
    expect(audit.json().items[0]).toMatchObject({ resource_id: id });
  });

  it.each([
    [{ sql: 'select * from users where id = $1::uuid' }, 'relation_not_allowed'],
    [{ sql: 'delete from tasks' }, 'not_select'],
    [{ sql: 'select count(*) from annotations' }, 'parameter_mismatch'],
    [{ patterns: [{ lang: 'en', text: 'slower than {seconds}' }] }, 'invalid_template'],
    [{ slots: [{ name: 'n', type: 'enum' }] }, 'invalid_template'],
  ])('refuses a template that could not run (%j → %s)', async (change, code) => {
    const res = await templates('POST', '', { ...mine, name: `bad ${code}`, ...change });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ code });
  });

  it('needs sql:manage to change templates', async () => {
    const manager = await t.member(['manager'], 'Manager');
    expect((await templates('GET', '', undefined, manager)).statusCode).toBe(200);
    expect((await templates('POST', '', { ...mine, name: 'x' }, manager)).statusCode).toBe(403);
  });

  it('tests a question against every template, or against a draft, without running', async () => {
    const res = await t.as(t.owner, {
      method: 'POST',
      url: '/api/v1/sql/templates/test',
      payload: { question: 'tasks by status in Street Signs' },
    });
    expect(res.statusCode, res.body).toBe(200);
    const [first, ...rest] = res.json().matches;
    expect(first).toMatchObject({ template_id: 'builtin:tasks_by_status_in_project', missing: [] });
    expect(first.params).toHaveLength(1);
    expect(rest.length).toBeGreaterThan(0);
    expect(rest[0].confidence).toBeLessThanOrEqual(first.confidence);

    const draft = await t.as(t.owner, {
      method: 'POST',
      url: '/api/v1/sql/templates/test',
      payload: {
        question: 'annotations slower than 30 seconds',
        template: { patterns: mine.patterns, slots: mine.slots, sql: mine.sql },
      },
    });
    expect(draft.json().matches).toEqual([
      expect.objectContaining({ template_id: null, params: [30], values: { n: 30 }, missing: [] }),
    ]);
    const invalid = await t.as(t.owner, {
      method: 'POST',
      url: '/api/v1/sql/templates/test',
      payload: {
        question: 'x',
        template: { ...mine, name: undefined, description: undefined, sql: 'select 1' },
      },
    });
    expect(invalid.statusCode).toBe(400);
  });
});
