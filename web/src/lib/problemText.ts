import type { i18n as I18n, TFunction } from 'i18next';
import type { Problem } from '../api/client';

type FieldError = NonNullable<Problem['errors']>[number];

/**
 * A problem in the console's language: its stable `code` translated with its `params`, the
 * server's English `detail` when the console does not know the code (a newer server).
 */
export function problemMessage(t: TFunction, p: Problem): string {
  const fallback = p.detail ?? p.title;
  if (!p.code) return fallback;
  return t(`problems:codes.${p.code}`, { ...p.params, defaultValue: fallback });
}

/** The problem's title: its HTTP status in words. */
export function problemTitle(t: TFunction, p: Problem): string {
  return t(`problems:status.${p.status}`, { defaultValue: p.title });
}

/**
 * A field error by its rule (ajv's keyword) and values. A hand-written check's field error
 * has no rule yet: its English words are shown in English, or where the problem itself was
 * not translated; elsewhere the field's path alone says where (the problem says what).
 */
export function fieldMessage(t: TFunction, i18n: I18n, p: Problem, e: FieldError): string {
  if (e.code) return t(`problems:fields.${e.code}`, { ...e.params, defaultValue: e.message });
  const translated = !!p.code && i18n.exists(`problems:codes.${p.code}`);
  return i18n.language === 'en' || !translated ? e.message : '';
}
