import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { inTenant } from '../src/platform/db/tenancy.ts';
import { jobRuns } from '../src/platform/jobs/schema.ts';
import { newProject, seedTasks } from './annotation-fixtures.ts';
import { newTenant, type TenantFixture } from './fixtures.ts';
import { type TestContext, testApp } from './helpers.ts';
import { systemSql } from './labeling-fixtures.ts';
import { until } from './quality-ops-fixtures.ts';

interface Seeded {
  t: TenantFixture;
  userId: string;
  roleId: string;
  tokenId: string;
  sessionId: string;
  eventId: string;
  jobId: string;
}

/** A tenant holding one of each resource, created through the API where one exists. */
async function seed(ctx: TestContext): Promise<Seeded> {
  const t = await newTenant(ctx);
  const annotator = await t.member(['annotator'], 'Alice');
  const role = await t.as(t.owner, {
    method: 'POST',
    url: '/api/v1/roles',
    payload: { name: 'custom', permissions: ['users:read'] },
  });
  const token = await t.as(t.owner, {
    method: 'POST',
    url: '/api/v1/tokens',
    payload: { name: 'ci', permissions: ['users:read'] },
  });
  const me = await t.as(annotator, { method: 'GET', url: '/api/v1/auth/me' });
  await t.as(t.owner, {
    method: 'PUT',
    url: '/api/v1/security/ip-whitelist',
    payload: { entries: [{ cidr: '127.0.0.0/8' }] },
  });
  await t.as(t.owner, {
    method: 'PATCH',
    url: `/api/v1/roles/${role.json().id}`,
    payload: { permissions: ['users:read', 'roles:read'] },
  });
  const events = await t.as(t.owner, { method: 'GET', url: '/api/v1/security/events' });
  const [job] = await inTenant(ctx.platform.database.db, { tenantId: t.tenantId }, (tx) =>
    tx.insert(jobRuns).values({ tenantId: t.tenantId, kind: 'isolation.probe' }).returning(),
  );
  return {
    t,
    userId: annotator.userId,
    roleId: role.json().id,
    tokenId: token.json().id,
    sessionId: me.json().session_id,
    eventId: events.json().items[0].id,
    jobId: job!.id,
  };
}

describe('tenant isolation', () => {
  it("never reads, lists, changes or deletes another tenant's resources through the API", async () => {
    const ctx = await testApp();
    const a = await seed(ctx);
    const b = await seed(ctx);
    const asB = (method: string, url: string, payload?: unknown) =>
      b.t.as(b.t.owner, { method: method as 'GET', url, ...(payload ? { payload: payload as object } : {}) });

    const attempts: [string, string, unknown?][] = [
      ['GET', `/api/v1/users/${a.userId}`],
      ['PATCH', `/api/v1/users/${a.userId}`, { status: 'deactivated' }],
      ['GET', `/api/v1/users/${a.userId}/sessions`],
      ['DELETE', `/api/v1/users/${a.userId}/sessions`],
      ['POST', `/api/v1/users/${a.userId}/roles`, { role_id: b.roleId }],
      ['POST', `/api/v1/users/${b.userId}/roles`, { role_id: a.roleId }],
      ['DELETE', `/api/v1/users/${a.userId}/roles/${a.roleId}`],
      ['PATCH', `/api/v1/roles/${a.roleId}`, { description: 'taken over' }],
      ['DELETE', `/api/v1/roles/${a.roleId}`],
      ['DELETE', `/api/v1/tokens/${a.tokenId}`],
      ['DELETE', `/api/v1/admin/tokens/${a.tokenId}`],
      ['DELETE', `/api/v1/auth/sessions/${a.sessionId}`],
      ['PATCH', `/api/v1/security/events/${a.eventId}`, { status: 'resolved' }],
      ['GET', `/api/v1/jobs/${a.jobId}`],
      ['POST', '/api/v1/rbac/check', { user_id: a.userId, permission: 'users:read' }],
    ];
    for (const [method, url, payload] of attempts) {
      const res = await asB(method, url, payload);
      expect(res.statusCode, `${method} ${url}`).toBe(404);
    }

    const aIds = [a.userId, a.roleId, a.tokenId, a.sessionId, a.eventId, a.jobId, a.t.tenantId];
    for (const url of [
      '/api/v1/users',
      '/api/v1/roles',
      '/api/v1/admin/tokens',
      '/api/v1/security/events',
      '/api/v1/security/ip-whitelist',
      '/api/v1/audit/logs',
      '/api/v1/jobs',
      '/api/v1/tenant',
      `/api/v1/users/${b.userId}/sessions?include_ended=true`,
    ]) {
      const res = await asB('GET', url);
      expect(res.statusCode, url).toBe(200);
      for (const id of aIds) expect(res.body, `${url} leaks ${id}`).not.toContain(id);
    }

    // A's resources are intact after B's attempts.
    const still = await a.t.as(a.t.owner, { method: 'GET', url: `/api/v1/users/${a.userId}` });
    expect(still.json().status).toBe('active');
    const verify = await a.t.as(a.t.owner, { method: 'POST', url: '/api/v1/audit/verify' });
    expect(verify.json().ok).toBe(true);
  });

  it('holds in the database even when a query forgets its tenant filter', async () => {
    const ctx = await testApp();
    const a = await seed(ctx);
    const b = await seed(ctx);
    const db = ctx.platform.database.db;
    const { rows: tables } = await ctx.platform.database.raw.query(
      `select c.relname as name, c.relrowsecurity as rls
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'public' and c.relkind in ('r', 'p')
          and exists (select 1 from information_schema.columns k
                       where k.table_schema = 'public' and k.table_name = c.relname and k.column_name = 'tenant_id')
        order by 1`,
    );
    expect(tables.length).toBeGreaterThanOrEqual(9);
    for (const table of tables) expect(table.rls, `${table.name} has row-level security`).toBe(true);

    await inTenant(db, { tenantId: b.t.tenantId }, async (tx) => {
      const who = await tx.execute(sql`select current_user as u`);
      expect((who as unknown as { rows: { u: string }[] }).rows[0]!.u).toBe('superinsight_app');
      for (const { name } of tables) {
        const t = sql.identifier(String(name));
        const seen = await tx.execute(
          sql`select count(*)::int as n from ${t} where tenant_id = ${a.t.tenantId}`,
        );
        expect(
          (seen as unknown as { rows: { n: number }[] }).rows[0]!.n,
          `${name} rows of A visible to B`,
        ).toBe(0);
        const total = await tx.execute(
          sql`select count(*)::int as n from ${t} where tenant_id <> ${b.t.tenantId}`,
        );
        expect(
          (total as unknown as { rows: { n: number }[] }).rows[0]!.n,
          `${name} foreign rows visible`,
        ).toBe(0);
      }
      const users = await tx.execute(sql`select count(*)::int as n from users where id = ${a.userId}`);
      expect((users as unknown as { rows: { n: number }[] }).rows[0]!.n).toBe(0);
    });

    // Unfiltered writes touch only the caller's rows; A's stay as they were.
    const before = await ctx.platform.database.raw.query(
      'select count(*)::int as n from roles where tenant_id = $1',
      [a.t.tenantId],
    );
    await inTenant(db, { tenantId: b.t.tenantId }, async (tx) => {
      await tx.execute(sql`update roles set description = 'changed by B'`);
      await tx.execute(sql`delete from ip_whitelist`);
    });
    const { rows: aRoles } = await ctx.platform.database.raw.query(
      `select count(*)::int as n from roles where tenant_id = $1 and description = 'changed by B'`,
      [a.t.tenantId],
    );
    expect(aRoles[0]!.n).toBe(0);
    const after = await ctx.platform.database.raw.query(
      'select count(*)::int as n from roles where tenant_id = $1',
      [a.t.tenantId],
    );
    expect(after.rows[0]!.n).toBe(before.rows[0]!.n);
    const aList = await ctx.platform.database.raw.query(
      'select count(*)::int as n from ip_whitelist where tenant_id = $1',
      [a.t.tenantId],
    );
    expect(aList.rows[0]!.n).toBe(1);

    // Inserting a row for another tenant is refused by the policy's check.
    await expect(
      inTenant(db, { tenantId: b.t.tenantId }, (tx) =>
        tx.execute(sql`insert into ip_whitelist (tenant_id, cidr) values (${a.t.tenantId}, '10.0.0.0/8')`),
      ),
    ).rejects.toThrow();
  });
});

describe('tenant isolation of quality rules, issues, improvements, alerts and reports', () => {
  it("answers 404 for another tenant's quality resources", async () => {
    const ctx = await testApp();
    const a = await newTenant(ctx);
    const b = await newTenant(ctx);
    const project = await newProject(a);
    const [taskId] = await seedTasks(ctx, a, project.id, [
      { data: { text: 'x' }, annotations: [{ completed_by: a.owner.userId, result: [] }] },
    ]);
    const [ann] = await systemSql<{ id: number }>(
      ctx,
      sql`select id from annotations where task_id = ${taskId}`,
    );
    const annotationId = Number(ann!.id);
    const asA = (method: string, url: string, payload?: object) =>
      a.as(a.owner, { method: method as 'GET', url, ...(payload ? { payload } : {}) });
    const rule = (
      await asA('POST', `/api/v1/projects/${project.id}/quality/rules`, { name: 'r', type: 'required' })
    ).json();
    await asA('PUT', `/api/v1/projects/${project.id}/quality/alert-config`, {
      recipients: { user_ids: [a.owner.userId] },
    });
    await systemSql(
      ctx,
      sql`insert into quality_scores (tenant_id, project_id, scope, annotation_id, total)
        values (${a.tenantId}::uuid, ${project.id}, 'annotation', ${annotationId}, 0.1)`,
    );
    const alert = (await asA('POST', `/api/v1/projects/${project.id}/quality/alerts/evaluate`)).json()
      .raised[0];
    await asA('POST', `/api/v1/projects/${project.id}/quality/checks`);
    const issue = await until(
      async () => (await asA('GET', `/api/v1/projects/${project.id}/quality/issues`)).json().items[0],
      (i) => i !== undefined,
    );
    const improvement = (
      await asA('POST', '/api/v1/quality/improvement-tasks', {
        issue_id: issue.id,
        assignee_id: a.owner.userId,
      })
    ).json();
    const schedule = (
      await asA('POST', `/api/v1/projects/${project.id}/quality/report-schedules`, {
        report: 'summary',
        format: 'csv',
        cron: '0 0 * * *',
        channels: ['in_app'],
      })
    ).json();
    const run = (
      await asA('POST', `/api/v1/projects/${project.id}/quality/report-runs`, {
        report: 'summary',
        format: 'csv',
      })
    ).json();
    const notification = (await asA('GET', '/api/v1/notifications')).json().items[0];
    expect([rule.id, alert.id, issue.id, improvement.id, schedule.id, run.id, notification.id]).not.toContain(
      undefined,
    );

    const p = `/api/v1/projects/${project.id}`;
    const attempts: [string, string, object?][] = [
      ['GET', `${p}/quality/rules`],
      ['POST', `${p}/quality/rules`, { name: 'x', type: 'required' }],
      ['PATCH', `/api/v1/quality/rules/${rule.id}`, { enabled: false }],
      ['DELETE', `/api/v1/quality/rules/${rule.id}`],
      ['GET', `/api/v1/quality/rules/${rule.id}/versions`],
      ['POST', `${p}/quality/rule-templates/basic/apply`],
      ['POST', `${p}/quality/checks`],
      ['GET', `${p}/quality/check-results`],
      ['GET', `${p}/quality/issues`],
      ['PATCH', `/api/v1/quality/issues/${issue.id}`, { status: 'resolved' }],
      ['GET', `${p}/quality/workflow`],
      ['PUT', `${p}/quality/workflow`, { auto_create_improvement: true }],
      ['POST', '/api/v1/quality/improvement-tasks', { issue_id: issue.id }],
      ['POST', '/api/v1/quality/improvement-tasks', { annotation_id: annotationId }],
      ['GET', `${p}/quality/improvement-tasks`],
      ['GET', `/api/v1/quality/improvement-tasks/${improvement.id}`],
      ['PATCH', `/api/v1/quality/improvement-tasks/${improvement.id}`, { assignee_id: null }],
      ['POST', `/api/v1/quality/improvement-tasks/${improvement.id}/transitions`, { to: 'in_progress' }],
      ['GET', `${p}/quality/alert-config`],
      ['PUT', `${p}/quality/alert-config`, { enabled: false }],
      ['POST', `${p}/quality/alerts/evaluate`],
      ['GET', `${p}/quality/alerts`],
      ['POST', `/api/v1/quality/alerts/${alert.id}/actions`, { action: 'acknowledge' }],
      ['GET', `${p}/quality/deliveries`],
      ['POST', `/api/v1/notifications/${notification.id}/read`],
      ['GET', `${p}/quality/reports/summary`],
      ['POST', `${p}/quality/report-runs`, { report: 'summary', format: 'csv' }],
      ['GET', `${p}/quality/report-runs`],
      ['GET', `/api/v1/quality/report-runs/${run.id}`],
      ['GET', `/api/v1/quality/report-runs/${run.id}/content`],
      ['GET', `${p}/quality/report-schedules`],
      [
        'POST',
        `${p}/quality/report-schedules`,
        { report: 'summary', format: 'csv', cron: '0 0 * * *', channels: ['in_app'] },
      ],
      ['PATCH', `/api/v1/quality/report-schedules/${schedule.id}`, { enabled: false }],
      ['DELETE', `/api/v1/quality/report-schedules/${schedule.id}`],
    ];
    for (const [method, url, payload] of attempts) {
      const res = await b.as(b.owner, { method: method as 'GET', url, ...(payload ? { payload } : {}) });
      expect(res.statusCode, `${method} ${url}`).toBe(404);
    }
    for (const url of ['/api/v1/notifications', '/api/v1/quality/improvement-tasks']) {
      const res = await b.as(b.owner, { method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      expect(res.json().items, url).toEqual([]);
    }
    // A's resources are as they were.
    const rules = (await asA('GET', `${p}/quality/rules`)).json().items;
    expect(rules).toMatchObject([{ id: rule.id, enabled: true, version: 1 }]);
    expect((await asA('GET', `/api/v1/quality/improvement-tasks/${improvement.id}`)).json().status).toBe(
      'pending',
    );
  });
});
