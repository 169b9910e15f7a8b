import { timingSafeEqual } from 'node:crypto';
import net from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { forbidden } from '../errors/problem.ts';
import { parseCidrs } from './outbound.ts';

const RESTRICTED = /^\/(system\/|metrics(\?|$))/;

/**
 * /system/* and /metrics carry no tenant data, but an operator may still keep them to the
 * monitoring: SYSTEM_ACCESS_TOKEN (sent as `Authorization: Bearer …`) and/or
 * SYSTEM_ALLOW_CIDRS (client addresses). With both set, either admits. /health stays open
 * for load balancers.
 */
export function restrictSystemEndpoints(
  app: FastifyInstance,
  token: string | undefined,
  allowCidrs: string,
): void {
  if (!token && !allowCidrs) return;
  const allowed = allowCidrs ? parseCidrs(allowCidrs) : undefined;
  const expected = token ? Buffer.from(`Bearer ${token}`) : undefined;
  const admits = (request: FastifyRequest) => {
    if (!RESTRICTED.test(request.url)) return true;
    if (allowed?.check(request.ip, net.isIP(request.ip) === 6 ? 'ipv6' : 'ipv4')) return true;
    const given = Buffer.from(request.headers.authorization ?? '');
    return Boolean(expected && given.length === expected.length && timingSafeEqual(given, expected));
  };
  app.addHook('onRequest', (request, _reply, done) => {
    if (admits(request)) done();
    else
      done(
        forbidden(
          'system.access_restricted',
          'The system endpoints are restricted (SYSTEM_ACCESS_TOKEN or SYSTEM_ALLOW_CIDRS).',
        ),
      );
  });
}
