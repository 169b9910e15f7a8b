import { describe, expect, it } from 'vitest';
import { currencyFormat } from './export.ts';
import { DEFAULT_QUALITY_TIERS, Decimal, formatMoney, qualityMultiplier, roundMoney } from './money.ts';
import { DEFAULT_TERMS, type RuleVersion } from './rules.service.ts';
import { projectSegments, termsAt } from './segments.ts';
import { billableSeconds } from './work.service.ts';

describe('money', () => {
  it('rounds half-up to the minor unit of the currency, exactly', () => {
    // The binary float nearest 0.105 lies just below it, so float rounding gives 0.10; exactly it is 0.11.
    expect((0.15 * 0.7).toFixed(2)).toBe('0.10');
    expect(formatMoney(new Decimal('0.15').times('0.7'), 'CNY')).toBe('0.11');
    expect(formatMoney('2.675', 'USD')).toBe('2.68');
    expect(formatMoney('0.125', 'EUR')).toBe('0.13');
    expect(formatMoney('-0.125', 'EUR')).toBe('-0.13');
    expect(formatMoney('1234.5', 'JPY')).toBe('1235');
    expect(formatMoney('999.4999', 'KRW')).toBe('999');
    expect(formatMoney('1.0005', 'KWD')).toBe('1.001');
    expect(() => roundMoney('1', 'XYZ')).toThrow();
  });

  it('sums rounded lines to a total that equals the sum of the lines', () => {
    const lines = ['0.105', '0.105', '0.105'].map((v) => roundMoney(v, 'CNY'));
    expect(lines.reduce((s, v) => s.plus(v), new Decimal(0)).toFixed(2)).toBe('0.33');
  });

  it('picks the quality multiplier with inclusive boundaries and pays nothing below the floor', () => {
    const m = (q: string | null) => qualityMultiplier(q, DEFAULT_QUALITY_TIERS).toString();
    expect(m('1')).toBe('1.2');
    expect(m('0.9')).toBe('1.2');
    expect(m('0.8999')).toBe('1');
    expect(m('0.8')).toBe('1');
    expect(m('0.7999')).toBe('0.9');
    expect(m('0.7')).toBe('0.9');
    expect(m('0.6999')).toBe('0.7');
    expect(m('0.5')).toBe('0.7');
    expect(m('0.4999')).toBe('0');
    expect(m(null)).toBe('1');
  });

  it('formats currency cells for Excel with the minor-unit places', () => {
    expect(currencyFormat('CNY')).toBe('#,##0.00 "CNY"');
    expect(currencyFormat('JPY')).toBe('#,##0 "JPY"');
    expect(currencyFormat('BHD')).toBe('#,##0.000 "BHD"');
  });
});

describe('lead time', () => {
  it('counts the rise of an annotation’s lead time, capped per annotation', () => {
    expect(billableSeconds(0, 1800, 600).toString()).toBe('600');
    expect(billableSeconds(300, 500, 600).toString()).toBe('200');
    expect(billableSeconds(500, 900, 600).toString()).toBe('100');
    expect(billableSeconds(600, 900, 600).toString()).toBe('0');
    expect(billableSeconds(500, 300, null).toString()).toBe('0');
    expect(billableSeconds(0, 12.5, null).toString()).toBe('12.5');
  });
});

describe('rule versions over a month', () => {
  const version = (id: number, from: string, mode: RuleVersion['mode']): RuleVersion => ({
    id,
    tenantId: 't',
    ruleId: 1,
    version: id,
    status: 'approved',
    mode,
    currency: 'CNY',
    countRate: '0.1',
    hourRate: '50',
    projectFee: '0',
    qualityTiers: DEFAULT_QUALITY_TIERS,
    difficultyMultipliers: {},
    payRejected: false,
    paySkipped: false,
    effectiveFrom: new Date(from),
    createdBy: null,
    approvedBy: null,
    approvedAt: null,
    createdAt: new Date(from),
  });
  const start = new Date('2025-04-01T00:00:00Z');
  const end = new Date('2025-05-01T00:00:00Z');

  it('splits the month at each change, prefers the project’s own rule, and falls back to the defaults', () => {
    const versions = [
      { projectId: null, version: version(1, '2025-04-10T00:00:00Z', 'count') },
      { projectId: null, version: version(2, '2025-04-20T00:00:00Z', 'time') },
      { projectId: 7, version: version(3, '2025-04-25T00:00:00Z', 'project') },
      { projectId: 8, version: version(4, '2025-04-15T00:00:00Z', 'hybrid') },
    ];
    const segs = projectSegments(7, start, end, versions, 0);
    expect(segs.map((s) => [s.terms.versionId, s.from.toISOString(), s.to.toISOString()])).toEqual([
      [null, '2025-04-01T00:00:00.000Z', '2025-04-10T00:00:00.000Z'],
      [1, '2025-04-10T00:00:00.000Z', '2025-04-20T00:00:00.000Z'],
      [2, '2025-04-20T00:00:00.000Z', '2025-04-25T00:00:00.000Z'],
      [3, '2025-04-25T00:00:00.000Z', '2025-05-01T00:00:00.000Z'],
    ]);
    expect(segs.map((s) => s.seg)).toEqual([0, 1, 2, 3]);
    expect(termsAt(new Date('2025-04-05T00:00:00Z'), 9, versions)).toBe(DEFAULT_TERMS);
    // A project rule in force hides later tenant-wide changes.
    const own = projectSegments(8, start, end, versions, 10);
    expect(own.map((s) => s.terms.versionId)).toEqual([null, 1, 4]);
  });
});
