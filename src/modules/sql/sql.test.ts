import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { newProject, seedTasks } from '../../../test/annotation-fixtures.ts';
import { newTenant, type TenantFixture } from '../../../test/fixtures.ts';
import { type TestContext, testApp } from '../../../test/helpers.ts';
import { inTenant } from '../../platform/db/tenancy.ts';
import { runSelect } from './executor.ts';
import { REPORTING_VIEWS } from './reporting.ts';
import { loadParser } from './validator.ts';

let ctx: TestContext;
let t: TenantFixture;

const run = (query: string, as = t.owner) =>
  t.as(as, { method: 'POST', url: '/api/v1/sql/run', payload: { sql: query } });
const setConfig = (values: Record<string, unknown>) =>
  t.as(t.owner, {
    method: 'PUT',
    url: '/api/v1/sql/configuration',
    payload: {
      default_method: 'hybrid',
      row_limit: 1000,
      statement_timeout_ms: 5000,
      enabled_sources: ['platform'],
      llm_binding: null,
      ...values,
    },
  });

beforeAll(async () => {
  ctx = await testApp();
  t = await newTenant(ctx);
  const project = await newProject(t, { title: '质量项目' });
  await seedTasks(ctx, t, project.id, [
    { data: { text: 'a' }, annotations: [{ completed_by: t.owner.userId, lead_time: 12 }] },
    { data: { text: 'b' } },
    { data: { text: 'c' } },
  ]);
});

describe('the reporting views', () => {
  it('have exactly the documented columns, and read as the invoker (so RLS applies)', async () => {
    const res = await t.as(t.owner, { method: 'GET', url: '/api/v1/sql/schema' });
    expect(res.statusCode).toBe(200);
    expect(res.json().views.map((v: { name: string }) => v.name)).toEqual(REPORTING_VIEWS.map((v) => v.name));
    const { rows } = await ctx.platform.database.raw.query(
      `select table_name as view, column_name as column from information_schema.columns
        where table_schema = 'reporting' order by table_name, ordinal_position`,
    );
    for (const view of REPORTING_VIEWS) {
      expect(
        rows.filter((r) => r.view === view.name).map((r) => r.column as string),
        view.name,
      ).toEqual(view.columns.map((c) => c.name));
    }
    const { rows: options } = await ctx.platform.database.raw.query(
      `select c.relname as name, c.reloptions as options from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'reporting' and c.relkind = 'v' order by 1`,
    );
    expect(options).toHaveLength(REPORTING_VIEWS.length);
    for (const o of options) expect(o.options as string[], String(o.name)).toContain('security_invoker=true');
  });

  it('give the reporting role exactly the base-table columns the views read, plus the tenant for its policies', async () => {
    const query = async (text: string) =>
      (await ctx.platform.database.raw.query(text)).rows
        .map((r) => `${r.table_name}.${r.column_name}`)
        .sort();
    const granted = await query(
      `select table_name, column_name from information_schema.column_privileges
        where grantee = 'superinsight_sql' and table_schema = 'public' and privilege_type = 'SELECT'`,
    );
    const read = await query(
      `select distinct table_name, column_name from information_schema.view_column_usage
        where view_schema = 'reporting' and table_schema = 'public'
       union
       select distinct table_name, 'tenant_id' from information_schema.view_column_usage
        where view_schema = 'reporting' and table_schema = 'public' and table_name <> 'users'`,
    );
    expect(granted).toContain('users.email');
    expect(granted).toContain('billing_records.tenant_id');
    expect(granted).toEqual(read);
  });
});

describe('POST /sql/run', () => {
  it('answers a SELECT over the views with columns and rows, and logs it', async () => {
    const res = await run(
      `select p.title as 项目, count(t.id)::int as tasks, count(a.id)::int as annotations
         from projects p join reporting.tasks t on t.project_id = p.id
         left join annotations a on a.task_id = t.id
        group by 1 -- per project`,
    );
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      columns: ['项目', 'tasks', 'annotations'],
      rows: [{ 项目: '质量项目', tasks: 3, annotations: 1 }],
      truncated: false,
    });
    const logs = await t.as(t.owner, { method: 'GET', url: '/api/v1/sql/logs' });
    expect(logs.json().items[0]).toMatchObject({
      id: res.json().log_id,
      method: 'manual',
      outcome: 'answered',
      row_count: 1,
      source_id: null,
      user_id: t.owner.userId,
    });
    const audit = await t.as(t.owner, { method: 'GET', url: '/api/v1/audit/logs?action=sql.run' });
    expect(audit.json().items[0]).toMatchObject({ action: 'sql.run', details: { source_id: null } });
  });

  it.each([
    ['select 1; drop table projects', 'multiple_statements', 'refused'],
    ['with d as (delete from tasks returning id) select * from d', 'data_modifying', 'refused'],
    ['select * into stolen from projects', 'select_into', 'refused'],
    ['select * from tasks for update', 'locking_clause', 'refused'],
    ['select * from pg_catalog.pg_authid', 'system_catalog', 'refused'],
    [
      'select id from projects where id in (select project_id from public.tasks)',
      'relation_not_allowed',
      'refused',
    ],
    ['select pg_sleep(60)', 'function_not_allowed', 'refused'],
    ['selec 1', 'sql_syntax', 'invalid'],
  ])('refuses %s with a 400 naming the rule (%s), logged as %s', async (query, code, outcome) => {
    const res = await run(query);
    expect(res.statusCode, res.body).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ code, type: 'https://superinsight.dev/problems/sql-refused' });
    const logs = await t.as(t.owner, { method: 'GET', url: '/api/v1/sql/logs?limit=1' });
    expect(logs.json().items[0]).toMatchObject({ id: res.json().log_id, outcome, error: code, sql: query });
  });

  it('gives the same JSON on both drivers: int8 as a number, numeric as a string, times in ISO 8601 UTC', async () => {
    const res = await run(
      "select 5::int8 as n, 9007199254740993::int8 as big, 1.50::numeric as amount, timestamptz '2026-03-01 08:00:00+08' as at, null::int8 as none",
    );
    expect(res.json().rows).toEqual([
      { n: 5, big: '9007199254740993', amount: '1.50', at: '2026-03-01T00:00:00.000Z', none: null },
    ]);
  });

  it('cuts the answer at the row limit and says so', async () => {
    expect((await setConfig({ row_limit: 2 })).statusCode).toBe(200);
    try {
      const cut = await run('select id from tasks order by id');
      expect(cut.json()).toMatchObject({ truncated: true });
      expect(cut.json().rows).toHaveLength(2);
      const whole = await run('select id from tasks order by id limit 2');
      expect(whole.json()).toMatchObject({ truncated: false });
    } finally {
      await setConfig({});
    }
  });

  it('stops a slow query: by the statement timeout on PostgreSQL, by the plan bound on PGlite', async () => {
    expect((await setConfig({ statement_timeout_ms: 300 })).statusCode).toBe(200);
    try {
      const res = await run('select count(*) from generate_series(1, 200000000) g');
      expect(res.statusCode, res.body).toBe(422);
      const expected =
        ctx.platform.database.driver === 'pg'
          ? { code: 'timeout', outcome: 'timeout' }
          : { code: 'plan_too_costly', outcome: 'refused' };
      expect(res.json()).toMatchObject({
        code: expected.code,
        type: 'https://superinsight.dev/problems/sql-failed',
      });
      const logs = await t.as(t.owner, { method: 'GET', url: '/api/v1/sql/logs?limit=1' });
      expect(logs.json().items[0]).toMatchObject({ id: res.json().log_id, outcome: expected.outcome });
    } finally {
      await setConfig({});
    }
  });

  it('answers a failing query with a 422, not a 500', async () => {
    const missing = await run('select no_such_column from projects');
    expect(missing.statusCode).toBe(422);
    expect(missing.json()).toMatchObject({ code: 'query_failed' });
    const twice = await run('select 1 as a, 2 as a');
    expect(twice.json()).toMatchObject({ code: 'duplicate_column' });
    const source = await t.as(t.owner, {
      method: 'POST',
      url: '/api/v1/sql/run',
      payload: { sql: 'select 1', source_id: 'mysql-1' },
    });
    expect(source.statusCode).toBe(400);
    expect(source.json()).toMatchObject({ code: 'unknown_source' });
  });

  it('runs as a role that reads only the views, even when a query skips the validator', async () => {
    await loadParser();
    const unchecked = (query: string) =>
      inTenant(ctx.platform.database.db, { tenantId: t.tenantId }, (tx) =>
        runSelect(tx, query, [], { rowLimit: 10, statementTimeoutMs: 1000, boundPlan: false }),
      );
    const who = await unchecked(
      'select current_user as u, (select count(*) from reporting.members)::int as n',
    );
    expect(who.rows).toEqual([{ u: 'superinsight_sql', n: 1 }]);
    for (const query of [
      'select password_hash from public.users',
      'select token_hash from public.sessions',
      'select result from public.annotations',
      'select details from public.quality_scores',
      'select * from public.text_to_sql_configurations',
      'select * from pg_catalog.pg_authid',
    ]) {
      await expect(unchecked(query), query).rejects.toMatchObject({
        failure: 'query_failed',
        message: expect.stringMatching(/permission denied/),
      });
    }
  });

  it('binds $1..$n as parameters on both drivers, never as text', async () => {
    await loadParser();
    const result = await inTenant(ctx.platform.database.db, { tenantId: t.tenantId }, (tx) =>
      runSelect(
        tx,
        "select '$1' as literal, $2::text as name, $1::int + 1 as n, ($2::text || 'é') as again -- $3",
        [41, "x'); drop table tasks; --"],
        { rowLimit: 10, statementTimeoutMs: 1000, boundPlan: true },
      ),
    );
    expect(result.rows).toEqual([
      { literal: '$1', name: "x'); drop table tasks; --", n: 42, again: "x'); drop table tasks; --é" },
    ]);
    const missing = await run('select $1::int as n');
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toMatchObject({ code: 'parameter_mismatch' });
  });

  it('runs in a read-only transaction', async () => {
    await loadParser();
    await expect(
      inTenant(ctx.platform.database.db, { tenantId: t.tenantId }, async (tx) => {
        await runSelect(tx, 'select 1', [], { rowLimit: 10, statementTimeoutMs: 1000, boundPlan: false });
        await tx.execute(sql`update public.text_to_sql_configurations set row_limit = 1`);
      }),
    ).rejects.toMatchObject({ cause: expect.objectContaining({ code: '25006' }) });
  });
});

describe('logs, feedback and configuration', () => {
  it('shows members their own logs (everyone’s with sql:manage) and takes feedback', async () => {
    const manager = await t.member(['manager'], 'Manager');
    const other = await t.member(['manager'], 'Other');
    const mine = await run('select count(*) from projects', manager);
    expect(mine.statusCode, mine.body).toBe(200);
    const logId = mine.json().log_id;

    const otherList = await t.as(other, { method: 'GET', url: '/api/v1/sql/logs' });
    expect(otherList.json().items.map((i: { id: number }) => i.id)).not.toContain(logId);
    const ownerList = await t.as(t.owner, { method: 'GET', url: '/api/v1/sql/logs' });
    expect(ownerList.json().items.map((i: { id: number }) => i.id)).toContain(logId);

    const feedback = (as: typeof manager, payload: object) =>
      t.as(as, { method: 'POST', url: `/api/v1/sql/logs/${logId}/feedback`, payload });
    expect((await feedback(other, { correct: true })).statusCode).toBe(404);
    const refused = await feedback(manager, { correct: false, sql: 'select * from users' });
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toMatchObject({ code: 'relation_not_allowed' });
    expect((await feedback(manager, { correct: true, sql: 'select 1' })).statusCode).toBe(400);
    const corrected = await feedback(manager, { correct: false, sql: 'select count(*) from tasks' });
    expect(corrected.statusCode, corrected.body).toBe(200);
    expect(corrected.json().feedback).toMatchObject({
      correct: false,
      sql: 'select count(*) from tasks',
      by: manager.userId,
    });
    // The owner (sql:manage) may judge anyone's log.
    expect((await feedback(t.owner, { correct: true })).json().feedback).toMatchObject({
      correct: true,
      sql: null,
    });

    // Managers ask and run but do not configure.
    expect((await t.as(manager, { method: 'GET', url: '/api/v1/sql/configuration' })).statusCode).toBe(200);
    const put = await t.as(manager, { method: 'PUT', url: '/api/v1/sql/configuration', payload: {} });
    expect(put.statusCode).toBe(403);
    const annotator = await t.member(['annotator'], 'Annotator');
    expect((await run('select 1', annotator)).statusCode).toBe(403);
    // sql:run alone does not open every project: that takes tenant-wide project access.
    const role = await t.as(t.owner, {
      method: 'POST',
      url: '/api/v1/roles',
      payload: { name: 'analyst', permissions: ['sql:ask', 'sql:run'] },
    });
    expect(role.statusCode, role.body).toBe(201);
    const analyst = await t.member(['analyst'], 'Analyst');
    const denied = await run('select count(*) from projects', analyst);
    expect(denied.statusCode).toBe(403);
    expect(denied.json()).toMatchObject({ code: 'project_access' });
  });

  it('starts from the defaults and validates a new configuration', async () => {
    const fresh = await newTenant(ctx);
    const got = await fresh.as(fresh.owner, { method: 'GET', url: '/api/v1/sql/configuration' });
    expect(got.json()).toEqual({
      default_method: 'hybrid',
      row_limit: 1000,
      statement_timeout_ms: 5000,
      enabled_sources: ['platform'],
      llm_binding: null,
      plugin_id: null,
      updated_at: null,
    });
    const bad = await setConfig({ row_limit: 0 });
    expect(bad.statusCode).toBe(400);
    const off = await setConfig({ enabled_sources: [] });
    expect(off.statusCode).toBe(200);
    try {
      const res = await run('select 1');
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 'source_disabled' });
    } finally {
      await setConfig({});
    }
  });
});
