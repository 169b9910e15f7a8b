import type { Readable } from 'node:stream';
import { Type } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Response as LightMyRequestResponse } from 'light-my-request';
import { CSRF_HEADER } from '../../platform/auth/csrf.ts';
import { Problem, type ProblemCode } from '../../platform/errors/problem.ts';

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface ForwardOptions {
  /** The body's own type (a multipart upload), when it is not JSON. */
  contentType?: string;
  /** The answer as a stream (`res.stream()`), for files too large to hold. */
  asStream?: boolean;
}

/**
 * The adapter answers Label Studio's calls by making the matching /api/v1 call in-process
 * with the caller's own credentials and address: the same route checks the permission,
 * scopes the tenant, writes the audit row and announces the event, so nothing is done twice
 * or differently here. Only the shapes are translated.
 */
export async function forward(
  app: FastifyInstance,
  req: FastifyRequest,
  method: Method,
  url: string,
  payload?: unknown,
  options: ForwardOptions = {},
): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> = { 'x-request-id': req.id };
  for (const name of ['authorization', 'cookie', CSRF_HEADER, 'origin', 'sec-fetch-site']) {
    const value = req.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  if (options.contentType) headers['content-type'] = options.contentType;
  return app.inject({
    method,
    url,
    headers,
    remoteAddress: req.ip,
    ...(options.asStream ? { payloadAsStream: true } : {}),
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> | Readable }),
  });
}

/** The /api/v1 forwarder of one app: `v1(req, 'GET', '/projects/1')`. */
export const v1Of =
  (app: FastifyInstance) =>
  (req: FastifyRequest, method: Method, url: string, body?: unknown, options?: ForwardOptions) =>
    forward(app, req, method, `/api/v1${url}`, body, options);
export type V1 = ReturnType<typeof v1Of>;

function problemOf(statusCode: number, statusMessage: string, text: string): Problem {
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: the status alone says it.
  }
  const { detail, code, type: _type, status: _status, instance: _instance, ...extra } = body;
  // The answer of our own /api/v1: its code is one of ours; a body without one is the status's.
  return new Problem(
    statusCode,
    typeof code === 'string' ? (code as ProblemCode) : 'http.client_error',
    typeof detail === 'string' ? detail : statusMessage,
    extra,
  );
}

/**
 * The JSON of a successful forwarded call. Any other answer is raised again as the same
 * problem (status, detail, field errors, extensions), so the caller sees what /api/v1 said.
 */
export function okJson<T>(res: LightMyRequestResponse): T {
  if (res.statusCode < 300) return (res.statusCode === 204 ? null : res.json()) as T;
  throw problemOf(res.statusCode, res.statusMessage, res.payload);
}

/** The body stream of a successful call made with `asStream`; a refusal is raised as its problem. */
export async function okStream(res: LightMyRequestResponse): Promise<Readable> {
  const stream = res.stream();
  if (res.statusCode < 300) return stream;
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  throw problemOf(res.statusCode, res.statusMessage, Buffer.concat(chunks).toString('utf8'));
}

export function relay(reply: FastifyReply, res: LightMyRequestResponse): FastifyReply {
  const type = res.headers['content-type'];
  if (typeof type === 'string') reply.type(type);
  return reply.code(res.statusCode).send(res.rawPayload);
}

/** A forwarded file (made with `asStream`) passed on as it streams, with its type and name. */
export async function relayFile(reply: FastifyReply, res: LightMyRequestResponse): Promise<FastifyReply> {
  const stream = await okStream(res);
  for (const name of ['content-type', 'content-disposition', 'content-length']) {
    const value = res.headers[name];
    if (typeof value === 'string') reply.header(name, value);
  }
  return reply.code(res.statusCode).send(stream);
}

/** Label Studio's paths end in a slash; its clients send some without. Both are served. */
export const both = (path: string) => [path, path.endsWith('/') ? path.slice(0, -1) : `${path}/`];

export const Id = Type.Integer({ minimum: 1 });
export const IdParams = Type.Object({ id: Id });
// Forwarded calls write their own audit rows (the /api/v1 route they reach); the adapter adds none.
export const FORWARDED = { audit: false } as const;
