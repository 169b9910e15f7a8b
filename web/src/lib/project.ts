import { useQuery } from '@tanstack/react-query';
import { api, type GetResponse, must } from '../api/client';

export type Project = GetResponse<'/api/v1/projects/{id}'>;

export const projectQuery = (id: number) => ({
  queryKey: ['project', id],
  queryFn: () => must(api.GET('/api/v1/projects/{id}', { params: { path: { id } } })),
  enabled: Number.isInteger(id) && id > 0,
  staleTime: 5_000,
});

/** The project of the current route. */
export function useProject(id: number) {
  return useQuery(projectQuery(id));
}

export function useProjectSummary(id: number) {
  return useQuery({
    queryKey: ['project', id, 'summary'],
    queryFn: () => must(api.GET('/api/v1/projects/{id}/summary', { params: { path: { id } } })),
  });
}
