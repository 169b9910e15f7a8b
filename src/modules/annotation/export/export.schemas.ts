import { Type } from '@fastify/type-provider-typebox';
import { DateTime, Nullable, Uuid } from '../../../platform/http/schemas.ts';
import { EXPORT_FORMATS } from './export.formats.ts';

export const Id = Type.Integer({ minimum: 1 });
export const ProjectParams = Type.Object({ id: Id });
export const ExportParams = Type.Object({ id: Id, exportId: Id });
export const Format = Type.Union(
  EXPORT_FORMATS.map((f) => Type.Literal(f)),
  { description: 'Label Studio export format' },
);
export const ExportFilters = {
  search: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 500,
      description: 'Only tasks the data manager’s `search` finds',
    }),
  ),
  q: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 500,
      description: 'Only tasks the data manager’s full-text `q` finds',
    }),
  ),
  label: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 500,
      description: 'Only tasks with this label, choice or text answer',
    }),
  ),
  only_annotated: Type.Optional(Type.Boolean({ description: 'Only tasks with annotations' })),
  only_reviewed: Type.Optional(Type.Boolean({ description: 'Only tasks with an approved review' })),
  include_predictions: Type.Optional(
    Type.Boolean({ description: 'JSON: include predictions (default true)' }),
  ),
  include_cancelled: Type.Optional(
    Type.Boolean({
      description:
        'Include cancelled (skipped) annotations; default true for JSON, false for the other formats, as Label Studio',
    }),
  ),
  only_ground_truth: Type.Optional(
    Type.Boolean({ description: 'Only ground-truth annotations (tasks without one export as unannotated)' }),
  ),
  split_labelers: Type.Optional(
    Type.Boolean({
      description:
        "YOLO, YOLO_OBB, VOC: one label file per annotator and image (labels/<annotator>/…), as Label Studio's split_labelers",
    }),
  ),
};

export const Counts = Type.Record(Type.String(), Type.Number());
export const ExportView = Type.Object({
  id: Type.Integer(),
  project_id: Type.Integer(),
  status: Type.String(),
  format: Type.String(),
  options: Type.Record(Type.String(), Type.Unknown()),
  counts: Counts,
  size_bytes: Nullable(Type.Integer()),
  error: Nullable(Type.String()),
  job_id: Nullable(Uuid),
  created_by: Nullable(Uuid),
  progress: Type.Number(),
  created_at: DateTime,
  finished_at: Nullable(DateTime),
});
