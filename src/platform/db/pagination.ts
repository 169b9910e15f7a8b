import { Type } from '@fastify/type-provider-typebox';
import { type AnyColumn, and, desc, type InferSelectModel, lt, type SQL, sql } from 'drizzle-orm';
import type { AnyPgColumn, PgTable } from 'drizzle-orm/pg-core';
import { badRequest } from '../errors/problem.ts';
import type { Executor } from './client.ts';

export const PageQuery = {
  limit: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 1000, default: 50, description: 'Page size (≤ 1000)' }),
  ),
  cursor: Type.Optional(Type.String({ maxLength: 512, description: 'next_cursor of the previous page' })),
};

export const pageOf = <T extends ReturnType<typeof Type.Object>>(item: T) =>
  Type.Object({ items: Type.Array(item), next_cursor: Type.Union([Type.String(), Type.Null()]) });

/** Opaque keyset cursor: the sort key of the last row of the previous page. */
export function encodeCursor(values: (string | number)[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

export function decodeCursor(cursor: string | undefined, arity: number): (string | number)[] | undefined {
  if (!cursor) return undefined;
  try {
    const values = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(values) &&
      values.length === arity &&
      values.every((v) => typeof v === 'string' || typeof v === 'number')
    ) {
      return values;
    }
  } catch {
    // fall through to the 400 below
  }
  throw badRequest('request.cursor_invalid', 'The cursor is not one this API issued.', [
    { path: 'querystring/cursor', message: 'is invalid' },
  ]);
}

/** `(created_at, id) < cursor` for newest-first lists keyed by a timestamp and a uuid. */
export function beforeCursor(
  createdAt: AnyColumn,
  id: AnyColumn,
  cursor: string | undefined,
): SQL | undefined {
  const values = decodeCursor(cursor, 2);
  if (!values) return undefined;
  return sql`(${createdAt}, ${id}) < (${values[0]}::timestamptz, ${values[1]}::uuid)`;
}

/** Cuts a `limit + 1` result to a page and its next cursor. */
export function toPage<T>(rows: T[], limit: number, key: (row: T) => (string | number)[]) {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, next_cursor: rows.length > limit && last ? encodeCursor(key(last)) : null };
}

/** A page request as the routes take it (PageQuery): 50 rows unless told. */
export interface PageRequest {
  limit?: number;
  cursor?: string;
}

/**
 * A page of `table`'s rows that match `where`, newest (highest id) first, each through
 * `view`: the list of most records keyed by a serial id. The cursor is the last id shown.
 */
export async function newestFirst<T extends PgTable & { id: AnyPgColumn }, V>(
  tx: Executor,
  table: T,
  where: (SQL | undefined)[],
  page: PageRequest,
  view: (row: InferSelectModel<T>) => V,
): Promise<{ items: V[]; next_cursor: string | null }> {
  const limit = page.limit ?? 50;
  const before = decodeCursor(page.cursor, 1)?.[0];
  const rows = (await tx
    .select()
    .from(table as PgTable)
    .where(and(...where, before === undefined ? undefined : lt(table.id, Number(before))))
    .orderBy(desc(table.id))
    .limit(limit + 1)) as InferSelectModel<T>[];
  const { items, next_cursor } = toPage(rows, limit, (r) => [(r as { id: number }).id]);
  return { items: items.map(view), next_cursor };
}
