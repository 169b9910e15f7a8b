import { sql } from 'drizzle-orm';
import {
  boolean,
  index,
  inet,
  integer,
  jsonb,
  pgPolicy,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { createdAt, id, updatedAt } from '../db/columns.ts';
import { appRole, currentTenant, reportingRead, reportingRole, tenantIsolation } from '../db/tenancy.ts';

export const tenants = pgTable(
  'tenants',
  {
    id: id(),
    slug: text('slug').notNull(),
    name: text('name').notNull(),
    status: text('status', { enum: ['active', 'suspended'] })
      .notNull()
      .default('active'),
    timeZone: text('time_zone').notNull().default('UTC'),
    settings: jsonb('settings').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('tenants_slug_key').on(t.slug),
    pgPolicy('tenant_self', { for: 'select', to: appRole, using: sql`${t.id} = ${currentTenant}` }),
  ],
);

/** The tenant a row belongs to; the row goes with its tenant. */
export const tenantRef = () =>
  uuid('tenant_id')
    .notNull()
    .references(() => tenants.id, { onDelete: 'cascade' });

export const USER_STATUSES = ['active', 'disabled'] as const;

/** People are global: one account may belong to several tenants. */
/** The languages the console and the server's own texts come in. */
export const USER_LANGUAGES = ['en', 'zh-CN'] as const;
export type UserLanguage = (typeof USER_LANGUAGES)[number];

export const users = pgTable(
  'users',
  {
    id: id(),
    email: text('email').notNull(),
    name: text('name').notNull().default(''),
    passwordHash: text('password_hash'),
    status: text('status', { enum: USER_STATUSES }).notNull().default('active'),
    isPlatformOwner: boolean('is_platform_owner').notNull().default(false),
    failedLogins: integer('failed_logins').notNull().default(0),
    failedLoginsSince: timestamp('failed_logins_since', { withTimezone: true }),
    lockedUntil: timestamp('locked_until', { withTimezone: true }),
    passwordChangedAt: timestamp('password_changed_at', { withTimezone: true }),
    lastLoginAt: timestamp('last_login_at', { withTimezone: true }),
    /** The console language the user chose; e-mails and files the server renders for them follow it. */
    language: text('language', { enum: USER_LANGUAGES }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('users_email_key').on(sql`lower(${t.email})`),
    // A tenant sees the accounts of its own members; creating an account is allowed so an
    // admin can add a member in one transaction.
    pgPolicy('member_select', {
      for: 'select',
      to: appRole,
      using: sql`exists (select 1 from tenant_members m where m.user_id = ${t.id} and m.tenant_id = ${currentTenant})`,
    }),
    pgPolicy('member_update', {
      for: 'update',
      to: appRole,
      using: sql`exists (select 1 from tenant_members m where m.user_id = ${t.id} and m.tenant_id = ${currentTenant})`,
    }),
    pgPolicy('any_insert', { for: 'insert', to: appRole, withCheck: sql`true` }),
  ],
);

export const tenantMembers = pgTable(
  'tenant_members',
  {
    id: id(),
    tenantId: tenantRef(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    status: text('status', { enum: ['active', 'deactivated'] })
      .notNull()
      .default('active'),
    /**
     * The member's integer id in this tenant (1, 2, …, in joining order; memberships are
     * deactivated, never deleted, so a number is never reused): what Label Studio's fields
     * such as `completed_by` carry. Assigned by addMembership (membership.ts).
     */
    number: integer('number').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('tenant_members_tenant_user_key').on(t.tenantId, t.userId),
    uniqueIndex('tenant_members_tenant_number_key').on(t.tenantId, t.number),
    index('tenant_members_user_idx').on(t.userId),
    tenantIsolation(t.tenantId),
  ],
);

/** Built-in roles are rows too (their permissions come from code); custom roles carry their own. */
export const roles = pgTable(
  'roles',
  {
    id: id(),
    tenantId: tenantRef(),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    builtIn: boolean('built_in').notNull().default(false),
    permissions: text('permissions').array().notNull().default(sql`'{}'::text[]`),
    parentIds: uuid('parent_ids').array().notNull().default(sql`'{}'::uuid[]`),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('roles_tenant_name_key').on(t.tenantId, t.name), tenantIsolation(t.tenantId)],
);

export const userRoleAssignments = pgTable(
  'user_role_assignments',
  {
    id: id(),
    tenantId: tenantRef(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    roleId: uuid('role_id')
      .notNull()
      .references(() => roles.id, { onDelete: 'cascade' }),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    grantedBy: uuid('granted_by'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('user_role_assignments_key').on(t.tenantId, t.userId, t.roleId),
    index('user_role_assignments_user_idx').on(t.userId),
    tenantIsolation(t.tenantId),
  ],
);

export const SESSION_END_REASONS = [
  'logout',
  'idle_timeout',
  'expired',
  'session_limit',
  'forced',
  'password_changed',
  'user_disabled',
] as const;

export const sessions = pgTable(
  'sessions',
  {
    id: id(),
    tenantId: tenantRef(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    tokenHash: text('token_hash').notNull(),
    ip: inet('ip'),
    userAgent: text('user_agent'),
    createdAt: createdAt(),
    lastActivityAt: timestamp('last_activity_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    endedAt: timestamp('ended_at', { withTimezone: true }),
    endedReason: text('ended_reason', { enum: SESSION_END_REASONS }),
  },
  (t) => [
    uniqueIndex('sessions_token_hash_key').on(t.tokenHash),
    index('sessions_user_live_idx').on(t.userId, t.createdAt).where(sql`${t.endedAt} is null`),
    tenantIsolation(t.tenantId),
  ],
);

export const apiTokens = pgTable(
  'api_tokens',
  {
    id: id(),
    tenantId: tenantRef(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    tokenHash: text('token_hash').notNull(),
    /** A subset of the creator's permissions, re-checked against them on every use. */
    permissions: text('permissions').array().notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('api_tokens_token_hash_key').on(t.tokenHash),
    index('api_tokens_tenant_created_idx').on(t.tenantId, t.createdAt),
    tenantIsolation(t.tenantId),
  ],
);

export const ipWhitelist = pgTable(
  'ip_whitelist',
  {
    id: id(),
    tenantId: tenantRef(),
    cidr: text('cidr').notNull(),
    description: text('description').notNull().default(''),
    createdBy: uuid('created_by'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('ip_whitelist_tenant_cidr_key').on(t.tenantId, t.cidr), tenantIsolation(t.tenantId)],
);

export const SECURITY_EVENT_TYPES = [
  'failed_login_burst',
  'account_locked',
  'new_network_login',
  'bulk_export',
  'privilege_change',
  'ip_denied',
] as const;
export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export const SECURITY_EVENT_STATUSES = ['open', 'investigating', 'resolved', 'false_positive'] as const;

export const securityEvents = pgTable(
  'security_events',
  {
    id: id(),
    tenantId: tenantRef(),
    type: text('type', { enum: SECURITY_EVENT_TYPES }).notNull(),
    severity: text('severity', { enum: SEVERITIES }).notNull(),
    status: text('status', { enum: SECURITY_EVENT_STATUSES }).notNull().default('open'),
    userId: uuid('user_id'),
    ip: inet('ip'),
    details: jsonb('details').$type<Record<string, unknown>>().notNull().default({}),
    resolvedBy: uuid('resolved_by'),
    note: text('note'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('security_events_tenant_created_idx').on(t.tenantId, t.createdAt),
    tenantIsolation(t.tenantId),
  ],
);

// Text-to-SQL's members view reads these (as the reporting role): the tenant's memberships,
// and the accounts of its members only.
export const tenantMembersReportingRead = reportingRead(tenantMembers, tenantMembers.tenantId);
export const usersReportingRead = pgPolicy('sql_member_read', {
  for: 'select',
  to: reportingRole,
  using: sql`exists (select 1 from tenant_members m where m.user_id = ${users.id} and m.tenant_id = ${currentTenant})`,
}).link(users);
