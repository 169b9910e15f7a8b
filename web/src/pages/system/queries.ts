/** The system page's TanStack Query keys, in one place. */
export const systemKeys = {
  services: ['system-services'] as const,
  status: ['system-status'] as const,
  metrics: ['system-metrics'] as const,
  jobs: (state: unknown) => ['jobs', state] as const,
};
