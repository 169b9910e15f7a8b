import { Type } from '@fastify/type-provider-typebox';
import { DateTime, Nullable, Uuid } from '../../platform/http/schemas.ts';
import type { annotations, predictions } from './schema.ts';

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

export function annotationView(a: typeof annotations.$inferSelect) {
  return {
    id: a.id,
    task: a.taskId,
    project: a.projectId,
    result: a.result,
    lead_time: a.leadTime,
    was_cancelled: a.wasCancelled,
    ground_truth: a.groundTruth,
    completed_by: a.completedBy,
    completed_by_external: a.completedByExternal,
    parent_annotation: a.parentAnnotationId,
    parent_prediction: a.parentPredictionId,
    review_status: a.reviewStatus,
    created_at: a.createdAt,
    updated_at: a.updatedAt,
  };
}

export function predictionView(p: typeof predictions.$inferSelect) {
  return {
    id: p.id,
    task: p.taskId,
    project: p.projectId,
    result: p.result,
    score: p.score,
    model_version: p.modelVersion,
    created_at: p.createdAt,
  };
}
