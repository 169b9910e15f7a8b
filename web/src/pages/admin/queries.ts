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
