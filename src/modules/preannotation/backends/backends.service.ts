import { and, desc, eq, lt } from 'drizzle-orm';
import type { Executor } from '../../../platform/db/client.ts';
import { badRequest, notFound } from '../../../platform/errors/problem.ts';
import type { Platform } from '../../../platform/index.ts';
import { projectFacts } from '../../annotation/index.ts';
import { annotationPlugins, type BackendAuth, type CallOperation, pluginCallLogs } from '../schema.ts';
import type { BackendEndpoint, SetupInput } from './protocol.ts';

export type BackendRow = typeof annotationPlugins.$inferSelect;

export interface BackendInput {
  title: string;
  url: string;
  auth_method?: BackendAuth;
  basic_user?: string | null;
  /** The Basic password or bearer token; write-only. */
  secret?: string | null;
  /** Handed to the backend in /setup; write-only. */
  access_token?: string | null;
  timeout_ms?: number;
  is_interactive?: boolean;
  extra_params?: Record<string, unknown>;
}

export function backendView(b: BackendRow) {
  return {
    id: b.id,
    project: b.projectId,
    title: b.title,
    url: b.url,
    auth_method: b.authMethod,
    basic_user: b.basicUser,
    has_secret: b.secretSealed !== null,
    has_access_token: b.accessTokenSealed !== null,
    timeout_ms: b.timeoutMs,
    is_interactive: b.isInteractive,
    extra_params: b.extraParams,
    model_version: b.modelVersion,
    model_class: b.modelClass,
    state: b.state,
    state_error: b.stateError,
    checked_at: b.checkedAt,
    latency_ms: b.latencyMs,
    created_at: b.createdAt,
    updated_at: b.updatedAt,
  };
}

function checkUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw badRequest('ml_backend.bad_url', 'The ML backend URL is not a URL.', [
      { path: 'body/url', message: 'is not a URL' },
    ]);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw badRequest('ml_backend.bad_scheme', 'An ML backend URL must use http or https.', [
      { path: 'body/url', message: 'must be http(s)' },
    ]);
  if (parsed.username || parsed.password)
    throw badRequest(
      'ml_backend.credentials_in_url',
      'Put the credentials in auth_method and secret, not in the URL.',
      [{ path: 'body/url', message: 'must not hold credentials' }],
    );
}

/** Basic needs a user and a password, bearer a token; `none` takes neither. */
function checkAuth(method: BackendAuth, basicUser: string | null, hasSecret: boolean): void {
  if (method === 'basic' && (!basicUser || !hasSecret))
    throw badRequest(
      'ml_backend.basic_incomplete',
      'Basic authentication needs basic_user and secret (the password).',
      [{ path: 'body/basic_user', message: 'is required with basic authentication' }],
    );
  if (method === 'bearer' && !hasSecret)
    throw badRequest('ml_backend.bearer_incomplete', 'Bearer authentication needs secret (the token).', [
      { path: 'body/secret', message: 'is required with bearer authentication' },
    ]);
}

const seal = (tx: Executor, platform: Platform, value: string | null | undefined) =>
  value ? platform.secrets.encrypt(tx, value) : Promise.resolve(null);

export async function createBackend(
  tx: Executor,
  platform: Platform,
  scope: { tenantId: string; projectId: number; userId: string },
  input: BackendInput,
): Promise<BackendRow> {
  checkUrl(input.url);
  const authMethod = input.auth_method ?? 'none';
  checkAuth(authMethod, input.basic_user ?? null, Boolean(input.secret));
  const [row] = await tx
    .insert(annotationPlugins)
    .values({
      tenantId: scope.tenantId,
      projectId: scope.projectId,
      title: input.title,
      url: input.url,
      authMethod,
      basicUser: authMethod === 'basic' ? (input.basic_user ?? null) : null,
      secretSealed: authMethod === 'none' ? null : await seal(tx, platform, input.secret),
      accessTokenSealed: await seal(tx, platform, input.access_token),
      timeoutMs: input.timeout_ms ?? 30_000,
      isInteractive: input.is_interactive ?? false,
      extraParams: input.extra_params ?? {},
      createdBy: scope.userId,
    })
    .returning();
  return row!;
}

export async function listBackends(db: Executor, projectId: number): Promise<BackendRow[]> {
  return db
    .select()
    .from(annotationPlugins)
    .where(eq(annotationPlugins.projectId, projectId))
    .orderBy(annotationPlugins.id);
}

export async function getBackend(db: Executor, projectId: number, id: number): Promise<BackendRow> {
  const [row] = await db
    .select()
    .from(annotationPlugins)
    .where(and(eq(annotationPlugins.projectId, projectId), eq(annotationPlugins.id, id)));
  if (!row) throw notFound('ml_backend.not_found', 'The ML backend');
  return row;
}

/** A backend of the tenant by id alone; the caller checks its project's access. */
export async function findBackend(db: Executor, tenantId: string, id: number): Promise<BackendRow> {
  const [row] = await db
    .select()
    .from(annotationPlugins)
    .where(and(eq(annotationPlugins.tenantId, tenantId), eq(annotationPlugins.id, id)));
  if (!row) throw notFound('ml_backend.not_found', 'The ML backend');
  return row;
}

/** Changes a backend; a change of where or how it is reached returns it to `checking`. */
export async function updateBackend(
  tx: Executor,
  platform: Platform,
  current: BackendRow,
  input: Partial<BackendInput>,
): Promise<{ row: BackendRow; recheck: boolean }> {
  if (input.url !== undefined) checkUrl(input.url);
  const authMethod = input.auth_method ?? current.authMethod;
  const basicUser = input.basic_user !== undefined ? input.basic_user : current.basicUser;
  const hasSecret = input.secret !== undefined ? Boolean(input.secret) : current.secretSealed !== null;
  checkAuth(authMethod, basicUser, hasSecret);
  const recheck =
    input.url !== undefined ||
    input.auth_method !== undefined ||
    input.basic_user !== undefined ||
    input.secret !== undefined ||
    input.access_token !== undefined ||
    input.extra_params !== undefined;
  const [row] = await tx
    .update(annotationPlugins)
    .set({
      ...(input.title !== undefined ? { title: input.title } : {}),
      ...(input.url !== undefined ? { url: input.url } : {}),
      authMethod,
      basicUser: authMethod === 'basic' ? basicUser : null,
      ...(authMethod === 'none'
        ? { secretSealed: null }
        : input.secret !== undefined
          ? { secretSealed: await seal(tx, platform, input.secret) }
          : {}),
      ...(input.access_token !== undefined
        ? { accessTokenSealed: await seal(tx, platform, input.access_token) }
        : {}),
      ...(input.timeout_ms !== undefined ? { timeoutMs: input.timeout_ms } : {}),
      ...(input.is_interactive !== undefined ? { isInteractive: input.is_interactive } : {}),
      ...(input.extra_params !== undefined ? { extraParams: input.extra_params } : {}),
      ...(recheck ? { state: 'checking' as const, stateError: null } : {}),
      updatedAt: new Date(),
    })
    .where(eq(annotationPlugins.id, current.id))
    .returning();
  return { row: row!, recheck };
}

export async function deleteBackend(tx: Executor, id: number): Promise<void> {
  await tx.delete(annotationPlugins).where(eq(annotationPlugins.id, id));
}

/** How to reach a backend, its secret unsealed (in a job, never in a response). */
export async function endpointOf(
  db: Executor,
  platform: Platform,
  row: BackendRow,
): Promise<BackendEndpoint> {
  return {
    url: row.url,
    authMethod: row.authMethod,
    basicUser: row.basicUser,
    secret: row.secretSealed ? await platform.secrets.decrypt(db, row.secretSealed) : null,
    timeoutMs: row.timeoutMs,
  };
}

/** What /setup tells the backend: the project as Label Studio names it, its config, and how to call back. */
export async function setupInputOf(db: Executor, platform: Platform, row: BackendRow): Promise<SetupInput> {
  const project = await projectFacts(db, row.projectId);
  if (!project) throw notFound('project.not_found', 'The project');
  return {
    project: `${project.id}.${Math.floor(project.createdAt.getTime() / 1000)}`,
    schema: project.labelConfig,
    // Unset: the address `npm start` serves on this machine, all a local backend can use.
    hostname: platform.config.publicUrl ?? `http://localhost:${platform.config.port}`,
    accessToken: row.accessTokenSealed ? await platform.secrets.decrypt(db, row.accessTokenSealed) : '',
    extraParams: row.extraParams,
  };
}

export interface CallRecord {
  operation: CallOperation;
  action?: string;
  taskIds?: number[];
  latencyMs: number;
  ok: boolean;
  httpStatus?: number | null;
  error?: string | null;
}

export async function recordCall(db: Executor, row: BackendRow, call: CallRecord): Promise<void> {
  await db.insert(pluginCallLogs).values({
    tenantId: row.tenantId,
    pluginId: row.id,
    operation: call.operation,
    action: call.action ?? null,
    taskIds: call.taskIds ?? [],
    latencyMs: call.latencyMs,
    ok: call.ok,
    httpStatus: call.httpStatus ?? null,
    error: call.error ?? null,
  });
}

export interface ProbeResult {
  ok: boolean;
  latencyMs: number;
  modelClass: string | null;
  modelVersion: string | null;
  error: string | null;
}

export async function recordState(db: Executor, id: number, probe: ProbeResult): Promise<void> {
  await db
    .update(annotationPlugins)
    .set({
      state: probe.ok ? 'up' : 'down',
      stateError: probe.error,
      latencyMs: probe.latencyMs,
      checkedAt: new Date(),
      ...(probe.ok ? { modelClass: probe.modelClass, modelVersion: probe.modelVersion } : {}),
    })
    .where(eq(annotationPlugins.id, id));
}

export function callView(c: typeof pluginCallLogs.$inferSelect) {
  return {
    id: c.id,
    operation: c.operation,
    action: c.action,
    task_ids: c.taskIds,
    latency_ms: c.latencyMs,
    ok: c.ok,
    http_status: c.httpStatus,
    error: c.error,
    created_at: c.createdAt,
  };
}

/** A backend's calls, newest first, `before` an id for the next page. */
export async function listCalls(db: Executor, pluginId: number, limit: number, before?: number) {
  return db
    .select()
    .from(pluginCallLogs)
    .where(and(eq(pluginCallLogs.pluginId, pluginId), before ? lt(pluginCallLogs.id, before) : undefined))
    .orderBy(desc(pluginCallLogs.id))
    .limit(limit);
}
