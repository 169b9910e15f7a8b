import { and, desc, eq, sql } from 'drizzle-orm';
import type { Db, Executor } from '../../../platform/db/client.ts';
import { pgArray, rowsOf } from '../../../platform/db/sql.ts';
import { inTenant, type TenantScope } from '../../../platform/db/tenancy.ts';
import { notFound } from '../../../platform/errors/problem.ts';
import { projectFacts, readOnly } from '../../annotation/index.ts';
import { qualityAgreementRuns, qualityAgreementTasks } from '../schema.ts';
import { AgreementError, type Level, UnitTally } from './agreement.ts';
import {
  alphaLevelOf,
  byControl,
  type ControlSpec,
  categoricalValue,
  comparePrepared,
  controlSpecs,
  metricOf,
  prepareControl,
} from './similarity.ts';

/**
 * Project agreement: per task, the mean pairwise score between its annotations (see
 * similarity.ts); per control, the mean score and Krippendorff's alpha / Fleiss' and
 * Cohen's kappa over the project; per annotator pair, their mean score.
 *
 * A run walks the project's tasks in id order, BATCH at a time (never the whole project in
 * memory as annotations), and keeps each task's result in quality_agreement_tasks with the
 * signature of the annotations it came from. An incremental run recomputes only tasks whose
 * signature changed (an annotation added, removed, edited, skipped or unskipped) and reads
 * the others' stored results; the project figures are then aggregated from all of them.
 */

export const BATCH = 2000;

/** Scores are kept to 6 decimals: plenty for agreement, and half the bytes to store. */
const round6 = (x: number) => Math.round(x * 1e6) / 1e6;

export interface AnnotationInput {
  id: number;
  annotator: string;
  result: unknown[];
}

export interface TaskAgreement {
  annotations: number;
  score: number | null;
  controls: Record<string, number>;
  /** The task's annotators, each once; pairs and ratings name them by position. */
  annotators: string[];
  /** [annotator, annotator, score] per pair of annotations, positions in `annotators`. */
  pairs: [number, number, number][];
  /** Per control with categorical values: [annotator, value] per annotation. */
  ratings: Record<string, [number, string | number][]>;
}

/** The agreement of one task's (non-skipped) annotations. */
export function taskAgreement(
  specs: readonly ControlSpec[],
  anns: readonly AnnotationInput[],
): TaskAgreement {
  // Each annotation's controls are read once, not once per pair they take part in.
  const prepared = anns.map((a) => {
    const regions = byControl(a.result);
    return specs.map((spec) => prepareControl(spec, regions.get(spec.name)));
  });
  const annotators: string[] = [];
  const who = anns.map((a) => {
    let k = annotators.indexOf(a.annotator);
    if (k < 0) k = annotators.push(a.annotator) - 1;
    return k;
  });
  const pairs: [number, number, number][] = [];
  const sums = new Float64Array(specs.length);
  const counts = new Int32Array(specs.length);
  let total = 0;
  for (let i = 0; i < anns.length; i++) {
    for (let j = i + 1; j < anns.length; j++) {
      let sum = 0;
      let n = 0;
      for (let c = 0; c < specs.length; c++) {
        const spec = specs[c]!;
        const v = comparePrepared(spec, prepared[i]![c], prepared[j]![c]);
        if (v === null) continue;
        sums[c]! += v;
        counts[c]!++;
        sum += v;
        n++;
      }
      const score = n ? sum / n : 1;
      pairs.push([Math.min(who[i]!, who[j]!), Math.max(who[i]!, who[j]!), round6(score)]);
      total += score;
    }
  }
  const controls: Record<string, number> = {};
  specs.forEach((spec, c) => {
    if (counts[c]) controls[spec.name] = round6(sums[c]! / counts[c]!);
  });
  const ratings: Record<string, [number, string | number][]> = {};
  specs.forEach((spec, c) => {
    if (!alphaLevelOf(spec.type)) return;
    const values: [number, string | number][] = [];
    anns.forEach((_, i) => {
      const v = categoricalValue(spec, prepared[i]![c]);
      if (v !== null) values.push([who[i]!, v]);
    });
    if (values.length >= 2) ratings[spec.name] = values;
  });
  return {
    annotations: anns.length,
    score: pairs.length ? round6(total / pairs.length) : null,
    controls,
    annotators,
    pairs,
    ratings,
  };
}

export interface Statistic {
  value: number | null;
  units?: number;
  raters?: number;
  level?: Level;
  /** Why there is no value (no variation, a single annotator, ...). */
  reason?: string;
}

export interface ControlSummary {
  type: string;
  metric: string;
  /** Tasks where at least one pair compared this control. */
  tasks: number;
  mean_score: number | null;
  alpha: Statistic;
  fleiss_kappa: Statistic;
  cohen_kappa: Statistic;
}

export interface PairSummary {
  annotator_a: string;
  annotator_b: string;
  tasks: number;
  mean_score: number;
}

export interface AgreementSummary {
  tasksSeen: number;
  tasksRecomputed: number;
  tasksScored: number;
  meanScore: number | null;
  controls: Record<string, ControlSummary>;
  pairs: PairSummary[];
  phases: AgreementPhases;
}

const unavailable = (reason: string): Statistic => ({ value: null, reason });

function statistic(compute: () => Statistic): Statistic {
  try {
    return compute();
  } catch (err) {
    if (err instanceof AgreementError) return unavailable(err.message);
    throw err;
  }
}

/**
 * Sums task results into the project's figures. Memory holds sums per control and per
 * annotator pair and, for alpha and kappa, tallies of the ratings (see UnitTally), never
 * the tasks themselves.
 */
export class ProjectAggregate {
  tasksSeen = 0;
  private scored = 0;
  private scoreSum = 0;
  private readonly controlSums = new Map<string, { sum: number; n: number }>();
  private readonly pairSums = new Map<string, { sum: number; n: number }>();
  private readonly tallies = new Map<string, UnitTally>();

  constructor(private readonly specs: readonly ControlSpec[]) {
    for (const spec of specs) {
      const level = alphaLevelOf(spec.type);
      if (level) this.tallies.set(spec.name, new UnitTally(level));
    }
  }

  add(t: Pick<TaskAgreement, 'score' | 'controls' | 'annotators' | 'pairs' | 'ratings'>): void {
    this.tasksSeen++;
    if (t.score !== null) {
      this.scored++;
      this.scoreSum += t.score;
    }
    for (const [name, v] of Object.entries(t.controls)) {
      const acc = this.controlSums.get(name);
      if (acc) {
        acc.sum += v;
        acc.n++;
      } else this.controlSums.set(name, { sum: v, n: 1 });
    }
    for (const [i, j, s] of t.pairs) {
      if (i === j) continue;
      const a = t.annotators[i]!;
      const b = t.annotators[j]!;
      const key = a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`;
      const acc = this.pairSums.get(key);
      if (acc) {
        acc.sum += s;
        acc.n++;
      } else this.pairSums.set(key, { sum: s, n: 1 });
    }
    for (const [name, values] of Object.entries(t.ratings)) {
      this.tallies.get(name)?.add(values.map(([k, v]) => [t.annotators[k]!, v] as const));
    }
  }

  finish(): Omit<AgreementSummary, 'tasksRecomputed' | 'phases'> {
    const controls: Record<string, ControlSummary> = {};
    for (const spec of this.specs) {
      const sums = this.controlSums.get(spec.name);
      controls[spec.name] = {
        type: spec.type,
        metric: metricOf(spec.type),
        tasks: sums?.n ?? 0,
        mean_score: sums ? sums.sum / sums.n : null,
        ...this.statistics(spec),
      };
    }
    const pairs = [...this.pairSums].map(([key, { sum, n }]) => {
      const [a, b] = key.split('\u0000') as [string, string];
      return { annotator_a: a, annotator_b: b, tasks: n, mean_score: sum / n };
    });
    pairs.sort(
      (p, q) => p.annotator_a.localeCompare(q.annotator_a) || p.annotator_b.localeCompare(q.annotator_b),
    );
    return {
      tasksSeen: this.tasksSeen,
      tasksScored: this.scored,
      meanScore: this.scored ? this.scoreSum / this.scored : null,
      controls,
      pairs,
    };
  }

  private statistics(spec: ControlSpec): Pick<ControlSummary, 'alpha' | 'fleiss_kappa' | 'cohen_kappa'> {
    const tally = this.tallies.get(spec.name);
    if (!tally) {
      const none = unavailable(
        'This control has no categorical value (spans, boxes, text): its agreement is the mean pairwise score.',
      );
      return { alpha: none, fleiss_kappa: none, cohen_kappa: none };
    }
    if (tally.raterCount === 0) {
      const none = unavailable('No task has this control filled by two or more annotators.');
      return { alpha: none, fleiss_kappa: none, cohen_kappa: none };
    }
    const level = tally.level;
    const alpha = statistic(() => {
      const r = tally.alpha();
      return { value: r.alpha, level, units: r.units, raters: r.raters };
    });
    if (level === 'interval') {
      const none = unavailable(
        "Kappa is for categories; this control's numbers are measured by alpha (interval).",
      );
      return { alpha, fleiss_kappa: none, cohen_kappa: none };
    }
    // Fleiss needs the same number of ratings per unit: the units with the usual number.
    const fleiss = statistic(() => {
      const r = tally.fleiss();
      return { value: r.kappa, units: r.units, raters: r.raters };
    });
    const cohen =
      tally.raterCount === 2
        ? statistic(() => {
            const r = tally.cohen();
            return { value: r.kappa, units: r.units, raters: 2 };
          })
        : unavailable(
            `Cohen's kappa compares exactly 2 annotators; this control has ${tally.raterCount} (see Fleiss' kappa).`,
          );
    return { alpha, fleiss_kappa: fleiss, cohen_kappa: cohen };
  }
}

// ---------------------------------------------------------------------------------------
// Reading and storing

const signatureOf = (n: number, idSum: number | string, lastMs: number | string) => `${n}:${idSum}:${lastMs}`;

export interface ProjectForAgreement {
  id: number;
  specs: ControlSpec[];
  taskCount: number;
}

export async function projectForAgreement(tx: Executor, projectId: number): Promise<ProjectForAgreement> {
  const p = await projectFacts(tx, projectId);
  if (!p) throw notFound('project.not_found', 'The project');
  return { id: p.id, specs: controlSpecs(p.parsedConfig, p.labelConfig), taskCount: Number(p.taskCount) };
}

interface AnnotationRow {
  id: string | number;
  task_id: string | number;
  completed_by: string | null;
  completed_by_external: string | null;
  result: unknown[];
  ms: string | number;
}

interface StoredRow {
  task_id: string | number;
  signature: string;
  score: number | null;
  controls: Record<string, number>;
  annotators: string[];
  pairs: [number, number, number][];
  ratings: Record<string, [number, string | number][]>;
}

interface BatchRead {
  taskIds: number[];
  /** Stored results still valid (incremental runs). */
  unchanged: StoredRow[];
  /** Annotations of the tasks to recompute, by task. */
  rows: AnnotationRow[];
  /** Stored tasks whose annotations are all gone (deleted or skipped). */
  gone: number[];
}

/** Reads the next batch of tasks after `after`: what is still valid, and what to recompute. */
async function readBatch(tx: Executor, projectId: number, after: number, full: boolean): Promise<BatchRead> {
  const taskIds = rowsOf<{ id: string | number }>(
    await tx.execute(sql`select id from ${readOnly.tasks} t where project_id = ${projectId} and id > ${after}
      order by id limit ${BATCH}`),
  ).map((r) => Number(r.id));
  if (taskIds.length === 0) return { taskIds, unchanged: [], rows: [], gone: [] };
  const ids = pgArray(taskIds);
  let dirty = taskIds;
  const unchanged: StoredRow[] = [];
  const gone: number[] = [];
  if (!full) {
    const current = new Map<number, string>();
    for (const c of rowsOf<{ task_id: string | number; n: number; id_sum: string; last_ms: string }>(
      await tx.execute(sql`
        select task_id, count(*)::int as n, sum(id)::text as id_sum,
          (extract(epoch from max(updated_at)) * 1000)::bigint::text as last_ms
        from ${readOnly.annotations} a where task_id = any(${ids}::bigint[]) and not was_cancelled group by task_id`),
    ))
      current.set(Number(c.task_id), signatureOf(c.n, c.id_sum, c.last_ms));
    const stored = new Set<number>();
    const valid = new Set<number>();
    for (const r of rowsOf<StoredRow>(
      await tx.execute(sql`
        select task_id, signature, score, controls, annotators, pairs, ratings from quality_agreement_tasks
        where task_id = any(${ids}::bigint[])`),
    )) {
      const id = Number(r.task_id);
      stored.add(id);
      const now = current.get(id);
      if (now === undefined) gone.push(id);
      else if (now === r.signature) {
        unchanged.push(r);
        valid.add(id);
      }
    }
    dirty = [...current.keys()].filter((id) => !valid.has(id));
  }
  const rows = dirty.length
    ? rowsOf<AnnotationRow>(
        await tx.execute(sql`
          select id, task_id, completed_by, completed_by_external, result,
            (extract(epoch from updated_at) * 1000)::bigint::text as ms
          from ${readOnly.annotations} a where task_id = any(${pgArray(dirty)}::bigint[]) and not was_cancelled
          order by task_id, id`),
      )
    : [];
  if (full) {
    const annotated = new Set(rows.map((r) => Number(r.task_id)));
    gone.push(...taskIds.filter((id) => !annotated.has(id)));
  }
  return { taskIds, unchanged, rows, gone };
}

type FreshTask = TaskAgreement & { task_id: number; signature: string };

/** Computes the tasks of a batch whose annotations were read. */
function computeBatch(specs: readonly ControlSpec[], rows: readonly AnnotationRow[]): FreshTask[] {
  const fresh: FreshTask[] = [];
  for (let i = 0; i < rows.length; ) {
    const taskId = Number(rows[i]!.task_id);
    const anns: AnnotationInput[] = [];
    let idSum = 0;
    let last = 0;
    for (; i < rows.length && Number(rows[i]!.task_id) === taskId; i++) {
      const r = rows[i]!;
      const id = Number(r.id);
      idSum += id;
      last = Math.max(last, Number(r.ms));
      anns.push({
        id,
        annotator:
          r.completed_by ??
          (r.completed_by_external ? `external:${r.completed_by_external}` : `annotation:${id}`),
        result: Array.isArray(r.result) ? r.result : [],
      });
    }
    fresh.push({
      ...taskAgreement(specs, anns),
      task_id: taskId,
      signature: signatureOf(anns.length, idSum, last),
    });
  }
  return fresh;
}

/**
 * A PostgreSQL array literal of strings without control characters (JSON texts, say): JSON
 * string quoting, \" and \\, is also the array literal's, so the native stringifier makes it.
 */

/**
 * Stores a batch's results in one statement: each column travels as one array parameter,
 * the JSON columns as arrays of JSON text. (One JSON document for the whole batch, unpacked
 * with jsonb_to_recordset, cost PostgreSQL several times more.)
 */
async function writeBatch(
  tx: Executor,
  scope: TenantScope,
  projectId: number,
  fresh: readonly FreshTask[],
  gone: readonly number[],
): Promise<void> {
  if (fresh.length) {
    const json = (pick: (f: FreshTask) => unknown) => pgArray(fresh.map((f) => JSON.stringify(pick(f))));
    await tx.execute(sql`
      insert into quality_agreement_tasks
        (task_id, tenant_id, project_id, signature, annotations, score, controls, annotators, pairs, ratings,
         computed_at)
      select x.task_id, ${scope.tenantId}::uuid, ${projectId}::bigint, x.signature, x.annotations, x.score,
        x.controls::jsonb, x.annotators::jsonb, x.pairs::jsonb, x.ratings::jsonb, now()
      from unnest(${pgArray(fresh.map((f) => f.task_id))}::bigint[],
        ${pgArray(fresh.map((f) => f.signature))}::text[],
        ${pgArray(fresh.map((f) => f.annotations))}::int[],
        ${pgArray(fresh.map((f) => f.score ?? null))}::real[],
        ${json((f) => f.controls)}::text[], ${json((f) => f.annotators)}::text[],
        ${json((f) => f.pairs)}::text[], ${json((f) => f.ratings)}::text[])
        as x(task_id, signature, annotations, score, controls, annotators, pairs, ratings)
      on conflict (task_id) do update set signature = excluded.signature, annotations = excluded.annotations,
        score = excluded.score, controls = excluded.controls, annotators = excluded.annotators,
        pairs = excluded.pairs, ratings = excluded.ratings, computed_at = excluded.computed_at`);
  }
  if (gone.length) {
    await tx.execute(
      sql`delete from quality_agreement_tasks where task_id = any(${pgArray(gone)}::bigint[])`,
    );
  }
}

/**
 * Where a run's time went, in milliseconds. Reads and writes overlap the computation (and
 * each other), so these add up to more than the run's wall time; `waiting` is the time the
 * computation sat idle for the database.
 */
export interface AgreementPhases {
  read: number;
  compute: number;
  write: number;
  waiting: number;
}

/**
 * Computes a project's agreement, batch by batch, and returns the project figures. Each
 * batch is read in one transaction and written in another; the next batch is read while the
 * current one is computed and written, so the database and the computation overlap.
 */
export async function computeProjectAgreement(
  db: Db,
  scope: TenantScope,
  projectId: number,
  options: { incremental: boolean; onBatch?: (seen: number, total: number) => Promise<void> },
): Promise<AgreementSummary> {
  const { project, full } = await inTenant(db, scope, async (tx) => {
    const project = await projectForAgreement(tx, projectId);
    const [any] = rowsOf<{ n: number }>(
      await tx.execute(sql`select count(*)::int as n from (select 1 from quality_agreement_tasks
        where project_id = ${projectId} limit 1) x`),
    );
    return { project, full: !options.incremental || any!.n === 0 };
  });
  const phases: AgreementPhases = { read: 0, compute: 0, write: 0, waiting: 0 };
  const timed = async <T>(phase: 'read' | 'write', work: Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      return await work;
    } finally {
      phases[phase] += performance.now() - started;
    }
  };
  const waitFor = async <T>(work: Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      return await work;
    } finally {
      phases.waiting += performance.now() - started;
    }
  };
  const aggregate = new ProjectAggregate(project.specs);
  const read = (after: number) => {
    const p = timed(
      'read',
      inTenant(db, scope, (tx) => readBatch(tx, projectId, after, full)),
    );
    p.catch(() => undefined); // awaited below; a failure while a write is awaited is not unhandled
    return p;
  };
  let pending = read(0);
  let writing: Promise<void> = Promise.resolve();
  let recomputed = 0;
  let walked = 0;
  for (;;) {
    const batch = await waitFor(pending);
    if (batch.taskIds.length === 0) break;
    const more = batch.taskIds.length === BATCH;
    if (more) pending = read(batch.taskIds.at(-1)!);
    const started = performance.now();
    for (const s of batch.unchanged) aggregate.add(s);
    const fresh = computeBatch(project.specs, batch.rows);
    for (const f of fresh) aggregate.add(f);
    phases.compute += performance.now() - started;
    if (fresh.length || batch.gone.length) {
      await waitFor(writing);
      writing = timed(
        'write',
        inTenant(db, scope, (tx) => writeBatch(tx, scope, projectId, fresh, batch.gone)),
      );
      writing.catch(() => undefined);
    }
    recomputed += fresh.length;
    walked += batch.taskIds.length;
    await options.onBatch?.(walked, project.taskCount);
    if (!more) break;
  }
  await waitFor(writing);
  const started = performance.now();
  const summary = aggregate.finish();
  phases.compute += performance.now() - started;
  return { ...summary, tasksRecomputed: recomputed, phases };
}

// ---------------------------------------------------------------------------------------
// Runs

export type AgreementRun = typeof qualityAgreementRuns.$inferSelect;

export async function createRun(
  tx: Executor,
  scope: TenantScope,
  projectId: number,
  incremental: boolean,
): Promise<AgreementRun> {
  const [run] = await tx
    .insert(qualityAgreementRuns)
    .values({
      tenantId: scope.tenantId,
      projectId,
      incremental,
      status: 'running',
      createdBy: scope.userId ?? null,
    })
    .returning();
  return run!;
}

export async function markQueued(tx: Executor, runId: number, jobId: string): Promise<AgreementRun> {
  const [run] = await tx
    .update(qualityAgreementRuns)
    .set({ status: 'queued', jobId })
    .where(eq(qualityAgreementRuns.id, runId))
    .returning();
  return run!;
}

/** Computes a run and records its outcome; a failure is recorded and rethrown. */
export async function executeRun(
  db: Db,
  scope: TenantScope,
  run: Pick<AgreementRun, 'id' | 'projectId' | 'incremental'>,
  onBatch?: (seen: number, total: number) => Promise<void>,
): Promise<AgreementRun> {
  const setRun = (values: Partial<typeof qualityAgreementRuns.$inferInsert>) =>
    inTenant(db, scope, async (tx) => {
      const [row] = await tx
        .update(qualityAgreementRuns)
        .set(values)
        .where(eq(qualityAgreementRuns.id, run.id))
        .returning();
      return row!;
    });
  await setRun({ status: 'running' });
  try {
    const s = await computeProjectAgreement(db, scope, run.projectId, {
      incremental: run.incremental,
      onBatch,
    });
    return await setRun({
      status: 'completed',
      tasksSeen: s.tasksSeen,
      tasksRecomputed: s.tasksRecomputed,
      tasksScored: s.tasksScored,
      meanScore: s.meanScore,
      controls: s.controls as unknown as Record<string, unknown>,
      pairs: s.pairs,
      error: null,
      finishedAt: new Date(),
    });
  } catch (err) {
    await setRun({
      status: 'failed',
      error: err instanceof Error ? err.message : String(err),
      finishedAt: new Date(),
    });
    throw err;
  }
}

export async function latestRun(
  tx: Executor,
  projectId: number,
  completed: boolean,
): Promise<AgreementRun | undefined> {
  const [run] = await tx
    .select()
    .from(qualityAgreementRuns)
    .where(
      completed
        ? and(eq(qualityAgreementRuns.projectId, projectId), eq(qualityAgreementRuns.status, 'completed'))
        : eq(qualityAgreementRuns.projectId, projectId),
    )
    .orderBy(desc(qualityAgreementRuns.id))
    .limit(1);
  return run;
}

/** Annotations of a project: below SYNC_LIMIT a run is computed in the request. */
export const SYNC_LIMIT = 5000;

export async function annotationCount(tx: Executor, projectId: number): Promise<number> {
  const [row] = rowsOf<{ n: number }>(
    await tx.execute(sql`select count(*)::int as n from (select 1 from ${readOnly.annotations} a
      where project_id = ${projectId} and not was_cancelled limit ${SYNC_LIMIT + 1}) x`),
  );
  return row!.n;
}

export async function listTaskAgreement(
  tx: Executor,
  projectId: number,
  options: { limit: number; after?: number; below?: number },
) {
  const t = qualityAgreementTasks;
  return tx
    .select()
    .from(t)
    .where(
      and(
        eq(t.projectId, projectId),
        options.after !== undefined ? sql`${t.taskId} > ${options.after}` : undefined,
        options.below !== undefined ? sql`${t.score} < ${options.below}` : undefined,
      ),
    )
    .orderBy(t.taskId)
    .limit(options.limit + 1);
}
