import { levenshteinSimilarity } from '../agreement/similarity.ts';

/**
 * Ragas' metrics that need no model, computed as Ragas defines them (ragas.metrics:
 * NonLLMStringSimilarity, NonLLMContextPrecisionWithReference, NonLLMContextRecall,
 * BleuScore, RougeScore). Pure functions, no I/O.
 */

/** NonLLMStringSimilarity with its default measure: 1 − normalised Levenshtein distance. */
export function stringSimilarity(reference: string, response: string): number {
  return levenshteinSimilarity(reference, response);
}

const bestMatch = (text: string, others: readonly string[]) =>
  others.reduce((best, o) => Math.max(best, stringSimilarity(o, text)), 0);

/**
 * NonLLMContextPrecisionWithReference: a retrieved context is relevant when its best string
 * similarity to a reference context is ≥ threshold; the score is the average precision of
 * those verdicts.
 */
export function contextPrecisionWithReference(
  retrieved: readonly string[],
  referenceContexts: readonly string[],
  threshold = 0.5,
): number {
  return averagePrecision(retrieved.map((rc) => (bestMatch(rc, referenceContexts) >= threshold ? 1 : 0)));
}

/**
 * Ragas' average precision of relevance verdicts (1 or 0) in retrieval order, shared by its
 * context precision metrics: Σ_k (precision@k · v_k) / (Σ v_k + 1e-10).
 */
export function averagePrecision(verdicts: readonly number[]): number {
  let hits = 0;
  let numerator = 0;
  verdicts.forEach((v, i) => {
    hits += v;
    numerator += (hits / (i + 1)) * v;
  });
  return numerator / (hits + 1e-10);
}

/**
 * NonLLMContextRecall: the share of reference contexts whose best string similarity to a
 * retrieved context is > threshold (strictly, as in Ragas).
 */
export function contextRecall(
  retrieved: readonly string[],
  referenceContexts: readonly string[],
  threshold = 0.5,
): number {
  const recalled = referenceContexts.filter((ref) => bestMatch(ref, retrieved) > threshold).length;
  return recalled / referenceContexts.length;
}

// ---------------------------------------------------------------------------------------
// BLEU as sacrebleu computes it (tokenizer 13a, 4-grams, "exp" smoothing, closest reference
// length), which Ragas' BleuScore calls.

/** sacrebleu's default tokenizer, "13a" (mteval-v13a). */
export function tokenize13a(line: string): string[] {
  if (line === '') return [];
  let s = line.replaceAll('<skipped>', '').replaceAll('-\n', '').replaceAll('\n', ' ');
  if (s.includes('&'))
    s = s.replaceAll('&quot;', '"').replaceAll('&amp;', '&').replaceAll('&lt;', '<').replaceAll('&gt;', '>');
  s = ` ${s} `
    .replace(/([{-~[-` -&(-+:-@/])/g, ' $1 ')
    .replace(/([^0-9])([.,])/g, '$1 $2 ')
    .replace(/([.,])([^0-9])/g, ' $1 $2')
    .replace(/([0-9])(-)/g, '$1 $2 ');
  return s.split(/\s+/).filter(Boolean);
}

function ngrams(tokens: string[], max: number): Map<string, number> {
  const out = new Map<string, number>();
  for (let n = 1; n <= max; n++) {
    for (let i = 0; i + n <= tokens.length; i++) {
      const g = `${n}\u0000${tokens.slice(i, i + n).join('\u0000')}`;
      out.set(g, (out.get(g) ?? 0) + 1);
    }
  }
  return out;
}

export interface BleuResult {
  /** 0–100, as sacrebleu reports it. */
  score: number;
  precisions: number[];
  brevityPenalty: number;
  hypLength: number;
  refLength: number;
}

/**
 * sacrebleu.corpus_bleu(hypotheses, references): `references` are reference streams, each
 * with one reference per hypothesis.
 */
export function corpusBleu(
  hypotheses: readonly string[],
  references: readonly (readonly string[])[],
): BleuResult {
  const order = 4;
  const correct = new Array<number>(order).fill(0);
  const total = new Array<number>(order).fill(0);
  let hypLength = 0;
  let refLength = 0;
  hypotheses.forEach((hyp, i) => {
    const h = tokenize13a(hyp);
    const refs = references.map((stream) => tokenize13a(stream[i] ?? ''));
    hypLength += h.length;
    // The reference length closest to the hypothesis's; on a tie, the shorter.
    let closest = Number.POSITIVE_INFINITY;
    let closestLength = 0;
    for (const r of refs) {
      const diff = Math.abs(h.length - r.length);
      if (diff < closest || (diff === closest && r.length < closestLength)) {
        closest = diff;
        closestLength = r.length;
      }
    }
    refLength += closestLength;
    const maxRef = new Map<string, number>();
    for (const r of refs)
      for (const [g, c] of ngrams(r, order)) maxRef.set(g, Math.max(maxRef.get(g) ?? 0, c));
    for (const [g, c] of ngrams(h, order)) {
      const n = Number(g.slice(0, g.indexOf('\u0000')));
      correct[n - 1]! += Math.min(c, maxRef.get(g) ?? 0);
    }
    for (let n = 1; n <= order; n++) total[n - 1]! += Math.max(0, h.length - n + 1);
  });
  const precisions = new Array<number>(order).fill(0);
  let smooth = 1;
  for (let n = 0; n < order; n++) {
    if (total[n] === 0) break;
    if (correct[n] === 0) {
      smooth *= 2;
      precisions[n] = 100 / (smooth * total[n]!);
    } else precisions[n] = (100 * correct[n]!) / total[n]!;
  }
  const brevityPenalty =
    hypLength === 0 ? 0 : hypLength < refLength ? Math.exp(1 - refLength / hypLength) : 1;
  const logSum = precisions.reduce((s, p) => s + (p > 0 ? Math.log(p) : -9999999999), 0);
  return {
    score: brevityPenalty * Math.exp(logSum / order),
    precisions,
    brevityPenalty,
    hypLength,
    refLength,
  };
}

/**
 * Ragas' BleuScore: the response and the reference are split at ". " into sentences, each
 * response sentence is a hypothesis, each reference sentence a reference (for every
 * hypothesis), and the corpus BLEU is scaled to 0–1. (Ragas hands sacrebleu one single-item
 * reference stream per reference sentence, which sacrebleu accepts for a one-sentence
 * response only; for longer responses every reference sentence serves every hypothesis.)
 */
export function bleuScore(reference: string, response: string): number {
  const refs = reference.split('. ');
  const hyps = response.split('. ');
  return (
    corpusBleu(
      hyps,
      refs.map((r) => hyps.map(() => r)),
    ).score / 100
  );
}

// ---------------------------------------------------------------------------------------
// ROUGE-L as Google's rouge_score computes it, which Ragas' RougeScore calls.

/** rouge_score's tokenizer: lower case, runs of anything but [a-z0-9] separate tokens. */
export function rougeTokens(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .split(' ')
    .filter(Boolean);
}

function lcsLength(a: string[], b: string[]): number {
  const row = new Uint32Array(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = 0;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = a[i - 1] === b[j - 1] ? diagonal + 1 : Math.max(above, row[j - 1]!);
      diagonal = above;
    }
  }
  return row[b.length]!;
}

export interface RougeResult {
  precision: number;
  recall: number;
  fmeasure: number;
}

/** rouge_score's rougeL of a prediction against a target (reference). */
export function rougeL(reference: string, response: string): RougeResult {
  const target = rougeTokens(reference);
  const prediction = rougeTokens(response);
  if (target.length === 0 || prediction.length === 0) return { precision: 0, recall: 0, fmeasure: 0 };
  const lcs = lcsLength(target, prediction);
  const precision = lcs / prediction.length;
  const recall = lcs / target.length;
  const fmeasure = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { precision, recall, fmeasure };
}

// ---------------------------------------------------------------------------------------

/** The record Ragas scores (SingleTurnSample's fields under this API's names). */
export interface RagasRecord {
  question?: string | null;
  answer?: string | null;
  contexts?: readonly string[] | null;
  reference?: string | null;
  reference_contexts?: readonly string[] | null;
}

/** Ragas' metric names; the LLM-based ones join this list with the LLM integration. */
export const NON_LLM_METRICS = [
  'non_llm_context_precision_with_reference',
  'non_llm_context_recall',
  'non_llm_string_similarity',
  'bleu_score',
  'rouge_score',
] as const;
export type NonLlmMetric = (typeof NON_LLM_METRICS)[number];

/** What each metric needs from a record (Ragas' required columns). */
const NEEDS: Record<NonLlmMetric, (keyof RagasRecord)[]> = {
  non_llm_context_precision_with_reference: ['contexts', 'reference_contexts'],
  non_llm_context_recall: ['contexts', 'reference_contexts'],
  non_llm_string_similarity: ['reference', 'answer'],
  bleu_score: ['reference', 'answer'],
  rouge_score: ['reference', 'answer'],
};

export const present = (v: unknown) => (Array.isArray(v) ? v.length > 0 : typeof v === 'string');

/**
 * Scores a record on the metrics asked for. A metric whose inputs are missing is left out
 * of `scores` and named in `skipped` with the fields it needs.
 */
export function scoreRecord(
  record: RagasRecord,
  metrics: readonly NonLlmMetric[] = NON_LLM_METRICS,
): { scores: Record<string, number>; skipped: Record<string, string> } {
  const scores: Record<string, number> = {};
  const skipped: Record<string, string> = {};
  for (const m of metrics) {
    const missing = NEEDS[m].filter((f) => !present(record[f]));
    if (missing.length) {
      skipped[m] = `needs ${missing.join(' and ')}`;
      continue;
    }
    const contexts = record.contexts ?? [];
    const refContexts = record.reference_contexts ?? [];
    const reference = record.reference ?? '';
    const answer = record.answer ?? '';
    switch (m) {
      case 'non_llm_context_precision_with_reference':
        scores[m] = contextPrecisionWithReference(contexts, refContexts);
        break;
      case 'non_llm_context_recall':
        scores[m] = contextRecall(contexts, refContexts);
        break;
      case 'non_llm_string_similarity':
        scores[m] = stringSimilarity(reference, answer);
        break;
      case 'bleu_score':
        scores[m] = bleuScore(reference, answer);
        break;
      case 'rouge_score':
        scores[m] = rougeL(reference, answer).fmeasure;
        break;
    }
  }
  return { scores, skipped };
}
