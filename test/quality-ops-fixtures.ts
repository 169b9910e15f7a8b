import { sql } from 'drizzle-orm';
import type { TenantFixture } from './fixtures.ts';
import type { TestContext } from './helpers.ts';
import { systemSql } from './labeling-fixtures.ts';

/** A text-classification result choosing `choice`. */
export const choice = (value: string) => [
  { id: 'r1', from_name: 'sentiment', to_name: 'text', type: 'choices', value: { choices: [value] } },
];

export async function until<T>(read: () => Promise<T>, done: (v: T) => boolean, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    value = await read();
  }
  return value;
}

export interface RunRow {
  id: string;
  state: string;
  result: Record<string, unknown> | null;
  error: string | null;
}

/** The tenant's job runs of a kind, once none of them is queued or running any more. */
export async function settledJobs(ctx: TestContext, tenantId: string, kind: string, atLeast = 1) {
  return until(
    () =>
      systemSql<RunRow>(
        ctx,
        sql`select id, state, result, error from job_runs where tenant_id = ${tenantId} and kind = ${kind} order by created_at`,
      ),
    (rows) => rows.length >= atLeast && rows.every((r) => r.state === 'completed' || r.state === 'failed'),
  );
}

/** Submits an annotation through the API (the per-submit path) and returns its id. */
export async function submit(
  t: TenantFixture,
  as: TenantFixture['owner'],
  taskId: number,
  result: unknown[],
  leadTime = 10,
): Promise<number> {
  const res = await t.as(as, {
    method: 'POST',
    url: `/api/v1/tasks/${taskId}/annotations`,
    payload: { result, lead_time: leadTime },
  });
  if (res.statusCode !== 201) throw new Error(`submit: ${res.statusCode} ${res.body}`);
  return res.json().id as number;
}

/** Writes an annotation-scope quality score (the scoring engine's table) as test setup. */
export async function insertScore(
  ctx: TestContext,
  t: TenantFixture,
  projectId: number,
  annotationId: number,
  total: number,
  computedAt = new Date(),
  dims: { accuracy?: number; completeness?: number; timeliness?: number; consistency?: number } = {},
) {
  await systemSql(
    ctx,
    sql`insert into quality_scores (tenant_id, project_id, scope, annotation_id, user_id, accuracy,
      completeness, timeliness, consistency, total, computed_at)
      select ${t.tenantId}::uuid, ${projectId}, 'annotation', id, completed_by, ${dims.accuracy ?? null},
        ${dims.completeness ?? null}, ${dims.timeliness ?? null}, ${dims.consistency ?? null}, ${total},
        ${computedAt.toISOString()}::timestamptz
      from annotations where id = ${annotationId}`,
  );
}
