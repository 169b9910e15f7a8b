import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { inTenant, readInTenant } from '../src/platform/db/tenancy.ts';
import { jobRuns } from '../src/platform/jobs/schema.ts';
import { newProject, seedTasks } from './annotation-fixtures.ts';
import { type Member, newTenant, type TenantFixture } from './fixtures.ts';
import { type TestContext, testApp } from './helpers.ts';
import { joinProject, seedTasks as seedLabelingTasks, sentiment, systemSql } from './labeling-fixtures.ts';
import { startModelServer } from './model-server.ts';
import { until } from './quality-ops-fixtures.ts';
import { pluginServer } from './sql-plugin-server.ts';
import { waitForJob } from './transfer-helpers.ts';

interface Seeded {
  t: TenantFixture;
  userId: string;
  roleId: string;
  tokenId: string;
  sessionId: string;
  eventId: string;
  jobId: string;
  billing: Billing;
  projectId: number;
  tabId: number;
  commentId: number;
  ragasId: number;
  dataset: string;
  exportId: number;
  webhookId: number;
  mlBackendId: number;
  invitationId: string;
}

interface Billing {
  projectId: number;
  taskId: number;
  annotationId: number;
  ruleId: number;
  versionId: number;
  billId: number;
  statementId: number;
  total: string;
}

/** One annotation in July 2025, a billing rule with a draft version, and the month's bill. */
async function seedBilling(ctx: TestContext, t: TenantFixture, annotator: Member) {
  const project = await newProject(t);
  await joinProject(t, project.id, annotator, 'annotator');
  const [taskId] = await seedLabelingTasks(ctx, t, project, 1);
  const ann = await t.as(annotator, {
    method: 'POST',
    url: `/api/v1/tasks/${taskId}/annotations`,
    payload: { result: sentiment(), lead_time: 10 },
  });
  expect(ann.statusCode).toBe(201);
  await ctx.platform.database.raw.query(
    `update billing_work_records set occurred_at = '2025-07-15T00:00:00Z' where annotation_id = $1`,
    [ann.json().id],
  );
  const rule = await t.as(t.owner, {
    method: 'POST',
    url: '/api/v1/billing/rules',
    payload: { name: 'rates' },
  });
  const version = await t.as(t.owner, {
    method: 'POST',
    url: `/api/v1/billing/rules/${rule.json().id}/versions`,
    payload: { mode: 'count', effective_from: '2025-01-01T00:00:00Z' },
  });
  const gen = await t.as(t.owner, {
    method: 'POST',
    url: '/api/v1/billing/bills',
    payload: { period: '2025-07' },
  });
  expect(gen.statusCode).toBe(202);
  expect((await waitForJob(t, gen.json().job_id)).state).toBe('completed');
  const bill = await t.as(t.owner, { method: 'GET', url: `/api/v1/billing/bills/${gen.json().bill.id}` });
  const statements = await t.as(t.owner, {
    method: 'GET',
    url: `/api/v1/billing/statements?bill_id=${gen.json().bill.id}`,
  });
  return {
    projectId: project.id,
    taskId: taskId!,
    annotationId: ann.json().id,
    ruleId: rule.json().id,
    versionId: version.json().id,
    billId: bill.json().id,
    statementId: statements.json().items[0].id,
    total: bill.json().total,
  };
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
  const billing = await seedBilling(ctx, t, annotator);
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
  const tab = await t.as(t.owner, {
    method: 'POST',
    url: `/api/v1/projects/${project.json().id}/tabs`,
    payload: { name: 'Isolated tab', filters: { search: 'x' } },
  });
  const comment = await t.as(t.owner, {
    method: 'POST',
    url: `/api/v1/projects/${billing.projectId}/tasks/${billing.taskId}/comments`,
    payload: { text: 'Isolated comment', annotation: billing.annotationId },
  });
  const exported = await t.as(t.owner, {
    method: 'POST',
    url: `/api/v1/projects/${billing.projectId}/exports`,
    payload: { format: 'JSON' },
  });
  const hook = await t.as(t.owner, {
    method: 'POST',
    url: '/api/v1/webhooks',
    payload: { url: 'http://127.0.0.1:9/a', events: ['TASKS_CREATED'], project_id: billing.projectId },
  });
  // An address nothing listens on: its probe fails, which is enough for isolation.
  const ml = await t.as(t.owner, {
    method: 'POST',
    url: `/api/v1/projects/${project.json().id}/ml-backends`,
    payload: { title: 'Isolated backend', url: 'http://127.0.0.1:9' },
  });
  const invitation = await t.as(t.owner, {
    method: 'POST',
    url: '/api/v1/invitations',
    payload: { email: `invited-${t.slug}@isolation.test`, roles: [], send_email: false },
  });
  const dataset = `ds-${t.slug}`;
  const ragas = await t.as(t.owner, {
    method: 'POST',
    url: '/api/v1/quality/ragas/evaluations',
    payload: { dataset, records: [{ answer: 'a', reference: 'a' }] },
  });
  return {
    t,
    billing,
    projectId: project.json().id,
    tabId: tab.json().id,
    commentId: comment.json().id,
    ragasId: ragas.json().items[0].id,
    dataset,
    exportId: exported.json().export_id,
    webhookId: hook.json().id,
    mlBackendId: ml.json().backend.id,
    invitationId: invitation.json().invitation.id,
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
      ['POST', `/api/v1/users/${a.userId}/unlock`],
      ['POST', `/api/v1/users/${a.userId}/password`, { password: 'Taken-over-password-1' }],
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
      ['GET', `/api/v1/billing/projects/${a.billing.projectId}/settings`],
      ['PUT', `/api/v1/billing/projects/${a.billing.projectId}/settings`, { difficulty: 'hard' }],
      ['POST', '/api/v1/billing/rules', { name: 'x', project_id: a.billing.projectId }],
      ['GET', `/api/v1/billing/rules/${a.billing.ruleId}`],
      [
        'POST',
        `/api/v1/billing/rules/${a.billing.ruleId}/versions`,
        { mode: 'count', effective_from: '2025-01-01T00:00:00Z' },
      ],
      ['GET', `/api/v1/billing/rule-versions/${a.billing.versionId}`],
      ['POST', `/api/v1/billing/rule-versions/${a.billing.versionId}/approve`],
      ['DELETE', `/api/v1/billing/rule-versions/${a.billing.versionId}`],
      ['GET', `/api/v1/billing/bills/${a.billing.billId}`],
      ['POST', `/api/v1/billing/bills/${a.billing.billId}/issue`],
      ['POST', `/api/v1/billing/bills/${a.billing.billId}/pay`],
      ['POST', `/api/v1/billing/bills/${a.billing.billId}/void`],
      ['POST', `/api/v1/billing/bills/${a.billing.billId}/adjustments`, { amount: '1.00', note: 'x' }],
      ['GET', `/api/v1/billing/bills/${a.billing.billId}/export?format=json`],
      ['GET', `/api/v1/billing/statements/${a.billing.statementId}`],
      ['GET', `/api/v1/billing/statements/${a.billing.statementId}/export?format=json`],
      ['GET', `/api/v1/projects/${a.projectId}/agreement`],
      ['GET', `/api/v1/projects/${a.projectId}/agreement/tasks`],
      ['POST', `/api/v1/projects/${a.projectId}/agreement/runs`, { incremental: false }],
      ['GET', `/api/v1/projects/${a.projectId}/quality/config`],
      ['PUT', `/api/v1/projects/${a.projectId}/quality/config`, { gold_ratio: 0.5 }],
      ['POST', `/api/v1/projects/${a.projectId}/quality/scores/runs`],
      ['GET', `/api/v1/projects/${a.projectId}/quality/scores`],
      ['GET', `/api/v1/projects/${a.projectId}/quality/ranking`],
      ['GET', `/api/v1/quality/ragas/evaluations/${a.ragasId}`],
      ['GET', `/api/v1/projects/${a.projectId}/progress`],
      ['GET', `/api/v1/projects/${a.projectId}/next?tasks=1,2`],
      ['GET', `/api/v1/projects/${a.projectId}/tabs`],
      ['POST', `/api/v1/projects/${a.projectId}/duplicate`, { title: 'taken over', tasks: true }],
      ['POST', `/api/v1/webhooks/${a.webhookId}/test`],
      ['DELETE', `/api/v1/invitations/${a.invitationId}`],
      ['POST', `/api/v1/users/${a.userId}/password-reset`, {}],
      ['POST', `/api/v1/projects/${a.projectId}/tabs`, { name: 'planted' }],
      ['PATCH', `/api/v1/projects/${a.projectId}/tabs/${a.tabId}`, { name: 'taken over' }],
      ['DELETE', `/api/v1/projects/${a.projectId}/tabs/${a.tabId}`],
      ['PATCH', `/api/v1/projects/${b.projectId}/tabs/${a.tabId}`, { name: 'taken over' }],
      [
        'POST',
        `/api/v1/projects/${a.projectId}/tasks/actions`,
        { action: 'label', selection: { filter: {} }, from_name: 'c', choices: ['A'] },
      ],
      ...(['GET', 'POST'] as const).map((m): [string, string, unknown?] => [
        m,
        `/api/v1/projects/${a.billing.projectId}/tasks/${a.billing.taskId}/comments`,
        m === 'POST' ? { text: 'planted' } : undefined,
      ]),
      [
        'PATCH',
        `/api/v1/projects/${a.billing.projectId}/tasks/${a.billing.taskId}/comments/${a.commentId}`,
        { text: 'x' },
      ],
      ['DELETE', `/api/v1/projects/${a.billing.projectId}/tasks/${a.billing.taskId}/comments/${a.commentId}`],
      [
        'POST',
        `/api/v1/projects/${a.billing.projectId}/tasks/${a.billing.taskId}/comments/${a.commentId}/resolve`,
      ],
      [
        'POST',
        `/api/v1/projects/${a.billing.projectId}/tasks/${a.billing.taskId}/comments/${a.commentId}/unresolve`,
      ],
      [
        'PATCH',
        `/api/v1/projects/${b.billing.projectId}/tasks/${b.billing.taskId}/comments/${a.commentId}`,
        { text: 'x' },
      ],
      ['DELETE', `/api/v1/projects/${b.billing.projectId}/tasks/${b.billing.taskId}/comments/${a.commentId}`],
      [
        'POST',
        `/api/v1/projects/${b.billing.projectId}/tasks/${b.billing.taskId}/comments`,
        { text: 'x', parent: a.commentId },
      ],
      [
        'POST',
        `/api/v1/projects/${b.billing.projectId}/tasks/${b.billing.taskId}/comments`,
        { text: 'x', annotation: a.billing.annotationId },
      ],
      ['GET', `/api/v1/projects/${a.billing.projectId}/tasks/${a.billing.taskId}/history`],
      ['GET', `/api/v1/quality/ragas/datasets/${a.dataset}`],
      ['GET', `/api/v1/projects/${a.projectId}/ml-backends`],
      [
        'POST',
        `/api/v1/projects/${a.projectId}/ml-backends`,
        { title: 'planted', url: 'http://127.0.0.1:9' },
      ],
      ['GET', `/api/v1/projects/${a.projectId}/ml-backends/${a.mlBackendId}`],
      ['GET', `/api/v1/projects/${b.projectId}/ml-backends/${a.mlBackendId}`],
      ['PATCH', `/api/v1/projects/${a.projectId}/ml-backends/${a.mlBackendId}`, { title: 'taken over' }],
      ['PATCH', `/api/v1/projects/${b.projectId}/ml-backends/${a.mlBackendId}`, { title: 'taken over' }],
      ['POST', `/api/v1/projects/${a.projectId}/ml-backends/${a.mlBackendId}/check`],
      ['POST', `/api/v1/projects/${b.projectId}/ml-backends/${a.mlBackendId}/train`],
      ['GET', `/api/v1/projects/${b.projectId}/ml-backends/${a.mlBackendId}/calls`],
      ['DELETE', `/api/v1/projects/${b.projectId}/ml-backends/${a.mlBackendId}`],
      ['GET', `/api/v1/ml-backends/${a.mlBackendId}`],
      ['GET', `/api/ml/${a.mlBackendId}`],
      ['PATCH', `/api/ml/${a.mlBackendId}`, { title: 'taken over' }],
      ['POST', `/api/ml/${a.mlBackendId}/train`],
      ['DELETE', `/api/ml/${a.mlBackendId}`],
      ['GET', `/api/ml?project=${a.projectId}`],
      ['POST', '/api/ml', { project: a.projectId, url: 'http://127.0.0.1:9' }],
      ['POST', `/api/v1/projects/${a.projectId}/import/url`, { url: 'http://127.0.0.1:9/tasks.csv' }],
      ['POST', `/api/v1/projects/${a.projectId}/import/media`, {}],
      ['POST', '/api/v1/media/sign', { urls: [`/api/v1/media/${a.t.tenantId}/${a.projectId}/x.png`] }],
      // The Label Studio API at /api, over the same routes.
      ['GET', `/api/projects/${a.billing.projectId}/`],
      ['PATCH', `/api/projects/${a.billing.projectId}/`, { title: 'taken over' }],
      ['DELETE', `/api/projects/${a.billing.projectId}/`],
      ['POST', `/api/projects/${a.billing.projectId}/import`, [{ data: { text: 'planted' } }]],
      ['GET', `/api/projects/${a.billing.projectId}/export?exportType=JSON`],
      ['GET', `/api/tasks/?project=${a.billing.projectId}`],
      ['GET', `/api/tasks/${a.billing.taskId}/`],
      ['GET', `/api/tasks/${a.billing.taskId}/annotations/`],
      ['POST', '/api/predictions/', { task: a.billing.taskId, result: [], model_version: 'planted' }],
      ['POST', `/api/projects/${a.billing.projectId}/validate`, { label_config: '<View></View>' }],
      ['POST', `/api/tasks/${a.billing.taskId}/annotations/`, { result: [] }],
      ['GET', `/api/annotations/${a.billing.annotationId}/`],
      ['PATCH', `/api/annotations/${a.billing.annotationId}/`, { lead_time: 1 }],
      ['DELETE', `/api/annotations/${a.billing.annotationId}/`],
      ['GET', `/api/projects/${a.billing.projectId}/exports/`],
      ['POST', `/api/projects/${a.billing.projectId}/exports/`, {}],
      ['GET', `/api/projects/${a.billing.projectId}/exports/${a.exportId}`],
      ['GET', `/api/projects/${a.billing.projectId}/exports/${a.exportId}/download?exportType=JSON`],
      ['DELETE', `/api/projects/${a.billing.projectId}/exports/${a.exportId}`],
      ['GET', `/api/projects/${b.billing.projectId}/exports/${a.exportId}`],
      ['GET', `/api/webhooks/${a.webhookId}/`],
      ['PATCH', `/api/webhooks/${a.webhookId}/`, { is_active: false }],
      ['DELETE', `/api/webhooks/${a.webhookId}/`],
      ['POST', '/api/webhooks/', { url: 'http://127.0.0.1:9/b', project: a.billing.projectId }],
      ['GET', `/api/v1/projects/${a.billing.projectId}/exports`],
      ['DELETE', `/api/v1/projects/${a.billing.projectId}/exports/${a.exportId}`],
    ];
    for (const [method, url, payload] of attempts) {
      const res = await asB(method, url, payload);
      expect(res.statusCode, `${method} ${url}`).toBe(404);
    }

    // A verified chain leaves a signed checkpoint of A's head, which B's list must not show.
    await a.t.as(a.t.owner, { method: 'POST', url: '/api/v1/audit/verify' });
    const aCheckpoint = (await a.t.as(a.t.owner, { method: 'GET', url: '/api/v1/audit/checkpoints' })).json()
      .items[0];
    const aIds = [
      a.userId,
      a.roleId,
      a.tokenId,
      a.sessionId,
      a.eventId,
      a.jobId,
      a.t.tenantId,
      a.dataset,
      aCheckpoint.hash,
    ];
    for (const url of [
      '/api/v1/users',
      '/api/v1/roles',
      '/api/v1/admin/tokens',
      '/api/v1/security/events',
      '/api/v1/security/ip-whitelist',
      '/api/v1/audit/logs',
      '/api/v1/audit/checkpoints',
      '/api/v1/jobs',
      '/api/v1/tenant',
      `/api/v1/users/${b.userId}/sessions?include_ended=true`,
      '/api/v1/quality/ragas/evaluations',
      '/api/v1/quality/ragas/datasets',
      '/api/projects/',
      '/api/webhooks/',
    ]) {
      const res = await asB('GET', url);
      expect(res.statusCode, url).toBe(200);
      for (const id of aIds) expect(res.body, `${url} leaks ${id}`).not.toContain(id);
    }

    const lsProjects = (await asB('GET', '/api/projects/')).json().results.map((p: { id: number }) => p.id);
    expect(lsProjects).toContain(b.billing.projectId);
    expect(lsProjects).not.toContain(a.billing.projectId);
    const lsHooks = (await asB('GET', '/api/webhooks/')).json().map((w: { id: number }) => w.id);
    expect(lsHooks).toContain(b.webhookId);
    expect(lsHooks).not.toContain(a.webhookId);

    // B's billing lists hold B's rows only, and B's bill only B's work.
    const billingLists: [string, string, number][] = [
      ['/api/v1/billing/rules', 'id', a.billing.ruleId],
      ['/api/v1/billing/bills', 'id', a.billing.billId],
      ['/api/v1/billing/statements', 'id', a.billing.statementId],
      ['/api/v1/billing/records?period=2025-07', 'bill_id', a.billing.billId],
      ['/api/v1/billing/work-records', 'project_id', a.billing.projectId],
    ];
    for (const [url, key, aId] of billingLists) {
      const res = await asB('GET', url);
      expect(res.statusCode, url).toBe(200);
      const body = res.json();
      const items = (Array.isArray(body) ? body : body.items) as Record<string, unknown>[];
      expect(items.length, url).toBeGreaterThan(0);
      expect(
        items.map((i) => i[key]),
        `${url} leaks A's ${key}`,
      ).not.toContain(aId);
      expect(res.body, url).not.toContain(a.userId);
    }
    const bRecords = await asB('GET', `/api/v1/billing/records?bill_id=${b.billing.billId}`);
    expect(bRecords.json().items.map((r: { user_id: string }) => r.user_id)).toEqual([b.userId]);
    // One annotation at 0.10, times the quality multiplier if its score was computed in time.
    expect(['0.10', '0.12']).toContain(b.billing.total);
    const trends = await asB('GET', '/api/v1/billing/trends?from=2025-07&to=2025-07');
    expect(trends.json().months).toEqual([expect.objectContaining({ amount: b.billing.total, accepted: 1 })]);
    expect(trends.json().projects.map((p: { project_id: number }) => p.project_id)).toEqual([
      b.billing.projectId,
    ]);

    // A's resources are intact after B's attempts.
    const still = await a.t.as(a.t.owner, { method: 'GET', url: `/api/v1/users/${a.userId}` });
    expect(still.json().status).toBe('active');
    const aBill = await a.t.as(a.t.owner, {
      method: 'GET',
      url: `/api/v1/billing/bills/${a.billing.billId}`,
    });
    expect(aBill.json()).toMatchObject({ status: 'draft', total: a.billing.total });
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

  it('holds on the transaction-free read path, across tenants sharing a connection', async () => {
    const ctx = await testApp();
    const a = await seed(ctx);
    const b = await seed(ctx);
    const count = (rows: unknown) => (rows as { rows: { n: number }[] }).rows[0]!.n;
    // Alternate tenants so pooled read connections switch their session's tenant.
    for (const [me, other] of [
      [a, b],
      [b, a],
      [a, b],
      [b, a],
    ] as const) {
      await readInTenant(ctx.platform.database, { tenantId: me.t.tenantId }, async (db) => {
        const who = await db.execute(sql`select current_user as u`);
        expect((who as unknown as { rows: { u: string }[] }).rows[0]!.u).toBe('superinsight_app');
        expect(
          count(
            await db.execute(sql`select count(*)::int as n from roles where tenant_id = ${other.t.tenantId}`),
          ),
        ).toBe(0);
        expect(
          count(
            await db.execute(sql`select count(*)::int as n from roles where tenant_id = ${me.t.tenantId}`),
          ),
        ).toBeGreaterThan(0);
        expect(
          count(
            await db.execute(sql`select count(*)::int as n from roles where tenant_id <> ${me.t.tenantId}`),
          ),
        ).toBe(0);
      });
    }
    // A failed statement leaves the connection usable and still scoped.
    await expect(
      readInTenant(ctx.platform.database, { tenantId: a.t.tenantId }, (db) => db.execute(sql`select 1/0`)),
    ).rejects.toThrow();
    const after = await readInTenant(ctx.platform.database, { tenantId: b.t.tenantId }, (db) =>
      db.execute(sql`select count(*)::int as n from roles where tenant_id = ${a.t.tenantId}`),
    );
    expect(count(after)).toBe(0);
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

describe('tenant isolation of the LLM gateway', () => {
  it("answers 404 for another tenant's configurations, models, budgets and usage, and lists none of them", async () => {
    const ctx = await testApp();
    const server = await startModelServer();
    try {
      const seedLlm = async () => {
        const t = await newTenant(ctx);
        const as = (method: string, url: string, payload?: object) =>
          t.as(t.owner, { method: method as 'GET', url, ...(payload ? { payload } : {}) });
        const config = (
          await as('POST', '/api/v1/llm/configurations', {
            name: 'local',
            provider: 'openai',
            base_url: `${server.url}/v1`,
            api_key: `sk-${t.slug}`,
            default_model: server.model,
          })
        ).json();
        const model = (
          await as('POST', `/api/v1/llm/configurations/${config.id}/models`, { model: server.model })
        ).json();
        await as('PUT', '/api/v1/llm/bindings/playground', { configuration_id: config.id });
        const budget = (
          await as('POST', '/api/v1/llm/budgets', { name: 'b', kind: 'tokens', limit: '1000000' })
        ).json();
        await as('PUT', '/api/v1/llm/settings', { log_prompts: true });
        const chat = await as('POST', '/api/v1/llm/chat', {
          messages: [{ role: 'user', content: `secret of ${t.slug}` }],
          max_tokens: 4,
        });
        expect(chat.statusCode, chat.body).toBe(200);
        return {
          t,
          configId: config.id as number,
          modelId: model.id as number,
          budgetId: budget.id as number,
        };
      };
      const a = await seedLlm();
      const b = await seedLlm();
      const asB = (method: string, url: string, payload?: object) =>
        b.t.as(b.t.owner, { method: method as 'GET', url, ...(payload ? { payload } : {}) });
      const attempts: [string, string, object?][] = [
        ['GET', `/api/v1/llm/configurations/${a.configId}`],
        ['PATCH', `/api/v1/llm/configurations/${a.configId}`, { name: 'taken' }],
        ['DELETE', `/api/v1/llm/configurations/${a.configId}`],
        ['POST', `/api/v1/llm/configurations/${a.configId}/test`],
        ['POST', `/api/v1/llm/configurations/${a.configId}/health-check`],
        ['GET', `/api/v1/llm/configurations/${a.configId}/provider-models`],
        ['POST', `/api/v1/llm/configurations/${a.configId}/models`, { model: 'x' }],
        ['PATCH', `/api/v1/llm/models/${a.modelId}`, { enabled: false }],
        ['DELETE', `/api/v1/llm/models/${a.modelId}`],
        ['PATCH', `/api/v1/llm/budgets/${a.budgetId}`, { limit: '1' }],
        ['DELETE', `/api/v1/llm/budgets/${a.budgetId}`],
      ];
      for (const [method, url, payload] of attempts) {
        const res = await asB(method, url, payload);
        expect(res.statusCode, `${method} ${url}`).toBe(404);
      }
      // Naming A's configuration in a call or a binding is refused as unknown.
      for (const [url, payload] of [
        ['/api/v1/llm/chat', { configuration_id: a.configId, messages: [{ role: 'user', content: 'x' }] }],
        ['/api/v1/llm/bindings/ragas', { configuration_id: a.configId }],
        [
          '/api/v1/llm/configurations',
          { name: 'fb', provider: 'openai', base_url: server.url, fallback_ids: [a.configId] },
        ],
      ] as const) {
        const res = await asB(url.endsWith('ragas') ? 'PUT' : 'POST', url, payload);
        expect(res.statusCode, url).toBe(400);
      }
      for (const url of [
        '/api/v1/llm/configurations',
        '/api/v1/llm/models',
        '/api/v1/llm/bindings',
        '/api/v1/llm/budgets',
        '/api/v1/llm/usage',
        '/api/v1/llm/usage/summary?group_by=user',
      ]) {
        const res = await asB('GET', url);
        expect(res.statusCode, url).toBe(200);
        expect(res.body, `${url} leaks A`).not.toContain(a.t.slug);
        expect(res.body, `${url} leaks A's owner`).not.toContain(a.t.owner.userId);
        const items = res.json().items as { id?: number; configuration_id?: number }[];
        expect(items.length, url).toBeGreaterThan(0);
        for (const i of items) expect(i.configuration_id ?? b.configId, url).toBe(b.configId);
      }
      // A's rows are intact after B's attempts.
      const still = await a.t.as(a.t.owner, {
        method: 'GET',
        url: `/api/v1/llm/configurations/${a.configId}`,
      });
      expect(still.json()).toMatchObject({ name: 'local', enabled: true });
    } finally {
      await server.close();
    }
  });
});

describe('tenant isolation of the license history', () => {
  it("shows a tenant's admins the installation's license events and their own tenant's, never another's", async () => {
    const ctx = await testApp();
    const a = await newTenant(ctx);
    const b = await newTenant(ctx);
    const raw = ctx.platform.database.raw;
    await raw.query(
      `insert into license_audit_logs (tenant_id, event, message) values ($1, 'seat_refused', 'refused in a'), ($2, 'seat_refused', 'refused in b')`,
      [a.tenantId, b.tenantId],
    );
    const seen = await b.as(b.owner, { method: 'GET', url: '/api/v1/license/history?limit=1000' });
    expect(seen.statusCode).toBe(200);
    const tenants = seen.json().items.map((i: { tenant_id: string | null }) => i.tenant_id);
    expect(tenants).toContain(b.tenantId);
    expect(tenants).not.toContain(a.tenantId);
    const inB = await readInTenant(ctx.platform.database, { tenantId: b.tenantId }, (db) =>
      db.execute(sql`select tenant_id from license_audit_logs`),
    );
    const rows = (inB as unknown as { rows: { tenant_id: string }[] }).rows;
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.tenant_id === b.tenantId)).toBe(true);
    const put = await b.as(b.owner, { method: 'PUT', url: '/api/v1/license', payload: { key: 'x' } });
    expect(put.statusCode).toBe(403);
  });
});

describe('tenant isolation of text-to-SQL', () => {
  it("never shows another tenant's rows through the reporting views, its logs or its feedback", async () => {
    const ctx = await testApp();
    const seedSql = async () => {
      const t = await newTenant(ctx);
      const project = await newProject(t, { title: `p-${t.slug}` });
      await seedTasks(ctx, t, project.id, [
        { data: { text: t.slug }, annotations: [{ completed_by: t.owner.userId, lead_time: 3 }] },
        { data: { text: t.slug } },
      ]);
      const run = await t.as(t.owner, {
        method: 'POST',
        url: '/api/v1/sql/run',
        payload: { sql: 'select count(*) from tasks' },
      });
      expect(run.statusCode, run.body).toBe(200);
      return { t, projectId: project.id, logId: run.json().log_id as number };
    };
    const a = await seedSql();
    const b = await seedSql();
    const asB = (method: string, url: string, payload?: object) =>
      b.t.as(b.t.owner, { method: method as 'GET', url, ...(payload ? { payload } : {}) });

    // The views carry no tenant filter of their own: RLS of the base tables, as the invoker, is the filter.
    const everything = [
      ['projects', 'id'],
      ['tasks', 'project_id'],
      ['annotations', 'project_id'],
      ['reviews', 'project_id'],
      ['quality_scores', 'project_id'],
      ['billing_lines', 'project_id'],
    ] as const;
    for (const [view, key] of everything) {
      const res = await asB('POST', '/api/v1/sql/run', { sql: `select * from reporting.${view}` });
      expect(res.statusCode, `${view}: ${res.body}`).toBe(200);
      for (const row of res.json().rows) expect(row[key], view).toBe(b.projectId);
    }
    const counts = await asB('POST', '/api/v1/sql/run', {
      sql: `select (select count(*) from tasks)::int as tasks, (select count(*) from annotations)::int as annotations,
                   (select count(*) from projects where id = ${a.projectId})::int as a_project`,
    });
    expect(counts.json().rows).toEqual([{ tasks: 2, annotations: 1, a_project: 0 }]);
    const members = await asB('POST', '/api/v1/sql/run', { sql: 'select user_id, email from members' });
    expect(members.json().rows).toEqual([{ user_id: b.t.owner.userId, email: b.t.owner.email }]);

    expect((await asB('POST', `/api/v1/sql/logs/${a.logId}/feedback`, { correct: true })).statusCode).toBe(
      404,
    );
    const logs = await asB('GET', '/api/v1/sql/logs');
    const ids = logs.json().items.map((i: { id: number }) => i.id);
    expect(ids).toContain(b.logId);
    expect(ids).not.toContain(a.logId);
    expect(logs.body).not.toContain(a.t.owner.userId);
  });

  it("never lets one tenant see, change, delete or be answered by another's templates", async () => {
    const ctx = await testApp();
    const a = await newTenant(ctx);
    const b = await newTenant(ctx);
    const template = {
      name: 'secret count',
      patterns: [{ lang: 'en', text: 'how many zebra crossings in {n} frames' }],
      slots: [{ name: 'n', type: 'number' }],
      sql: 'select $1::int as frames',
    };
    const created = await a.as(a.owner, { method: 'POST', url: '/api/v1/sql/templates', payload: template });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id as string;
    const asB = (method: string, url: string, payload?: object) =>
      b.as(b.owner, { method: method as 'GET', url, ...(payload ? { payload } : {}) });

    const list = await asB('GET', '/api/v1/sql/templates');
    expect(list.json().items.map((i: { id: string }) => i.id)).not.toContain(id);
    expect((await asB('PATCH', `/api/v1/sql/templates/${id}`, { enabled: false })).statusCode).toBe(404);
    expect((await asB('DELETE', `/api/v1/sql/templates/${id}`)).statusCode).toBe(404);
    const question = 'how many zebra crossings in 4 frames';
    const askedByB = await asB('POST', '/api/v1/sql/ask', { question, method: 'template' });
    expect(askedByB.body).not.toContain(`"template_id":"${id}"`);
    const tested = await asB('POST', '/api/v1/sql/templates/test', { question });
    expect(tested.json().matches.map((m: { template_id: string }) => m.template_id)).not.toContain(id);
    // B may use the same name: names are unique per tenant.
    expect((await asB('POST', '/api/v1/sql/templates', template)).statusCode).toBe(201);

    const askedByA = await a.as(a.owner, { method: 'POST', url: '/api/v1/sql/ask', payload: { question } });
    expect(askedByA.json()).toMatchObject({ template_id: id, rows: [{ frames: 4 }] });
    const still = await a.as(a.owner, { method: 'GET', url: '/api/v1/sql/templates' });
    expect(still.json().items.find((i: { id: string }) => i.id === id)).toMatchObject({ enabled: true });
  });

  it("never lets one tenant see, change, test, choose or ask through another's plugins", async () => {
    const ctx = await testApp();
    const a = await newTenant(ctx);
    const b = await newTenant(ctx);
    const key = 'sk-tenant-a-only-9876';
    const server = await pluginServer(key, {
      'how many projects': { sql: 'select count(*)::int as n from projects' },
    });
    try {
      const created = await a.as(a.owner, {
        method: 'POST',
        url: '/api/v1/sql/plugins',
        payload: { name: 'a plugin', endpoint_url: server.url, api_key: key },
      });
      expect(created.statusCode, created.body).toBe(201);
      const id = created.json().id as number;
      const asB = (method: string, url: string, payload?: object) =>
        b.as(b.owner, { method: method as 'GET', url, ...(payload ? { payload } : {}) });

      expect((await asB('GET', '/api/v1/sql/plugins')).json().items).toEqual([]);
      expect((await asB('GET', `/api/v1/sql/plugins/${id}`)).statusCode).toBe(404);
      expect(
        (await asB('PATCH', `/api/v1/sql/plugins/${id}`, { endpoint_url: 'https://b.example/x' })).statusCode,
      ).toBe(404);
      expect((await asB('POST', `/api/v1/sql/plugins/${id}/test`)).statusCode).toBe(404);
      expect((await asB('DELETE', `/api/v1/sql/plugins/${id}`)).statusCode).toBe(404);
      const asked = await asB('POST', '/api/v1/sql/ask', {
        question: 'how many projects',
        method: 'third_party',
        plugin_id: id,
      });
      expect(asked.statusCode).toBe(404);
      const chosen = await asB('PUT', '/api/v1/sql/configuration', {
        default_method: 'third_party',
        row_limit: 1000,
        statement_timeout_ms: 5000,
        enabled_sources: ['platform'],
        llm_binding: null,
        plugin_id: id,
      });
      expect(chosen.statusCode).toBe(400);
      expect(server.received).toHaveLength(0);
      // B may use the same name: names are unique per tenant.
      expect(
        (
          await asB('POST', '/api/v1/sql/plugins', {
            name: 'a plugin',
            endpoint_url: server.url,
            api_key: 'b',
          })
        ).statusCode,
      ).toBe(201);

      const mine = await a.as(a.owner, {
        method: 'POST',
        url: '/api/v1/sql/ask',
        payload: { question: 'how many projects', method: 'third_party', plugin_id: id },
      });
      expect(mine.statusCode, mine.body).toBe(200);
      expect(mine.json()).toMatchObject({ plugin_id: id, rows: [{ n: 0 }] });
    } finally {
      await server.close();
    }
  });
});
