import { describe, expect, it } from 'vitest';
import {
  answerRelevancyScore,
  attributionAsk,
  contextRecallScore,
  cosine,
  faithfulnessScore,
  verdictsAsk,
} from './ragas.llm.ts';
import { averagePrecision } from './ragas.metrics.ts';

describe("Ragas' LLM metric formulas", () => {
  it("faithfulness: Ragas' Einstein example (one of two statements supported) is 0.5", () => {
    // "Einstein was born in Germany on 20th March 1879": born in Germany yes, 20th March no.
    expect(faithfulnessScore([1, 0])).toBe(0.5);
    expect(faithfulnessScore([1, 1, 1])).toBe(1);
    expect(faithfulnessScore([0])).toBe(0);
    expect(faithfulnessScore([])).toBeNull();
  });

  it("context precision: Ragas' Eiffel Tower examples, 0.9999999999 and 0.49999999995", () => {
    // [Eiffel Tower is in Paris, Brandenburg Gate is in Berlin]: the useful context first.
    expect(averagePrecision([1, 0])).toBeCloseTo(0.9999999999, 12);
    // The same contexts in the other order: the irrelevant one first halves the score.
    expect(averagePrecision([0, 1])).toBeCloseTo(0.49999999995, 12);
    expect(averagePrecision([1])).toBeCloseTo(0.9999999999, 12);
    expect(averagePrecision([0, 0])).toBe(0);
    // precision@1·1 + precision@3·1 over 2 relevant: (1 + 2/3) / 2.
    expect(averagePrecision([1, 0, 1])).toBeCloseTo((1 + 2 / 3) / 2, 9);
  });

  it('context recall: the share of reference statements attributed to the contexts', () => {
    expect(contextRecallScore([1, 0])).toBe(0.5);
    expect(contextRecallScore([1, 1, 0, 1])).toBe(0.75);
    expect(contextRecallScore([])).toBeNull();
  });

  it('answer relevancy: mean cosine to the generated questions, 0 when all are noncommittal', () => {
    expect(cosine([1, 0], [2, 0])).toBeCloseTo(1, 12);
    expect(cosine([1, 0], [0, 3])).toBeCloseTo(0, 12);
    expect(cosine([1, 1], [1, 0])).toBeCloseTo(Math.SQRT1_2, 12);
    const question = [1, 0];
    const generated = [
      [1, 0],
      [3, 0],
      [0, 1],
    ];
    expect(answerRelevancyScore(question, generated, [0, 0, 0])).toBeCloseTo(2 / 3, 12);
    // One noncommittal generation of three does not zero it (Ragas: all of them must be).
    expect(answerRelevancyScore(question, generated, [1, 0, 0])).toBeCloseTo(2 / 3, 12);
    expect(answerRelevancyScore(question, generated, [1, 1, 1])).toBe(0);
    expect(answerRelevancyScore(question, [[-1, 0]], [0])).toBeCloseTo(-1, 12);
    expect(answerRelevancyScore(question, [], [])).toBe(0);
  });

  it('bounds each reply: one verdict per statement, at most max_statements, max_chars per text', () => {
    const limits = { max_statements: 4, max_chars: 50 };
    const verdicts = verdictsAsk('ctx', ['a', 'b'], limits);
    const list = (verdicts.schema.properties as Record<string, { minItems: number; maxItems: number }>)
      .statements!;
    expect([list.minItems, list.maxItems]).toEqual([2, 2]);
    const recall = attributionAsk('q', 'ctx', 'ref', limits);
    expect((recall.schema.properties as Record<string, { maxItems: number }>).classifications!.maxItems).toBe(
      4,
    );
    // Longest reply: 2 + 4 × (item + 2), an item {statement, reason, attributed} at 50 chars each.
    const item =
      2 + ('statement'.length + 6 + 52) + ('reason'.length + 6 + 52) + ('attributed'.length + 6 + 1);
    expect(recall.maxTokens).toBe(3 * (2 + ('classifications'.length + 6) + 2 + 4 * (item + 2)) + 32);
  });
});
