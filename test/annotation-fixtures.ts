import { sql } from 'drizzle-orm';
import { rowsOf } from '../src/platform/db/sql.ts';
import { inTenant } from '../src/platform/db/tenancy.ts';
import type { TenantFixture } from './fixtures.ts';
import type { TestContext } from './helpers.ts';

/** Label Studio's text-classification template (sentiment). */
export const TEXT_CLASSIFICATION_CONFIG = `<View>
  <Text name="text" value="$text"/>
  <View style="box-shadow: 2px 2px 5px #999; padding: 20px; margin-top: 2em; border-radius: 5px;">
    <Header value="Choose text sentiment"/>
    <Choices name="sentiment" toName="text" choice="single" showInLine="true">
      <Choice value="Positive"/>
      <Choice value="Negative"/>
      <Choice value="Neutral"/>
    </Choices>
  </View>
</View>`;

export interface ProjectJson {
  id: number;
  title: string;
  label_config: string;
  data_keys: string[];
  overlap: number;
  task_count: number;
  [key: string]: unknown;
}

/**
 * Creates a text-classification project through the API (as the tenant owner unless
 * `as` is given) and returns its JSON. `overrides` are merged into the request body.
 */
export async function newProject(
  t: TenantFixture,
  overrides: Record<string, unknown> = {},
  as = t.owner,
): Promise<ProjectJson> {
  const res = await t.as(as, {
    method: 'POST',
    url: '/api/v1/projects',
    payload: { title: 'Sentiment', label_config: TEXT_CLASSIFICATION_CONFIG, ...overrides },
  });
  if (res.statusCode !== 201) throw new Error(`create project: ${res.statusCode} ${res.body}`);
  return res.json() as ProjectJson;
}

export interface SeedAnnotation {
  completed_by?: string | null;
  result?: unknown[];
  was_cancelled?: boolean;
  ground_truth?: boolean;
  lead_time?: number;
  review_status?: 'pending' | 'in_review' | 'approved' | 'rejected' | 'modification_requested' | null;
}

export interface SeedPrediction {
  result?: unknown[];
  score?: number | null;
  model_version?: string;
}

export interface SeedTask {
  data: Record<string, unknown>;
  meta?: Record<string, unknown>;
  priority?: 'low' | 'medium' | 'high' | 'urgent';
  created_at?: string;
  overlap?: number;
  annotations?: SeedAnnotation[];
  predictions?: SeedPrediction[];
}

/**
 * Writes tasks with their annotations and predictions straight into the tables (as the
 * tenant, under RLS), with counters, finished flag, status and the project's task_count
 * kept as the application keeps them. Returns the task ids in order.
 */
export async function seedTasks(
  { platform }: TestContext,
  t: TenantFixture,
  projectId: number,
  items: SeedTask[],
): Promise<number[]> {
  return inTenant(platform.database.db, { tenantId: t.tenantId, userId: t.owner.userId }, async (tx) => {
    const ids: number[] = [];
    for (const item of items) {
      const anns = item.annotations ?? [];
      const preds = item.predictions ?? [];
      const counted = anns.filter((a) => !a.was_cancelled && a.review_status !== 'rejected').length;
      const cancelled = anns.filter((a) => a.was_cancelled).length;
      const overlap = item.overlap ?? 1;
      const finished = counted >= overlap;
      const scores = preds.map((p) => p.score).filter((s): s is number => typeof s === 'number');
      const approved = anns.some((a) => a.review_status === 'approved');
      const status = finished
        ? approved
          ? 'reviewed'
          : 'completed'
        : anns.length
          ? 'in_progress'
          : 'pending';
      const [row] = rowsOf<{ id: string | number }>(
        await tx.execute(sql`
          insert into tasks (tenant_id, project_id, data, meta, priority, overlap, total_annotations,
            cancelled_annotations, total_predictions, is_finished, prediction_score, status, created_at)
          values (${t.tenantId}::uuid, ${projectId}, ${JSON.stringify(item.data)}::jsonb,
            ${JSON.stringify(item.meta ?? {})}::jsonb, ${item.priority ?? 'medium'}, ${overlap}, ${counted},
            ${cancelled}, ${preds.length}, ${finished}, ${scores.length ? Math.min(...scores) : null}::real,
            ${status}, coalesce(${item.created_at ?? null}::timestamptz, now()))
          returning id`),
      );
      const id = Number(row!.id);
      ids.push(id);
      for (const a of anns) {
        await tx.execute(sql`
          insert into annotations (tenant_id, project_id, task_id, completed_by, result, was_cancelled,
            ground_truth, lead_time, review_status)
          values (${t.tenantId}::uuid, ${projectId}, ${id}, ${a.completed_by ?? null}::uuid,
            ${JSON.stringify(a.result ?? [])}::jsonb, ${a.was_cancelled ?? false}, ${a.ground_truth ?? false},
            ${a.lead_time ?? 0}, ${a.review_status ?? null})`);
      }
      for (const p of preds) {
        await tx.execute(sql`
          insert into predictions (tenant_id, project_id, task_id, result, score, model_version)
          values (${t.tenantId}::uuid, ${projectId}, ${id}, ${JSON.stringify(p.result ?? [])}::jsonb,
            ${p.score ?? null}::real, ${p.model_version ?? ''})`);
      }
    }
    await tx.execute(
      sql`update projects set task_count = task_count + ${items.length} where id = ${projectId}`,
    );
    return ids;
  });
}

/**
 * Inserts `n` tasks in one statement (generate_series), with varied and tied sort keys:
 * created_at repeats every 97 tasks, total_annotations cycles 0..3, prediction_score is
 * null for every fifth task and repeats otherwise. Keeps task_count.
 */
export async function seedManyTasks(
  { platform }: TestContext,
  t: TenantFixture,
  projectId: number,
  n: number,
): Promise<void> {
  await inTenant(platform.database.db, { tenantId: t.tenantId, userId: t.owner.userId }, async (tx) => {
    await tx.execute(sql`
      insert into tasks (tenant_id, project_id, data, total_annotations, is_finished, status,
        total_predictions, prediction_score, created_at)
      select ${t.tenantId}::uuid, ${projectId}, jsonb_build_object('text', 'Task number ' || i),
        i % 4, i % 4 > 0, case when i % 4 > 0 then 'completed' else 'pending' end,
        case when i % 5 = 0 then 0 else 1 end,
        case when i % 5 = 0 then null else ((i * 37) % 11) / 10.0 end,
        timestamptz '2025-01-01T00:00:00Z' + (i % 97) * interval '1 minute'
      from generate_series(1, ${n}) as i`);
    await tx.execute(sql`update projects set task_count = task_count + ${n} where id = ${projectId}`);
  });
}
