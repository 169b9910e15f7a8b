import { queryOptions } from '@tanstack/react-query';
import { api, must } from '../../api/client';

/** The dashboard's TanStack Query keys. */
export const dashboardKeys = {
  range: (from: string, to: string) => ['dashboard', from, to] as const,
};

/** The dashboard's figures over a period. */
export const dashboardQuery = (from: string, to: string) =>
  queryOptions({
    queryKey: dashboardKeys.range(from, to),
    queryFn: () => must(api.GET('/api/v1/dashboard', { params: { query: { from, to } } })),
  });
