import { Type } from '@fastify/type-provider-typebox';
import { DateTime, Nullable, Uuid } from '../../platform/http/schemas.ts';

/** A Label Studio annotation as the API returns it. */
export const AnnotationOut = Type.Object({
  id: Type.Integer(),
  task: Type.Integer(),
  project: Type.Integer(),
  result: Type.Array(Type.Unknown()),
  lead_time: Type.Number(),
  was_cancelled: Type.Boolean(),
  ground_truth: Type.Boolean(),
  completed_by: Nullable(Uuid),
  completed_by_external: Nullable(Type.String()),
  parent_annotation: Nullable(Type.Integer()),
  parent_prediction: Nullable(Type.Integer()),
  review_status: Nullable(Type.String()),
  created_at: DateTime,
  updated_at: DateTime,
});

/** A Label Studio prediction as the API returns it. */
export const PredictionOut = Type.Object({
  id: Type.Integer(),
  task: Type.Integer(),
  project: Type.Integer(),
  result: Type.Array(Type.Unknown()),
  score: Nullable(Type.Number()),
  model_version: Type.String(),
  created_at: DateTime,
});
