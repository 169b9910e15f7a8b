import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { badRequest } from '../../../platform/errors/problem.ts';
import { Nullable } from '../../../platform/http/schemas.ts';
import { bestTemplate, loadVocabulary } from '../ask.ts';
import { literals } from '../http.ts';
import { SLOT_TYPES } from '../schema.ts';
import { type rank, score } from './match.ts';
import type { Template } from './pack.ts';
import { checkTemplate, createTemplate, deleteTemplate, listTemplates, updateTemplate } from './store.ts';

const PatternIn = Type.Object(
  { lang: literals(['zh', 'en'] as const), text: Type.String({ minLength: 1, maxLength: 500 }) },
  { additionalProperties: false },
);
const SlotIn = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z_]{1,40}$' }),
    type: literals(SLOT_TYPES),
    values: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 50 })),
    default: Type.Optional(Type.Union([Type.Number(), Type.String({ maxLength: 100 })])),
  },
  { additionalProperties: false },
);
const Fields = {
  name: Type.String({ minLength: 1, maxLength: 100 }),
  description: Type.Optional(Type.String({ maxLength: 1000 })),
  patterns: Type.Array(PatternIn, { minItems: 1, maxItems: 50 }),
  slots: Type.Array(SlotIn, { maxItems: 10 }),
  sql: Type.String({ minLength: 1, maxLength: 20_000 }),
  enabled: Type.Optional(Type.Boolean()),
};
const TemplateOut = Type.Object({
  id: Type.String(),
  builtin: Type.Boolean(),
  name: Type.String(),
  description: Type.String(),
  patterns: Type.Array(PatternIn),
  slots: Type.Array(SlotIn),
  sql: Type.String(),
  enabled: Type.Boolean(),
});
const TemplateId = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });
const MatchOut = Type.Object({
  template_id: Nullable(Type.String()),
  name: Type.String(),
  confidence: Type.Number(),
  pattern: Type.String(),
  sql: Type.String(),
  params: Type.Array(Type.Unknown()),
  values: Type.Record(Type.String(), Type.Unknown()),
  missing: Type.Array(Type.String()),
});

const view = (t: Template & { enabled: boolean }) => ({
  id: t.id,
  builtin: t.builtin,
  name: t.name,
  description: t.description,
  patterns: t.patterns,
  slots: t.slots,
  sql: t.sql,
  enabled: t.enabled,
});

/** Built-in templates (read-only) and the tenant's own; `test` shows matches without running. */
export const templateRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/sql/templates',
    {
      config: { permission: 'sql:ask' },
      schema: {
        tags: ['sql'],
        summary: 'The built-in question templates and the tenant’s own',
        response: { 200: Type.Object({ items: Type.Array(TemplateOut) }) },
      },
    },
    async (req) => ({ items: (await req.tx((tx) => listTemplates(tx))).map(view) }),
  );

  app.post(
    '/sql/templates',
    {
      config: { permission: 'sql:manage' },
      schema: {
        tags: ['sql'],
        summary:
          'Add a template of the tenant’s own (its SQL must pass the validator with the slots’ parameters)',
        body: Type.Object(Fields, { additionalProperties: false }),
        response: { 201: TemplateOut },
      },
    },
    async (req, reply) => {
      const created = await req.tx(async (tx) => {
        const t = await createTemplate(tx, req.me.tenantId, req.me.userId, req.body);
        req.audit({
          action: 'sql.template.created',
          resourceType: 'sql_template',
          resourceId: t.id,
          details: req.body,
        });
        return t;
      });
      return reply.code(201).send(view(created));
    },
  );

  app.patch(
    '/sql/templates/:id',
    {
      config: { permission: 'sql:manage' },
      schema: {
        tags: ['sql'],
        summary: 'Change a template of the tenant’s own (409 for a built-in)',
        params: TemplateId,
        body: Type.Partial(Type.Object(Fields), { additionalProperties: false, minProperties: 1 }),
        response: { 200: TemplateOut },
      },
    },
    async (req) =>
      req.tx(async (tx) => {
        const t = await updateTemplate(tx, req.params.id, req.body);
        req.audit({
          action: 'sql.template.updated',
          resourceType: 'sql_template',
          resourceId: t.id,
          details: req.body,
        });
        return view(t);
      }),
  );

  app.delete(
    '/sql/templates/:id',
    {
      config: { permission: 'sql:manage' },
      schema: {
        tags: ['sql'],
        summary: 'Delete a template of the tenant’s own (409 for a built-in)',
        params: TemplateId,
        response: { 204: Type.Null() },
      },
    },
    async (req, reply) => {
      await req.tx(async (tx) => {
        const t = await deleteTemplate(tx, req.params.id);
        req.audit({
          action: 'sql.template.deleted',
          resourceType: 'sql_template',
          resourceId: t.id,
          details: { name: t.name },
        });
      });
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/sql/templates/test',
    {
      // Reads only: scores templates against a question and runs nothing.
      config: { permission: 'sql:ask', audit: false },
      schema: {
        tags: ['sql'],
        summary:
          'The best matches for a question (or how a draft template matches it): confidence, filled parameters and SQL, without running',
        body: Type.Object(
          {
            question: Type.String({ minLength: 1, maxLength: 2000 }),
            template: Type.Optional(
              Type.Object(
                { patterns: Fields.patterns, slots: Fields.slots, sql: Fields.sql },
                { additionalProperties: false },
              ),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ matches: Type.Array(MatchOut) }) },
      },
    },
    async (req) => {
      const now = new Date();
      const draft = req.body.template;
      let matches: ReturnType<typeof rank>;
      if (draft) {
        await checkTemplate(draft);
        const template: Template = { id: '', name: 'draft', description: '', builtin: false, ...draft };
        matches = [score(req.body.question, template, await req.tx(loadVocabulary), now)];
      } else {
        const best = await bestTemplate((work) => req.tx(work), req.body.question, now, 5);
        if (!best) throw badRequest('sql.no_templates', 'There are no templates.');
        matches = best;
      }
      return {
        matches: matches.map((m) => ({
          template_id: m.template.id || null,
          name: m.template.name,
          confidence: m.confidence,
          pattern: m.pattern,
          sql: m.template.sql,
          params: m.filled.params,
          values: m.filled.values,
          missing: m.filled.missing,
        })),
      };
    },
  );
};
