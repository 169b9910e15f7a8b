import { sql } from 'drizzle-orm';
import type { Executor } from '../../platform/db/client.ts';
import { pgArray, rowsOf } from '../../platform/db/sql.ts';
import { readOnly } from '../annotation/index.ts';

/**
 * Issues, alerts and improvement tasks name an annotation; people look for its task. Each item
 * gets the task of its annotation (null without one, or once the annotation is gone), read
 * in one query for the whole page.
 */
export async function withTaskIds<T extends { annotation_id: number | null }>(
  tx: Executor,
  items: T[],
): Promise<(T & { task_id: number | null })[]> {
  const ids = [...new Set(items.map((i) => i.annotation_id).filter((id): id is number => id !== null))];
  const rows = ids.length
    ? rowsOf<{ id: number; task_id: number }>(
        await tx.execute(
          sql`select a.id, a.task_id from ${readOnly.annotations} a where a.id = any(${pgArray(ids)}::bigint[])`,
        ),
      )
    : [];
  const taskOf = new Map(rows.map((r) => [Number(r.id), Number(r.task_id)]));
  return items.map((i) => ({
    ...i,
    task_id: i.annotation_id === null ? null : (taskOf.get(i.annotation_id) ?? null),
  }));
}

/** One item with its task id. */
export async function withTaskId<T extends { annotation_id: number | null }>(tx: Executor, item: T) {
  const [linked] = await withTaskIds(tx, [item]);
  return linked!;
}
