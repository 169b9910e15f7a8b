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

/** Drops unset values, so the filter sent (and used as a cache key) is minimal. */
export function compact(filter: TaskFilter): TaskFilter {
  return Object.fromEntries(
    Object.entries(filter).filter(
      ([, v]) => v !== undefined && v !== '' && !(Array.isArray(v) && v.length === 0),
    ),
  ) as TaskFilter;
}
