/** The review page's TanStack Query keys. */
export const reviewKeys = {
  queue: (projectId: number, round: number) => ['review-queue', projectId, round] as const,
};
