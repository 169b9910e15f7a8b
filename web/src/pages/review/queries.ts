import { queryOptions } from '@tanstack/react-query';
import { api, must } from '../../api/client';

/** The review page's TanStack Query keys. */
export const reviewKeys = {
  queue: (projectId: number, round: number) => ['review-queue', projectId, round] as const,
};

/** The review page's reads. */
export const reviewQueries = {
  /** The next annotation to review; `round` moves on after each decision. */
  queue: (projectId: number, round: number) =>
    queryOptions({
      queryKey: reviewKeys.queue(projectId, round),
      queryFn: () =>
        must(
          api.GET('/api/v1/projects/{id}/review-queue', {
            params: { path: { id: projectId }, query: { limit: 1 } },
          }),
        ),
    }),
};
