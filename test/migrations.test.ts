import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { integer, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkDrift,
  checkJournal,
  findSchemaFiles,
  loadSchemaImports,
  migrationsDir,
} from '../scripts/db-check.ts';
import { type Database, openDatabase } from '../src/platform/db/client.ts';
import { readJournal, runMigrations } from '../src/platform/db/migrate.ts';
import { tenantIsolation } from '../src/platform/db/tenancy.ts';

// The server the PostgreSQL half creates its scratch databases on.
const SERVER_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

async function serverReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: SERVER_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

const hasServer = await serverReachable();
const created: string[] = [];

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: SERVER_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A new, empty database on the server; dropped after the file. */
async function freshDatabaseUrl(): Promise<string> {
  const name = `si_replay_${randomBytes(6).toString('hex')}`;
  await admin((c) => c.query(`create database ${name}`));
  created.push(name);
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

afterAll(async () => {
  if (created.length === 0) return;
  await admin(async (c) => {
    for (const name of created) await c.query(`drop database if exists ${name} with (force)`);
  });
});

const expectedMigrations = readJournal().entries.length;

describe('drift check', () => {
  let imports: Record<string, unknown>;
  beforeAll(async () => {
    const files = await findSchemaFiles();
    expect(files.length).toBeGreaterThan(0);
    imports = await loadSchemaImports(files);
  });

  it('passes on the repository as it is: linear history, schema matches the last snapshot', async () => {
    const report = await checkDrift({ imports });
    expect(report.journalProblems).toEqual([]);
    expect(report.statements).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('fails on a table that has no migration, and names it', async () => {
    const driftWidgets = pgTable('drift_widgets', {
      id: uuid('id').primaryKey().defaultRandom(),
      label: text('label').notNull(),
    });
    const report = await checkDrift({ imports: { ...imports, driftWidgets } });
    expect(report.ok).toBe(false);
    expect(report.statements.join('\n')).toMatch(/CREATE TABLE "drift_widgets"/);
    expect(report.statements.join('\n')).toMatch(/"label" text NOT NULL/);
  });

  it('fails on a column that the history lacks, and names it', async () => {
    // The same drift as adding a column to a schema file: the last snapshot lacks one column
    // that the real schema has.
    const dir = copyOfMigrations();
    try {
      const { lastPath } = checkJournal(dir);
      const snapshot = JSON.parse(fs.readFileSync(lastPath!, 'utf8')) as {
        tables: Record<string, { name: string; columns: Record<string, { primaryKey: boolean }> }>;
      };
      const [table, column] = Object.values(snapshot.tables)
        .flatMap((t) =>
          Object.entries(t.columns)
            .filter(([, c]) => !c.primaryKey)
            .map(([name]) => [t, name] as const),
        )
        .at(0)!;
      delete table.columns[column];
      fs.writeFileSync(lastPath!, JSON.stringify(snapshot));
      const report = await checkDrift({ imports, dir });
      expect(report.ok).toBe(false);
      expect(report.journalProblems).toEqual([]);
      expect(report.statements).toHaveLength(1);
      expect(report.statements[0]).toMatch(new RegExp(`ALTER TABLE "${table.name}" ADD COLUMN "${column}"`));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('sees a new tenant-scoped table with its policy, and never asks to create the existing role', async () => {
    const driftNotes = pgTable(
      'drift_notes',
      {
        id: uuid('id').primaryKey().defaultRandom(),
        tenantId: uuid('tenant_id').notNull(),
        n: integer('n'),
      },
      (t) => [tenantIsolation(t.tenantId)],
    );
    const report = await checkDrift({ imports: { ...imports, driftNotes } });
    const sql = report.statements.join('\n');
    expect(report.ok).toBe(false);
    expect(sql).toMatch(/CREATE TABLE "drift_notes"/);
    expect(sql).toMatch(/ALTER TABLE "drift_notes" ENABLE ROW LEVEL SECURITY/);
    expect(sql).toMatch(/CREATE POLICY "tenant_isolation" ON "drift_notes"[^;]*TO "superinsight_app"/);
    expect(sql).not.toMatch(/CREATE ROLE/i);
    // Nothing about the tables that already have their policies.
    expect(sql).not.toMatch(/job_runs/);
  });

  it('reports a history that is not linear', () => {
    const dir = copyOfMigrations();
    try {
      expect(checkJournal(dir).problems).toEqual([]);
      const journalFile = path.join(dir, 'meta', '_journal.json');
      const journal = JSON.parse(fs.readFileSync(journalFile, 'utf8')) as {
        entries: { idx: number; when: number; tag: string }[];
      };
      const last = journal.entries.at(-1)!;
      // A second branch's migration: same parent as the last one, merged after it.
      const lastSnapshot = JSON.parse(
        fs.readFileSync(path.join(dir, 'meta', `${last.tag.split('_')[0]}_snapshot.json`), 'utf8'),
      ) as { id: string; prevId: string };
      const prefix = String(journal.entries.length).padStart(4, '0');
      const tag = `${prefix}_branch`;
      journal.entries.push({ ...last, idx: journal.entries.length, when: last.when - 1, tag });
      fs.writeFileSync(journalFile, JSON.stringify(journal));
      fs.writeFileSync(
        path.join(dir, 'meta', `${prefix}_snapshot.json`),
        JSON.stringify({ ...lastSnapshot, id: 'b0000000-0000-4000-8000-000000000000' }),
      );
      fs.writeFileSync(path.join(dir, 'stray.sql'), 'select 1;');
      const problems = checkJournal(dir).problems.join('\n');
      expect(problems).toMatch(new RegExp(`${tag}.sql is missing`));
      expect(problems).toMatch(/does not chain to the previous id/);
      expect(problems).toMatch(/when=\d+, not after/);
      expect(problems).toMatch(/stray\.sql is not in the journal/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** A scratch copy of drizzle/, for tests that damage the history. */
function copyOfMigrations(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'si-migrations-'));
  fs.cpSync(migrationsDir(), dir, { recursive: true });
  return dir;
}

/** Everything in schema public that a migration decides, in a driver-independent shape. */
async function introspect(database: Database): Promise<Record<string, unknown[]>> {
  const q = async (text: string) => (await database.raw.query(text)).rows;
  return {
    tables: await q(`
      select c.relname as table, c.relkind::text as kind, c.relrowsecurity as rls,
             c.relforcerowsecurity as force_rls,
             -- Grants, without MAINTAIN: PostgreSQL 17+ gives it to owners, 15 has no such privilege.
             coalesce((select string_agg(coalesce(r.rolname, 'PUBLIC') || ':' || x.privilege_type, ','
                                         order by coalesce(r.rolname, 'PUBLIC'), x.privilege_type)
                       from aclexplode(c.relacl) x left join pg_roles r on r.oid = x.grantee
                       where x.privilege_type <> 'MAINTAIN'), '') as grants
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind in ('r', 'p', 'v', 'm', 'S')
      order by c.relname`),
    columns: await q(`
      select c.relname as table, a.attname as column, format_type(a.atttypid, a.atttypmod) as type,
             a.attnotnull as not_null, coalesce(pg_get_expr(d.adbin, d.adrelid), '') as default,
             a.attidentity::text as identity, a.attgenerated::text as generated
      from pg_attribute a
      join pg_class c on c.oid = a.attrelid
      join pg_namespace n on n.oid = c.relnamespace
      left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
      where n.nspname = 'public' and c.relkind in ('r', 'p') and a.attnum > 0 and not a.attisdropped
      order by c.relname, a.attnum`),
    indexes: await q(`
      select tablename as table, indexname as index, indexdef
      from pg_indexes where schemaname = 'public' order by tablename, indexname`),
    // PostgreSQL 18 (PGlite) also lists NOT NULL as constraints (contype 'n'); 15 does not.
    // Nullability is compared through the columns above.
    constraints: await q(`
      select conrelid::regclass::text as table, conname as name, contype::text as type,
             pg_get_constraintdef(oid) as definition
      from pg_constraint
      where connamespace = 'public'::regnamespace and contype <> 'n'
      order by conrelid::regclass::text, conname`),
    policies: await q(`
      select tablename as table, policyname as policy, permissive, roles::text as roles, cmd,
             coalesce(qual, '') as using, coalesce(with_check, '') as with_check
      from pg_policies where schemaname = 'public' order by tablename, policyname`),
    enums: await q(`
      select t.typname as enum, string_agg(e.enumlabel, ',' order by e.enumsortorder) as labels
      from pg_type t join pg_enum e on e.enumtypid = t.oid
      join pg_namespace n on n.oid = t.typnamespace
      where n.nspname = 'public' group by t.typname order by t.typname`),
    triggers: await q(`
      select c.relname as table, t.tgname as trigger, pg_get_triggerdef(t.oid) as definition
      from pg_trigger t join pg_class c on c.oid = t.tgrelid
      join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and not t.tgisinternal order by c.relname, t.tgname`),
    functions: await q(`
      select p.proname as name, pg_get_function_identity_arguments(p.oid) as args,
             p.prokind::text as kind, p.prosrc as source
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname = 'public' order by p.proname, args`),
    migrations: await q(
      'select hash, created_at::text as created_at from drizzle.__drizzle_migrations order by created_at',
    ),
  };
}

describe('replaying the whole history', () => {
  let pglite: Database | undefined;
  let onPglite: Record<string, unknown[]>;

  beforeAll(async () => {
    pglite = await openDatabase({});
    const { applied } = await runMigrations(pglite);
    expect(applied).toBe(expectedMigrations);
    onPglite = await introspect(pglite);
  });

  afterAll(async () => {
    await pglite?.close();
  });

  it('on PGlite creates every table of the schema files, with RLS where policies are', async () => {
    const report = await checkDrift({ imports: await loadSchemaImports(await findSchemaFiles()) });
    expect(report.ok).toBe(true);
    expect(onPglite.migrations).toHaveLength(expectedMigrations);
    const tables = onPglite.tables as { table: string; rls: boolean }[];
    expect(tables.map((t) => t.table)).toEqual(expect.arrayContaining(['tenants', 'job_runs']));
    const withPolicy = new Set((onPglite.policies as { table: string }[]).map((p) => p.table));
    expect(withPolicy.size).toBeGreaterThan(0);
    for (const t of tables) if (withPolicy.has(t.table)) expect(t.rls, t.table).toBe(true);
  });

  it('on PGlite, running the migrations again applies nothing', async () => {
    expect((await runMigrations(pglite!)).applied).toBe(0);
    expect(await introspect(pglite!)).toEqual(onPglite);
  });

  describe.skipIf(!hasServer)(`on PostgreSQL (${new URL(SERVER_URL).host})`, () => {
    it('gives the same schema as on PGlite, and a second run applies nothing', async () => {
      const database = await openDatabase({ databaseUrl: await freshDatabaseUrl(), poolSize: 2 });
      try {
        expect((await runMigrations(database)).applied).toBe(expectedMigrations);
        const onServer = await introspect(database);
        // Compare part by part, so a failure names the part that differs.
        for (const part of Object.keys(onPglite)) expect(onServer[part], part).toEqual(onPglite[part]);
        expect(Object.keys(onServer)).toEqual(Object.keys(onPglite));
        expect((await runMigrations(database)).applied).toBe(0);
        expect(await introspect(database)).toEqual(onServer);
      } finally {
        await database.close();
      }
    });

    it('two replicas migrating one fresh database at the same moment apply each migration once', async () => {
      const url = await freshDatabaseUrl();
      const a = await openDatabase({ databaseUrl: url, poolSize: 2, applicationName: 'replay-a' });
      const b = await openDatabase({ databaseUrl: url, poolSize: 2, applicationName: 'replay-b' });
      try {
        const results = await Promise.all([runMigrations(a), runMigrations(b)]);
        expect(results.map((r) => r.applied).sort((x, y) => x - y)).toEqual([0, expectedMigrations]);
        const { rows } = await a.raw.query(
          'select count(*)::int as n, count(distinct hash)::int as distinct_n from drizzle.__drizzle_migrations',
        );
        expect(rows[0]).toEqual({ n: expectedMigrations, distinct_n: expectedMigrations });
        const { rows: hashes } = await a.raw.query(
          'select hash from drizzle.__drizzle_migrations order by created_at',
        );
        expect(hashes).toEqual(onPglite.migrations!.map((m) => ({ hash: (m as { hash: string }).hash })));
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    });
  });
});
