/**
 * The data manager's search: substring patterns, full-text queries (with Chinese segmented
 * into words by jieba, at import for the document and here for the query), and the
 * highlights of a match in a task's data.
 */
import { createRequire } from 'node:module';
import type { Jieba } from '@node-rs/jieba';
import { badRequest } from '../../../platform/errors/problem.ts';

const require = createRequire(import.meta.url);
let loaded: Jieba | undefined;

/**
 * The segmenter, loaded on the first Chinese text (~200 ms, and its dictionary's memory),
 * so a platform that never sees Chinese never pays for it; read-only afterwards.
 */
function jieba(): Jieba {
  if (!loaded) {
    const { Jieba: Segmenter } = require('@node-rs/jieba') as typeof import('@node-rs/jieba');
    const { dict } = require('@node-rs/jieba/dict.js') as typeof import('@node-rs/jieba/dict.js');
    loaded = Segmenter.withDict(dict);
  }
  return loaded;
}

/** Han ideographs: text written without spaces between words. */
const HAS_HAN = /\p{Script=Han}/u;

const likeLiteral = (text: string) => text.replace(/[\\%_]/g, '\\$&');

/** An ILIKE pattern for a term inside a raw text value. */
export const rawPattern = (term: string) => `%${likeLiteral(term)}%`;

/**
 * An ILIKE pattern for a term inside `search_text`, which holds the strings JSON-escaped
 * (PostgreSQL escapes as JSON.stringify does: quote, backslash, control characters).
 */
export const searchTextPattern = (term: string) => `%${likeLiteral(JSON.stringify(term).slice(1, -1))}%`;

/** Every string in a value, nested ones too, with its JSON Pointer, in document order. */
export function stringsOf(value: unknown, path = ''): { path: string; text: string }[] {
  if (typeof value === 'string') return [{ path, text: value }];
  if (Array.isArray(value)) return value.flatMap((v, i) => stringsOf(v, `${path}/${i}`));
  if (value !== null && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) =>
      stringsOf(v, `${path}/${k.replaceAll('~', '~0').replaceAll('/', '~1')}`),
    );
  return [];
}

const words = (text: string) =>
  jieba()
    .cut(text, false)
    .map((w) => w.trim())
    .filter((w) => w.length > 0);

/**
 * A task's words for the full-text document when its data holds Chinese: every string cut
 * into words, joined by spaces (PostgreSQL's parser then sees each word). Null otherwise:
 * the document is then built from the data itself (search_doc's default).
 */
export function searchWordsOf(data: Record<string, unknown>): string | null {
  const texts = stringsOf(data).map((s) => s.text);
  if (!texts.some((t) => HAS_HAN.test(t))) return null;
  return texts
    .map((t) => words(t).join(' '))
    .join(' ')
    .replace(/\s+/g, ' ');
}

/** Refuses a `q` with nothing to search for (websearch_to_tsquery would match no task, silently). */
export function checkQuery(q: string, path: string): void {
  if (!/[\p{L}\p{N}]/u.test(q.replace(/(?<![\p{L}\p{N}])or(?![\p{L}\p{N}])/giu, '')))
    throw badRequest('task.search_no_words', 'The search query has no word to search for.', [
      { path, message: 'needs at least one letter or digit' },
    ]);
}

/**
 * A `q` for websearch_to_tsquery with each run of Chinese cut into words: outside quotes a
 * run of several words becomes a quoted phrase (so `-北京大学` still excludes the whole
 * run), inside quotes its words join the phrase.
 */
export function fullTextQuery(q: string): string {
  let inQuote = false;
  let out = '';
  let last = 0;
  for (const m of q.matchAll(/"|\p{Script=Han}+/gu)) {
    out += q.slice(last, m.index);
    last = m.index + m[0].length;
    if (m[0] === '"') {
      inQuote = !inQuote;
      out += '"';
      continue;
    }
    const ws = words(m[0]);
    out += inQuote || ws.length === 1 ? ws.join(' ') : `"${ws.join(' ')}"`;
  }
  return out + q.slice(last);
}

/** The terms of a `q` that a match shows: quoted phrases and words, not excluded ones nor OR. */
export function positiveTerms(q: string): string[] {
  const terms: string[] = [];
  for (const m of q.matchAll(/(-?)"([^"]*)"?|(-?)([^\s"]+)/gu)) {
    if (m[2] !== undefined) {
      if (!m[1] && m[2].trim()) terms.push(m[2].trim());
    } else if (!m[3] && m[4] && m[4].toLowerCase() !== 'or') terms.push(m[4]);
  }
  return terms;
}

export interface Highlight {
  /** JSON Pointer to the string in the task's data. */
  path: string;
  /** Offsets in UTF-16 code units, as JavaScript's String.slice takes them; end exclusive. */
  start: number;
  end: number;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Where the terms occur in a task's data, case-insensitively, in document order. A word of
 * letters or digits matches whole words only (as full-text search does); `substring` terms
 * and Chinese match anywhere.
 */
export function highlightsOf(
  data: Record<string, unknown>,
  terms: string[],
  opts: { substring: boolean; dataKey?: string },
): Highlight[] {
  const parts = terms.map((t) => {
    // The words of a phrase are spaced in the text, but for Chinese, where they are not.
    const han = HAS_HAN.test(t);
    const body = escapeRegExp(t).replace(/\s+/g, han ? '\\s*' : '\\s+');
    return opts.substring || han ? body : `(?<![\\p{L}\\p{N}])${body}(?![\\p{L}\\p{N}])`;
  });
  if (parts.length === 0) return [];
  const re = new RegExp(parts.join('|'), 'giu');
  const source = opts.dataKey === undefined ? data : { [opts.dataKey]: data[opts.dataKey] };
  const out: Highlight[] = [];
  for (const { path, text } of stringsOf(source)) {
    for (const m of text.matchAll(re)) {
      if (m[0].length > 0) out.push({ path, start: m.index, end: m.index + m[0].length });
    }
  }
  return out;
}
