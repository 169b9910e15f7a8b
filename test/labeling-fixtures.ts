import { sql } from 'drizzle-orm';
import { rowsOf } from '../src/platform/db/sql.ts';
import { inSystem } from '../src/platform/db/tenancy.ts';
import type { ProjectJson } from './annotation-fixtures.ts';
import { type Member, newTenant, type TenantFixture } from './fixtures.ts';
import type { TestContext } from './helpers.ts';

/** Kept for the labeling tests; the suite's sign-in rate limit no longer needs separate addresses. */
export const newLabelingTenant = (ctx: TestContext): Promise<TenantFixture> => newTenant(ctx);

/** Runs SQL as the system (no tenant, no RLS): for seeding and for reading back state. */
export async function systemSql<T = Record<string, unknown>>(
  ctx: TestContext,
  query: ReturnType<typeof sql>,
) {
  return inSystem(ctx.platform.database.db, async (tx) => rowsOf<T>(await tx.execute(query)));
}

/**
 * Adds `n` tasks ({text: "task <i>"}) to a project straight in the database (imports are
 * tested elsewhere; these tests are about what happens to tasks once they exist) and
 * returns their ids in ascending order. `finished` marks some as already done.
 */
export async function seedTasks(
  ctx: TestContext,
  t: TenantFixture,
  project: ProjectJson,
  n: number,
  options: { overlap?: number; finished?: (i: number) => boolean } = {},
): Promise<number[]> {
  const overlap = options.overlap ?? project.overlap;
  const rows = await systemSql<{ id: string | number }>(
    ctx,
    sql`insert into tasks (tenant_id, project_id, data, overlap)
      select ${t.tenantId}::uuid, ${project.id}::bigint, jsonb_build_object('text', 'task ' || g), ${overlap}::int
      from generate_series(1, ${n}::int) g order by g returning id`,
  );
  const ids = rows.map((r) => Number(r.id)).sort((a, b) => a - b);
  await systemSql(ctx, sql`update projects set task_count = task_count + ${n}::int where id = ${project.id}`);
  const done = ids.filter((_, i) => options.finished?.(i) ?? false);
  if (done.length)
    await systemSql(
      ctx,
      sql`update tasks set is_finished = true, status = 'completed'
        where id = any(${`{${done.join(',')}}`}::bigint[])`,
    );
  return ids;
}

export interface TaskRow {
  id: number;
  status: string;
  total_annotations: number;
  cancelled_annotations: number;
  total_predictions: number;
  is_finished: boolean;
  prediction_score: number | null;
  overlap: number;
}

export async function taskRow(ctx: TestContext, id: number): Promise<TaskRow> {
  const [row] = await systemSql<TaskRow & { id: string | number }>(
    ctx,
    sql`select id, status, total_annotations, cancelled_annotations, total_predictions, is_finished,
      prediction_score, overlap from tasks where id = ${id}`,
  );
  if (!row) throw new Error(`task ${id} not found`);
  return { ...row, id: Number(row.id) };
}

/** Adds a tenant member to a project with a project role, through the API. */
export async function joinProject(
  t: TenantFixture,
  projectId: number,
  member: Member,
  role: 'manager' | 'reviewer' | 'annotator' | 'viewer',
) {
  const res = await t.as(t.owner, {
    method: 'POST',
    url: `/api/v1/projects/${projectId}/members`,
    payload: { user_id: member.userId, role },
  });
  if (res.statusCode !== 201) throw new Error(`add project member: ${res.statusCode} ${res.body}`);
}

/** New tenant members with the annotator role, each a project annotator. */
export async function annotators(t: TenantFixture, projectId: number, n: number, name = 'Annotator') {
  const out: Member[] = [];
  for (let i = 0; i < n; i++) {
    const m = await t.member(['annotator'], `${name}${i}`);
    await joinProject(t, projectId, m, 'annotator');
    out.push(m);
  }
  return out;
}

/** A valid result of the text-classification fixture config. */
export const sentiment = (choice: 'Positive' | 'Negative' | 'Neutral' = 'Positive') => [
  {
    id: `r-${choice}`,
    from_name: 'sentiment',
    to_name: 'text',
    type: 'choices',
    value: { choices: [choice] },
  },
];

export async function unauditedMutations(ctx: TestContext): Promise<number> {
  const metric = await ctx.platform.registry.getSingleMetric('superinsight_unaudited_mutations_total')?.get();
  return (metric?.values ?? []).reduce((sum, v) => sum + v.value, 0);
}

/**
 * Submits an annotation of the task as `m` through the API: sentiment('Positive') with any
 * `extra` body fields, or a skip (cancelled, no result) when `skip`.
 */
export async function annotate(
  t: TenantFixture,
  m: Member,
  taskId: number,
  skip = false,
  extra: Record<string, unknown> = {},
) {
  const res = await t.as(m, {
    method: 'POST',
    url: `/api/v1/tasks/${taskId}/annotations`,
    payload: skip ? { result: [], was_cancelled: true } : { result: sentiment(), ...extra },
  });
  if (res.statusCode !== 201) throw new Error(`annotate: ${res.statusCode} ${res.body}`);
  return res.json() as { id: number };
}
