import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest, type FieldError, type Problem } from '../errors/problem.ts';

/** Deeper JSON is refused at parse: storing or walking it would overflow the stack. */
export const MAX_JSON_DEPTH = 64;
/** Keys one JSON object may hold (an import's tasks are many objects, each with few keys). */
export const MAX_JSON_KEYS = 10_000;

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the JSON parser when the raw text had no NUL or surrogate escape: no need to walk the body. */
    bodyIsStorable?: boolean;
  }
}

const RISKY_ESCAPE = /^(0000|[dD][89a-fA-F]..)$/;

interface Scan {
  /** A `\u0000` or a `\uD800`–`\uDFFF` escape: only those can put what PostgreSQL refuses in a string. */
  riskyEscape: boolean;
}

/**
 * One pass over the raw text, outside strings counting nesting and each object's keys
 * (a key is a string followed by ':'), inside strings noticing risky escapes. Throws a 400 when
 * a limit is passed, before JSON.parse builds anything.
 */
export function scanJson(text: string): Scan {
  const keys: number[] = [];
  let depth = 0;
  let riskyEscape = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      for (i++; i < text.length; i++) {
        const s = text.charCodeAt(i);
        if (s === 0x22) break;
        if (s === 0x5c /* \ */) {
          if (text.charCodeAt(i + 1) === 0x75 /* u */ && RISKY_ESCAPE.test(text.slice(i + 2, i + 6)))
            riskyEscape = true;
          i++;
        }
      }
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      depth++;
      if (depth > MAX_JSON_DEPTH)
        throw badRequest(
          'request.json_too_deep',
          `The JSON body is nested deeper than ${MAX_JSON_DEPTH} levels.`,
          [{ path: 'body', message: `must be nested at most ${MAX_JSON_DEPTH} levels deep` }],
          { max: MAX_JSON_DEPTH },
        );
      keys.push(0);
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
      keys.pop();
    } else if (c === 0x3a /* : */ && keys.length) {
      const n = (keys[keys.length - 1] ?? 0) + 1;
      keys[keys.length - 1] = n;
      if (n > MAX_JSON_KEYS)
        throw badRequest(
          'request.json_too_many_keys',
          `A JSON object in the body has more than ${MAX_JSON_KEYS} keys.`,
          [{ path: 'body', message: `objects must have at most ${MAX_JSON_KEYS} keys` }],
          { max: MAX_JSON_KEYS },
        );
    }
  }
  return { riskyEscape };
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why PostgreSQL could not store this string, or undefined when it can. */
function unstorable(s: string): string | undefined {
  if (s.includes('\u0000')) return 'must not contain NUL characters (U+0000)';
  if (LONE_SURROGATE.test(s)) return 'must not contain unpaired UTF-16 surrogates';
  return undefined;
}

/** The first string (value or key) under `value` PostgreSQL cannot store, as a field error. */
export function findUnstorable(value: unknown, path: string, depth = 0): FieldError | undefined {
  if (typeof value === 'string') {
    const message = unstorable(value);
    return message ? { path, message } : undefined;
  }
  if (value === null || typeof value !== 'object' || depth > MAX_JSON_DEPTH) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findUnstorable(value[i], `${path}/${i}`, depth + 1);
      if (found) return found;
    }
    return undefined;
  }
  // Buffers and streams (file uploads) are their route's to check.
  if (Buffer.isBuffer(value) || typeof (value as { pipe?: unknown }).pipe === 'function') return undefined;
  for (const [key, v] of Object.entries(value)) {
    const keyProblem = unstorable(key);
    if (keyProblem) return { path: `${path}/${key.replace(/\0/g, '\\u0000')}`, message: `key ${keyProblem}` };
    const found = findUnstorable(v, `${path}/${key}`, depth + 1);
    if (found) return found;
  }
  return undefined;
}

function refuseUnstorable(request: FastifyRequest): void {
  const found =
    findUnstorable(request.params, 'params') ??
    findUnstorable(request.query, 'querystring') ??
    (request.bodyIsStorable ? undefined : findUnstorable(request.body, 'body'));
  if (found)
    throw badRequest('request.unstorable_value', 'The request holds a value the database cannot store.', [
      found,
    ]);
}

/**
 * Edge checks for every route: JSON bodies within depth and key limits (at parse), and no
 * value anywhere in the params, query or body that PostgreSQL cannot store (NUL, unpaired
 * surrogates), refused with the field named before any handler or audit row sees it.
 */
export function registerInputChecks(app: FastifyInstance): void {
  app.decorateRequest('bodyIsStorable', false);
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    let scan: Scan;
    try {
      scan = scanJson(text);
    } catch (err) {
      done(err as Problem, undefined);
      return;
    }
    request.bodyIsStorable = !scan.riskyEscape;
    parseJson(request, text, done);
  });
  app.addHook('preValidation', (request, _reply, done) => {
    refuseUnstorable(request);
    done();
  });
}
