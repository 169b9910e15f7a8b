import { createHash, randomBytes } from 'node:crypto';

export type TokenKind = 'session' | 'api';
const PREFIX: Record<TokenKind, string> = { session: 'sis_', api: 'sit_' };

/** A random opaque token; only its SHA-256 is ever stored. */
export function newToken(kind: TokenKind): { token: string; hash: string } {
  const token = PREFIX[kind] + randomBytes(32).toString('base64url');
  return { token, hash: hashToken(token) };
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function tokenKind(token: string): TokenKind | undefined {
  if (token.startsWith(PREFIX.session)) return 'session';
  if (token.startsWith(PREFIX.api)) return 'api';
  return undefined;
}
