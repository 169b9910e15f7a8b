import { asc, eq } from 'drizzle-orm';
import type { SecretBox } from '../../../platform/crypto/secrets.ts';
import type { Executor, Tx } from '../../../platform/db/client.ts';
import { badRequest, notFound } from '../../../platform/errors/problem.ts';
import { uniqueName } from '../http.ts';
import { thirdPartyPlugins } from '../schema.ts';

export type PluginRow = typeof thirdPartyPlugins.$inferSelect;

export interface PluginInput {
  name: string;
  endpoint_url: string;
  /** Write-only: sealed at rest, shown only as ••••last4. */
  api_key: string;
  timeout_ms?: number;
  enabled?: boolean;
}

/** What the API shows of a plugin: never the key, only its last four characters. */
export function pluginView(r: PluginRow) {
  return {
    id: r.id,
    name: r.name,
    endpoint_url: r.endpointUrl,
    api_key: `••••${r.apiKeyLast4}`,
    timeout_ms: r.timeoutMs,
    enabled: r.enabled,
    created_at: r.createdAt.toISOString(),
    updated_at: r.updatedAt.toISOString(),
  };
}

/** http(s) only, and no credentials in the URL: the key travels as the bearer token. */
function checkEndpoint(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw badRequest('sql.plugin_url_invalid', 'endpoint_url is not a URL.', [
      { path: '/endpoint_url', message: 'not a URL' },
    ]);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw badRequest('sql.plugin_url_scheme', 'endpoint_url must be http or https.', [
      { path: '/endpoint_url', message: 'not http(s)' },
    ]);
  if (url.username || url.password)
    throw badRequest('sql.plugin_url_credentials', 'endpoint_url may not hold credentials; use api_key.', [
      { path: '/endpoint_url', message: 'holds credentials' },
    ]);
  return raw;
}

async function sealedKey(tx: Tx, secrets: SecretBox, key: string | undefined) {
  if (key === undefined) return {};
  return { apiKeySealed: await secrets.encrypt(tx, key), apiKeyLast4: key.slice(-4) };
}

const unique = <T>(work: () => Promise<T>) => uniqueName('plugin', 'plugin_name_taken', work);

export async function createPlugin(
  tx: Tx,
  secrets: SecretBox,
  tenantId: string,
  userId: string,
  input: PluginInput,
): Promise<PluginRow> {
  const endpointUrl = checkEndpoint(input.endpoint_url);
  const key = await sealedKey(tx, secrets, input.api_key);
  const [row] = await unique(() =>
    tx
      .insert(thirdPartyPlugins)
      .values({
        tenantId,
        name: input.name,
        endpointUrl,
        apiKeySealed: key.apiKeySealed!,
        apiKeyLast4: key.apiKeyLast4!,
        timeoutMs: input.timeout_ms,
        enabled: input.enabled,
        createdBy: userId,
      })
      .returning(),
  );
  return row!;
}

export async function getPlugin(db: Executor, id: number): Promise<PluginRow> {
  const [row] = await db.select().from(thirdPartyPlugins).where(eq(thirdPartyPlugins.id, id));
  if (!row) throw notFound('plugin.not_found', 'The plugin');
  return row;
}

export function listPlugins(db: Executor): Promise<PluginRow[]> {
  return db.select().from(thirdPartyPlugins).orderBy(asc(thirdPartyPlugins.id));
}

export async function updatePlugin(
  tx: Tx,
  secrets: SecretBox,
  id: number,
  patch: Partial<PluginInput>,
): Promise<PluginRow> {
  await getPlugin(tx, id);
  const [row] = await unique(async () =>
    tx
      .update(thirdPartyPlugins)
      .set({
        name: patch.name,
        endpointUrl: patch.endpoint_url === undefined ? undefined : checkEndpoint(patch.endpoint_url),
        timeoutMs: patch.timeout_ms,
        enabled: patch.enabled,
        updatedAt: new Date(),
        ...(await sealedKey(tx, secrets, patch.api_key)),
      })
      .where(eq(thirdPartyPlugins.id, id))
      .returning(),
  );
  return row!;
}

export async function deletePlugin(tx: Tx, id: number): Promise<PluginRow> {
  const [row] = await tx.delete(thirdPartyPlugins).where(eq(thirdPartyPlugins.id, id)).returning();
  if (!row) throw notFound('plugin.not_found', 'The plugin');
  return row;
}

/** The plugin's wire endpoint, its key opened in the caller's transaction. */
export async function endpointOf(db: Executor, secrets: SecretBox, r: PluginRow) {
  return {
    id: r.id,
    name: r.name,
    url: r.endpointUrl,
    apiKey: await secrets.decrypt(db, r.apiKeySealed),
    timeoutMs: r.timeoutMs,
  };
}
export type PluginEndpoint = Awaited<ReturnType<typeof endpointOf>>;
