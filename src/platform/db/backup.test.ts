import { describe, expect, it } from 'vitest';
import { majorOf } from './backup.ts';

describe('majorOf', () => {
  it('reads the major version from --version lines of pg_dump and pg_restore', () => {
    expect(majorOf('pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)\n')).toBe(15);
    expect(majorOf('pg_restore (PostgreSQL) 18.1\n')).toBe(18);
    expect(majorOf('pg_dump (PostgreSQL) 18beta2\n')).toBe(18);
    // Before 10 the major version was two numbers; 9.6 still sorts below 10.
    expect(majorOf('pg_dump (PostgreSQL) 9.6.24\n')).toBe(9.6);
    expect(majorOf('pg_dump (PostgreSQL) 9.6.24\n')! < 10).toBe(true);
    expect(majorOf('something else')).toBeUndefined();
  });
});
