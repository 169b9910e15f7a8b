import { ApiError, api, csrfToken, type GetResponse, must } from '../../api/client';

export type Cell = unknown;
export interface Result {
  log_id: number;
  columns: string[];
  rows: Record<string, Cell>[];
  truncated: boolean;
}
export interface Answer extends Result {
  sql: string;
  params: unknown[];
  method: string;
  confidence: number | null;
  template_id: string | null;
}
export const SLOT_TYPES = ['number', 'period', 'enum', 'project', 'member'] as const;
export interface Slot {
  name: string;
  type: (typeof SLOT_TYPES)[number];
  values?: string[];
  default?: number | string;
}
export interface Template {
  id: string;
  builtin: boolean;
  name: string;
  description: string;
  patterns: { lang: 'zh' | 'en'; text: string }[];
  slots: Slot[];
  sql: string;
  enabled: boolean;
}
export type TemplateDraft = Omit<Template, 'id' | 'builtin'>;
export interface TemplateMatch {
  template_id: string | null;
  name: string;
  confidence: number;
  pattern: string;
  sql: string;
  params: unknown[];
  missing: string[];
}
export type Log = GetResponse<'/api/v1/sql/logs'>['items'][number];

/**
 * Calls to routes not yet in the generated schema (/sql/ask, /sql/templates): plain fetch,
 * with the same CSRF header and problem+json errors as the typed client.
 */
async function send<T>(method: string, url: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  const token = csrfToken();
  if (token) headers['x-csrf-token'] = token;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError({ status: 0, title: 'Network error', detail: String(e) });
  }
  const text = await res.text();
  const json = text ? JSON.parse(text) : undefined;
  if (!res.ok) throw new ApiError({ status: res.status, title: res.statusText, ...(json ?? {}) });
  return json as T;
}

export const ask = (question: string) => send<Answer>('POST', '/api/v1/sql/ask', { question });
export const runSql = (sql: string) =>
  must(api.POST('/api/v1/sql/run', { body: { sql } })) as Promise<Result>;
export const feedback = (id: number, body: { correct: boolean; sql?: string }) =>
  must(api.POST('/api/v1/sql/logs/{id}/feedback', { params: { path: { id } }, body }));
export const logs = (cursor?: string) =>
  must(api.GET('/api/v1/sql/logs', { params: { query: { limit: 50, cursor } } }));

export const templates = () =>
  send<{ items: Template[] }>('GET', '/api/v1/sql/templates').then((r) => r.items);
export const saveTemplate = (t: TemplateDraft, id?: Template['id']) =>
  id === undefined
    ? send<Template>('POST', '/api/v1/sql/templates', t)
    : send<Template>('PATCH', `/api/v1/sql/templates/${encodeURIComponent(id)}`, t);
export const deleteTemplate = (id: Template['id']) =>
  send<void>('DELETE', `/api/v1/sql/templates/${encodeURIComponent(id)}`);
export const testTemplates = (question: string) =>
  send<{ matches: TemplateMatch[] } | TemplateMatch[]>('POST', '/api/v1/sql/templates/test', {
    question,
  }).then((r) => (Array.isArray(r) ? r : r.matches));

export const resultUrl = (logId: number, format: 'csv' | 'xlsx') =>
  `/api/v1/sql/logs/${logId}/result?format=${format}`;

/** The refused rule or failure of a problem (`code` of the problem+json). */
export const problemCode = (e: unknown) =>
  e instanceof ApiError ? ((e.problem as { code?: string }).code ?? null) : null;
