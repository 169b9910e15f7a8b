/** The billing pages' TanStack Query keys, in one place. */
export const billingKeys = {
  bills: ['billing-bills'] as const,
  billsOf: (status: unknown, cursor: string | undefined) => ['billing-bills', status, cursor] as const,
  bill: (id: number) => ['billing-bill', id] as const,
  lines: (id: number) => ['billing-lines', id] as const,
  rules: ['billing-rules'] as const,
  rule: (id: number) => ['billing-rule', id] as const,
  statements: (cursor: string | undefined) => ['billing-statements', cursor] as const,
  statement: (id: number) => ['billing-statement', id] as const,
  trends: (from: string, to: string) => ['billing-trends', from, to] as const,
};
