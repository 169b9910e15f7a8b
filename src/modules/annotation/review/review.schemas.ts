import { Type } from '@fastify/type-provider-typebox';
import { DateTime, Nullable } from '../../../platform/http/schemas.ts';

export const ReviewOut = Type.Object({
  id: Type.Integer(),
  annotation: Type.Integer(),
  task: Type.Integer(),
  project: Type.Integer(),
  reviewer: Nullable(Type.String()),
  status: Type.String(),
  reject_mode: Nullable(Type.String()),
  fixed_annotation: Nullable(Type.Integer()),
  annotation_snapshot: Nullable(Type.Record(Type.String(), Type.Unknown())),
  comment: Type.String(),
  created_at: DateTime,
  updated_at: DateTime,
});
