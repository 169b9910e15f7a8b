import { Decimal as DecimalJs } from 'decimal.js';
import type { QualityTier } from './schema.ts';

/** Exact decimals for money: never binary floats. Half-up, as invoices round. */
export const Decimal = DecimalJs.clone({ precision: 40, rounding: DecimalJs.ROUND_HALF_UP });
export type Decimal = DecimalJs;
export type DecimalValue = DecimalJs.Value;

/** ISO 4217 minor units of the currencies a rule may use. */
export const MINOR_UNITS: Record<string, number> = {
  CNY: 2,
  USD: 2,
  EUR: 2,
  GBP: 2,
  HKD: 2,
  TWD: 2,
  SGD: 2,
  AUD: 2,
  CAD: 2,
  CHF: 2,
  INR: 2,
  RUB: 2,
  JPY: 0,
  KRW: 0,
  VND: 0,
  BHD: 3,
  KWD: 3,
};

export const CURRENCIES = Object.keys(MINOR_UNITS);

/** Rounds half-up to the currency's minor unit. */
export function roundMoney(amount: DecimalValue, currency: string): Decimal {
  const places = MINOR_UNITS[currency];
  if (places === undefined) throw new Error(`unknown currency ${currency}`);
  return new Decimal(amount).toDecimalPlaces(places, Decimal.ROUND_HALF_UP);
}

/** A money amount as a string with exactly the currency's minor-unit places. */
export function formatMoney(amount: DecimalValue, currency: string): string {
  return roundMoney(amount, currency).toFixed(MINOR_UNITS[currency]!);
}

export const DEFAULT_QUALITY_TIERS: QualityTier[] = [
  { min: '0.90', multiplier: '1.2' },
  { min: '0.80', multiplier: '1.0' },
  { min: '0.70', multiplier: '0.9' },
  { min: '0.50', multiplier: '0.7' },
];

export const DEFAULT_DIFFICULTY_MULTIPLIERS: Record<string, string> = {
  easy: '0.8',
  normal: '1.0',
  hard: '1.3',
  expert: '1.6',
};

/**
 * The quality multiplier for a mean quality score: the tier with the highest `min` the
 * score reaches (boundaries inclusive); below the lowest tier nothing is paid (0). With no
 * score at all the multiplier is 1.
 */
export function qualityMultiplier(score: DecimalValue | null, tiers: QualityTier[]): Decimal {
  if (score === null) return new Decimal(1);
  const q = new Decimal(score);
  const sorted = [...tiers].sort((a, b) => new Decimal(b.min).comparedTo(a.min));
  for (const tier of sorted) if (q.gte(tier.min)) return new Decimal(tier.multiplier);
  return new Decimal(0);
}
