import { asc, eq, inArray } from 'drizzle-orm';
import type { Executor, Tx } from '../../../platform/db/client.ts';
import { badRequest, notFound } from '../../../platform/errors/problem.ts';
import type { Platform } from '../../../platform/index.ts';
import { type ConfigurationRow, llmConfigurations, type Provider } from '../schema.ts';
import type { Endpoint } from './adapters.ts';
import { breakerState, forgetBreaker } from './breaker.ts';

export interface ConfigurationInput {
  name: string;
  provider: Provider;
  base_url: string;
  /** Write-only: a string sets it, null clears it, absent keeps it. */
  api_key?: string | null;
  api_version?: string | null;
  default_model?: string | null;
  timeout_ms?: number;
  max_retries?: number;
  breaker_threshold?: number;
  breaker_cooldown_ms?: number;
  fallback_ids?: number[];
  enabled?: boolean;
}

/** What the API shows of a configuration: never the key, only its last four characters. */
export function configurationView(r: ConfigurationRow) {
  return {
    id: r.id,
    name: r.name,
    provider: r.provider,
    base_url: r.baseUrl,
    api_key: r.apiKeyLast4 === null ? null : `••••${r.apiKeyLast4}`,
    api_version: r.apiVersion,
    default_model: r.defaultModel,
    timeout_ms: r.timeoutMs,
    max_retries: r.maxRetries,
    breaker_threshold: r.breakerThreshold,
    breaker_cooldown_ms: r.breakerCooldownMs,
    fallback_ids: r.fallbackIds,
    enabled: r.enabled,
    /** This process's breaker; each replica keeps its own. */
    breaker: breakerState(r.id),
    health: {
      status: r.healthStatus,
      checked_at: r.healthCheckedAt?.toISOString() ?? null,
      latency_ms: r.healthLatencyMs,
      error: r.healthError,
    },
    created_at: r.createdAt.toISOString(),
    updated_at: r.updatedAt.toISOString(),
  };
}

function checkBaseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw badRequest('llm.base_url_invalid', 'base_url is not a URL.', [
      { path: '/base_url', message: 'not a URL' },
    ]);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw badRequest('llm.base_url_scheme', 'base_url must be http or https.', [
      { path: '/base_url', message: 'not http(s)' },
    ]);
  if (url.username || url.password)
    throw badRequest('llm.base_url_credentials', 'base_url may not hold credentials; use api_key.', [
      { path: '/base_url', message: 'holds credentials' },
    ]);
  return raw.replace(/\/+$/, '');
}

async function checkFallbacks(tx: Tx, selfId: number | null, ids: number[]): Promise<void> {
  if (ids.length === 0) return;
  if (new Set(ids).size !== ids.length || (selfId !== null && ids.includes(selfId)))
    throw badRequest('llm.fallback_invalid', 'fallback_ids must be other configurations, each once.', [
      { path: '/fallback_ids', message: 'repeats a configuration or names this one' },
    ]);
  const found = await tx
    .select({ id: llmConfigurations.id })
    .from(llmConfigurations)
    .where(inArray(llmConfigurations.id, ids));
  if (found.length !== ids.length)
    throw badRequest('llm.fallback_unknown', 'fallback_ids names a configuration that does not exist.', [
      { path: '/fallback_ids', message: 'unknown configuration' },
    ]);
}

async function sealedKey(tx: Tx, platform: Platform, key: string | null | undefined) {
  if (key === undefined) return {};
  if (key === null) return { apiKeySealed: null, apiKeyLast4: null };
  return { apiKeySealed: await platform.secrets.encrypt(tx, key), apiKeyLast4: key.slice(-4) };
}

export async function createConfiguration(
  tx: Tx,
  platform: Platform,
  tenantId: string,
  userId: string,
  input: ConfigurationInput,
): Promise<ConfigurationRow> {
  if (input.provider === 'azure_openai' && !input.api_version)
    throw badRequest('llm.azure_api_version', 'Azure OpenAI needs api_version.', [
      { path: '/api_version', message: 'required for Azure' },
    ]);
  await checkFallbacks(tx, null, input.fallback_ids ?? []);
  const [row] = await tx
    .insert(llmConfigurations)
    .values({
      tenantId,
      name: input.name,
      provider: input.provider,
      baseUrl: checkBaseUrl(input.base_url),
      apiVersion: input.api_version ?? null,
      defaultModel: input.default_model ?? null,
      timeoutMs: input.timeout_ms,
      maxRetries: input.max_retries,
      breakerThreshold: input.breaker_threshold,
      breakerCooldownMs: input.breaker_cooldown_ms,
      fallbackIds: input.fallback_ids ?? [],
      enabled: input.enabled,
      createdBy: userId,
      ...(await sealedKey(tx, platform, input.api_key)),
    })
    .returning();
  return row!;
}

export async function getConfiguration(tx: Tx, id: number): Promise<ConfigurationRow> {
  const [row] = await tx.select().from(llmConfigurations).where(eq(llmConfigurations.id, id));
  if (!row) throw notFound('llm_configuration.not_found', 'The LLM configuration');
  return row;
}

export function listConfigurations(tx: Tx): Promise<ConfigurationRow[]> {
  return tx.select().from(llmConfigurations).orderBy(asc(llmConfigurations.id));
}

export async function updateConfiguration(
  tx: Tx,
  platform: Platform,
  id: number,
  patch: Partial<ConfigurationInput>,
): Promise<ConfigurationRow> {
  const current = await getConfiguration(tx, id);
  const provider = patch.provider ?? current.provider;
  const apiVersion = patch.api_version === undefined ? current.apiVersion : patch.api_version;
  if (provider === 'azure_openai' && !apiVersion)
    throw badRequest('llm.azure_api_version', 'Azure OpenAI needs api_version.', [
      { path: '/api_version', message: 'required for Azure' },
    ]);
  if (patch.fallback_ids) await checkFallbacks(tx, id, patch.fallback_ids);
  const [row] = await tx
    .update(llmConfigurations)
    .set({
      name: patch.name,
      provider: patch.provider,
      baseUrl: patch.base_url === undefined ? undefined : checkBaseUrl(patch.base_url),
      apiVersion: patch.api_version,
      defaultModel: patch.default_model,
      timeoutMs: patch.timeout_ms,
      maxRetries: patch.max_retries,
      breakerThreshold: patch.breaker_threshold,
      breakerCooldownMs: patch.breaker_cooldown_ms,
      fallbackIds: patch.fallback_ids,
      enabled: patch.enabled,
      updatedAt: new Date(),
      ...(await sealedKey(tx, platform, patch.api_key)),
    })
    .where(eq(llmConfigurations.id, id))
    .returning();
  // A new endpoint or key is a new provider as far as the breaker knows.
  if (patch.base_url !== undefined || patch.api_key !== undefined || patch.provider !== undefined)
    forgetBreaker(id);
  return row!;
}

export async function deleteConfiguration(tx: Tx, id: number): Promise<ConfigurationRow> {
  const row = await getConfiguration(tx, id);
  // Other configurations' fallback lists lose it too.
  const others = await tx.select().from(llmConfigurations);
  for (const o of others.filter((o) => o.fallbackIds.includes(id))) {
    await tx
      .update(llmConfigurations)
      .set({ fallbackIds: o.fallbackIds.filter((f) => f !== id) })
      .where(eq(llmConfigurations.id, o.id));
  }
  await tx.delete(llmConfigurations).where(eq(llmConfigurations.id, id));
  forgetBreaker(id);
  return row;
}

/** The wire endpoint of a configuration, its key opened (in the caller's transaction). */
export async function endpointOf(tx: Executor, platform: Platform, r: ConfigurationRow): Promise<Endpoint> {
  return {
    provider: r.provider,
    baseUrl: r.baseUrl,
    apiKey: r.apiKeySealed ? await platform.secrets.decrypt(tx, r.apiKeySealed) : null,
    apiVersion: r.apiVersion,
    timeoutMs: r.timeoutMs,
  };
}

export async function recordHealth(
  tx: Tx,
  id: number,
  health: { status: 'up' | 'down'; latencyMs: number; error: string | null },
): Promise<void> {
  await tx
    .update(llmConfigurations)
    .set({
      healthStatus: health.status,
      healthLatencyMs: health.latencyMs,
      healthError: health.error,
      healthCheckedAt: new Date(),
    })
    .where(eq(llmConfigurations.id, id));
}
