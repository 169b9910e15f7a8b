import { describe, expect, it } from 'vitest';
import {
  bleuScore,
  contextPrecisionWithReference,
  contextRecall,
  corpusBleu,
  rougeL,
  scoreRecord,
  stringSimilarity,
  tokenize13a,
} from './ragas.metrics.ts';

describe('BLEU (sacrebleu)', () => {
  it("reproduces sacrebleu's README example: 48.53 82.4/50.0/45.5/37.5 (BP 0.943, 17/18)", () => {
    const hyps = ['The dog bit the man.', "It wasn't surprising.", 'The man had just bitten him.'];
    const refs = [
      ['The dog bit the man.', 'It was not unexpected.', 'The man bit him first.'],
      ['The dog had bit the man.', 'No one was surprised.', 'The man had bitten the dog.'],
    ];
    const r = corpusBleu(hyps, refs);
    expect(r.hypLength).toBe(17);
    expect(r.refLength).toBe(18);
    expect(r.precisions.map((p) => p.toFixed(1))).toEqual(['82.4', '50.0', '45.5', '37.5']);
    expect(r.brevityPenalty.toFixed(3)).toBe('0.943');
    expect(r.score.toFixed(2)).toBe('48.53');
  });

  it('tokenizes like 13a: punctuation apart, apostrophes and decimals kept', () => {
    expect(tokenize13a("It wasn't 3.5 km-long, (really)!")).toEqual([
      'It',
      "wasn't",
      '3.5',
      'km-long',
      ',',
      '(',
      'really',
      ')',
      '!',
    ]);
  });

  it('is 1 for an identical answer and smooths missing n-grams', () => {
    expect(bleuScore('The capital of France is Paris.', 'The capital of France is Paris.')).toBeCloseTo(
      1,
      12,
    );
    // No 3- or 4-gram matches: exp smoothing keeps the score above 0.
    const s = bleuScore('The cat sat on the mat', 'The cat lay on the mat');
    expect(s).toBeGreaterThan(0);
    expect(s).toBeLessThan(1);
  });
});

describe('ROUGE-L (rouge_score)', () => {
  it("reproduces Lin (2004)'s sentence examples: 3/4 and 2/4", () => {
    const ref = 'police killed the gunman';
    expect(rougeL(ref, 'police kill the gunman').fmeasure).toBeCloseTo(0.75, 12);
    expect(rougeL(ref, 'the gunman kill police').fmeasure).toBeCloseTo(0.5, 12);
  });

  it("reproduces rouge_score's README example: rougeL P 0.625, R 0.556, F 0.588", () => {
    const r = rougeL('The quick brown fox jumps over the lazy dog', 'The quick brown dog jumps on the log.');
    expect(r.precision).toBeCloseTo(0.625, 12);
    expect(r.recall).toBeCloseTo(0.5555555555555556, 12);
    expect(r.fmeasure).toBeCloseTo(0.5882352941176471, 12);
  });
});

describe('Ragas non-LLM context metrics', () => {
  it("reproduces Ragas' NonLLMContextPrecisionWithReference example (0.9999999999)", () => {
    const score = contextPrecisionWithReference(
      ['The Eiffel Tower is located in Paris.'],
      ['Paris is the capital of France.', 'The Eiffel Tower is one of the most famous landmarks in Paris.'],
    );
    expect(score).toBeCloseTo(0.9999999999, 10);
    expect(score).toBeLessThan(1);
  });

  it('averages precision over the retrieval order', () => {
    const ref = ['alpha beta gamma'];
    // Verdicts 1, 0, 1: (1/1 + 2/3) / 2.
    expect(
      contextPrecisionWithReference(['alpha beta gamma', 'zzzzzzzzzzzzzzzz', 'alpha beta gamme'], ref),
    ).toBeCloseTo((1 + 2 / 3) / 2, 9);
    expect(contextPrecisionWithReference(['zzzz'], ref)).toBe(0);
  });

  it('recalls a reference context only above the threshold (strictly)', () => {
    expect(contextRecall(['alpha beta gamma'], ['alpha beta gamma', 'something else entirely'])).toBe(0.5);
    // "abcd" vs "abxy": similarity exactly 0.5, which is not above 0.5.
    expect(stringSimilarity('abcd', 'abxy')).toBe(0.5);
    expect(contextRecall(['abcd'], ['abxy'])).toBe(0);
    expect(contextPrecisionWithReference(['abcd'], ['abxy'])).toBeCloseTo(1, 9);
  });

  it('scores a record on the metrics its fields allow and names the rest', () => {
    const r = scoreRecord({ question: 'q', answer: 'Paris', reference: 'Paris', contexts: ['Paris'] });
    expect(r.scores).toEqual({
      non_llm_string_similarity: 1,
      bleu_score: expect.any(Number),
      rouge_score: 1,
    });
    expect(r.skipped).toEqual({
      non_llm_context_precision_with_reference: 'needs reference_contexts',
      non_llm_context_recall: 'needs reference_contexts',
    });
  });
});
