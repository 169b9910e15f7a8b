import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ProblemCode } from './codes.ts';
import { type FieldError, Problem, type ProblemParams } from './problem.ts';

interface ProblemBody {
  type: string;
  title: string;
  status: number;
  code: string;
  params: ProblemParams;
  detail: string;
  instance: string;
  request_id: string;
  errors?: FieldError[];
  [key: string]: unknown;
}

// PostgreSQL SQLSTATEs that mean the client sent something the data cannot hold.
const PG_CLIENT_ERRORS: Record<string, [number, ProblemCode, string]> = {
  '23505': [409, 'db.unique_violation', 'A record with the same unique value already exists.'],
  '23503': [409, 'db.foreign_key_violation', 'The record refers to, or is referred to by, another record.'],
  '23P01': [409, 'db.exclusion_violation', 'The record overlaps another record.'],
  '23514': [400, 'db.check_violation', 'A value is outside what the field allows.'],
  '23502': [400, 'db.not_null_violation', 'A required value is missing.'],
  '22P02': [400, 'db.invalid_text_representation', 'A value has the wrong format.'],
  '22001': [400, 'db.string_too_long', 'A value is too long.'],
  '22003': [400, 'db.numeric_out_of_range', 'A number is out of range.'],
  '22007': [400, 'db.invalid_datetime_format', 'A date or time has the wrong format.'],
  '22008': [400, 'db.datetime_out_of_range', 'A date or time is out of range.'],
  '22021': [400, 'db.character_not_storable', 'A value holds a character the database cannot store.'],
  '22P05': [400, 'db.character_not_storable', 'A value holds a character the database cannot store.'],
  '42501': [403, 'db.insufficient_privilege', 'The database refused this operation for your tenant.'],
};

/**
 * Whole SQLSTATE classes that are the data's fault, not the server's: 22 data exception,
 * 23 integrity constraint violation, 54 program limit exceeded (a value or statement too
 * large or too complex). A code without its own entry above gets its class's answer.
 */
const PG_CLIENT_CLASSES: Record<string, [number, ProblemCode, string]> = {
  '22': [400, 'db.data_exception', 'A value is not valid for the field it is stored in.'],
  '23': [400, 'db.integrity_violation', 'The request conflicts with a rule of the data.'],
  '54': [400, 'db.limit_exceeded', 'A value or the request is too large or too complex to store.'],
};

/** Fastify's own client errors (bad JSON, body too large, wrong media type...) by status. */
const HTTP_CLIENT_ERRORS: Record<number, ProblemCode> = {
  400: 'http.bad_request',
  404: 'http.not_found',
  405: 'http.method_not_allowed',
  406: 'http.not_acceptable',
  413: 'http.payload_too_large',
  415: 'http.unsupported_media_type',
  429: 'http.too_many_requests',
};

/**
 * SQLSTATEs and socket errors that mean the database is unreachable or going away:
 * 08 connection exception, 57P01–57P03 shutdown / cannot connect now, 53300 too many
 * connections. These are answered 503 with Retry-After, never 500.
 */
const PG_UNAVAILABLE_CODES = new Set(['57P01', '57P02', '57P03', '53300']);
const SOCKET_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
]);
// pg's own messages for a connection it lost or could not get from the pool.
const PG_CONNECTION_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection refused/i;
const RETRY_AFTER_SECONDS = 5;

function errorChain(err: unknown): { code?: unknown; message?: unknown; cause?: unknown }[] {
  const chain = [];
  for (
    let e = err as { code?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0;
    e && depth < 4;
    depth++
  ) {
    chain.push(e);
    e = e.cause as typeof e;
  }
  return chain;
}

/** The database could not be reached or ended the session: answer 503, not 500. */
export function isDatabaseUnavailable(err: unknown): boolean {
  return errorChain(err).some(
    (e) =>
      (typeof e.code === 'string' &&
        (PG_UNAVAILABLE_CODES.has(e.code) || e.code.startsWith('08') || SOCKET_ERRORS.has(e.code))) ||
      (typeof e.message === 'string' && PG_CONNECTION_MESSAGES.test(e.message)) ||
      // Several addresses tried (localhost as ::1 and 127.0.0.1): Node reports them together.
      (e instanceof AggregateError && e.errors.some((x) => isDatabaseUnavailable(x))),
  );
}

function pgCode(err: unknown): string | undefined {
  // drizzle wraps driver errors; the SQLSTATE sits on the cause.
  for (const e of errorChain(err)) {
    if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) return e.code;
  }
  return undefined;
}

/** ajv's params that name values (limit, allowedValues...), as plain values the console can show. */
function plainParams(params: Record<string, unknown> | undefined): ProblemParams {
  const out: ProblemParams = {};
  for (const [k, v] of Object.entries(params ?? {})) {
    if (v === null || ['string', 'number', 'boolean'].includes(typeof v))
      out[k] = v as string | number | boolean;
    else if (Array.isArray(v)) out[k] = v.map(String).join(', ');
  }
  return out;
}

function validationErrors(err: FastifyError): FieldError[] {
  return (err.validation ?? []).map((v) => {
    const params = v.params as Record<string, unknown>;
    const base = v.instancePath || '';
    const extra = typeof params?.missingProperty === 'string' ? `/${params.missingProperty}` : '';
    const field = typeof params?.additionalProperty === 'string' ? `/${params.additionalProperty}` : extra;
    return {
      path: `${err.validationContext ?? 'body'}${base}${field}`,
      message: v.message ?? 'is invalid',
      code: v.keyword,
      params: plainParams(params),
    };
  });
}

export function toProblem(err: unknown): Problem {
  if (err instanceof Problem) return err;
  const fe = err as FastifyError;
  if (fe.validation)
    return new Problem(400, 'request.schema', 'The request does not match the schema.', {
      errors: validationErrors(fe),
    });
  const code = pgCode(err);
  // The session was ended under the request (PGlite's thread restarted, a server shutting down).
  if (code === '57P01')
    return new Problem(503, 'db.restarting', 'The database is restarting; try again shortly.', {
      retryAfter: 1,
    });
  if (isDatabaseUnavailable(err))
    return new Problem(503, 'db.unavailable', 'The database is unavailable; try again shortly.', {
      retryAfter: RETRY_AFTER_SECONDS,
    });
  const known = code && (PG_CLIENT_ERRORS[code] ?? PG_CLIENT_CLASSES[code.slice(0, 2)]);
  if (known) return new Problem(known[0], known[1], known[2], { params: { sqlstate: code } });
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    // Fastify's own client errors: bad JSON, body too large, unsupported media type...
    return new Problem(fe.statusCode, HTTP_CLIENT_ERRORS[fe.statusCode] ?? 'http.client_error', fe.message, {
      params: { status: fe.statusCode },
    });
  }
  return new Problem(
    500,
    'server.unexpected',
    'An unexpected error occurred. The request id identifies it in the logs.',
  );
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, problem: Problem): FastifyReply {
  const { title: _t, type, errors, params: _p, ...rest } = problem.extra;
  const body: ProblemBody = {
    type: type ?? 'about:blank',
    title: problem.title ?? STATUS_CODES[problem.status] ?? 'Error',
    status: problem.status,
    detail: problem.detail,
    instance: request.url,
    request_id: String(request.id),
    ...rest,
    code: problem.code,
    params: problem.params,
  };
  if (errors?.length) body.errors = errors;
  if (typeof rest.retryAfter === 'number') reply.header('retry-after', String(rest.retryAfter));
  return reply.code(problem.status).type('application/problem+json').serializer(JSON.stringify).send(body);
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err, request, reply) => {
    const problem = toProblem(err);
    // An unreachable database is the operator's alert (the readiness probe), not a bug per request.
    if (problem.status === 503)
      request.log.warn(
        { code: pgCode(err), detail: problem.detail },
        'request refused: database unavailable',
      );
    else if (problem.status >= 500) request.log.error({ err }, 'request failed');
    return sendProblem(request, reply, problem);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(
      request,
      reply,
      new Problem(404, 'http.no_route', `No route ${request.method} ${request.url.split('?')[0]}.`, {
        params: { method: request.method, path: request.url.split('?')[0]! },
      }),
    ),
  );
}
