import { Type } from '@fastify/type-provider-typebox';
import { DateTime, Nullable, Uuid } from '../../../platform/http/schemas.ts';

export const Id = Type.Integer({ minimum: 1 });
export const ProjectParams = Type.Object({ id: Id });
export const ImportParams = Type.Object({ id: Id, importId: Id });
export const ImportErrorItem = Type.Object({
  record: Nullable(Type.Integer()),
  line: Nullable(Type.Integer()),
  message: Type.String(),
});
export const ImportView = Type.Object({
  id: Type.Integer(),
  project_id: Type.Integer(),
  status: Type.String(),
  format: Type.String(),
  source: Type.String(),
  options: Type.Record(Type.String(), Type.Unknown()),
  counts: Type.Object({
    tasks: Type.Integer(),
    annotations: Type.Integer(),
    predictions: Type.Integer(),
    duplicates_skipped: Type.Integer(),
  }),
  errors: Type.Array(ImportErrorItem),
  job_id: Nullable(Uuid),
  progress: Type.Number(),
  created_at: DateTime,
  finished_at: Nullable(DateTime),
});
