import createClient, { type Middleware } from 'openapi-fetch';
import type { paths } from './schema';

export type { paths };

/** An RFC 9457 problem the API answered with (or one made up for a network failure). */
export interface Problem {
  type?: string;
  title: string;
  status: number;
  detail?: string;
  /** Stable name of the problem, which the console translates (web/src/lib/problemText.ts). */
  code?: string;
  /** The values the message names, for the translation. */
  params?: Record<string, string | number | boolean | null>;
  errors?: {
    path: string;
    message: string;
    code?: string;
    params?: Record<string, string | number | boolean | null>;
  }[];
}

export class ApiError extends Error {
  readonly problem: Problem;
  constructor(problem: Problem) {
    super(problem.detail ?? problem.title);
    this.problem = problem;
  }
  get status(): number {
    return this.problem.status;
  }
}

export function loginPath(next: string): string {
  return `/login?next=${encodeURIComponent(next)}`;
}

/** A 401 anywhere but the sign-in call itself means the session is gone: sign in, then come back. */
const onUnauthorized: Middleware = {
  onResponse({ request, response }) {
    if (response.status !== 401) return;
    const url = new URL(request.url);
    if (url.pathname.endsWith('/auth/login') || window.location.pathname === '/login') return;
    localStorage.removeItem('si.signedIn');
    window.location.assign(loginPath(window.location.pathname + window.location.search));
  },
};

/** The session's CSRF token, which the server sets beside the session cookie at sign-in. */
export function csrfToken(): string | undefined {
  const match = /(?:^|;\s*)si_csrf=([^;]+)/.exec(document.cookie);
  return match ? decodeURIComponent(match[1]!) : undefined;
}

/** Every call carries the token: the server requires it of cookie-signed writes (and of /next). */
const withCsrfToken: Middleware = {
  onRequest({ request }) {
    const token = csrfToken();
    if (token) request.headers.set('x-csrf-token', token);
    return request;
  },
};

/** The typed API client: paths, parameters and bodies come from the server's OpenAPI document. */
export const api = createClient<paths>({ baseUrl: window.location.origin, credentials: 'same-origin' });
api.use(withCsrfToken, onUnauthorized);

async function toProblem(error: unknown, response: Response): Promise<Problem> {
  if (error && typeof error === 'object' && 'title' in error) {
    return { status: response.status, ...(error as Omit<Problem, 'status'>) };
  }
  return { status: response.status, title: response.statusText || String(response.status) };
}

/** Unwraps an openapi-fetch result: the data, or an ApiError carrying the problem+json. */
export async function must<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  let result: Awaited<typeof call>;
  try {
    result = await call;
  } catch (e) {
    throw new ApiError({
      status: 0,
      title: 'Network error',
      detail: e instanceof Error ? e.message : String(e),
    });
  }
  if (!result.response.ok) throw new ApiError(await toProblem(result.error, result.response));
  return result.data as T;
}

/** Every item of a cursor-paged list (boards and bills show the whole list, not a page). */
export async function allPages<T>(
  page: (cursor: string | undefined) => Promise<{ items: T[]; next_cursor: string | null }>,
): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  do {
    const p = await page(cursor);
    out.push(...p.items);
    cursor = p.next_cursor ?? undefined;
  } while (cursor);
  return out;
}

/** Response body type of a GET path. */
export type GetResponse<P extends keyof paths> = paths[P] extends {
  get: { responses: { 200: { content: { 'application/json': infer R } } } };
}
  ? R
  : never;

/** Query-string parameters of a GET path. */
export type GetQuery<P extends keyof paths> = NonNullable<
  paths[P] extends { get: { parameters: { query?: infer Q } } } ? Q : never
>;

/** Uploads a file (or several) as multipart, reporting progress (fetch cannot report upload progress). */
export function upload<T>(
  url: string,
  file: File | File[],
  onProgress: (fraction: number) => void,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url);
    xhr.withCredentials = true;
    const token = csrfToken();
    if (token) xhr.setRequestHeader('x-csrf-token', token);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onerror = () => reject(new ApiError({ status: 0, title: 'Network error' }));
    xhr.onload = () => {
      let body: unknown;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = undefined;
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body as T);
      else
        reject(
          new ApiError({
            status: xhr.status,
            title: xhr.statusText,
            ...(body && typeof body === 'object' ? (body as object) : {}),
          }),
        );
    };
    const form = new FormData();
    for (const f of Array.isArray(file) ? file : [file]) form.append('file', f);
    xhr.send(form);
  });
}
