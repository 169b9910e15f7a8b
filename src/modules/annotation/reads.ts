import { and, asc, eq, gt, inArray, sql } from 'drizzle-orm';
import type { Executor } from '../../platform/db/client.ts';
import { rowsOf } from '../../platform/db/sql.ts';
import { annotations, projects, tasks } from './schema.ts';

/**
 * What other modules (quality, billing) may read of the annotation module's tables. Functions
 * answer the row-at-a-time questions; the read-only relations below are for their set-based
 * SQL: each is a subquery PostgreSQL flattens into the caller's query, so indexes and plans
 * are those of the table itself. Writes go through functions such as replaceResult.
 */
export const readOnly = {
  projects: sql`(select id, tenant_id, title, task_count, deleting_since from projects)`,
  projectMembers: sql`(select tenant_id, project_id, user_id, role from project_members)`,
  tasks: sql`(select id, tenant_id, project_id from tasks)`,
  annotations: sql`(select id, tenant_id, project_id, task_id, completed_by, completed_by_external,
    result, lead_time,
    ground_truth, was_cancelled, created_at, updated_at from annotations)`,
};

export type AnnotationRow = typeof annotations.$inferSelect;

/**
 * A project's labeling facts, or undefined when there is no such project (in `tenantId`, when
 * given; row-level security scopes the read to the transaction's tenant either way).
 */
export async function projectFacts(tx: Executor, projectId: number, tenantId?: string) {
  const [row] = await tx
    .select({
      id: projects.id,
      title: projects.title,
      parsedConfig: projects.parsedConfig,
      labelConfig: projects.labelConfig,
      taskCount: projects.taskCount,
      createdAt: projects.createdAt,
    })
    .from(projects)
    .where(
      and(tenantId === undefined ? undefined : eq(projects.tenantId, tenantId), eq(projects.id, projectId)),
    );
  return row;
}

/** Projects of every tenant (for the license's limit): through a definer function, since RLS hides them. */
export async function countAllProjects(tx: Executor): Promise<number> {
  const [row] = rowsOf<{ n: number }>(await tx.execute(sql`select installation_project_count() as n`));
  return Number(row?.n ?? 0);
}

/** One annotation of the tenant, or undefined. */
export async function findAnnotation(
  tx: Executor,
  tenantId: string,
  annotationId: number,
): Promise<AnnotationRow | undefined> {
  const [row] = await tx
    .select()
    .from(annotations)
    .where(and(eq(annotations.tenantId, tenantId), eq(annotations.id, annotationId)));
  return row;
}

/** The tenant's annotations with their task's data and their project's parsed config. */
export async function annotationsInContext(tx: Executor, tenantId: string, annotationIds: number[]) {
  return tx
    .select({ a: annotations, data: tasks.data, config: projects.parsedConfig })
    .from(annotations)
    .innerJoin(tasks, eq(tasks.id, annotations.taskId))
    .innerJoin(projects, eq(projects.id, annotations.projectId))
    .where(and(eq(annotations.tenantId, tenantId), inArray(annotations.id, annotationIds)));
}

/** The submitted (not skipped) annotations of these tasks. */
export async function submittedOfTasks(tx: Executor, taskIds: number[]) {
  return tx
    .select({ id: annotations.id, taskId: annotations.taskId, result: annotations.result })
    .from(annotations)
    .where(and(inArray(annotations.taskId, taskIds), eq(annotations.wasCancelled, false)));
}

/** The submitted annotations of the task an annotation belongs to (itself included). */
export async function submittedOfSameTask(tx: Executor, annotationId: number) {
  return tx
    .select({ id: annotations.id, result: annotations.result })
    .from(annotations)
    .where(
      and(
        eq(annotations.wasCancelled, false),
        sql`${annotations.taskId} = (select task_id from annotations where id = ${annotationId})`,
      ),
    );
}

/** How many submitted annotations a project has. */
export async function countSubmitted(tx: Executor, projectId: number): Promise<number> {
  const [row] = await tx
    .select({ n: sql<number>`count(*)::int` })
    .from(annotations)
    .where(and(eq(annotations.projectId, projectId), eq(annotations.wasCancelled, false)));
  return row?.n ?? 0;
}

/** The next page of a project's submitted annotation ids, in id order after `after`. */
export async function submittedIdsAfter(
  tx: Executor,
  projectId: number,
  after: number,
  limit: number,
): Promise<number[]> {
  const rows = await tx
    .select({ id: annotations.id })
    .from(annotations)
    .where(
      and(
        eq(annotations.projectId, projectId),
        gt(annotations.id, after),
        eq(annotations.wasCancelled, false),
      ),
    )
    .orderBy(asc(annotations.id))
    .limit(limit);
  return rows.map((r) => r.id);
}
