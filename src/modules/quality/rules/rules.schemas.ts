import { Type } from '@fastify/type-provider-typebox';
import { PageQuery } from '../../../platform/db/pagination.ts';
import { DateTime, Nullable, Uuid } from '../../../platform/http/schemas.ts';
import { ISSUE_STATES, RULE_TYPES, SEVERITIES } from '../schema.ts';

export const Id = Type.Integer({ minimum: 1 });

export const enumOf = <T extends string>(values: readonly T[]) =>
  Type.Unsafe<T>({ type: 'string', enum: [...values] });

export const Json = Type.Record(Type.String(), Type.Unknown());

export const ProjectParams = Type.Object({ projectId: Id });

export const Params = Type.Object({ id: Id });

export const Rule = Type.Object({
  id: Type.Integer(),
  project_id: Type.Integer(),
  name: Type.String(),
  type: Type.String(),
  config: Json,
  severity: Type.String(),
  priority: Type.Integer(),
  enabled: Type.Boolean(),
  version: Type.Integer(),
  template: Nullable(Type.String()),
  created_at: DateTime,
  updated_at: DateTime,
});

export const RuleFields = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  config: Type.Optional(Json),
  severity: Type.Optional(enumOf(SEVERITIES)),
  priority: Type.Optional(Type.Integer({ minimum: -1000, maximum: 1000 })),
  enabled: Type.Optional(Type.Boolean()),
};

export const TemplateRule = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    type: enumOf(RULE_TYPES),
    config: Json,
    severity: enumOf(SEVERITIES),
    priority: Type.Integer({ minimum: -1000, maximum: 1000 }),
  },
  { additionalProperties: false },
);

export const Template = Type.Object({
  name: Type.String(),
  description: Type.String(),
  built_in: Type.Boolean(),
  rules: Type.Array(Json),
});

export const Issue = Type.Object({
  id: Type.Integer(),
  project_id: Type.Integer(),
  annotation_id: Type.Integer(),
  /** The task of the annotation, for a link to it (null once the annotation is gone). */
  task_id: Nullable(Type.Integer()),
  rule_id: Nullable(Type.Integer()),
  check_result_id: Nullable(Type.Integer()),
  severity: Type.String(),
  message: Type.String(),
  status: Type.String(),
  assignee_id: Nullable(Type.String()),
  resolved_at: Nullable(DateTime),
  created_at: DateTime,
  updated_at: DateTime,
});

export const CheckResult = Type.Object({
  id: Type.Integer(),
  annotation_id: Type.Integer(),
  rule_id: Type.Integer(),
  rule_version: Type.Integer(),
  passed: Type.Boolean(),
  message: Type.String(),
  details: Json,
  job_id: Nullable(Type.String()),
  checked_at: DateTime,
});

export const TemplateIn = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,62}$' }),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    rules: Type.Array(TemplateRule, { minItems: 1, maxItems: 100 }),
  },
  { additionalProperties: false },
);

export const CheckResultsQuery = Type.Object({
  ...PageQuery,
  annotation_id: Type.Optional(Id),
  passed: Type.Optional(Type.Boolean()),
});

export const IssuesQuery = Type.Object({
  ...PageQuery,
  status: Type.Optional(enumOf(ISSUE_STATES)),
  annotation_id: Type.Optional(Id),
});

export const IssueChange = Type.Object(
  { status: Type.Optional(enumOf(ISSUE_STATES)), assignee_id: Type.Optional(Nullable(Uuid)) },
  { additionalProperties: false },
);
