import { type FastifyPluginAsyncTypebox, type Static, Type } from '@fastify/type-provider-typebox';
import { Problem } from '../../../platform/errors/problem.ts';
import {
  AgreementError,
  type AgreementErrorCode,
  type Category,
  cohenKappa,
  fleissKappa,
  fleissKappaFromCounts,
  KAPPA_WEIGHTS,
  krippendorffAlpha,
  LEVELS,
  type Rating,
} from '../agreement/agreement.ts';

/** Most rater rows, units and values one request may carry. */
export const MAX_RATERS = 1000;
export const MAX_UNITS = 100_000;
export const MAX_VALUES = 2_000_000;
export const MAX_CATEGORIES = 10_000;
/** 2M short labels fit; the platform's default body limit is smaller. */
const BODY_LIMIT = 32 * 1024 * 1024;

const METHODS = ['krippendorff_alpha', 'fleiss_kappa', 'cohen_kappa'] as const;
const literals = <T extends string>(values: readonly T[]) =>
  Type.Unsafe<T>({ type: 'string', enum: [...values] });

// Cells are checked by the library (number, string or null, reported with their path), not
// by the schema: with type coercion on, an anyOf would turn null into 0 or 3 into "3", and a
// union `type` needs an Ajv option the platform does not set.
const Value = Type.Unsafe<Rating>({
  description: 'A rating: a number or a string; null when the rater did not rate the unit',
});
const CategoryValue = Type.Unsafe<Category>({ description: 'A category: a number or a string' });
const CategoryOut = Type.Unsafe<Category>({ type: ['number', 'string'] });

const AgreementBody = Type.Object(
  {
    method: literals(METHODS),
    level: Type.Optional(literals(LEVELS)),
    ratings: Type.Optional(
      Type.Array(Type.Array(Value, { maxItems: MAX_UNITS }), {
        maxItems: MAX_RATERS,
        description: `One row per rater, one column per unit; at most ${MAX_VALUES} values in all`,
      }),
    ),
    counts: Type.Optional(
      Type.Array(Type.Array(Type.Integer({ minimum: 0, maximum: 1_000_000 }), { maxItems: MAX_CATEGORIES }), {
        maxItems: MAX_UNITS,
        description:
          "Fleiss' kappa only: one row per unit, one column per category, each cell a count of raters",
      }),
    ),
    categories: Type.Optional(
      Type.Array(CategoryValue, {
        maxItems: MAX_CATEGORIES,
        description:
          'The category set in order: every value must be one of them. Gives the order for ordinal alpha and weighted kappa (needed for strings), names the count columns for Fleiss',
      }),
    ),
    weights: Type.Optional(literals(KAPPA_WEIGHTS)),
  },
  { additionalProperties: false },
);
type AgreementBody = Static<typeof AgreementBody>;

const AgreementResult = Type.Object({
  method: literals(METHODS),
  value: Type.Number({ description: 'Alpha or kappa' }),
  units: Type.Integer({ description: 'Units counted (alpha: pairable units; Cohen: rated by both)' }),
  raters: Type.Integer({
    description: 'Alpha: raters with a pairable value; Fleiss: ratings per unit; Cohen: 2',
  }),
  level: Type.Optional(literals(LEVELS)),
  observed_disagreement: Type.Optional(Type.Number({ description: 'Alpha: D_o' })),
  expected_disagreement: Type.Optional(Type.Number({ description: 'Alpha: D_e' })),
  pairable_values: Type.Optional(Type.Integer({ description: 'Alpha: n, the values in pairable units' })),
  units_dropped: Type.Optional(Type.Integer({ description: 'Alpha: units with fewer than 2 values' })),
  observed_agreement: Type.Optional(Type.Number({ description: 'Kappa: P̄ (Fleiss) or p_o (Cohen)' })),
  expected_agreement: Type.Optional(Type.Number({ description: 'Kappa: P̄_e (Fleiss) or p_e (Cohen)' })),
  weights: Type.Optional(literals(KAPPA_WEIGHTS)),
  categories: Type.Optional(
    Type.Array(
      Type.Object({
        category: CategoryOut,
        proportion: Type.Number({ description: 'p_j, the share of ratings in the category' }),
        kappa: Type.Union([Type.Number(), Type.Null()], {
          description: "Fleiss' κ_j; null for a category nobody chose",
        }),
      }),
    ),
  ),
});
type AgreementResult = Static<typeof AgreementResult>;

type Reason = AgreementErrorCode | 'invalid_request' | 'too_large' | 'missing';

function invalid(path: string, message: string, reason: Reason = 'invalid_request'): Problem {
  return new Problem(400, `agreement.${reason}`, message, {
    errors: [{ path: `body/${path}`, message }],
    params: { field: path },
    reason,
  });
}

/** Checks which fields go with which method; the library checks the values. */
function checkShape(body: AgreementBody): void {
  const { method } = body;
  if (body.level !== undefined && method !== 'krippendorff_alpha') {
    throw invalid('level', 'level applies to krippendorff_alpha only.');
  }
  if (body.weights !== undefined && method !== 'cohen_kappa') {
    throw invalid('weights', 'weights apply to cohen_kappa only.');
  }
  if (body.counts !== undefined) {
    if (method !== 'fleiss_kappa') throw invalid('counts', 'counts are accepted by fleiss_kappa only.');
    if (body.ratings !== undefined) throw invalid('counts', 'Give ratings or counts, not both.');
    let total = 0;
    for (const row of body.counts) total += row.length;
    if (total > MAX_VALUES)
      throw invalid('counts', `At most ${MAX_VALUES} counts in all; got ${total}.`, 'too_large');
    return;
  }
  if (body.ratings === undefined) {
    throw invalid(
      'ratings',
      method === 'fleiss_kappa' ? 'ratings or counts is required.' : 'ratings is required.',
      'missing',
    );
  }
  let total = 0;
  for (const row of body.ratings) total += row.length;
  if (total > MAX_VALUES)
    throw invalid('ratings', `At most ${MAX_VALUES} values in all; got ${total}.`, 'too_large');
}

function compute(body: AgreementBody): AgreementResult {
  const categories = body.categories;
  switch (body.method) {
    case 'krippendorff_alpha': {
      const r = krippendorffAlpha(body.ratings!, { level: body.level, categories });
      return {
        method: body.method,
        value: r.alpha,
        level: r.level,
        observed_disagreement: r.observedDisagreement,
        expected_disagreement: r.expectedDisagreement,
        units: r.units,
        units_dropped: r.unitsDropped,
        pairable_values: r.pairableValues,
        raters: r.raters,
      };
    }
    case 'fleiss_kappa': {
      const r = body.counts
        ? fleissKappaFromCounts(body.counts, { categories })
        : fleissKappa(body.ratings!, { categories });
      return {
        method: body.method,
        value: r.kappa,
        observed_agreement: r.observedAgreement,
        expected_agreement: r.expectedAgreement,
        units: r.units,
        raters: r.raters,
        categories: r.categories,
      };
    }
    case 'cohen_kappa': {
      const r = cohenKappa(body.ratings!, { weights: body.weights, categories });
      return {
        method: body.method,
        value: r.kappa,
        observed_agreement: r.observedAgreement,
        expected_agreement: r.expectedAgreement,
        units: r.units,
        raters: r.raters,
        weights: r.weights,
      };
    }
  }
}

export const qualityRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/quality/agreement',
    {
      // A computation on the request body: it reads and changes nothing, so no audit row.
      config: { permission: 'quality:read', audit: false },
      bodyLimit: BODY_LIMIT,
      schema: {
        tags: ['quality'],
        summary: "Krippendorff's alpha, Fleiss' kappa or Cohen's kappa for a ratings matrix",
        description:
          'Pure computation, nothing is stored. Input for which the statistic is undefined (one rater, no pairable values, no variation, ragged rows for Fleiss, non-numeric interval/ratio values, negative ratio values, Cohen with other than 2 raters) answers 400 with the reason and the path of the offending input.',
        body: AgreementBody,
        response: { 200: AgreementResult },
      },
    },
    async (req) => {
      checkShape(req.body);
      try {
        return compute(req.body);
      } catch (err) {
        if (err instanceof AgreementError) throw invalid(err.path, err.message, err.code);
        throw err;
      }
    },
  );
};
