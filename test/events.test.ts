import { sql } from 'drizzle-orm';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { recordReview } from '../src/modules/billing/work.service.ts';
import { inTenant } from '../src/platform/db/tenancy.ts';
import { DomainEvents } from '../src/platform/events/index.ts';
import { newProject } from './annotation-fixtures.ts';
import { newTenant } from './fixtures.ts';
import { testApp } from './helpers.ts';
import { seedTasks, systemSql } from './labeling-fixtures.ts';
import { choice, submit } from './quality-ops-fixtures.ts';

describe('domain events', () => {
  it('are typed by the event map: an unknown name or a wrong payload does not compile', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const bus = new DomainEvents();
    const counts: number[] = [];
    bus.subscribe('TASKS_CREATED', async (_tx, event) => {
      counts.push(event.payload.count);
    });
    bus.subscribe('ANNOTATIONS_DELETED', async (_tx, event) => {
      expectTypeOf(event.payload.annotations).toEqualTypeOf<{ id: number }[]>();
      expectTypeOf(event.payload).not.toHaveProperty('annotation');
    });
    // @ts-expect-error no module announces TASK_CREATED
    bus.subscribe('TASK_CREATED', async () => {});
    // @ts-expect-error billing's review listener reads a review, which an annotation event lacks
    bus.subscribe('ANNOTATION_CREATED', recordReview);

    await inTenant(ctx.platform.database.db, { tenantId: t.tenantId }, async (tx) => {
      await bus.publish(tx, {
        tenantId: t.tenantId,
        projectId: 1,
        action: 'TASKS_CREATED',
        payload: { project: { id: 1 }, import: { id: 2 }, count: 3 },
      });
      await bus.publish(tx, {
        tenantId: t.tenantId,
        projectId: 1,
        action: 'PROJECT_DELETED',
        // @ts-expect-error PROJECT_DELETED carries the project, not tasks
        payload: { tasks: [{ id: 1 }] },
      });
      await bus.publish(tx, {
        tenantId: t.tenantId,
        projectId: 1,
        // @ts-expect-error no module announces TASK_CREATED
        action: 'TASK_CREATED',
        payload: { project: { id: 1 }, import: { id: 2 }, count: 3 },
      });
    });
    expect(counts).toEqual([3]);
  });

  it('one submit is announced once: one webhook delivery, one billing row, one check and one rescore', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const project = await newProject(t);
    const rule = await t.as(t.owner, {
      method: 'POST',
      url: `/api/v1/projects/${project.id}/quality/rules`,
      payload: { name: 'Slow', type: 'min_lead_time', config: { seconds: 60 } },
    });
    expect(rule.statusCode).toBe(201);
    const hook = await t.as(t.owner, {
      method: 'POST',
      url: '/api/v1/webhooks',
      payload: { url: 'http://127.0.0.1:9/hook', project_id: project.id, events: ['ANNOTATION_CREATED'] },
    });
    expect(hook.statusCode).toBe(201);
    const [taskId] = await seedTasks(ctx, t, project, 1);

    const id = await submit(t, t.owner, taskId!, choice('Positive'));

    // Every reaction was written in the submit's transaction, so it is all there now; each
    // delivery row is one POST (a retry is another attempt of the same row).
    const count = async (query: ReturnType<typeof sql>) => (await systemSql<{ n: number }>(ctx, query))[0]!.n;
    expect(
      await count(sql`select count(*)::int as n from webhook_deliveries where webhook_id = ${hook.json().id}
        and event = 'ANNOTATION_CREATED' and (payload->'annotation'->>'id')::int = ${id}`),
    ).toBe(1);
    expect(
      await count(sql`select count(*)::int as n from job_runs where tenant_id = ${t.tenantId}
        and kind = 'webhook.deliver'`),
    ).toBe(1);
    expect(
      await count(sql`select count(*)::int as n from billing_work_records where annotation_id = ${id}`),
    ).toBe(1);
    expect(
      await count(sql`select count(*)::int as n from job_runs where tenant_id = ${t.tenantId}
        and kind = 'quality.check' and payload->'annotationIds' @> ${JSON.stringify([id])}::jsonb`),
    ).toBe(1);
    expect(
      await count(sql`select count(*)::int as n from job_runs where tenant_id = ${t.tenantId}
        and kind = 'quality.score_task' and (payload->>'taskId')::int = ${taskId}`),
    ).toBe(1);
  });

  it('a change that rolls back announces nothing: its webhook delivery goes with it', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const project = await newProject(t);
    const hook = await t.as(t.owner, {
      method: 'POST',
      url: '/api/v1/webhooks',
      payload: { url: 'http://127.0.0.1:9/hook', events: ['TASKS_CREATED'] },
    });
    expect(hook.statusCode).toBe(201);
    const announced = inTenant(ctx.platform.database.db, { tenantId: t.tenantId }, async (tx) => {
      await ctx.platform.events.publish(tx, {
        tenantId: t.tenantId,
        projectId: project.id,
        action: 'TASKS_CREATED',
        payload: { project: { id: project.id }, import: { id: 1 }, count: 1 },
      });
      throw new Error('the change fails after announcing');
    });
    await expect(announced).rejects.toThrow('the change fails after announcing');
    const rows = await systemSql<{ n: number }>(
      ctx,
      sql`select count(*)::int as n from webhook_deliveries where webhook_id = ${hook.json().id}`,
    );
    expect(rows[0]!.n).toBe(0);
  });
});
