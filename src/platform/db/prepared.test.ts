import { describe, expect, it } from 'vitest';
import type { Executor } from './client.ts';
import { prepared } from './prepared.ts';

describe('prepared statements', () => {
  it('builds a statement once per connection handle', async () => {
    const built: string[] = [];
    const read = prepared('test_once_per_handle', (_db, name) => {
      built.push(name);
      return { execute: async (args?: { n: number }) => (args?.n ?? 0) * 2 };
    });
    const a = {} as Executor;
    const b = {} as Executor;
    expect([await read(a, { n: 1 }), await read(a, { n: 2 }), await read(b, { n: 3 })]).toEqual([2, 4, 6]);
    expect(built).toEqual(['test_once_per_handle', 'test_once_per_handle']);
  });

  it('refuses a name used twice', () => {
    const build = () => ({ execute: async () => 0 });
    prepared('test_twice', build);
    expect(() => prepared('test_twice', build)).toThrow(/used twice/);
  });
});
