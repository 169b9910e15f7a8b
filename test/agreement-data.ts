import type { Rating } from '../src/modules/quality/agreement/agreement.ts';

/** Published agreement examples with their published results, for the engine's and the API's tests. */

const _ = null;

/**
 * Krippendorff, K. (2011). "Computing Krippendorff's Alpha-Reliability", University of
 * Pennsylvania, https://repository.upenn.edu/asc_papers/43 — the reliability data matrix
 * with missing values: 4 observers (A–D) × 12 units. Published: α_nominal = .743,
 * α_ordinal = .815, α_interval = .849, α_ratio = .797, with n = 40 pairable values (unit 12
 * has a single value and is dropped). The same data are R irr's `nmm` (kripp.alpha examples).
 */
export const KRIPPENDORFF_2011: Rating[][] = [
  [1, 2, 3, 3, 2, 1, 4, 1, 2, _, _, _],
  [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, _, 3],
  [_, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, _],
  [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, _],
];

/**
 * Fleiss, J. L. (1971). "Measuring nominal scale agreement among many raters",
 * Psychological Bulletin 76(5), 378–382, Table 1: 30 patients, each diagnosed by 6 of the
 * psychiatrists, 5 categories. One string per patient, one digit per rating (1 Depression,
 * 2 Personality disorder, 3 Schizophrenia, 4 Neurosis, 5 Other); the same data as R irr's
 * `diagnoses`. Published: κ = .430; category kappas .245, .245, .520, .471, .566 (irr's
 * kappam.fleiss(diagnoses, detail = TRUE), which follows Fleiss' formula for κ_j).
 */
const FLEISS_1971 =
  '444444 222555 233335 555555 222444 113333 333355 113334 114444 555555 144444 124444 222333 144444 224445 333335 111455 111112 224444 133555 555555 244444 224555 114444 144445 222224 111155 224444 133333 555555'.split(
    ' ',
  );
export const DIAGNOSES = [
  '1. Depression',
  '2. Personality Disorder',
  '3. Schizophrenia',
  '4. Neurosis',
  '5. Other',
];
/** Rater × unit, as the API takes it. */
export const FLEISS_1971_RATINGS: string[][] = [0, 1, 2, 3, 4, 5].map((r) =>
  FLEISS_1971.map((p) => DIAGNOSES[Number(p[r]) - 1]!),
);
export const FLEISS_1971_COUNTS: number[][] = FLEISS_1971.map((p) =>
  [1, 2, 3, 4, 5].map((c) => [...p].filter((d) => Number(d) === c).length),
);

/**
 * Wikipedia, "Fleiss' kappa", Worked example: 10 subjects × 14 raters × 5 categories,
 * as counts. Published: P̄ = 0.378, P̄_e = 0.213, κ = 0.210, and
 * p_j = 0.143, 0.200, 0.279, 0.150, 0.229.
 */
export const WIKIPEDIA_FLEISS_COUNTS = [
  [0, 0, 0, 0, 14],
  [0, 2, 6, 4, 2],
  [0, 0, 3, 5, 6],
  [0, 3, 9, 2, 0],
  [2, 2, 8, 1, 1],
  [7, 7, 0, 0, 0],
  [3, 2, 6, 3, 0],
  [2, 5, 3, 2, 2],
  [6, 5, 2, 1, 0],
  [0, 2, 2, 3, 7],
];

/** Two raters' answers from a 2×2 table (yes/yes, yes/no, no/yes, no/no). */
export function twoByTwo(yy: number, yn: number, ny: number, nn: number): string[][] {
  const a: string[] = [];
  const b: string[] = [];
  for (const [x, y, count] of [
    ['yes', 'yes', yy],
    ['yes', 'no', yn],
    ['no', 'yes', ny],
    ['no', 'no', nn],
  ] as const) {
    for (let i = 0; i < count; i++) {
      a.push(x);
      b.push(y);
    }
  }
  return [a, b];
}

/**
 * R irr's `anxiety` data (20 subjects, raters 1 and 2). Published in irr's kappa2 example:
 * kappa2(anxiety[, 1:2], "squared") = 0.297.
 */
export const ANXIETY = [
  [3, 3, 3, 4, 5, 5, 2, 3, 5, 2, 2, 6, 1, 5, 2, 2, 1, 2, 4, 3],
  [3, 6, 4, 6, 2, 4, 2, 4, 3, 3, 2, 3, 3, 3, 2, 2, 1, 3, 3, 4],
];
