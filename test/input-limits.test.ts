import type { LightMyRequestResponse } from 'fastify';
import { describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH, MAX_JSON_KEYS } from '../src/platform/http/input.ts';
import { newProject } from './annotation-fixtures.ts';
import { newTenant } from './fixtures.ts';
import { testApp } from './helpers.ts';

function fieldOf(res: LightMyRequestResponse): string | undefined {
  expect(res.statusCode, res.body).toBe(400);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  return (res.json() as { errors?: { path: string }[] }).errors?.[0]?.path;
}

describe('values PostgreSQL cannot store are refused at the edge', () => {
  it.each([
    ['NUL', 'a\u0000b'],
    ['a lone surrogate', 'a\ud800b'],
  ])('in a body field (%s), naming the field', async (_label, bad) => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const project = await newProject(t);
    const res = await t.as(t.owner, {
      method: 'PATCH',
      url: `/api/v1/projects/${project.id}`,
      payload: { title: 'ok', description: bad },
    });
    expect(fieldOf(res)).toBe('body/description');
    const again = await t.as(t.owner, { method: 'GET', url: `/api/v1/projects/${project.id}` });
    expect(again.json().description).not.toContain('\u0000');
  });

  it('in a nested field and in a key', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const nested = await t.as(t.owner, {
      method: 'PATCH',
      url: '/api/v1/tenant',
      payload: { settings: { a: [{ b: 'x\u0000' }] } },
    });
    expect(fieldOf(nested)).toBe('body/settings/a/0/b');
    const key = await t.as(t.owner, {
      method: 'PATCH',
      url: '/api/v1/tenant',
      payload: { settings: { 'k\u0000': 1 } },
    });
    expect(fieldOf(key)).toMatch(/^body\/settings\/k/);
  });

  it('in a query parameter, known or unknown, and in a path parameter', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const known = await t.as(t.owner, { method: 'GET', url: '/api/v1/projects?search=a%00b' });
    expect(fieldOf(known)).toBe('querystring/search');
    // An unknown parameter is no handler's business, but the audit row of a write records the URL.
    const unknown = await t.as(t.owner, {
      method: 'PATCH',
      url: '/api/v1/tenant?zz=%00',
      payload: { name: 'x' },
    });
    expect(fieldOf(unknown)).toBe('querystring/zz');
    const path = await t.as(t.owner, { method: 'GET', url: '/api/v1/quality/ragas/datasets/a%00b' });
    expect(fieldOf(path)).toBe('params/dataset');
  });
});

describe('JSON bodies are limited at parse', () => {
  const deep = (depth: number) => `${'['.repeat(depth)}1${']'.repeat(depth)}`;

  it(`refuses nesting deeper than ${MAX_JSON_DEPTH} and parses ${MAX_JSON_DEPTH}`, async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const send = (payload: string) =>
      t.as(t.owner, {
        method: 'PATCH',
        url: '/api/v1/tenant',
        headers: { 'content-type': 'application/json' },
        payload: `{"settings": {"a": ${payload}}}`,
      });
    const tooDeep = await send(deep(MAX_JSON_DEPTH));
    expect(tooDeep.statusCode).toBe(400);
    expect(tooDeep.json().detail).toMatch(/nested deeper/);
    const deepest = await send(deep(MAX_JSON_DEPTH - 2));
    expect(deepest.statusCode, deepest.body).toBe(200);
    const huge = await send(deep(100_000));
    expect(huge.statusCode).toBe(400);
  });

  it(`refuses an object with more than ${MAX_JSON_KEYS} keys`, async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const keys = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]));
    const res = await t.as(t.owner, {
      method: 'PATCH',
      url: '/api/v1/tenant',
      payload: { settings: keys(MAX_JSON_KEYS + 1) },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().detail).toMatch(/more than/);
  });

  it('keeps escaped quotes and brackets inside strings out of the count', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const res = await t.as(t.owner, {
      method: 'PATCH',
      url: '/api/v1/tenant',
      payload: { settings: { text: `\\"${'[{'.repeat(200)}\\u0000 is text` } },
    });
    expect(res.statusCode, res.body).toBe(200);
  });
});
