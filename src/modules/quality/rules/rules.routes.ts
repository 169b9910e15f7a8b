import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { pageOf } from '../../../platform/db/pagination.ts';
import { Uuid } from '../../../platform/http/schemas.ts';
import { BATCH_CHECK_JOB } from '../checks/checks.jobs.ts';
import { listCheckResults } from '../checks/checks.service.ts';
import { issueView, listIssues, updateIssue } from '../issues/issues.service.ts';
import { RULE_TYPES } from '../schema.ts';
import { withTaskId } from '../task-links.ts';
import {
  CheckResult,
  CheckResultsQuery,
  enumOf,
  Id,
  Issue,
  IssueChange,
  IssuesQuery,
  Json,
  Params,
  ProjectParams,
  Rule,
  RuleFields,
  Template,
  TemplateIn,
} from './rules.schemas.ts';
import {
  applyTemplate,
  createRule,
  createTemplate,
  deleteRule,
  listRules,
  listTemplates,
  requireProject,
  ruleVersions,
  ruleView,
  updateRule,
} from './rules.service.ts';

const tags = ['quality rules'];

export const rulesRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/projects/:projectId/quality/rules',
    {
      config: { permission: 'quality:read' },
      schema: {
        tags,
        summary: "The project's quality rules, highest priority first",
        params: ProjectParams,
        response: { 200: Type.Object({ items: Type.Array(Rule) }) },
      },
    },
    async (req) => ({
      items: (await req.tx((tx) => listRules(tx, req.me.tenantId, req.params.projectId))).map(ruleView),
    }),
  );

  app.post(
    '/projects/:projectId/quality/rules',
    {
      config: { permission: 'quality:manage' },
      schema: {
        tags,
        summary: 'Add a rule: a built-in type with its config, or a JSONata expression',
        description:
          'Types and config: required {controls?}, regex {pattern, flags?, control?}, text_length {min?, max?, control?}, no_overlap {control?}, allowed_labels {labels?, control?}, min_lead_time {seconds}, agreement {threshold}, expression {expression, message?} (JSONata over {annotation, task}; truthy passes; evaluated with a time, depth and size limit). A bad config is a 400 naming the field and the error.',
        params: ProjectParams,
        body: Type.Object({ ...RuleFields, type: enumOf(RULE_TYPES) }, { additionalProperties: false }),
        response: { 201: Rule },
      },
    },
    async (req, reply) => {
      const rule = await req.tx(async (tx) => {
        const r = await createRule(tx, req.me.tenantId, req.params.projectId, req.body, req.me.userId);
        req.audit({
          action: 'quality_rule.created',
          resourceType: 'quality_rule',
          resourceId: String(r.id),
          details: { project: r.projectId, type: r.type },
        });
        return r;
      });
      return reply.code(201).send(ruleView(rule));
    },
  );

  app.patch(
    '/quality/rules/:id',
    {
      config: { permission: 'quality:manage' },
      schema: {
        tags,
        summary: 'Change a rule (a new version; the old one is kept)',
        params: Params,
        body: Type.Partial(Type.Object(RuleFields), { additionalProperties: false }),
        response: { 200: Rule },
      },
    },
    async (req) =>
      ruleView(
        await req.tx(async (tx) => {
          const r = await updateRule(tx, req.me, req.params.id, req.body);
          req.audit({
            action: 'quality_rule.updated',
            resourceType: 'quality_rule',
            resourceId: String(r.id),
            details: { version: r.version, fields: Object.keys(req.body) },
          });
          return r;
        }),
      ),
  );

  app.delete(
    '/quality/rules/:id',
    {
      config: { permission: 'quality:manage' },
      schema: {
        tags,
        summary: 'Delete a rule and its results',
        params: Params,
        response: { 204: Type.Null() },
      },
    },
    async (req, reply) => {
      await req.tx(async (tx) => {
        const r = await deleteRule(tx, req.me, req.params.id);
        req.audit({
          action: 'quality_rule.deleted',
          resourceType: 'quality_rule',
          resourceId: String(r.id),
          details: { project: r.projectId, name: r.name },
        });
      });
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/quality/rules/:id/versions',
    {
      config: { permission: 'quality:read' },
      schema: {
        tags,
        summary: 'Every version of a rule, oldest first',
        params: Params,
        response: { 200: Type.Object({ items: Type.Array(Json) }) },
      },
    },
    async (req) => ({
      items: await req.tx((tx) => ruleVersions(tx, req.me, req.params.id)),
    }),
  );

  app.get(
    '/quality/rule-templates',
    {
      config: { permission: 'quality:read' },
      schema: {
        tags,
        summary: 'Rule templates: the built-in ones and the tenant’s own',
        response: { 200: Type.Object({ items: Type.Array(Template) }) },
      },
    },
    async (req) => ({ items: await req.tx((tx) => listTemplates(tx, req.me.tenantId)) }),
  );

  app.post(
    '/quality/rule-templates',
    {
      config: { permission: 'quality:manage' },
      schema: {
        tags,
        summary: 'Save a named bundle of rules for the tenant',
        body: TemplateIn,
        response: { 201: Template },
      },
    },
    async (req, reply) => {
      const t = await req.tx(async (tx) => {
        const t = await createTemplate(tx, req.me.tenantId, req.body, req.me.userId);
        req.audit({
          action: 'quality_template.created',
          resourceType: 'quality_rule_template',
          resourceId: t.name,
        });
        return t;
      });
      return reply.code(201).send(t);
    },
  );

  app.post(
    '/projects/:projectId/quality/rule-templates/:name/apply',
    {
      config: { permission: 'quality:manage' },
      schema: {
        tags,
        summary: "Add a template's rules to the project in one call",
        params: Type.Object({ projectId: Id, name: Type.String({ maxLength: 63 }) }),
        response: { 201: Type.Object({ items: Type.Array(Rule) }) },
      },
    },
    async (req, reply) => {
      const rules = await req.tx(async (tx) => {
        const rules = await applyTemplate(
          tx,
          req.me.tenantId,
          req.params.projectId,
          req.params.name,
          req.me.userId,
        );
        req.audit({
          action: 'quality_template.applied',
          resourceType: 'project',
          resourceId: String(req.params.projectId),
          details: { template: req.params.name, rules: rules.map((r) => r.id) },
        });
        return rules;
      });
      return reply.code(201).send({ items: rules.map(ruleView) });
    },
  );

  app.post(
    '/projects/:projectId/quality/checks',
    {
      config: { permission: 'quality:manage' },
      schema: {
        tags,
        summary: 'Check every submitted annotation of the project against its enabled rules (a job)',
        params: ProjectParams,
        response: { 202: Type.Object({ job_id: Uuid }) },
      },
    },
    async (req, reply) => {
      const jobId = await req.tx(async (tx) => {
        await requireProject(tx, req.me.tenantId, req.params.projectId);
        const id = await app.platform.queue.enqueue(tx, {
          tenantId: req.me.tenantId,
          kind: BATCH_CHECK_JOB,
          payload: { projectId: req.params.projectId },
          createdBy: req.me.userId,
        });
        req.audit({
          action: 'quality_check.batch_started',
          resourceType: 'project',
          resourceId: String(req.params.projectId),
          details: { job: id },
        });
        return id;
      });
      return reply.code(202).send({ job_id: jobId });
    },
  );

  app.get(
    '/projects/:projectId/quality/check-results',
    {
      config: { permission: 'quality:read' },
      schema: {
        tags,
        summary: 'Check results, newest first',
        params: ProjectParams,
        querystring: CheckResultsQuery,
        response: { 200: pageOf(CheckResult) },
      },
    },
    async (req) => req.tx((tx) => listCheckResults(tx, req.me.tenantId, req.params.projectId, req.query)),
  );

  app.get(
    '/projects/:projectId/quality/issues',
    {
      config: { permission: 'quality:read' },
      schema: {
        tags,
        summary: 'Quality issues, newest first',
        params: ProjectParams,
        querystring: IssuesQuery,
        response: { 200: pageOf(Issue) },
      },
    },
    async (req) => req.tx((tx) => listIssues(tx, req.me.tenantId, req.params.projectId, req.query)),
  );

  app.patch(
    '/quality/issues/:id',
    {
      config: { permission: 'quality:review' },
      schema: {
        tags,
        summary: 'Move an issue (open → in_progress → resolved / wont_fix; reopen) or assign it',
        params: Params,
        body: IssueChange,
        response: { 200: Issue },
      },
    },
    async (req) =>
      req.tx(async (tx) => {
        const i = await updateIssue(tx, req.me, req.params.id, {
          status: req.body.status,
          assigneeId: req.body.assignee_id,
        });
        req.audit({
          action: 'quality_issue.updated',
          resourceType: 'quality_issue',
          resourceId: String(i.id),
          details: { status: i.status, assignee: i.assigneeId },
        });
        return withTaskId(tx, issueView(i));
      }),
  );
};
