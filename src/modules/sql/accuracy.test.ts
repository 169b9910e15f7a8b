import { beforeAll, describe, expect, it } from 'vitest';
import { newTenant, type TenantFixture } from '../../../test/fixtures.ts';
import { type TestContext, testApp } from '../../../test/helpers.ts';
import { ACCURACY_SET, sameAnswer, seedAccuracyData } from '../../../test/sql-accuracy.ts';

/**
 * Execution accuracy of the template method and of hybrid (which, with no LLM bound,
 * answers from the templates alone) on the accuracy set.
 */
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
});
