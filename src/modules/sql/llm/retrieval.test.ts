import { describe, expect, it } from 'vitest';
import { tokens, topExamples } from './retrieval.ts';

const EXAMPLES = [
  { question: 'How many tasks are in each project?', sql: 'select 1' },
  { question: 'Total billing amount per period', sql: 'select 2' },
  { question: '每个项目有多少任务', sql: 'select 3' },
  { question: '本月的费用是多少', sql: 'select 4' },
  { question: 'Average quality score per annotator', sql: 'select 5' },
];

describe('tokens', () => {
  it('splits English into words and Chinese into character bigrams', () => {
    expect(tokens('How many Tasks?')).toEqual(['how', 'many', 'tasks']);
    expect(tokens('项目任务')).toEqual(['项目', '目任', '任务']);
    expect(tokens('tasks 项目 x')).toEqual(['tasks', '项目', 'x']);
    expect(tokens('的')).toEqual(['的']);
  });
});

describe('BM25 retrieval', () => {
  it('ranks the closest English example first', () => {
    expect(topExamples('how many tasks per project', EXAMPLES, 2).map((e) => e.sql)[0]).toBe('select 1');
    expect(topExamples('billing amount in May', EXAMPLES, 1)[0]!.sql).toBe('select 2');
  });

  it('ranks Chinese examples by shared bigrams', () => {
    expect(topExamples('项目的任务数', EXAMPLES, 1)[0]!.sql).toBe('select 3');
    expect(topExamples('上个月的费用', EXAMPLES, 1)[0]!.sql).toBe('select 4');
  });

  it('returns at most k, and nothing that shares no token', () => {
    expect(topExamples('score', EXAMPLES, 3)).toHaveLength(1);
    expect(topExamples('zebra', EXAMPLES, 3)).toEqual([]);
    expect(topExamples('per', EXAMPLES, 1)).toHaveLength(1);
  });

  it('weighs rare terms above common ones', () => {
    const examples = [
      { question: 'per per per', sql: 'a' },
      { question: 'rejected per', sql: 'b' },
      { question: 'per item', sql: 'c' },
    ];
    expect(topExamples('rejected per', examples, 1)[0]!.sql).toBe('b');
  });
});
