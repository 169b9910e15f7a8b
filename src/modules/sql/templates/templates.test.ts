import { describe, expect, it } from 'vitest';
import { rank } from './match.ts';
import { BUILTIN_TEMPLATES } from './pack.ts';
import { asksForOne, chineseNumber, fillSlots, findEnum, findNumbers, findPeriods } from './slots.ts';

// Wednesday 18 March 2026, 10:00 UTC.
const NOW = new Date('2026-03-18T10:00:00Z');
const range = (text: string) => {
  const [p] = findPeriods(text, NOW);
  return p && [p.from.toISOString().slice(0, 10), p.to.toISOString().slice(0, 10)];
};
const vocabulary = {
  projects: [
    { id: 7, title: '街景标注' },
    { id: 8, title: 'Street Signs' },
  ],
  members: [{ userId: 'u-1', name: 'Alice Wang', email: 'alice@example.test' }],
};

describe('slot filling', () => {
  it.each([
    ['today', ['2026-03-18', '2026-03-19']],
    ['今天', ['2026-03-18', '2026-03-19']],
    ['yesterday', ['2026-03-17', '2026-03-18']],
    ['昨天', ['2026-03-17', '2026-03-18']],
    ['this week', ['2026-03-16', '2026-03-23']],
    ['本周', ['2026-03-16', '2026-03-23']],
    ['last week', ['2026-03-09', '2026-03-16']],
    ['上周', ['2026-03-09', '2026-03-16']],
    ['this month', ['2026-03-01', '2026-04-01']],
    ['本月', ['2026-03-01', '2026-04-01']],
    ['last month', ['2026-02-01', '2026-03-01']],
    ['上个月', ['2026-02-01', '2026-03-01']],
    ['last 7 days', ['2026-03-12', '2026-03-19']],
    ['最近7天', ['2026-03-12', '2026-03-19']],
    ['过去30天', ['2026-02-17', '2026-03-19']],
    ['最近七天', ['2026-03-12', '2026-03-19']],
    ['2026年3月', ['2026-03-01', '2026-04-01']],
    ['March 2026', ['2026-03-01', '2026-04-01']],
    ['2026-03', ['2026-03-01', '2026-04-01']],
    ['2025年12月', ['2025-12-01', '2026-01-01']],
  ])('reads %s as a half-open UTC range', (text, expected) => {
    expect(range(`annotations ${text} please`)).toEqual(expected);
  });

  it('crosses the year going back a month in January', () => {
    const [p] = findPeriods('last month', new Date('2026-01-05T00:00:00Z'));
    expect([p!.from.toISOString(), p!.to.toISOString()]).toEqual([
      '2025-12-01T00:00:00.000Z',
      '2026-01-01T00:00:00.000Z',
    ]);
    expect(findPeriods('2026年13月 or 2026-00', NOW)).toEqual([]);
  });

  it('reads digits and Chinese numerals, but not the digits of a period', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((n) => chineseNumber('一二三四五六七八九十'[n - 1]!))).toEqual(
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    );
    expect(chineseNumber('二十三')).toBe(23);
    expect(chineseNumber('十五')).toBe(15);
    expect(chineseNumber('十十')).toBeUndefined();
    expect(findNumbers('前五名').map((n) => n.value)).toEqual([5]);
    const filled = fillSlots(
      '最近7天标注最多的前3名',
      [
        { name: 'n', type: 'number' },
        { name: 'period', type: 'period' },
      ],
      vocabulary,
      NOW,
    );
    expect(filled.params).toEqual([3, '2026-03-12T00:00:00.000Z', '2026-03-19T00:00:00.000Z']);
  });

  it('reads enum values in English and Chinese', () => {
    const statuses = ['pending', 'in_progress', 'completed', 'reviewed', 'cancelled'];
    expect(findEnum('已完成的任务', statuses)[0]?.value).toBe('completed');
    expect(findEnum('待处理的任务', statuses)[0]?.value).toBe('pending');
    expect(findEnum('tasks in progress', statuses)[0]?.value).toBe('in_progress');
    const reviews = ['pending', 'in_review', 'approved', 'rejected', 'modification_requested'];
    expect(findEnum('已通过的标注', reviews)[0]?.value).toBe('approved');
    expect(findEnum('被拒绝的标注', reviews)[0]?.value).toBe('rejected');
    expect(findEnum('rejected annotations', reviews)[0]?.value).toBe('rejected');
    expect(findEnum('高优先级', ['low', 'medium', 'high', 'urgent'])[0]?.value).toBe('high');
    expect(findEnum('最高质量分', ['low', 'medium', 'high', 'urgent'])).toEqual([]);
    // A value said literally is a whole word: "lowest" and "highest" are not priorities.
    expect(findEnum('lowest and highest quality', ['low', 'medium', 'high', 'urgent'])).toEqual([]);
    expect(findEnum('how many rejections', reviews)[0]?.value).toBe('rejected');
    expect(findEnum('每个审核员通过了多少', reviews)[0]?.value).toBe('approved');
  });

  it('reads a decimal as one number, and n = 1 for a ranking asked for its first', () => {
    expect(findNumbers('质量分低于0.7').map((n) => n.value)).toEqual([0.7]);
    const n = [{ name: 'n', type: 'number' as const, default: 10 }];
    expect(fillSlots('who annotated the most', n, vocabulary, NOW, { firstOnly: true }).params).toEqual([1]);
    expect(fillSlots('top 3 annotators', n, vocabulary, NOW, { firstOnly: true }).params).toEqual([3]);
    expect(asksForOne('上个月哪个标注员标注最多？')).toBe(true);
    expect(asksForOne('Which project had the lowest score?')).toBe(true);
    expect(asksForOne('Which annotators have the lowest scores?')).toBe(false);
    expect(asksForOne('How many tasks does each project have?')).toBe(false);
  });

  it('counts an enum value that no slot takes against the template', () => {
    const status = [{ name: 'status', type: 'enum' as const, values: ['completed', 'pending'] }];
    expect(fillSlots('每个项目已完成的任务', status, vocabulary, NOW).unused).toBe(0);
    expect(fillSlots('每个项目已完成的任务', [], vocabulary, NOW).unused).toBe(1);
  });

  it('matches project titles and member names or emails, and tells what is missing', () => {
    const slots = [
      { name: 'project', type: 'project' as const },
      { name: 'member', type: 'member' as const },
    ];
    expect(fillSlots('街景标注里alice wang的标注', slots, vocabulary, NOW)).toMatchObject({
      params: [7, 'u-1'],
      missing: [],
    });
    expect(fillSlots('alice@example.test in street signs', slots, vocabulary, NOW).params).toEqual([
      8,
      'u-1',
    ]);
    expect(fillSlots('某个项目', slots, vocabulary, NOW)).toMatchObject({
      params: [null, null],
      missing: ['project', 'member'],
    });
    expect(
      fillSlots('top annotators', [{ name: 'n', type: 'number', default: 10 }], vocabulary, NOW).params,
    ).toEqual([10]);
  });
});

describe('matching', () => {
  const best = (q: string) => rank(q, BUILTIN_TEMPLATES, vocabulary, NOW)[0]!;

  it.each([
    ['各状态的任务数', 'tasks_by_status', []],
    ['tasks by status in Street Signs', 'tasks_by_status_in_project', [8]],
    ['街景标注的完成率', 'completion_rate_of_project', [7]],
    [
      '上周每个标注员的标注数',
      'annotations_per_annotator_in_period',
      ['2026-03-09T00:00:00.000Z', '2026-03-16T00:00:00.000Z'],
    ],
    [
      'top 5 annotators last month',
      'top_annotators_in_period',
      [5, '2026-02-01T00:00:00.000Z', '2026-03-01T00:00:00.000Z'],
    ],
    ['有多少已完成的任务', 'count_tasks_with_status', ['completed']],
    ['Alice Wang的费用', 'billing_of_member', ['u-1']],
    ['质量分最低的三个标注员', 'lowest_quality_annotators', [3]],
    ['rejection rate per reviewer', 'rejection_rate_per_reviewer', []],
    ['how many completed tasks does Street Signs have', 'tasks_with_status_in_project', [8, 'completed']],
    ['urgent tasks per project', 'tasks_with_priority_per_project', ['urgent']],
    ['total annotations Alice Wang has submitted', 'annotation_count_of_member', ['u-1']],
  ])('%s → %s', (question, name, params) => {
    const m = best(question);
    expect(m.template.name).toBe(name);
    expect(m.filled.params).toEqual(params);
    expect(m.confidence).toBeGreaterThanOrEqual(0.7);
  });

  it('is not confident about a question no template asks', () => {
    expect(best('what is the weather like').confidence).toBeLessThan(0.4);
    expect(best('明天会下雨吗').confidence).toBeLessThan(0.4);
  });

  it('answers "each" with a row per group and "which … the most" with the first of a ranking', () => {
    // "each" used to be a stop word, so these two read like the one-row templates.
    expect(best('how many annotations were made on each day last week').template.name).toBe(
      'annotations_per_day_in_period',
    );
    expect(best('last week, how many annotations did each project get').template.name).toBe(
      'annotations_per_project_in_period',
    );
    const top = best('本月哪位标注员结算金额最多');
    expect(top.template.name).toBe('top_paid_annotators_in_period');
    expect(top.filled.params[0]).toBe(1);
    expect(best('top 3 annotators by quality score').filled.params).toEqual([3]);
  });

  it('prefers the template that uses what the question names', () => {
    const [first, second] = rank('tasks by status in Street Signs', BUILTIN_TEMPLATES, vocabulary, NOW);
    expect(first!.template.name).toBe('tasks_by_status_in_project');
    expect(second!.confidence).toBeLessThan(first!.confidence);
  });
});
