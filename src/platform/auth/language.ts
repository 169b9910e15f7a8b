import { eq } from 'drizzle-orm';
import type { Executor } from '../db/client.ts';
import { USER_LANGUAGES, type UserLanguage, users } from './schema.ts';

/** The language an Accept-Language header asks for first, of those the server has. */
export function acceptedLanguage(header: string | undefined): UserLanguage | null {
  for (const part of (header ?? '').split(',')) {
    const tag = part.split(';')[0]!.trim().toLowerCase();
    if (tag.startsWith('zh')) return 'zh-CN';
    if (tag.startsWith('en')) return 'en';
  }
  return null;
}

export const isUserLanguage = (v: unknown): v is UserLanguage =>
  (USER_LANGUAGES as readonly unknown[]).includes(v);

/**
 * The language to render a user's e-mails and files in: the one they chose in the console,
 * else what their request asks for, else English.
 */
export async function languageOf(
  db: Executor,
  userId: string | null | undefined,
  acceptLanguage?: string,
): Promise<UserLanguage> {
  if (userId) {
    const [row] = await db.select({ language: users.language }).from(users).where(eq(users.id, userId));
    if (row?.language) return row.language;
  }
  return acceptedLanguage(acceptLanguage) ?? 'en';
}
