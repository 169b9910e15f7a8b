/**
 * Agreement between raters: Krippendorff's alpha, Fleiss' kappa and Cohen's kappa.
 *
 * Pure functions, no I/O. Ratings come as a matrix with one row per rater and one column
 * per unit; a cell is a number, a string, or null (missing). Numbers and strings are
 * different values (1 is not "1").
 *
 * Every function either returns finite numbers or throws an AgreementError that says why
 * the statistic is undefined for the input (one rater, nothing pairable, no variation, ...)
 * and where in the input (`path`, e.g. "ratings/2/5"). NaN never escapes.
 *
 * All of it runs in time linear in the number of values (values are hashed into categories;
 * past a few thousand distinct numbers they are sorted instead), except the ratio metric of
 * alpha, whose distance does not decompose: it compares every pair of distinct values, within
 * each unit and overall, and refuses inputs that would need more than RATIO_PAIR_LIMIT such
 * comparisons.
 */

export type Rating = number | string | null;
export type Category = number | string;
export type Level = 'nominal' | 'ordinal' | 'interval' | 'ratio';
export type KappaWeights = 'none' | 'linear' | 'quadratic';
export type RatingMatrix = readonly (readonly (Rating | undefined)[])[];

export const LEVELS: readonly Level[] = ['nominal', 'ordinal', 'interval', 'ratio'];
export const KAPPA_WEIGHTS: readonly KappaWeights[] = ['none', 'linear', 'quadratic'];

/** Pairs of distinct values the ratio metric may compare in one computation. */
export const RATIO_PAIR_LIMIT = 20_000_000;

export type AgreementErrorCode =
  | 'too_few_raters'
  | 'wrong_rater_count'
  | 'no_units'
  | 'no_categories'
  | 'ragged'
  | 'invalid_value'
  | 'not_numeric'
  | 'negative_value'
  | 'unknown_category'
  | 'duplicate_category'
  | 'no_pairable_values'
  | 'no_variation'
  | 'too_complex'
  | 'not_finite';

/** Input for which the statistic is undefined; `path` points into the input (e.g. "ratings/2/5"). */
export class AgreementError extends Error {
  constructor(
    readonly code: AgreementErrorCode,
    message: string,
    readonly path: string,
  ) {
    super(message);
    this.name = 'AgreementError';
  }
}

// ---------------------------------------------------------------------------------------
// Shared input handling

const isMissing = (v: unknown): v is null | undefined => v === null || v === undefined;

function checkValue(v: unknown, path: string): asserts v is Category {
  if (typeof v === 'string') return;
  if (typeof v === 'number' && Number.isFinite(v)) return;
  throw new AgreementError('invalid_value', 'A rating must be a finite number, a string, or null.', path);
}

/** Checks the rater × unit shape and returns the number of units. */
function checkMatrix(ratings: RatingMatrix, name: string): number {
  if (ratings.length < 2) {
    throw new AgreementError(
      'too_few_raters',
      `Agreement needs at least 2 raters (rows of ${name}); got ${ratings.length}.`,
      name,
    );
  }
  const units = ratings[0]!.length;
  for (let r = 1; r < ratings.length; r++) {
    if (ratings[r]!.length !== units) {
      throw new AgreementError(
        'ragged',
        `Every rater row needs one entry per unit: row 0 has ${units}, row ${r} has ${ratings[r]!.length}.`,
        `${name}/${r}`,
      );
    }
  }
  if (units === 0) throw new AgreementError('no_units', `There are no units (columns of ${name}).`, name);
  return units;
}

/** Numbers ascending, then strings in code-unit order: a stable, locale-free order. */
function compareCategories(a: Category, b: Category): number {
  if (typeof a === 'number') return typeof b === 'number' ? a - b : -1;
  if (typeof b === 'number') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A fixed list of categories (in their order): checks membership, maps to positions. */
class CategoryList {
  readonly positions = new Map<Category, number>();

  constructor(
    readonly values: readonly Category[],
    path: string,
  ) {
    values.forEach((c, i) => {
      checkValue(c, `${path}/${i}`);
      if (this.positions.has(c)) {
        throw new AgreementError(
          'duplicate_category',
          `The category ${JSON.stringify(c)} is listed twice.`,
          `${path}/${i}`,
        );
      }
      this.positions.set(c, i);
    });
    if (values.length === 0)
      throw new AgreementError('no_categories', 'The list of categories is empty.', path);
  }

  check(v: Category, path: () => string): void {
    if (!this.positions.has(v)) {
      throw new AgreementError(
        'unknown_category',
        `The value ${JSON.stringify(v)} is not one of the listed categories.`,
        path(),
      );
    }
  }
}

/**
 * Values as dense category codes whose order is the category order: the fixed list's, or
 * else numbers ascending, then strings. All-number input is encoded by sorting and binary
 * search, which is much faster than hashing many distinct doubles.
 */
interface Encoded {
  codes: Int32Array;
  /** The category of each code, in order. */
  values: Category[];
}

function encode(raw: Float64Array | readonly Category[], fixed: CategoryList | undefined): Encoded {
  const n = raw.length;
  const codes = new Int32Array(n);
  if (fixed) {
    for (let i = 0; i < n; i++) codes[i] = fixed.positions.get(raw[i]!)!;
    return { codes, values: [...fixed.values] };
  }
  if (raw instanceof Float64Array) {
    // Few distinct numbers (the usual case) hash fast; many distinct doubles do not, so past
    // a few thousand, sort and binary-search instead.
    const seen = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      const x = raw[i]!;
      const v = (x | 0) === x ? x | 0 : x; // small integers as such hash without boxing
      let c = seen.get(v);
      if (c === undefined) {
        if (seen.size === HASH_LIMIT) return encodeBySorting(raw);
        c = seen.size;
        seen.set(v, c);
      }
      codes[i] = c;
    }
    return renumber(codes, [...seen.keys()]);
  }
  const seen = new Map<Category, number>();
  const values: Category[] = [];
  for (let i = 0; i < n; i++) {
    const v = raw[i]!;
    let c = seen.get(v);
    if (c === undefined) {
      c = values.length;
      seen.set(v, c);
      values.push(v);
    }
    codes[i] = c;
  }
  return renumber(codes, values);
}

const HASH_LIMIT = 4096;

/** Renumbers codes (in first-seen order) so that their order is the category order. */
function renumber(codes: Int32Array, values: Category[]): Encoded {
  const order = values.map((_, i) => i).sort((a, b) => compareCategories(values[a]!, values[b]!));
  const rank = new Int32Array(values.length);
  order.forEach((c, i) => {
    rank[c] = i;
  });
  for (let i = 0; i < codes.length; i++) codes[i] = rank[codes[i]!]!;
  return { codes, values: order.map((c) => values[c]!) };
}

function encodeBySorting(raw: Float64Array): Encoded {
  const n = raw.length;
  const codes = new Int32Array(n);
  const sorted = raw.slice().sort();
  let d = 0;
  for (let i = 0; i < n; i++) if (i === 0 || sorted[i] !== sorted[d - 1]) sorted[d++] = sorted[i]!;
  const distinct = sorted.subarray(0, d);
  for (let i = 0; i < n; i++) {
    const x = raw[i]!;
    let lo = 0;
    let hi = d - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (distinct[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    codes[i] = lo;
  }
  return { codes, values: Array.from(distinct) };
}

/** Collects values into a Float64Array while all are numbers, else into an array. */
class Collector {
  private nums: Float64Array | null;
  private any: Category[] | null = null;

  constructor(size: number, numeric: boolean) {
    this.nums = numeric ? new Float64Array(size) : null;
    if (!numeric) this.any = new Array<Category>(size);
  }

  set(i: number, v: Category): void {
    if (this.nums) this.nums[i] = v as number;
    else this.any![i] = v;
  }

  get values(): Float64Array | Category[] {
    return this.nums ?? this.any!;
  }
}

function finite(x: number, what: string, path: string): number {
  if (!Number.isFinite(x)) {
    throw new AgreementError(
      'not_finite',
      `The ${what} is not a finite number for these values (are they too large?).`,
      path,
    );
  }
  return x;
}

// ---------------------------------------------------------------------------------------
// Krippendorff's alpha

export interface AlphaOptions {
  level?: Level;
  /** Allowed values; for the ordinal level, their order (needed when values are strings). */
  categories?: readonly Category[];
}

export interface AlphaResult {
  alpha: number;
  level: Level;
  /** D_o = (1/n) Σ_c Σ_k o_ck δ²_ck */
  observedDisagreement: number;
  /** D_e = 1/(n(n−1)) Σ_c Σ_k n_c n_k δ²_ck */
  expectedDisagreement: number;
  /** Units with at least 2 values (the pairable ones). */
  units: number;
  /** Units with fewer than 2 values, which alpha ignores. */
  unitsDropped: number;
  /** n: the values in pairable units. */
  pairableValues: number;
  /** Raters with at least one pairable value. */
  raters: number;
}

/**
 * Krippendorff's alpha with the coincidence matrix as Krippendorff (2011, "Computing
 * Krippendorff's Alpha-Reliability") defines it: units with fewer than 2 values are dropped,
 * each unit's m_u(m_u−1) ordered pairs of values are weighted 1/(m_u−1), and
 * α = 1 − D_o/D_e.
 *
 * The coincidences are never materialised. Each metric's sums are computed from per-unit
 * and marginal counts:
 * - nominal: Σ_{i≠j}[v_i≠v_j] = m² − Σ_c n_c²;
 * - interval: Σ_{i,j}(x_i−x_j)² = 2m Σ(x_i−x̄)²;
 * - ordinal: Krippendorff's δ_ck = Σ_{g=c..k} n_g − (n_c+n_k)/2 equals r_k − r_c with
 *   r_c = Σ_{g<c} n_g + n_c/2 (the marginal sums), so it is the interval metric on r;
 * - ratio: δ_ck = (c−k)/(c+k), summed over pairs of distinct values.
 */
export function krippendorffAlpha(ratings: RatingMatrix, options: AlphaOptions = {}): AlphaResult {
  const level = options.level ?? 'nominal';
  const unitCount = checkMatrix(ratings, 'ratings');
  const fixed = alphaCategories(level, options.categories);
  const { perUnit, allNumbers } = countValues(ratings, unitCount, level, fixed);
  const pairable = pairableValues(ratings, unitCount, perUnit, allNumbers && !fixed);
  const sums = disagreementSums(level, pairable, fixed);
  finite(sums.observed, 'observed disagreement', 'ratings');
  finite(sums.expected, 'expected disagreement', 'ratings');
  if (!(sums.expected > 0)) {
    throw new AgreementError(
      'no_variation',
      'All pairable values are the same, so the expected disagreement is 0 and alpha is undefined.',
      'ratings',
    );
  }
  const { n } = pairable;
  const observedDisagreement = sums.observed / n;
  const expectedDisagreement = sums.expected / (n * (n - 1));
  return {
    alpha: finite(1 - observedDisagreement / expectedDisagreement, 'alpha', 'ratings'),
    level,
    observedDisagreement,
    expectedDisagreement,
    units: pairable.units,
    unitsDropped: unitCount - pairable.units,
    pairableValues: n,
    raters: pairable.raters,
  };
}

/** The fixed category list, which only the nominal and ordinal levels accept. */
function alphaCategories(
  level: Level,
  categories: readonly Category[] | undefined,
): CategoryList | undefined {
  if ((level === 'interval' || level === 'ratio') && categories) {
    throw new AgreementError(
      'invalid_value',
      `Categories mean nothing at the ${level} level, where values are numbers.`,
      'categories',
    );
  }
  return categories ? new CategoryList(categories, 'categories') : undefined;
}

/** Pass 1: validates every value for the level and counts the values of each unit. */
function countValues(
  ratings: RatingMatrix,
  unitCount: number,
  level: Level,
  fixed: CategoryList | undefined,
) {
  const numeric = level === 'interval' || level === 'ratio';
  const perUnit = new Int32Array(unitCount);
  let allNumbers = true;
  for (let r = 0; r < ratings.length; r++) {
    const row = ratings[r]!;
    for (let u = 0; u < unitCount; u++) {
      const v = row[u];
      if (isMissing(v)) continue;
      if (typeof v !== 'number') {
        const path = `ratings/${r}/${u}`;
        checkValue(v, path);
        allNumbers = false;
        if (numeric) {
          throw new AgreementError(
            'not_numeric',
            `The ${level} level needs numbers; got ${JSON.stringify(v)}.`,
            path,
          );
        }
        if (level === 'ordinal' && !fixed) {
          throw new AgreementError(
            'not_numeric',
            `The ordinal level needs numbers (ranks), or the categories listed in order; got ${JSON.stringify(v)}.`,
            path,
          );
        }
      } else {
        if (!Number.isFinite(v)) checkValue(v, `ratings/${r}/${u}`);
        if (level === 'ratio' && v < 0) {
          throw new AgreementError(
            'negative_value',
            `The ratio level needs values ≥ 0; got ${v}.`,
            `ratings/${r}/${u}`,
          );
        }
      }
      fixed?.check(v, () => `ratings/${r}/${u}`);
      perUnit[u]!++;
    }
  }
  return { perUnit, allNumbers };
}

/** The values of units with 2 or more of them, grouped by unit: unit u's are [starts[u], starts[u+1]). */
interface Pairable {
  collected: Collector;
  starts: Int32Array;
  unitCount: number;
  /** n, the number of pairable values. */
  n: number;
  units: number;
  /** Raters with at least one pairable value. */
  raters: number;
}

/** Pass 2: collects the pairable values, grouped by unit. */
function pairableValues(
  ratings: RatingMatrix,
  unitCount: number,
  perUnit: Int32Array,
  numbersOnly: boolean,
): Pairable {
  const starts = new Int32Array(unitCount + 1);
  let n = 0;
  let units = 0;
  for (let u = 0; u < unitCount; u++) {
    starts[u] = n;
    if (perUnit[u]! >= 2) {
      n += perUnit[u]!;
      units++;
    }
  }
  starts[unitCount] = n;
  if (n === 0) {
    throw new AgreementError(
      'no_pairable_values',
      'No unit has values from 2 or more raters, so there is nothing to pair.',
      'ratings',
    );
  }
  const collected = new Collector(n, numbersOnly);
  const fill = starts.slice(0, unitCount);
  let raters = 0;
  for (const row of ratings) {
    let contributed = false;
    for (let u = 0; u < unitCount; u++) {
      const v = row[u];
      if (perUnit[u]! < 2 || isMissing(v)) continue;
      collected.set(fill[u]!++, v);
      contributed = true;
    }
    if (contributed) raters++;
  }
  return { collected, starts, unitCount, n, units, raters };
}

interface DisagreementSums {
  /** Σ_c Σ_k o_ck δ²_ck */
  observed: number;
  /** Σ_c Σ_k n_c n_k δ²_ck */
  expected: number;
}

function disagreementSums(
  level: Level,
  pairable: Pairable,
  fixed: CategoryList | undefined,
): DisagreementSums {
  if (level === 'interval') return intervalSums(pairable.collected.values as Float64Array, pairable);
  if (level === 'ordinal') return intervalSums(ordinalPositions(pairable, fixed), pairable);
  const encoded = encode(pairable.collected.values, fixed);
  return level === 'nominal' ? nominalSums(encoded, pairable) : ratioSums(encoded, pairable);
}

/** Each value's r_c = Σ_{g<c} n_g + n_c/2, on which the ordinal metric is the interval one. */
function ordinalPositions({ collected, n }: Pairable, fixed: CategoryList | undefined): Float64Array {
  const { codes, values: categories } = encode(collected.values, fixed);
  const nc = new Float64Array(categories.length);
  for (let i = 0; i < n; i++) nc[codes[i]!]!++;
  const r = new Float64Array(categories.length);
  let below = 0;
  for (let c = 0; c < categories.length; c++) {
    r[c] = below + nc[c]! / 2;
    below += nc[c]!;
  }
  const xs = new Float64Array(n);
  for (let i = 0; i < n; i++) xs[i] = r[codes[i]!]!;
  return xs;
}

function intervalSums(xs: Float64Array, { starts, unitCount, n }: Pairable): DisagreementSums {
  let observed = 0;
  for (let u = 0; u < unitCount; u++) {
    const a = starts[u]!;
    const b = starts[u + 1]!;
    const m = b - a;
    if (m < 2) continue;
    observed += (2 * m * sumOfSquares(xs, a, b)) / (m - 1);
  }
  return { observed, expected: 2 * n * sumOfSquares(xs, 0, n) };
}

function nominalSums({ codes: values, values: categories }: Encoded, { starts, unitCount, n }: Pairable) {
  const k = categories.length;
  const tally = new Int32Array(k);
  let observed = 0;
  for (let u = 0; u < unitCount; u++) {
    const a = starts[u]!;
    const b = starts[u + 1]!;
    const m = b - a;
    if (m < 2) continue;
    let same = 0;
    for (let i = a; i < b; i++) same += 2 * tally[values[i]!]!++ + 1; // running Σ n_uc²
    for (let i = a; i < b; i++) tally[values[i]!] = 0;
    observed += (m * m - same) / (m - 1);
  }
  const nc = new Float64Array(k);
  for (let i = 0; i < n; i++) nc[values[i]!]!++;
  let squares = 0;
  for (let c = 0; c < k; c++) squares += nc[c]! * nc[c]!;
  return { observed, expected: n * n - squares };
}

/**
 * The ratio metric compares every pair of distinct values, so its work is bounded: the
 * pairs of all categories (for the expected sum) plus each unit's pairs count against
 * RATIO_PAIR_LIMIT.
 */
function ratioSums({ codes: values, values: categories }: Encoded, { starts, unitCount, n }: Pairable) {
  const k = categories.length;
  const nc = new Float64Array(k);
  for (let i = 0; i < n; i++) nc[values[i]!]!++;
  const x = Float64Array.from(categories as number[]);
  const ratio = (c: number, d: number) => {
    const s = x[c]! + x[d]!;
    if (s === 0) return 0;
    const q = (x[c]! - x[d]!) / s;
    return q * q;
  };
  let work = (k * (k - 1)) / 2;
  const tooComplex = () =>
    new AgreementError(
      'too_complex',
      `The ratio metric compares every pair of distinct values; these ratings need more than ${RATIO_PAIR_LIMIT} comparisons. Round the values or use the interval level.`,
      'ratings',
    );
  if (work > RATIO_PAIR_LIMIT) throw tooComplex();
  const tally = new Int32Array(k);
  const distinct: number[] = [];
  let observed = 0;
  for (let u = 0; u < unitCount; u++) {
    const a = starts[u]!;
    const b = starts[u + 1]!;
    const m = b - a;
    if (m < 2) continue;
    distinct.length = 0;
    for (let i = a; i < b; i++) if (tally[values[i]!]!++ === 0) distinct.push(values[i]!);
    const d = distinct.length;
    work += (d * (d - 1)) / 2;
    if (work > RATIO_PAIR_LIMIT) throw tooComplex();
    let pairs = 0;
    for (let i = 0; i < d; i++) {
      const c = distinct[i]!;
      for (let j = i + 1; j < d; j++) {
        const e = distinct[j]!;
        pairs += 2 * tally[c]! * tally[e]! * ratio(c, e);
      }
    }
    for (const c of distinct) tally[c] = 0;
    observed += pairs / (m - 1);
  }
  let expected = 0;
  for (let c = 0; c < k; c++) {
    for (let e = c + 1; e < k; e++) expected += 2 * nc[c]! * nc[e]! * ratio(c, e);
  }
  return { observed, expected };
}
/** Σ (x_i − x̄)² over xs[a..b), shifted by xs[a] so that identical values give exactly 0. */
function sumOfSquares(xs: Float64Array, a: number, b: number): number {
  const x0 = xs[a]!;
  let sum = 0;
  for (let i = a; i < b; i++) sum += xs[i]! - x0;
  const mean = sum / (b - a);
  let ss = 0;
  for (let i = a; i < b; i++) {
    const d = xs[i]! - x0 - mean;
    ss += d * d;
  }
  return ss;
}

// ---------------------------------------------------------------------------------------
// Fleiss' kappa

export interface CategoryAgreement {
  category: Category;
  /** p_j: the share of all ratings in this category. */
  proportion: number;
  /** Fleiss' (1971) κ_j; null when nobody (or everybody) chose the category. */
  kappa: number | null;
}

export interface FleissResult {
  kappa: number;
  /** P̄: the mean agreement within units. */
  observedAgreement: number;
  /** P̄_e = Σ_j p_j². */
  expectedAgreement: number;
  units: number;
  /** Ratings per unit (n in Fleiss' notation). */
  raters: number;
  categories: CategoryAgreement[];
}

/**
 * Fleiss (1971) from per-category sums: T_j = Σ_i n_ij and S_j = Σ_i n_ij².
 * P̄ = (Σ_j S_j − Nm) / (Nm(m−1)), p_j = T_j/(Nm), κ = (P̄ − P̄_e)/(1 − P̄_e), and
 * κ_j = 1 − Σ_i n_ij(m − n_ij) / (Nm(m−1) p_j q_j) with Σ_i n_ij(m − n_ij) = mT_j − S_j.
 */
function fleissFromSums(
  units: number,
  m: number,
  names: readonly Category[],
  totals: Float64Array,
  squares: Float64Array,
  path: string,
): FleissResult {
  const all = units * m;
  const pairs = all * (m - 1);
  let sumSquares = 0;
  let expectedAgreement = 0;
  const proportions = Array.from(totals, (t) => t / all);
  for (let j = 0; j < names.length; j++) {
    sumSquares += squares[j]!;
    expectedAgreement += proportions[j]! * proportions[j]!;
  }
  const observedAgreement = (sumSquares - all) / pairs;
  let oneCategory = false;
  for (let j = 0; j < names.length; j++) if (totals[j] === all) oneCategory = true;
  if (oneCategory || !(1 - expectedAgreement > 0)) {
    throw new AgreementError(
      'no_variation',
      'Every rating is in the same category, so the expected agreement is 1 and kappa is undefined.',
      path,
    );
  }
  const categories = names.map((category, j) => {
    const p = proportions[j]!;
    const disagreement = m * totals[j]! - squares[j]!;
    const kappa = totals[j] === 0 ? null : 1 - disagreement / (pairs * p * (1 - p));
    return { category, proportion: p, kappa: kappa === null ? null : finite(kappa, 'category kappa', path) };
  });
  return {
    kappa: finite((observedAgreement - expectedAgreement) / (1 - expectedAgreement), 'kappa', path),
    observedAgreement,
    expectedAgreement,
    units,
    raters: m,
    categories,
  };
}

export interface FleissOptions {
  /** The category set; per-category results follow its order and include unused categories. */
  categories?: readonly Category[];
}

/**
 * Fleiss' kappa from a rater × unit matrix. The raters of one unit need not be the raters
 * of another, but every unit needs the same number of ratings (at least 2).
 */
export function fleissKappa(ratings: RatingMatrix, options: FleissOptions = {}): FleissResult {
  const unitCount = checkMatrix(ratings, 'ratings');
  const raterCount = ratings.length;
  const fixed = options.categories ? new CategoryList(options.categories, 'categories') : undefined;
  const perUnit = new Int32Array(unitCount);
  let allNumbers = true;
  for (let r = 0; r < raterCount; r++) {
    const row = ratings[r]!;
    for (let u = 0; u < unitCount; u++) {
      const v = row[u];
      if (isMissing(v)) continue;
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        checkValue(v, `ratings/${r}/${u}`);
        allNumbers = false;
      }
      fixed?.check(v, () => `ratings/${r}/${u}`);
      perUnit[u]!++;
    }
  }
  const m = perUnit[0]!;
  const firstMissing = (u: number) => {
    for (let r = 0; r < raterCount; r++) if (isMissing(ratings[r]![u])) return `ratings/${r}/${u}`;
    return 'ratings';
  };
  for (let u = 1; u < unitCount; u++) {
    if (perUnit[u] !== m) {
      throw new AgreementError(
        'ragged',
        `Fleiss' kappa needs the same number of ratings for every unit: unit 0 has ${m}, unit ${u} has ${perUnit[u]}.`,
        firstMissing(perUnit[u]! < m ? u : 0),
      );
    }
  }
  if (m < 2) {
    throw new AgreementError(
      'no_pairable_values',
      `Fleiss' kappa needs at least 2 ratings per unit; every unit has ${m}.`,
      'ratings',
    );
  }

  // Unit u's ratings go to positions u·m … u·m + m − 1.
  const collected = new Collector(unitCount * m, allNumbers && !fixed);
  const fill = new Int32Array(unitCount);
  for (let r = 0; r < raterCount; r++) {
    const row = ratings[r]!;
    for (let u = 0; u < unitCount; u++) {
      const v = row[u];
      if (!isMissing(v)) collected.set(u * m + fill[u]!++, v);
    }
  }
  const { codes, values: names } = encode(collected.values, fixed);

  // Per unit, tally its ratings by category; per category, accumulate Σ n_ij and Σ n_ij².
  const k = names.length;
  const totals = new Float64Array(k);
  const squares = new Float64Array(k);
  const tally = new Int32Array(k);
  for (let u = 0; u < unitCount; u++) {
    const a = u * m;
    for (let i = a; i < a + m; i++) tally[codes[i]!]!++;
    for (let i = a; i < a + m; i++) {
      const c = codes[i]!;
      const t = tally[c]!;
      if (t === 0) continue; // this category of the unit is already counted
      totals[c]! += t;
      squares[c]! += t * t;
      tally[c] = 0;
    }
  }
  return fleissFromSums(unitCount, m, names, totals, squares, 'ratings');
}

/**
 * Fleiss' kappa from a unit × category matrix of counts (n_ij: how many raters put unit i
 * in category j). Every row must sum to the same number of ratings, at least 2. Categories
 * are named by `categories` (one per column) or by column index.
 */
export function fleissKappaFromCounts(
  counts: readonly (readonly number[])[],
  options: FleissOptions = {},
): FleissResult {
  if (counts.length === 0)
    throw new AgreementError('no_units', 'There are no units (rows of counts).', 'counts');
  const k = counts[0]!.length;
  if (k === 0)
    throw new AgreementError('no_categories', 'There are no categories (columns of counts).', 'counts/0');
  let names: Category[] = Array.from({ length: k }, (_, j) => j);
  if (options.categories) {
    names = [...new CategoryList(options.categories, 'categories').values];
    if (names.length !== k) {
      throw new AgreementError(
        'ragged',
        `There are ${names.length} categories for ${k} columns of counts.`,
        'categories',
      );
    }
  }
  const totals = new Float64Array(k);
  const squares = new Float64Array(k);
  let m = -1;
  for (let i = 0; i < counts.length; i++) {
    const row = counts[i]!;
    if (row.length !== k) {
      throw new AgreementError(
        'ragged',
        `Every unit needs one count per category: row 0 has ${k}, row ${i} has ${row.length}.`,
        `counts/${i}`,
      );
    }
    let sum = 0;
    for (let j = 0; j < k; j++) {
      const x = row[j]!;
      if (!Number.isSafeInteger(x) || x < 0) {
        throw new AgreementError('invalid_value', 'A count must be a whole number ≥ 0.', `counts/${i}/${j}`);
      }
      sum += x;
      totals[j]! += x;
      squares[j]! += x * x;
    }
    if (m < 0) m = sum;
    else if (sum !== m) {
      throw new AgreementError(
        'ragged',
        `Fleiss' kappa needs the same number of ratings for every unit: unit 0 has ${m}, unit ${i} has ${sum}.`,
        `counts/${i}`,
      );
    }
  }
  if (m < 2) {
    throw new AgreementError(
      'no_pairable_values',
      `Fleiss' kappa needs at least 2 ratings per unit; every unit has ${m}.`,
      'counts',
    );
  }
  return fleissFromSums(counts.length, m, names, totals, squares, 'counts');
}

// ---------------------------------------------------------------------------------------
// Cohen's kappa

export interface CohenOptions {
  /** Weighted kappa: disagreement |i−j|/(k−1) or (i−j)²/(k−1)² between category positions. */
  weights?: KappaWeights;
  /** The category set and, for weighted kappa, its order (needed when values are strings). */
  categories?: readonly Category[];
}

export interface CohenResult {
  kappa: number;
  /** p_o (weighted: Σ w_ij p_ij). */
  observedAgreement: number;
  /** p_e (weighted: Σ w_ij p_i· p_·j). */
  expectedAgreement: number;
  /** Units rated by both raters. */
  units: number;
  raters: 2;
  weights: KappaWeights;
}

/**
 * Cohen's kappa for exactly two raters; units either rater left out are dropped.
 * κ = (p_o − p_e)/(1 − p_e). Weighted kappa (Cohen 1968) uses agreement weights
 * w_ij = 1 − |i−j|/(k−1) (linear) or 1 − (i−j)²/(k−1)² (quadratic), where i and j are the
 * positions of the categories in their order: the given list, else the numbers ascending
 * (the convention of R's irr::kappa2 and scikit-learn's cohen_kappa_score).
 */
export function cohenKappa(ratings: RatingMatrix, options: CohenOptions = {}): CohenResult {
  const weights = options.weights ?? 'none';
  if (ratings.length !== 2) {
    throw new AgreementError(
      'wrong_rater_count',
      `Cohen's kappa compares exactly 2 raters; got ${ratings.length}. Use Fleiss' kappa or Krippendorff's alpha for more.`,
      'ratings',
    );
  }
  const unitCount = checkMatrix(ratings, 'ratings');
  const fixed = options.categories ? new CategoryList(options.categories, 'categories') : undefined;
  const [first, second] = ratings as [readonly (Rating | undefined)[], readonly (Rating | undefined)[]];
  let n = 0;
  let allNumbers = true;
  for (let u = 0; u < unitCount; u++) {
    const pair = [first[u], second[u]] as const;
    for (let r = 0; r < 2; r++) {
      const v = pair[r];
      if (isMissing(v)) continue;
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        checkValue(v, `ratings/${r}/${u}`);
        allNumbers = false;
        if (weights !== 'none' && !fixed) {
          throw new AgreementError(
            'not_numeric',
            `Weighted kappa needs ordered categories: numbers, or the categories listed in order; got ${JSON.stringify(v)}.`,
            `ratings/${r}/${u}`,
          );
        }
      }
      fixed?.check(v, () => `ratings/${r}/${u}`);
    }
    if (!isMissing(pair[0]) && !isMissing(pair[1])) n++;
  }
  if (n === 0) {
    throw new AgreementError('no_pairable_values', 'No unit was rated by both raters.', 'ratings');
  }
  // The first rater's values at 0 … n−1, the second's at n … 2n−1.
  const collected = new Collector(2 * n, allNumbers && !fixed);
  for (let u = 0, i = 0; u < unitCount; u++) {
    const x = first[u];
    const y = second[u];
    if (isMissing(x) || isMissing(y)) continue;
    collected.set(i, x);
    collected.set(n + i, y);
    i++;
  }
  // Codes are positions in the category order.
  const { codes, values } = encode(collected.values, fixed);
  const k = values.length;
  const rowTotals = new Float64Array(k);
  const colTotals = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    rowTotals[codes[i]!]!++;
    colTotals[codes[n + i]!]!++;
  }

  let observedAgreement: number;
  let expectedAgreement: number;
  if (weights === 'none') {
    let agree = 0;
    for (let i = 0; i < n; i++) if (codes[i] === codes[n + i]) agree++;
    let chance = 0; // Σ_c a_c b_c, an exact integer
    for (let c = 0; c < k; c++) chance += rowTotals[c]! * colTotals[c]!;
    if (chance === n * n) throw noVariationCohen();
    observedAgreement = agree / n;
    expectedAgreement = chance / (n * n);
  } else {
    if (k < 2) throw noVariationCohen();
    const scale = weights === 'linear' ? k - 1 : (k - 1) * (k - 1);
    let observed = 0; // Σ_u |i−j| or (i−j)²
    for (let i = 0; i < n; i++) {
      const d = Math.abs(codes[i]! - codes[n + i]!);
      observed += weights === 'linear' ? d : d * d;
    }
    const chance =
      weights === 'linear' ? linearCross(rowTotals, colTotals) : quadraticCross(rowTotals, colTotals, n);
    if (chance === 0) throw noVariationCohen();
    observedAgreement = 1 - observed / scale / n;
    expectedAgreement = 1 - chance / scale / (n * n);
  }
  return {
    kappa: finite((observedAgreement - expectedAgreement) / (1 - expectedAgreement), 'kappa', 'ratings'),
    observedAgreement,
    expectedAgreement,
    units: n,
    raters: 2,
    weights,
  };
}

function noVariationCohen() {
  return new AgreementError(
    'no_variation',
    'Both raters put every unit in the same single category, so the expected agreement is 1 and kappa is undefined.',
    'ratings',
  );
}

/** Σ_i Σ_j a_i b_j |i−j| in O(k), with prefix sums. */
function linearCross(a: Float64Array, b: Float64Array): number {
  let countAll = 0;
  let weightedAll = 0;
  for (let i = 0; i < a.length; i++) {
    countAll += a[i]!;
    weightedAll += a[i]! * i;
  }
  let countBelow = 0; // Σ_{i<j} a_i
  let weightedBelow = 0; // Σ_{i<j} a_i i
  let total = 0;
  for (let j = 0; j < b.length; j++) {
    const countAbove = countAll - countBelow - a[j]!;
    const weightedAbove = weightedAll - weightedBelow - a[j]! * j;
    total += b[j]! * (j * countBelow - weightedBelow + (weightedAbove - j * countAbove));
    countBelow += a[j]!;
    weightedBelow += a[j]! * j;
  }
  return total;
}

/** Σ_i Σ_j a_i b_j (i−j)² in O(k), from moments about the middle. */
function quadraticCross(a: Float64Array, b: Float64Array, n: number): number {
  const mid = (a.length - 1) / 2;
  let a1 = 0;
  let a2 = 0;
  let b1 = 0;
  let b2 = 0;
  for (let i = 0; i < a.length; i++) {
    const x = i - mid;
    a1 += a[i]! * x;
    a2 += a[i]! * x * x;
    b1 += b[i]! * x;
    b2 += b[i]! * x * x;
  }
  return n * a2 + n * b2 - 2 * a1 * b1;
}

// ---------------------------------------------------------------------------------------
// Streaming: the same statistics from tallies, for units that arrive one at a time

/**
 * Alpha, Fleiss' kappa and Cohen's kappa over units added one at a time, without keeping
 * the units: memory grows with the distinct unit profiles (a unit's multiset of values, at
 * most categories^m of them; the interval level keeps running sums instead) and the raters,
 * never with the number of units. The formulas are krippendorffAlpha's, fleissKappa's and
 * cohenKappa's (unweighted) on the matrix the units would make, where unit u is column u
 * and its k-th value is row k (a rater's first value for Cohen).
 */
export class UnitTally {
  private readonly codes = new Map<Category, number>();
  private readonly categories: Category[] = [];
  /** Unit profiles: sorted category codes joined by ',' → how many units have it. */
  private readonly profiles = new Map<string, { codes: number[]; count: number }>();
  /** Interval level: Σ_u 2m·SS_u/(m−1), and Welford's running mean and Σ(x − x̄)² over all values. */
  private intervalObserved = 0;
  private mean = 0;
  private spread = 0;
  private values = 0;
  private units = 0;
  private widest = 0;
  /** Cohen: every rater seen; while there are at most 2, [first rater's value, second's] → units. */
  private readonly raters = new Set<string>();
  private readonly pairs = new Map<string, { a: Category; b: Category; count: number }>();
  /** The first value no statistic can take; every statistic then reports it. */
  private invalid: AgreementError | undefined;

  constructor(readonly level: Exclude<Level, 'ratio'>) {}

  /** One unit's values, each with its rater; units with fewer than 2 values are ignored. */
  add(values: readonly (readonly [string, Category])[]): void {
    const m = values.length;
    if (m < 2 || this.invalid) return;
    for (const [, v] of values) {
      if (!(typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)))) {
        this.invalid = new AgreementError(
          'invalid_value',
          'A rating must be a finite number or a string.',
          'values',
        );
        return;
      }
      if (this.level !== 'nominal' && typeof v !== 'number') {
        this.invalid = new AgreementError(
          'not_numeric',
          `The ${this.level} level needs numbers; got ${JSON.stringify(v)}.`,
          'values',
        );
        return;
      }
    }
    for (const [rater] of values) this.raters.add(rater);
    this.units++;
    this.widest = Math.max(this.widest, m);
    if (this.level === 'interval') this.addInterval(values.map(([, v]) => v as number));
    else {
      this.values += m;
      this.addProfile(values.map(([, v]) => this.codeOf(v)));
    }
    this.addPair(values);
  }

  private codeOf(v: Category): number {
    let c = this.codes.get(v);
    if (c === undefined) {
      c = this.categories.push(v) - 1;
      this.codes.set(v, c);
    }
    return c;
  }

  private addProfile(codes: number[]): void {
    codes.sort((a, b) => a - b);
    const key = codes.join(',');
    const p = this.profiles.get(key);
    if (p) p.count++;
    else this.profiles.set(key, { codes, count: 1 });
  }

  private addInterval(xs: number[]): void {
    const m = xs.length;
    this.intervalObserved += (2 * m * sumOfSquares(Float64Array.from(xs), 0, m)) / (m - 1);
    for (const x of xs) {
      this.values++;
      const d = x - this.mean;
      this.mean += d / this.values;
      this.spread += d * (x - this.mean);
    }
  }

  private addPair(values: readonly (readonly [string, Category])[]): void {
    if (this.raters.size > 2) {
      this.pairs.clear();
      return;
    }
    const first = new Map<string, Category>();
    for (const [rater, v] of values) if (!first.has(rater)) first.set(rater, v);
    if (first.size !== 2) return;
    const [[r, x], [s, y]] = [...first] as [[string, Category], [string, Category]];
    // Rows in rater order, as cohenKappa's caller sorts them (the table is symmetric anyway).
    const [a, b] = r < s ? [x, y] : [y, x];
    const key = JSON.stringify([a, b]);
    const p = this.pairs.get(key);
    if (p) p.count++;
    else this.pairs.set(key, { a, b, count: 1 });
  }

  /** The distinct raters seen. */
  get raterCount(): number {
    return this.raters.size;
  }

  alpha(): AlphaResult {
    if (this.invalid) throw this.invalid;
    const n = this.values;
    if (n === 0) {
      throw new AgreementError(
        'no_pairable_values',
        'No unit has values from 2 or more raters, so there is nothing to pair.',
        'ratings',
      );
    }
    let observed = 0;
    let expected = 0;
    if (this.level === 'interval') {
      observed = this.intervalObserved;
      expected = 2 * n * this.spread;
    } else {
      const k = this.categories.length;
      const nc = new Float64Array(k);
      for (const { codes, count } of this.profiles.values()) for (const c of codes) nc[c]! += count;
      if (this.level === 'nominal') {
        for (const { codes, count } of this.profiles.values()) {
          const m = codes.length;
          let same = 0;
          for (let i = 0, run = 0; i < m; i++) {
            run = i > 0 && codes[i] === codes[i - 1] ? run + 1 : 1;
            same += 2 * run - 1; // running Σ n_uc²
          }
          observed += (count * (m * m - same)) / (m - 1);
        }
        let squares = 0;
        for (let c = 0; c < k; c++) squares += nc[c]! * nc[c]!;
        expected = n * n - squares;
      } else {
        // Ordinal: each value's r_c = Σ_{g<c} n_g + n_c/2, categories in numeric order.
        const order = this.categories
          .map((_, c) => c)
          .sort((a, b) => compareCategories(this.categories[a]!, this.categories[b]!));
        const rank = new Float64Array(k);
        let below = 0;
        for (const c of order) {
          rank[c] = below + nc[c]! / 2;
          below += nc[c]!;
        }
        for (const { codes, count } of this.profiles.values()) {
          const m = codes.length;
          const xs = Float64Array.from(codes, (c) => rank[c]!);
          observed += (count * 2 * m * sumOfSquares(xs, 0, m)) / (m - 1);
        }
        let mean = 0;
        for (let c = 0; c < k; c++) mean += nc[c]! * rank[c]!;
        mean /= n;
        for (let c = 0; c < k; c++) expected += nc[c]! * (rank[c]! - mean) ** 2;
        expected *= 2 * n;
      }
    }
    finite(observed, 'observed disagreement', 'ratings');
    finite(expected, 'expected disagreement', 'ratings');
    if (!(expected > 0)) {
      throw new AgreementError(
        'no_variation',
        'All pairable values are the same, so the expected disagreement is 0 and alpha is undefined.',
        'ratings',
      );
    }
    const observedDisagreement = observed / n;
    const expectedDisagreement = expected / (n * (n - 1));
    return {
      alpha: finite(1 - observedDisagreement / expectedDisagreement, 'alpha', 'ratings'),
      level: this.level,
      observedDisagreement,
      expectedDisagreement,
      units: this.units,
      unitsDropped: 0,
      pairableValues: n,
      raters: this.widest,
    };
  }

  /** Fleiss' kappa over the units with the usual number of values (the larger on a tie). */
  fleiss(): FleissResult {
    if (this.invalid) throw this.invalid;
    if (this.level === 'interval')
      throw new AgreementError('not_numeric', "Fleiss' kappa is for categories.", 'ratings');
    if (this.units === 0)
      throw new AgreementError('no_units', 'There are no units with 2 or more values.', 'ratings');
    const bySize = new Map<number, number>();
    for (const { codes, count } of this.profiles.values())
      bySize.set(codes.length, (bySize.get(codes.length) ?? 0) + count);
    const [m, units] = [...bySize].sort((a, b) => b[1] - a[1] || b[0] - a[0])[0]!;
    const k = this.categories.length;
    const totals = new Float64Array(k);
    const squares = new Float64Array(k);
    for (const { codes, count } of this.profiles.values()) {
      if (codes.length !== m) continue;
      for (let i = 0; i < m; ) {
        let j = i;
        while (j < m && codes[j] === codes[i]) j++;
        totals[codes[i]!]! += count * (j - i);
        squares[codes[i]!]! += count * (j - i) * (j - i);
        i = j;
      }
    }
    return fleissFromSums(units, m, this.categories, totals, squares, 'ratings');
  }

  /** Unweighted Cohen's kappa of the two raters; throws unless there are exactly 2. */
  cohen(): CohenResult {
    if (this.invalid) throw this.invalid;
    if (this.raters.size !== 2) {
      throw new AgreementError(
        'wrong_rater_count',
        `Cohen's kappa compares exactly 2 raters; got ${this.raters.size}. Use Fleiss' kappa or Krippendorff's alpha for more.`,
        'ratings',
      );
    }
    const rows = new Map<Category, number>();
    const cols = new Map<Category, number>();
    let n = 0;
    let agree = 0;
    for (const { a, b, count } of this.pairs.values()) {
      n += count;
      if (a === b) agree += count;
      rows.set(a, (rows.get(a) ?? 0) + count);
      cols.set(b, (cols.get(b) ?? 0) + count);
    }
    if (n === 0)
      throw new AgreementError('no_pairable_values', 'No unit was rated by both raters.', 'ratings');
    let chance = 0;
    for (const [c, x] of rows) chance += x * (cols.get(c) ?? 0);
    if (chance === n * n) throw noVariationCohen();
    const observedAgreement = agree / n;
    const expectedAgreement = chance / (n * n);
    return {
      kappa: finite((observedAgreement - expectedAgreement) / (1 - expectedAgreement), 'kappa', 'ratings'),
      observedAgreement,
      expectedAgreement,
      units: n,
      raters: 2,
      weights: 'none',
    };
  }
}
