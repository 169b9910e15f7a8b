import { queryOptions } from '@tanstack/react-query';
import { api, type GetResponse, must } from '../../api/client';

type NextTask = GetResponse<'/api/v1/projects/{id}/next'>;

/** The labeling page's TanStack Query keys. */
export const labelingKeys = {
  next: (projectId: number, round: number, tasks?: string) => ['next', projectId, round, tasks] as const,
  progress: (projectId: number, round: number, tasks?: string) =>
    ['progress', projectId, round, tasks] as const,
  annotationWithTask: (annotationId: number) => ['annotation-with-task', annotationId] as const,
  improvement: (improvementId: number) => ['improvement-work', improvementId] as const,
};

/** The labeling page's reads. */
export const labelingQueries = {
  /**
   * The next task of the stream, or of a selection (`tasks`, comma-separated ids): null with
   * the server's reason when there is none, and the selection's tasks passed over because
   * others hold them. `round` moves on.
   */
  next: (projectId: number, round: number, tasks?: string) =>
    queryOptions({
      queryKey: labelingKeys.next(projectId, round, tasks),
      queryFn: async () => {
        const r = await api.GET('/api/v1/projects/{id}/next', {
          params: { path: { id: projectId }, query: { tasks } },
        });
        await must(Promise.resolve(r));
        const held = r.response.headers.get('x-next-held');
        return {
          task: r.response.status === 200 ? (r.data as NextTask) : null,
          reason: r.response.headers.get('x-next-reason'),
          held: held ? held.split(',').map(Number) : [],
        };
      },
    }),
  /** "12 of 200 left": of the project, or of the selection; `left` is null while it is counted. */
  progress: (projectId: number, round: number, tasks?: string) =>
    queryOptions({
      queryKey: labelingKeys.progress(projectId, round, tasks),
      queryFn: () =>
        must(
          api.GET('/api/v1/projects/{id}/progress', {
            params: { path: { id: projectId }, query: { tasks } },
          }),
        ),
      refetchInterval: (q) => (q.state.data?.left === null ? 2000 : false),
    }),
  /** One of my annotations with its task, to update it. */
  annotationWithTask: (projectId: number, edit: { annotationId: number; taskId: number }) =>
    queryOptions({
      queryKey: labelingKeys.annotationWithTask(edit.annotationId),
      queryFn: async () => {
        const [annotation, task] = await Promise.all([
          must(api.GET('/api/v1/annotations/{id}', { params: { path: { id: edit.annotationId } } })),
          must(
            api.GET('/api/v1/projects/{id}/tasks/{taskId}', {
              params: { path: { id: projectId, taskId: edit.taskId } },
            }),
          ),
        ]);
        return { annotation, task: task as { id: number; data: Record<string, unknown> } };
      },
    }),
  /** An improvement task with the annotation it improves and that annotation's task. */
  improvement: (improvementId: number) =>
    queryOptions({
      queryKey: labelingKeys.improvement(improvementId),
      queryFn: async () => {
        const path = { params: { path: { id: improvementId } } };
        const [improvement, work] = await Promise.all([
          must(api.GET('/api/v1/quality/improvement-tasks/{id}', path)),
          must(api.GET('/api/v1/quality/improvement-tasks/{id}/annotation', path)),
        ]);
        return { improvement, ...work };
      },
    }),
};
