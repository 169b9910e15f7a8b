import type { LightMyRequestResponse } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import * as examples from '../../../../test/agreement-data.ts';
import { type Member, newTenant, type TenantFixture } from '../../../../test/fixtures.ts';
import { type TestContext, testApp } from '../../../../test/helpers.ts';

const URL = '/api/v1/quality/agreement';
const _ = null;

// The published examples, with their published results, in test/agreement-data.ts.
// Wikipedia, "Cohen's kappa": 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no: p_o 0.7, p_e 0.5, κ 0.4.
const WIKIPEDIA_COHEN = examples.twoByTwo(20, 5, 10, 15);

async function unaudited(ctx: TestContext): Promise<number> {
  const metric = await ctx.platform.registry.getSingleMetric('superinsight_unaudited_mutations_total')?.get();
  return (metric?.values ?? []).reduce((sum, v) => sum + v.value, 0);
}

function expectBadRequest(res: LightMyRequestResponse, path: string, reason?: string) {
  expect(res.statusCode, res.body).toBe(400);
  expect(res.headers['content-type']).toContain('application/problem+json');
  const body = res.json();
  expect(body.status).toBe(400);
  expect(body.detail).toEqual(expect.any(String));
  expect(body.errors).toEqual([expect.objectContaining({ path, message: expect.any(String) })]);
  if (reason) expect(body.reason).toBe(reason);
  expect(res.body).not.toMatch(/NaN|Infinity|stack/);
}

describe('POST /api/v1/quality/agreement', () => {
  let ctx: TestContext;
  let t: TenantFixture;
  let viewer: Member;
  const post = (payload: unknown, as: Member = viewer) =>
    t.as(as, { method: 'POST', url: URL, payload: payload as object });

  beforeAll(async () => {
    ctx = await testApp();
    t = await newTenant(ctx);
    viewer = await t.member(['viewer'], 'Viewer');
  });

  it("reproduces Krippendorff's alpha at every level, with the detail", async () => {
    const before = await unaudited(ctx);
    const published = { nominal: 0.743, ordinal: 0.815, interval: 0.849, ratio: 0.797 };
    for (const [level, alpha] of Object.entries(published)) {
      const res = await post({ method: 'krippendorff_alpha', level, ratings: examples.KRIPPENDORFF_2011 });
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json();
      expect(body.value).toBeCloseTo(alpha, 3);
      expect(body).toMatchObject({
        method: 'krippendorff_alpha',
        level,
        units: 11,
        units_dropped: 1,
        pairable_values: 40,
        raters: 4,
      });
      expect(body.value).toBeCloseTo(1 - body.observed_disagreement / body.expected_disagreement, 12);
    }
    // Nominal is the default level.
    const nominal = await post({ method: 'krippendorff_alpha', ratings: examples.KRIPPENDORFF_2011 });
    expect(nominal.json()).toMatchObject({ level: 'nominal', value: expect.closeTo(0.743, 3) });
    // A computation changes nothing: no audit row, and none is owed.
    expect(await unaudited(ctx)).toBe(before);
  });

  it("reproduces Fleiss' kappa from ratings and from counts, with per-category kappas", async () => {
    const fromRatings = await post({ method: 'fleiss_kappa', ratings: examples.FLEISS_1971_RATINGS });
    expect(fromRatings.statusCode, fromRatings.body).toBe(200);
    const fromCounts = await post({
      method: 'fleiss_kappa',
      counts: examples.FLEISS_1971_COUNTS,
      categories: examples.DIAGNOSES,
    });
    expect(fromCounts.statusCode, fromCounts.body).toBe(200);
    const published = [0.245, 0.245, 0.52, 0.471, 0.566];
    for (const body of [fromRatings.json(), fromCounts.json()]) {
      expect(body).toMatchObject({ method: 'fleiss_kappa', units: 30, raters: 6 });
      expect(body.value).toBeCloseTo(0.43, 3);
      expect(body.observed_agreement).toBeCloseTo(0.556, 3);
      expect(body.expected_agreement).toBeCloseTo(0.22, 3);
      expect(body.categories.map((c: { category: string }) => c.category)).toEqual(examples.DIAGNOSES);
      body.categories.forEach((c: { kappa: number }, j: number) => {
        expect(c.kappa).toBeCloseTo(published[j]!, 3);
      });
    }
    const wikipedia = (
      await post({ method: 'fleiss_kappa', counts: examples.WIKIPEDIA_FLEISS_COUNTS })
    ).json();
    expect(wikipedia.value).toBeCloseTo(0.21, 3);
    expect(wikipedia.observed_agreement).toBeCloseTo(0.378, 3);
    expect(wikipedia.expected_agreement).toBeCloseTo(0.213, 3);
    expect(wikipedia.categories.map((c: { category: number }) => c.category)).toEqual([0, 1, 2, 3, 4]);
    // A category nobody chose has no kappa of its own: null, never NaN.
    const unused = await post({
      method: 'fleiss_kappa',
      counts: [
        [2, 0, 1],
        [1, 0, 2],
        [3, 0, 0],
      ],
    });
    expect(unused.json().categories[1]).toEqual({ category: 1, proportion: 0, kappa: null });
  });

  it("reproduces Cohen's kappa, unweighted and weighted", async () => {
    const plain = await post({ method: 'cohen_kappa', ratings: WIKIPEDIA_COHEN });
    expect(plain.statusCode, plain.body).toBe(200);
    expect(plain.json()).toMatchObject({
      method: 'cohen_kappa',
      units: 50,
      raters: 2,
      weights: 'none',
      observed_agreement: expect.closeTo(0.7, 9),
      expected_agreement: expect.closeTo(0.5, 9),
      value: expect.closeTo(0.4, 9),
    });
    const weighted = await post({ method: 'cohen_kappa', ratings: examples.ANXIETY, weights: 'quadratic' });
    expect(weighted.json()).toMatchObject({
      weights: 'quadratic',
      units: 20,
      value: expect.closeTo(0.297, 3),
    });
    // Units either rater left out are dropped.
    const missing = await post({
      method: 'cohen_kappa',
      ratings: [
        [...WIKIPEDIA_COHEN[0]!, 'yes', null],
        [...WIKIPEDIA_COHEN[1]!, null, 'no'],
      ],
    });
    expect(missing.json()).toMatchObject({ units: 50, value: expect.closeTo(0.4, 9) });
  });

  it('computes alpha for 100,000 units × 3 raters', async () => {
    const ratings = [0, 1, 2].map((r) =>
      Array.from({ length: 100_000 }, (_v, u) => ((u * (r + 7)) % 11) % 5),
    );
    const res = await post({ method: 'krippendorff_alpha', level: 'ordinal', ratings });
    expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
    expect(res.json()).toMatchObject({ units: 100_000, pairable_values: 300_000, raters: 3 });
    expect(Number.isFinite(res.json().value)).toBe(true);
  });

  it('answers 400 with the reason and the path for degenerate input, never NaN', async () => {
    const cases: [unknown, string, string][] = [
      [{ method: 'krippendorff_alpha', ratings: [[1, 2, 3]] }, 'body/ratings', 'too_few_raters'],
      [{ method: 'fleiss_kappa', ratings: [['a', 'b']] }, 'body/ratings', 'too_few_raters'],
      [
        {
          method: 'krippendorff_alpha',
          ratings: [
            [1, _, _],
            [_, 2, _],
          ],
        },
        'body/ratings',
        'no_pairable_values',
      ],
      [
        {
          method: 'cohen_kappa',
          ratings: [
            ['a', _],
            [_, 'b'],
          ],
        },
        'body/ratings',
        'no_pairable_values',
      ],
      [
        {
          method: 'fleiss_kappa',
          ratings: [
            ['a', 'b', 'a'],
            ['a', _, 'b'],
            ['b', 'b', 'b'],
          ],
        },
        'body/ratings/1/1',
        'ragged',
      ],
      [
        {
          method: 'fleiss_kappa',
          counts: [
            [3, 1],
            [2, 1],
          ],
        },
        'body/counts/1',
        'ragged',
      ],
      [
        {
          method: 'krippendorff_alpha',
          ratings: [
            [1, 2],
            [1, 2, 3],
          ],
        },
        'body/ratings/1',
        'ragged',
      ],
      [
        {
          method: 'krippendorff_alpha',
          level: 'interval',
          ratings: [
            [1, 2],
            [1, 'two'],
          ],
        },
        'body/ratings/1/1',
        'not_numeric',
      ],
      [
        {
          method: 'krippendorff_alpha',
          level: 'ratio',
          ratings: [
            [1, 2],
            [1, 'two'],
          ],
        },
        'body/ratings/1/1',
        'not_numeric',
      ],
      [
        {
          method: 'krippendorff_alpha',
          level: 'ratio',
          ratings: [
            [1, 2],
            [1, -2],
          ],
        },
        'body/ratings/1/1',
        'negative_value',
      ],
      [{ method: 'cohen_kappa', ratings: [['a'], ['a'], ['b']] }, 'body/ratings', 'wrong_rater_count'],
      [{ method: 'cohen_kappa', ratings: [['a', 'b']] }, 'body/ratings', 'wrong_rater_count'],
      [
        {
          method: 'krippendorff_alpha',
          ratings: [
            [4, 4, _],
            [4, 4, 1],
          ],
        },
        'body/ratings',
        'no_variation',
      ],
      [
        {
          method: 'fleiss_kappa',
          counts: [
            [0, 3],
            [0, 3],
          ],
        },
        'body/counts',
        'no_variation',
      ],
      [
        {
          method: 'cohen_kappa',
          ratings: [
            ['a', 'a'],
            ['a', 'a'],
          ],
        },
        'body/ratings',
        'no_variation',
      ],
      [
        {
          method: 'cohen_kappa',
          weights: 'linear',
          ratings: [
            ['low', 'high'],
            ['low', 'low'],
          ],
        },
        'body/ratings/0/0',
        'not_numeric',
      ],
      [
        {
          method: 'krippendorff_alpha',
          level: 'ordinal',
          categories: ['low', 'high'],
          ratings: [
            ['low', 'high'],
            ['low', 'mid'],
          ],
        },
        'body/ratings/1/1',
        'unknown_category',
      ],
      [
        {
          method: 'krippendorff_alpha',
          ratings: [
            [1e300, 0],
            [-1e300, 1],
          ],
          level: 'interval',
        },
        'body/ratings',
        'not_finite',
      ],
    ];
    for (const [payload, path, reason] of cases) {
      expectBadRequest(await post(payload), path, reason);
    }
  });

  it('answers 400 for fields that do not go with the method, and for schema violations', async () => {
    const cases: [unknown, string][] = [
      [{ method: 'fleiss_kappa', level: 'ordinal', ratings: [['a'], ['a']] }, 'body/level'],
      [{ method: 'krippendorff_alpha', weights: 'linear', ratings: [['a'], ['a']] }, 'body/weights'],
      [{ method: 'krippendorff_alpha', counts: [[1, 1]] }, 'body/counts'],
      [{ method: 'fleiss_kappa', counts: [[1, 1]], ratings: [['a'], ['a']] }, 'body/counts'],
      [{ method: 'cohen_kappa' }, 'body/ratings'],
      [{ method: 'fleiss_kappa' }, 'body/ratings'],
      [
        { method: 'krippendorff_alpha', level: 'interval', categories: [1, 2], ratings: [[1], [2]] },
        'body/categories',
      ],
      [{ method: 'majority_vote', ratings: [['a'], ['a']] }, 'body/method'],
      [{ method: 'krippendorff_alpha', level: 'fuzzy', ratings: [['a'], ['a']] }, 'body/level'],
      [{ method: 'krippendorff_alpha', ratings: [['a'], [{ b: 1 }]] }, 'body/ratings/1/0'],
      [{ method: 'cohen_kappa', ratings: [[true], [1]] }, 'body/ratings/0/0'],
      [{ method: 'cohen_kappa', categories: ['a', null], ratings: [['a'], ['a']] }, 'body/categories/1'],
      [{ method: 'fleiss_kappa', categories: ['a'], counts: [[1, 1]] }, 'body/categories'],
      [{ method: 'fleiss_kappa', counts: [[1, -1]] }, 'body/counts/0/1'],
      [{ method: 'krippendorff_alpha', ratings: Array.from({ length: 1001 }, () => [1]) }, 'body/ratings'],
      [{ method: 'krippendorff_alpha', ratings: [['a'], ['a']], extra: true }, 'body/extra'],
    ];
    for (const [payload, path] of cases) expectBadRequest(await post(payload), path);
  });

  it('is described in the OpenAPI document', async () => {
    const doc = (await ctx.app.inject({ method: 'GET', url: '/docs/json' })).json();
    const op = doc.paths['/api/v1/quality/agreement'].post;
    expect(op.tags).toEqual(['quality']);
    expect(Object.keys(op.requestBody.content['application/json'].schema.properties)).toEqual(
      expect.arrayContaining(['method', 'level', 'ratings', 'counts', 'categories', 'weights']),
    );
  });

  it('refuses more than 2,000,000 values in all', async () => {
    const row = Array.from({ length: 100_000 }, () => 1);
    const res = await post({ method: 'krippendorff_alpha', ratings: Array.from({ length: 21 }, () => row) });
    expectBadRequest(res, 'body/ratings', 'too_large');
  });

  it('needs credentials and the quality:read permission', async () => {
    const payload = { method: 'cohen_kappa', ratings: WIKIPEDIA_COHEN };
    const anonymous = await ctx.app.inject({ method: 'POST', url: URL, payload });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['content-type']).toContain('application/problem+json');

    const role = await t.as(t.owner, {
      method: 'POST',
      url: '/api/v1/roles',
      payload: { name: 'no-quality', permissions: [] },
    });
    expect(role.statusCode, role.body).toBe(201);
    const outsider = await t.member(['no-quality'], 'Outsider');
    const denied = await post(payload, outsider);
    expect(denied.statusCode).toBe(403);
    expect(denied.headers['content-type']).toContain('application/problem+json');
    expect(denied.json().detail).toContain('quality:read');

    for (const roleName of ['manager', 'reviewer']) {
      const member = await t.member([roleName], roleName);
      expect((await post(payload, member)).statusCode, roleName).toBe(200);
    }
    expect((await post(payload, t.owner)).statusCode).toBe(200);
  });
});
