import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { eq } from 'drizzle-orm';
import type { FastifyRequest } from 'fastify';
import { grants } from '../../../platform/auth/permissions.ts';
import { pageOf } from '../../../platform/db/pagination.ts';
import { Nullable, Uuid } from '../../../platform/http/schemas.ts';
import { AnnotationOut } from '../../annotation/index.ts';
import { Params, ProjectParams } from '../rules/rules.schemas.ts';
import { requireMembers, requireProject } from '../rules/rules.service.ts';
import { qualityWorkflows } from '../schema.ts';
import { withTaskId } from '../task-links.ts';
import {
  History,
  Improvement,
  ImprovementChange,
  ImprovementIn,
  ImprovementsQuery,
  Workflow,
  WorkflowIn,
} from './improvement.schemas.ts';
import {
  type Actor,
  assignImprovement,
  createImprovement,
  getImprovement,
  improvementAnnotation,
  improvementHistoryOf,
  improvementView,
  listImprovements,
  moveImprovement,
} from './improvement.service.ts';

const tags = ['quality improvement'];

const actorOf = (req: FastifyRequest): Actor => ({
  ...req.me,
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
        body: WorkflowIn,
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
        body: ImprovementIn,
        response: { 201: Improvement },
      },
    },
    async (req, reply) => {
      const t = await req.tx(async (tx) => {
        const t = await createImprovement(
          tx,
          req.me,
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
        return withTaskId(tx, improvementView(t));
      });
      return reply.code(201).send(t);
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
        querystring: ImprovementsQuery,
        response: { 200: pageOf(Improvement) },
      },
    },
    async (req) =>
      req.tx((tx) =>
        listImprovements(tx, req.me.tenantId, { ...req.query, projectId: req.params.projectId }),
      ),
  );

  app.get(
    '/quality/improvement-tasks',
    {
      config: { permission: 'quality:improve' },
      schema: {
        tags,
        summary: 'Improvement tasks assigned to the caller, newest first',
        querystring: ImprovementsQuery,
        response: { 200: pageOf(Improvement) },
      },
    },
    async (req) =>
      req.tx((tx) => listImprovements(tx, req.me.tenantId, { ...req.query, assigneeId: req.me.userId })),
  );

  app.get(
    '/quality/improvement-tasks/:id',
    {
      config: { permission: 'quality:improve' },
      schema: {
        tags,
        summary: 'An improvement task with its history (its assignee, or a reviewer)',
        params: Params,
        response: { 200: Type.Composite([Improvement, Type.Object({ history: Type.Array(History) })]) },
      },
    },
    async (req) =>
      req.tx(async (tx) => {
        const t = await getImprovement(tx, actorOf(req), req.params.id);
        return {
          ...(await withTaskId(tx, improvementView(t))),
          history: await improvementHistoryOf(tx, t.id),
        };
      }),
  );

  app.get(
    '/quality/improvement-tasks/:id/annotation',
    {
      config: { permission: 'quality:improve' },
      schema: {
        tags,
        summary: 'The annotation an improvement task improves, with its task (its assignee, or a reviewer)',
        params: Params,
        response: {
          200: Type.Object({
            annotation: AnnotationOut,
            task: Type.Object({ id: Type.Integer(), data: Type.Record(Type.String(), Type.Unknown()) }),
          }),
        },
      },
    },
    async (req) => req.tx((tx) => improvementAnnotation(tx, actorOf(req), req.params.id)),
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
      req.tx(async (tx) => {
        const t = await assignImprovement(tx, actorOf(req), req.params.id, req.body.assignee_id);
        req.audit({
          action: 'improvement_task.assigned',
          resourceType: 'improvement_task',
          resourceId: String(t.id),
          details: { assignee: t.assigneeId },
        });
        return withTaskId(tx, improvementView(t));
      }),
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
        body: ImprovementChange,
        response: { 200: Improvement },
      },
    },
    async (req) =>
      req.tx(async (tx) => {
        const t = await moveImprovement(tx, app.platform, actorOf(req), req.params.id, req.body);
        req.audit({
          action: `improvement_task.${t.status}`,
          resourceType: 'improvement_task',
          resourceId: String(t.id),
          details: { annotation: t.annotationId },
        });
        return withTaskId(tx, improvementView(t));
      }),
  );
};
