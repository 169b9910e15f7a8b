import { ApiError, api, type GetResponse, must, type paths } from '../../api/client';

type Json<T> = T extends { content: { 'application/json': infer R } } ? R : never;

export type Result = Json<paths['/api/v1/sql/run']['post']['responses'][200]>;
export type Answer = Json<paths['/api/v1/sql/ask']['post']['responses'][200]>;
export type Template = GetResponse<'/api/v1/sql/templates'>['items'][number];
export type TemplateDraft = Omit<Template, 'id' | 'builtin'>;
export type Slot = Template['slots'][number];
export type TemplateMatch = Json<
  paths['/api/v1/sql/templates/test']['post']['responses'][200]
>['matches'][number];
export type Log = GetResponse<'/api/v1/sql/logs'>['items'][number];

export type Plugin = GetResponse<'/api/v1/sql/plugins'>['items'][number];
export type PluginDraft = Json<paths['/api/v1/sql/plugins']['post']['requestBody']>;
export type PluginProbe = Json<paths['/api/v1/sql/plugins/{id}/test']['post']['responses'][200]>;

export const SLOT_TYPES: readonly Slot['type'][] = ['number', 'period', 'enum', 'project', 'member'];

export const ask = (question: string) => must(api.POST('/api/v1/sql/ask', { body: { question } }));
export const runSql = (sql: string) => must(api.POST('/api/v1/sql/run', { body: { sql } }));
export const feedback = (id: number, body: { correct: boolean; sql?: string }) =>
  must(api.POST('/api/v1/sql/logs/{id}/feedback', { params: { path: { id } }, body }));
export const logs = (cursor?: string) =>
  must(api.GET('/api/v1/sql/logs', { params: { query: { limit: 50, cursor } } }));

export const templates = () => must(api.GET('/api/v1/sql/templates')).then((r) => r.items);
export const saveTemplate = (body: TemplateDraft, id?: string) =>
  id === undefined
    ? must(api.POST('/api/v1/sql/templates', { body }))
    : must(api.PATCH('/api/v1/sql/templates/{id}', { params: { path: { id } }, body }));
export const deleteTemplate = (id: string) =>
  must(api.DELETE('/api/v1/sql/templates/{id}', { params: { path: { id } } }));
export const testTemplates = (question: string) =>
  must(api.POST('/api/v1/sql/templates/test', { body: { question } })).then((r) => r.matches);

export const plugins = () => must(api.GET('/api/v1/sql/plugins')).then((r) => r.items);
export const addPlugin = (body: PluginDraft) => must(api.POST('/api/v1/sql/plugins', { body }));
export const deletePlugin = (id: number) =>
  must(api.DELETE('/api/v1/sql/plugins/{id}', { params: { path: { id } } }));
export const testPlugin = (id: number) =>
  must(api.POST('/api/v1/sql/plugins/{id}/test', { params: { path: { id } } }));

export const resultUrl = (logId: number, format: 'csv' | 'xlsx') =>
  `/api/v1/sql/logs/${logId}/result?format=${format}`;

/** The refused rule or failure of a problem (`code` of the problem+json). */
export const problemCode = (e: unknown) =>
  e instanceof ApiError ? ((e.problem as { code?: string }).code ?? null) : null;
