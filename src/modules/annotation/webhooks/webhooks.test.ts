import { createHmac } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { newProject, seedTasks } from '../../../../test/annotation-fixtures.ts';
import { newTenant } from '../../../../test/fixtures.ts';
import { testApp } from '../../../../test/helpers.ts';
import { receiver } from '../../../../test/http-receiver.ts';
import { until } from '../../../../test/quality-ops-fixtures.ts';
import { inTenant } from '../../../platform/db/tenancy.ts';
import { emitEvent } from './webhooks.service.ts';

const servers: { close(): Promise<unknown> }[] = [];
afterAll(async () => {
  for (const s of servers) await s.close();
});

describe('webhooks', () => {
  it('delivers signed events through the job queue and logs each delivery', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const hookServer = await receiver([200]);
    servers.push(hookServer);
    const created = await t.as(t.owner, {
      method: 'POST',
      url: '/api/v1/webhooks',
      payload: {
        url: hookServer.url,
        events: ['TASKS_CREATED', 'ANNOTATION_CREATED'],
        headers: { 'X-Team': 'nlp' },
      },
    });
    expect(created.statusCode).toBe(201);
    const { id, secret } = created.json();
    expect(secret.length).toBeGreaterThanOrEqual(16);
    const stored = await ctx.platform.database.raw.query(
      'select secret_encrypted from webhooks where id = $1',
      [id],
    );
    expect(String(stored.rows[0]!.secret_encrypted)).not.toContain(secret);
    expect((await t.as(t.owner, { method: 'GET', url: `/api/v1/webhooks/${id}` })).json()).not.toHaveProperty(
      'secret',
    );

    const matched = await inTenant(ctx.platform.database.db, { tenantId: t.tenantId }, async (tx) => {
      const n = await emitEvent(tx, ctx.platform.queue, {
        tenantId: t.tenantId,
        projectId: null,
        action: 'TASKS_CREATED',
        payload: { tasks: [{ id: 1 }] },
      });
      // An event nobody subscribed to sends nothing.
      await emitEvent(tx, ctx.platform.queue, {
        tenantId: t.tenantId,
        projectId: null,
        action: 'PROJECT_DELETED',
        payload: {},
      });
      return n;
    });
    expect(matched).toBe(1);
    const deliveries = await until(
      async () =>
        (await t.as(t.owner, { method: 'GET', url: `/api/v1/webhooks/${id}/deliveries` })).json().items,
      (items) => items[0]?.status === 'delivered',
    );
    expect(deliveries).toEqual([
      expect.objectContaining({
        event: 'TASKS_CREATED',
        status: 'delivered',
        attempts: 1,
        response_status: 200,
      }),
    ]);
    expect(hookServer.received).toHaveLength(1);
    const got = hookServer.received[0]!;
    expect(JSON.parse(got.body)).toEqual({ action: 'TASKS_CREATED', tasks: [{ id: 1 }] });
    expect(got.headers['x-team']).toBe('nlp');
    const expected = createHmac('sha256', secret)
      .update(`${got.headers['x-superinsight-timestamp']}.${got.body}`)
      .digest('hex');
    expect(got.headers['x-superinsight-signature']).toBe(`sha256=${expected}`);
  });

  it('sends a signed test delivery on request, to an inactive hook too, and logs it', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const hookServer = await receiver([200]);
    servers.push(hookServer);
    const { id, secret } = (
      await t.as(t.owner, {
        method: 'POST',
        url: '/api/v1/webhooks',
        payload: { url: hookServer.url, events: ['PROJECT_CREATED'], active: false },
      })
    ).json();
    const sent = await t.as(t.owner, { method: 'POST', url: `/api/v1/webhooks/${id}/test` });
    expect(sent.statusCode).toBe(202);
    expect(sent.json()).toMatchObject({ event: 'WEBHOOK_TEST', status: 'pending', attempts: 0 });
    const deliveries = await until(
      async () =>
        (await t.as(t.owner, { method: 'GET', url: `/api/v1/webhooks/${id}/deliveries` })).json().items,
      (items) => items[0]?.status === 'delivered',
    );
    expect(deliveries[0]).toMatchObject({ id: sent.json().id, status: 'delivered', response_status: 200 });
    const got = hookServer.received[0]!;
    expect(JSON.parse(got.body)).toEqual({ action: 'WEBHOOK_TEST', webhook: { id, project_id: null } });
    const expected = createHmac('sha256', secret)
      .update(`${got.headers['x-superinsight-timestamp']}.${got.body}`)
      .digest('hex');
    expect(got.headers['x-superinsight-signature']).toBe(`sha256=${expected}`);
    const audit = await t.as(t.owner, { method: 'GET', url: '/api/v1/audit/logs?action=webhook.tested' });
    expect(audit.json().items).toEqual([expect.objectContaining({ resource_id: String(id) })]);
    // Another tenant's hook is not found, and nothing is sent to it.
    const other = await newTenant(ctx);
    const foreign = await other.as(other.owner, { method: 'POST', url: `/api/v1/webhooks/${id}/test` });
    expect(foreign.statusCode).toBe(404);
    expect(hookServer.received).toHaveLength(1);
  });

  it('retries a failing endpoint with backoff until it answers', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const hookServer = await receiver([503, 200]);
    servers.push(hookServer);
    const { id } = (
      await t.as(t.owner, {
        method: 'POST',
        url: '/api/v1/webhooks',
        payload: { url: hookServer.url, events: ['ANNOTATION_UPDATED'] },
      })
    ).json();
    await inTenant(ctx.platform.database.db, { tenantId: t.tenantId }, (tx) =>
      emitEvent(tx, ctx.platform.queue, {
        tenantId: t.tenantId,
        projectId: 7,
        action: 'ANNOTATION_UPDATED',
        payload: { annotation: { id: 3 } },
      }),
    );
    const deliveries = await until(
      async () =>
        (await t.as(t.owner, { method: 'GET', url: `/api/v1/webhooks/${id}/deliveries` })).json().items,
      (items) => items[0]?.status === 'delivered',
      60_000,
    );
    expect(deliveries[0]).toMatchObject({ status: 'delivered', attempts: 2, response_status: 200 });
    expect(hookServer.received).toHaveLength(2);
  });

  it('hears project and task events from the API, per project or tenant-wide', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const hookServer = await receiver([200]);
    servers.push(hookServer);
    const tenantWide = await t.as(t.owner, {
      method: 'POST',
      url: '/api/v1/webhooks',
      payload: {
        url: hookServer.url,
        events: ['PROJECT_CREATED', 'PROJECT_UPDATED', 'TASKS_CREATED', 'TASKS_DELETED'],
      },
    });
    expect(tenantWide.statusCode).toBe(201);
    const project = await newProject(t);
    const patched = await t.as(t.owner, {
      method: 'PATCH',
      url: `/api/v1/projects/${project.id}`,
      payload: { title: 'Renamed' },
    });
    expect(patched.statusCode).toBe(200);
    const imported = await t.as(t.owner, {
      method: 'POST',
      url: `/api/v1/projects/${project.id}/import`,
      payload: [{ text: 'one' }, { text: 'two' }],
    });
    expect(imported.statusCode).toBe(201);
    const events = await until(
      async () => hookServer.received.map((r) => JSON.parse(r.body)),
      (list) => list.length >= 3,
    );
    expect(events.find((e) => e.action === 'TASKS_CREATED')).toMatchObject({
      project: { id: project.id },
      import: { id: imported.json().import_id },
      count: 2,
    });
    expect(events.map((e) => e.action).sort()).toEqual([
      'PROJECT_CREATED',
      'PROJECT_UPDATED',
      'TASKS_CREATED',
    ]);
    expect(events.find((e) => e.action === 'PROJECT_UPDATED').project).toEqual({
      id: project.id,
      title: 'Renamed',
    });
  });

  it('hears annotation and review events for the project it is bound to', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const hookServer = await receiver([200]);
    servers.push(hookServer);
    const project = await newProject(t);
    const otherProject = await newProject(t);
    const hook = await t.as(t.owner, {
      method: 'POST',
      url: '/api/v1/webhooks',
      payload: {
        url: hookServer.url,
        project_id: project.id,
        events: ['ANNOTATION_CREATED', 'ANNOTATION_UPDATED', 'ANNOTATIONS_DELETED', 'REVIEW_CREATED'],
      },
    });
    expect(hook.statusCode).toBe(201);
    const [taskId] = await seedTasks(ctx, t, project.id, [{ data: { text: 'good' } }]);
    const [otherTask] = await seedTasks(ctx, t, otherProject.id, [{ data: { text: 'elsewhere' } }]);
    const result = [
      { from_name: 'sentiment', to_name: 'text', type: 'choices', value: { choices: ['Positive'] } },
    ];
    const created = await t.as(t.owner, {
      method: 'POST',
      url: `/api/v1/tasks/${taskId}/annotations`,
      payload: { result },
    });
    expect(created.statusCode).toBe(201);
    await t.as(t.owner, {
      method: 'POST',
      url: `/api/v1/tasks/${otherTask}/annotations`,
      payload: { result },
    });
    const id = created.json().id;
    await t.as(t.owner, { method: 'PATCH', url: `/api/v1/annotations/${id}`, payload: { lead_time: 12 } });
    await t.as(t.owner, { method: 'DELETE', url: `/api/v1/annotations/${id}` });
    const events = await until(
      async () => hookServer.received.map((r) => JSON.parse(r.body)),
      (list) => list.length >= 3,
    );
    await new Promise((r) => setTimeout(r, 1500)); // nothing from the other project arrives late
    const seen = hookServer.received.map((r) => JSON.parse(r.body));
    expect(seen.map((e) => e.action).sort()).toEqual([
      'ANNOTATIONS_DELETED',
      'ANNOTATION_CREATED',
      'ANNOTATION_UPDATED',
    ]);
    const first = events.find((e) => e.action === 'ANNOTATION_CREATED');
    expect(first).toMatchObject({
      project: { id: project.id },
      task: { id: taskId },
      annotation: { id, result },
    });
  });

  it('refuses bad input and hides other tenants’ webhooks', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const other = await newTenant(ctx);
    const badUrl = await t.as(t.owner, {
      method: 'POST',
      url: '/api/v1/webhooks',
      payload: { url: 'ftp://x', events: ['TASKS_CREATED'] },
    });
    expect(badUrl.statusCode).toBe(400);
    const badEvent = await t.as(t.owner, {
      method: 'POST',
      url: '/api/v1/webhooks',
      payload: { url: 'http://127.0.0.1:9/x', events: ['NOPE'] },
    });
    expect(badEvent.statusCode).toBe(400);
    const { id } = (
      await t.as(t.owner, {
        method: 'POST',
        url: '/api/v1/webhooks',
        payload: { url: 'http://127.0.0.1:9/x', events: ['TASKS_CREATED'] },
      })
    ).json();
    for (const [method, url] of [
      ['GET', `/api/v1/webhooks/${id}`],
      ['PATCH', `/api/v1/webhooks/${id}`],
      ['DELETE', `/api/v1/webhooks/${id}`],
      ['GET', `/api/v1/webhooks/${id}/deliveries`],
    ] as const) {
      const res = await other.as(other.owner, {
        method,
        url,
        ...(method === 'PATCH' ? { payload: { active: false } } : {}),
      });
      expect(res.statusCode, `${method} ${url}`).toBe(404);
    }
    const patched = await t.as(t.owner, {
      method: 'PATCH',
      url: `/api/v1/webhooks/${id}`,
      payload: { active: false },
    });
    expect(patched.json().active).toBe(false);
    const annotator = await t.member(['annotator']);
    expect((await t.as(annotator, { method: 'GET', url: '/api/v1/webhooks' })).statusCode).toBe(403);
  });
});
