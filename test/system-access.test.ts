import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { registerErrorHandling } from '../src/platform/errors/handler.ts';
import { restrictSystemEndpoints } from '../src/platform/http/system-access.ts';

async function appWith(token: string | undefined, cidrs: string) {
  const app = Fastify();
  registerErrorHandling(app);
  restrictSystemEndpoints(app, token, cidrs);
  for (const url of ['/system/status', '/metrics', '/health']) app.get(url, async () => ({ ok: true }));
  await app.ready();
  return app;
}

describe('restricting /system/* and /metrics', () => {
  it('asks for the token when one is configured, and leaves /health open', async () => {
    const app = await appWith('s3cret-token', '');
    expect((await app.inject({ url: '/system/status' })).statusCode).toBe(403);
    expect(
      (await app.inject({ url: '/metrics', headers: { authorization: 'Bearer wrong' } })).statusCode,
    ).toBe(403);
    const ok = await app.inject({ url: '/metrics', headers: { authorization: 'Bearer s3cret-token' } });
    expect(ok.statusCode).toBe(200);
    expect((await app.inject({ url: '/health' })).statusCode).toBe(200);
    await app.close();
  });

  it('admits listed addresses without the token', async () => {
    const app = await appWith('s3cret-token', '10.1.0.0/16');
    expect((await app.inject({ url: '/system/status', remoteAddress: '10.1.2.3' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/system/status', remoteAddress: '10.2.0.1' })).statusCode).toBe(403);
    await app.close();
  });

  it('is open when neither is set, and a bad list names its variable', async () => {
    const app = await appWith(undefined, '');
    expect((await app.inject({ url: '/system/status' })).statusCode).toBe(200);
    await app.close();
    expect(() => loadConfig({ SYSTEM_ALLOW_CIDRS: 'nope' })).toThrow(/SYSTEM_ALLOW_CIDRS/);
  });
});
