import { Type } from '@fastify/type-provider-typebox';
import type { tenants } from '../../platform/auth/schema.ts';
import { DateTime, Nullable, Uuid } from '../../platform/http/schemas.ts';

export const Email = Type.String({ format: 'email', maxLength: 254 });
export const Slug = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{1,62}$' });

export const UserRef = Type.Object({ id: Uuid, email: Type.String(), name: Type.String() });
export const TenantRef = Type.Object({ id: Uuid, slug: Type.String(), name: Type.String() });
export const Member = Type.Object({
  id: Uuid,
  /** The member's integer id in this tenant (Label Studio's user id: `completed_by` and the like). */
  number: Type.Integer(),
  email: Type.String(),
  name: Type.String(),
  status: Type.String(),
  /** Set while repeated failed sign-ins keep the account locked. */
  locked_until: Nullable(DateTime),
  created_at: DateTime,
  roles: Type.Array(Type.String()),
});
export const MemberDetail = Type.Object({
  id: Uuid,
  /** The member's integer id in this tenant (Label Studio's user id: `completed_by` and the like). */
  number: Type.Integer(),
  email: Type.String(),
  name: Type.String(),
  status: Type.String(),
  account_status: Type.String(),
  locked_until: Nullable(DateTime),
  last_login_at: Nullable(DateTime),
  created_at: DateTime,
  roles: Type.Array(Type.Object({ role_id: Uuid, role: Type.String(), expires_at: Nullable(DateTime) })),
});
export const Session = Type.Object({
  id: Uuid,
  ip: Nullable(Type.String()),
  user_agent: Nullable(Type.String()),
  created_at: DateTime,
  last_activity_at: DateTime,
  expires_at: DateTime,
  ended_at: Nullable(DateTime),
  ended_reason: Nullable(Type.String()),
});
export const Role = Type.Object({
  id: Uuid,
  name: Type.String(),
  description: Type.String(),
  built_in: Type.Boolean(),
  permissions: Type.Array(Type.String()),
  parent_ids: Type.Array(Uuid),
  created_at: DateTime,
});
export const ApiToken = Type.Object({
  id: Uuid,
  name: Type.String(),
  user_id: Uuid,
  permissions: Type.Array(Type.String()),
  expires_at: Nullable(DateTime),
  last_used_at: Nullable(DateTime),
  revoked_at: Nullable(DateTime),
  created_at: DateTime,
});
export const Tenant = Type.Object({
  id: Uuid,
  slug: Type.String(),
  name: Type.String(),
  status: Type.String(),
  time_zone: Type.String(),
  settings: Type.Record(Type.String(), Type.Unknown()),
  created_at: DateTime,
});

export const tenantView = (t: typeof tenants.$inferSelect) => ({
  id: t.id,
  slug: t.slug,
  name: t.name,
  status: t.status,
  time_zone: t.timeZone,
  settings: t.settings,
  created_at: t.createdAt,
});

export const toDate = (v: string | null | undefined) => (v ? new Date(v) : v === null ? null : undefined);
