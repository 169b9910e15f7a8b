import { index, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { tenantRef, users } from '../../platform/auth/schema.ts';
import { createdAt, id } from '../../platform/db/columns.ts';
import { tenantIsolation } from '../../platform/db/tenancy.ts';

/**
 * An invitation to join a tenant with roles, sent by e-mail or handed over as a link. Only
 * the SHA-256 of its token is kept; the token is shown to the inviter once and mailed.
 */
export const invitations = pgTable(
  'invitations',
  {
    id: id(),
    tenantId: tenantRef(),
    email: text('email').notNull(),
    roles: jsonb('roles').$type<string[]>().notNull(),
    tokenHash: text('token_hash').notNull(),
    invitedBy: uuid('invited_by').references(() => users.id, { onDelete: 'set null' }),
    expiresAt: timestamp('expires_at', { withTimezone: true, precision: 3 }).notNull(),
    acceptedAt: timestamp('accepted_at', { withTimezone: true, precision: 3 }),
    acceptedBy: uuid('accepted_by').references(() => users.id, { onDelete: 'set null' }),
    revokedAt: timestamp('revoked_at', { withTimezone: true, precision: 3 }),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('invitations_token_hash_key').on(t.tokenHash),
    index('invitations_tenant_created_idx').on(t.tenantId, t.createdAt),
    tenantIsolation(t.tenantId),
  ],
);

/**
 * A one-time password reset, asked for by the account's owner (by e-mail address) or by an
 * admin of a tenant the account belongs to: kept in that tenant, its token only as SHA-256.
 */
export const passwordResets = pgTable(
  'password_resets',
  {
    id: id(),
    tenantId: tenantRef(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    tokenHash: text('token_hash').notNull(),
    /** The admin who sent it; null when the account's owner asked. */
    requestedBy: uuid('requested_by').references(() => users.id, { onDelete: 'set null' }),
    expiresAt: timestamp('expires_at', { withTimezone: true, precision: 3 }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true, precision: 3 }),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('password_resets_token_hash_key').on(t.tokenHash),
    index('password_resets_user_idx').on(t.userId),
    tenantIsolation(t.tenantId),
  ],
);
