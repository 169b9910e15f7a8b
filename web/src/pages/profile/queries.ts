import { queryOptions } from '@tanstack/react-query';
import { api, must } from '../../api/client';

/** The profile page's TanStack Query keys, in one place. */
export const profileKeys = {
  sessions: ['my-sessions'] as const,
  tokens: ['my-tokens'] as const,
};

/** The profile page's reads. */
export const profileQueries = {
  sessions: () =>
    queryOptions({
      queryKey: profileKeys.sessions,
      queryFn: () => must(api.GET('/api/v1/auth/sessions', { params: { query: { limit: 100 } } })),
    }),
  tokens: () =>
    queryOptions({
      queryKey: profileKeys.tokens,
      queryFn: () => must(api.GET('/api/v1/tokens', { params: { query: { limit: 100 } } })),
    }),
};
