import type { TaskRow } from './TaskGrid';

export type Highlight = NonNullable<TaskRow['highlights']>[number];

/** The JSON Pointer of a top-level data field (RFC 6901 escapes ~ and /). */
export const pointerOf = (...keys: string[]) =>
  keys.map((k) => `/${k.replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');

/** The ranges of a search's highlights that fall in the string at `path`, in order, merged. */
export function rangesAt(highlights: Highlight[] | undefined, path: string): [number, number][] {
  const ranges = (highlights ?? [])
    .filter((h) => h.path === path)
    .map((h) => [h.start, h.end] as [number, number])
    .sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const r of ranges) {
    const last = out.at(-1);
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else out.push([...r]);
  }
  return out;
}

/**
 * A string with the search's matches marked. The offsets are UTF-16 code units, as the API
 * gives them, so `slice` cuts exactly there, emoji and CJK included.
 */
export function Highlighted({ text, ranges }: { text: string; ranges: [number, number][] }) {
  if (ranges.length === 0) return <>{text}</>;
  const parts: React.ReactNode[] = [];
  let at = 0;
  for (const [start, end] of ranges) {
    if (start > at) parts.push(text.slice(at, start));
    parts.push(
      <mark key={start} data-testid="search-match" style={{ padding: 0, background: '#ffe58f' }}>
        {text.slice(start, end)}
      </mark>,
    );
    at = end;
  }
  if (at < text.length) parts.push(text.slice(at));
  return <>{parts}</>;
}
