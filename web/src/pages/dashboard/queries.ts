/** The dashboard's TanStack Query keys. */
export const dashboardKeys = {
  range: (from: string, to: string) => ['dashboard', from, to] as const,
};
