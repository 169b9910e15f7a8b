import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newTenant, type TenantFixture } from '../../../test/fixtures.ts';
import { type TestContext, testEnv } from '../../../test/helpers.ts';
import { buildApp } from '../../app.ts';
import { loadConfig } from '../../config.ts';
import { inTenant } from '../../platform/db/tenancy.ts';
import { Problem } from '../../platform/errors/problem.ts';
import { DomainEvents } from '../../platform/events/index.ts';
import { startPlatform } from '../../platform/index.ts';
import { type JobKind, JobQueue, jobKind, WORKER_STOPPED } from '../../platform/jobs/queue.ts';
import { wireModules } from '../index.ts';

interface JobBody {
  id: string;
  kind: string;
  state: string;
  progress: number;
  counts: Record<string, number>;
  result: Record<string, unknown> | null;
  error: string | null;
  attempts: number;
  created_by: string | null;
  created_at: string;
  updated_at: string;
  started_at: string | null;
  finished_at: string | null;
}

const FINAL = new Set(['completed', 'failed', 'cancelled']);

const COUNT = jobKind<{ n: number }>('test.count');
const REFUSE = jobKind<{ reason: string }>('test.refuse', { retryLimit: 3 });
const FLAKY = jobKind<Record<string, never>>('test.flaky', { retryLimit: 1 });
const BROKEN = jobKind<Record<string, never>>('test.broken', { retryLimit: 1 });
/** Waits until the test releases it (by run id). */
const HELD = jobKind<Record<string, never>>('test.held', { retryLimit: 0 });
const held = new Map<string, () => void>();

let ctx: TestContext;
/** Progress reports seen by the counting handler, per run: every step must be recorded. */
const reported = new Map<string, number[]>();
/** Attempts the flaky handler has seen, per run. */
const flakyAttempts = new Map<string, number>();
const brokenAttempts = new Map<string, number>();

/**
 * A platform of this file's own, since job kinds must be defined before the queue starts:
 * the same steps as startTestApp, with test kinds defined before startJobs.
 */
beforeAll(async () => {
  const config = loadConfig(testEnv());
  const platform = await startPlatform(config, pino({ level: 'silent' }), {
    pgliteDir: null,
    migrate: !config.databaseUrl,
  });
  const app = await buildApp(platform);
  wireModules(platform);
  platform.queue.define(COUNT, async (job) => {
    const n = job.payload.n;
    for (let i = 1; i <= n; i++) {
      await job.progress(i / n, { done: i });
      reported.set(job.runId, [...(reported.get(job.runId) ?? []), i]);
    }
    return { total: n };
  });
  platform.queue.define(REFUSE, async (job) => {
    await job.progress(0.5, { done: 1 });
    throw new Problem(400, 'http.bad_request', `The input is unusable: ${job.payload.reason}.`, { line: 7 });
  });
  platform.queue.define(FLAKY, async (job) => {
    const attempt = (flakyAttempts.get(job.runId) ?? 0) + 1;
    flakyAttempts.set(job.runId, attempt);
    if (attempt === 1) throw new Error('the first attempt loses its connection');
    return { attempt };
  });
  platform.queue.define(BROKEN, async (job) => {
    brokenAttempts.set(job.runId, (brokenAttempts.get(job.runId) ?? 0) + 1);
    throw new Error('the disk is on fire');
  });
  platform.queue.define(HELD, async (job) => {
    await new Promise<void>((release) => held.set(job.runId, release));
    await job.progress(0.9, { done: 9 });
    return { released: true };
  });
  await platform.startJobs({ work: true });
  await app.ready();
  ctx = { app, platform };
});

afterAll(async () => {
  await ctx?.app.close();
  await ctx?.platform.close();
});

function enqueue<P extends object>(t: TenantFixture, kind: JobKind<P>, payload: NoInfer<P>): Promise<string> {
  return inTenant(ctx.platform.database.db, { tenantId: t.tenantId, userId: t.owner.userId }, (tx) =>
    ctx.platform.queue.enqueue(tx, { tenantId: t.tenantId, kind, payload, createdBy: t.owner.userId }),
  );
}

async function getJob(t: TenantFixture, id: string): Promise<JobBody> {
  const res = await t.as(t.owner, { method: 'GET', url: `/api/v1/jobs/${id}` });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

/** Polls the job-status API until the job finishes; gives up after 30 s. */
async function finished(t: TenantFixture, id: string): Promise<JobBody> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const job = await getJob(t, id);
    if (FINAL.has(job.state)) return job;
    if (Date.now() > deadline) throw new Error(`job ${id} still ${job.state} after 30 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('background jobs', () => {
  it('runs a job to completion with progress, counts, result and times', async () => {
    const t = await newTenant(ctx);
    const id = await enqueue(t, COUNT, { n: 5 });
    const queued = await getJob(t, id);
    expect(queued).toEqual(
      expect.objectContaining({ id, kind: 'test.count', created_by: t.owner.userId, error: null }),
    );
    expect(['queued', 'running', 'completed']).toContain(queued.state);

    const done = await finished(t, id);
    expect(done).toEqual(
      expect.objectContaining({
        state: 'completed',
        progress: 1,
        counts: { done: 5 },
        result: { total: 5 },
        error: null,
        attempts: 1,
      }),
    );
    expect(reported.get(id)).toEqual([1, 2, 3, 4, 5]);
    const created = Date.parse(done.created_at);
    const started = Date.parse(done.started_at!);
    const ended = Date.parse(done.finished_at!);
    expect(started).toBeGreaterThanOrEqual(created);
    expect(ended).toBeGreaterThanOrEqual(started);
    expect(Date.parse(done.updated_at)).toBeGreaterThanOrEqual(ended);
  });

  it('a job whose transaction rolls back never runs', async () => {
    const t = await newTenant(ctx);
    let runId: string | undefined;
    await expect(
      inTenant(ctx.platform.database.db, { tenantId: t.tenantId, userId: t.owner.userId }, async (tx) => {
        runId = await ctx.platform.queue.enqueue(tx, {
          tenantId: t.tenantId,
          kind: COUNT,
          payload: { n: 1 },
          createdBy: t.owner.userId,
        });
        throw new Error('the request failed after enqueueing');
      }),
    ).rejects.toThrow('the request failed');
    expect(runId).toEqual(expect.any(String));
    const missing = await t.as(t.owner, { method: 'GET', url: `/api/v1/jobs/${runId}` });
    expect(missing.statusCode).toBe(404);
    // A later job of the same kind runs and finishes, so the rolled-back one would have too.
    const later = await enqueue(t, COUNT, { n: 1 });
    expect((await finished(t, later)).state).toBe('completed');
    expect(reported.has(runId!)).toBe(false);
    const { rows } = await ctx.platform.database.raw.query(
      `select count(*)::int as n from pgboss.job where data->>'runId' = $1`,
      [runId],
    );
    expect(rows[0]?.n).toBe(0);
  });

  it("fails a job at once, without retries, when the handler says the input is the client's fault", async () => {
    const t = await newTenant(ctx);
    const id = await enqueue(t, REFUSE, { reason: 'no header row' });
    const done = await finished(t, id);
    expect(done).toEqual(
      expect.objectContaining({
        state: 'failed',
        attempts: 1,
        error: 'The input is unusable: no header row.',
        result: { line: 7, code: 'http.bad_request', params: {} },
        progress: 0.5,
        counts: { done: 1 },
      }),
    );
    expect(done.finished_at).not.toBeNull();
  });

  it('retries a job that failed for a reason of its own, and then completes it', async () => {
    const t = await newTenant(ctx);
    const id = await enqueue(t, FLAKY, {});
    const done = await finished(t, id);
    expect(done).toEqual(
      expect.objectContaining({ state: 'completed', attempts: 2, result: { attempt: 2 }, error: null }),
    );
    expect(flakyAttempts.get(id)).toBe(2);
  });

  it('fails a job for good once its retries are spent', async () => {
    const t = await newTenant(ctx);
    const id = await enqueue(t, BROKEN, {});
    const done = await finished(t, id);
    expect(done).toEqual(
      expect.objectContaining({ state: 'failed', attempts: 2, error: 'the disk is on fire', result: null }),
    );
    expect(done.finished_at).not.toBeNull();
    expect(brokenAttempts.get(id)).toBe(2);
  });

  it('is visible only in its own tenant, and lists with kind and state filters', async () => {
    const a = await newTenant(ctx);
    const b = await newTenant(ctx);
    const counted = await enqueue(a, COUNT, { n: 2 });
    const refused = await enqueue(a, REFUSE, { reason: 'empty' });
    await finished(a, counted);
    await finished(a, refused);
    const theirs = await enqueue(b, COUNT, { n: 1 });
    await finished(b, theirs);

    const fromB = await b.as(b.owner, { method: 'GET', url: `/api/v1/jobs/${counted}` });
    expect(fromB.statusCode).toBe(404);
    expect(fromB.headers['content-type']).toContain('application/problem+json');
    const fromA = await a.as(a.owner, { method: 'GET', url: `/api/v1/jobs/${theirs}` });
    expect(fromA.statusCode).toBe(404);

    const list = async (t: TenantFixture, query: string) => {
      const res = await t.as(t.owner, { method: 'GET', url: `/api/v1/jobs${query}` });
      expect(res.statusCode, res.body).toBe(200);
      return (res.json().items as JobBody[]).map((j) => j.id);
    };
    expect(await list(a, '')).toEqual([refused, counted]);
    expect(await list(b, '')).toEqual([theirs]);
    expect(await list(a, '?kind=test.count')).toEqual([counted]);
    expect(await list(a, '?state=failed')).toEqual([refused]);
    expect(await list(a, '?state=completed&kind=test.count')).toEqual([counted]);
    expect(await list(a, '?state=running')).toEqual([]);
    expect(await list(a, '?kind=nothing')).toEqual([]);
    const first = await a.as(a.owner, { method: 'GET', url: '/api/v1/jobs?limit=1' });
    expect(first.json().items.map((j: JobBody) => j.id)).toEqual([refused]);
    const second = await a.as(a.owner, {
      method: 'GET',
      url: `/api/v1/jobs?limit=1&cursor=${first.json().next_cursor}`,
    });
    expect(second.json()).toEqual({ items: [expect.objectContaining({ id: counted })], next_cursor: null });

    // jobs:read_all (managers, admins) sees the tenant's jobs; jobs:read alone only one's own.
    const manager = await a.member(['manager'], 'Manager');
    expect((await a.as(manager, { method: 'GET', url: `/api/v1/jobs/${counted}` })).statusCode).toBe(200);
    const annotator = await a.member(['annotator'], 'Annotator');
    expect((await a.as(annotator, { method: 'GET', url: `/api/v1/jobs/${counted}` })).statusCode).toBe(404);
    const own = await a.as(annotator, { method: 'GET', url: '/api/v1/jobs' });
    expect(own.json().items).toEqual([]);
    const mine = await inTenant(ctx.platform.database.db, { tenantId: a.tenantId }, (tx) =>
      ctx.platform.queue.enqueue(tx, {
        tenantId: a.tenantId,
        kind: COUNT,
        payload: { n: 1 },
        createdBy: annotator.userId,
      }),
    );
    const listed = await a.as(annotator, { method: 'GET', url: '/api/v1/jobs' });
    expect(listed.json().items.map((j: JobBody) => j.id)).toEqual([mine]);
    expect((await a.as(annotator, { method: 'GET', url: `/api/v1/jobs/${mine}` })).statusCode).toBe(200);
    const nobody = await a.member([], 'Nobody');
    expect((await a.as(nobody, { method: 'GET', url: '/api/v1/jobs' })).statusCode).toBe(403);
  });

  it('answers 404 for an unknown id and 400 for malformed input', async () => {
    const t = await newTenant(ctx);
    const unknown = await t.as(t.owner, { method: 'GET', url: `/api/v1/jobs/${randomUUID()}` });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.headers['content-type']).toContain('application/problem+json');
    const notUuid = await t.as(t.owner, { method: 'GET', url: '/api/v1/jobs/not-a-uuid' });
    expect(notUuid.statusCode).toBe(400);
    expect(notUuid.json().errors[0].path).toMatch(/^params\/id/);
    for (const bad of ['state=exploded', 'limit=0', 'limit=5000', 'cursor=garbage']) {
      const res = await t.as(t.owner, { method: 'GET', url: `/api/v1/jobs?${bad}` });
      expect(res.statusCode, bad).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
  });

  it('a job kind is defined once: every module defining its kinds again fails the start', () => {
    const fresh = {
      ...ctx.platform,
      queue: new JobQueue(ctx.platform.database, ctx.platform.log),
      events: new DomainEvents(),
    };
    wireModules(fresh);
    expect(() => wireModules(fresh)).toThrow(/^job kind [\w.]+ is defined twice$/);
    const queue = new JobQueue(ctx.platform.database, ctx.platform.log);
    queue.define(COUNT, async () => undefined);
    expect(() => queue.define(jobKind<{ other: string }>('test.count'), async () => undefined)).toThrow(
      'job kind test.count is defined twice',
    );
  });

  it('an enqueue of a kind no module defined fails, and nothing is recorded', async () => {
    const t = await newTenant(ctx);
    const nobody = jobKind<{ n: number }>('test.nobody');
    await expect(enqueue(t, nobody, { n: 1 })).rejects.toThrow('job kind test.nobody is not defined');
    const list = await t.as(t.owner, { method: 'GET', url: '/api/v1/jobs?kind=test.nobody' });
    expect(list.json().items).toEqual([]);
    // The payload is checked against the kind at compile time, at both ends.
    const typed = () => {
      // @ts-expect-error n must be a number
      void enqueue(t, COUNT, { n: 'five' });
      // @ts-expect-error the payload has no such field
      ctx.platform.queue.define(COUNT, async (job) => ({ x: job.payload.missing }));
    };
    expect(typed).toBeTypeOf('function');
  });

  it('a run whose worker stopped heartbeating is failed with the reason, and its late finish changes nothing', async () => {
    const t = await newTenant(ctx);
    const id = await enqueue(t, HELD, {});
    while (!held.has(id)) await new Promise((r) => setTimeout(r, 50));
    expect((await getJob(t, id)).state).toBe('running');
    // As if the worker had been gone for an hour: its heartbeat stopped then.
    await ctx.platform.database.raw.query(
      `update job_runs set heartbeat_at = now() - interval '1 hour' where id = $1`,
      [id],
    );
    // The process working the run never declares it dead itself.
    expect(await ctx.platform.queue.sweep()).not.toContain(id);
    expect((await getJob(t, id)).state).toBe('running');
    // Another working process does.
    const other = new JobQueue(ctx.platform.database, ctx.platform.log);
    expect(await other.sweep()).toContain(id);
    const swept = await getJob(t, id);
    expect(swept).toEqual(expect.objectContaining({ state: 'failed', error: WORKER_STOPPED }));
    expect(swept.finished_at).not.toBeNull();
    // The attempt was only cut off; when it finishes, the failed run stays as the sweeper left it.
    held.get(id)!();
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const { rows } = await ctx.platform.database.raw.query(
        `select count(*)::int as n from pgboss.job where data->>'runId' = $1 and state = 'completed'`,
        [id],
      );
      if (rows[0]?.n === 1) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await getJob(t, id)).toEqual({ ...swept, updated_at: expect.any(String) });
    const after = await getJob(t, id);
    expect(after).toEqual(
      expect.objectContaining({ state: 'failed', error: WORKER_STOPPED, progress: swept.progress }),
    );
  });
});
