/**
 * Task data paths as Label Studio configs write them: `$text`, dotted (`$meta.title`,
 * `$work_2.i`), indexed (`$images[0].url`, or lodash's `$images.0.url`) and a Repeater's
 * `$document[{{idx}}].page`. One resolver, so that imports, exports and the editor read a
 * config's data the same way.
 */

export type PathStep = string | number;

/** A Repeater's index placeholder: `{{idx}}` by default, any `{{name}}` its indexFlag picks. */
const INDEX_FLAG = /\{\{\s*[\w-]+\s*\}\}/g;
const HAS_INDEX_FLAG = /\{\{\s*[\w-]+\s*\}\}/;
const WHOLE_REF = /^\$(\S+)$/;
const STEP = /([^.[\]]+)|\[(\d+|\{\{\s*[\w-]+\s*\}\})\]/g;

/**
 * The steps of a whole `$…` reference (`$images[0].url` → images, 0, url), with a Repeater's
 * index given as `index`; undefined when the value is not a reference or is malformed.
 */
export function parseDataPath(ref: string, index?: number): PathStep[] | undefined {
  const body = WHOLE_REF.exec(ref.trim())?.[1];
  if (!body) return undefined;
  const withIndex = index === undefined ? body : body.replace(INDEX_FLAG, String(index));
  const steps: PathStep[] = [];
  let consumed = 0;
  for (const m of withIndex.matchAll(STEP)) {
    // Only dots may separate the steps the pattern matched; anything else is malformed.
    const gap = withIndex.slice(consumed, m.index);
    if (gap !== '' && gap !== '.') return undefined;
    consumed = m.index + m[0].length;
    const step = m[1] ?? m[2]!;
    if (/^\{\{/.test(step)) return undefined;
    steps.push(m[2] !== undefined || /^\d+$/.test(step) ? Number(step) : step);
  }
  if (consumed !== withIndex.length || steps.length === 0 || typeof steps[0] !== 'string') return undefined;
  return steps;
}

/** The value a `$…` reference reads from a task's data, or undefined when absent. */
export function resolveDataPath(data: unknown, ref: string, index?: number): unknown {
  const steps = parseDataPath(ref, index);
  if (!steps) return undefined;
  let at: unknown = data;
  for (const step of steps) {
    if (at === null || typeof at !== 'object') return undefined;
    if (Array.isArray(at)) {
      if (typeof step !== 'number') return undefined;
      at = at[step];
    } else {
      if (!Object.hasOwn(at, String(step))) return undefined;
      at = (at as Record<string, unknown>)[String(step)];
    }
  }
  return at;
}

/**
 * The same reference in the dotted form the embedded editor (Label Studio frontend 1.4.0,
 * which reads `$[a-z0-9_.]+` with lodash.get) resolves: `$images[0].url` → `$images.0.url`.
 * Values that are not whole references are returned as they are.
 */
export function dottedDataPath(ref: string): string {
  const steps = parseDataPath(ref);
  return steps ? `$${steps.join('.')}` : ref;
}

/** Whether a tag name is a Repeater's template (`labels_{{idx}}`). */
export function isRepeatedName(name: string): boolean {
  return HAS_INDEX_FLAG.test(name);
}

/**
 * The index a concrete name (`labels_2`) takes in a Repeater's template (`labels_{{idx}}`),
 * or undefined when it is not an instance of it.
 */
export function repeatIndexOf(template: string, name: string): number | undefined {
  const parts = template.split(INDEX_FLAG).map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  if (parts.length < 2) return undefined;
  const m = new RegExp(`^${parts.join('(\\d+)')}$`).exec(name);
  if (!m) return undefined;
  const indexes = new Set(m.slice(1));
  // Every placeholder in one name stands for the same index.
  return indexes.size === 1 ? Number(m[1]) : undefined;
}

/** A Repeater template with its placeholder replaced by an index. */
export function instanceName(template: string, index: number): string {
  return template.replace(INDEX_FLAG, String(index));
}

/** The value at a config object's data key written without its `$` (`images[0].url`). */
export function dataAt(data: unknown, key: string): unknown {
  return resolveDataPath(data, `$${key}`);
}
