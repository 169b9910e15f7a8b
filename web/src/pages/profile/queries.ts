/** The profile page's TanStack Query keys, in one place. */
export const profileKeys = {
  sessions: ['my-sessions'] as const,
  tokens: ['my-tokens'] as const,
};
