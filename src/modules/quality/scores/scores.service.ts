import { eq, sql } from 'drizzle-orm';
import type { Db, Executor } from '../../../platform/db/client.ts';
import { pgArray, rowsOf } from '../../../platform/db/sql.ts';
import { inTenant, type TenantScope } from '../../../platform/db/tenancy.ts';
import { badRequest } from '../../../platform/errors/problem.ts';
import { readOnly } from '../../annotation/index.ts';
import {
  BATCH,
  type ProjectForAgreement,
  projectForAgreement,
} from '../agreement/project-agreement.service.ts';
import { byControl, type ControlSpec, compareAnnotations } from '../agreement/similarity.ts';
import { DEFAULT_WEIGHTS, qualityProjectConfigs, type ScoreWeights } from '../schema.ts';

/**
 * Quality scores (DOMAIN.md, quality_scores): per annotation, four dimensions in [0, 1]
 * - accuracy: similarity to the task's ground-truth annotation (null without one);
 * - completeness: the share of required controls the annotation fills;
 * - timeliness: lead time against the project's expected duration (1.0 within it, 0.9 up to
 *   1.5×, 0.8 up to 2×, 0.6 up to 3×, 0.4 beyond);
 * - consistency: mean similarity to the other (non-gold) annotations of the task (null alone);
 * and their weighted total, the weights of missing dimensions left out (Σ wᵢdᵢ / Σ wᵢ).
 * Per annotator: the mean of each dimension over their scored annotations in the project,
 * and the weighted total of those means.
 */

export interface QualityConfig {
  weights: ScoreWeights;
  requiredFields: string[];
  expectedDurationSeconds: number;
  goldRatio: number;
}

export const DEFAULT_CONFIG: QualityConfig = {
  weights: DEFAULT_WEIGHTS,
  requiredFields: [],
  expectedDurationSeconds: 120,
  goldRatio: 0.1,
};

export function timeliness(leadTimeSeconds: number, expectedSeconds: number): number {
  const ratio = expectedSeconds > 0 ? leadTimeSeconds / expectedSeconds : 0;
  if (ratio <= 1) return 1;
  if (ratio <= 1.5) return 0.9;
  if (ratio <= 2) return 0.8;
  if (ratio <= 3) return 0.6;
  return 0.4;
}

export interface Dimensions {
  accuracy: number | null;
  completeness: number | null;
  timeliness: number | null;
  consistency: number | null;
}

const DIMENSIONS = ['accuracy', 'completeness', 'timeliness', 'consistency'] as const;

export function weightedTotal(d: Dimensions, w: ScoreWeights): number {
  let sum = 0;
  let weight = 0;
  for (const k of DIMENSIONS) {
    const v = d[k];
    if (v === null) continue;
    sum += w[k] * v;
    weight += w[k];
  }
  return weight > 0 ? sum / weight : 0;
}

export interface ScoredAnnotation {
  id: number;
  userId: string | null;
  result: unknown[];
  leadTime: number;
  groundTruth: boolean;
}

export interface AnnotationScore extends Dimensions {
  annotationId: number;
  userId: string | null;
  total: number;
  details: Record<string, unknown>;
}

/** Scores every (non-skipped) annotation of one task. */
export function scoreTask(
  specs: readonly ControlSpec[],
  config: QualityConfig,
  anns: readonly ScoredAnnotation[],
): AnnotationScore[] {
  const grouped = anns.map((a) => byControl(a.result));
  const required = config.requiredFields.length ? config.requiredFields : specs.map((s) => s.name);
  // The latest ground truth is the gold standard.
  let gold = -1;
  anns.forEach((a, i) => {
    if (a.groundTruth && (gold < 0 || a.id > anns[gold]!.id)) gold = i;
  });
  return anns.map((a, i) => {
    const mine = grouped[i]!;
    const accuracy = gold >= 0 && gold !== i ? compareAnnotations(specs, mine, grouped[gold]!).score : null;
    const filled = required.filter((name) => (mine.get(name)?.length ?? 0) > 0).length;
    const completeness = required.length ? filled / required.length : 1;
    let peers = 0;
    let peerSum = 0;
    anns.forEach((b, j) => {
      if (j === i || b.groundTruth) return;
      peerSum += compareAnnotations(specs, mine, grouped[j]!).score;
      peers++;
    });
    const d: Dimensions = {
      accuracy,
      completeness,
      timeliness: timeliness(a.leadTime, config.expectedDurationSeconds),
      consistency: peers ? peerSum / peers : null,
    };
    return {
      annotationId: a.id,
      userId: a.userId,
      ...d,
      total: weightedTotal(d, config.weights),
      details: {
        gold_annotation: gold >= 0 && gold !== i ? anns[gold]!.id : null,
        peers,
        required_filled: filled,
        required: required.length,
        lead_time: a.leadTime,
      },
    };
  });
}

// ---------------------------------------------------------------------------------------
// Settings

export type ConfigRow = typeof qualityProjectConfigs.$inferSelect;

export async function loadConfig(
  tx: Executor,
  projectId: number,
): Promise<QualityConfig & { row?: ConfigRow }> {
  const [row] = await tx
    .select()
    .from(qualityProjectConfigs)
    .where(eq(qualityProjectConfigs.projectId, projectId));
  if (!row) return { ...DEFAULT_CONFIG };
  return {
    weights: row.weights,
    requiredFields: row.requiredFields,
    expectedDurationSeconds: row.expectedDurationSeconds,
    goldRatio: row.goldRatio,
    row,
  };
}

export interface ConfigChange {
  weights?: ScoreWeights;
  required_fields?: string[];
  expected_duration_seconds?: number;
  gold_ratio?: number;
}

export async function saveConfig(
  tx: Executor,
  scope: TenantScope,
  projectId: number,
  change: ConfigChange,
): Promise<ConfigRow> {
  const project = await projectForAgreement(tx, projectId);
  if (change.weights) {
    const sum = DIMENSIONS.reduce((s, k) => s + change.weights![k], 0);
    if (Math.abs(sum - 1) > 1e-6)
      throw badRequest(
        'quality_score.weights_sum',
        `The weights must add up to 1; they add up to ${sum}.`,
        [{ path: 'body/weights', message: 'must add up to 1' }],
        { sum },
      );
  }
  const names = new Set(project.specs.map((s) => s.name));
  change.required_fields?.forEach((f, i) => {
    if (!names.has(f))
      throw badRequest(
        'quality_score.unknown_control',
        `"${f}" names no control of the project's labeling config.`,
        [{ path: `body/required_fields/${i}`, message: 'names no control of the labeling config' }],
        { field: f },
      );
  });
  const current = await loadConfig(tx, projectId);
  const values = {
    weights: change.weights ?? current.weights,
    requiredFields: change.required_fields ?? current.requiredFields,
    expectedDurationSeconds: change.expected_duration_seconds ?? current.expectedDurationSeconds,
    goldRatio: change.gold_ratio ?? current.goldRatio,
    updatedBy: scope.userId ?? null,
    updatedAt: new Date(),
  };
  const [row] = await tx
    .insert(qualityProjectConfigs)
    .values({ tenantId: scope.tenantId, projectId, ...values })
    .onConflictDoUpdate({ target: qualityProjectConfigs.projectId, set: values })
    .returning();
  return row!;
}

// ---------------------------------------------------------------------------------------
// Storing

const round = (x: number | null) => (x === null ? null : Math.round(x * 1e5) / 1e5);

interface AnnotationRow {
  id: string | number;
  task_id: string | number;
  completed_by: string | null;
  result: unknown[];
  lead_time: number;
  ground_truth: boolean;
}

/** Scores the annotations of these tasks and stores them; returns the users scored. */
async function scoreTasks(
  tx: Executor,
  scope: TenantScope,
  project: ProjectForAgreement,
  config: QualityConfig,
  taskIds: readonly number[],
): Promise<{ users: Set<string>; scored: number }> {
  const ids = pgArray(taskIds);
  const rows = rowsOf<AnnotationRow>(
    await tx.execute(sql`
      select id, task_id, completed_by, result, lead_time, ground_truth from ${readOnly.annotations} a
      where task_id = any(${ids}::bigint[]) and not was_cancelled order by task_id, id`),
  );
  const scores: AnnotationScore[] = [];
  for (let i = 0; i < rows.length; ) {
    const taskId = Number(rows[i]!.task_id);
    const anns: ScoredAnnotation[] = [];
    for (; i < rows.length && Number(rows[i]!.task_id) === taskId; i++) {
      const r = rows[i]!;
      anns.push({
        id: Number(r.id),
        userId: r.completed_by,
        result: Array.isArray(r.result) ? r.result : [],
        leadTime: Number(r.lead_time),
        groundTruth: r.ground_truth,
      });
    }
    scores.push(...scoreTask(project.specs, config, anns));
  }
  // Skipped annotations have no score.
  await tx.execute(sql`
    delete from quality_scores where scope = 'annotation' and annotation_id in
      (select id from ${readOnly.annotations} a where task_id = any(${ids}::bigint[]) and was_cancelled)`);
  if (scores.length) {
    const json = JSON.stringify(
      scores.map((s) => ({
        annotation_id: s.annotationId,
        user_id: s.userId,
        accuracy: round(s.accuracy),
        completeness: round(s.completeness),
        timeliness: round(s.timeliness),
        consistency: round(s.consistency),
        total: round(s.total),
        details: s.details,
      })),
    );
    await tx.execute(sql`
      insert into quality_scores (tenant_id, project_id, scope, annotation_id, user_id, accuracy, completeness,
        timeliness, consistency, total, details, computed_at)
      select ${scope.tenantId}::uuid, ${project.id}::bigint, 'annotation', x.annotation_id, x.user_id, x.accuracy,
        x.completeness, x.timeliness, x.consistency, x.total, x.details, now()
      from jsonb_to_recordset(${json}::jsonb) as x(annotation_id bigint, user_id uuid, accuracy numeric,
        completeness numeric, timeliness numeric, consistency numeric, total numeric, details jsonb)
      on conflict (annotation_id) where scope = 'annotation' do update set user_id = excluded.user_id,
        accuracy = excluded.accuracy, completeness = excluded.completeness, timeliness = excluded.timeliness,
        consistency = excluded.consistency, total = excluded.total, details = excluded.details,
        computed_at = excluded.computed_at`);
  }
  const users = new Set<string>();
  for (const s of scores) if (s.userId) users.add(s.userId);
  return { users, scored: scores.length };
}

/**
 * Recomputes annotator scores from their annotation scores: the given users, or every user
 * of the project (then annotators left without scored annotations lose their row).
 */
async function refreshAnnotators(
  tx: Executor,
  scope: TenantScope,
  projectId: number,
  weights: ScoreWeights,
  users: readonly string[] | 'all',
): Promise<void> {
  if (users !== 'all' && users.length === 0) return;
  const only = users === 'all' ? sql`` : sql`and user_id = any(${pgArray(users)}::uuid[])`;
  const w = weights;
  await tx.execute(sql`
    insert into quality_scores (tenant_id, project_id, scope, user_id, accuracy, completeness, timeliness,
      consistency, total, details, computed_at)
    select ${scope.tenantId}::uuid, ${projectId}::bigint, 'annotator', user_id, a, c, t, k,
      round((${w.accuracy}::numeric * coalesce(a, 0) + ${w.completeness}::numeric * coalesce(c, 0)
        + ${w.timeliness}::numeric * coalesce(t, 0) + ${w.consistency}::numeric * coalesce(k, 0))
        / nullif(${w.accuracy}::numeric * (a is not null)::int + ${w.completeness}::numeric * (c is not null)::int
        + ${w.timeliness}::numeric * (t is not null)::int + ${w.consistency}::numeric * (k is not null)::int, 0), 5),
      jsonb_build_object('annotations', n, 'gold_compared', g), now()
    from (
      select user_id, round(avg(accuracy), 5) as a, round(avg(completeness), 5) as c, round(avg(timeliness), 5) as t,
        round(avg(consistency), 5) as k, count(*)::int as n, count(accuracy)::int as g
      from quality_scores
      where project_id = ${projectId} and scope = 'annotation' and user_id is not null ${only}
      group by user_id
    ) s
    where coalesce(a, c, t, k) is not null
    on conflict (project_id, user_id) where scope = 'annotator' do update set accuracy = excluded.accuracy,
      completeness = excluded.completeness, timeliness = excluded.timeliness, consistency = excluded.consistency,
      total = excluded.total, details = excluded.details, computed_at = excluded.computed_at`);
  await tx.execute(sql`
    delete from quality_scores q where q.project_id = ${projectId} and q.scope = 'annotator'
      ${users === 'all' ? sql`` : sql`and q.user_id = any(${pgArray(users)}::uuid[])`}
      and not exists (select 1 from quality_scores s where s.project_id = q.project_id and s.scope = 'annotation'
        and s.user_id = q.user_id)`);
}

/**
 * Rescores one task after a change to its annotations, and the annotators concerned: those
 * on the task, or (after a delete, whose author is gone with the annotation) all of the
 * project's.
 */
export async function rescoreTask(
  db: Db,
  scope: TenantScope,
  projectId: number,
  taskId: number,
  options: { allAnnotators: boolean },
): Promise<{ scored: number }> {
  return inTenant(db, scope, async (tx) => {
    const project = await projectForAgreement(tx, projectId);
    const config = await loadConfig(tx, projectId);
    const { users, scored } = await scoreTasks(tx, scope, project, config, [taskId]);
    await refreshAnnotators(tx, scope, projectId, config.weights, options.allAnnotators ? 'all' : [...users]);
    return { scored };
  });
}

/** Rescores a whole project, batch by batch, then every annotator. */
export async function rescoreProject(
  db: Db,
  scope: TenantScope,
  projectId: number,
  onBatch?: (seen: number, total: number) => Promise<void>,
): Promise<{ tasks: number; annotations: number }> {
  const { project, config } = await inTenant(db, scope, async (tx) => ({
    project: await projectForAgreement(tx, projectId),
    config: await loadConfig(tx, projectId),
  }));
  let after = 0;
  let tasks = 0;
  let annotations = 0;
  for (;;) {
    const ids = await inTenant(db, scope, async (tx) => {
      const ids = rowsOf<{ id: string | number }>(
        await tx.execute(sql`select id from ${readOnly.tasks} t where project_id = ${projectId} and id > ${after}
          order by id limit ${BATCH}`),
      ).map((r) => Number(r.id));
      if (ids.length) annotations += (await scoreTasks(tx, scope, project, config, ids)).scored;
      return ids;
    });
    tasks += ids.length;
    if (ids.length) {
      after = ids.at(-1)!;
      await onBatch?.(tasks, project.taskCount);
    }
    if (ids.length < BATCH) break;
  }
  await inTenant(db, scope, (tx) => refreshAnnotators(tx, scope, projectId, config.weights, 'all'));
  return { tasks, annotations };
}

export async function listScores(
  tx: Executor,
  projectId: number,
  options: { scope: 'annotation' | 'annotator'; userId?: string; after?: number; limit: number },
) {
  return rowsOf<Record<string, unknown>>(
    await tx.execute(sql`
      select q.id, q.scope, q.annotation_id, q.user_id, q.accuracy::float8 as accuracy,
        q.completeness::float8 as completeness, q.timeliness::float8 as timeliness,
        q.consistency::float8 as consistency, q.total::float8 as total, q.details, q.computed_at,
        a.task_id
      from quality_scores q left join ${readOnly.annotations} a on a.id = q.annotation_id
      where q.project_id = ${projectId} and q.scope = ${options.scope}
        ${options.userId ? sql`and q.user_id = ${options.userId}::uuid` : sql``}
        ${options.after !== undefined ? sql`and q.id > ${options.after}` : sql``}
      order by q.id limit ${options.limit + 1}`),
  );
}

/** Annotators by total score, best first (ties by more annotations, then user id). */
export async function ranking(tx: Executor, projectId: number) {
  return rowsOf<Record<string, unknown>>(
    await tx.execute(sql`
      select q.user_id, u.email, u.name, q.accuracy::float8 as accuracy, q.completeness::float8 as completeness,
        q.timeliness::float8 as timeliness, q.consistency::float8 as consistency, q.total::float8 as total,
        q.details, q.computed_at
      from quality_scores q left join users u on u.id = q.user_id
      where q.project_id = ${projectId} and q.scope = 'annotator'
      order by q.total desc, (q.details->>'annotations')::int desc, q.user_id`),
  );
}
