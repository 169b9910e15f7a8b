import { Type } from '@fastify/type-provider-typebox';
import { DateTime, DateTimeIn, Nullable } from '../../../platform/http/schemas.ts';
import { Recipients } from '../alerts/alerts.schemas.ts';
import { enumOf } from '../rules/rules.schemas.ts';
import { CHANNELS, REPORT_FORMATS, REPORT_TYPES } from '../schema.ts';

export const Run = Type.Object({
  id: Type.Integer(),
  project_id: Type.Integer(),
  schedule_id: Nullable(Type.Integer()),
  report: Type.String(),
  format: Type.String(),
  period_from: DateTime,
  period_to: DateTime,
  status: Type.String(),
  data_sha256: Nullable(Type.String()),
  row_count: Nullable(Type.Integer()),
  error: Nullable(Type.String()),
  created_at: DateTime,
  finished_at: Nullable(DateTime),
});

export const Schedule = Type.Object({
  id: Type.Integer(),
  project_id: Type.Integer(),
  report: Type.String(),
  format: Type.String(),
  cron: Type.String(),
  channels: Type.Array(Type.String()),
  recipients: Type.Object({ user_ids: Type.Array(Type.String()), emails: Type.Array(Type.String()) }),
  enabled: Type.Boolean(),
  next_run_at: DateTime,
  last_run_at: Nullable(DateTime),
  created_at: DateTime,
});

export const ReportQuery = Type.Object({
  format: Type.Optional(enumOf(REPORT_FORMATS)),
  from: Type.Optional(DateTimeIn),
  to: Type.Optional(DateTimeIn),
});

export const TrendOut = Type.Object({
  from: DateTime,
  to: DateTime,
  days: Type.Array(
    Type.Object({
      day: Type.String({ description: 'YYYY-MM-DD' }),
      annotations: Type.Integer(),
      scored: Type.Integer(),
      mean_total: Nullable(Type.Number()),
      issues: Type.Integer(),
    }),
  ),
});

export const RunIn = Type.Object(
  {
    report: enumOf(REPORT_TYPES),
    format: enumOf(REPORT_FORMATS),
    from: Type.Optional(DateTimeIn),
    to: Type.Optional(DateTimeIn),
  },
  { additionalProperties: false },
);

export const ScheduleIn = Type.Object(
  {
    report: enumOf(REPORT_TYPES),
    format: enumOf(REPORT_FORMATS),
    cron: Type.String({ minLength: 9, maxLength: 100 }),
    channels: Type.Array(enumOf(CHANNELS), { uniqueItems: true, minItems: 1, maxItems: 3 }),
    recipients: Type.Optional(Recipients),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const ScheduleChange = Type.Object(
  {
    cron: Type.Optional(Type.String({ minLength: 9, maxLength: 100 })),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
