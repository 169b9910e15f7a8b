import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { inTenant } from '../src/platform/db/tenancy.ts';
import { jobRuns } from '../src/platform/jobs/schema.ts';
import { newTenant, type TenantFixture } from './fixtures.ts';
import { type TestContext, testApp } from './helpers.ts';

interface Seeded {
  t: TenantFixture;
  userId: string;
  roleId: string;
  tokenId: string;
  sessionId: string;
  eventId: string;
  jobId: string;
  projectId: number;
  ragasId: number;
  dataset: string;
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
  const project = await t.as(t.owner, {
    method: 'POST',
    url: '/api/v1/projects',
    payload: {
      title: 'Isolated',
      label_config:
        '<View><Text name="text" value="$text"/><Choices name="c" toName="text"><Choice value="A"/></Choices></View>',
    },
  });
  await t.as(t.owner, {
    method: 'POST',
    url: `/api/v1/projects/${project.json().id}/agreement/runs`,
    payload: {},
  });
  const dataset = `ds-${t.slug}`;
  const ragas = await t.as(t.owner, {
    method: 'POST',
    url: '/api/v1/quality/ragas/evaluations',
    payload: { dataset, records: [{ answer: 'a', reference: 'a' }] },
  });
  return {
    t,
    projectId: project.json().id,
    ragasId: ragas.json().items[0].id,
    dataset,
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
      ['GET', `/api/v1/projects/${a.projectId}/agreement`],
      ['GET', `/api/v1/projects/${a.projectId}/agreement/tasks`],
      ['POST', `/api/v1/projects/${a.projectId}/agreement/runs`, { incremental: false }],
      ['GET', `/api/v1/projects/${a.projectId}/quality/config`],
      ['PUT', `/api/v1/projects/${a.projectId}/quality/config`, { gold_ratio: 0.5 }],
      ['POST', `/api/v1/projects/${a.projectId}/quality/scores/runs`],
      ['GET', `/api/v1/projects/${a.projectId}/quality/scores`],
      ['GET', `/api/v1/projects/${a.projectId}/quality/ranking`],
      ['GET', `/api/v1/quality/ragas/evaluations/${a.ragasId}`],
      ['GET', `/api/v1/quality/ragas/datasets/${a.dataset}`],
    ];
    for (const [method, url, payload] of attempts) {
      const res = await asB(method, url, payload);
      expect(res.statusCode, `${method} ${url}`).toBe(404);
    }

    const aIds = [a.userId, a.roleId, a.tokenId, a.sessionId, a.eventId, a.jobId, a.t.tenantId, a.dataset];
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
      '/api/v1/quality/ragas/evaluations',
      '/api/v1/quality/ragas/datasets',
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
