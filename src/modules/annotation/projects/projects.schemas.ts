import { Type } from '@fastify/type-provider-typebox';
import { DateTime, Nullable, Uuid } from '../../../platform/http/schemas.ts';
import { CONFIG_WARNING_CODES, ORDERINGS, PROJECT_ROLES, SKIP_POLICIES } from '../schema.ts';

export const Id = Type.Integer({ minimum: 1 });

export const ProjectParams = Type.Object({ id: Id });

export const Settings = {
  title: Type.String({ minLength: 1, maxLength: 200 }),
  description: Type.String({ maxLength: 10_000 }),
  instructions: Type.String({ maxLength: 100_000, description: 'Guidelines (Markdown)' }),
  label_config: Type.String({
    minLength: 1,
    maxLength: 200_000,
    description: 'Label Studio labeling config (XML)',
  }),
  overlap: Type.Integer({ minimum: 1, maximum: 100, description: 'Annotations wanted per task' }),
  overlap_coverage: Type.Integer({
    minimum: 0,
    maximum: 100,
    description: 'Share of tasks (percent) that get `overlap` annotations; the rest get one',
  }),
  ordering: Type.Union(ORDERINGS.map((o) => Type.Literal(o))),
  reservation_minutes: Type.Integer({ minimum: 1, maximum: 10_080 }),
  annotator_task_limit: Nullable(Type.Integer({ minimum: 1 })),
  skip_policy: Type.Union(SKIP_POLICIES.map((o) => Type.Literal(o))),
  review_required: Type.Boolean(),
};

const ConfigWarning = Type.Object({
  code: Type.Union(CONFIG_WARNING_CODES.map((c) => Type.Literal(c))),
  message: Type.String(),
  tag: Type.String(),
  control: Type.Optional(Type.String()),
  value: Type.Optional(Type.String()),
});

export const ParsedConfig = Type.Object({
  objects: Type.Array(Type.Object({ name: Type.String(), type: Type.String(), value: Type.String() })),
  controls: Type.Array(
    Type.Object({
      name: Type.String(),
      type: Type.String(),
      toName: Type.Array(Type.String()),
      labels: Type.Array(Type.String()),
    }),
  ),
  dataKeys: Type.Array(Type.String()),
  warnings: Type.Optional(Type.Array(ConfigWarning)),
});

export const Project = Type.Object({
  id: Type.Integer(),
  title: Type.String(),
  description: Type.String(),
  instructions: Type.String(),
  label_config: Type.String(),
  data_keys: Type.Array(Type.String()),
  parsed_config: ParsedConfig,
  warnings: Type.Array(ConfigWarning, {
    description:
      'What the config does that Label Studio accepts but deserves a look: duplicate choice or label values, tags the embedded editor cannot show',
  }),
  overlap: Type.Integer(),
  overlap_coverage: Type.Integer(),
  ordering: Type.String(),
  reservation_minutes: Type.Integer(),
  annotator_task_limit: Nullable(Type.Integer()),
  skip_policy: Type.String(),
  review_required: Type.Boolean(),
  task_count: Type.Integer(),
  created_by: Nullable(Uuid),
  created_at: DateTime,
  updated_at: DateTime,
  member_role: Type.Optional(Nullable(Type.Union(PROJECT_ROLES.map((r) => Type.Literal(r))))),
});

export const ProjectIn = Type.Object(
  {
    title: Settings.title,
    label_config: Settings.label_config,
    description: Type.Optional(Settings.description),
    instructions: Type.Optional(Settings.instructions),
    overlap: Type.Optional(Settings.overlap),
    overlap_coverage: Type.Optional(Settings.overlap_coverage),
    ordering: Type.Optional(Settings.ordering),
    reservation_minutes: Type.Optional(Settings.reservation_minutes),
    annotator_task_limit: Type.Optional(Settings.annotator_task_limit),
    skip_policy: Type.Optional(Settings.skip_policy),
    review_required: Type.Optional(Settings.review_required),
  },
  { additionalProperties: false },
);

export const Patch = Type.Partial(Type.Object(Settings), {
  additionalProperties: false,
  minProperties: 1,
});

export const ProjectRoleT = Type.Union(PROJECT_ROLES.map((r) => Type.Literal(r)));

export const Member = Type.Object({
  user_id: Uuid,
  email: Type.String(),
  name: Type.String(),
  role: ProjectRoleT,
  created_at: DateTime,
});

export const Count = Type.Integer({ minimum: 0 });

export const ProjectSummary = Type.Object({
  project: Type.Integer(),
  task_count: Count,
  finished: Count,
  in_progress: Count,
  annotations: Count,
  cancelled: Count,
  predictions: Count,
  reviewed: Count,
  lead_time: Type.Number({ description: 'Seconds spent, over all annotations' }),
  by_status: Type.Record(Type.String(), Count),
  annotators: Type.Array(
    Type.Object({
      user_id: Nullable(Uuid),
      external_name: Nullable(Type.String()),
      email: Nullable(Type.String()),
      name: Nullable(Type.String()),
      annotations: Count,
      cancelled: Count,
      ground_truth: Count,
      lead_time: Type.Number(),
    }),
  ),
});
