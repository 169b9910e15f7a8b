import { randomUUID } from 'node:crypto';
import type { FastifyInstance, InjectOptions } from 'fastify';

/**
 * Sends malformed requests to every operation of an app's OpenAPI document and collects
 * each answer that is a 5xx or carries a stack trace. The requests are derived from the
 * documented schemas: a plausible request first (so that the bad values reach past the
 * first check), then one thing wrong at a time.
 */

type Schema = {
  type?: string | string[];
  format?: string;
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  minLength?: number;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
};

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  schema?: Schema;
}

interface Operation {
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema?: Schema }> };
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
}

export interface Failure {
  method: string;
  url: string;
  what: string;
  status: number;
  body: string;
}

export interface WalkOptions {
  /** Headers that sign the caller in. */
  headers: Record<string, string>;
  /** Real values for path parameters (by name, or `path param` for one path), so requests get past the 404. */
  pathValues?: (path: string, name: string) => string | undefined;
  /** Only operations whose path passes. */
  include?: (path: string, method: string) => boolean;
}

const STACK_FRAME = /\bat [^\n"]*:\d+:\d+|node_modules|\/src\/[\w/.-]+\.ts/;
const HUGE = 'x'.repeat(200_000);
const NUL = 'a\u0000b';
const CONTROL = 'a\u0001\u0008\u001f\u007fb';
const LONE_SURROGATE = 'a\ud800b';

function typeOf(schema: Schema): string | undefined {
  if (Array.isArray(schema.type)) return schema.type.find((t) => t !== 'null');
  return schema.type;
}

function pick(schema: Schema): Schema {
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives?.length) return pick(alternatives.find((s) => s.type !== 'null') ?? alternatives[0]!);
  if (schema.allOf?.length) return Object.assign({}, ...schema.allOf.map(pick));
  return schema;
}

/** A value the schema accepts, as far as a sketch can tell. */
export function sample(raw: Schema, depth = 0): unknown {
  const schema = pick(raw);
  if (schema.const !== undefined) return schema.const;
  if (schema.enum?.length) return schema.enum[0];
  switch (typeOf(schema)) {
    case 'string':
      if (schema.format === 'uuid') return randomUUID();
      if (schema.format === 'date-time') return new Date().toISOString();
      if (schema.format === 'date') return new Date().toISOString().slice(0, 10);
      if (schema.format === 'email') return `fuzz-${randomUUID().slice(0, 8)}@example.test`;
      return 'fuzz'.padEnd(schema.minLength ?? 4, 'z');
    case 'integer':
    case 'number':
      return Math.max(schema.minimum ?? 1, 1);
    case 'boolean':
      return true;
    case 'array':
      return depth > 6 || !schema.items ? [] : [sample(schema.items, depth + 1)];
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const name of schema.required ?? []) {
        const prop = schema.properties?.[name];
        if (prop && depth <= 6) out[name] = sample(prop, depth + 1);
      }
      return out;
    }
    default:
      return null;
  }
}

/** Values of every wrong kind for one field. */
function wrongValues(schema: Schema): [string, unknown][] {
  const t = typeOf(pick(schema));
  const values: [string, unknown][] = [
    ['NUL', NUL],
    ['control characters', CONTROL],
    ['a lone surrogate', LONE_SURROGATE],
    ['a huge string', HUGE],
    ['null', null],
    ['an object', { a: { b: NUL } }],
    ['an array', [NUL, 1, {}]],
  ];
  if (t !== 'boolean') values.push(['a boolean', true]);
  if (t === 'string' || t === undefined) values.push(['a huge number', 1e308], ['a negative number', -1]);
  if (t === 'integer' || t === 'number')
    values.push(['a fraction', 1.5], ['a huge integer', 1e20], ['a negative', -2147483649]);
  return values;
}

function nested(depth: number): unknown {
  let value: unknown = NUL;
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { a: value };
  return value;
}

interface Probe {
  what: string;
  url: string;
  options: Omit<InjectOptions, 'url' | 'method'>;
}

const INVALID_IDS = [
  'not-an-id',
  '%00',
  'a%00b',
  '-1',
  '0',
  '1.5',
  '99999999999999999999',
  HUGE.slice(0, 5000),
];

function probesFor(path: string, op: Operation, options: WalkOptions): Probe[] {
  const params = op.parameters ?? [];
  const pathParams = params.filter((p) => p.in === 'path');
  const query = params.filter((p) => p.in === 'query');
  const value = (p: Parameter) =>
    options.pathValues?.(path, p.name) ?? String(sample(p.schema ?? { type: 'string' }));
  const fill = (override?: [string, string]) =>
    path.replace(/\{(\w+)\}/g, (_m, name: string) =>
      override && override[0] === name
        ? override[1]
        : encodeURIComponent(value(pathParams.find((p) => p.name === name) ?? { name, in: 'path' })),
    );
  const url = fill();
  const probes: Probe[] = [];
  const json = (what: string, payload: unknown, u = url) =>
    probes.push({
      what,
      url: u,
      options: { headers: { 'content-type': 'application/json' }, payload: JSON.stringify(payload) },
    });

  for (const p of pathParams)
    for (const bad of INVALID_IDS)
      probes.push({ what: `path ${p.name}=${bad.slice(0, 20)}`, url: fill([p.name, bad]), options: {} });

  const q = (pairs: string) => `${url}${url.includes('?') ? '&' : '?'}${pairs}`;
  probes.push({ what: 'an unknown query parameter with NUL', url: q('zz=a%00b'), options: {} });
  probes.push({ what: 'a broken percent escape', url: q('zz=%E0%A4%A'), options: {} });
  for (const p of query) {
    for (const [label, bad] of [
      ['NUL', 'a%00b'],
      ['control characters', 'a%01%1Fb'],
      ['a lone surrogate', '%ED%A0%80'],
      ['a huge value', HUGE.slice(0, 50_000)],
      ['a word', 'abc'],
      ['a negative number', '-1'],
      ['a huge number', '1e309'],
      ['an empty value', ''],
    ] as const)
      probes.push({ what: `query ${p.name} is ${label}`, url: q(`${p.name}=${bad}`), options: {} });
    probes.push({ what: `query ${p.name} twice`, url: q(`${p.name}=1&${p.name}=a%00`), options: {} });
  }

  const body = op.requestBody?.content['application/json']?.schema;
  if (body) {
    const valid = sample(body);
    json('a plausible body', valid);
    probes.push({
      what: 'broken JSON',
      url,
      options: { headers: { 'content-type': 'application/json' }, payload: '{"a": [1, ' },
    });
    probes.push({
      what: 'an empty JSON body',
      url,
      options: { headers: { 'content-type': 'application/json' }, payload: '' },
    });
    probes.push({
      what: 'XML',
      url,
      options: { headers: { 'content-type': 'application/xml' }, payload: '<a/>' },
    });
    probes.push({
      what: 'text/plain',
      url,
      options: { headers: { 'content-type': 'text/plain' }, payload: 'a\u0000b' },
    });
    probes.push({
      what: 'a form',
      url,
      options: { headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'a=%00' },
    });
    json('null', null);
    json('an array', [valid]);
    json('a NUL string', NUL);
    probes.push({
      what: 'nesting 5,000 deep',
      url,
      options: {
        headers: { 'content-type': 'application/json' },
        payload: `${'{"a":['.repeat(2500)}1${']}'.repeat(2500)}`,
      },
    });
    json('nesting 60 deep', nested(60));
    json('a NUL key', { ...(valid as object), 'k\u0000': 1 });
    json('no fields', {});
    const props = pick(body).properties ?? {};
    for (const [name, prop] of Object.entries(props)) {
      for (const [label, bad] of wrongValues(prop))
        json(`body ${name} is ${label}`, { ...(valid as object), [name]: bad });
      json(`body ${name} nested 60 deep`, { ...(valid as object), [name]: nested(60) });
      const inner = pick(prop);
      // One level down: the fields of an object field, and an array field's items.
      const innerProps = inner.properties ?? (inner.items ? pick(inner.items).properties : undefined);
      for (const [sub] of Object.entries(innerProps ?? {}).slice(0, 10)) {
        const base = sample(inner) as Record<string, unknown> | unknown[];
        const one = Array.isArray(base)
          ? { ...(sample(inner.items ?? {}) as object), [sub]: NUL }
          : { ...base, [sub]: NUL };
        json(`body ${name}.${sub} is NUL`, {
          ...(valid as object),
          [name]: Array.isArray(base) ? [one] : one,
        });
      }
    }
  }
  return probes;
}

/** Runs every probe against every documented operation; resolves to what failed. */
export async function walkOperations(
  app: FastifyInstance,
  doc: OpenApiDocument,
  options: WalkOptions,
): Promise<{ failures: Failure[]; requests: number; operations: number }> {
  const failures: Failure[] = [];
  let requests = 0;
  let operations = 0;
  const ops = Object.entries(doc.paths).flatMap(([path, byMethod]) =>
    Object.entries(byMethod).map(([method, op]) => ({ path, method: method.toUpperCase(), op })),
  );
  // Deletes last, so that they do not remove what the other operations are probed against,
  // and signing out after them.
  const rank = (o: { path: string; method: string }) =>
    o.path.endsWith('/logout') ? 2 : o.method === 'DELETE' ? 1 : 0;
  ops.sort((a, b) => rank(a) - rank(b));
  for (const { path, method, op } of ops) {
    if (options.include && !options.include(path, method)) continue;
    operations++;
    for (const probe of probesFor(path, op, options)) {
      requests++;
      const res = await app.inject({
        ...probe.options,
        method: method as 'GET',
        url: probe.url,
        headers: { ...options.headers, ...(probe.options.headers as Record<string, string>) },
      });
      if (res.statusCode >= 500 || STACK_FRAME.test(res.body))
        failures.push({
          method,
          url: probe.url.slice(0, 200),
          what: probe.what,
          status: res.statusCode,
          body: res.body.slice(0, 300),
        });
    }
  }
  return { failures, requests, operations };
}
