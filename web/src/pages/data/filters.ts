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
 * only says where `contains` looks: without a search term it is not sent (the API refuses
 * one without the other), so clearing the search or picking a field first lists every task.
 */
export function compact(filter: TaskFilter): TaskFilter {
  const out = Object.fromEntries(
    Object.entries(filter).filter(
      ([, v]) => v !== undefined && v !== '' && !(Array.isArray(v) && v.length === 0),
    ),
  ) as TaskFilter;
  if (out.contains === undefined) delete out.data_key;
  return out;
}
