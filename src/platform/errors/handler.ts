import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type FieldError, Problem } from './problem.ts';

interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  request_id: string;
  errors?: FieldError[];
  [key: string]: unknown;
}

// PostgreSQL SQLSTATEs that mean the client sent something the data cannot hold.
const PG_CLIENT_ERRORS: Record<string, [number, string]> = {
  '23505': [409, 'A record with the same unique value already exists.'],
  '23503': [409, 'The record refers to, or is referred to by, another record.'],
  '23514': [400, 'A value is outside what the field allows.'],
  '23502': [400, 'A required value is missing.'],
  '22P02': [400, 'A value has the wrong format.'],
  '22001': [400, 'A value is too long.'],
  '22003': [400, 'A number is out of range.'],
  '22007': [400, 'A date or time has the wrong format.'],
  '22008': [400, 'A date or time is out of range.'],
  '42501': [403, 'The database refused this operation for your tenant.'],
};

function pgCode(err: unknown): string | undefined {
  // drizzle wraps driver errors; the SQLSTATE sits on the cause.
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; depth++) {
    if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) return e.code;
    e = e.cause as typeof e;
  }
  return undefined;
}

function validationErrors(err: FastifyError): FieldError[] {
  return (err.validation ?? []).map((v) => {
    const params = v.params as Record<string, unknown>;
    const base = v.instancePath || '';
    const extra = typeof params?.missingProperty === 'string' ? `/${params.missingProperty}` : '';
    const field = typeof params?.additionalProperty === 'string' ? `/${params.additionalProperty}` : extra;
    return { path: `${err.validationContext ?? 'body'}${base}${field}`, message: v.message ?? 'is invalid' };
  });
}

export function toProblem(err: unknown): Problem {
  if (err instanceof Problem) return err;
  const fe = err as FastifyError;
  if (fe.validation)
    return new Problem(400, 'The request does not match the schema.', { errors: validationErrors(fe) });
  const code = pgCode(err);
  // The session was ended under the request (PGlite's thread restarted, a server shutting down).
  if (code === '57P01')
    return new Problem(503, 'The database is restarting; try again shortly.', { retryAfter: 1 });
  if (code && PG_CLIENT_ERRORS[code]) {
    const [status, detail] = PG_CLIENT_ERRORS[code];
    return new Problem(status, detail);
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    // Fastify's own client errors: bad JSON, body too large, unsupported media type...
    return new Problem(fe.statusCode, fe.message);
  }
  return new Problem(500, 'An unexpected error occurred. The request id identifies it in the logs.');
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, problem: Problem): FastifyReply {
  const { title: _t, type, errors, ...rest } = problem.extra;
  const body: ProblemBody = {
    type: type ?? 'about:blank',
    title: problem.title ?? STATUS_CODES[problem.status] ?? 'Error',
    status: problem.status,
    detail: problem.detail,
    instance: request.url,
    request_id: String(request.id),
    ...rest,
  };
  if (errors?.length) body.errors = errors;
  if (typeof rest.retryAfter === 'number') reply.header('retry-after', String(rest.retryAfter));
  return reply.code(problem.status).type('application/problem+json').serializer(JSON.stringify).send(body);
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err, request, reply) => {
    const problem = toProblem(err);
    if (problem.status >= 500) request.log.error({ err }, 'request failed');
    return sendProblem(request, reply, problem);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(request, reply, new Problem(404, `No route ${request.method} ${request.url.split('?')[0]}.`)),
  );
}
