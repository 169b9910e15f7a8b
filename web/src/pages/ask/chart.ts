import type { EChartsCoreOption } from 'echarts/core';

export type ChartKind = 'bar' | 'line' | 'pie';

const numeric = (v: unknown) =>
  typeof v === 'number' || (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)));
const PERIOD = /^\d{4}-\d{2}(-\d{2})?([T ][\d:.]+Z?)?$|^\d{4}-W\d{2}$|^\d{4}(-Q[1-4])?$/;

/** Columns whose every non-null value is a number (numeric comes as text), and the others. */
export function columnKinds(columns: string[], rows: Record<string, unknown>[]) {
  const filled = (c: string) => rows.map((r) => r[c]).filter((v) => v !== null && v !== undefined);
  const numbers = columns.filter((c) => filled(c).length > 0 && filled(c).every(numeric));
  const labels = columns.filter((c) => !numbers.includes(c));
  const periods = labels.filter(
    (c) => filled(c).length > 0 && filled(c).every((v) => PERIOD.test(String(v))),
  );
  return { numbers, labels, periods };
}

/**
 * The chart a result suggests: a line over a date or period column, a pie for one label and
 * one number in at most 8 rows, a bar for one label and numbers; none otherwise.
 */
export function suggestChart(columns: string[], rows: Record<string, unknown>[]): ChartKind | null {
  if (rows.length === 0) return null;
  const { numbers, labels, periods } = columnKinds(columns, rows);
  if (labels.length !== 1 || numbers.length === 0) return null;
  if (periods.length === 1) return 'line';
  if (numbers.length === 1 && rows.length <= 8) return 'pie';
  return 'bar';
}

/** Whether a kind can draw the result at all (one label column and numbers). */
export const chartable = (columns: string[], rows: Record<string, unknown>[]) => {
  const { numbers, labels } = columnKinds(columns, rows);
  return rows.length > 0 && labels.length === 1 && numbers.length > 0;
};

/** A gap for a missing value, not a zero. */
const value = (v: unknown) => (v === null || v === undefined ? null : Number(v));

export function chartOption(
  kind: ChartKind,
  columns: string[],
  rows: Record<string, unknown>[],
): EChartsCoreOption {
  const { numbers, labels } = columnKinds(columns, rows);
  const label = labels[0]!;
  const names = rows.map((r) => String(r[label] ?? '—'));
  if (kind === 'pie')
    return {
      tooltip: { trigger: 'item' },
      legend: { bottom: 0 },
      series: [
        {
          type: 'pie',
          name: numbers[0],
          radius: '65%',
          data: rows.map((r, i) => ({ name: names[i], value: value(r[numbers[0]!]) })),
        },
      ],
    };
  return {
    tooltip: { trigger: 'axis' },
    legend: { bottom: 0 },
    grid: { left: 48, right: 16, top: 16, bottom: 48 },
    xAxis: { type: 'category', data: names },
    yAxis: { type: 'value' },
    series: numbers.map((n) => ({ type: kind, name: n, data: rows.map((r) => value(r[n])) })),
  };
}
