import { randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import { badRequest } from '../errors/problem.ts';

export const MIN_PASSWORD_LENGTH = 10;

/** argon2id with the library's defaults (19 MiB, t=2), run off the event loop by the binding. */
export function hashPassword(password: string): Promise<string> {
  return hash(password);
}

export function verifyPassword(stored: string, password: string): Promise<boolean> {
  return verify(stored, password).catch(() => false);
}

/** Throws a 400 naming what is wrong with a new password. */
export function checkPasswordPolicy(password: string, email: string, field = 'body/password'): void {
  const problems: string[] = [];
  if (password.length < MIN_PASSWORD_LENGTH)
    problems.push(`must be at least ${MIN_PASSWORD_LENGTH} characters`);
  if (password.length > 256) problems.push('must be at most 256 characters');
  if (password.toLowerCase() === email.toLowerCase()) problems.push('must not be the e-mail address');
  if (/^(.)\1*$/.test(password)) problems.push('must not repeat one character');
  if (problems.length) {
    throw badRequest(
      'The password does not meet the policy.',
      problems.map((message) => ({ path: field, message })),
    );
  }
}

/** A strong random password for generated accounts: 24 URL-safe characters. */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}
