import { queryOptions } from '@tanstack/react-query';
import { api, type GetQuery, must } from '../../api/client';

/** The system page's TanStack Query keys, in one place. */
export const systemKeys = {
  services: ['system-services'] as const,
  status: ['system-status'] as const,
  metrics: ['system-metrics'] as const,
  jobs: (state: unknown) => ['jobs', state] as const,
};

/** The system page's reads. */
export const systemQueries = {
  services: () =>
    queryOptions({ queryKey: systemKeys.services, queryFn: () => must(api.GET('/system/services')) }),
  status: () => queryOptions({ queryKey: systemKeys.status, queryFn: () => must(api.GET('/system/status')) }),
  metrics: () =>
    queryOptions({ queryKey: systemKeys.metrics, queryFn: () => must(api.GET('/system/metrics')) }),
  jobs: (state: GetQuery<'/api/v1/jobs'>['state']) =>
    queryOptions({
      queryKey: systemKeys.jobs(state),
      queryFn: () => must(api.GET('/api/v1/jobs', { params: { query: { state, limit: 50 } } })),
    }),
};
