import { describe, expect, it } from 'vitest';
import { chartOption, suggestChart } from '../web/src/pages/ask/chart.ts';

const rows = (n: number, make: (i: number) => Record<string, unknown>) =>
  Array.from({ length: n }, (_, i) => make(i));

describe('the chart the Ask page suggests', () => {
  it('draws a line over a date or period column', () => {
    const days = rows(3, (i) => ({ day: `2026-03-0${i + 1}`, tasks: i }));
    expect(suggestChart(['day', 'tasks'], days)).toBe('line');
    const months = rows(3, (i) => ({ month: `2026-0${i + 1}`, amount: `${i}.50` }));
    expect(suggestChart(['month', 'amount'], months)).toBe('line');
  });

  it('draws a pie for one label and one number in at most 8 rows, else a bar', () => {
    const few = rows(8, (i) => ({ project: `P${i}`, tasks: i }));
    expect(suggestChart(['project', 'tasks'], few)).toBe('pie');
    const many = rows(9, (i) => ({ project: `P${i}`, tasks: i }));
    expect(suggestChart(['project', 'tasks'], many)).toBe('bar');
    const two = rows(3, (i) => ({ project: `P${i}`, tasks: i, annotations: String(i * 2) }));
    expect(suggestChart(['project', 'tasks', 'annotations'], two)).toBe('bar');
  });

  it('suggests none without exactly one label column and a number, or without rows', () => {
    expect(suggestChart(['project', 'tasks'], [])).toBeNull();
    expect(suggestChart(['a', 'b'], [{ a: 'x', b: 'y' }])).toBeNull();
    expect(suggestChart(['n', 'm'], [{ n: 1, m: 2 }])).toBeNull();
  });

  it('puts the label on the axis and one series per number column', () => {
    const data = [
      { project: 'A', tasks: 2, amount: '1.50' },
      { project: 'B', tasks: 1, amount: null },
    ];
    expect(chartOption('bar', ['project', 'tasks', 'amount'], data)).toMatchObject({
      xAxis: { data: ['A', 'B'] },
      series: [
        { type: 'bar', name: 'tasks', data: [2, 1] },
        { type: 'bar', name: 'amount', data: [1.5, null] },
      ],
    });
  });
});
