import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestContext, testEnv } from './helpers.ts';

async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

describe('Redis stopped', () => {
  let redis: ChildProcess | undefined;
  let ctx: TestContext;

  beforeAll(async () => {
    const port = await freePort();
    redis = spawn(
      '/usr/bin/redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: 'ignore',
      },
    );
    ctx = await startTestApp(
      testEnv({ REDIS_URL: `redis://127.0.0.1:${port}`, AUTH_RATE_LIMIT_PER_MINUTE: '5' }),
    );
    for (let i = 0; i < 50 && ctx.platform.kv.redis?.status !== 'ready'; i++) await sleep(100);
  });
  afterAll(async () => {
    await ctx?.app.close();
    await ctx?.platform.close();
    if (redis && redis.exitCode === null) redis.kill('SIGKILL');
  });

  it('keeps rate-limiting sign-in with in-process counters, and says so', async () => {
    const signIn = (ip: string) =>
      ctx.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        remoteAddress: ip,
        payload: { email: 'nobody@nowhere.test', password: 'not-the-password' },
      });
    await ctx.platform.sampler.tick();
    const before = ctx.platform.sampler.service('rate_limits');
    expect(before).toMatchObject({ status: 'up', details: { store: 'redis' } });
    const upStatuses = [];
    for (let i = 0; i < 7; i++) upStatuses.push((await signIn('10.9.0.1')).statusCode);
    expect(upStatuses.slice(-1)).toEqual([429]);

    const exited = once(redis!, 'exit');
    redis!.kill('SIGKILL');
    await exited;
    for (let i = 0; i < 50 && ctx.platform.kv.redis?.status === 'ready'; i++) await sleep(100);
    const statuses = [];
    for (let i = 0; i < 7; i++) statuses.push((await signIn('10.9.0.2')).statusCode);
    expect(statuses.slice(0, 5).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(5)).toEqual([429, 429]);

    await ctx.platform.sampler.tick();
    const services = (await ctx.app.inject({ method: 'GET', url: '/system/services' })).json();
    expect(services.services).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'redis', status: 'down' }),
        expect.objectContaining({
          name: 'rate_limits',
          details: expect.objectContaining({ store: 'in-process' }),
        }),
      ]),
    );
  });
});
