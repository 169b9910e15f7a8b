import { XMLParser } from 'fast-xml-parser';

/**
 * How alike two annotations of one task are, control by control. Pure functions, no I/O.
 *
 * A control compares the regions (`result[]` items) whose `from_name` is its name:
 * - choices / taxonomy: exact match of the chosen set (1 or 0);
 * - labels (spans with numeric start/end): overlap F1 of the labelled characters,
 *   2|A∩B| / (|A| + |B|), counted per label;
 * - rectangles (`rectanglelabels`, `rectangle`; Label Studio's percent x, y, width, height):
 *   boxes matched greedily by IoU (same labels only), Σ IoU / max(|A|, |B|);
 * - textarea: 1 − Levenshtein(a, b) / max(|a|, |b|);
 * - number / rating: 1 − |a − b| / range (range from the config, else max(|a|, |b|));
 * - anything else: exact match of the region values.
 * A control neither annotation used is not compared (null); one used by only one scores 0.
 */

export interface ControlSpec {
  name: string;
  /** The control tag, e.g. Choices, Labels, RectangleLabels, TextArea, Rating, Number. */
  type: string;
  /** Number / Rating: the width of the scale, when the config gives it. */
  range?: number;
}

export interface Region {
  from_name?: unknown;
  type?: unknown;
  value?: unknown;
}

type Value = Record<string, unknown>;
const isObj = (v: unknown): v is Value => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** The metric a control type is compared with. */
export type MetricKind = 'exact_set' | 'span_f1' | 'iou' | 'edit_distance' | 'numeric' | 'exact_value';

export function metricOf(controlType: string): MetricKind {
  switch (controlType.toLowerCase()) {
    case 'choices':
    case 'taxonomy':
      return 'exact_set';
    case 'labels':
    case 'hypertextlabels':
    case 'paragraphlabels':
    case 'timeserieslabels':
      return 'span_f1';
    case 'rectanglelabels':
    case 'rectangle':
      return 'iou';
    case 'textarea':
      return 'edit_distance';
    case 'number':
    case 'rating':
      return 'numeric';
    default:
      return 'exact_value';
  }
}

/** Regions of one result grouped by control name. */
export function byControl(result: readonly unknown[]): Map<string, Value[]> {
  const out = new Map<string, Value[]>();
  for (const r of result) {
    if (!isObj(r) || typeof r.from_name !== 'string' || !isObj(r.value)) continue;
    const list = out.get(r.from_name);
    if (list) list.push(r.value);
    else out.set(r.from_name, [r.value]);
  }
  return out;
}

/** Levenshtein distance (two rows, O(|a|·|b|) time, O(|b|) space), by UTF-16 code unit. */
export function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  let prev = new Uint32Array(b.length + 1);
  let cur = new Uint32Array(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    const ca = a.charCodeAt(i - 1);
    for (let j = 1; j <= b.length; j++) {
      const cost = ca === b.charCodeAt(j - 1) ? 0 : 1;
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length]!;
}

/** 1 − Levenshtein / the longer length (rapidfuzz's normalized similarity); two empty strings are 1. */
export function levenshteinSimilarity(a: string, b: string): number {
  const longest = Math.max(a.length, b.length);
  return longest === 0 ? 1 : 1 - levenshtein(a, b) / longest;
}

const labelsOf = (v: Value): string[] => {
  for (const [k, x] of Object.entries(v)) {
    if (k.endsWith('labels') && Array.isArray(x)) return x.filter((l): l is string => typeof l === 'string');
  }
  return [];
};

/** The chosen set: choices, or taxonomy paths joined with " / ". */
function chosenSet(regions: Value[]): Set<string> {
  const out = new Set<string>();
  for (const v of regions) {
    const picked = Array.isArray(v.choices) ? v.choices : Array.isArray(v.taxonomy) ? v.taxonomy : [];
    for (const c of picked) out.add(Array.isArray(c) ? c.join(' / ') : String(c));
  }
  return out;
}

function exactSet(x: Set<string>, y: Set<string>): number {
  if (x.size !== y.size) return 0;
  for (const c of x) if (!y.has(c)) return 0;
  return 1;
}

/** Merged [start, end) intervals per label. */
function spansByLabel(regions: Value[]): Map<string, [number, number][]> {
  const out = new Map<string, [number, number][]>();
  for (const v of regions) {
    if (!isNum(v.start) || !isNum(v.end) || v.end <= v.start) continue;
    const labels = labelsOf(v);
    for (const l of labels.length ? labels : ['']) {
      const list = out.get(l) ?? [];
      list.push([v.start, v.end]);
      out.set(l, list);
    }
  }
  for (const [l, list] of out) {
    list.sort((p, q) => p[0] - q[0]);
    const merged: [number, number][] = [];
    for (const s of list) {
      const last = merged.at(-1);
      if (last && s[0] <= last[1]) last[1] = Math.max(last[1], s[1]);
      else merged.push([s[0], s[1]]);
    }
    out.set(l, merged);
  }
  return out;
}

const totalLength = (spans: [number, number][]) => spans.reduce((s, [a, b]) => s + b - a, 0);

function overlap(x: [number, number][], y: [number, number][]): number {
  let i = 0;
  let j = 0;
  let sum = 0;
  while (i < x.length && j < y.length) {
    const lo = Math.max(x[i]![0], y[j]![0]);
    const hi = Math.min(x[i]![1], y[j]![1]);
    if (hi > lo) sum += hi - lo;
    if (x[i]![1] < y[j]![1]) i++;
    else j++;
  }
  return sum;
}

interface Spans {
  byLabel: Map<string, [number, number][]>;
  size: number;
}

function spansOf(regions: Value[]): Spans {
  const byLabel = spansByLabel(regions);
  let size = 0;
  for (const spans of byLabel.values()) size += totalLength(spans);
  return { byLabel, size };
}

function spanF1(a: Prepared, b: Prepared): number {
  const x = a.spans!;
  const y = b.spans!;
  // Spans without numeric offsets (XPath ranges, ...) cannot overlap by length: compare exactly.
  if (x.byLabel.size === 0 && y.byLabel.size === 0) return exactValue(a, b);
  let inter = 0;
  const sizes = x.size + y.size;
  for (const [label, spans] of x.byLabel) {
    const other = y.byLabel.get(label);
    if (other) inter += overlap(spans, other);
  }
  return sizes === 0 ? 1 : (2 * inter) / sizes;
}

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
  labels: string;
}

function boxesOf(regions: Value[]): Box[] {
  const out: Box[] = [];
  for (const v of regions) {
    if (![v.x, v.y, v.width, v.height].every(isNum)) continue;
    const labels = labelsOf(v).sort().join('\u0000');
    out.push({ x: v.x as number, y: v.y as number, w: v.width as number, h: v.height as number, labels });
  }
  return out;
}

/** Intersection over union of two axis-aligned boxes (rotation is ignored). */
export function iou(a: { x: number; y: number; w: number; h: number }, b: typeof a): number {
  const w = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
  const inter = w > 0 && h > 0 ? w * h : 0;
  const union = a.w * a.h + b.w * b.h - inter;
  return union > 0 ? inter / union : a.x === b.x && a.y === b.y ? 1 : 0;
}

function boxScore(a: Prepared, b: Prepared): number {
  const x = a.boxes!;
  const y = b.boxes!;
  if (x.length === 0 && y.length === 0) return exactValue(a, b);
  const pairs: [number, number, number][] = [];
  for (let i = 0; i < x.length; i++) {
    for (let j = 0; j < y.length; j++) {
      if (x[i]!.labels !== y[j]!.labels) continue;
      const s = iou(x[i]!, y[j]!);
      if (s > 0) pairs.push([s, i, j]);
    }
  }
  pairs.sort((p, q) => q[0] - p[0]);
  const usedX = new Set<number>();
  const usedY = new Set<number>();
  let sum = 0;
  for (const [s, i, j] of pairs) {
    if (usedX.has(i) || usedY.has(j)) continue;
    usedX.add(i);
    usedY.add(j);
    sum += s;
  }
  return sum / Math.max(x.length, y.length);
}

const textOf = (regions: Value[]) =>
  regions
    .map((v) => (Array.isArray(v.text) ? v.text.join('\n') : typeof v.text === 'string' ? v.text : ''))
    .join('\n');

function numberOf(regions: Value[]): number | undefined {
  for (const v of regions) {
    const n = isNum(v.number) ? v.number : isNum(v.rating) ? v.rating : undefined;
    if (n !== undefined) return n;
  }
  return undefined;
}

function numeric(x: number | undefined, y: number | undefined, range: number | undefined): number {
  if (x === undefined || y === undefined) return x === y ? 1 : 0;
  const scale = range && range > 0 ? range : Math.max(Math.abs(x), Math.abs(y));
  if (scale === 0) return 1;
  return Math.max(0, 1 - Math.abs(x - y) / scale);
}

/** A value with region ids and key order taken out, so equal regions compare equal. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isObj(v))
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`)
      .join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

function exactValue(a: Prepared, b: Prepared): number {
  a.canonical ??= a.regions.map(canonical).sort();
  b.canonical ??= b.regions.map(canonical).sort();
  const x = a.canonical;
  const y = b.canonical;
  return x.length === y.length && x.every((s, i) => s === y[i]) ? 1 : 0;
}

/**
 * One annotation's regions of one control, read once for every comparison it takes part in
 * (a task with m annotations compares each with m − 1 others): only what its metric uses.
 */
export interface Prepared {
  regions: Value[];
  chosen?: Set<string>;
  spans?: Spans;
  boxes?: Box[];
  text?: string;
  number?: number;
  /** The regions' canonical forms, sorted; made on first use (exact comparison). */
  canonical?: string[];
}

/** Prepares a control's regions for compareControl; undefined when there are none. */
export function prepareControl(control: ControlSpec, regions: Value[] | undefined): Prepared | undefined {
  if (!regions?.length) return undefined;
  switch (metricOf(control.type)) {
    case 'exact_set':
      return { regions, chosen: chosenSet(regions) };
    case 'span_f1':
      return { regions, spans: spansOf(regions) };
    case 'iou':
      return { regions, boxes: boxesOf(regions) };
    case 'edit_distance':
      return { regions, text: textOf(regions) };
    case 'numeric':
      return { regions, number: numberOf(regions) };
    default:
      return { regions };
  }
}

/** The similarity in [0, 1] of two prepared region lists of one control; null when both are empty. */
export function comparePrepared(
  control: ControlSpec,
  x: Prepared | undefined,
  y: Prepared | undefined,
): number | null {
  if (!x && !y) return null;
  if (!x || !y) return 0;
  switch (metricOf(control.type)) {
    case 'exact_set':
      return exactSet(x.chosen!, y.chosen!);
    case 'span_f1':
      return spanF1(x, y);
    case 'iou':
      return boxScore(x, y);
    case 'edit_distance':
      return levenshteinSimilarity(x.text!, y.text!);
    case 'numeric':
      return numeric(x.number, y.number, control.range);
    default:
      return exactValue(x, y);
  }
}

/** The similarity in [0, 1] of two region lists of one control; null when both are empty. */
export function compareControl(
  control: ControlSpec,
  a: Value[] | undefined,
  b: Value[] | undefined,
): number | null {
  return comparePrepared(control, prepareControl(control, a), prepareControl(control, b));
}

export interface PairScore {
  /** Mean over the controls compared; 1 when neither annotation used any control. */
  score: number;
  controls: Record<string, number>;
}

/** Compares two annotations (already grouped by control) on every control of the config. */
export function compareAnnotations(
  controls: readonly ControlSpec[],
  a: Map<string, Value[]>,
  b: Map<string, Value[]>,
): PairScore {
  const out: Record<string, number> = {};
  let sum = 0;
  let n = 0;
  for (const c of controls) {
    const s = compareControl(c, a.get(c.name), b.get(c.name));
    if (s === null) continue;
    out[c.name] = s;
    sum += s;
    n++;
  }
  return { score: n ? sum / n : 1, controls: out };
}

/**
 * The value of a control for agreement statistics (α, κ): a category for choices, a number
 * for ratings and numbers; null for controls without one (spans, boxes, text).
 */
export function categoricalValue(
  control: ControlSpec,
  prepared: Prepared | undefined,
): string | number | null {
  if (!prepared) return null;
  if (prepared.chosen) return [...prepared.chosen].sort().join(' | ');
  const type = control.type.toLowerCase();
  if (type === 'rating' || type === 'number') return prepared.number ?? null;
  return null;
}

/** The α level for a control with categorical values, or undefined when it has none. */
export function alphaLevelOf(controlType: string): 'nominal' | 'ordinal' | 'interval' | undefined {
  switch (controlType.toLowerCase()) {
    case 'choices':
    case 'taxonomy':
      return 'nominal';
    case 'rating':
      return 'ordinal';
    case 'number':
      return 'interval';
    default:
      return undefined;
  }
}

const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', preserveOrder: true });

/**
 * The scale widths of Rating (maxRating − 1, default 5 stars) and Number (max − min, when
 * both are given) controls, read from the labeling config's XML.
 */
export function controlRanges(labelConfig: string): Map<string, number> {
  const out = new Map<string, number>();
  const walk = (nodes: unknown[]) => {
    for (const node of nodes) {
      if (!isObj(node)) continue;
      const tag = Object.keys(node).find((k) => k !== ':@');
      if (!tag) continue;
      const attrs = (node[':@'] ?? {}) as Record<string, string>;
      const kind = tag.toLowerCase();
      if (kind === 'rating' && attrs.name) {
        const max = Number(attrs.maxRating ?? attrs.maxrating ?? 5);
        if (Number.isFinite(max) && max > 1) out.set(attrs.name, max - 1);
      } else if (kind === 'number' && attrs.name && attrs.min !== undefined && attrs.max !== undefined) {
        const range = Number(attrs.max) - Number(attrs.min);
        if (Number.isFinite(range) && range > 0) out.set(attrs.name, range);
      }
      if (Array.isArray(node[tag])) walk(node[tag] as unknown[]);
    }
  };
  try {
    walk(xml.parse(labelConfig) as unknown[]);
  } catch {
    // The config was validated when saved; an unreadable one just has no ranges.
  }
  return out;
}

/** The controls of a parsed config that produce results, with their scale widths. */
export function controlSpecs(
  parsed: { controls: { name: string; type: string }[] },
  labelConfig: string,
): ControlSpec[] {
  const ranges = controlRanges(labelConfig);
  return parsed.controls
    .filter((c) => c.type !== 'Relations' && c.name)
    .map((c) => ({ name: c.name, type: c.type, range: ranges.get(c.name) }));
}
