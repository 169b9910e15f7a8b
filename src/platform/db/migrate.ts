import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { drizzle as drizzleNodePg } from 'drizzle-orm/node-postgres';
import { migrate as migrateNodePg } from 'drizzle-orm/node-postgres/migrator';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import type { Database, RawSql } from './client.ts';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../../drizzle', import.meta.url));

// Any fixed 64-bit number; it names the "migrating" lock among all advisory locks.
const MIGRATION_LOCK_KEY = '7411552001';

interface Journal {
  entries: { idx: number; when: number; tag: string }[];
}

export function readJournal(dir = MIGRATIONS_DIR): Journal {
  return JSON.parse(fs.readFileSync(`${dir}/meta/_journal.json`, 'utf8')) as Journal;
}

export interface MigrationState {
  applied: number;
  expected: number;
  atHead: boolean;
}

export async function migrationState(raw: RawSql, journal = readJournal()): Promise<MigrationState> {
  const expected = journal.entries.length;
  const head = journal.entries.at(-1)?.when ?? 0;
  const exists = await raw.query(`select to_regclass('drizzle.__drizzle_migrations') is not null as ok`);
  if (!exists.rows[0]?.ok) return { applied: 0, expected, atHead: expected === 0 };
  const { rows } = await raw.query(
    'select count(*)::int as n, coalesce(max(created_at), 0)::text as last from drizzle.__drizzle_migrations',
  );
  const applied = Number(rows[0]?.n ?? 0);
  return { applied, expected, atHead: Number(rows[0]?.last ?? 0) >= head && applied >= expected };
}

/**
 * Applies pending migrations. On PostgreSQL an advisory lock makes concurrent replicas
 * wait for one another, so exactly one applies each migration; PGlite is single-process
 * by its directory lock.
 */
export async function runMigrations(database: Database): Promise<{ applied: number }> {
  let before = 0;
  if (database.pool) {
    const client = await database.pool.connect();
    try {
      await client.query('select pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
      try {
        // Read through the locked client: a pool of one has no other connection to lend.
        before = (
          await migrationState({
            query: (text, values) => client.query(text, values),
            exec: (text) => client.query(text),
          })
        ).applied;
        await migrateNodePg(drizzleNodePg(client), { migrationsFolder: MIGRATIONS_DIR });
      } finally {
        await client.query('select pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY]);
      }
    } finally {
      client.release();
    }
  } else if (database.pglite) {
    before = (await migrationState(database.raw)).applied;
    // Unbounded: a migration of a large database may rightly take long.
    const client = database.pglite.client(0);
    await migratePglite(drizzlePglite({ client: client as never }), { migrationsFolder: MIGRATIONS_DIR });
  }
  const after = (await migrationState(database.raw)).applied;
  return { applied: after - before };
}
