import type { Template } from './pack.ts';
import { asksForOne, type Filled, fillSlots, type Span, type Vocabulary } from './slots.ts';

export interface Match {
  template: Template;
  /** 0..1: how alike the question and the best pattern are, times the share of slots filled. */
  confidence: number;
  pattern: string;
  filled: Filled;
}

const CJK = /[\u3400-\u9fff]/;
/** Words too common to tell templates apart. */
const STOP = new Set([
  'the',
  'a',
  'an',
  'of',
  'in',
  'for',
  'is',
  'are',
  'was',
  'were',
  'did',
  'do',
  'does',
  'by',
  'each',
  'per',
  'every',
  'what',
  'show',
  'me',
  'please',
  '的',
  '了',
  '吗',
  '呢',
  '请',
  '是',
]);

/**
 * Words that mean one thing across the two languages and across phrasings: each concept
 * the text says adds one shared feature, so "each annotator" meets "per annotator" and
 * "每个标注员", and "earned the most" meets "paid the most" (each, per and every are stop
 * words: their concept carries them).
 */
const CONCEPTS: [string, RegExp][] = [
  ['<each>', /\b(each|per|every|daily|monthly)\b|每|各/i],
  ['<most>', /\b(most|top|highest|best|largest)\b|最多|最高|最好|最大|前(\d+|[一二两三四五六七八九十]+)/i],
  ['<least>', /\b(least|lowest|worst|fewest)\b|最低|最少|最差/i],
  [
    '<unfinished>',
    /\b(unfinished|remaining|incomplete|not (yet )?(finished|done|completed))\b|未完成|没完成|没做完|还剩|剩余/i,
  ],
  ['<total>', /\b(total|in all|altogether)\b|总数|总共|一共|总计|合计/i],
  ['<below>', /\b(below|under|less than|lower than)\b|低于|不到|以下|小于/i],
  [
    '<pay>',
    /\b(earn\w*|paid|pay\w*|cost\w*|spen[dt]|amount|billing)\b|收入|费用|结算|花了|支付|成本|金额|钱/i,
  ],
];

/**
 * The features compared: Chinese as characters and character pairs (no spaces to split
 * on), everything else as lower-cased words with a plural -s dropped, and the concepts said.
 */
export function features(text: string): string[] {
  const out: string[] = CONCEPTS.filter(([, said]) => said.test(text)).map(([concept]) => concept);
  let run = '';
  const flush = () => {
    const chars = [...run].filter((c) => !STOP.has(c));
    out.push(...chars);
    for (let i = 0; i + 1 < chars.length; i++) out.push(chars[i]! + chars[i + 1]!);
    run = '';
  };
  for (const token of text.toLowerCase().split(/([\u3400-\u9fff]+)|[^\p{L}\p{N}_]+/u)) {
    if (!token) continue;
    if (CJK.test(token)) {
      run = token;
      flush();
    } else if (!STOP.has(token)) out.push(token.length > 3 ? token.replace(/s$/, '') : token);
  }
  return out;
}

/** Dice coefficient over feature multisets. */
function similarity(a: string[], b: string[]): number {
  if (a.length === 0 || b.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const f of a) counts.set(f, (counts.get(f) ?? 0) + 1);
  let shared = 0;
  for (const f of b) {
    const c = counts.get(f) ?? 0;
    if (c > 0) {
      shared++;
      counts.set(f, c - 1);
    }
  }
  return (2 * shared) / (a.length + b.length);
}

const cut = (text: string, spans: Span[]) => {
  let out = '';
  let at = 0;
  for (const s of [...spans].sort((x, y) => x.start - y.start)) {
    out += `${text.slice(at, s.start)} `;
    at = s.end;
  }
  return out + text.slice(at);
};

/** A named thing the template has no slot for likely means another question: each costs 15%. */
const UNUSED_PENALTY = 0.85;
/** A template whose answer has another shape than the question asks for costs 15%. */
const SHAPE_PENALTY = 0.85;

/** What a template's SQL answers with: one row, a row per group, or the first n of a ranking. */
export type Shape = 'one' | 'grouped' | 'ranked';

export function shapeOf(sql: string): Shape {
  if (/\blimit\s+\$\d+/i.test(sql)) return 'ranked';
  if (/\bgroup\s+by\b/i.test(sql)) return 'grouped';
  return 'one';
}

/** "each project", "per annotator", "每天", "各项目": a row per something. */
export const asksForEach = (question: string) => CONCEPTS[0]![1].test(question);

/**
 * How well the template's shape fits the question: a question for each of something is
 * not answered by one row, and one for the single best or worst by a list of every group.
 */
function shapeFit(question: string, shape: Shape): number {
  let fit = 1;
  if (asksForEach(question) && shape === 'one') fit *= SHAPE_PENALTY;
  if (asksForOne(question) && shape !== 'ranked') fit *= SHAPE_PENALTY;
  return fit;
}

/**
 * Scores one template: the question without what its slots took, against each pattern
 * without its placeholders; the best pattern counts, scaled by the slots filled and by how
 * well the template's shape fits the question. A ranking asked for its single first
 * ("which annotator … the most") takes n = 1 when the question gives no number.
 */
export function score(question: string, template: Template, vocabulary: Vocabulary, now: Date): Match {
  const shape = shapeOf(template.sql);
  const filled = fillSlots(question, template.slots, vocabulary, now, {
    firstOnly: shape === 'ranked' && asksForOne(question),
  });
  const rest = features(cut(question, filled.used));
  let best = { pattern: template.patterns[0]?.text ?? '', similarity: 0 };
  for (const p of template.patterns) {
    const s = similarity(rest, features(p.text.replace(/\{[a-z_]+\}/g, ' ')));
    if (s > best.similarity) best = { pattern: p.text, similarity: s };
  }
  const slots = template.slots.length;
  const coverage = slots === 0 ? 1 : (slots - filled.missing.length) / slots;
  const confidence = best.similarity * coverage * UNUSED_PENALTY ** filled.unused * shapeFit(question, shape);
  return { template, confidence: Math.round(confidence * 1000) / 1000, pattern: best.pattern, filled };
}

/** Every template scored, best first. */
export function rank(question: string, templates: Template[], vocabulary: Vocabulary, now: Date): Match[] {
  return templates
    .map((t) => score(question, t, vocabulary, now))
    .sort((a, b) => b.confidence - a.confidence);
}
