/** The labeling page's TanStack Query keys. */
export const labelingKeys = {
  next: (projectId: number, round: number) => ['next', projectId, round] as const,
  annotationWithTask: (annotationId: number) => ['annotation-with-task', annotationId] as const,
};
