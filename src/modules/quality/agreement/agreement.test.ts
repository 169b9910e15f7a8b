import { describe, expect, it } from 'vitest';
import {
  ANXIETY,
  DIAGNOSES,
  FLEISS_1971_COUNTS,
  FLEISS_1971_RATINGS,
  KRIPPENDORFF_2011,
  twoByTwo,
  WIKIPEDIA_FLEISS_COUNTS,
} from '../../../../test/agreement-data.ts';
import {
  AgreementError,
  type AgreementErrorCode,
  cohenKappa,
  fleissKappa,
  fleissKappaFromCounts,
  krippendorffAlpha,
  type Level,
  RATIO_PAIR_LIMIT,
  type Rating,
  UnitTally,
} from './agreement.ts';

const _ = null;

function expectError(fn: () => unknown, code: AgreementErrorCode, path: string) {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(AgreementError);
  expect((caught as AgreementError).code).toBe(code);
  expect((caught as AgreementError).path).toBe(path);
  expect((caught as AgreementError).message.length).toBeGreaterThan(10);
}

/** A seeded generator (mulberry32), so the random cases are the same every run. */
function random(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Krippendorff's alpha straight from the definitions in Krippendorff (2011): the full
 * coincidence matrix, the difference functions as written there (ordinal with the marginal
 * sums Σ_{g=c..k} n_g − (n_c+n_k)/2), α = 1 − (n−1) Σ o_ck δ²_ck / Σ n_c n_k δ²_ck.
 * Quadratic in the number of values per unit and in the categories: only a reference.
 */
function referenceAlpha(data: (number | null)[][], level: Level): number {
  const units = data[0]!.length;
  const pairable: number[][] = [];
  for (let u = 0; u < units; u++) {
    const values = data.map((row) => row[u]).filter((v): v is number => v !== null);
    if (values.length >= 2) pairable.push(values);
  }
  const categories = [...new Set(pairable.flat())].sort((a, b) => a - b);
  const at = new Map(categories.map((c, i) => [c, i]));
  const k = categories.length;
  const o = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (const values of pairable) {
    for (let i = 0; i < values.length; i++) {
      for (let j = 0; j < values.length; j++) {
        if (i !== j) o[at.get(values[i]!)!]![at.get(values[j]!)!]! += 1 / (values.length - 1);
      }
    }
  }
  const nc = o.map((row) => row.reduce((s, x) => s + x, 0));
  const n = nc.reduce((s, x) => s + x, 0);
  const delta2 = (c: number, e: number): number => {
    const [vc, ve] = [categories[c]!, categories[e]!];
    switch (level) {
      case 'nominal':
        return c === e ? 0 : 1;
      case 'ordinal': {
        const [lo, hi] = c < e ? [c, e] : [e, c];
        let s = 0;
        for (let g = lo; g <= hi; g++) s += nc[g]!;
        return (s - (nc[c]! + nc[e]!) / 2) ** 2;
      }
      case 'interval':
        return (vc - ve) ** 2;
      case 'ratio':
        return vc + ve === 0 ? 0 : ((vc - ve) / (vc + ve)) ** 2;
    }
  };
  let observed = 0;
  let expected = 0;
  for (let c = 0; c < k; c++) {
    for (let e = 0; e < k; e++) {
      observed += o[c]![e]! * delta2(c, e);
      expected += nc[c]! * nc[e]! * delta2(c, e);
    }
  }
  return 1 - ((n - 1) * observed) / expected;
}

describe("Krippendorff's alpha", () => {
  it("reproduces Krippendorff's (2011) reliability data example at every level", () => {
    const published: Record<Level, number> = {
      nominal: 0.743,
      ordinal: 0.815,
      interval: 0.849,
      ratio: 0.797,
    };
    for (const level of ['nominal', 'ordinal', 'interval', 'ratio'] as const) {
      const r = krippendorffAlpha(KRIPPENDORFF_2011, { level });
      expect(r.alpha, level).toBeCloseTo(published[level], 3);
      expect(r.level).toBe(level);
      expect(r.pairableValues).toBe(40);
      expect(r.units).toBe(11);
      expect(r.unitsDropped).toBe(1);
      expect(r.raters).toBe(4);
      expect(r.alpha).toBeCloseTo(1 - r.observedDisagreement / r.expectedDisagreement, 12);
    }
    // Nominal, by hand: 8 disagreeing coincidences; n_c = 9, 13, 10, 5, 3.
    const nominal = krippendorffAlpha(KRIPPENDORFF_2011);
    expect(nominal.observedDisagreement).toBeCloseTo(8 / 40, 12);
    expect(nominal.expectedDisagreement).toBeCloseTo((40 * 40 - (81 + 169 + 100 + 25 + 9)) / (40 * 39), 12);
  });

  it('treats the values as labels (nominal) or ordered categories (ordinal) the same way as strings', () => {
    const letters = KRIPPENDORFF_2011.map((row) =>
      row.map((v) => (v === null ? null : 'abcde'[(v as number) - 1]!)),
    );
    expect(krippendorffAlpha(letters).alpha).toBeCloseTo(0.743, 3);
    const order = ['a', 'b', 'c', 'd', 'e'];
    expect(krippendorffAlpha(letters, { level: 'ordinal', categories: order }).alpha).toBeCloseTo(0.815, 3);
    // Reversing the order leaves the ordinal distances unchanged.
    expect(
      krippendorffAlpha(letters, { level: 'ordinal', categories: [...order].reverse() }).alpha,
    ).toBeCloseTo(0.815, 3);
    // A number and its string are different values.
    expect(
      krippendorffAlpha([
        [1, '1', 2, 2],
        [1, 1, 2, '2'],
      ]).observedDisagreement,
    ).toBeGreaterThan(0);
  });

  it('matches the coincidence-matrix definition on random data with missing values', () => {
    const rand = random(2011);
    for (let trial = 0; trial < 40; trial++) {
      const raters = 2 + Math.floor(rand() * 6);
      const units = 1 + Math.floor(rand() * 40);
      const spread = 2 + Math.floor(rand() * 8);
      const data = Array.from({ length: raters }, () =>
        Array.from({ length: units }, () => (rand() < 0.25 ? null : Math.floor(rand() * spread) * 1.5)),
      );
      for (const level of ['nominal', 'ordinal', 'interval', 'ratio'] as const) {
        let expected: number;
        try {
          expected = referenceAlpha(data, level);
        } catch {
          continue;
        }
        if (!Number.isFinite(expected)) {
          expect(() => krippendorffAlpha(data, { level })).toThrow(AgreementError);
          continue;
        }
        expect(krippendorffAlpha(data, { level }).alpha, `trial ${trial} ${level}`).toBeCloseTo(expected, 9);
      }
    }
  });

  it('computes 100,000 units × 3 raters at every level, as the definition does', () => {
    const rand = random(7);
    const data = Array.from({ length: 3 }, () =>
      Array.from({ length: 100_000 }, () => (rand() < 0.1 ? null : 1 + Math.floor(rand() * 5))),
    );
    // Raters agree more than chance: the second copies the first half the time.
    for (let u = 0; u < 100_000; u++) if (rand() < 0.5) data[1]![u] = data[0]![u]!;
    for (const level of ['nominal', 'ordinal', 'interval', 'ratio'] as const) {
      const r = krippendorffAlpha(data, { level });
      expect(r.alpha, level).toBeCloseTo(referenceAlpha(data, level), 9);
      expect(r.alpha).toBeGreaterThan(0.05);
    }
  });

  it('keeps its precision for large values with a small spread', () => {
    const shifted = KRIPPENDORFF_2011.map((row) => row.map((v) => (v === null ? null : (v as number) + 1e9)));
    expect(krippendorffAlpha(shifted, { level: 'interval' }).alpha).toBeCloseTo(
      krippendorffAlpha(KRIPPENDORFF_2011, { level: 'interval' }).alpha,
      9,
    );
    const identical = [
      [0.1, 0.7, 0.3],
      [0.1, 0.7, 0.3],
      [0.1, 0.7, 0.3],
    ];
    expect(krippendorffAlpha(identical, { level: 'interval' }).alpha).toBe(1);
  });

  it('is 1 for perfect agreement and can fall below 0', () => {
    expect(
      krippendorffAlpha([
        ['x', 'y', 'z'],
        ['x', 'y', 'z'],
      ]).alpha,
    ).toBe(1);
    expect(
      krippendorffAlpha([
        [1, 2],
        [2, 1],
      ]).alpha,
    ).toBeLessThan(0);
  });

  it('refuses input for which alpha is undefined, saying where', () => {
    expectError(() => krippendorffAlpha([[1, 2, 3]]), 'too_few_raters', 'ratings');
    expectError(() => krippendorffAlpha([]), 'too_few_raters', 'ratings');
    expectError(() => krippendorffAlpha([[], []]), 'no_units', 'ratings');
    expectError(
      () =>
        krippendorffAlpha([
          [1, 2],
          [1, 2, 3],
        ]),
      'ragged',
      'ratings/1',
    );
    expectError(
      () =>
        krippendorffAlpha([
          [1, _, _],
          [_, 2, _],
          [_, _, 3],
        ]),
      'no_pairable_values',
      'ratings',
    );
    expectError(
      () =>
        krippendorffAlpha([
          [4, 4, _],
          [4, 4, 1],
        ]),
      'no_variation',
      'ratings',
    );
    expectError(
      () =>
        krippendorffAlpha(
          [
            [1, 2],
            [1, 'two'],
          ],
          { level: 'interval' },
        ),
      'not_numeric',
      'ratings/1/1',
    );
    expectError(
      () =>
        krippendorffAlpha(
          [
            [1, 2],
            ['one', 2],
          ],
          { level: 'ordinal' },
        ),
      'not_numeric',
      'ratings/1/0',
    );
    expectError(
      () =>
        krippendorffAlpha(
          [
            [1, 2],
            [1, -2],
          ],
          { level: 'ratio' },
        ),
      'negative_value',
      'ratings/1/1',
    );
    expectError(
      () =>
        krippendorffAlpha(
          [
            ['a', 'b'],
            ['a', 'c'],
          ],
          { level: 'ordinal', categories: ['a', 'b'] },
        ),
      'unknown_category',
      'ratings/1/1',
    );
    expectError(
      () => krippendorffAlpha([[1], [1]], { categories: [1, 1] }),
      'duplicate_category',
      'categories/1',
    );
    expectError(
      () =>
        krippendorffAlpha([
          [1, { x: 1 } as unknown as Rating],
          [1, 2],
        ]),
      'invalid_value',
      'ratings/0/1',
    );
    expectError(
      () =>
        krippendorffAlpha(
          [
            [1e300, 0],
            [-1e300, 1],
          ],
          { level: 'interval' },
        ),
      'not_finite',
      'ratings',
    );
  });

  it('refuses a ratio computation that would compare too many pairs of distinct values', () => {
    const rand = random(3);
    const values = Math.ceil(Math.sqrt(2 * RATIO_PAIR_LIMIT)) + 10;
    const data = [0, 1].map(() => Array.from({ length: values }, () => rand() * 1000));
    expectError(() => krippendorffAlpha(data, { level: 'ratio' }), 'too_complex', 'ratings');
    // The interval metric has no such limit.
    expect(Number.isFinite(krippendorffAlpha(data, { level: 'interval' }).alpha)).toBe(true);
  });
});

describe("Fleiss' kappa", () => {
  it("reproduces Fleiss' (1971) psychiatric diagnoses: κ = .430 and the category kappas", () => {
    const published = [0.245, 0.245, 0.52, 0.471, 0.566];
    for (const r of [
      fleissKappaFromCounts(FLEISS_1971_COUNTS, { categories: DIAGNOSES }),
      fleissKappa(FLEISS_1971_RATINGS),
    ]) {
      expect(r.kappa).toBeCloseTo(0.43, 3);
      expect(r.units).toBe(30);
      expect(r.raters).toBe(6);
      expect(r.categories.map((c) => c.category)).toEqual(DIAGNOSES);
      r.categories.forEach((c, j) => {
        expect(c.kappa, c.category as string).toBeCloseTo(published[j]!, 3);
      });
      // From the definitions: P̄ = 0.5556, P̄_e = Σ p_j² = 0.2199.
      expect(r.observedAgreement).toBeCloseTo(0.556, 3);
      expect(r.expectedAgreement).toBeCloseTo(0.22, 3);
      expect(r.categories.reduce((s, c) => s + c.proportion, 0)).toBeCloseTo(1, 12);
    }
  });

  it("reproduces Wikipedia's worked example: P̄ = 0.378, P̄_e = 0.213, κ = 0.210", () => {
    const r = fleissKappaFromCounts(WIKIPEDIA_FLEISS_COUNTS);
    expect(r.kappa).toBeCloseTo(0.21, 3);
    expect(r.observedAgreement).toBeCloseTo(0.378, 3);
    expect(r.expectedAgreement).toBeCloseTo(0.213, 3);
    expect(r.categories.map((c) => c.category)).toEqual([0, 1, 2, 3, 4]);
    const p = [0.143, 0.2, 0.279, 0.15, 0.229];
    r.categories.forEach((c, j) => {
      expect(c.proportion).toBeCloseTo(p[j]!, 3);
    });
    expect(r.units).toBe(10);
    expect(r.raters).toBe(14);
  });

  it('takes ratings from different raters per unit, and lists categories in order', () => {
    // Each unit rated by 2 of 4 raters.
    const r = fleissKappa([
      [1, _, 2, _],
      [1, 1, _, _],
      [_, 2, 2, 3],
      [_, _, _, 3],
    ]);
    expect(r.raters).toBe(2);
    expect(r.units).toBe(4);
    expect(r.categories.map((c) => c.category)).toEqual([1, 2, 3]);
    const given = fleissKappa(
      [
        ['b', 'a'],
        ['b', 'c'],
      ],
      { categories: ['c', 'b', 'a', 'unused'] },
    );
    expect(given.categories.map((c) => [c.category, c.kappa])).toEqual([
      ['c', expect.any(Number)],
      ['b', expect.any(Number)],
      ['a', expect.any(Number)],
      ['unused', null],
    ]);
  });

  it('gives null for the kappa of a category nobody chose', () => {
    const r = fleissKappaFromCounts([
      [2, 0, 1],
      [1, 0, 2],
      [3, 0, 0],
    ]);
    expect(r.categories[1]).toEqual({ category: 1, proportion: 0, kappa: null });
    expect(Number.isFinite(r.kappa)).toBe(true);
  });

  it('refuses ragged, degenerate and malformed input, saying where', () => {
    expectError(
      () =>
        fleissKappa([
          [1, 2, 1],
          [1, _, 1],
          [2, 2, 2],
        ]),
      'ragged',
      'ratings/1/1',
    );
    expectError(
      () =>
        fleissKappa([
          [1, 2, 1],
          [_, 2, 1],
          [_, 2, 2],
        ]),
      'ragged',
      'ratings/1/0',
    );
    expectError(
      () =>
        fleissKappaFromCounts([
          [3, 1],
          [2, 1],
        ]),
      'ragged',
      'counts/1',
    );
    expectError(() => fleissKappaFromCounts([[3, 1], [2]]), 'ragged', 'counts/1');
    expectError(() => fleissKappaFromCounts([[2, 2]], { categories: ['a'] }), 'ragged', 'categories');
    expectError(() => fleissKappaFromCounts([]), 'no_units', 'counts');
    expectError(() => fleissKappaFromCounts([[]]), 'no_categories', 'counts/0');
    expectError(() => fleissKappaFromCounts([[1, 0]]), 'no_pairable_values', 'counts');
    expectError(() => fleissKappaFromCounts([[1.5, 0.5]]), 'invalid_value', 'counts/0/0');
    expectError(
      () =>
        fleissKappaFromCounts([
          [0, 3],
          [0, 3],
        ]),
      'no_variation',
      'counts',
    );
    expectError(
      () =>
        fleissKappa([
          ['a', 'a'],
          ['a', 'a'],
        ]),
      'no_variation',
      'ratings',
    );
    expectError(() => fleissKappa([['a', 'b']]), 'too_few_raters', 'ratings');
    expectError(
      () =>
        fleissKappa([
          ['a', _],
          [_, 'b'],
        ]),
      'no_pairable_values',
      'ratings',
    );
  });
});

describe("Cohen's kappa", () => {
  it("reproduces Wikipedia's examples: p_o = 0.7, p_e = 0.5, κ = 0.4; then 0.1304 and 0.2593", () => {
    // Wikipedia, "Cohen's kappa", Examples: 50 grant proposals, 20 yes/yes, 5 yes/no, 10 no/yes,
    // 15 no/no. "Same percentages but different numbers": two 100-item tables with 60% agreement.
    const r = cohenKappa(twoByTwo(20, 5, 10, 15));
    expect(r.observedAgreement).toBeCloseTo(0.7, 12);
    expect(r.expectedAgreement).toBeCloseTo(0.5, 12);
    expect(r.kappa).toBeCloseTo(0.4, 12);
    expect(r.units).toBe(50);
    expect(r.raters).toBe(2);
    expect(r.weights).toBe('none');
    expect(cohenKappa(twoByTwo(45, 15, 25, 15)).kappa).toBeCloseTo(0.1304, 4);
    expect(cohenKappa(twoByTwo(25, 35, 5, 35)).kappa).toBeCloseTo(0.2593, 4);
  });

  it("reproduces R irr's kappa2 examples: diagnoses raters 2 and 3, and weighted anxiety", () => {
    // irr: kappa2(diagnoses[, 2:3]) = 0.631; kappa2(anxiety[, 1:2], "squared") = 0.297.
    expect(cohenKappa([FLEISS_1971_RATINGS[1]!, FLEISS_1971_RATINGS[2]!]).kappa).toBeCloseTo(0.631, 3);
    const quadratic = cohenKappa(ANXIETY, { weights: 'quadratic' });
    expect(quadratic.kappa).toBeCloseTo(0.297, 3);
    expect(quadratic.units).toBe(20);
    expect(quadratic.weights).toBe('quadratic');
  });

  it('computes weighted kappa as the direct double sum does', () => {
    const rand = random(1968);
    for (let trial = 0; trial < 30; trial++) {
      const k = 2 + Math.floor(rand() * 6);
      const n = 5 + Math.floor(rand() * 60);
      const data = [0, 1].map(() => Array.from({ length: n }, () => 10 * Math.floor(rand() * k)));
      const cats = [...new Set(data.flat())].sort((a, b) => a - b);
      if (cats.length < 2) continue;
      for (const weights of ['linear', 'quadratic'] as const) {
        // κ_w = 1 − Σ v_ij o_ij / Σ v_ij e_ij with v the disagreement weights.
        const pos = (x: number) => cats.indexOf(x);
        const v = (i: number, j: number) => (weights === 'linear' ? Math.abs(i - j) : (i - j) ** 2);
        let observed = 0;
        for (let u = 0; u < n; u++) observed += v(pos(data[0]![u]!), pos(data[1]![u]!));
        let chance = 0;
        for (const x of data[0]!) for (const y of data[1]!) chance += v(pos(x), pos(y));
        if (chance === 0) continue;
        const expected = 1 - observed / n / (chance / (n * n));
        expect(cohenKappa(data, { weights }).kappa, `${trial} ${weights}`).toBeCloseTo(expected, 10);
      }
    }
  });

  it('drops units either rater left out, and orders string categories as listed', () => {
    const r = cohenKappa([
      ['a', 'b', _, 'a', 'b'],
      ['a', 'b', 'a', _, 'a'],
    ]);
    expect(r.units).toBe(3);
    const low = ['low', 'mid', 'high'];
    const words = ANXIETY.map((row) =>
      row.map((v) => ['one', 'two', 'three', 'four', 'five', 'six'][v - 1]!),
    );
    expect(
      cohenKappa(words, { weights: 'quadratic', categories: ['one', 'two', 'three', 'four', 'five', 'six'] })
        .kappa,
    ).toBeCloseTo(0.297, 3);
    expect(
      cohenKappa(
        [
          ['low', 'high'],
          ['mid', 'high'],
        ],
        { weights: 'linear', categories: low },
      ).kappa,
    ).toBeGreaterThan(0);
  });

  it('refuses input for which kappa is undefined, saying where', () => {
    expectError(() => cohenKappa([['a'], ['a'], ['b']]), 'wrong_rater_count', 'ratings');
    expectError(() => cohenKappa([['a']]), 'wrong_rater_count', 'ratings');
    expectError(
      () =>
        cohenKappa([
          ['a', _],
          [_, 'b'],
        ]),
      'no_pairable_values',
      'ratings',
    );
    expectError(
      () =>
        cohenKappa([
          ['a', 'a'],
          ['a', 'a'],
        ]),
      'no_variation',
      'ratings',
    );
    expectError(
      () =>
        cohenKappa(
          [
            [1, 1],
            [1, 1],
          ],
          { weights: 'linear' },
        ),
      'no_variation',
      'ratings',
    );
    expectError(
      () =>
        cohenKappa(
          [
            [1, 2],
            [1, 'two'],
          ],
          { weights: 'linear' },
        ),
      'not_numeric',
      'ratings/1/1',
    );
    expectError(
      () =>
        cohenKappa(
          [
            ['a', 'b'],
            ['a', 'c'],
          ],
          { categories: ['a', 'b'] },
        ),
      'unknown_category',
      'ratings/1/1',
    );
    expectError(
      () =>
        cohenKappa([
          ['a', 'b'],
          ['a', 'b', 'c'],
        ]),
      'ragged',
      'ratings/1',
    );
  });
});

describe('UnitTally (streamed units)', () => {
  /** Units of 2–4 values from the given raters, as [rater, value][]; some raters rate twice. */
  function units(seed: number, count: number, raters: string[], value: (r: () => number) => Rating) {
    const rand = random(seed);
    return Array.from({ length: count }, () => {
      const m = 2 + Math.floor(rand() * 3);
      return Array.from(
        { length: m },
        () => [raters[Math.floor(rand() * raters.length)]!, value(rand)] as [string, Rating],
      );
    });
  }
  /** Row k holds each unit's k-th value: the matrix the service used to build. */
  const slots = (list: [string, Rating][][], rows: number): Rating[][] =>
    Array.from({ length: rows }, (_, k) => list.map((u) => (k < u.length ? u[k]![1] : null)));
  const tallied = (level: 'nominal' | 'ordinal' | 'interval', list: [string, Rating][][]) => {
    const t = new UnitTally(level);
    for (const u of list) t.add(u as [string, string | number][]);
    return t;
  };

  it('gives the alpha of the whole matrix at every level', () => {
    const cases = [
      ['nominal', (r: () => number) => ['pos', 'neg', 'neutral'][Math.floor(r() * 3)]!],
      ['ordinal', (r: () => number) => 1 + Math.floor(r() * 5)],
      ['interval', (r: () => number) => Math.round(r() * 1000) / 10],
    ] as const;
    for (const [level, value] of cases) {
      const list = units(42, 3000, ['a', 'b', 'c', 'd'], value);
      const expected = krippendorffAlpha(slots(list, 4), { level });
      const got = tallied(level, list).alpha();
      expect(got.alpha).toBeCloseTo(expected.alpha, 12);
      // Ordinal disagreements are in squared ranks (millions here): compare them relatively.
      expect(got.observedDisagreement / expected.observedDisagreement).toBeCloseTo(1, 12);
      expect(got.expectedDisagreement / expected.expectedDisagreement).toBeCloseTo(1, 12);
      expect([got.units, got.raters, got.pairableValues]).toEqual([
        expected.units,
        expected.raters,
        expected.pairableValues,
      ]);
    }
  });

  it("gives Fleiss' kappa over the units of the usual size, and Cohen's for two raters", () => {
    const list = units(7, 2000, ['a', 'b', 'c'], (r) => ['x', 'y', 'z'][Math.floor(r() * 3)]!);
    const sizes = new Map<number, number>();
    for (const u of list) sizes.set(u.length, (sizes.get(u.length) ?? 0) + 1);
    const [m] = [...sizes].sort((p, q) => q[1] - p[1] || q[0] - p[0])[0]!;
    const expected = fleissKappa(
      slots(
        list.filter((u) => u.length === m),
        m,
      ),
    );
    const got = tallied('nominal', list).fleiss();
    expect(got.kappa).toBeCloseTo(expected.kappa, 12);
    expect([got.units, got.raters]).toEqual([expected.units, expected.raters]);

    const two = units(8, 2000, ['b', 'a'], (r) => ['x', 'y'][Math.floor(r() * 2)]!);
    // The first value of each rater; units one rater filled alone are dropped.
    const matrix: Rating[][] = [['a'], ['b']].map(([rater]) =>
      two.map((u) => u.find(([who]) => who === rater)?.[1] ?? null),
    );
    const cohen = cohenKappa(matrix);
    const tally = tallied('nominal', two);
    expect(tally.raterCount).toBe(2);
    expect(tally.cohen().kappa).toBeCloseTo(cohen.kappa, 12);
    expect(tally.cohen().units).toBe(cohen.units);
    expectError(() => tallied('nominal', list).cohen(), 'wrong_rater_count', 'ratings');
  });

  it('says why a statistic is undefined', () => {
    const same = new UnitTally('nominal');
    same.add([
      ['a', 'x'],
      ['b', 'x'],
    ]);
    same.add([['a', 'y']]); // a single value: ignored
    expectError(() => same.alpha(), 'no_variation', 'ratings');
    expectError(() => same.fleiss(), 'no_variation', 'ratings');
    expectError(() => new UnitTally('interval').alpha(), 'no_pairable_values', 'ratings');
    const words = new UnitTally('ordinal');
    words.add([
      ['a', 'low'],
      ['b', 'high'],
    ]);
    expectError(() => words.alpha(), 'not_numeric', 'values');
  });
});
