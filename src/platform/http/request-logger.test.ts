import { Writable } from 'node:stream';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { requestLogger } from './request-logger.ts';

function appLogging(level: string) {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  const app = Fastify({
    loggerInstance: pino({ level }, sink) as FastifyBaseLogger,
    childLoggerFactory: requestLogger,
    genReqId: () => 'req-1',
  });
  app.get('/quiet', async (request) => {
    request.log.info('not at warn');
    request.log.debug({ detail: 1 }, 'not at warn either');
    return { ok: true };
  });
  app.get('/loud', async (request) => {
    request.log.warn({ detail: 2 }, 'something to see');
    request.log.child({ part: 'inner' }).error('from a child');
    return { ok: true };
  });
  app.get('/debug', { logLevel: 'debug' }, async (request) => {
    request.log.debug('this route logs debug');
    return { ok: true };
  });
  return { app, lines };
}

describe('request logger', () => {
  it('writes nothing below the level, and enabled lines with the request id', async () => {
    const { app, lines } = appLogging('warn');
    await app.inject({ method: 'GET', url: '/quiet' });
    expect(lines).toEqual([]);
    await app.inject({ method: 'GET', url: '/loud' });
    expect(lines).toMatchObject([
      { level: 40, reqId: 'req-1', detail: 2, msg: 'something to see' },
      { level: 50, reqId: 'req-1', part: 'inner', msg: 'from a child' },
    ]);
    await app.close();
  });

  it("keeps Fastify's request lines at info and a route's own level", async () => {
    const { app, lines } = appLogging('info');
    await app.inject({ method: 'GET', url: '/quiet' });
    expect(lines.map((l) => l.msg)).toEqual(['incoming request', 'not at warn', 'request completed']);
    expect(lines.every((l) => l.reqId === 'req-1')).toBe(true);
    lines.length = 0;
    await app.inject({ method: 'GET', url: '/debug' });
    expect(lines.map((l) => l.msg)).toContain('this route logs debug');
    await app.close();
  });
});
