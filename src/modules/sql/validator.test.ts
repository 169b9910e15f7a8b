import { beforeAll, describe, expect, it } from 'vitest';
import { loadParser, Refusal, type Rule, validateSelect } from './validator.ts';

beforeAll(() => loadParser());

function refusal(sql: string): Rule | 'accepted' {
  try {
    validateSelect(sql);
    return 'accepted';
  } catch (err) {
    if (err instanceof Refusal) return err.rule;
    throw err;
  }
}

describe('the SQL validator', () => {
  it.each<[string, Rule]>([
    // Statements other than one plain SELECT
    ['select 1 from projects; drop table projects', 'multiple_statements'],
    ['select 1; select 2', 'multiple_statements'],
    ['select 1 /* ; */ ; delete from tasks', 'multiple_statements'],
    ['select 1 -- harmless\n; update tasks set status = $$x$$', 'multiple_statements'],
    ['', 'empty_statement'],
    ['  -- only a comment', 'empty_statement'],
    ['delete from projects', 'not_select'],
    ['update tasks set status = null', 'not_select'],
    ['insert into projects (title) values (1)', 'not_select'],
    ['copy projects to stdout', 'not_select'],
    ["set statement_timeout = '0'", 'not_select'],
    ['reset role', 'not_select'],
    ['explain analyze delete from tasks', 'not_select'],
    ['create table x as select 1', 'not_select'],
    ['do $$ begin perform 1; end $$', 'not_select'],
    ['call something()', 'not_select'],
    ['begin', 'not_select'],
    ['lock table projects', 'not_select'],
    ['grant select on projects to public', 'not_select'],
    ['select 1 fro projects', 'sql_syntax'],
    ["select 'unterminated", 'sql_syntax'],
    // Writes and table creation hidden inside a SELECT
    ['with d as (delete from tasks returning id) select * from d', 'data_modifying'],
    ['with u as (update tasks set status = null returning id) select count(*) from u', 'data_modifying'],
    [
      'with i as (insert into projects (title) values ($$x$$) returning id) select * from i',
      'data_modifying',
    ],
    [
      'select * from projects where id in (with d as (delete from tasks returning project_id) select project_id from d)',
      'data_modifying',
    ],
    ['select * into stolen from projects', 'select_into'],
    ['select id into temporary t from tasks', 'select_into'],
    // Locks
    ['select * from tasks for update', 'locking_clause'],
    ['select * from tasks for share skip locked', 'locking_clause'],
    ['select id from tasks union select id from annotations for no key update', 'locking_clause'],
    ['select * from (select * from tasks for update) t', 'locking_clause'],
    // Catalogs and tables outside the allow-list
    ['select * from pg_catalog.pg_authid', 'system_catalog'],
    ['select usename, passwd from pg_shadow', 'system_catalog'],
    ['select * from information_schema.tables', 'system_catalog'],
    ['select relname from pg_class', 'system_catalog'],
    ['select * from public.projects', 'relation_not_allowed'],
    ['select * from users', 'relation_not_allowed'],
    ['select * from api_tokens', 'relation_not_allowed'],
    ['select * from postgres.reporting.projects', 'relation_not_allowed'],
    ['select * from projects where id in (select project_id from public.tasks)', 'relation_not_allowed'],
    [
      'select * from projects p where exists (select 1 from annotations a join sessions s on true where a.project_id = p.id)',
      'relation_not_allowed',
    ],
    ['select (select count(*) from (select * from audit_logs) x) from projects', 'relation_not_allowed'],
    ['select * from reporting.secrets', 'relation_not_allowed'],
    // A CTE named like a catalog does not make the catalog readable from its own body.
    ['with pg_class as (select * from pg_class) select * from pg_class', 'system_catalog'],
    ['with a as (select * from b), b as (select * from users) select * from a', 'relation_not_allowed'],
    [
      'with recursive r as (select 1 as n union all select n + 1 from r) select * from r, users',
      'relation_not_allowed',
    ],
    ['table users', 'relation_not_allowed'],
    // Denied functions
    ['select pg_sleep(10)', 'function_not_allowed'],
    ['select pg_catalog.pg_sleep(10)', 'function_not_allowed'],
    ['select PG_SLEEP_FOR($$1 hour$$::interval)', 'function_not_allowed'],
    ["select pg_read_file('/etc/passwd')", 'function_not_allowed'],
    ['select lo_import($$/etc/passwd$$)', 'function_not_allowed'],
    ["select * from dblink('host=x', 'select 1') as t(a int)", 'function_not_allowed'],
    ["select set_config('app.tenant_id', 'x', true)", 'function_not_allowed'],
    ["select current_setting('app.tenant_id')", 'function_not_allowed'],
    ['select pg_terminate_backend(1)', 'function_not_allowed'],
    ["select nextval('projects_id_seq')", 'function_not_allowed'],
    ["select setval('projects_id_seq', 1)", 'function_not_allowed'],
    ["select query_to_xml('select * from users', true, true, '')", 'function_not_allowed'],
    ['select pg_advisory_lock(1)', 'function_not_allowed'],
    ['select * from projects where id = (select pg_sleep(5))::text::int', 'function_not_allowed'],
    ['select count(*) filter (where pg_sleep(1) is null) from tasks', 'function_not_allowed'],
    ['select * from tasks order by pg_sleep(1)', 'function_not_allowed'],
    ['select * from projects, lateral (select pg_sleep(1)) s', 'function_not_allowed'],
    ['select public.evil()', 'function_not_allowed'],
    ["select pg_get_viewdef('reporting.projects')", 'function_not_allowed'],
    ["select has_table_privilege('users', 'select')", 'function_not_allowed'],
  ])('refuses %s (%s)', (sql, rule) => {
    expect(refusal(sql)).toBe(rule);
  });

  it.each([
    'select * from projects',
    'SELECT p.title, count(t.id) FROM reporting.projects p JOIN reporting.tasks t ON t.project_id = p.id GROUP BY 1',
    'with done as (select * from tasks where is_finished) select project_id, count(*) from done group by 1',
    'with projects as (select 1 as id) select * from projects',
    'with recursive r as (select 1 as n union all select n + 1 from r where n < 5) select * from r',
    "select m.name, avg(q.total) from quality_scores q join members m on m.user_id = q.user_id where q.computed_at >= now() - interval '7 days' group by 1 order by 2",
    "select date_trunc('week', created_at) as week, count(*) from annotations group by 1 -- trailing comment",
    "select '上个月; drop table x' as 问题",
    'select 1;',
    'select * from billing_lines where period = $1',
    'select id from tasks union all select id from annotations',
    'select * from (values (1), (2)) v(n)',
    'select * from generate_series(1, 3)',
  ])('accepts %s', (sql) => {
    expect(refusal(sql)).toBe('accepted');
  });

  it('cuts the one statement out of its input, without the trailing semicolon', () => {
    expect(validateSelect('-- why\nselect 1 ;').sql).toBe('-- why\nselect 1');
    expect(validateSelect("select '项目' as 名;  ").sql).toBe("select '项目' as 名");
    expect(validateSelect('select * from reporting.tasks t join members m on true').relations).toEqual([
      'members',
      'tasks',
    ]);
  });
});
