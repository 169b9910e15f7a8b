import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newTenant, PASSWORD } from './fixtures.ts';
import { startTestApp, type TestContext, testEnv } from './helpers.ts';

const PG_BIN = fs.existsSync('/usr/lib/postgresql')
  ? path.join('/usr/lib/postgresql', fs.readdirSync('/usr/lib/postgresql').sort().at(-1)!, 'bin')
  : undefined;

async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

/** PostgreSQL refuses to run as root: as root, its tools run as the postgres user. */
function asPostgres(command: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
}

/** A PostgreSQL cluster of our own on a free port (never the machine's 5432), started and stoppable. */
async function privateCluster() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'si-pg-'));
  if (process.getuid?.() === 0) execFileSync('chown', ['postgres', dir]);
  const data = path.join(dir, 'data');
  const port = await freePort();
  const run = (tool: string, args: string[]) => {
    const [cmd, argv] = asPostgres(path.join(PG_BIN!, tool), args);
    execFileSync(cmd, argv, { stdio: 'pipe' });
  };
  run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8']);
  const start = () =>
    run('pg_ctl', [
      '-D',
      data,
      '-w',
      '-l',
      path.join(dir, 'log'),
      '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`,
      'start',
    ]);
  start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    // Immediate: the server ends at once, as a crash or a killed machine would.
    stop: () => run('pg_ctl', ['-D', data, '-w', '-m', 'immediate', 'stop']),
    start,
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

describe.skipIf(!PG_BIN)('PostgreSQL stopped', () => {
  let cluster: Awaited<ReturnType<typeof privateCluster>>;
  let ctx: TestContext;

  beforeAll(async () => {
    cluster = await privateCluster();
    ctx = await startTestApp(testEnv({ DATABASE_URL: cluster.url, REDIS_URL: '' }), { migrate: true });
  }, 120_000);
  afterAll(async () => {
    // Closing after an outage waited past the hook's 120 s once (CI, PGlite stage): bounded
    // here so the run goes on; the cluster is removed below either way. To look into.
    const bounded = (p: Promise<unknown> | undefined) =>
      Promise.race([p?.catch(() => {}), new Promise((r) => setTimeout(r, 20_000))]);
    await bounded(ctx?.app.close());
    await bounded(ctx?.platform.close());
    try {
      cluster?.stop();
    } catch {
      // already stopped
    }
    cluster?.remove();
  });

  it('answers every route 503 problem+json with Retry-After, and is not ready, until it is back', async () => {
    const t = await newTenant(ctx);
    const me = () => t.as(t.owner, { method: 'GET', url: '/api/v1/auth/me' });
    expect((await me()).statusCode).toBe(200);
    cluster.stop();
    // Each kind of route: authenticated read, write, public sign-in. (/auth/me may still be
    // answered from the principal cache, which needs no database.)
    const requests = [
      () => t.as(t.owner, { method: 'GET', url: '/api/v1/projects' }),
      () => t.as(t.owner, { method: 'PATCH', url: '/api/v1/tenant', payload: { name: 'x' } }),
      () =>
        ctx.app.inject({
          method: 'POST',
          url: '/api/v1/auth/login',
          payload: { email: t.owner.email, password: PASSWORD },
        }),
    ];
    for (const send of requests) {
      const res = await send();
      expect(res.statusCode, res.body).toBe(503);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      expect(res.body).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|postgres/);
    }
    await ctx.platform.sampler.tick();
    const ready = await ctx.app.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode).toBe(503);

    cluster.start();
    let back = 0;
    for (let i = 0; i < 50 && back !== 200; i++) {
      back = (await me()).statusCode;
      if (back !== 200) await sleep(200);
    }
    expect(back).toBe(200);
  });
});
