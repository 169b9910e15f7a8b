import { infiniteQueryOptions, queryOptions, useQuery } from '@tanstack/react-query';
import { api, type GetResponse, must } from '../api/client';

export type Project = GetResponse<'/api/v1/projects/{id}'>;

/**
 * Project keys, shared by every page group: each key of one project starts with
 * `project(id)`, so invalidating it refreshes the project, its summary and its members.
 */
export const projectKeys = {
  list: ['projects'] as const,
  search: (search: string) => ['projects', search] as const,
  names: ['projects', 'all-names'] as const,
  project: (id: number) => ['project', id] as const,
  summary: (id: number) => ['project', id, 'summary'] as const,
  members: (id: number) => ['project', id, 'members'] as const,
  /** Every member, all pages of them (the quality pages' assignee pickers). */
  allMembers: (id: number) => ['project', id, 'members', 'all'] as const,
};

export const projectQuery = (id: number) => ({
  queryKey: projectKeys.project(id),
  queryFn: () => must(api.GET('/api/v1/projects/{id}', { params: { path: { id } } })),
  enabled: Number.isInteger(id) && id > 0,
  staleTime: 5_000,
});

/** Every project's title, for the pages that show projects by id. */
export const projectNamesQuery = () =>
  queryOptions({
    queryKey: projectKeys.names,
    queryFn: () => must(api.GET('/api/v1/projects', { params: { query: { limit: 1000 } } })),
  });

/** The project's members (up to 1000: the pickers and names of one project). */
export const projectMembersQuery = (id: number) =>
  queryOptions({
    queryKey: projectKeys.members(id),
    queryFn: () =>
      must(api.GET('/api/v1/projects/{id}/members', { params: { path: { id }, query: { limit: 1000 } } })),
  });

/** The projects whose title matches, a page of 50 at a time. */
export const projectSearchQuery = (search: string) =>
  infiniteQueryOptions({
    queryKey: projectKeys.search(search),
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      must(
        api.GET('/api/v1/projects', {
          params: { query: { limit: 50, cursor: pageParam, search: search || undefined } },
        }),
      ),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });

/** The project of the current route. */
export function useProject(id: number) {
  return useQuery(projectQuery(id));
}

export function useProjectSummary(id: number) {
  return useQuery({
    queryKey: projectKeys.summary(id),
    queryFn: () => must(api.GET('/api/v1/projects/{id}/summary', { params: { path: { id } } })),
  });
}
