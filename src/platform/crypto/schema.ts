import { sql } from 'drizzle-orm';
import { integer, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { createdAt } from '../db/columns.ts';

/**
 * Versioned data keys, each wrapped (AES-256-GCM) by the master key. Secrets name the
 * version that sealed them, so old versions keep decrypting after a rotation.
 */
export const encryptionKeys = pgTable(
  'encryption_keys',
  {
    version: integer('version').primaryKey(),
    wrappedKey: text('wrapped_key').notNull(),
    status: text('status', { enum: ['active', 'retired'] })
      .notNull()
      .default('active'),
    createdAt: createdAt(),
    retiredAt: timestamp('retired_at', { withTimezone: true, precision: 3 }),
  },
  (t) => [uniqueIndex('encryption_keys_one_active').on(t.status).where(sql`${t.status} = 'active'`)],
);
