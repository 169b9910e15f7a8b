import { describe, expect, it } from 'vitest';
import { newTenant, PASSWORD } from './fixtures.ts';
import { testApp } from './helpers.ts';

// Common passwords a probe found accepted, and more of their kind: short ones fail on
// length, longer ones because they are in (or dressed-up versions of) the shipped list.
const COMMON = [
  'password123',
  '1234567890',
  'qwertyuiop',
  'Password12',
  'iloveyou123',
  '123456789012',
  'qwerty123456',
  'password1234',
  'P@ssw0rd2024!',
  'letmein12345',
  'Football2024',
  'abcabcabcabc',
];

describe('the password policy', () => {
  const addMember = async (password: string, name = 'Pat Example') => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    return t.as(t.owner, {
      method: 'POST',
      url: '/api/v1/users',
      payload: { email: `pat.example@${t.slug}.test`, name, password, roles: ['annotator'] },
    });
  };

  it.each(COMMON)('refuses the common password %s, naming the field', async (password) => {
    const res = await addMember(password);
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().errors[0].path).toBe('body/password');
  });

  it.each([
    ['the e-mail', 'pat.example@x.test'],
    ['the e-mail’s name', 'Pat.Example-2024'],
    ['the person’s name', 'Mr Brightside-Example'],
  ])('refuses a password close to %s', async (_label, password) => {
    const res = await addMember(password);
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().errors[0].message).toMatch(/e-mail|name/);
  });

  it('accepts a passphrase of plain words, with no composition rules', async () => {
    expect((await addMember('staple battery horse lamp')).statusCode).toBe(201);
    expect((await addMember(PASSWORD)).statusCode).toBe(201);
  });

  it('applies to a password change too', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const res = await t.as(t.owner, {
      method: 'POST',
      url: '/api/v1/auth/password',
      payload: { current_password: PASSWORD, new_password: 'password1234' },
    });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().errors[0].path).toBe('body/new_password');
  });
});

describe('sign-in does not tell accounts apart', () => {
  it('answers a locked account exactly like an unknown e-mail until the password is right', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const member = await t.member(['annotator'], 'Locked');
    const attempt = (email: string, password: string) =>
      ctx.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } });
    for (let i = 0; i < 5; i++)
      expect((await attempt(member.email, `wrong-guess-${i}-xyz`)).statusCode).toBe(401);
    const shape = (res: Awaited<ReturnType<typeof attempt>>) => {
      const { request_id: _r, instance: _i, ...rest } = res.json();
      return { status: res.statusCode, retryAfter: res.headers['retry-after'], body: rest };
    };
    const locked = await attempt(member.email, 'another-wrong-guess');
    const unknown = await attempt(`nobody-${t.slug}@nowhere.test`, 'another-wrong-guess');
    expect(shape(locked)).toEqual(shape(unknown));
    expect(locked.statusCode).toBe(401);
    // The person who knows the password learns why they cannot sign in.
    const right = await attempt(member.email, PASSWORD);
    expect(right.statusCode).toBe(429);
  });
});
