import { queryOptions } from '@tanstack/react-query';
import { api, type GetQuery, must } from '../../api/client';

/**
 * The admin pages' TanStack Query keys, in one place. The user keys are shared with the
 * pages that pick users (billing, project members, tokens): invalidating `users` refreshes
 * every list and name lookup of users.
 */
export const adminKeys = {
  users: ['users'] as const,
  usersOf: (search: string, status: unknown, cursor: string | undefined) =>
    ['users', search, status, cursor] as const,
  userSearch: (search: string) => ['users', search] as const,
  userNames: ['users', 'all-names'] as const,
  user: (userId: string) => ['user', userId] as const,
  userSessions: (userId: string) => ['user-sessions', userId] as const,
  roles: ['roles'] as const,
  permissions: ['permissions'] as const,
  ipAllow: ['ip-allow'] as const,
  securityEvents: ['security-events'] as const,
  securityEventsOf: (status: unknown, cursor: string | undefined) =>
    ['security-events', status, cursor] as const,
  tokens: ['admin-tokens'] as const,
  tokensOf: (cursor: string | undefined) => ['admin-tokens', cursor] as const,
  audit: (filter: unknown, cursor: string | undefined) => ['audit', filter, cursor] as const,
};

/** The admin pages' reads: each one's key beside the call that fills it. */
export const adminQueries = {
  users: (q: { search: string; status: GetQuery<'/api/v1/users'>['status']; cursor: string | undefined }) =>
    queryOptions({
      queryKey: adminKeys.usersOf(q.search, q.status, q.cursor),
      queryFn: () =>
        must(
          api.GET('/api/v1/users', {
            params: { query: { q: q.search || undefined, status: q.status, cursor: q.cursor, limit: 20 } },
          }),
        ),
    }),
  /** The first 50 users whose name or e-mail matches (the member pickers). */
  userSearch: (search: string) =>
    queryOptions({
      queryKey: adminKeys.userSearch(search),
      queryFn: () =>
        must(api.GET('/api/v1/users', { params: { query: { limit: 50, q: search || undefined } } })),
    }),
  /** Every member's e-mail, for the pages that show users by id. */
  userNames: () =>
    queryOptions({
      queryKey: adminKeys.userNames,
      queryFn: () => must(api.GET('/api/v1/users', { params: { query: { limit: 1000 } } })),
    }),
  user: (userId: string) =>
    queryOptions({
      queryKey: adminKeys.user(userId),
      queryFn: () => must(api.GET('/api/v1/users/{id}', { params: { path: { id: userId } } })),
    }),
  userSessions: (userId: string) =>
    queryOptions({
      queryKey: adminKeys.userSessions(userId),
      queryFn: () =>
        must(
          api.GET('/api/v1/users/{id}/sessions', { params: { path: { id: userId }, query: { limit: 100 } } }),
        ),
    }),
  roles: () => queryOptions({ queryKey: adminKeys.roles, queryFn: () => must(api.GET('/api/v1/roles')) }),
  permissions: () =>
    queryOptions({ queryKey: adminKeys.permissions, queryFn: () => must(api.GET('/api/v1/permissions')) }),
  ipAllow: () =>
    queryOptions({
      queryKey: adminKeys.ipAllow,
      queryFn: () => must(api.GET('/api/v1/security/ip-whitelist')),
    }),
  securityEvents: (status: GetQuery<'/api/v1/security/events'>['status'], cursor: string | undefined) =>
    queryOptions({
      queryKey: adminKeys.securityEventsOf(status, cursor),
      queryFn: () =>
        must(api.GET('/api/v1/security/events', { params: { query: { status, cursor, limit: 20 } } })),
    }),
  tokens: (cursor: string | undefined) =>
    queryOptions({
      queryKey: adminKeys.tokensOf(cursor),
      queryFn: () => must(api.GET('/api/v1/admin/tokens', { params: { query: { cursor, limit: 50 } } })),
    }),
  audit: (filter: Omit<GetQuery<'/api/v1/audit/logs'>, 'cursor' | 'limit'>, cursor: string | undefined) =>
    queryOptions({
      queryKey: adminKeys.audit(filter, cursor),
      queryFn: () =>
        must(api.GET('/api/v1/audit/logs', { params: { query: { ...filter, cursor, limit: 50 } } })),
    }),
};
