import { Type } from '@fastify/type-provider-typebox';
import { PageQuery } from '../../../platform/db/pagination.ts';
import { DateTime, Nullable, Uuid } from '../../../platform/http/schemas.ts';
import { enumOf } from '../rules/rules.schemas.ts';
import { IMPROVEMENT_STATES, SEVERITIES } from '../schema.ts';

export const Result = Type.Array(Type.Record(Type.String(), Type.Unknown()), { maxItems: 10_000 });

export const Improvement = Type.Object({
  id: Type.Integer(),
  project_id: Type.Integer(),
  annotation_id: Type.Integer(),
  /** The task of the annotation, for a link to it (null once the annotation is gone). */
  task_id: Nullable(Type.Integer()),
  issue_id: Nullable(Type.Integer()),
  status: Type.String(),
  assignee_id: Nullable(Type.String()),
  original_result: Type.Array(Type.Unknown()),
  proposed_result: Nullable(Type.Array(Type.Unknown())),
  comment: Type.String(),
  created_by: Nullable(Type.String()),
  created_at: DateTime,
  updated_at: DateTime,
});

export const ImprovementsQuery = Type.Object({
  ...PageQuery,
  status: Type.Optional(enumOf(IMPROVEMENT_STATES)),
});

export const History = Type.Object({
  from: Nullable(Type.String()),
  to: Type.String(),
  actor_id: Nullable(Type.String()),
  comment: Type.String(),
  details: Type.Record(Type.String(), Type.Unknown()),
  at: DateTime,
});

export const Workflow = Type.Object({
  project_id: Type.Integer(),
  stages: Type.Array(Type.String()),
  auto_create_improvement: Type.Boolean(),
  min_severity: Type.String(),
  auto_assign: Type.String(),
  assignee_id: Nullable(Type.String()),
  updated_at: Nullable(DateTime),
});

export const WorkflowIn = Type.Object(
  {
    stages: Type.Optional(Type.Array(Type.String({ maxLength: 50 }), { maxItems: 20 })),
    auto_create_improvement: Type.Boolean(),
    min_severity: Type.Optional(enumOf(SEVERITIES)),
    auto_assign: Type.Optional(enumOf(['annotator', 'user', 'none'] as const)),
    assignee_id: Type.Optional(Nullable(Uuid)),
  },
  { additionalProperties: false },
);

export const ImprovementIn = Type.Object(
  {
    issue_id: Type.Optional(Type.Integer({ minimum: 1 })),
    annotation_id: Type.Optional(Type.Integer({ minimum: 1 })),
    assignee_id: Type.Optional(Nullable(Uuid)),
    comment: Type.Optional(Type.String({ maxLength: 5000 })),
  },
  { additionalProperties: false },
);

export const ImprovementChange = Type.Object(
  {
    to: enumOf(IMPROVEMENT_STATES),
    result: Type.Optional(Result),
    comment: Type.Optional(Type.String({ maxLength: 5000 })),
  },
  { additionalProperties: false },
);
