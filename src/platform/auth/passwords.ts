import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { hash, verify } from '@node-rs/argon2';
import { badRequest } from '../errors/problem.ts';

/** OWASP ASVS level 2: at least 12 characters, any characters, no composition rules. */
export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 256;

// The 49,233 most common passwords of leaked lists (@zxcvbn-ts/language-common), shipped
// with the package: no network. A Set: checking is a lookup, never work on the event loop.
// Loaded on the first check (~15 MB, which a platform that sets no password never needs).
let common: Set<string> | undefined;
function isCommon(word: string): boolean {
  common ??= new Set(
    (
      createRequire(import.meta.url)('@zxcvbn-ts/language-common') as {
        dictionary: Record<string, string[]>;
      }
    ).dictionary['passwords-common'],
  );
  return common.has(word);
}

// Substitutions people make to dress up a common word.
const LEET: Record<string, string> = {
  '0': 'o',
  '1': 'i',
  '3': 'e',
  '4': 'a',
  '5': 's',
  '7': 't',
  '@': 'a',
  $: 's',
  '!': 'i',
};

const alnum = (s: string) => s.toLowerCase().replace(/[^\p{L}\p{N}]/gu, '');

/** Why a password is too easy to guess, or undefined. */
function guessable(password: string, email: string, name: string | undefined): string | undefined {
  const lower = password.toLowerCase();
  if (isCommon(lower)) return 'is one of the most common passwords';
  // A common password with digits or symbols around it, or with letters swapped for look-alikes.
  const core = lower.replace(/^[^\p{L}]+|[^\p{L}]+$/gu, '');
  const unleet = lower.replace(/[013457@$!]/g, (c) => LEET[c] ?? c);
  if ((core.length >= 4 && isCommon(core)) || isCommon(unleet) || isCommon(alnum(unleet)))
    return 'is a common password with a few characters changed or added';
  if (/^(.{1,4})\1+$/su.test(lower)) return 'must not be a short pattern repeated';
  const compact = alnum(password);
  const local = alnum(email.split('@')[0] ?? '');
  if (
    lower === email.toLowerCase() ||
    (local.length >= 4 && compact.includes(local)) ||
    compact === alnum(email)
  )
    return 'must not contain the e-mail address';
  const nameParts = (name ?? '')
    .split(/\s+/)
    .map(alnum)
    .filter((part) => part.length >= 4);
  if (nameParts.some((part) => compact.includes(part))) return 'must not contain your name';
  return undefined;
}

/** argon2id with the library's defaults (19 MiB, t=2), run off the event loop by the binding. */
export function hashPassword(password: string): Promise<string> {
  return hash(password);
}

export function verifyPassword(stored: string, password: string): Promise<boolean> {
  return verify(stored, password).catch(() => false);
}

/** Throws a 400 naming what is wrong with a new password. */
export function checkPasswordPolicy(
  password: string,
  email: string,
  field = 'body/password',
  name?: string,
): void {
  const problems: string[] = [];
  if ([...password].length < MIN_PASSWORD_LENGTH)
    problems.push(`must be at least ${MIN_PASSWORD_LENGTH} characters (a passphrase of a few words is fine)`);
  if (password.length > MAX_PASSWORD_LENGTH)
    problems.push(`must be at most ${MAX_PASSWORD_LENGTH} characters`);
  const weak = problems.length ? undefined : guessable(password, email, name);
  if (weak) problems.push(weak);
  if (problems.length) {
    throw badRequest(
      'auth.password_weak',
      'The password does not meet the policy.',
      problems.map((message) => ({ path: field, message })),
    );
  }
}

/** A strong random password for generated accounts: 24 URL-safe characters. */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}
