import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { Nullable } from '../../../platform/http/schemas.ts';
import { literals } from '../http.ts';
import { loadParser, Refusal, validateSelect } from '../validator.ts';
import { PLUGIN_FAILURES } from './client.ts';
import { pluginConsultant } from './consult.ts';
import { createPlugin, deletePlugin, getPlugin, listPlugins, pluginView, updatePlugin } from './store.ts';

/** The question POST /sql/plugins/:id/test sends: every plugin should answer it. */
export const PROBE_QUESTION = 'How many projects are there?';

const Fields = {
  name: Type.String({ minLength: 1, maxLength: 100 }),
  endpoint_url: Type.String({
    minLength: 1,
    maxLength: 2000,
    description: 'http(s) URL the question is POSTed to',
  }),
  api_key: Type.String({
    minLength: 1,
    maxLength: 4000,
    description: 'Write-only: sent as the bearer token, sealed at rest, shown as ••••last4',
  }),
  // No schema default: PATCH shares these fields, and a default would reset the timeout.
  timeout_ms: Type.Optional(
    Type.Integer({ minimum: 100, maximum: 120_000, description: 'For the whole call; 10000 when absent' }),
  ),
  enabled: Type.Optional(Type.Boolean()),
};
const PluginOut = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  endpoint_url: Type.String(),
  api_key: Type.String({ description: '••••last4, never the key' }),
  timeout_ms: Type.Integer(),
  enabled: Type.Boolean(),
  created_at: Type.String(),
  updated_at: Type.String(),
});
const PluginId = Type.Object({ id: Type.Integer({ minimum: 1 }) });
const TestOut = Type.Object({
  ok: Type.Boolean({ description: 'The plugin answered within the contract (SQL or cannot_answer)' }),
  latency_ms: Type.Integer(),
  failure: Nullable(literals(PLUGIN_FAILURES)),
  error: Nullable(Type.String()),
  sql: Nullable(Type.String()),
  /** The validator's rule when the plugin's SQL would be refused. */
  refused: Nullable(Type.String()),
  cannot_answer: Nullable(Type.String()),
});

/** Third-party text-to-SQL services (method third_party): keys write-only, `test` probes one. */
export const pluginRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/sql/plugins',
    {
      config: { permission: 'sql:manage' },
      schema: {
        tags: ['sql'],
        summary: 'The tenant’s third-party text-to-SQL plugins (keys shown as ••••last4)',
        response: { 200: Type.Object({ items: Type.Array(PluginOut) }) },
      },
    },
    async (req) => ({ items: (await req.tx(listPlugins)).map(pluginView) }),
  );

  app.post(
    '/sql/plugins',
    {
      config: { permission: 'sql:manage' },
      schema: {
        tags: ['sql'],
        summary: 'Register a third-party text-to-SQL plugin (the contract is in the README)',
        body: Type.Object(Fields, { additionalProperties: false }),
        response: { 201: PluginOut },
      },
    },
    async (req, reply) => {
      const created = await req.tx(async (tx) => {
        const row = await createPlugin(tx, app.platform.secrets, req.me.tenantId, req.me.userId, req.body);
        req.audit({
          action: 'sql.plugin.created',
          resourceType: 'third_party_plugin',
          resourceId: String(row.id),
          details: { ...req.body, api_key: undefined },
        });
        return row;
      });
      return reply.code(201).send(pluginView(created));
    },
  );

  app.get(
    '/sql/plugins/:id',
    {
      config: { permission: 'sql:manage' },
      schema: { tags: ['sql'], summary: 'One plugin', params: PluginId, response: { 200: PluginOut } },
    },
    async (req) => pluginView(await req.tx((tx) => getPlugin(tx, req.params.id))),
  );

  app.patch(
    '/sql/plugins/:id',
    {
      config: { permission: 'sql:manage' },
      schema: {
        tags: ['sql'],
        summary: 'Change a plugin (a new api_key replaces the old; absent keeps it)',
        params: PluginId,
        body: Type.Partial(Type.Object(Fields), { additionalProperties: false, minProperties: 1 }),
        response: { 200: PluginOut },
      },
    },
    async (req) =>
      req.tx(async (tx) => {
        const row = await updatePlugin(tx, app.platform.secrets, req.params.id, req.body);
        req.audit({
          action: 'sql.plugin.updated',
          resourceType: 'third_party_plugin',
          resourceId: String(row.id),
          details: { ...req.body, api_key: req.body.api_key === undefined ? undefined : 'replaced' },
        });
        return pluginView(row);
      }),
  );

  app.delete(
    '/sql/plugins/:id',
    {
      config: { permission: 'sql:manage' },
      schema: {
        tags: ['sql'],
        summary: 'Delete a plugin (a configuration naming it names none after)',
        params: PluginId,
        response: { 204: Type.Null() },
      },
    },
    async (req, reply) => {
      await req.tx(async (tx) => {
        const row = await deletePlugin(tx, req.params.id);
        req.audit({
          action: 'sql.plugin.deleted',
          resourceType: 'third_party_plugin',
          resourceId: String(row.id),
          details: { name: row.name },
        });
      });
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/sql/plugins/:id/test',
    {
      config: { permission: 'sql:manage' },
      schema: {
        tags: ['sql'],
        summary: `Send the plugin a fixed probe question (“${PROBE_QUESTION}”) and report whether it answered, how fast, and whether its SQL would pass the validator; runs nothing`,
        params: PluginId,
        response: { 200: TestOut },
      },
    },
    async (req) => {
      const plugin = await req.tx((tx) => getPlugin(tx, req.params.id));
      const reply = await pluginConsultant(app.platform, (work) => req.tx(work))(plugin, PROBE_QUESTION);
      const out = {
        ok: reply.kind !== 'failed',
        latency_ms: reply.latencyMs,
        failure: reply.kind === 'failed' ? reply.failure : null,
        error: reply.kind === 'failed' ? reply.message : null,
        sql: reply.kind === 'sql' ? reply.sql : null,
        refused: reply.kind === 'sql' ? await refusalOf(reply.sql) : null,
        cannot_answer: reply.kind === 'cannot_answer' ? reply.reason : null,
      };
      await req.tx(async () =>
        req.audit({
          action: 'sql.plugin.tested',
          resourceType: 'third_party_plugin',
          resourceId: String(plugin.id),
          details: { ok: out.ok, failure: out.failure, latency_ms: out.latency_ms },
        }),
      );
      return out;
    },
  );
};

async function refusalOf(sql: string): Promise<string | null> {
  await loadParser();
  try {
    validateSelect(sql);
    return null;
  } catch (err) {
    if (err instanceof Refusal) return err.rule;
    throw err;
  }
}
