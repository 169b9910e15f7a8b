import { describe, expect, it } from 'vitest';
import { testApp } from '../../../test/helpers.ts';
import { pgArray, rowsOf } from './sql.ts';

describe('pgArray', () => {
  const awkward = ['a,b', 'say "hi"', '{braces}', 'back\\slash', 'NULL', '', ' spaced ', 'new\nline', '中文'];

  it('round-trips text with commas, quotes, braces and backslashes through the database', async () => {
    const ctx = await testApp();
    const rows = rowsOf<{ v: (string | null)[] }>(
      await ctx.platform.database.raw.query('select $1::text[] as v', [pgArray([...awkward, null])]),
    );
    expect(rows[0]!.v).toEqual([...awkward, null]);
    // The hand-built literal it replaces split 'a,b' into two elements and failed on quotes.
    const naive = `{${['a,b', 'c'].join(',')}}`;
    const split = rowsOf<{ v: string[] }>(
      await ctx.platform.database.raw.query('select $1::text[] as v', [naive]),
    );
    expect(split[0]!.v).toEqual(['a', 'b', 'c']);
  });

  it('sends numbers and nulls for numeric arrays', async () => {
    const ctx = await testApp();
    const rows = rowsOf<{ ids: string[]; scores: (number | null)[] }>(
      await ctx.platform.database.raw.query('select $1::bigint[]::text[] as ids, $2::real[] as scores', [
        pgArray([1, 9007199254740991]),
        pgArray([0.5, null, -2]),
      ]),
    );
    expect(rows[0]!.ids).toEqual(['1', '9007199254740991']);
    expect(rows[0]!.scores).toEqual([0.5, null, -2]);
    expect(pgArray([])).toBe('{}');
  });
});
