import { api, must } from '../../api/client';
import type { TaskFilter, TaskSort } from './filters';

export const TASK_PAGE = 100;

/** The data manager's query keys: every task listing of a project starts with `tasks(id)`. */
export const dataKeys = {
  tasks: (id: number) => ['tasks', id] as const,
  taskList: (id: number, filter: TaskFilter, sort: TaskSort) => ['tasks', id, filter, sort] as const,
};

/** The data manager's task listing; also prefetched by the route as navigation starts. */
export const tasksQuery = (id: number, filter: TaskFilter, sort: TaskSort) => ({
  queryKey: dataKeys.taskList(id, filter, sort),
  // The route's prefetch counts as fresh when the page mounts a moment later.
  staleTime: 5_000,
  initialPageParam: undefined as string | undefined,
  queryFn: ({ pageParam }: { pageParam: string | undefined }) =>
    must(
      api.GET('/api/v1/projects/{id}/tasks', {
        params: { path: { id }, query: { ...filter, sort, limit: TASK_PAGE, cursor: pageParam } },
      }),
    ),
  getNextPageParam: (last: { next_cursor: string | null }) => last.next_cursor ?? undefined,
});

/** An export's record, followed until its job finishes. */
export const fetchExport = (id: number, exportId: number) =>
  must(api.GET('/api/v1/projects/{id}/exports/{exportId}', { params: { path: { id, exportId } } }));

/** An import's record, followed until its job finishes. */
export const fetchImport = (id: number, importId: number) =>
  must(api.GET('/api/v1/projects/{id}/imports/{importId}', { params: { path: { id, importId } } }));
