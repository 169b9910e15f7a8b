import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { eq } from 'drizzle-orm';
import type { FastifyRequest } from 'fastify';
import { grants } from '../../../platform/auth/permissions.ts';
import { PageQuery, pageOf } from '../../../platform/db/pagination.ts';
import { DateTime, Nullable, Uuid } from '../../../platform/http/schemas.ts';
import { Params, ProjectParams } from '../rules/rules.routes.ts';
import { requireMembers, requireProject } from '../rules/rules.service.ts';
import { IMPROVEMENT_STATES, qualityWorkflows, SEVERITIES } from '../schema.ts';
import {
  type Actor,
  assignImprovement,
  createImprovement,
  getImprovement,
  improvementHistoryOf,
  improvementView,
  listImprovements,
  moveImprovement,
} from './improvement.service.ts';

const enumOf = <T extends string>(values: readonly T[]) =>
  Type.Unsafe<T>({ type: 'string', enum: [...values] });
const tags = ['quality improvement'];
const Result = Type.Array(Type.Record(Type.String(), Type.Unknown()), { maxItems: 10_000 });
const Improvement = Type.Object({
  id: Type.Integer(),
  project_id: Type.Integer(),
  annotation_id: Type.Integer(),
  issue_id: Nullable(Type.Integer()),
  status: Type.String(),
  assignee_id: Nullable(Type.String()),
  original_result: Type.Array(Type.Unknown()),
  proposed_result: Nullable(Type.Array(Type.Unknown())),
  comment: Type.String(),
  created_by: Nullable(Type.String()),
  created_at: DateTime,
  updated_at: DateTime,
});
const History = Type.Object({
  from: Nullable(Type.String()),
  to: Type.String(),
  actor_id: Nullable(Type.String()),
  comment: Type.String(),
  details: Type.Record(Type.String(), Type.Unknown()),
  at: DateTime,
});
const Workflow = Type.Object({
  project_id: Type.Integer(),
  stages: Type.Array(Type.String()),
  auto_create_improvement: Type.Boolean(),
  min_severity: Type.String(),
  auto_assign: Type.String(),
  assignee_id: Nullable(Type.String()),
  updated_at: Nullable(DateTime),
});

const actorOf = (req: FastifyRequest): Actor => ({
  tenantId: req.me.tenantId,
  userId: req.me.userId,
  reviewer: grants(req.me.permissions, 'quality:review'),
});

const workflowView = (projectId: number, w: typeof qualityWorkflows.$inferSelect | undefined) => ({
  project_id: projectId,
  stages: w?.stages ?? ['check', 'improve', 'review'],
  auto_create_improvement: w?.autoCreateImprovement ?? false,
  min_severity: w?.minSeverity ?? 'medium',
  auto_assign: w?.autoAssign ?? 'annotator',
  assignee_id: w?.assigneeId ?? null,
  updated_at: w?.updatedAt ?? null,
});

export const improvementRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/projects/:projectId/quality/workflow',
    {
      config: { permission: 'quality:read' },
      schema: {
        tags,
        summary: "The project's quality workflow (defaults until one is set)",
        params: ProjectParams,
        response: { 200: Workflow },
      },
    },
    async (req) =>
      req.tx(async (tx) => {
        await requireProject(tx, req.me.tenantId, req.params.projectId);
        const [w] = await tx
          .select()
          .from(qualityWorkflows)
          .where(eq(qualityWorkflows.projectId, req.params.projectId));
        return workflowView(req.params.projectId, w);
      }),
  );

  app.put(
    '/projects/:projectId/quality/workflow',
    {
      config: { permission: 'quality:manage' },
      schema: {
        tags,
        summary:
          'Set the workflow: whether failed checks make improvement tasks, from which severity, for whom',
        params: ProjectParams,
        body: Type.Object(
          {
            stages: Type.Optional(Type.Array(Type.String({ maxLength: 50 }), { maxItems: 20 })),
            auto_create_improvement: Type.Boolean(),
            min_severity: Type.Optional(enumOf(SEVERITIES)),
            auto_assign: Type.Optional(enumOf(['annotator', 'user', 'none'] as const)),
            assignee_id: Type.Optional(Nullable(Uuid)),
          },
          { additionalProperties: false },
        ),
        response: { 200: Workflow },
      },
    },
    async (req) =>
      req.tx(async (tx) => {
        const { tenantId } = req.me;
        const b = req.body;
        await requireProject(tx, tenantId, req.params.projectId);
        await requireMembers(tx, tenantId, [b.assignee_id], 'body/assignee_id');
        const values = {
          stages: b.stages ?? ['check', 'improve', 'review'],
          autoCreateImprovement: b.auto_create_improvement,
          minSeverity: b.min_severity ?? 'medium',
          autoAssign: b.auto_assign ?? 'annotator',
          assigneeId: b.assignee_id ?? null,
          updatedAt: new Date(),
        };
        const [w] = await tx
          .insert(qualityWorkflows)
          .values({ tenantId, projectId: req.params.projectId, ...values })
          .onConflictDoUpdate({ target: qualityWorkflows.projectId, set: values })
          .returning();
        req.audit({
          action: 'quality_workflow.updated',
          resourceType: 'project',
          resourceId: String(req.params.projectId),
          details: b,
        });
        return workflowView(req.params.projectId, w);
      }),
  );

  app.post(
    '/quality/improvement-tasks',
    {
      config: { permission: 'quality:review' },
      schema: {
        tags,
        summary: 'Make an improvement task from an issue (or for an annotation) and assign it',
        body: Type.Object(
          {
            issue_id: Type.Optional(Type.Integer({ minimum: 1 })),
            annotation_id: Type.Optional(Type.Integer({ minimum: 1 })),
            assignee_id: Type.Optional(Nullable(Uuid)),
            comment: Type.Optional(Type.String({ maxLength: 5000 })),
          },
          { additionalProperties: false },
        ),
        response: { 201: Improvement },
      },
    },
    async (req, reply) => {
      const t = await req.tx(async (tx) => {
        const t = await createImprovement(
          tx,
          req.me.tenantId,
          {
            issueId: req.body.issue_id,
            annotationId: req.body.annotation_id,
            assigneeId: req.body.assignee_id,
            comment: req.body.comment,
          },
          req.me.userId,
        );
        req.audit({
          action: 'improvement_task.created',
          resourceType: 'improvement_task',
          resourceId: String(t.id),
          details: { annotation: t.annotationId, issue: t.issueId, assignee: t.assigneeId },
        });
        return t;
      });
      return reply.code(201).send(improvementView(t));
    },
  );

  app.get(
    '/projects/:projectId/quality/improvement-tasks',
    {
      config: { permission: 'quality:review' },
      schema: {
        tags,
        summary: "The project's improvement tasks, newest first",
        params: ProjectParams,
        querystring: Type.Object({ ...PageQuery, status: Type.Optional(enumOf(IMPROVEMENT_STATES)) }),
        response: { 200: pageOf(Improvement) },
      },
    },
    async (req) =>
      req.tx((tx) =>
        listImprovements(
          tx,
          req.me.tenantId,
          { projectId: req.params.projectId, status: req.query.status },
          req.query.limit ?? 50,
          req.query.cursor,
        ),
      ),
  );

  app.get(
    '/quality/improvement-tasks',
    {
      config: { permission: 'quality:improve' },
      schema: {
        tags,
        summary: 'Improvement tasks assigned to the caller, newest first',
        querystring: Type.Object({ ...PageQuery, status: Type.Optional(enumOf(IMPROVEMENT_STATES)) }),
        response: { 200: pageOf(Improvement) },
      },
    },
    async (req) =>
      req.tx((tx) =>
        listImprovements(
          tx,
          req.me.tenantId,
          { assigneeId: req.me.userId, status: req.query.status },
          req.query.limit ?? 50,
          req.query.cursor,
        ),
      ),
  );

  app.get(
    '/quality/improvement-tasks/:id',
    {
      config: { permission: 'quality:improve' },
      schema: {
        tags,
        summary: 'An improvement task with its history (its assignee, or a reviewer)',
        params: Params,
        response: { 200: Type.Intersect([Improvement, Type.Object({ history: Type.Array(History) })]) },
      },
    },
    async (req) =>
      req.tx(async (tx) => {
        const t = await getImprovement(tx, actorOf(req), req.params.id);
        return { ...improvementView(t), history: await improvementHistoryOf(tx, t.id) };
      }),
  );

  app.patch(
    '/quality/improvement-tasks/:id',
    {
      config: { permission: 'quality:review' },
      schema: {
        tags,
        summary: 'Assign an improvement task',
        params: Params,
        body: Type.Object({ assignee_id: Nullable(Uuid) }, { additionalProperties: false }),
        response: { 200: Improvement },
      },
    },
    async (req) =>
      improvementView(
        await req.tx(async (tx) => {
          const t = await assignImprovement(tx, actorOf(req), req.params.id, req.body.assignee_id);
          req.audit({
            action: 'improvement_task.assigned',
            resourceType: 'improvement_task',
            resourceId: String(t.id),
            details: { assignee: t.assigneeId },
          });
          return t;
        }),
      ),
  );

  app.post(
    '/quality/improvement-tasks/:id/transitions',
    {
      config: { permission: 'quality:improve' },
      schema: {
        tags,
        summary: 'Move an improvement task',
        description:
          'pending → in_progress (assignee) → submitted (assignee, with the improved result) → approved or rejected (quality:review); approved or rejected → pending (reopen, quality:review); rejected → in_progress (assignee). Approval writes the result into the annotation; the original stays on the task and in the history.',
        params: Params,
        body: Type.Object(
          {
            to: enumOf(IMPROVEMENT_STATES),
            result: Type.Optional(Result),
            comment: Type.Optional(Type.String({ maxLength: 5000 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Improvement },
      },
    },
    async (req) =>
      improvementView(
        await req.tx(async (tx) => {
          const t = await moveImprovement(tx, app.platform, actorOf(req), req.params.id, req.body);
          req.audit({
            action: `improvement_task.${t.status}`,
            resourceType: 'improvement_task',
            resourceId: String(t.id),
            details: { annotation: t.annotationId },
          });
          return t;
        }),
      ),
  );
};
