import { eq, sql } from 'drizzle-orm';
import type pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { newProject } from '../../../../test/annotation-fixtures.ts';
import { newTenant, type TenantFixture } from '../../../../test/fixtures.ts';
import { type TestContext, testApp } from '../../../../test/helpers.ts';
import { APP_ROLE, inSystem, inTenant } from '../../../platform/db/tenancy.ts';
import { documents, projects, tasks } from '../schema.ts';

/**
 * Documents and tasks have no foreign key to their project: statement-level triggers
 * (drizzle/0020) check each statement's (project_id, tenant_id) pairs once. These tests
 * hold them to what the key guaranteed.
 */

/** The SQLSTATE of a failed query, whichever driver or wrapper threw it. */
function codeOf(err: unknown): string | undefined {
  const e = err as { code?: string; cause?: { code?: string } };
  return e.code ?? e.cause?.code;
}

async function sqlState(work: Promise<unknown>): Promise<string | undefined> {
  try {
    await work;
  } catch (err) {
    return codeOf(err);
  }
  return undefined;
}

const insertTasks = (tenantId: string, projectIds: number[]) =>
  sql`insert into tasks (tenant_id, project_id, data)
      select ${tenantId}::uuid, p, '{"text": "x"}'::jsonb
      from unnest(${`{${projectIds.join(',')}}`}::bigint[]) as p returning id`;

const insertDocument = (tenantId: string, projectId: number) =>
  sql`insert into documents (tenant_id, project_id, source_type, content, content_hash)
      values (${tenantId}::uuid, ${projectId}, 'test', '{"text": "x"}', 'h')`;

async function counts(ctx: TestContext, projectId: number) {
  return inSystem(ctx.platform.database.db, async (tx) => {
    const [t] = await tx
      .select({ n: sql<number>`count(*)::int` })
      .from(tasks)
      .where(eq(tasks.projectId, projectId));
    const [d] = await tx
      .select({ n: sql<number>`count(*)::int` })
      .from(documents)
      .where(eq(documents.projectId, projectId));
    const [p] = await tx
      .select({ n: sql<number>`count(*)::int` })
      .from(projects)
      .where(eq(projects.id, projectId));
    return { tasks: t!.n, documents: d!.n, projects: p!.n };
  });
}

async function twoTenants(ctx: TestContext) {
  const a = await newTenant(ctx);
  const b = await newTenant(ctx);
  return { a, b, pa: await newProject(a), pb: await newProject(b) };
}

const asTenant = (ctx: TestContext, t: TenantFixture) => (statement: ReturnType<typeof sql>) =>
  inTenant(ctx.platform.database.db, { tenantId: t.tenantId }, (tx) => tx.execute(statement));

describe('documents and tasks name a project of their own tenant', () => {
  it('refuses rows naming another tenant’s project or none, the whole statement', async () => {
    const ctx = await testApp();
    const { a, pa, pb } = await twoTenants(ctx);
    const run = asTenant(ctx, a);
    expect(await sqlState(run(insertTasks(a.tenantId, [pb.id])))).toBe('23503');
    expect(await sqlState(run(insertTasks(a.tenantId, [2 ** 40])))).toBe('23503');
    // One bad row among good ones: nothing of the statement lands.
    expect(await sqlState(run(insertTasks(a.tenantId, [pa.id, pa.id, pb.id])))).toBe('23503');
    expect(await sqlState(run(insertDocument(a.tenantId, pb.id)))).toBe('23503');
    expect(await counts(ctx, pa.id)).toEqual({ tasks: 0, documents: 0, projects: 1 });
    expect(await counts(ctx, pb.id)).toEqual({ tasks: 0, documents: 0, projects: 1 });

    await run(insertTasks(a.tenantId, [pa.id, pa.id]));
    await run(insertDocument(a.tenantId, pa.id));
    expect(await counts(ctx, pa.id)).toEqual({ tasks: 2, documents: 1, projects: 1 });
  });

  it('refuses moving a row to a project of another tenant or to none', async () => {
    const ctx = await testApp();
    const { a, b, pa, pb } = await twoTenants(ctx);
    await asTenant(ctx, a)(insertTasks(a.tenantId, [pa.id]));
    await asTenant(ctx, a)(insertDocument(a.tenantId, pa.id));
    const db = ctx.platform.database.db;
    // As the owner role, which row-level security does not stop: the triggers still do.
    for (const table of ['tasks', 'documents']) {
      const t = sql.raw(table);
      expect(
        await sqlState(
          inSystem(db, (tx) =>
            tx.execute(sql`update ${t} set project_id = ${pb.id} where project_id = ${pa.id}`),
          ),
        ),
      ).toBe('23503');
      expect(
        await sqlState(
          inSystem(db, (tx) =>
            tx.execute(sql`update ${t} set tenant_id = ${b.tenantId}::uuid where project_id = ${pa.id}`),
          ),
        ),
      ).toBe('23503');
    }
    // Updates that keep the pair are not checked and pass.
    await inSystem(db, (tx) =>
      tx.execute(sql`update tasks set status = 'in_progress' where project_id = ${pa.id}`),
    );
    expect(await counts(ctx, pa.id)).toEqual({ tasks: 1, documents: 1, projects: 1 });
  });

  it('keeps a project’s key while rows name it, and deletes them with the project or its tenant', async () => {
    const ctx = await testApp();
    const { a, b, pa } = await twoTenants(ctx);
    const db = ctx.platform.database.db;
    await asTenant(ctx, a)(insertTasks(a.tenantId, [pa.id, pa.id]));
    await asTenant(ctx, a)(insertDocument(a.tenantId, pa.id));
    expect(
      await sqlState(
        inSystem(db, (tx) =>
          tx.execute(sql`update projects set tenant_id = ${b.tenantId}::uuid where id = ${pa.id}`),
        ),
      ),
    ).toBe('23503');
    await inSystem(db, (tx) => tx.execute(sql`delete from projects where id = ${pa.id}`));
    expect(await counts(ctx, pa.id)).toEqual({ tasks: 0, documents: 0, projects: 0 });

    const other = await newProject(a);
    await asTenant(ctx, a)(insertTasks(a.tenantId, [other.id]));
    await asTenant(ctx, a)(insertDocument(a.tenantId, other.id));
    await inSystem(db, (tx) => tx.execute(sql`delete from tenants where id = ${a.tenantId}::uuid`));
    expect(await counts(ctx, other.id)).toEqual({ tasks: 0, documents: 0, projects: 0 });
  });
});

describe.skipIf(!inject('databaseUrl'))('a project and concurrent rows naming it (PostgreSQL)', () => {
  /** A connection in a transaction as the application role in the tenant. */
  async function tenantConnection(ctx: TestContext, tenantId: string): Promise<pg.PoolClient> {
    const client = await ctx.platform.database.pool!.connect();
    await client.query('begin');
    await client.query("select set_config('role', $1, true), set_config('app.tenant_id', $2, true)", [
      APP_ROLE,
      tenantId,
    ]);
    return client;
  }

  it('holds the project against deletion until the rows commit, then deletes them with it', async () => {
    const ctx = await testApp();
    const { a, pa } = await twoTenants(ctx);
    const importer = await tenantConnection(ctx, a.tenantId);
    const deleter = await ctx.platform.database.pool!.connect();
    try {
      await importer.query(
        `insert into tasks (tenant_id, project_id, data) select $1::uuid, $2, '{}' from generate_series(1, 3)`,
        [a.tenantId, pa.id],
      );
      await deleter.query('begin');
      await deleter.query("set local lock_timeout = '200ms'");
      // The rows are not committed yet: the delete waits on the project's lock, and gives up.
      expect(await sqlState(deleter.query('delete from projects where id = $1', [pa.id]))).toBe('55P03');
      await deleter.query('rollback');
      await importer.query('commit');
      await deleter.query('delete from projects where id = $1', [pa.id]);
      expect(await counts(ctx, pa.id)).toEqual({ tasks: 0, documents: 0, projects: 0 });
    } finally {
      importer.release();
      deleter.release();
    }
  });

  it('refuses rows for a project whose deletion commits while they wait on it', async () => {
    const ctx = await testApp();
    const { a, pa } = await twoTenants(ctx);
    const deleter = await ctx.platform.database.pool!.connect();
    const importer = await tenantConnection(ctx, a.tenantId);
    try {
      await deleter.query('begin');
      await deleter.query('delete from projects where id = $1', [pa.id]);
      // Whether the check waits on the deleting transaction's lock or comes after its commit,
      // it finds the project gone.
      const inserted = sqlState(
        importer.query(`insert into tasks (tenant_id, project_id, data) values ($1::uuid, $2, '{}')`, [
          a.tenantId,
          pa.id,
        ]),
      );
      await deleter.query('commit');
      expect(await inserted).toBe('23503');
      await importer.query('rollback');
      expect(await counts(ctx, pa.id)).toEqual({ tasks: 0, documents: 0, projects: 0 });
    } finally {
      importer.release();
      deleter.release();
    }
  });
});
