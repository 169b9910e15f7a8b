import { beforeAll, describe, expect, it } from 'vitest';
import { newTenant, type TenantFixture } from '../../../test/fixtures.ts';
import { type TestContext, testApp } from '../../../test/helpers.ts';
import { ACCURACY_SET, sameAnswer, seedAccuracyData } from '../../../test/sql-accuracy.ts';

/**
 * Execution accuracy of the template method and of hybrid (which, with no LLM bound,
 * answers from the templates alone) on the accuracy set. The figure is printed; the
 * bound, just under the figure last measured (62 of 62 on both drivers after the pack
 * covered the set's gaps and the matcher read "each" and "which … the most"; 35 before,
 * 33 when the set was written), keeps it from sliding back unnoticed. The templates were
 * added for the questions that failed, so this is coverage of this set, not a held-out figure.
 */
const BOUND = 0.98;

let ctx: TestContext;
let t: TenantFixture;
const expected = new Map<string, Record<string, unknown>[]>();

beforeAll(async () => {
  ctx = await testApp();
  t = await newTenant(ctx);
  await seedAccuracyData(ctx, t);
});

describe('the accuracy set', () => {
  it('has reference queries that run and answer with rows', async () => {
    for (const { question, gold } of ACCURACY_SET) {
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
    expect(ACCURACY_SET.length).toBeGreaterThanOrEqual(60);
  });

  for (const method of ['template', 'hybrid'] as const)
    it(`is answered by the ${method} method`, async () => {
      const wrong: string[] = [];
      for (const { question } of ACCURACY_SET) {
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
      const accuracy = 1 - wrong.length / ACCURACY_SET.length;
      console.log(
        `text-to-SQL execution accuracy, ${method}: ${(accuracy * 100).toFixed(1)}% (${ACCURACY_SET.length - wrong.length}/${ACCURACY_SET.length})${wrong.map((w) => `\n  wrong: ${w}`).join('')}`,
      );
      expect(accuracy).toBeGreaterThanOrEqual(BOUND);
    });
});
