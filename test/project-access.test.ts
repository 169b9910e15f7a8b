import { beforeAll, describe, expect, it } from 'vitest';
import { newProject } from './annotation-fixtures.ts';
import { type Member, newTenant, type TenantFixture } from './fixtures.ts';
import { type TestContext, testApp } from './helpers.ts';
import { joinProject } from './labeling-fixtures.ts';

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
});
