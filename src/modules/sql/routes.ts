import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { grants } from '../../platform/auth/permissions.ts';
import { PageQuery, pageOf } from '../../platform/db/pagination.ts';
import { Nullable } from '../../platform/http/schemas.ts';
import { ask, type TxRunner } from './ask.ts';
import { sqlDownloadRoutes } from './download.ts';
import { literals, requireTenantWideAccess } from './http.ts';
import { PACK_EXAMPLES } from './llm/examples.ts';
import { generateWithLlm } from './llm/generate.ts';
import { pluginConsultant } from './plugins/consult.ts';
import { pluginRoutes } from './plugins/routes.ts';
import { REPORTING_SCHEMA, REPORTING_VIEWS } from './reporting.ts';
import { DEFAULT_METHODS, METHODS, OUTCOMES } from './schema.ts';
import {
  getConfiguration,
  giveFeedback,
  knownSource,
  listLogs,
  putConfiguration,
  runQuery,
} from './service.ts';
import { templateRoutes } from './templates/routes.ts';

const Id = Type.Integer({ minimum: 1 });
const SourceId = Type.Optional(
  Nullable(Type.String({ maxLength: 100, description: 'null: the platform’s own data' })),
);

const ConfigurationFields = {
  default_method: literals(DEFAULT_METHODS),
  row_limit: Type.Integer({ minimum: 1, maximum: 10_000 }),
  statement_timeout_ms: Type.Integer({ minimum: 100, maximum: 60_000 }),
  enabled_sources: Type.Array(Type.String({ minLength: 1, maxLength: 100 }), {
    maxItems: 50,
    uniqueItems: true,
  }),
  llm_binding: Nullable(Type.String({ minLength: 1, maxLength: 100 })),
  plugin_id: Type.Optional(
    Nullable(Type.Integer({ minimum: 1, description: 'The plugin method third_party calls; absent: none' })),
  ),
};
const ConfigurationOut = Type.Object({
  ...ConfigurationFields,
  plugin_id: Nullable(Type.Integer()),
  updated_at: Nullable(Type.String()),
});

const LogOut = Type.Object({
  id: Type.Integer(),
  user_id: Nullable(Type.String()),
  source_id: Nullable(Type.String()),
  question: Nullable(Type.String()),
  method: literals(METHODS),
  sql: Type.String(),
  params: Type.Array(Type.Unknown()),
  confidence: Nullable(Type.Number()),
  duration_ms: Type.Integer(),
  outcome: literals(OUTCOMES),
  row_count: Nullable(Type.Integer()),
  error: Nullable(Type.String()),
  plugin_id: Nullable(Type.Integer()),
  plugin_latency_ms: Nullable(Type.Integer()),
  feedback: Nullable(
    Type.Object({
      correct: Type.Boolean(),
      sql: Nullable(Type.String()),
      by: Nullable(Type.String()),
      at: Type.String(),
    }),
  ),
  created_at: Type.String(),
});

const configurationView = (c: Awaited<ReturnType<typeof getConfiguration>>) => ({
  default_method: c.defaultMethod,
  row_limit: c.rowLimit,
  statement_timeout_ms: c.statementTimeoutMs,
  enabled_sources: c.enabledSources,
  llm_binding: c.llmBinding,
  plugin_id: c.pluginId,
  updated_at: c.updatedAt?.toISOString() ?? null,
});

export const sqlRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const boundPlan = app.platform.database.driver === 'pglite';
  await app.register(sqlDownloadRoutes);

  app.get(
    '/sql/schema',
    {
      config: { permission: 'sql:ask' },
      schema: {
        tags: ['sql'],
        summary: 'The reporting views a query may read, with their documented columns',
        response: {
          200: Type.Object({
            schema: Type.String(),
            views: Type.Array(
              Type.Object({
                name: Type.String(),
                description: Type.String(),
                columns: Type.Array(
                  Type.Object({ name: Type.String(), type: Type.String(), description: Type.String() }),
                ),
              }),
            ),
          }),
        },
      },
    },
    async () => ({ schema: REPORTING_SCHEMA, views: REPORTING_VIEWS }),
  );

  app.post(
    '/sql/run',
    {
      config: { permission: 'sql:run' },
      schema: {
        tags: ['sql'],
        summary:
          'Run one SELECT over the reporting views after proving it read-only (400 with the rule broken otherwise)',
        body: Type.Object(
          { sql: Type.String({ maxLength: 20_000 }), source_id: SourceId },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            log_id: Type.Integer(),
            columns: Type.Array(Type.String()),
            rows: Type.Array(Type.Record(Type.String(), Type.Unknown())),
            truncated: Type.Boolean(),
          }),
        },
      },
    },
    async (req) => {
      requireTenantWideAccess(req);
      // Who ran which query is audited whatever its outcome: the entry is written by the
      // first transaction, the configuration's read, before the query itself runs.
      req.audit({
        action: 'sql.run',
        resourceType: 'sql_query',
        details: { sql: req.body.sql, source_id: req.body.source_id ?? null },
      });
      // An unknown source is refused before any transaction, as runQuery would refuse it.
      knownSource(req.body.source_id);
      const config = await req.tx(getConfiguration);
      return runQuery(
        (work) => req.tx(work),
        { tenantId: req.me.tenantId, userId: req.me.userId },
        { sql: req.body.sql, sourceId: req.body.source_id, method: 'manual' },
        { boundPlan },
        config,
      );
    },
  );

  app.post(
    '/sql/ask',
    {
      config: { permission: 'sql:ask' },
      schema: {
        tags: ['sql'],
        summary:
          'Answer a question: a matching template (method template), the LLM (llm), or the template when it matches with confidence ≥ 0.7 and the LLM otherwise (hybrid); 422 cannot_answer when none can',
        body: Type.Object(
          {
            question: Type.String({ minLength: 1, maxLength: 2000 }),
            source_id: SourceId,
            method: Type.Optional(literals(DEFAULT_METHODS)),
            plugin_id: Type.Optional(
              Type.Integer({ minimum: 1, description: 'third_party: this plugin, not the configuration’s' }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            log_id: Type.Integer(),
            sql: Type.String(),
            params: Type.Array(Type.Unknown()),
            method: literals(METHODS),
            confidence: Nullable(Type.Number({ description: 'null: a plugin that gave none' })),
            template_id: Nullable(Type.String()),
            plugin_id: Type.Optional(Type.Integer()),
            columns: Type.Array(Type.String()),
            rows: Type.Array(Type.Record(Type.String(), Type.Unknown())),
            truncated: Type.Boolean(),
          }),
        },
      },
    },
    async (req) => {
      requireTenantWideAccess(req);
      req.audit({
        action: 'sql.ask',
        resourceType: 'sql_query',
        details: {
          question: req.body.question,
          method: req.body.method ?? null,
          source_id: req.body.source_id ?? null,
          plugin_id: req.body.plugin_id ?? null,
        },
      });
      const scope = { tenantId: req.me.tenantId, userId: req.me.userId };
      const tx: TxRunner = (work) => req.tx(work);
      return ask(
        {
          tx,
          ...scope,
          generate: (_ctx, question, config) =>
            generateWithLlm(app.platform, { ...scope, requestId: req.id }, question, config, PACK_EXAMPLES),
          consult: pluginConsultant(app.platform, tx),
        },
        {
          question: req.body.question,
          sourceId: req.body.source_id,
          method: req.body.method,
          pluginId: req.body.plugin_id,
        },
        { boundPlan },
      );
    },
  );

  // Same instance, so the module's feature and the permission hooks cover them alike.
  await templateRoutes(app, {});
  await pluginRoutes(app, {});

  app.get(
    '/sql/logs',
    {
      config: { permission: 'sql:ask' },
      schema: {
        tags: ['sql'],
        summary: 'Questions asked and queries run, newest first (one’s own; everyone’s with sql:manage)',
        querystring: Type.Object(PageQuery),
        response: { 200: pageOf(LogOut) },
      },
    },
    async (req) => {
      const mine = grants(req.principal!.permissions, 'sql:manage') ? undefined : req.me.userId;
      return req.read((db) => listLogs(db, mine, req.query));
    },
  );

  app.post(
    '/sql/logs/:id/feedback',
    {
      config: { permission: 'sql:ask' },
      schema: {
        tags: ['sql'],
        summary: 'Mark a log correct or not, with the corrected query; feedback makes it a retrieval example',
        params: Type.Object({ id: Id }),
        body: Type.Object(
          { correct: Type.Boolean(), sql: Type.Optional(Type.String({ minLength: 1, maxLength: 20_000 })) },
          { additionalProperties: false },
        ),
        response: { 200: LogOut },
      },
    },
    async (req) =>
      req.tx(async (tx) => {
        const anyLog = grants(req.principal!.permissions, 'sql:manage');
        const log = await giveFeedback(tx, req.params.id, { userId: req.me.userId, anyLog }, req.body);
        req.audit({
          action: 'sql.log.feedback',
          resourceType: 'sql_generation_log',
          resourceId: String(log.id),
          details: req.body,
        });
        return log;
      }),
  );

  app.get(
    '/sql/configuration',
    {
      config: { permission: 'sql:ask' },
      schema: {
        tags: ['sql'],
        summary: 'The tenant’s text-to-SQL configuration (the defaults until one is saved)',
        response: { 200: ConfigurationOut },
      },
    },
    async (req) => configurationView(await req.tx(getConfiguration)),
  );

  app.put(
    '/sql/configuration',
    {
      config: { permission: 'sql:manage' },
      schema: {
        tags: ['sql'],
        summary: 'Replace the tenant’s text-to-SQL configuration',
        body: Type.Object(ConfigurationFields, { additionalProperties: false }),
        response: { 200: ConfigurationOut },
      },
    },
    async (req) =>
      req.tx(async (tx) => {
        const b = req.body;
        const saved = await putConfiguration(tx, req.me.tenantId, req.me.userId, {
          defaultMethod: b.default_method,
          rowLimit: b.row_limit,
          statementTimeoutMs: b.statement_timeout_ms,
          enabledSources: b.enabled_sources,
          llmBinding: b.llm_binding,
          pluginId: b.plugin_id ?? null,
        });
        req.audit({
          action: 'sql.configuration.updated',
          resourceType: 'text_to_sql_configuration',
          resourceId: req.me.tenantId,
          details: b,
        });
        return configurationView(saved);
      }),
  );
};
