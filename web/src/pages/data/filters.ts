import type { paths } from '../../api/client';

/** The task list's query: the API's own filter parameters, plus the sort. */
export type TaskQuery = NonNullable<paths['/api/v1/projects/{id}/tasks']['get']['parameters']['query']>;
export type TaskFilter = Omit<TaskQuery, 'limit' | 'cursor' | 'sort'>;
export type TaskSort = NonNullable<TaskQuery['sort']>;

export const SORTS: TaskSort[] = [
  'id',
  '-id',
  'created_at',
  '-created_at',
  'total_annotations',
  '-total_annotations',
  'prediction_score',
  '-prediction_score',
];

/**
 * Drops unset values, so the filter sent (and used as a cache key) is minimal. `data_key`
 * only says where `search` looks: without a search term it is not sent (the API refuses
 * one without the other), so clearing the search or picking a field first lists every task.
 */
export function compact(filter: TaskFilter): TaskFilter {
  const out = Object.fromEntries(
    Object.entries(filter).filter(
      ([, v]) => v !== undefined && v !== '' && !(Array.isArray(v) && v.length === 0),
    ),
  ) as TaskFilter;
  if (out.search === undefined) delete out.data_key;
  return out;
}

// The filter in the page's URL uses the API's own parameter names, so a link to the data
// manager reads like a call to the task list.
const LISTS = ['status', 'priority'] as const;
const FLAGS = ['annotated', 'reviewed', 'has_predictions', 'unresolved_comments'] as const;
const NUMBERS = ['score_min', 'score_max'] as const;
const TEXTS = [
  'search',
  'data_key',
  'q',
  'label',
  'annotated_by',
  'model_version',
  'created_from',
  'created_to',
] as const;

/** The filter and sort a URL's query string carries; anything else in it is ignored. */
export function viewFromParams(params: URLSearchParams): { filter: TaskFilter; sort: TaskSort } {
  const f: Record<string, unknown> = {};
  for (const k of LISTS) if (params.has(k)) f[k] = params.getAll(k);
  for (const k of FLAGS) if (params.has(k)) f[k] = params.get(k) === 'true';
  for (const k of NUMBERS) {
    const n = Number(params.get(k));
    if (params.get(k) !== null && Number.isFinite(n)) f[k] = n;
  }
  for (const k of TEXTS) if (params.get(k)) f[k] = params.get(k);
  const sort = params.get('sort') as TaskSort | null;
  const known = sort !== null && (SORTS.includes(sort) || (sort === 'relevance' && f.q !== undefined));
  return { filter: compact(f as TaskFilter), sort: known ? sort : 'id' };
}

/** The query string of a filter and sort (a default sort is left out). */
export function paramsOfView(filter: TaskFilter, sort: TaskSort, extra: Record<string, string> = {}) {
  const params = new URLSearchParams();
  const entries = Object.entries(compact(filter)).sort(([a], [b]) => a.localeCompare(b));
  for (const [k, v] of entries) {
    if (Array.isArray(v)) for (const item of v) params.append(k, String(item));
    else params.set(k, String(v));
  }
  if (sort !== 'id') params.set('sort', sort);
  for (const [k, v] of Object.entries(extra)) params.set(k, v);
  return params;
}

/** Whether two views are the same filter and sort (a tab shows a dot when they differ). */
export function sameView(
  a: { filter: TaskFilter; sort: TaskSort },
  b: { filter: TaskFilter; sort: TaskSort },
) {
  return paramsOfView(a.filter, a.sort).toString() === paramsOfView(b.filter, b.sort).toString();
}
