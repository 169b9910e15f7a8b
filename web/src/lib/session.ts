import { useQuery } from '@tanstack/react-query';
import { ApiError, api, type GetResponse, must } from '../api/client';

// The session cookie is HttpOnly, so the console keeps a hint of having signed in: without
// it, it goes straight to the login page instead of asking the API for a certain 401.
const HINT = 'si.signedIn';
export const sessionHint = {
  set: () => localStorage.setItem(HINT, '1'),
  clear: () => localStorage.removeItem(HINT),
  present: () => localStorage.getItem(HINT) === '1',
};

export type Me = GetResponse<'/api/v1/auth/me'>;

/** The signed-in principal (from the HttpOnly session cookie); a 401 sends the app to /login. */
export const meQuery = {
  queryKey: ['me'],
  queryFn: () =>
    sessionHint.present()
      ? must(api.GET('/api/v1/auth/me'))
      : Promise.reject(new ApiError({ status: 401, title: 'Unauthorized' })),
  staleTime: 60_000,
  retry: false,
};

export function useMe() {
  return useQuery(meQuery);
}

/** Whether granted permissions (with `resource:*` and `*` wildcards) cover `required` (any one of a list). */
export function can(me: Me | undefined, required: string | readonly string[] | undefined): boolean {
  if (!required) return true;
  if (!me) return false;
  if (typeof required !== 'string') return required.some((r) => can(me, r));
  const resource = required.slice(0, required.indexOf(':'));
  return me.permissions.some((g) => g === '*' || g === required || g === `${resource}:*`);
}

/**
 * Tells the server the console's language, which the e-mails and files it renders for this
 * user follow. Best effort: the console itself keeps its language in localStorage either way.
 */
export function saveLanguage(language: string): Promise<unknown> {
  if (!sessionHint.present() || (language !== 'en' && language !== 'zh-CN')) return Promise.resolve();
  return must(api.PUT('/api/v1/auth/language', { body: { language } })).catch(() => undefined);
}
