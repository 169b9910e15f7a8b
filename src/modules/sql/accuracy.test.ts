import { beforeAll, describe, expect, it } from 'vitest';
import { newTenant, type TenantFixture } from '../../../test/fixtures.ts';
import { type TestContext, testApp } from '../../../test/helpers.ts';
import {
  ACCURACY_SET,
  type AccuracyQuestion,
  HELD_OUT_SET,
  sameAnswer,
  seedAccuracyData,
} from '../../../test/sql-accuracy.ts';

/**
 * Execution accuracy of the template method and of hybrid (which, with no LLM bound,
 * answers from the templates alone) on two sets; both figures are printed.
 *
 * The development set's bound sits just under the figure last measured (62 of 62 on both
 * drivers after the pack covered the set's gaps and the matcher read "each" and "which …
 * the most"; 35 before, 33 when the set was written). The templates were added for the
 * questions that failed, so that figure is coverage of this set, not a fair one.
 *
 * The held-out set was written after the pack, without reading it or the matcher, and
 * committed before it was scored; its bound sits just under its first measurement (31 of
 * 56 on both drivers, for both methods), so it reports honestly and keeps the figure from
 * sliding back. Do not write templates against its failures and still call it held out.
 */
const SETS: { name: string; questions: AccuracyQuestion[]; size: number; bound: number }[] = [
  { name: 'development set', questions: ACCURACY_SET, size: 60, bound: 0.98 },
  { name: 'held-out set', questions: HELD_OUT_SET, size: 40, bound: 0.55 },
];

let ctx: TestContext;
let t: TenantFixture;

beforeAll(async () => {
  ctx = await testApp();
  t = await newTenant(ctx);
  await seedAccuracyData(ctx, t);
});

for (const { name, questions, size, bound } of SETS)
  describe(`the ${name}`, () => {
    const expected = new Map<string, Record<string, unknown>[]>();

    it('has reference queries that run and answer with rows', async () => {
      for (const { question, gold } of questions) {
        const res = await t.as(t.owner, { method: 'POST', url: '/api/v1/sql/run', payload: { sql: gold } });
        expect(res.statusCode, `${question}: ${res.body}`).toBe(200);
        const rows = res.json().rows as Record<string, unknown>[];
        expect(rows.length, question).toBeGreaterThan(0);
        expect(
          Object.values(rows[0]!).some((v) => v !== null),
          question,
        ).toBe(true);
        expect(sameAnswer(rows, rows)).toBe(true);
        expected.set(question, rows);
      }
      expect(questions.length).toBeGreaterThanOrEqual(size);
      expect(new Set(questions.map((q) => q.question)).size).toBe(questions.length);
    });

    for (const method of ['template', 'hybrid'] as const)
      it(`is answered by the ${method} method`, async () => {
        const wrong: string[] = [];
        for (const { question } of questions) {
          const res = await t.as(t.owner, {
            method: 'POST',
            url: '/api/v1/sql/ask',
            payload: { question, method },
          });
          expect([200, 400, 422], `${question}: ${res.body}`).toContain(res.statusCode);
          if (res.statusCode !== 200 || !sameAnswer(res.json().rows, expected.get(question)!))
            wrong.push(
              `${question} → ${res.statusCode === 200 ? `${res.json().template_id} ${res.json().confidence} ${JSON.stringify(res.json().rows).slice(0, 150)}` : res.json().detail}`,
            );
        }
        const accuracy = 1 - wrong.length / questions.length;
        console.log(
          `text-to-SQL execution accuracy, ${name}, ${method}: ${(accuracy * 100).toFixed(1)}% (${questions.length - wrong.length}/${questions.length})${wrong.map((w) => `\n  wrong: ${w}`).join('')}`,
        );
        expect(accuracy).toBeGreaterThanOrEqual(bound);
      });
  });
