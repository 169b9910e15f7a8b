import { Type } from '@fastify/type-provider-typebox';
import { PageQuery } from '../../../platform/db/pagination.ts';
import { DateTime, DateTimeIn, Nullable, Uuid } from '../../../platform/http/schemas.ts';
import { enumOf } from '../rules/rules.schemas.ts';
import { CHANNELS } from '../schema.ts';
import { METRICS } from './alerts.service.ts';

export const Recipients = Type.Object(
  {
    user_ids: Type.Optional(Type.Array(Uuid, { maxItems: 100 })),
    emails: Type.Optional(Type.Array(Type.String({ format: 'email', maxLength: 254 }), { maxItems: 100 })),
  },
  { additionalProperties: false },
);

export const RecipientsOut = Type.Object({
  user_ids: Type.Array(Type.String()),
  emails: Type.Array(Type.String()),
});

export const Score = Type.Number({ minimum: 0, maximum: 1 });

export const AlertConfig = Type.Object({
  project_id: Type.Integer(),
  enabled: Type.Boolean(),
  thresholds: Type.Record(Type.String(), Type.Number()),
  channels: Type.Array(Type.String()),
  recipients: RecipientsOut,
  webhook_url: Nullable(Type.String()),
  webhook_secret_set: Type.Boolean(),
  silence_until: Nullable(DateTime),
  escalate_after_hours: Nullable(Type.Number()),
  escalation_recipients: Nullable(RecipientsOut),
  updated_at: DateTime,
});

export const Alert = Type.Object({
  id: Type.Integer(),
  project_id: Type.Integer(),
  metric: Type.String(),
  value: Type.Number(),
  threshold: Type.Number(),
  severity: Type.String(),
  status: Type.String(),
  escalation_level: Type.Integer(),
  annotation_id: Nullable(Type.Integer()),
  /** The task of the annotation, for a link to it (null once the annotation is gone). */
  task_id: Nullable(Type.Integer()),
  score_id: Nullable(Type.Integer()),
  message: Type.String(),
  acknowledged_by: Nullable(Type.String()),
  acknowledged_at: Nullable(DateTime),
  resolved_by: Nullable(Type.String()),
  resolved_at: Nullable(DateTime),
  last_escalated_at: Nullable(DateTime),
  created_at: DateTime,
});

export const Notification = Type.Object({
  id: Type.Integer(),
  kind: Type.String(),
  title: Type.String(),
  body: Type.String(),
  data: Type.Record(Type.String(), Type.Unknown()),
  read_at: Nullable(DateTime),
  created_at: DateTime,
});

export const Delivery = Type.Object({
  id: Type.Integer(),
  channel: Type.String(),
  target: Type.String(),
  event: Type.String(),
  subject: Type.String(),
  status: Type.String(),
  attempts: Type.Integer(),
  response_status: Nullable(Type.Integer()),
  error: Nullable(Type.String()),
  report_run_id: Nullable(Type.Integer()),
  created_at: DateTime,
  delivered_at: Nullable(DateTime),
});

export const AlertConfigIn = Type.Object(
  {
    enabled: Type.Optional(Type.Boolean()),
    thresholds: Type.Optional(
      Type.Partial(Type.Object(Object.fromEntries(METRICS.map((m) => [m, Score]))), {
        additionalProperties: false,
      }),
    ),
    channels: Type.Optional(Type.Array(enumOf(CHANNELS), { uniqueItems: true, maxItems: 3 })),
    recipients: Type.Optional(Recipients),
    webhook_url: Type.Optional(Nullable(Type.String({ maxLength: 2000 }))),
    webhook_secret: Type.Optional(Type.String({ minLength: 16, maxLength: 200 })),
    silence_until: Type.Optional(Nullable(DateTimeIn)),
    escalate_after_hours: Type.Optional(Nullable(Type.Number({ exclusiveMinimum: 0, maximum: 24 * 365 }))),
    escalation_recipients: Type.Optional(Nullable(Recipients)),
  },
  { additionalProperties: false },
);

export const AlertChange = Type.Object(
  { action: enumOf(['acknowledge', 'resolve', 'escalate'] as const) },
  { additionalProperties: false },
);

export const NotificationsQuery = Type.Object({
  ...PageQuery,
  unread: Type.Optional(Type.Boolean()),
  after: Type.Optional(Type.Integer({ minimum: 0 })),
});

export const NotificationsPage = Type.Object({
  items: Type.Array(Notification),
  unread: Type.Integer(),
  next_cursor: Nullable(Type.String()),
});
