import { Type } from '@fastify/type-provider-typebox';
import { DateTime, Nullable } from '../../../platform/http/schemas.ts';
import { AnnotationOut, PredictionOut } from '../shapes.ts';

export const Id = Type.Integer({ minimum: 1 });
export const TaskParams = Type.Object({ taskId: Id });
export const IdParams = Type.Object({ id: Id });
/** A Label Studio `result[]`; each region is checked against the project's labeling config. */
export const Result = Type.Array(Type.Unknown(), {
  maxItems: 10_000,
  description: "Label Studio's result[]",
});
export const UserId = Type.String({ format: 'uuid' });

export const DraftOut = Type.Object({
  id: Type.Integer(),
  task: Type.Integer(),
  project: Type.Integer(),
  user: Type.String(),
  annotation: Nullable(Type.Integer()),
  result: Type.Array(Type.Unknown()),
  lead_time: Type.Number(),
  created_at: DateTime,
  updated_at: DateTime,
});
export const TaskOut = Type.Object({
  id: Type.Integer(),
  project: Type.Integer(),
  data: Type.Record(Type.String(), Type.Unknown()),
  meta: Type.Record(Type.String(), Type.Unknown()),
  status: Type.String(),
  priority: Type.String(),
  overlap: Type.Integer(),
  is_labeled: Type.Boolean(),
  total_annotations: Type.Integer(),
  cancelled_annotations: Type.Integer(),
  total_predictions: Type.Integer(),
  annotations: Type.Array(AnnotationOut, { description: "The caller's own annotations of the task" }),
  predictions: Type.Array(PredictionOut),
  drafts: Type.Array(DraftOut, { description: "The caller's draft, if any" }),
  lock_expires_at: DateTime,
  created_at: DateTime,
  updated_at: DateTime,
});
export const AssignmentOut = Type.Object({
  id: Type.Integer(),
  task: Type.Integer(),
  project: Type.Integer(),
  user_id: Type.String(),
  kind: Type.String(),
  source: Type.String(),
  priority: Type.Integer(),
  due_at: Nullable(DateTime),
  created_by: Nullable(Type.String()),
  created_at: DateTime,
});
export const Kind = Type.Union([Type.Literal('annotate'), Type.Literal('review')]);
