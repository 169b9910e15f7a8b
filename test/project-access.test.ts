import { beforeAll, describe, expect, it } from 'vitest';
import { newProject, seedTasks } from './annotation-fixtures.ts';
import { type Member, newTenant, type TenantFixture } from './fixtures.ts';
import { type TestContext, testApp } from './helpers.ts';
import { joinProject } from './labeling-fixtures.ts';
import { choice, insertScore, settledJobs } from './quality-ops-fixtures.ts';

/**
 * One project-access rule for every module (annotation's loadProject): a project's quality
 * pages and billing figures are for tenant-wide project managers and the project's members
 * (billing: its managers); a tenant member outside the project gets the 404 of an absent one.
 */
describe('project access across modules', () => {
  let ctx: TestContext;
  let t: TenantFixture;
  let mine: number;
  let other: number;

  beforeAll(async () => {
    ctx = await testApp();
    t = await newTenant(ctx);
    mine = (await newProject(t)).id;
    other = (await newProject(t)).id;
  });

  const get = (m: Member, url: string) => t.as(m, { method: 'GET', url: `/api/v1${url}` });
  const QUALITY_PAGES = [
    'quality/rules',
    'quality/issues',
    'quality/check-results',
    'quality/alerts',
    'quality/trend',
    'quality/workflow',
    'quality/report-runs',
    'quality/config',
    'quality/scores',
  ];
  const page = (projectId: number, p: string) => `/projects/${projectId}/${p}`;

  it("shows a reviewer their project's quality pages and 404s another project's", async () => {
    const reviewer = await t.member(['reviewer'], 'Reviewer');
    await joinProject(t, mine, reviewer, 'reviewer');
    for (const p of QUALITY_PAGES) {
      expect((await get(reviewer, page(mine, p))).statusCode, p).toBe(200);
      const res = await get(reviewer, page(other, p));
      expect(res.statusCode, p).toBe(404);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    // A tenant-wide manager sees every project's.
    const manager = await t.member(['manager'], 'Manager');
    for (const p of QUALITY_PAGES) expect((await get(manager, page(other, p))).statusCode, p).toBe(200);
  });

  it("shows billing figures to the project's managers only", async () => {
    const role = await t.as(t.owner, {
      method: 'POST',
      url: '/api/v1/roles',
      payload: { name: 'billing-reader', permissions: ['billing:read', 'projects:read'] },
    });
    expect(role.statusCode).toBe(201);
    const lead = await t.member(['billing-reader'], 'Lead');
    const annotating = await t.member(['billing-reader'], 'Annotating');
    await joinProject(t, mine, lead, 'manager');
    await joinProject(t, mine, annotating, 'annotator');
    expect((await get(lead, `/billing/projects/${mine}/settings`)).statusCode).toBe(200);
    expect((await get(lead, `/billing/projects/${other}/settings`)).statusCode).toBe(404);
    expect((await get(annotating, `/billing/projects/${mine}/settings`)).statusCode).toBe(404);
    // An annotator's role holds no billing:read at all.
    const annotator = await t.member(['annotator'], 'Annotator');
    await joinProject(t, mine, annotator, 'annotator');
    expect((await get(annotator, `/billing/projects/${mine}/settings`)).statusCode).toBe(403);
  });

  /** One of each quality row reached by its own id, made in the project through the API. */
  async function qualityRows(projectId: number, checksBefore: number) {
    const base = `/api/v1/projects/${projectId}/quality`;
    const post = async (url: string, payload: object, status: number) => {
      const res = await t.as(t.owner, { method: 'POST', url: `${base}${url}`, payload });
      expect(res.statusCode, res.body).toBe(status);
      return res.json();
    };
    const rule = await post(
      '/rules',
      { name: 'Positive', type: 'allowed_labels', config: { labels: ['Positive'] } },
      201,
    );
    await seedTasks(ctx, t, projectId, [
      { data: { text: 'meh' }, annotations: [{ completed_by: t.owner.userId, result: choice('Negative') }] },
    ]);
    await post('/checks', {}, 202);
    await settledJobs(ctx, t.tenantId, 'quality.check_project', checksBefore + 1);
    const issues = await t.as(t.owner, { method: 'GET', url: `${base}/issues` });
    const issue = issues.json().items[0];
    const annotationId = issue.annotation_id;
    const config = await t.as(t.owner, {
      method: 'PUT',
      url: `${base}/alert-config`,
      payload: { thresholds: { total: 0.7 } },
    });
    expect(config.statusCode, config.body).toBe(200);
    await insertScore(ctx, t, projectId, annotationId, 0.2);
    const alert = (await post('/alerts/evaluate', {}, 200)).raised[0];
    const run = await post('/report-runs', { report: 'summary', format: 'csv' }, 202);
    const schedule = await post(
      '/report-schedules',
      { report: 'summary', format: 'csv', cron: '0 6 * * 1', channels: ['in_app'] },
      201,
    );
    const improvement = await t.as(t.owner, {
      method: 'POST',
      url: '/api/v1/quality/improvement-tasks',
      payload: { issue_id: issue.id },
    });
    expect(improvement.statusCode, improvement.body).toBe(201);
    return {
      rule: rule.id,
      issue: issue.id,
      alert: alert.id,
      run: run.id,
      schedule: schedule.id,
      annotationId,
      improvement: improvement.json().id,
    };
  }

  it("holds a project's rules, issues, alerts, reports and improvement tasks to the project rule", async () => {
    const role = await t.as(t.owner, {
      method: 'POST',
      url: '/api/v1/roles',
      payload: { name: 'quality-lead', permissions: ['projects:read', 'quality:*'] },
    });
    expect(role.statusCode, role.body).toBe(201);
    const lead = await t.member(['quality-lead'], 'Quality lead');
    await joinProject(t, mine, lead, 'reviewer');
    const own = await qualityRows(mine, 0);
    const foreign = await qualityRows(other, 1);

    const calls = (r: typeof own) =>
      [
        { method: 'GET', url: `/quality/rules/${r.rule}/versions` },
        { method: 'PATCH', url: `/quality/rules/${r.rule}`, payload: { priority: 3 } },
        { method: 'PATCH', url: `/quality/issues/${r.issue}`, payload: { assignee_id: lead.userId } },
        { method: 'POST', url: `/quality/alerts/${r.alert}/actions`, payload: { action: 'acknowledge' } },
        { method: 'GET', url: `/quality/report-runs/${r.run}` },
        { method: 'GET', url: `/quality/report-runs/${r.run}/content` },
        { method: 'PATCH', url: `/quality/report-schedules/${r.schedule}`, payload: { enabled: false } },
        { method: 'GET', url: `/quality/improvement-tasks/${r.improvement}` },
        {
          method: 'PATCH',
          url: `/quality/improvement-tasks/${r.improvement}`,
          payload: { assignee_id: null },
        },
        {
          method: 'POST',
          url: `/quality/improvement-tasks/${r.improvement}/transitions`,
          payload: { to: 'in_progress' },
        },
      ] as const;
    const call = (as: Member, c: ReturnType<typeof calls>[number]) =>
      t.as(as, { method: c.method, url: `/api/v1${c.url}`, payload: 'payload' in c ? c.payload : undefined });
    for (const c of calls(own)) expect((await call(lead, c)).statusCode, c.url).toBe(200);
    for (const c of calls(foreign)) {
      const res = await call(lead, c);
      expect(res.statusCode, c.url).toBe(404);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    const gone = [
      { method: 'DELETE', url: `/api/v1/quality/rules/${foreign.rule}` },
      { method: 'DELETE', url: `/api/v1/quality/report-schedules/${foreign.schedule}` },
      { method: 'POST', url: '/api/v1/quality/improvement-tasks', payload: { issue_id: foreign.issue } },
      {
        method: 'POST',
        url: '/api/v1/quality/improvement-tasks',
        payload: { annotation_id: foreign.annotationId },
      },
    ] as const;
    for (const c of gone) expect((await t.as(lead, c)).statusCode, c.url).toBe(404);
    // The refused changes left the rows as they were; a tenant-wide manager reaches them all.
    const manager = await t.member(['manager'], 'Tenant manager');
    for (const c of calls(foreign).filter((c) => c.method === 'GET'))
      expect((await call(manager, c)).statusCode, c.url).toBe(200);
    const versions = await get(manager, `/quality/rules/${foreign.rule}/versions`);
    expect(versions.json().items).toHaveLength(1);
    const schedules = await get(manager, `/projects/${other}/quality/report-schedules`);
    expect(schedules.json().items.map((s: { enabled: boolean }) => s.enabled)).toEqual([true]);
  }, 120_000);
});
