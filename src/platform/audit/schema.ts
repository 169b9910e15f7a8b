import { bigint, index, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { tenants } from '../auth/schema.ts';
import { tenantIsolation } from '../db/tenancy.ts';

/**
 * Append-only (the application role may not UPDATE or DELETE it) and hash-chained per
 * tenant: `hash` = SHA-256 over the canonical row and `prev_hash`.
 */
export const auditLogs = pgTable(
  'audit_logs',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
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
  },
  (t) => [
    uniqueIndex('audit_logs_tenant_seq_key').on(t.tenantId, t.seq),
    index('audit_logs_tenant_created_idx').on(t.tenantId, t.createdAt),
    index('audit_logs_tenant_actor_idx').on(t.tenantId, t.actorId),
    index('audit_logs_tenant_resource_idx').on(t.tenantId, t.resourceType, t.resourceId),
    tenantIsolation(t.tenantId),
  ],
);
