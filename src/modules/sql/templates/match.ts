import type { Template } from './pack.ts';
import { type Filled, fillSlots, type Span, type Vocabulary } from './slots.ts';

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
 * The features compared: Chinese as characters and character pairs (no spaces to split
 * on), everything else as lower-cased words with a plural -s dropped.
 */
export function features(text: string): string[] {
  const out: string[] = [];
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

/**
 * Scores one template: the question without what its slots took, against each pattern
 * without its placeholders; the best pattern counts, scaled by the slots filled.
 */
export function score(question: string, template: Template, vocabulary: Vocabulary, now: Date): Match {
  const filled = fillSlots(question, template.slots, vocabulary, now);
  const rest = features(cut(question, filled.used));
  let best = { pattern: template.patterns[0]?.text ?? '', similarity: 0 };
  for (const p of template.patterns) {
    const s = similarity(rest, features(p.text.replace(/\{[a-z_]+\}/g, ' ')));
    if (s > best.similarity) best = { pattern: p.text, similarity: s };
  }
  const slots = template.slots.length;
  const coverage = slots === 0 ? 1 : (slots - filled.missing.length) / slots;
  const confidence = best.similarity * coverage * UNUSED_PENALTY ** filled.unused;
  return { template, confidence: Math.round(confidence * 1000) / 1000, pattern: best.pattern, filled };
}

/** Every template scored, best first. */
export function rank(question: string, templates: Template[], vocabulary: Vocabulary, now: Date): Match[] {
  return templates
    .map((t) => score(question, t, vocabulary, now))
    .sort((a, b) => b.confidence - a.confidence);
}
