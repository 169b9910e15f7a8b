import { describe, expect, it } from 'vitest';
import { newProject } from '../../../../test/annotation-fixtures.ts';
import { newTenant } from '../../../../test/fixtures.ts';
import { testApp } from '../../../../test/helpers.ts';

interface TabJson {
  id: number;
  project: number;
  name: string;
  filters: Record<string, unknown>;
  ordering: string;
  columns: string[];
}

async function seeded() {
  const ctx = await testApp();
  const t = await newTenant(ctx);
  const p = await newProject(t);
  const url = `/api/v1/projects/${p.id}/tabs`;
  return { ctx, t, p, url };
}

describe('data manager tabs', () => {
  it("saves, lists, renames, updates and deletes the caller's own tabs, audited", async () => {
    const { t, p, url } = await seeded();
    const created = await t.as(t.owner, {
      method: 'POST',
      url,
      payload: {
        name: 'Quick ones',
        filters: { q: 'quick -lazy', status: ['pending'], data_key: 'text', search: 'fox' },
        ordering: 'relevance',
        columns: ['id', 'data.text'],
      },
    });
    expect(created.statusCode, created.body).toBe(201);
    const tab = created.json() as TabJson;
    expect(tab).toMatchObject({
      project: p.id,
      name: 'Quick ones',
      filters: { q: 'quick -lazy', status: ['pending'], data_key: 'text', search: 'fox' },
      ordering: 'relevance',
      columns: ['id', 'data.text'],
    });
    const second = await t.as(t.owner, { method: 'POST', url, payload: { name: 'All' } });
    expect(second.json()).toMatchObject({ filters: {}, ordering: 'id', columns: [] });

    const list = await t.as(t.owner, { method: 'GET', url });
    expect((list.json().items as TabJson[]).map((x) => x.name)).toEqual(['Quick ones', 'All']);

    const renamed = await t.as(t.owner, {
      method: 'PATCH',
      url: `${url}/${tab.id}`,
      payload: { name: 'Fast ones', filters: { q: 'fast' } },
    });
    expect(renamed.statusCode, renamed.body).toBe(200);
    expect(renamed.json()).toMatchObject({
      name: 'Fast ones',
      filters: { q: 'fast' },
      ordering: 'relevance',
    });

    // The saved filter is one the task list takes as it is.
    const params = new URLSearchParams({ q: 'fast', sort: renamed.json().ordering });
    const tasks = await t.as(t.owner, { method: 'GET', url: `/api/v1/projects/${p.id}/tasks?${params}` });
    expect(tasks.statusCode, tasks.body).toBe(200);

    const gone = await t.as(t.owner, { method: 'DELETE', url: `${url}/${tab.id}` });
    expect(gone.statusCode).toBe(204);
    const after = await t.as(t.owner, { method: 'GET', url });
    expect((after.json().items as TabJson[]).map((x) => x.name)).toEqual(['All']);

    const audit = await t.as(t.owner, { method: 'GET', url: '/api/v1/audit/logs?limit=50' });
    const actions = (audit.json().items as { action: string }[]).map((a) => a.action);
    expect(actions).toEqual(expect.arrayContaining(['tab.created', 'tab.updated', 'tab.deleted']));
  });

  it("answers 404 for another user's tab and lists only one's own", async () => {
    const { t, url } = await seeded();
    const other = await t.member(['manager'], 'Other manager');
    const mine = await t.as(t.owner, { method: 'POST', url, payload: { name: 'Mine' } });
    const id = (mine.json() as TabJson).id;
    for (const method of ['PATCH', 'DELETE'] as const) {
      const res = await t.as(other, {
        method,
        url: `${url}/${id}`,
        ...(method === 'PATCH' ? { payload: { name: 'Taken over' } } : {}),
      });
      expect(res.statusCode, `${method} ${res.body}`).toBe(404);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    expect((await t.as(other, { method: 'GET', url })).json().items).toEqual([]);
    // The same name is free for another user.
    const theirs = await t.as(other, { method: 'POST', url, payload: { name: 'Mine' } });
    expect(theirs.statusCode).toBe(201);
  });

  it('refuses bad tabs with 4xx problems naming the field', async () => {
    const { t, p, url } = await seeded();
    await t.as(t.owner, { method: 'POST', url, payload: { name: 'Taken' } });
    const cases: [unknown, number, string][] = [
      [{ name: 'Taken' }, 409, 'tab_name_taken'],
      [{ name: 'x', filters: { data_key: 'text' } }, 400, 'body/filters/search'],
      [{ name: 'x', filters: { q: '-' } }, 400, 'body/filters/q'],
      [{ name: 'x', ordering: 'relevance' }, 400, 'body/filters/q'],
      [{ name: 'x', filters: { nope: 1 } }, 400, 'filters'],
      [{ name: '   ' }, 400, 'name'],
      [{ name: 'x', ordering: 'sideways' }, 400, 'ordering'],
    ];
    for (const [payload, status, mention] of cases) {
      const res = await t.as(t.owner, { method: 'POST', url, payload: payload as object });
      expect(res.statusCode, `${JSON.stringify(payload)}: ${res.body}`).toBe(status);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.body).toContain(mention);
    }
    const tab = (await t.as(t.owner, { method: 'POST', url, payload: { name: 'Other' } })).json() as TabJson;
    const clash = await t.as(t.owner, {
      method: 'PATCH',
      url: `${url}/${tab.id}`,
      payload: { name: 'Taken' },
    });
    expect(clash.statusCode).toBe(409);
    const empty = await t.as(t.owner, { method: 'PATCH', url: `${url}/${tab.id}`, payload: {} });
    expect(empty.statusCode).toBe(400);
    const elsewhere = await newProject(t, { title: 'Elsewhere' });
    const wrongProject = await t.as(t.owner, {
      method: 'DELETE',
      url: `/api/v1/projects/${elsewhere.id}/tabs/${tab.id}`,
    });
    expect(wrongProject.statusCode).toBe(404);
    const noProject = await t.as(t.owner, { method: 'GET', url: `/api/v1/projects/${p.id + 1000}/tabs` });
    expect(noProject.statusCode).toBe(404);
  });
});
