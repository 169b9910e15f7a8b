import { index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { tenants, users } from '../../platform/auth/schema.ts';
import { createdAt, id } from '../../platform/db/columns.ts';
import { tenantIsolation } from '../../platform/db/tenancy.ts';

const instant = (name: string) => timestamp(name, { withTimezone: true, precision: 3 });

/**
 * The installation itself: one row, made at the first start. Its id is half of the machine
 * fingerprint; the first start dates the trial; the largest time ever seen detects a clock
 * turned back. Both times are signed with a key derived from the master key, so editing them
 * in the database is noticed.
 */
export const licenseInstallation = pgTable('license_installation', {
  id: uuid('id').primaryKey().defaultRandom(),
  firstStartedAt: instant('first_started_at').notNull(),
  clockHighWater: instant('clock_high_water').notNull(),
  signature: text('signature').notNull(),
  /** The last phase recorded (license, status, warning), so each transition is logged once. */
  phase: text('phase'),
});

/** Installed license keys, installation-wide; the newest not replaced is the one in force. */
export const licenses = pgTable(
  'licenses',
  {
    id: id(),
    /** The license's own id, from inside its signed payload. */
    licenseId: uuid('license_id').notNull(),
    keyId: text('key_id').notNull(),
    /** The signed key as the customer pasted it; it is re-verified on every evaluation. */
    document: text('document').notNull(),
    licensee: text('licensee').notNull(),
    edition: text('edition').notNull(),
    expiresAt: instant('expires_at'),
    installedBy: uuid('installed_by').references(() => users.id, { onDelete: 'set null' }),
    installedAt: createdAt(),
    replacedAt: instant('replaced_at'),
  },
  (t) => [index('licenses_installed_idx').on(t.installedAt)],
);

export const ACTIVATION_KINDS = ['offline', 'online', 'served'] as const;
export const ACTIVATION_STATUSES = ['requested', 'active', 'deactivated'] as const;

/**
 * Activations of a license on a machine. `offline` and `online` are this installation's own
 * (an offline one starts as a `requested` row holding the request code's nonce); `served`
 * rows are kept by a platform acting as license server, one per machine it activated.
 */
export const licenseActivations = pgTable(
  'license_activations',
  {
    id: id(),
    licenseId: uuid('license_id').notNull(),
    kind: text('kind', { enum: ACTIVATION_KINDS }).notNull(),
    status: text('status', { enum: ACTIVATION_STATUSES }).notNull(),
    fingerprint: text('fingerprint').notNull(),
    nonce: text('nonce').notNull(),
    /** The signed activation file (offline) or the server's answer (online). */
    document: text('document'),
    serverUrl: text('server_url'),
    createdAt: createdAt(),
    activatedAt: instant('activated_at'),
    deactivatedAt: instant('deactivated_at'),
  },
  (t) => [
    index('license_activations_license_idx').on(t.licenseId, t.kind, t.status),
    uniqueIndex('license_activations_nonce_key').on(t.nonce),
  ],
);

/**
 * The seat ledger: one row per non-owner user holding at least one live session, refreshed
 * from their sessions' activity and culled when those end or go idle.
 */
export const concurrentSessions = pgTable(
  'concurrent_sessions',
  {
    userId: uuid('user_id')
      .primaryKey()
      .references(() => users.id, { onDelete: 'cascade' }),
    claimedAt: createdAt(),
    lastSeenAt: instant('last_seen_at').notNull(),
    sessionCount: integer('session_count').notNull().default(1),
  },
  (t) => [index('concurrent_sessions_seen_idx').on(t.lastSeenAt)],
);

export const LICENSE_EVENTS = [
  'installed',
  'install_refused',
  'activated',
  'activation_refused',
  'deactivated',
  'validation_failed',
  'seat_refused',
  'project_refused',
  'annotator_refused',
  'storage_refused',
  'phase_changed',
  'expiry_notified',
  'clock_rollback',
  'served_activation',
  'served_refusal',
] as const;
export type LicenseEvent = (typeof LICENSE_EVENTS)[number];

/** What happened to the license. `tenant_id` is set where a tenant's request caused it (a refusal). */
export const licenseAuditLogs = pgTable(
  'license_audit_logs',
  {
    id: id(),
    tenantId: uuid('tenant_id').references(() => tenants.id, { onDelete: 'cascade' }),
    event: text('event', { enum: LICENSE_EVENTS }).notNull(),
    licenseId: uuid('license_id'),
    actorId: uuid('actor_id'),
    message: text('message').notNull(),
    details: jsonb('details').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
  },
  (t) => [index('license_audit_logs_created_idx').on(t.createdAt), tenantIsolation(t.tenantId)],
);
