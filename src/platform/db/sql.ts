/**
 * The rows of a `tx.execute(sql\`…\`)` result, typed by the caller (both drivers return `{ rows }`).
 * Named rowsOf, not rows: `rows` is the local name of the result in most callers.
 */
export const rowsOf = <T>(result: unknown): T[] => (result as { rows: T[] }).rows;

/**
 * A PostgreSQL array literal, sent as one parameter and cast in SQL (`any(${pgArray(ids)}::bigint[])`):
 * every element is double-quoted with `"` and `\` escaped, so commas, quotes, braces, backslashes
 * and the word NULL in values stay values; null is SQL NULL.
 */
export function pgArray(values: readonly (string | number | bigint | null)[]): string {
  const items = values.map((v) => (v === null ? 'NULL' : `"${String(v).replace(/[\\"]/g, '\\$&')}"`));
  return `{${items.join(',')}}`;
}
