import type { Slot } from '../schema.ts';

/** A stretch of the question that says a value. */
export interface Span {
  start: number;
  end: number;
}

/** [from, to) in UTC, bound as two timestamptz parameters. */
export interface Period extends Span {
  from: Date;
  to: Date;
}

/** The tenant's names a question may mention, read from the reporting views. */
export interface Vocabulary {
  projects: { id: number; title: string }[];
  members: { userId: string; name: string; email: string }[];
}

export interface Filled {
  /** Values of $1..$n in slot order (a period gives two ISO timestamps). */
  params: unknown[];
  values: Record<string, unknown>;
  /** Slots the question did not fill and that have no default. */
  missing: string[];
  /** What the slots took from the question. */
  used: Span[];
  /** Periods, projects, members and enum values the question names that no slot took. */
  unused: number;
}

const DAY = 86_400_000;
const startOfDay = (d: Date) => Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
const month = (year: number, m: number) => ({
  from: new Date(Date.UTC(year, m, 1)),
  to: new Date(Date.UTC(year, m + 1, 1)),
});

const CHINESE_DIGITS: Record<string, number> = {
  零: 0,
  一: 1,
  二: 2,
  两: 2,
  三: 3,
  四: 4,
  五: 5,
  六: 6,
  七: 7,
  八: 8,
  九: 9,
};

/** 一..九十九 (十, 十五, 二十, 二十三); undefined for anything else. */
export function chineseNumber(text: string): number | undefined {
  const m = /^([一二两三四五六七八九])?(十)?([一二三四五六七八九])?$/.exec(text);
  if (!m || text === '') return undefined;
  const [, tens, ten, ones] = m;
  if (!ten) return tens && !ones ? CHINESE_DIGITS[tens] : undefined;
  return (tens ? CHINESE_DIGITS[tens]! : 1) * 10 + (ones ? CHINESE_DIGITS[ones]! : 0);
}

const NUMBER = '(\\d+|[一二两三四五六七八九十]+)';
/** A number slot's value: also a decimal (a score bound such as 0.7). */
const NUMBER_OR_DECIMAL = '(\\d+(?:\\.\\d+)?|[一二两三四五六七八九十]+)';
const toNumber = (s: string) => (/^\d+(\.\d+)?$/.test(s) ? Number(s) : chineseNumber(s));

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** Relative and absolute periods, each read against `now` (UTC). */
export function findPeriods(text: string, now: Date): Period[] {
  const today = startOfDay(now);
  const weekday = (now.getUTCDay() + 6) % 7; // Monday 0
  const monday = today - weekday * DAY;
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  const days = (from: number, to: number) => ({ from: new Date(from), to: new Date(to) });
  const rules: [RegExp, (match: RegExpExecArray) => { from: Date; to: Date } | undefined][] = [
    [
      /(\d{4})-(\d{2})-(\d{2})/g,
      (r) => days(Date.UTC(+r[1]!, +r[2]! - 1, +r[3]!), Date.UTC(+r[1]!, +r[2]! - 1, +r[3]!) + DAY),
    ],
    [/(\d{4})年(\d{1,2})月/g, (r) => (+r[2]! >= 1 && +r[2]! <= 12 ? month(+r[1]!, +r[2]! - 1) : undefined)],
    [/(\d{4})-(\d{2})(?!\d)/g, (r) => (+r[2]! >= 1 && +r[2]! <= 12 ? month(+r[1]!, +r[2]! - 1) : undefined)],
    [
      /\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(\d{4})\b/gi,
      (r) => month(+r[2]!, MONTHS.indexOf(r[1]!.toLowerCase())),
    ],
    [
      new RegExp(`(?:最近|过去|近)${NUMBER}天|\\b(?:the\\s+)?(?:last|past)\\s+(\\d+)\\s+days\\b`, 'gi'),
      (r) => {
        const count = toNumber(r[1] ?? r[2]!);
        return count ? days(today - (count - 1) * DAY, today + DAY) : undefined;
      },
    ],
    [/今天|\btoday\b/gi, () => days(today, today + DAY)],
    [/昨天|\byesterday\b/gi, () => days(today - DAY, today)],
    [/本周|这周|这个星期|\bthis\s+week\b/gi, () => days(monday, monday + 7 * DAY)],
    [/上周|上个星期|\blast\s+week\b/gi, () => days(monday - 7 * DAY, monday)],
    [/本月|这个月|\bthis\s+month\b/gi, () => month(y, m)],
    [/上个月|上月|\blast\s+month\b/gi, () => month(y, m - 1)],
    [/今年|\bthis\s+year\b/gi, () => days(Date.UTC(y, 0, 1), Date.UTC(y + 1, 0, 1))],
    [/去年|\blast\s+year\b/gi, () => days(Date.UTC(y - 1, 0, 1), Date.UTC(y, 0, 1))],
  ];
  const found: Period[] = [];
  for (const [pattern, read] of rules)
    for (const r of text.matchAll(pattern)) {
      const span = { start: r.index, end: r.index + r[0].length };
      const range = read(r as RegExpExecArray);
      if (range && !found.some((f) => overlaps(f, span))) found.push({ ...span, ...range });
    }
  return found.sort((a, b) => a.start - b.start);
}

/** Digits and Chinese numerals, outside `taken`. */
export function findNumbers(text: string, taken: Span[] = []): (Span & { value: number })[] {
  const found: (Span & { value: number })[] = [];
  for (const r of text.matchAll(new RegExp(NUMBER_OR_DECIMAL, 'g'))) {
    const span = { start: r.index, end: r.index + r[0].length };
    const value = toNumber(r[0]);
    if (value !== undefined && !taken.some((t) => overlaps(t, span))) found.push({ ...span, value });
  }
  return found;
}

/** How a value of the known enums is said, in English and Chinese. */
const SYNONYMS: Record<string, RegExp[]> = {
  pending: [/待处理|待标注|未开始|待审核/, /\bpending\b|\bwaiting for review\b|\bawaiting review\b/i],
  in_progress: [/进行中|处理中|标注中/, /\bin[\s_-]progress\b/i],
  completed: [/已完成|完成的/, /\bcompleted?\b|\bdone\b/i],
  reviewed: [/已审核|审核过的/, /\breviewed\b/i],
  cancelled: [/已取消|取消的/, /\bcancell?ed\b/i],
  in_review: [/审核中/, /\bin[\s_-]review\b/i],
  approved: [/已通过|通过了|通过的|批准的/, /\bapproved\b/i],
  rejected: [/已拒绝|被拒绝|拒绝的|驳回的|被驳回|拒绝了|驳回了/, /\brejected\b|\brejections\b/i],
  modification_requested: [
    /需修改|要求修改|待修改/,
    /\bmodification[\s_-]requested\b|\bchanges requested\b/i,
  ],
  low: [/低(?=优先级)/, /\blow\b/i],
  medium: [/中(?=优先级)/, /\bmedium\b/i],
  high: [/高(?=优先级)/, /\bhigh\b/i],
  urgent: [/紧急/, /\burgent\b/i],
};

/** Every value of the known enums, for telling a question that names one no slot takes. */
const KNOWN_ENUM_VALUES = Object.keys(SYNONYMS);

/** `value` said literally: as a whole word when it is one ("low", not the start of "lowest"). */
function literally(value: string): RegExp {
  const escaped = value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(/^\w+$/.test(value) ? `\\b${escaped}\\b` : escaped, 'i');
}

/** The first of `values` the question says (by its synonyms, or literally), outside `taken`. */
export function findEnum(text: string, values: string[], taken: Span[] = []): (Span & { value: string })[] {
  const found: (Span & { value: string })[] = [];
  for (const value of values) {
    for (const pattern of [...(SYNONYMS[value] ?? []), literally(value)]) {
      const r = pattern.exec(text);
      if (!r) continue;
      const span = { start: r.index, end: r.index + r[0].length };
      if (!taken.some((t) => overlaps(t, span)) && !found.some((f) => overlaps(f, span)))
        found.push({ ...span, value });
    }
  }
  return found.sort((a, b) => a.start - b.start);
}

/** Names of `candidates` the question contains (case-insensitive), longest first, not overlapping. */
export function findNames<T>(
  text: string,
  candidates: { value: T; names: string[] }[],
  taken: Span[] = [],
): (Span & { value: T })[] {
  const lower = text.toLowerCase();
  const hits: (Span & { value: T })[] = [];
  for (const c of candidates)
    for (const name of c.names) {
      const n = name.trim().toLowerCase();
      if (n.length < 2) continue;
      const at = lower.indexOf(n);
      if (at >= 0) hits.push({ start: at, end: at + n.length, value: c.value });
    }
  hits.sort((a, b) => b.end - b.start - (a.end - a.start));
  const kept: (Span & { value: T })[] = [];
  for (const h of hits) if (![...taken, ...kept].some((k) => overlaps(k, h))) kept.push(h);
  return kept.sort((a, b) => a.start - b.start);
}

const overlaps = (a: Span, b: Span) => a.start < b.end && b.start < a.end;

/**
 * Whether the question asks for the single first or last of a ranking: "who" or "which"
 * with a singular noun, or 哪个/哪位/谁, beside a superlative (most, lowest, 最多, 最低).
 */
export function asksForOne(question: string): boolean {
  const which = /\bwho\b|\bwhich\s+[a-z]+(?<!s)\b|哪个|哪位|哪一|谁/i.test(question);
  const superlative = /\b(most|least|highest|lowest|best|worst|fewest|top)\b|最/i.test(question);
  return which && superlative;
}

/**
 * Fills a template's slots from the question: periods first (their digits are not an n),
 * then names, enums and numbers, each span used once. With `firstOnly` (a ranking asked
 * for its single first) a number the question does not give is 1, not the slot's default.
 */
export function fillSlots(
  question: string,
  slots: Slot[],
  vocabulary: Vocabulary,
  now: Date,
  options: { firstOnly?: boolean } = {},
): Filled {
  const periods = findPeriods(question, now);
  const projects = findNames(
    question,
    vocabulary.projects.map((p) => ({ value: p.id, names: [p.title] })),
    periods,
  );
  const members = findNames(
    question,
    vocabulary.members.map((m) => ({ value: m.userId, names: [m.name, m.email] })),
    [...periods, ...projects],
  );
  const used: Span[] = [];
  const named: Span[] = [...periods, ...projects, ...members];
  const free = <S extends Span>(list: S[]) => list.find((s) => !used.some((u) => overlaps(u, s)));
  const params: unknown[] = [];
  const values: Record<string, unknown> = {};
  const missing: string[] = [];
  for (const slot of slots) {
    let hit: (Span & { value: unknown }) | undefined;
    let bound: unknown[] = [];
    if (slot.type === 'period') {
      const p = free(periods);
      if (p) {
        hit = { ...p, value: { from: p.from.toISOString(), to: p.to.toISOString() } };
        bound = [p.from.toISOString(), p.to.toISOString()];
      }
    } else {
      if (slot.type === 'project') hit = free(projects);
      else if (slot.type === 'member') hit = free(members);
      else if (slot.type === 'enum') hit = free(findEnum(question, slot.values ?? [], [...named, ...used]));
      else hit = free(findNumbers(question, [...named, ...used]));
      if (hit) bound = [hit.value];
    }
    const fallback = slot.type === 'number' && options.firstOnly ? 1 : slot.default;
    if (!hit && fallback !== undefined && slot.type !== 'period') bound = [fallback];
    if (hit) used.push(hit);
    else if (fallback === undefined) missing.push(slot.name);
    values[slot.name] = hit ? hit.value : (fallback ?? null);
    params.push(...(bound.length ? bound : slot.type === 'period' ? [null, null] : [null]));
  }
  // An enum value said that no slot took ("已完成" to a template of unfinished tasks) counts too.
  const said = [...named, ...findEnum(question, KNOWN_ENUM_VALUES, named)];
  const unused = said.filter((n) => !used.some((u) => overlaps(u, n))).length;
  return { params, values, missing, used, unused };
}
