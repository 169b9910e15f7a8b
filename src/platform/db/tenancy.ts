import { type SQL, sql } from 'drizzle-orm';
import { type AnyPgColumn, pgPolicy, pgRole } from 'drizzle-orm/pg-core';
import type { Db, Tx } from './client.ts';

/**
 * The role every tenant-scoped transaction runs as. It is neither superuser nor table
 * owner, so row-level security applies to it. Created by the first migration.
 */
export const APP_ROLE = 'superinsight_app';
export const appRole = pgRole(APP_ROLE).existing();

/** The tenant of the current transaction, or NULL outside one (so nothing matches). */
export const currentTenant: SQL = sql`nullif(current_setting('app.tenant_id', true), '')::uuid`;

/** Row-level security policy: the row belongs to the transaction's tenant. */
export function tenantIsolation(tenantId: AnyPgColumn) {
  return pgPolicy('tenant_isolation', {
    as: 'permissive',
    for: 'all',
    to: appRole,
    using: sql`${tenantId} = ${currentTenant}`,
    withCheck: sql`${tenantId} = ${currentTenant}`,
  });
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
  return db.transaction(async (tx) => {
    await tx.execute(
      sql`select set_config('role', ${APP_ROLE}, true), set_config('app.tenant_id', ${scope.tenantId}, true), set_config('app.user_id', ${scope.userId ?? ''}, true)`,
    );
    return work(tx as unknown as Tx);
  });
}

/**
 * A transaction outside any tenant, as the connecting (owner) role: for work that spans
 * tenants by nature, such as login by e-mail, bootstrap and maintenance sweeps.
 */
export function inSystem<T>(db: Db, work: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => work(tx as unknown as Tx));
}
