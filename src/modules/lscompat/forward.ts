import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Response as LightMyRequestResponse } from 'light-my-request';
import { CSRF_HEADER } from '../../platform/auth/csrf.ts';
import { Problem } from '../../platform/errors/problem.ts';

/**
 * The adapter answers Label Studio's calls by making the matching /api/v1 call in-process
 * with the caller's own credentials and address: the same route checks the permission,
 * scopes the tenant, writes the audit row and announces the event, so nothing is done twice
 * or differently here. Only the shapes are translated.
 */
export async function forward(
  app: FastifyInstance,
  req: FastifyRequest,
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  url: string,
  payload?: unknown,
): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> = { 'x-request-id': req.id };
  for (const name of ['authorization', 'cookie', CSRF_HEADER, 'origin', 'sec-fetch-site']) {
    const value = req.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  return app.inject({
    method,
    url,
    headers,
    remoteAddress: req.ip,
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
  });
}

/**
 * The JSON of a successful forwarded call. Any other answer is raised again as the same
 * problem (status, detail, field errors, extensions), so the caller sees what /api/v1 said.
 */
export function okJson<T>(res: LightMyRequestResponse): T {
  if (res.statusCode < 300) return (res.statusCode === 204 ? null : res.json()) as T;
  let body: Record<string, unknown> = {};
  try {
    body = res.json();
  } catch {
    // Not JSON: the status alone says it.
  }
  const { detail, type: _type, status: _status, instance: _instance, ...extra } = body;
  throw new Problem(res.statusCode, typeof detail === 'string' ? detail : res.statusMessage, extra);
}

export function relay(reply: FastifyReply, res: LightMyRequestResponse): FastifyReply {
  const type = res.headers['content-type'];
  if (typeof type === 'string') reply.type(type);
  return reply.code(res.statusCode).send(res.rawPayload);
}
