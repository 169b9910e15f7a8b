import { type SQL, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { type AnyPgColumn, type PgTable, pgPolicy, pgRole } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import pg from 'pg';
import { Problem } from '../errors/problem.ts';
import type { Database, Db, Executor, Tx } from './client.ts';
import { ScopedPgliteClient } from './pglite-thread.ts';

/**
 * The role every tenant-scoped transaction runs as. It is neither superuser nor table
 * owner, so row-level security applies to it. Created by the first migration.
 */
export const APP_ROLE = 'superinsight_app';
export const appRole = pgRole(APP_ROLE).existing();

/**
 * The role text-to-SQL queries run as (drizzle/0033_sql_reader_role.sql creates it and
 * grants it the reporting views and the base-table columns they show): a second wall under
 * the query validator. Each module that owns a table behind a view gives it read access to
 * the tenant's rows with `reportingRead`; every other table has no policy for it.
 */
export const REPORTING_ROLE = 'superinsight_sql';
export const reportingRole = pgRole(REPORTING_ROLE).existing();

/** The tenant of the current transaction, or NULL outside one (so nothing matches). */
export const currentTenant: SQL = sql`nullif(current_setting('app.tenant_id', true), '')::uuid`;

/**
 * Row-level security policy: the row belongs to the transaction's tenant.
 *
 * `bulk`: for tables filled in bulk. Their check on written rows reads the tenant once per
 * statement (an InitPlan) instead of once per row, which an import of a million rows pays
 * a million times. Reads keep the plain form: the planner estimates it with the tenant's
 * value, and an InitPlan it could not.
 */
export function tenantIsolation(tenantId: AnyPgColumn, options: { bulk?: boolean } = {}) {
  return pgPolicy('tenant_isolation', {
    as: 'permissive',
    for: 'all',
    to: appRole,
    using: sql`${tenantId} = ${currentTenant}`,
    withCheck: options.bulk
      ? sql`${tenantId} = (select ${currentTenant})`
      : sql`${tenantId} = ${currentTenant}`,
  });
}

/**
 * Lets the reporting role read the tenant's rows of `table` (select only). Declared by the
 * table's own module, and exported from its schema file: drizzle-kit finds a policy linked
 * to a table only as a top-level export.
 */
export function reportingRead(table: PgTable, tenantId: AnyPgColumn) {
  return pgPolicy('sql_tenant_read', {
    for: 'select',
    to: reportingRole,
    using: sql`${tenantId} = ${currentTenant}`,
  }).link(table);
}

export interface TenantScope {
  tenantId: string;
  userId?: string;
}

/**
 * Runs `work` in one transaction as the application role with the tenant set, so RLS
 * holds even where a query forgets its tenant filter.
 */
export function inTenant<T>(db: Db, scope: TenantScope, work: (tx: Tx) => Promise<T>): Promise<T> {
  const client = (db as { $client?: unknown }).$client;
  if (client instanceof pg.Pool) return inTenantOnPool(client, scope, work);
  return db.transaction(async (tx) => {
    await tx.execute(
      sql`select set_config('role', ${APP_ROLE}, true), set_config('app.tenant_id', ${scope.tenantId}, true), set_config('app.user_id', ${scope.userId ?? ''}, true)`,
    );
    return work(tx as unknown as Tx);
  });
}

// A drizzle handle per pooled connection, made once: pool connections live long.
const handles = new WeakMap<pg.PoolClient, Tx>();

/**
 * The `pg` path: BEGIN and the settings go as one simple-protocol message, so a tenant
 * transaction costs one round trip more than its own statements (commit) instead of three.
 * Simple protocol takes no parameters; the values are quoted by the driver's escaper.
 */
async function inTenantOnPool<T>(
  pool: pg.Pool,
  scope: TenantScope,
  work: (tx: Tx) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  // A connection that failed other than by a statement error may be in any state: drop it.
  let broken: Error | undefined;
  const control = (text: string) =>
    client.query(text).catch((err: Error) => {
      if (!(err instanceof pg.DatabaseError)) broken = err;
      throw err;
    });
  try {
    await control(
      `begin; select set_config('role', '${APP_ROLE}', true), ` +
        `set_config('app.tenant_id', ${client.escapeLiteral(scope.tenantId)}, true), ` +
        `set_config('app.user_id', ${client.escapeLiteral(scope.userId ?? '')}, true)`,
    );
    let tx = handles.get(client);
    if (!tx) {
      tx = drizzle(client) as unknown as Tx;
      handles.set(client, tx);
    }
    let result: T;
    try {
      result = await work(tx);
    } catch (err) {
      await client.query('rollback').catch((rollbackErr: Error) => {
        broken = rollbackErr;
      });
      throw err;
    }
    await control('commit');
    return result;
  } finally {
    client.release(broken);
  }
}

interface ReadConnection {
  handle: Executor;
  /** The tenant and user last set on the session; empty until a set succeeds. */
  settings: string;
}

const readConnections = new WeakMap<pg.PoolClient, ReadConnection>();

/**
 * A read in the tenant without a transaction: on `pg`, each statement autocommits on a
 * connection of the application role whose session already carries the tenant (set only
 * when it changes), so a one-statement read is one round trip instead of three. RLS holds
 * as in inTenant. Several statements each see their own snapshot; use inTenant where they
 * must agree.
 */
export async function readInTenant<T>(
  database: Database,
  scope: TenantScope,
  work: (db: Executor) => Promise<T>,
): Promise<T> {
  if (database.pglite) {
    // Each statement in one request to PGlite's thread, in its own transaction as the
    // application role: the same snapshot rule as the pooled path below.
    const client = new ScopedPgliteClient(database.pglite.client(), [
      APP_ROLE,
      scope.tenantId,
      scope.userId ?? '',
    ]);
    return work(drizzlePglite({ client: client as never }) as unknown as Executor);
  }
  const pool = database.readPool;
  if (!pool) return inTenant(database.db, scope, work);
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    let conn = readConnections.get(client);
    if (!conn) {
      conn = { handle: drizzle(client) as unknown as Executor, settings: '' };
      readConnections.set(client, conn);
    }
    const settings = `${scope.tenantId}|${scope.userId ?? ''}`;
    if (conn.settings !== settings) {
      conn.settings = '';
      await client.query(
        "select set_config('app.tenant_id', $1, false), set_config('app.user_id', $2, false)",
        [scope.tenantId, scope.userId ?? ''],
      );
      conn.settings = settings;
    }
    return await work(conn.handle);
  } catch (err) {
    // Statement errors and the caller's own errors leave the session as it was; anything
    // else (a dropped connection) may not.
    if (!(err instanceof pg.DatabaseError) && !(err instanceof Problem)) broken = err as Error;
    throw err;
  } finally {
    client.release(broken);
  }
}

/**
 * A transaction outside any tenant, as the connecting (owner) role: for work that spans
 * tenants by nature, such as login by e-mail, bootstrap and maintenance sweeps.
 */
export function inSystem<T>(db: Db, work: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => work(tx as unknown as Tx));
}

/**
 * One statement in the tenant, writes included: on `pg` autocommitted on an application-role
 * connection as readInTenant reads (one round trip: a single statement is atomic by itself),
 * elsewhere in a transaction. For hot paths whose write is one statement (an LLM usage row).
 */
export function statementInTenant<T>(
  database: Database,
  scope: TenantScope,
  statement: (db: Executor) => Promise<T>,
): Promise<T> {
  return readInTenant(database, scope, statement);
}
