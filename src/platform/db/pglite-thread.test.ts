import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEnv } from '../../../test/helpers.ts';
import { buildApp } from '../../app.ts';
import { loadConfig } from '../../config.ts';
import { wireModules } from '../../modules/index.ts';
import { type Platform, startPlatform } from '../index.ts';
import { DatabaseRestartedError, PgliteThread, ScopedPgliteClient } from './pglite-thread.ts';

// These tests are about the embedded driver, so they run on PGlite whatever the suite's driver.

/** Settles to 'pending' if `promise` has not settled within a few turns of the event loop. */
async function state(promise: Promise<unknown>): Promise<'pending' | 'done'> {
  let done = false;
  promise.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  await sleep(50);
  return done ? 'done' : 'pending';
}

describe('PGlite in its own thread', () => {
  let thread: PgliteThread;

  beforeAll(async () => {
    thread = await PgliteThread.open(undefined, { queryTimeoutMs: 0 });
    await thread.client().exec('create table t (id int primary key, note text)');
  });
  afterAll(() => thread.close());

  it('runs a scoped statement in its own transaction under the role and tenant, settings gone after', async () => {
    await thread.client().exec('create role scoped_reader; grant select, insert on t to scoped_reader');
    const scoped = new ScopedPgliteClient(thread.client(), ['scoped_reader', 'tenant-a', 'user-1']);
    const seen = await scoped.query<{ role: string; tenant: string; user: string }>(
      "select current_user as role, current_setting('app.tenant_id') as tenant, current_setting('app.user_id') as user",
    );
    expect(seen.rows[0]).toMatchObject({ role: 'scoped_reader', tenant: 'tenant-a', user: 'user-1' });
    // A write through it commits; a failing one rolls back and leaves no transaction open.
    await scoped.query("insert into t values (500, 'scoped')");
    expect((await scoped.query('insert into t values (500)').catch((e) => e)).code).toBe('23505');
    const after = await thread
      .client()
      .query<{ role: string; tenant: string | null; n: number }>(
        "select current_user as role, current_setting('app.tenant_id', true) as tenant, " +
          '(select count(*)::int from t where id = 500) as n',
      );
    expect(after.rows[0]?.role).not.toBe('scoped_reader');
    expect(after.rows[0]?.tenant ?? '').toBe('');
    expect(after.rows[0]?.n).toBe(1);
    expect(() => scoped.transaction()).toThrow(/single statements/);
  });

  it('keeps the driver surface: parameters, both row modes, caller parsers, errors with SQLSTATE', async () => {
    const client = thread.client();
    const objects = await client.query<{ n: number; at: unknown }>(
      'select $1::int + 1 as n, $2::timestamptz as at',
      [41, new Date('2026-01-02T03:04:05Z')],
    );
    expect(objects.rows[0]?.n).toBe(42);
    expect(objects.rows[0]?.at).toBeInstanceOf(Date);
    // A caller's parser (drizzle passes functions that keep timestamps as text) runs on this side.
    const arrays = await client.query<unknown[]>("select '2026-01-02 03:04:05+00'::timestamptz as at", [], {
      rowMode: 'array',
      parsers: { 1184: (v: string) => `text:${v}` },
    });
    expect(arrays.rows[0]?.[0]).toMatch(/^text:2026-01-02 03:04:05/);
    const err = await client.query('insert into t values (1), (1)').catch((e) => e);
    expect(err).toMatchObject({ code: '23505', constraint: 't_pkey' });
    const bytes = await client.query<{ b: Uint8Array }>('select $1::bytea as b', [Buffer.from([1, 2, 3])]);
    expect([...bytes.rows[0]!.b]).toEqual([1, 2, 3]);
  });

  it('runs requests in arrival order, and never interleaves another statement with an open transaction', async () => {
    const client = thread.client();
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    let begun!: () => void;
    const inside = new Promise<void>((r) => {
      begun = r;
    });
    const tx = client.transaction(async (t) => {
      await t.query("insert into t values (10, 'in a transaction')");
      begun();
      await held;
    });
    await inside;
    // Issued while the transaction is open: on one connection it would see the uncommitted row.
    const read = client.query<{ n: number }>('select count(*)::int as n from t where id = 10');
    expect(await state(read)).toBe('pending');
    release();
    await tx;
    expect((await read).rows[0]?.n).toBe(1);

    const order: number[] = [];
    await Promise.all(
      [1, 2, 3, 4, 5].map((i) => client.query(`select ${i} as i, pg_sleep(0.01)`).then(() => order.push(i))),
    );
    expect(order).toEqual([1, 2, 3, 4, 5]);
  });

  it('rolls a failed transaction back', async () => {
    const client = thread.client();
    await expect(
      client.transaction(async (t) => {
        await t.query("insert into t values (20, 'rolled back')");
        throw new Error('no');
      }),
    ).rejects.toThrow('no');
    expect(
      (await client.query<{ n: number }>('select count(*)::int as n from t where id = 20')).rows[0]?.n,
    ).toBe(0);
  });
});

describe('the platform on PGlite in a thread', () => {
  let platform: Platform;
  let app: FastifyInstance;
  let dataDir: string;

  beforeAll(async () => {
    const env = testEnv({ PGLITE_QUERY_TIMEOUT_MS: '4000' });
    delete env.DATABASE_URL;
    const config = loadConfig(env);
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'si-pglite-thread-'));
    platform = await startPlatform(config, pino({ level: 'silent' }), {
      pgliteDir: path.join(dataDir, 'pg'),
    });
    const database = platform.database;
    app = await buildApp(platform);
    // A route of this test's own, to run a statement of its choosing through a request.
    app.get('/test/sql', async (request) => {
      const { q } = request.query as { q: string };
      return (await database.raw.query(q)).rows;
    });
    wireModules(platform);
    await platform.startJobs({ work: true });
    await app.ready();
    await database.raw.exec('create table scratch (id int primary key)');
  });
  afterAll(async () => {
    await app?.close();
    await platform?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers /health while a 3 s query runs', async () => {
    const slow = app.inject({ method: 'GET', url: '/test/sql?q=select%20pg_sleep(3)' });
    await sleep(100);
    for (let i = 0; i < 5; i++) {
      const health = await app.inject({ method: 'GET', url: '/health' });
      expect(health.statusCode).toBe(200);
    }
    // The slow query is still running after /health answered five times.
    expect(await state(slow)).toBe('pending');
    expect((await slow).statusCode).toBe(200);
  });

  it('abandons a runaway query with 503 and Retry-After, and the next request succeeds', async () => {
    const before = platform.database.pglite!.restarts;
    const queued = platform.database.raw.query('select 1 as one');
    const runaway = await app.inject({ method: 'GET', url: '/test/sql?q=select%20pg_sleep(60)' });
    expect(runaway.statusCode).toBe(503);
    expect(runaway.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(runaway.headers['retry-after']).toBe('1');
    expect(platform.database.pglite!.restarts).toBe(before + 1);
    // A request queued before it ran first; one after it runs on the new thread.
    expect((await queued).rows[0]?.one).toBe(1);
    const next = await app.inject({ method: 'GET', url: '/test/sql?q=select%202%20as%20two' });
    expect(next.statusCode).toBe(200);
    expect(next.json()).toEqual([{ two: 2 }]);
  });

  it('leaves no partial write when the thread dies mid-transaction, reports it down, and recovers', async () => {
    const thread = platform.database.pglite!;
    let begun!: () => void;
    const inside = new Promise<void>((r) => {
      begun = r;
    });
    const tx = thread.client().transaction(async (t) => {
      await t.query('insert into scratch values (1)');
      begun();
      await sleep(200);
      await t.query('insert into scratch values (2)');
    });
    await inside;
    // This test reads the rounds it runs itself.
    platform.sampler.stop();
    await thread.terminate();
    await expect(tx).rejects.toBeInstanceOf(DatabaseRestartedError);
    // The sampler reports the database down for the round that saw the restart, then up.
    await platform.sampler.tick();
    expect(platform.sampler.service('database')?.status).toBe('down');
    expect((await app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(503);
    // Up again once the new thread has opened the data directory (a round may time out before).
    for (let i = 0; i < 30 && platform.sampler.service('database')?.status !== 'up'; i++) {
      await sleep(200);
      await platform.sampler.tick();
    }
    expect(platform.sampler.service('database')?.status).toBe('up');
    expect((await app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);
    const rows = await platform.database.raw.query('select count(*)::int as n from scratch');
    expect(rows.rows[0]?.n).toBe(0);
    // Committed work survives a restart: it is in the data directory.
    await platform.database.raw.query('insert into scratch values (3)');
    await thread.terminate();
    expect((await platform.database.raw.query('select id from scratch')).rows).toEqual([{ id: 3 }]);
    platform.sampler.start();
  });
});
