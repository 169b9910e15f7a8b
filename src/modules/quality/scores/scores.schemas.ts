import { Type } from '@fastify/type-provider-typebox';
import { PageQuery } from '../../../platform/db/pagination.ts';
import { DateTime, Nullable, Uuid } from '../../../platform/http/schemas.ts';
import { SCORE_SCOPES } from '../schema.ts';

export const ProjectParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });

export const Share = Type.Number({ minimum: 0, maximum: 1 });

export const Weights = Type.Object(
  { accuracy: Share, completeness: Share, timeliness: Share, consistency: Share },
  { additionalProperties: false, description: 'Weights of the four dimensions; they add up to 1' },
);

export const ConfigOut = Type.Object({
  project: Type.Integer(),
  weights: Weights,
  required_fields: Type.Array(Type.String(), {
    description: 'Controls an annotation must fill; empty means every control',
  }),
  expected_duration_seconds: Type.Number(),
  gold_ratio: Type.Number(),
  updated_at: Nullable(DateTime),
});

export const Dimensions = {
  accuracy: Nullable(Type.Number()),
  completeness: Nullable(Type.Number()),
  timeliness: Nullable(Type.Number()),
  consistency: Nullable(Type.Number()),
  total: Type.Number(),
};

export const ScoreOut = Type.Object({
  id: Type.Integer(),
  scope: Type.String(),
  annotation: Nullable(Type.Integer()),
  task: Nullable(Type.Integer()),
  user_id: Nullable(Uuid),
  ...Dimensions,
  details: Type.Record(Type.String(), Type.Unknown()),
  computed_at: DateTime,
});

export const RankOut = Type.Object({
  rank: Type.Integer(),
  user_id: Uuid,
  email: Nullable(Type.String()),
  name: Nullable(Type.String()),
  ...Dimensions,
  annotations: Type.Integer(),
  gold_compared: Type.Integer(),
  computed_at: DateTime,
});

export const ScoringConfigIn = Type.Object(
  {
    weights: Type.Optional(Weights),
    required_fields: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { maxItems: 1000 })),
    expected_duration_seconds: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 86_400 * 7 })),
    gold_ratio: Type.Optional(Share),
  },
  { additionalProperties: false },
);

export const ScoresQuery = Type.Object({
  ...PageQuery,
  scope: Type.Optional(Type.Union(SCORE_SCOPES.map((s) => Type.Literal(s)))),
  user_id: Type.Optional(Uuid),
});
