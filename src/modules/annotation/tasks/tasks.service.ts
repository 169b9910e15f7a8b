import { createHash } from 'node:crypto';
import { and, asc, eq, isNull, type SQL, sql } from 'drizzle-orm';
import { grants } from '../../../platform/auth/permissions.ts';
import type { Principal } from '../../../platform/auth/principal.ts';
import type { Cache } from '../../../platform/cache/index.ts';
import type { Executor } from '../../../platform/db/client.ts';
import { decodeCursor, encodeCursor } from '../../../platform/db/pagination.ts';
import { pgArray, rowsOf } from '../../../platform/db/sql.ts';
import { badRequest, notFound } from '../../../platform/errors/problem.ts';
import { type Project, unfitness } from '../access.ts';
import {
  annotations,
  type PRIORITIES,
  predictions,
  projects,
  type TASK_STATUSES,
  taskComments,
  tasks,
} from '../schema.ts';
import { annotationView, predictionView } from '../shapes.ts';
import {
  checkQuery,
  fullTextQuery,
  highlightsOf,
  positiveTerms,
  rawPattern,
  searchTextPattern,
} from './task-search.ts';

type TaskStatus = (typeof TASK_STATUSES)[number];
type Priority = (typeof PRIORITIES)[number];

/** The data manager's filters; every one narrows the project's tasks (AND). */
export interface TaskFilter {
  status?: TaskStatus[];
  priority?: Priority[];
  annotated?: boolean;
  annotated_by?: string;
  reviewed?: boolean;
  has_predictions?: boolean;
  unresolved_comments?: boolean;
  score_min?: number;
  score_max?: number;
  model_version?: string;
  data_key?: string;
  /** The old name of `search` (with `data_key`), as the console sends it. */
  contains?: string;
  /** Text in any string of the data (or in data[data_key]), case-insensitive. */
  search?: string;
  /** A full-text query: words, "phrases", -excluded, OR. */
  q?: string;
  /** A label, choice or text answer in an annotation or prediction of the task. */
  label?: string;
  created_from?: string;
  created_to?: string;
}

export const SORTS = [
  'id',
  '-id',
  'created_at',
  '-created_at',
  'total_annotations',
  '-total_annotations',
  'prediction_score',
  '-prediction_score',
  'relevance',
] as const;
export type Sort = (typeof SORTS)[number];

/**
 * SQL conditions on `t` (tasks) for a filter; the project condition comes first.
 *
 * Conditions on other tables come in two forms. For a page (`probe`), each is a scalar
 * subquery with LIMIT 1 that PostgreSQL runs per scanned task through the task_id index:
 * the page walks the sort index and stops after `limit` matches, so its cost does not grow
 * with depth (as EXISTS, the planner chose merge semi-joins that read the other table from
 * its end down to the cursor, slower on every page). For a count (`join`), EXISTS lets the
 * planner hash-join once over the whole project.
 */
export function filterConditions(projectId: number, f: TaskFilter, mode: 'probe' | 'join' = 'probe'): SQL[] {
  const c: SQL[] = [mode === 'probe' ? inProject(projectId) : sql`t.project_id = ${projectId}`];
  const related: Related = (from, where) =>
    mode === 'probe'
      ? sql`coalesce((select true from ${from} where ${where} limit 1), false)`
      : sql`exists (select 1 from ${from} where ${where})`;
  // One status as an equality: (project_id, status, id) then walks that status in id order.
  if (f.status?.length === 1) c.push(sql`t.status = ${f.status[0]}`);
  else if (f.status?.length) c.push(sql`t.status = any(${pgArray(f.status)}::text[])`);
  if (f.priority?.length) c.push(sql`t.priority = any(${pgArray(f.priority)}::text[])`);
  if (f.annotated !== undefined)
    c.push(f.annotated ? sql`t.total_annotations > 0` : sql`t.total_annotations = 0`);
  if (f.has_predictions !== undefined)
    c.push(f.has_predictions ? sql`t.total_predictions > 0` : sql`t.total_predictions = 0`);
  if (f.score_min !== undefined) c.push(sql`t.prediction_score >= ${f.score_min}::real`);
  if (f.score_max !== undefined) c.push(sql`t.prediction_score <= ${f.score_max}::real`);
  if (f.created_from !== undefined) c.push(sql`t.created_at >= ${f.created_from}::timestamptz`);
  if (f.created_to !== undefined) c.push(sql`t.created_at < ${f.created_to}::timestamptz`);
  if (f.annotated_by !== undefined)
    c.push(related(sql`annotations a`, sql`a.task_id = t.id and a.completed_by = ${f.annotated_by}::uuid`));
  if (f.reviewed !== undefined) {
    const reviewed = related(
      sql`annotations a`,
      sql`a.task_id = t.id and a.review_status in ('approved', 'rejected')`,
    );
    c.push(f.reviewed ? reviewed : sql`not ${reviewed}`);
  }
  if (f.unresolved_comments !== undefined) {
    const open = related(sql`task_comments c`, sql`c.task_id = t.id and ${OPEN_THREAD}`);
    c.push(f.unresolved_comments ? open : sql`not ${open}`);
  }
  if (f.model_version !== undefined)
    c.push(related(sql`predictions p`, sql`p.task_id = t.id and p.model_version = ${f.model_version}`));
  c.push(...searchConditions(f, related));
  return c;
}

/**
 * The project condition of a page, and the order its pages walk (`projectOrder`). The
 * tasks of every project share one table and one primary key. Given `project_id = X`,
 * PostgreSQL drops project_id from an ORDER BY as constant, and then often walks the
 * primary key for the id order, from the table's first task on: it guesses the project's
 * tasks spread over the whole key, but another project's tasks come first (at 2 x
 * 1,000,000 tasks a frequent term's page filtered the first project's million away: 8.6 s,
 * 0.4 ms now). Written as `= any(array[X])` the project is no constant to the planner, so
 * ordering by (project_id, ...) keeps project_id in the order, which only the
 * (project_id, ...) indexes give: the walk starts at the project's first task.
 */
const inProject = (projectId: number) => sql`t.project_id = any(${pgArray([projectId])}::bigint[])`;

/** The ORDER BY of a page: within the project (see inProject), then by these keys. */
const projectOrder = (dir: SQL, ...keys: SQL[]) =>
  sql.join([sql`t.project_id ${dir}`, ...keys.map((k) => sql`${k} ${dir}`)], sql`, `);

/** How a condition on another table is asked (see filterConditions). */
type Related = (from: SQL, where: SQL) => SQL;

/**
 * The search conditions of a filter on `t` (tasks): substring, full-text and label. Exports
 * ask them too, so an export takes the data manager's search.
 */
export function searchConditions(
  f: Pick<TaskFilter, 'search' | 'contains' | 'data_key' | 'q' | 'label'>,
  related: Related = (from, where) => sql`exists (select 1 from ${from} where ${where})`,
): SQL[] {
  const c: SQL[] = [];
  const term = f.search ?? f.contains;
  if (term !== undefined) {
    // The trigram index finds the tasks with the term in some string; a data key then
    // rechecks its own value.
    c.push(sql`t.search_text ilike ${searchTextPattern(term)}`);
    if (f.data_key !== undefined) c.push(sql`(t.data ->> ${f.data_key}) ilike ${rawPattern(term)}`);
  }
  if (f.q !== undefined) c.push(sql`t.search_doc @@ ${tsQuery(f.q)}`);
  if (f.label !== undefined) {
    const has = (alias: string) =>
      sql`jsonb_path_exists(${sql.raw(alias)}.result, '$[*].value.* ? (@ == $l)', jsonb_build_object('l', ${f.label}::text))`;
    c.push(
      sql`(${related(sql`annotations a`, sql`a.task_id = t.id and not a.was_cancelled and ${has('a')}`)}
        or ${related(sql`predictions p`, sql`p.task_id = t.id and ${has('p')}`)})`,
    );
  }
  return c;
}

/**
 * The relation a filter's tasks are read from, as `t`: the tenant's `tasks_searched` view
 * under a text search (its indexes are out of reach through the row-level policy, see
 * migration 0041), the table otherwise.
 */
export function tasksOf(f: Pick<TaskFilter, 'search' | 'contains' | 'q'>): SQL {
  return f.search !== undefined || f.contains !== undefined || f.q !== undefined
    ? sql`tasks_searched t`
    : sql`tasks t`;
}

/** A full-text query as SQL; Chinese in it is cut into words as the documents are. */
const tsQuery = (q: string) => sql`websearch_to_tsquery('simple', ${fullTextQuery(q)})`;

/** Refuses filter combinations that make no sense, naming the field. */
export function checkFilter(f: TaskFilter, base: string): void {
  if (f.contains !== undefined && f.search !== undefined)
    throw badRequest('task.contains_with_search', '`contains` is the old name of `search`; send one.', [
      { path: `${base}/contains`, message: 'is not allowed with search' },
    ]);
  if (f.contains !== undefined && f.data_key === undefined)
    throw badRequest('task.contains_needs_data_key', '`contains` goes with `data_key`.', [
      { path: `${base}/data_key`, message: 'is required with contains' },
    ]);
  if (f.data_key !== undefined && f.contains === undefined && f.search === undefined)
    throw badRequest('task.data_key_needs_search', '`data_key` narrows a search; send `search` with it.', [
      { path: `${base}/search`, message: 'is required with data_key' },
    ]);
  if (f.q !== undefined) checkQuery(f.q, `${base}/q`);
  if (f.score_min !== undefined && f.score_max !== undefined && f.score_min > f.score_max)
    throw badRequest('task.score_range', 'score_min is above score_max.', [
      { path: `${base}/score_min`, message: 'is above score_max' },
    ]);
  for (const k of ['created_from', 'created_to'] as const) {
    if (f[k] !== undefined && Number.isNaN(Date.parse(f[k]!)))
      throw badRequest(
        'task.not_a_date_time',
        `${k} is not a date-time.`,
        [{ path: `${base}/${k}`, message: 'must be an ISO 8601 date-time' }],
        { field: k },
      );
  }
}

const isUnfiltered = (f: TaskFilter) =>
  Object.entries(f).every(([, v]) => v === undefined || (Array.isArray(v) && v.length === 0));

// ------------------------------------------------------------------ list (data manager)

/** A comment thread nobody has resolved yet: its first comment (`c`), not resolved. */
const OPEN_THREAD = sql`c.parent_id is null and c.resolved_at is null`;

// The open threads are counted per row of a page, through task_comments_unresolved_idx.
const LIST_COLUMNS = sql`t.id, t.data, t.meta, t.status, t.priority, t.overlap, t.total_annotations,
  t.cancelled_annotations, t.total_predictions, t.is_finished, t.prediction_score, t.created_at, t.updated_at,
  (select count(*)::int from task_comments c where c.task_id = t.id and ${OPEN_THREAD}) as unresolved_comments`;

interface TaskRow {
  id: string | number;
  data: Record<string, unknown>;
  meta: Record<string, unknown>;
  status: string;
  priority: string;
  overlap: number;
  total_annotations: number;
  cancelled_annotations: number;
  total_predictions: number;
  is_finished: boolean;
  prediction_score: number | null;
  unresolved_comments: number;
  created_at: string | Date;
  updated_at: string | Date;
  /** Under a full-text query only. */
  rank?: number | string;
}

const toDate = (v: string | Date) => (v instanceof Date ? v : new Date(v));
// node-postgres returns timestamptz as Date (ms precision) and PGlite too; raw text is parsed.

/** A task in Label Studio's data-manager shape (counters, no annotation bodies). */
export function taskListView(projectId: number, r: TaskRow) {
  return {
    id: Number(r.id),
    project: projectId,
    data: r.data,
    meta: r.meta,
    status: r.status,
    priority: r.priority,
    overlap: r.overlap,
    total_annotations: r.total_annotations,
    cancelled_annotations: r.cancelled_annotations,
    total_predictions: r.total_predictions,
    is_finished: r.is_finished,
    prediction_score: r.prediction_score,
    unresolved_comments: r.unresolved_comments,
    created_at: toDate(r.created_at),
    updated_at: toDate(r.updated_at),
    ...(r.rank === undefined ? {} : { rank: Number(r.rank) }),
  };
}

const SORT_COLUMN: Record<string, string> = {
  id: 't.id',
  created_at: 't.created_at',
  total_annotations: 't.total_annotations',
  prediction_score: 't.prediction_score',
};

/**
 * One page of tasks under a filter and a sort, keyset-paginated on (sort key, id) so every
 * page is an index range scan whatever its depth. Prediction scores may be null: the
 * scored tasks come first in the requested direction, then the unscored ones by id (the
 * cursor records which part it is in), so neither part needs an OR that defeats the index.
 */
export async function listTasks(
  tx: Executor,
  project: Pick<Project, 'id'>,
  q: { filter: TaskFilter; sort: Sort; limit: number; cursor?: string },
) {
  const desc = q.sort.startsWith('-');
  const key = desc ? q.sort.slice(1) : q.sort;
  const dir = desc ? sql.raw('desc') : sql.raw('asc');
  const cmp = desc ? sql.raw('<') : sql.raw('>');
  const where = filterConditions(project.id, q.filter);
  const limit = q.limit;
  const rank = q.filter.q === undefined ? undefined : sql`ts_rank(t.search_doc, ${tsQuery(q.filter.q)})`;
  const from = tasksOf(q.filter);
  const run = (w: SQL[], orderBy: SQL, n: number) => select(tx, from, w, orderBy, n, rank);
  const done = (rows: TaskRow[], cursorOf: (r: TaskRow) => (string | number)[]) =>
    withMatches(page(project.id, rows, limit, cursorOf), q.filter);

  if (key === 'relevance') {
    // Best first, then by id; the cursor is the last (rank, id). Ranks every match, so a
    // query matching most of a large project pages slower than under the id sort.
    if (!rank)
      throw badRequest('task.relevance_needs_search', 'Sorting by relevance needs a full-text query.', [
        { path: 'querystring/q', message: 'is required with sort=relevance' },
      ]);
    const c = decodeCursor(q.cursor, 2);
    if (c) {
      const r = sql`${checkNum(c[0])}::real`;
      where.push(sql`(${rank} < ${r} or (${rank} = ${r} and t.id > ${checkInt(c[1])}))`);
    }
    const rows = await run(where, sql`rank desc, t.id asc`, limit + 1);
    return done(rows, (r) => [Number(r.rank), Number(r.id)]);
  }
  if (key === 'id') {
    const c = decodeCursor(q.cursor, 1);
    if (c) where.push(sql`t.id ${cmp} ${checkInt(c[0])}`);
    const rows = await run(where, projectOrder(dir, sql`t.id`), limit + 1);
    return done(rows, (r) => [Number(r.id)]);
  }
  if (key === 'created_at' || key === 'total_annotations') {
    const col = sql.raw(SORT_COLUMN[key]!);
    const c = decodeCursor(q.cursor, 2);
    if (c) {
      const v = key === 'created_at' ? sql`${checkDate(c[0])}::timestamptz` : sql`${checkInt(c[0])}::int`;
      where.push(sql`(${col}, t.id) ${cmp} (${v}, ${checkInt(c[1])})`);
    }
    const rows = await run(where, projectOrder(dir, col, sql`t.id`), limit + 1);
    return done(rows, (r) => [
      key === 'created_at' ? toDate(r.created_at).toISOString() : r.total_annotations,
      Number(r.id),
    ]);
  }
  // prediction_score: part 0 = scored tasks by (score, id); part 1 = unscored by id.
  const c = decodeCursor(q.cursor, 3);
  const part = c ? checkInt(c[0]) : 0;
  if (part !== 0 && part !== 1) throw badCursor();
  let rows: TaskRow[] = [];
  if (part === 0) {
    const scored = [...where, sql`t.prediction_score is not null`];
    if (c) scored.push(sql`(t.prediction_score, t.id) ${cmp} (${checkNum(c[1])}::real, ${checkInt(c[2])})`);
    rows = await run(scored, projectOrder(dir, sql`t.prediction_score`, sql`t.id`), limit + 1);
  }
  // A score bound excludes unscored tasks. The score index holds scored tasks only (an
  // import's tasks have no score, and skip it): the unscored part walks the id index.
  const boundedScore = q.filter.score_min !== undefined || q.filter.score_max !== undefined;
  if (rows.length <= limit && !boundedScore) {
    const unscored = [...where, sql`t.prediction_score is null`];
    if (c && part === 1) unscored.push(sql`t.id ${cmp} ${checkInt(c[2])}`);
    rows = rows.concat(await run(unscored, projectOrder(dir, sql`t.id`), limit + 1 - rows.length));
  }
  return done(rows, (r) =>
    r.prediction_score === null ? [1, 0, Number(r.id)] : [0, r.prediction_score, Number(r.id)],
  );
}

async function select(
  tx: Executor,
  from: SQL,
  where: SQL[],
  orderBy: SQL,
  limit: number,
  rank?: SQL,
): Promise<TaskRow[]> {
  const columns = rank ? sql`${LIST_COLUMNS}, ${rank} as rank` : LIST_COLUMNS;
  return rowsOf<TaskRow>(
    await tx.execute(
      sql`select ${columns} from ${from} where ${sql.join(where, sql` and `)} order by ${orderBy} limit ${limit}`,
    ),
  );
}

/**
 * Adds to each task of a searched page where the search matched it (`highlights`), and
 * its full-text rank (`rank`) under a `q`.
 */
function withMatches(p: ReturnType<typeof page>, f: TaskFilter) {
  const term = f.search ?? f.contains;
  if (term === undefined && f.q === undefined) return p;
  const items = p.items.map((item) => {
    const highlights = [
      ...(term === undefined
        ? []
        : highlightsOf(item.data, [term], { substring: true, dataKey: f.data_key })),
      ...(f.q === undefined ? [] : highlightsOf(item.data, positiveTerms(f.q), { substring: false })),
    ];
    return { ...item, highlights };
  });
  return { ...p, items };
}

function page(projectId: number, rows: TaskRow[], limit: number, key: (r: TaskRow) => (string | number)[]) {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return {
    items: items.map((r) => taskListView(projectId, r)),
    next_cursor: rows.length > limit && last ? encodeCursor(key(last)) : null,
  };
}

/**
 * Adds who each task of a page is for: `assignees`, those it is assigned to for annotation,
 * and `holders`, those labeling it now (a live reservation). One read per page, by task_id.
 */
export async function withPeople<T extends { id: number }>(
  tx: Executor,
  p: { items: T[]; next_cursor: string | null },
) {
  const ids = pgArray(p.items.map((i) => i.id));
  const rows = rowsOf<{ task_id: string | number; user_id: string; held: boolean }>(
    await tx.execute(sql`
      select task_id, user_id, false as held from task_assignments
      where task_id = any(${ids}::bigint[]) and kind = 'annotate'
      union all
      select task_id, user_id, true as held from task_locks
      where task_id = any(${ids}::bigint[]) and expires_at > now()
      order by 1, 2`),
  );
  const of = (id: number, held: boolean) =>
    rows.filter((r) => Number(r.task_id) === id && r.held === held).map((r) => r.user_id);
  return { ...p, items: p.items.map((i) => ({ ...i, assignees: of(i.id, false), holders: of(i.id, true) })) };
}

const badCursor = () =>
  badRequest('request.cursor_invalid', 'The cursor is not one this API issued.', [
    { path: 'querystring/cursor', message: 'is invalid' },
  ]);
function checkInt(v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw badCursor();
  return v;
}
function checkNum(v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw badCursor();
  return v;
}
function checkDate(v: unknown): string {
  if (typeof v !== 'string' || Number.isNaN(Date.parse(v))) throw badCursor();
  return v;
}

// ------------------------------------------------------------------ totals

const TOTAL_TTL_MS = 30_000;
/** A count that ran as a job is kept longer: it was costly, and bulk actions still clear it. */
const COUNTED_LATER_TTL_MS = 5 * 60_000;
/** While a count job is queued or running, requests find it here and queue no other. */
const PENDING_TTL_MS = 2 * 60_000;

function generationKey(tenantId: string, projectId: number) {
  return `dm:gen:${tenantId}:${projectId}`;
}

/** Invalidates cached totals of a project (after bulk actions). */
export async function bumpGeneration(cache: Cache, tenantId: string, projectId: number) {
  await cache.set(generationKey(tenantId, projectId), String(Date.now()) + Math.random(), 24 * 3_600_000);
}

/** What a count job needs: where the total goes and what it counts. */
export interface CountJobPayload {
  projectId: number;
  filter: TaskFilter;
  key: string;
}

/** A page's total: counted, or being counted by a job (total null until a later request). */
export type Total = { total: number } | { total: null; total_job: string };

export interface TotalContext {
  cache: Cache;
  /** Counts the planner costs above this run as a job (config countInlineMaxCost). */
  maxInlineCost: number;
  /** Queues the count job in the transaction; returns its id. */
  countLater(payload: CountJobPayload): Promise<string>;
}

/**
 * The number of tasks under a filter. Unfiltered, it is the project's kept `task_count`;
 * filtered, it is counted once and cached for 30 s per (project, filter), so paging
 * through a filtered list does not count the project on every page. A count the planner
 * costs above `maxInlineCost` (a frequent term over a large project) would hold up the
 * page: it runs as a job, the page answers with the total null and the job's id, and the
 * requests after the job put the total in the cache get it from there.
 */
export async function totalOf(
  tx: Executor,
  ctx: TotalContext,
  project: Pick<Project, 'id' | 'tenantId' | 'taskCount'>,
  filter: TaskFilter,
): Promise<Total> {
  if (isUnfiltered(filter)) return { total: Number(project.taskCount) };
  const { cache } = ctx;
  const gen = (await cache.get(generationKey(project.tenantId, project.id))) ?? '0';
  const digest = createHash('sha256').update(canonicalFilter(filter)).digest('base64url');
  const key = `dm:total:${project.tenantId}:${project.id}:${gen}:${digest}`;
  const hit = await cache.get(key);
  if (hit !== null) return { total: Number(hit) };
  const pending = await cache.get(`${key}:pending`);
  if (pending !== null) return { total: null, total_job: pending };
  if ((await countCost(tx, project.id, filter)) > ctx.maxInlineCost) {
    const job = await ctx.countLater({ projectId: project.id, filter, key });
    await cache.set(`${key}:pending`, job, PENDING_TTL_MS);
    return { total: null, total_job: job };
  }
  const n = await countTasks(tx, project.id, filter);
  await cache.set(key, String(n), TOTAL_TTL_MS);
  return { total: n };
}

/** The count job's work: counts, and leaves the total where totalOf finds it. */
export async function countLater(tx: Executor, cache: Cache, p: CountJobPayload): Promise<number> {
  const n = await countTasks(tx, p.projectId, p.filter);
  await cache.set(p.key, String(n), COUNTED_LATER_TTL_MS);
  await cache.del(`${p.key}:pending`);
  return n;
}

const countQuery = (projectId: number, filter: TaskFilter) =>
  sql`select count(*) as n from ${tasksOf(filter)} where ${sql.join(filterConditions(projectId, filter, 'join'), sql` and `)}`;

async function countTasks(tx: Executor, projectId: number, filter: TaskFilter): Promise<number> {
  const [row] = rowsOf<{ n: unknown }>(await tx.execute(countQuery(projectId, filter)));
  return Number(row?.n ?? 0);
}

/** The planner's cost of counting a filter (EXPLAIN, not run). */
async function countCost(tx: Executor, projectId: number, filter: TaskFilter): Promise<number> {
  const [row] = rowsOf<{ 'QUERY PLAN': unknown }>(
    await tx.execute(sql`explain (format json) ${countQuery(projectId, filter)}`),
  );
  const plan = row?.['QUERY PLAN'];
  const parsed = (typeof plan === 'string' ? JSON.parse(plan) : plan) as { Plan: { 'Total Cost': number } }[];
  return parsed[0]!.Plan['Total Cost'];
}

function canonicalFilter(f: TaskFilter): string {
  const entries = Object.entries(f)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => [k, Array.isArray(v) ? [...v].sort() : v] as const)
    .sort(([a], [b]) => a.localeCompare(b));
  return JSON.stringify(entries);
}

// ------------------------------------------------------------------ one task, in full

export { annotationView, predictionView } from '../shapes.ts';

/** A bound on what one task's detail returns; real tasks carry a handful of each. */
const DETAIL_MAX = 1000;

/**
 * A task's annotations the principal may see, oldest first, at most `limit`: every one with
 * `annotations:read`, else only their own. The task detail and its history both read them so.
 */
export function visibleAnnotations(tx: Executor, principal: Principal, taskId: number, limit: number) {
  return tx
    .select()
    .from(annotations)
    .where(
      and(
        eq(annotations.taskId, taskId),
        grants(principal.permissions, 'annotations:read')
          ? undefined
          : eq(annotations.completedBy, principal.userId),
      ),
    )
    .orderBy(asc(annotations.id))
    .limit(limit);
}

/**
 * A task in Label Studio's full shape, with its annotations and predictions. Callers
 * without `annotations:read` see only their own annotations.
 */
export async function getTask(
  tx: Executor,
  principal: Principal,
  project: Pick<Project, 'id'>,
  taskId: number,
) {
  const [task] = await tx
    .select()
    .from(tasks)
    .where(and(eq(tasks.projectId, project.id), eq(tasks.id, taskId)));
  if (!task) throw notFound('task.not_found', 'The task');
  const anns = await visibleAnnotations(tx, principal, task.id, DETAIL_MAX);
  const preds = await tx
    .select()
    .from(predictions)
    .where(eq(predictions.taskId, task.id))
    .orderBy(asc(predictions.id))
    .limit(DETAIL_MAX);
  const [open] = await tx
    .select({ n: sql<number>`count(*)::int` })
    .from(taskComments)
    .where(
      and(eq(taskComments.taskId, task.id), isNull(taskComments.parentId), isNull(taskComments.resolvedAt)),
    );
  return {
    id: task.id,
    project: task.projectId,
    data: task.data,
    meta: task.meta,
    annotations: anns.map(annotationView),
    predictions: preds.map(predictionView),
    status: task.status,
    priority: task.priority,
    overlap: task.overlap,
    total_annotations: task.totalAnnotations,
    cancelled_annotations: task.cancelledAnnotations,
    total_predictions: task.totalPredictions,
    is_finished: task.isFinished,
    is_labeled: task.isFinished,
    prediction_score: task.predictionScore,
    unresolved_comments: open?.n ?? 0,
    created_at: task.createdAt,
    updated_at: task.updatedAt,
  };
}

// ------------------------------------------------------------------ bulk actions

export const BULK_ACTIONS = [
  'delete',
  'set_priority',
  'assign',
  'remove_annotations',
  'remove_predictions',
] as const;
export type BulkAction = (typeof BULK_ACTIONS)[number];

export interface BulkInput {
  action: BulkAction;
  selection: { ids: number[] } | { filter: TaskFilter };
  priority?: Priority;
  user_ids?: string[];
}

/** Tasks are processed in id-ordered batches of this size, so memory stays flat. */
export const BULK_BATCH = 5_000;

/** Id lists up to this long run in the request; longer ones, and every filter, run as a job. */
export const BULK_INLINE_MAX = BULK_BATCH;

/** What a bulk action has done so far; also where a job's next batch starts (`after`). */
export interface BulkTally {
  affected: number;
  removed: number;
  created: number;
  /** The last task id handled (the keyset cursor over a filter); the id-list chunk for lists. */
  after: number;
}

export const emptyTally = (): BulkTally => ({ affected: 0, removed: 0, created: 0, after: 0 });

/** Checks a bulk action's input and resolves its assignees (400s); returns the users to assign. */
export async function prepareBulkAction(
  tx: Executor,
  principal: Principal,
  project: Project,
  input: BulkInput,
) {
  if (input.action === 'set_priority' && !input.priority)
    throw badRequest('task.priority_required', 'set_priority needs a priority.', [
      { path: 'body/priority', message: 'is required' },
    ]);
  return input.action === 'assign' ? await assignees(tx, principal, project, input.user_ids) : [];
}

/** True when a selection is small enough to run inside the request. */
export function bulkRunsInline(selection: BulkInput['selection']): boolean {
  return 'ids' in selection && new Set(selection.ids).size <= BULK_INLINE_MAX;
}

/**
 * One batch of a bulk action: the next BULK_BATCH selected tasks after `tally.after`,
 * locked and changed with set-based SQL, keeping the counters (project task_count, task
 * annotation/prediction counts, finished, status) right. Adds to `tally`; returns false
 * when no batch was left.
 */
export async function bulkBatch(
  tx: Executor,
  userId: string | null,
  project: Pick<Project, 'id' | 'tenantId'>,
  input: BulkInput,
  users: string[],
  tally: BulkTally,
): Promise<boolean> {
  let batchWhere: SQL[];
  let from = sql`tasks t`;
  if ('ids' in input.selection) {
    // An id list is walked in sorted chunks; `after` counts the chunks done.
    const chosen = [...new Set(input.selection.ids)].sort((a, b) => a - b);
    const part = chosen.slice(tally.after * BULK_BATCH, (tally.after + 1) * BULK_BATCH);
    if (part.length === 0) return false;
    tally.after += 1;
    batchWhere = [inProject(project.id), sql`t.id = any(${pgArray(part)}::bigint[])`];
  } else {
    batchWhere = [...filterConditions(project.id, input.selection.filter), sql`t.id > ${tally.after}`];
    from = tasksOf(input.selection.filter);
  }
  // Lock the batch: concurrent annotation writes on these tasks wait for this transaction.
  const batch = rowsOf<{ id: string | number }>(
    await tx.execute(
      sql`select t.id from tasks t where t.id in (
            select t.id from ${from} where ${sql.join(batchWhere, sql` and `)}
            order by ${projectOrder(sql.raw('asc'), sql`t.id`)} limit ${BULK_BATCH})
          order by t.id for update of t`,
    ),
  ).map((r) => Number(r.id));
  if (batch.length === 0) return 'ids' in input.selection;
  if (!('ids' in input.selection)) tally.after = batch.at(-1)!;
  const ids = pgArray(batch);
  switch (input.action) {
    case 'delete': {
      const docs = rowsOf<{ document_id: string | number | null }>(
        await tx.execute(sql`delete from tasks where id = any(${ids}::bigint[]) returning document_id`),
      )
        .map((r) => r.document_id)
        .filter((d): d is string | number => d !== null)
        .map(Number);
      // A document no task is made from any more goes too, so re-importing it is not
      // mistaken for a duplicate.
      if (docs.length)
        await tx.execute(
          sql`delete from documents d where d.id = any(${pgArray(docs)}::bigint[])
              and not exists (select 1 from tasks x where x.document_id = d.id)`,
        );
      await tx.execute(
        sql`update projects set task_count = greatest(task_count - ${batch.length}, 0) where id = ${project.id}`,
      );
      break;
    }
    case 'set_priority':
      await tx.execute(
        sql`update tasks set priority = ${input.priority!}, updated_at = now(), updated_by = ${userId}::uuid
            where id = any(${ids}::bigint[])`,
      );
      break;
    case 'assign': {
      // The k-th selected task (in id order, across batches) goes to user k mod n.
      const offset = tally.affected;
      const inserted = rowsOf<{ id: unknown }>(
        await tx.execute(sql`
          insert into task_assignments (tenant_id, project_id, task_id, user_id, kind, source, created_by)
          select ${project.tenantId}::uuid, ${project.id}, x.id,
                 (${pgArray(users)}::uuid[])[((${offset} + x.ord - 1) % ${users.length}) + 1],
                 'annotate', 'manual', ${userId}::uuid
          from unnest(${ids}::bigint[]) with ordinality as x(id, ord)
          on conflict (task_id, user_id, kind) do nothing
          returning id`),
      );
      tally.created += inserted.length;
      break;
    }
    case 'remove_annotations': {
      const gone = rowsOf<{ id: unknown }>(
        await tx.execute(sql`delete from annotations where task_id = any(${ids}::bigint[]) returning id`),
      );
      tally.removed += gone.length;
      await tx.execute(sql`
        update tasks set total_annotations = 0, cancelled_annotations = 0,
          is_finished = overlap <= 0,
          status = case when status = 'cancelled' then status else 'pending' end,
          updated_at = now(), updated_by = ${userId}::uuid
        where id = any(${ids}::bigint[])`);
      break;
    }
    case 'remove_predictions': {
      const gone = rowsOf<{ id: unknown }>(
        await tx.execute(sql`delete from predictions where task_id = any(${ids}::bigint[]) returning id`),
      );
      tally.removed += gone.length;
      await tx.execute(sql`
        update tasks set total_predictions = 0, prediction_score = null,
          updated_at = now(), updated_by = ${userId}::uuid
        where id = any(${ids}::bigint[])`);
      break;
    }
  }
  tally.affected += batch.length;
  return 'ids' in input.selection || batch.length === BULK_BATCH;
}

/** A bulk action's answer: how many tasks it applied to, and what it removed or created. */
export function bulkResult(action: BulkAction, tally: BulkTally) {
  return {
    affected: tally.affected,
    ...(action.startsWith('remove_') ? { removed: tally.removed } : {}),
    ...(action === 'assign' ? { assignments_created: tally.created } : {}),
  };
}

/** Runs a small bulk action (an id list) whole in the caller's transaction. */
export async function runBulkAction(tx: Executor, principal: Principal, project: Project, input: BulkInput) {
  const users = await prepareBulkAction(tx, principal, project, input);
  const tally = emptyTally();
  while (await bulkBatch(tx, principal.userId, project, input, users, tally)) {}
  return bulkResult(input.action, tally);
}

/**
 * The users an assignment may go to: active tenant members who can annotate in the
 * project (an annotator, reviewer or manager member, or a tenant-wide project manager).
 */
async function assignees(tx: Executor, principal: Principal, project: Project, userIds?: string[]) {
  if (!userIds?.length)
    throw badRequest('task.user_ids_required', 'assign needs user_ids.', [
      { path: 'body/user_ids', message: 'is required' },
    ]);
  const why = await unfitness(tx, principal.tenantId, project.id, userIds, 'annotate');
  const i = why.findIndex((w) => w !== null);
  const path = `body/user_ids/${i}`;
  if (why[i] === 'inactive')
    throw badRequest('task.user_not_member', 'A user is not an active member of this tenant.', [
      { path, message: 'is not an active tenant member' },
    ]);
  if (why[i] === 'unfit')
    throw badRequest(
      'task.user_not_project_member',
      'A user cannot annotate in this project; add them as a project member first.',
      [{ path, message: 'is not an annotator, reviewer or manager of the project' }],
    );
  return [...new Set(userIds)];
}

/** Locks the project row so bulk actions on one project run one at a time. */
export async function lockProjectRow(tx: Executor, projectId: number) {
  await tx.execute(sql`select 1 from ${projects} where ${projects.id} = ${projectId} for update`);
}
