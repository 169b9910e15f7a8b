import { queryOptions } from '@tanstack/react-query';
import { allPages, api, type GetQuery, must } from '../../api/client';

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

/** The billing pages' reads: each one's key beside the call that fills it. */
export const billingQueries = {
  bills: (status: GetQuery<'/api/v1/billing/bills'>['status'], cursor: string | undefined) =>
    queryOptions({
      queryKey: billingKeys.billsOf(status, cursor),
      queryFn: () =>
        must(api.GET('/api/v1/billing/bills', { params: { query: { status, cursor, limit: 50 } } })),
    }),
  bill: (id: number) =>
    queryOptions({
      queryKey: billingKeys.bill(id),
      queryFn: () => must(api.GET('/api/v1/billing/bills/{id}', { params: { path: { id } } })),
    }),
  /** Every line of the bill. */
  lines: (id: number) =>
    queryOptions({
      queryKey: billingKeys.lines(id),
      queryFn: () =>
        allPages((cursor) =>
          must(
            api.GET('/api/v1/billing/records', { params: { query: { bill_id: id, limit: 1000, cursor } } }),
          ),
        ),
    }),
  rules: () =>
    queryOptions({ queryKey: billingKeys.rules, queryFn: () => must(api.GET('/api/v1/billing/rules')) }),
  rule: (id: number) =>
    queryOptions({
      queryKey: billingKeys.rule(id),
      queryFn: () => must(api.GET('/api/v1/billing/rules/{id}', { params: { path: { id } } })),
    }),
  statements: (cursor: string | undefined) =>
    queryOptions({
      queryKey: billingKeys.statements(cursor),
      queryFn: () =>
        must(api.GET('/api/v1/billing/statements', { params: { query: { cursor, limit: 50 } } })),
    }),
  statement: (id: number) =>
    queryOptions({
      queryKey: billingKeys.statement(id),
      queryFn: () => must(api.GET('/api/v1/billing/statements/{id}', { params: { path: { id } } })),
    }),
  trends: (from: string, to: string) =>
    queryOptions({
      queryKey: billingKeys.trends(from, to),
      queryFn: () => must(api.GET('/api/v1/billing/trends', { params: { query: { from, to } } })),
    }),
};
