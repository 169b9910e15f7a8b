import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { newProject } from '../../../../test/annotation-fixtures.ts';
import type { Member, TenantFixture } from '../../../../test/fixtures.ts';
import { testApp } from '../../../../test/helpers.ts';
import {
  annotate,
  annotators,
  joinProject,
  newLabelingTenant,
  seedTasks,
  sentiment,
  systemSql,
  taskRow,
} from '../../../../test/labeling-fixtures.ts';
import { BUILT_IN_PERMISSIONS } from '../../../platform/auth/permissions.ts';
import type { Principal } from '../../../platform/auth/principal.ts';
import type { Db } from '../../../platform/db/client.ts';
import { inTenant } from '../../../platform/db/tenancy.ts';
import { nextTask } from './labeling.service.ts';

interface Next {
  status: number;
  id: number | null;
  reason: string | null;
  body: Record<string, unknown> | null;
}

async function next(t: TenantFixture, m: Member, projectId: number): Promise<Next> {
  const res = await t.as(m, { method: 'GET', url: `/api/v1/projects/${projectId}/next` });
  if (res.statusCode !== 200 && res.statusCode !== 204)
    throw new Error(`next: ${res.statusCode} ${res.body}`);
  const body = res.statusCode === 200 ? (res.json() as Record<string, unknown>) : null;
  return {
    status: res.statusCode,
    id: body ? (body.id as number) : null,
    reason: (res.headers['x-next-reason'] as string | undefined) ?? null,
    body,
  };
}

async function locksOf(ctx: Awaited<ReturnType<typeof testApp>>, projectId: number) {
  return systemSql<{ task_id: string | number; user_id: string; live: boolean }>(
    ctx,
    sql`select task_id, user_id, expires_at > now() as live from task_locks where project_id = ${projectId}`,
  );
}

describe('labeling stream: /next', () => {
  it('serves tasks in id order with predictions and the draft, reserves them, and returns a held task again', async () => {
    const ctx = await testApp();
    const t = await newLabelingTenant(ctx);
    const project = await newProject(t, { reservation_minutes: 30 });
    const ids = await seedTasks(ctx, t, project, 5);
    const [a, b] = await annotators(t, project.id, 2);
    await t.as(t.owner, {
      method: 'POST',
      url: `/api/v1/tasks/${ids[2]}/predictions`,
      payload: { result: sentiment('Negative'), score: 0.4, model_version: 'v7' },
    });

    const first = await next(t, a!, project.id);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      id: ids[0],
      project: project.id,
      data: { text: 'task 1' },
      meta: {},
      annotations: [],
      predictions: [],
      drafts: [],
      is_labeled: false,
      status: 'in_progress',
    });
    const expires = new Date(first.body!.lock_expires_at as string).getTime();
    expect(expires).toBeGreaterThan(Date.now() + 25 * 60_000);
    expect(expires).toBeLessThan(Date.now() + 35 * 60_000);
    expect((await taskRow(ctx, ids[0]!)).status).toBe('in_progress');

    expect((await next(t, a!, project.id)).id).toBe(ids[0]);
    expect((await next(t, b!, project.id)).id).toBe(ids[1]);
    await annotate(t, a!, ids[0]!);
    await t.as(a!, {
      method: 'PUT',
      url: `/api/v1/tasks/${ids[2]}/draft`,
      payload: { result: sentiment('Neutral'), lead_time: 2 },
    });
    const third = await next(t, a!, project.id);
    expect(third.id).toBe(ids[2]);
    expect(third.body!.predictions).toEqual([
      expect.objectContaining({ result: sentiment('Negative'), score: 0.4, model_version: 'v7' }),
    ]);
    expect(third.body!.drafts).toEqual([
      expect.objectContaining({ result: sentiment('Neutral'), user: a!.userId }),
    ]);
    // Submitting ends the reservation; the annotated task is never served to its annotator again.
    await annotate(t, a!, ids[2]!);
    const locks = await locksOf(ctx, project.id);
    expect(locks.map((l) => Number(l.task_id))).toEqual([ids[1]]);
    expect((await next(t, a!, project.id)).id).toBe(ids[3]);
  });

  it('never serves a task beyond its overlap, nor again to whoever annotated it', async () => {
    const ctx = await testApp();
    const t = await newLabelingTenant(ctx);
    const project = await newProject(t, { overlap: 2 });
    const ids = await seedTasks(ctx, t, project, 2);
    const [a, b, c, d, e] = await annotators(t, project.id, 5);
    expect((await next(t, a!, project.id)).id).toBe(ids[0]);
    expect((await next(t, b!, project.id)).id).toBe(ids[0]);
    expect((await next(t, c!, project.id)).id).toBe(ids[1]);
    expect((await next(t, d!, project.id)).id).toBe(ids[1]);
    expect(await next(t, e!, project.id)).toMatchObject({ status: 204, reason: 'no_tasks' });
    await annotate(t, a!, ids[0]!);
    // a's place on task 1 is used by a's annotation; task 2 is full of reservations.
    expect(await next(t, a!, project.id)).toMatchObject({ status: 204, reason: 'no_tasks' });
    expect(await next(t, e!, project.id)).toMatchObject({ status: 204 });
    await annotate(t, b!, ids[0]!);
    expect(await taskRow(ctx, ids[0]!)).toMatchObject({ is_finished: true, status: 'completed' });
  });

  it('ignores and cleans expired reservations', async () => {
    const ctx = await testApp();
    const t = await newLabelingTenant(ctx);
    const project = await newProject(t);
    const ids = await seedTasks(ctx, t, project, 2);
    const [a, b, c] = await annotators(t, project.id, 3);
    expect((await next(t, a!, project.id)).id).toBe(ids[0]);
    expect((await next(t, b!, project.id)).id).toBe(ids[1]);
    expect((await next(t, c!, project.id)).status).toBe(204);
    await systemSql(
      ctx,
      sql`update task_locks set expires_at = now() - interval '1 minute'
        where task_id = ${ids[0]} and user_id = ${a!.userId}`,
    );
    expect((await next(t, c!, project.id)).id).toBe(ids[0]);
    // a's reservation ran out and someone else holds the task now: nothing for a, and a's
    // expired lock is gone.
    expect(await next(t, a!, project.id)).toMatchObject({ status: 204, reason: 'no_tasks' });
    const locks = await locksOf(ctx, project.id);
    expect(locks.every((l) => l.live)).toBe(true);
    expect(locks.map((l) => l.user_id).sort()).toEqual([b!.userId, c!.userId].sort());
  });

  it('stops at the per-annotator task limit with 204 limit_reached', async () => {
    const ctx = await testApp();
    const t = await newLabelingTenant(ctx);
    const project = await newProject(t, { annotator_task_limit: 2 });
    const ids = await seedTasks(ctx, t, project, 5);
    const [a, b] = await annotators(t, project.id, 2);
    for (const id of ids.slice(0, 2)) {
      const n = await next(t, a!, project.id);
      expect(n.id).toBe(id);
      // A held task is returned again even when it is the last one the limit allows.
      expect((await next(t, a!, project.id)).id).toBe(id);
      await annotate(t, a!, n.id!);
    }
    expect(await next(t, a!, project.id)).toMatchObject({ status: 204, reason: 'limit_reached' });
    expect((await next(t, b!, project.id)).id).toBe(ids[2]);
    // A skip does not use up the limit.
    await annotate(t, b!, ids[2]!, true);
    await annotate(t, b!, (await next(t, b!, project.id)).id!);
    expect((await next(t, b!, project.id)).status).toBe(200);
  });

  describe('skip policies', () => {
    it('requeue_me: the caller gets their skipped task back after all others', async () => {
      const ctx = await testApp();
      const t = await newLabelingTenant(ctx);
      const project = await newProject(t, { skip_policy: 'requeue_me' });
      const ids = await seedTasks(ctx, t, project, 3);
      const [a] = await annotators(t, project.id, 1);
      expect((await next(t, a!, project.id)).id).toBe(ids[0]);
      await annotate(t, a!, ids[0]!, true);
      expect((await next(t, a!, project.id)).id).toBe(ids[1]);
      await annotate(t, a!, ids[1]!);
      expect((await next(t, a!, project.id)).id).toBe(ids[2]);
      await annotate(t, a!, ids[2]!);
      expect((await next(t, a!, project.id)).id).toBe(ids[0]);
      await annotate(t, a!, ids[0]!);
      expect(await taskRow(ctx, ids[0]!)).toMatchObject({
        total_annotations: 1,
        cancelled_annotations: 1,
        is_finished: true,
      });
      expect((await next(t, a!, project.id)).status).toBe(204);
    });

    it('requeue_others: never back to the same annotator; others take it and the skip does not count', async () => {
      const ctx = await testApp();
      const t = await newLabelingTenant(ctx);
      const project = await newProject(t, { skip_policy: 'requeue_others' });
      const ids = await seedTasks(ctx, t, project, 2);
      const [a, b] = await annotators(t, project.id, 2);
      expect((await next(t, a!, project.id)).id).toBe(ids[0]);
      await annotate(t, a!, ids[0]!, true);
      expect((await next(t, a!, project.id)).id).toBe(ids[1]);
      await annotate(t, a!, ids[1]!);
      expect(await next(t, a!, project.id)).toMatchObject({ status: 204, reason: 'no_tasks' });
      expect((await next(t, b!, project.id)).id).toBe(ids[0]);
      await annotate(t, b!, ids[0]!);
      expect(await taskRow(ctx, ids[0]!)).toMatchObject({ total_annotations: 1, cancelled_annotations: 1 });
    });

    it('ignore: a skip counts toward the overlap and a done task is never served again', async () => {
      const ctx = await testApp();
      const t = await newLabelingTenant(ctx);
      const single = await newProject(t, { skip_policy: 'ignore' });
      const ids = await seedTasks(ctx, t, single, 2);
      const [a, b, c] = await annotators(t, single.id, 3);
      expect((await next(t, a!, single.id)).id).toBe(ids[0]);
      await annotate(t, a!, ids[0]!, true);
      expect(await taskRow(ctx, ids[0]!)).toMatchObject({ is_finished: true, cancelled_annotations: 1 });
      expect((await next(t, b!, single.id)).id).toBe(ids[1]);
      expect((await next(t, c!, single.id)).status).toBe(204);

      const double = await newProject(t, { skip_policy: 'ignore', overlap: 2 });
      const [d1] = await seedTasks(ctx, t, double, 1);
      for (const m of [a, b, c]) await joinProject(t, double.id, m!, 'annotator');
      expect((await next(t, a!, double.id)).id).toBe(d1);
      await annotate(t, a!, d1!, true);
      expect((await next(t, b!, double.id)).id).toBe(d1);
      // b's reservation plus a's skip fill the overlap of 2.
      expect((await next(t, c!, double.id)).status).toBe(204);
      await annotate(t, b!, d1!);
      expect(await taskRow(ctx, d1!)).toMatchObject({
        total_annotations: 1,
        cancelled_annotations: 1,
        is_finished: true,
        status: 'completed',
      });
    });
  });

  describe('ordering', () => {
    it('uncertainty: lowest prediction score first, tasks without predictions last', async () => {
      const ctx = await testApp();
      const t = await newLabelingTenant(ctx);
      const project = await newProject(t, { ordering: 'uncertainty' });
      const ids = await seedTasks(ctx, t, project, 5);
      const scores = [0.9, 0.1, null, 0.5, 0.1];
      for (const [i, score] of scores.entries()) {
        if (score === null) continue;
        await t.as(t.owner, {
          method: 'POST',
          url: `/api/v1/tasks/${ids[i]}/predictions`,
          payload: { result: sentiment(), score },
        });
      }
      const [a] = await annotators(t, project.id, 1);
      const order: number[] = [];
      for (;;) {
        const n = await next(t, a!, project.id);
        if (n.status === 204) break;
        order.push(n.id!);
        await annotate(t, a!, n.id!);
      }
      expect(order).toEqual([ids[1], ids[4], ids[3], ids[0], ids[2]]);
    });

    it('random: starts anywhere, wraps around, and serves each task once per overlap', async () => {
      const ctx = await testApp();
      const t = await newLabelingTenant(ctx);
      const project = await newProject(t, { ordering: 'random' });
      const ids = await seedTasks(ctx, t, project, 40);
      const team = await annotators(t, project.id, 20);
      const got: number[] = [];
      for (const m of team) got.push((await next(t, m, project.id)).id!);
      expect(new Set(got).size).toBe(20);
      expect(got.every((id) => ids.includes(id))).toBe(true);
      // Taking in id order would give exactly the first 20 ids.
      expect([...got].sort((x, y) => x - y)).not.toEqual(ids.slice(0, 20));

      // Only the first task is left: every random start beyond it must wrap round to it.
      const wrap = await newProject(t, { ordering: 'random', overlap: 5 });
      const wrapIds = await seedTasks(ctx, t, wrap, 30, { finished: (i) => i > 0 });
      for (const m of team.slice(0, 5)) await joinProject(t, wrap.id, m, 'annotator');
      for (const m of team.slice(0, 5)) expect((await next(t, m, wrap.id)).id).toBe(wrapIds[0]);
      await joinProject(t, wrap.id, team[5]!, 'annotator');
      expect((await next(t, team[5]!, wrap.id)).status).toBe(204);
    });
  });

  describe('assignments', () => {
    it('serves assigned tasks first and keeps them from everyone else', async () => {
      const ctx = await testApp();
      const t = await newLabelingTenant(ctx);
      const project = await newProject(t);
      const ids = await seedTasks(ctx, t, project, 6);
      const [a, b] = await annotators(t, project.id, 2);
      const assigned = await t.as(t.owner, {
        method: 'POST',
        url: `/api/v1/projects/${project.id}/assignments`,
        payload: { task_ids: [ids[4]], user_ids: [a!.userId], mode: 'manual', priority: 1 },
      });
      // A higher priority comes first, whatever the id.
      await t.as(t.owner, {
        method: 'POST',
        url: `/api/v1/projects/${project.id}/assignments`,
        payload: { task_ids: [ids[5]], user_ids: [a!.userId], mode: 'manual', priority: 5 },
      });
      expect(assigned.statusCode).toBe(201);
      expect(assigned.json()).toEqual({
        kind: 'annotate',
        assigned: 1,
        per_user: [{ user_id: a!.userId, count: 1 }],
      });
      const seenByB: number[] = [];
      for (;;) {
        const n = await next(t, b!, project.id);
        if (n.status === 204) break;
        seenByB.push(n.id!);
        await annotate(t, b!, n.id!);
      }
      expect(seenByB).toEqual(ids.slice(0, 4));
      expect((await next(t, a!, project.id)).id).toBe(ids[5]);
      await annotate(t, a!, ids[5]!);
      expect((await next(t, a!, project.id)).id).toBe(ids[4]);
      await annotate(t, a!, ids[4]!);
      expect((await next(t, a!, project.id)).status).toBe(204);
    });

    it('spreads tasks evenly, lists and removes assignments, and validates the request', async () => {
      const ctx = await testApp();
      const t = await newLabelingTenant(ctx);
      const project = await newProject(t);
      const ids = await seedTasks(ctx, t, project, 12);
      const [a, b, c] = await annotators(t, project.id, 3);
      const outsider = await t.member(['annotator'], 'Outsider');
      const spread = await t.as(t.owner, {
        method: 'POST',
        url: `/api/v1/projects/${project.id}/assignments`,
        payload: { task_ids: ids.slice(0, 9), user_ids: [a!.userId, b!.userId, c!.userId], mode: 'spread' },
      });
      expect(spread.statusCode).toBe(201);
      expect(spread.json().per_user.map((u: { count: number }) => u.count)).toEqual([3, 3, 3]);
      // a already has 3; the next spread evens out a user who has fewer.
      const more = await t.as(t.owner, {
        method: 'POST',
        url: `/api/v1/projects/${project.id}/assignments`,
        payload: { task_ids: ids.slice(9, 11), user_ids: [a!.userId, b!.userId, c!.userId], mode: 'spread' },
      });
      expect(more.json().per_user.map((u: { count: number }) => u.count)).toEqual([1, 1, 0]);
      const forA = await t.as(t.owner, {
        method: 'GET',
        url: `/api/v1/projects/${project.id}/assignments?user_id=${a!.userId}&limit=2`,
      });
      expect(forA.json().items).toHaveLength(2);
      const rest = await t.as(t.owner, {
        method: 'GET',
        url: `/api/v1/projects/${project.id}/assignments?user_id=${a!.userId}&cursor=${forA.json().next_cursor}`,
      });
      expect(rest.json().items).toHaveLength(2);
      expect(rest.json().next_cursor).toBeNull();
      // Without tasks:manage an annotator sees only their own, whatever they ask for.
      const asB = await t.as(b!, {
        method: 'GET',
        url: `/api/v1/projects/${project.id}/assignments?user_id=${a!.userId}`,
      });
      expect(asB.statusCode).toBe(200);
      expect(asB.json().items.every((x: { user_id: string }) => x.user_id === b!.userId)).toBe(true);
      expect(asB.json().items).toHaveLength(4);

      const aTasks = [...forA.json().items, ...rest.json().items].map((x: { task: number }) => x.task);
      const removed = await t.as(t.owner, {
        method: 'DELETE',
        url: `/api/v1/projects/${project.id}/assignments`,
        payload: { task_ids: aTasks.slice(0, 3), user_ids: [a!.userId] },
      });
      expect(removed.json()).toEqual({ deleted: 3 });

      const bad = await t.as(t.owner, {
        method: 'POST',
        url: `/api/v1/projects/${project.id}/assignments`,
        payload: { task_ids: [ids[0], 987654321], user_ids: [a!.userId, outsider.userId], mode: 'manual' },
      });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().errors.map((e: { path: string }) => e.path)).toEqual([
        'body/task_ids/1',
        'body/user_ids/1',
      ]);
      const forbidden = await t.as(a!, {
        method: 'POST',
        url: `/api/v1/projects/${project.id}/assignments`,
        payload: { task_ids: [ids[0]], user_ids: [a!.userId], mode: 'manual' },
      });
      expect(forbidden.statusCode).toBe(403);
    });
  });

  describe('concurrency', () => {
    for (const overlap of [1, 2]) {
      it(`twenty annotators at once never hold a task beyond overlap ${overlap}`, async () => {
        const ctx = await testApp();
        const t = await newLabelingTenant(ctx);
        const project = await newProject(t, { overlap });
        const ids = await seedTasks(ctx, t, project, 100);
        const team = await annotators(t, project.id, 20);
        for (let round = 0; round < 3; round++) {
          const got = await Promise.all(team.map((m) => next(t, m, project.id)));
          expect(got.every((g) => g.status === 200)).toBe(true);
          const holders = new Map<number, number>();
          for (const g of got) holders.set(g.id!, (holders.get(g.id!) ?? 0) + 1);
          expect(Math.max(...holders.values())).toBeLessThanOrEqual(overlap);
          const locks = await locksOf(ctx, project.id);
          const perTask = new Map<number, number>();
          for (const l of locks) perTask.set(Number(l.task_id), (perTask.get(Number(l.task_id)) ?? 0) + 1);
          expect(Math.max(...perTask.values())).toBeLessThanOrEqual(overlap);
          expect(locks).toHaveLength(20);
          // Everyone submits at once, then asks again.
          await Promise.all(got.map((g, i) => annotate(t, team[i]!, g.id!)));
        }
        const [sum] = await systemSql<{ n: number; over: number }>(
          ctx,
          sql`select coalesce(sum(total_annotations), 0)::int as n,
            count(*) filter (where total_annotations > overlap)::int as over
            from tasks where project_id = ${project.id}`,
        );
        expect(sum).toEqual({ n: 60, over: 0 });
        expect(ids).toHaveLength(100);
      });
    }

    it('on PostgreSQL, twenty separate connections taking tasks at once stay within the overlap', async (test) => {
      const ctx = await testApp();
      if (ctx.platform.database.driver !== 'pg') test.skip();
      const t = await newLabelingTenant(ctx);
      for (const overlap of [1, 2]) {
        const project = await newProject(t, { overlap });
        await seedTasks(ctx, t, project, 100);
        const team = await annotators(t, project.id, 20, `Conn${overlap}`);
        const url = ctx.platform.config.databaseUrl!;
        const clients = await Promise.all(
          team.map(async () => {
            const client = new pg.Client({ connectionString: url });
            await client.connect();
            return client;
          }),
        );
        try {
          const principal = (m: Member): Principal => ({
            kind: 'session',
            userId: m.userId,
            tenantId: t.tenantId,
            tenant: { slug: t.slug, name: `Tenant ${t.slug}` },
            email: m.email,
            name: 'Annotator',
            memberNumber: m.number,
            sessionId: null,
            tokenId: null,
            permissions: [...BUILT_IN_PERMISSIONS.annotator],
            roles: ['annotator'],
            isPlatformOwner: false,
          });
          for (let round = 0; round < 2; round++) {
            const got = await Promise.all(
              clients.map((client, i) =>
                inTenant(
                  drizzle(client) as unknown as Db,
                  { tenantId: t.tenantId, userId: team[i]!.userId },
                  (tx) => nextTask(tx, principal(team[i]!), project.id),
                ),
              ),
            );
            const holders = new Map<number, number>();
            for (const g of got) {
              expect('taskId' in g).toBe(true);
              if ('taskId' in g) holders.set(g.taskId, (holders.get(g.taskId) ?? 0) + 1);
            }
            expect(Math.max(...holders.values())).toBeLessThanOrEqual(overlap);
            // Same callers again: each gets back the task they hold.
            if (round === 1) expect([...holders.values()].reduce((s, n) => s + n, 0)).toBe(20);
          }
          const locks = await locksOf(ctx, project.id);
          expect(locks).toHaveLength(20);
          const perTask = new Map<number, number>();
          for (const l of locks) perTask.set(Number(l.task_id), (perTask.get(Number(l.task_id)) ?? 0) + 1);
          expect(Math.max(...perTask.values())).toBeLessThanOrEqual(overlap);
          // Reservations spread over at least 20 / overlap tasks (skip-locked rows push some further).
          expect(perTask.size).toBeGreaterThanOrEqual(20 / overlap);
        } finally {
          await Promise.all(clients.map((c) => c.end()));
        }
      }
    });
  });
});
