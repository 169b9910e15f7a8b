import {
  bigint,
  index,
  jsonb,
  pgTable,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { tenantRef, tenants } from '../auth/schema.ts';
import { tenantIsolation } from '../db/tenancy.ts';

/**
 * Append-only (the application role may not DELETE it, and may UPDATE only the personal
 * columns, to erase them) and hash-chained per tenant: `hash` = SHA-256 over the canonical
 * row and `prev_hash`. From hash version 2 the chain covers the personal fields (actor
 * e-mail, IP, user agent, `personal_details`) through `personal_digest`, a salted digest
 * of them: erasing the values and the salt leaves the chain verifiable (chain.ts).
 */
export const auditLogs = pgTable(
  'audit_logs',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    tenantId: tenantRef(),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    actorId: uuid('actor_id'),
    actorType: text('actor_type', { enum: ['user', 'api_token', 'system'] }).notNull(),
    action: text('action').notNull(),
    resourceType: text('resource_type').notNull(),
    resourceId: text('resource_id'),
    // Text, not inet: the hash covers exactly the bytes stored.
    ip: text('ip'),
    userAgent: text('user_agent'),
    requestId: text('request_id'),
    details: jsonb('details').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull(),
    prevHash: text('prev_hash').notNull(),
    hash: text('hash').notNull(),
    /** 1: rows written before personal digests (their hash covers ip and user agent as stored). */
    hashVersion: smallint('hash_version').notNull().default(1),
    actorEmail: text('actor_email'),
    /** The personal values of `details`, kept apart so that erasure can remove them. */
    personalDetails: jsonb('personal_details').$type<Record<string, unknown>>(),
    personalSalt: text('personal_salt'),
    personalDigest: text('personal_digest'),
    erasedAt: timestamp('erased_at', { withTimezone: true, precision: 3 }),
  },
  (t) => [
    uniqueIndex('audit_logs_tenant_seq_key').on(t.tenantId, t.seq),
    index('audit_logs_tenant_created_idx').on(t.tenantId, t.createdAt),
    index('audit_logs_tenant_actor_idx').on(t.tenantId, t.actorId),
    index('audit_logs_tenant_resource_idx').on(t.tenantId, t.resourceType, t.resourceId),
    tenantIsolation(t.tenantId),
  ],
);

/**
 * Signed attestations of a tenant's chain head (sequence number and hash), written on a
 * schedule and after every verification. Append-only like the chain: a later verification
 * checks the chain against every checkpoint, so truncating, deleting or recomputing the
 * chain is detected and located between two checkpoints.
 */
export const auditCheckpoints = pgTable(
  'audit_checkpoints',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    tenantId: tenantRef(),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    hash: text('hash').notNull(),
    reason: text('reason', { enum: ['schedule', 'verify'] }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull(),
    /** HMAC-SHA256 with a key derived from the master key (checkpoints.ts). */
    signature: text('signature').notNull(),
  },
  (t) => [index('audit_checkpoints_tenant_seq_idx').on(t.tenantId, t.seq), tenantIsolation(t.tenantId)],
);

/** How far each tenant's chain and checkpoints have been shipped to the SIEM sink (stream.ts). */
export const auditStreamPositions = pgTable(
  'audit_stream_positions',
  {
    tenantId: uuid('tenant_id')
      .primaryKey()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    seq: bigint('seq', { mode: 'number' }).notNull().default(0),
    checkpointId: bigint('checkpoint_id', { mode: 'number' }).notNull().default(0),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [tenantIsolation(t.tenantId)],
);
