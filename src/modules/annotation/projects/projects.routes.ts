import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { PageQuery, pageOf } from '../../../platform/db/pagination.ts';
import { DateTime, NoContent, Nullable, Uuid } from '../../../platform/http/schemas.ts';
import { loadProject } from '../access.ts';
import { ORDERINGS, PROJECT_ROLES, SKIP_POLICIES } from '../schema.ts';
import { DELETE_JOB, OVERLAP_JOB } from './project.jobs.ts';
import * as service from './projects.service.ts';

const Id = Type.Integer({ minimum: 1 });
export const ProjectParams = Type.Object({ id: Id });

const Settings = {
  title: Type.String({ minLength: 1, maxLength: 200 }),
  description: Type.String({ maxLength: 10_000 }),
  instructions: Type.String({ maxLength: 100_000, description: 'Guidelines (Markdown)' }),
  label_config: Type.String({
    minLength: 1,
    maxLength: 200_000,
    description: 'Label Studio labeling config (XML)',
  }),
  overlap: Type.Integer({ minimum: 1, maximum: 100, description: 'Annotations wanted per task' }),
  overlap_coverage: Type.Integer({
    minimum: 0,
    maximum: 100,
    description: 'Share of tasks (percent) that get `overlap` annotations; the rest get one',
  }),
  ordering: Type.Union(ORDERINGS.map((o) => Type.Literal(o))),
  reservation_minutes: Type.Integer({ minimum: 1, maximum: 10_080 }),
  annotator_task_limit: Nullable(Type.Integer({ minimum: 1 })),
  skip_policy: Type.Union(SKIP_POLICIES.map((o) => Type.Literal(o))),
  review_required: Type.Boolean(),
};

const ParsedConfig = Type.Object({
  objects: Type.Array(Type.Object({ name: Type.String(), type: Type.String(), value: Type.String() })),
  controls: Type.Array(
    Type.Object({
      name: Type.String(),
      type: Type.String(),
      toName: Type.Array(Type.String()),
      labels: Type.Array(Type.String()),
    }),
  ),
  dataKeys: Type.Array(Type.String()),
});

export const Project = Type.Object({
  id: Type.Integer(),
  title: Type.String(),
  description: Type.String(),
  instructions: Type.String(),
  label_config: Type.String(),
  data_keys: Type.Array(Type.String()),
  parsed_config: ParsedConfig,
  overlap: Type.Integer(),
  overlap_coverage: Type.Integer(),
  ordering: Type.String(),
  reservation_minutes: Type.Integer(),
  annotator_task_limit: Nullable(Type.Integer()),
  skip_policy: Type.String(),
  review_required: Type.Boolean(),
  task_count: Type.Integer(),
  created_by: Nullable(Uuid),
  created_at: DateTime,
  updated_at: DateTime,
  member_role: Type.Optional(Nullable(Type.Union(PROJECT_ROLES.map((r) => Type.Literal(r))))),
});

export const projectRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/projects',
    {
      config: { permission: 'projects:create' },
      schema: {
        tags: ['projects'],
        summary: 'Create a project with a Label Studio labeling config',
        body: Type.Object(
          {
            title: Settings.title,
            label_config: Settings.label_config,
            description: Type.Optional(Settings.description),
            instructions: Type.Optional(Settings.instructions),
            overlap: Type.Optional(Settings.overlap),
            overlap_coverage: Type.Optional(Settings.overlap_coverage),
            ordering: Type.Optional(Settings.ordering),
            reservation_minutes: Type.Optional(Settings.reservation_minutes),
            annotator_task_limit: Type.Optional(Settings.annotator_task_limit),
            skip_policy: Type.Optional(Settings.skip_policy),
            review_required: Type.Optional(Settings.review_required),
          },
          { additionalProperties: false },
        ),
        response: { 201: Project },
      },
    },
    async (req, reply) => {
      const project = await req.tx(async (tx) => {
        const p = await service.createProject(tx, req.me, req.body);
        await app.platform.events.publish(tx, {
          tenantId: p.tenantId,
          projectId: p.id,
          action: 'PROJECT_CREATED',
          payload: { project: { id: p.id, title: p.title } },
          userId: req.me.userId,
        });
        req.audit({
          action: 'project.created',
          resourceType: 'project',
          resourceId: String(p.id),
          details: { title: p.title, data_keys: p.parsedConfig.dataKeys },
        });
        return p;
      });
      return reply.code(201).send(service.projectView(project, 'manager'));
    },
  );

  app.get(
    '/projects/:id',
    {
      config: { permission: 'projects:read' },
      schema: {
        tags: ['projects'],
        summary: 'A project, with its settings and the data keys its config references',
        params: ProjectParams,
        response: { 200: Project },
      },
    },
    async (req) => {
      const project = await req.tx((tx) => loadProject(tx, req.me, req.params.id, 'read'));
      return service.projectView(project, project.memberRole);
    },
  );

  app.get(
    '/projects',
    {
      config: { permission: 'projects:read' },
      schema: {
        tags: ['projects'],
        summary: 'Projects, newest first: all of them for tenant-wide managers, else those I am a member of',
        querystring: Type.Object({ ...PageQuery, search: Type.Optional(Type.String({ maxLength: 200 })) }),
        response: { 200: pageOf(Project) },
      },
    },
    async (req) =>
      req.tx((tx) =>
        service.listProjects(tx, req.me, {
          limit: req.query.limit ?? 50,
          cursor: req.query.cursor,
          search: req.query.search,
        }),
      ),
  );

  const { title, ...rest } = Settings;
  const Patch = Type.Partial(Type.Object({ title, ...rest }), {
    additionalProperties: false,
    minProperties: 1,
  });

  app.patch(
    '/projects/:id',
    {
      config: { permission: 'projects:update' },
      schema: {
        tags: ['projects'],
        summary:
          'Change settings or the labeling config (re-validated; 409 if it drops data keys, controls or labels that existing work uses)',
        params: ProjectParams,
        body: Patch,
        response: {
          200: Project,
          202: Type.Intersect([
            Project,
            Type.Object({
              job_id: Type.String({
                format: 'uuid',
                description: `A change of overlap, coverage or skip policy on a project of more than ${service.OVERLAP_INLINE_MAX} tasks: the job that re-derives each task (GET /jobs/{id})`,
              }),
            }),
          ]),
        },
      },
    },
    async (req, reply) => {
      const updated = await req.tx(async (tx) => {
        const project = await loadProject(tx, req.me, req.params.id, 'manage');
        await service.lockProject(tx, project.id);
        const { project: row, changed, rederiveInJob } = await service.updateProject(tx, project, req.body);
        const jobId = rederiveInJob
          ? await app.platform.queue.enqueue(tx, {
              tenantId: project.tenantId,
              kind: OVERLAP_JOB,
              payload: { projectId: project.id },
              createdBy: req.me.userId,
            })
          : undefined;
        await app.platform.events.publish(tx, {
          tenantId: project.tenantId,
          projectId: project.id,
          action: 'PROJECT_UPDATED',
          payload: { project: { id: row.id, title: row.title }, changed },
          userId: req.me.userId,
        });
        req.audit({
          action: 'project.updated',
          resourceType: 'project',
          resourceId: String(project.id),
          details: {
            changed,
            ...(req.body.label_config !== undefined
              ? { data_keys: row.parsedConfig.dataKeys, previous_data_keys: project.parsedConfig.dataKeys }
              : {}),
            ...(jobId ? { job_id: jobId } : {}),
          },
        });
        return { ...row, memberRole: project.memberRole, jobId };
      });
      const view = service.projectView(updated, updated.memberRole);
      return updated.jobId ? reply.code(202).send({ ...view, job_id: updated.jobId }) : view;
    },
  );

  app.delete(
    '/projects/:id',
    {
      config: { permission: 'projects:delete' },
      schema: {
        tags: ['projects'],
        summary: `Delete a project with its tasks, annotations, predictions and history (one of more than ${service.DELETE_INLINE_MAX} tasks: 202, gone at once for the API and emptied by a job)`,
        params: ProjectParams,
        response: { 202: Type.Object({ job_id: Uuid }), 204: NoContent },
      },
    },
    async (req, reply) => {
      const jobId = await req.tx(async (tx) => {
        const project = await loadProject(tx, req.me, req.params.id, 'manage');
        const deleted = await service.deleteProject(tx, project);
        const job = deleted
          ? undefined
          : await app.platform.queue.enqueue(tx, {
              tenantId: project.tenantId,
              kind: DELETE_JOB,
              payload: { projectId: project.id },
              createdBy: req.me.userId,
            });
        // Hooks bound to the project went with it; tenant-wide hooks still hear of it.
        await app.platform.events.publish(tx, {
          tenantId: project.tenantId,
          projectId: project.id,
          action: 'PROJECT_DELETED',
          payload: { project: { id: project.id, title: project.title } },
          userId: req.me.userId,
        });
        req.audit({
          action: 'project.deleted',
          resourceType: 'project',
          resourceId: String(project.id),
          details: {
            title: project.title,
            task_count: Number(project.taskCount),
            ...(job ? { job_id: job } : {}),
          },
        });
        return job;
      });
      return jobId ? reply.code(202).send({ job_id: jobId }) : reply.code(204).send(null);
    },
  );

  // ------------------------------------------------------------------ members

  const ProjectRoleT = Type.Union(PROJECT_ROLES.map((r) => Type.Literal(r)));
  const Member = Type.Object({
    user_id: Uuid,
    email: Type.String(),
    name: Type.String(),
    role: ProjectRoleT,
    created_at: DateTime,
  });

  app.get(
    '/projects/:id/members',
    {
      config: { permission: 'projects:read' },
      schema: {
        tags: ['projects'],
        summary: 'Project members and their project roles',
        params: ProjectParams,
        querystring: Type.Object({ ...PageQuery, role: Type.Optional(ProjectRoleT) }),
        response: { 200: pageOf(Member) },
      },
    },
    async (req) =>
      req.tx(async (tx) => {
        const project = await loadProject(tx, req.me, req.params.id, 'read');
        return service.listMembers(tx, project.id, {
          limit: req.query.limit ?? 50,
          cursor: req.query.cursor,
          role: req.query.role,
        });
      }),
  );

  app.post(
    '/projects/:id/members',
    {
      config: { permission: 'projects:update' },
      schema: {
        tags: ['projects'],
        summary: 'Add a tenant member to the project, or change their project role',
        params: ProjectParams,
        body: Type.Object({ user_id: Uuid, role: ProjectRoleT }, { additionalProperties: false }),
        response: { 200: Member, 201: Member },
      },
    },
    async (req, reply) => {
      const result = await req.tx(async (tx) => {
        const project = await loadProject(tx, req.me, req.params.id, 'manage');
        const r = await service.putMember(tx, project, req.body);
        req.audit({
          action: r.created ? 'project.member_added' : 'project.member_updated',
          resourceType: 'project',
          resourceId: String(project.id),
          details: { user_id: req.body.user_id, role: req.body.role, previous_role: r.previousRole },
        });
        return r;
      });
      return reply.code(result.created ? 201 : 200).send(result.member);
    },
  );

  app.delete(
    '/projects/:id/members/:userId',
    {
      config: { permission: 'projects:update' },
      schema: {
        tags: ['projects'],
        summary: 'Remove a member from the project',
        params: Type.Object({ id: Id, userId: Uuid }),
        response: { 204: NoContent },
      },
    },
    async (req, reply) => {
      await req.tx(async (tx) => {
        const project = await loadProject(tx, req.me, req.params.id, 'manage');
        const row = await service.removeMember(tx, project.id, req.params.userId);
        req.audit({
          action: 'project.member_removed',
          resourceType: 'project',
          resourceId: String(project.id),
          details: { user_id: req.params.userId, role: row.role },
        });
      });
      return reply.code(204).send(null);
    },
  );

  // ------------------------------------------------------------------ summary

  const Count = Type.Integer({ minimum: 0 });
  app.get(
    '/projects/:id/summary',
    {
      config: { permission: 'projects:read' },
      schema: {
        tags: ['projects'],
        summary:
          'Project counts: tasks by status, finished, annotations, skips, predictions, reviewed, per annotator',
        params: ProjectParams,
        response: {
          200: Type.Object({
            project: Type.Integer(),
            task_count: Count,
            finished: Count,
            in_progress: Count,
            annotations: Count,
            cancelled: Count,
            predictions: Count,
            reviewed: Count,
            lead_time: Type.Number({ description: 'Seconds spent, over all annotations' }),
            by_status: Type.Record(Type.String(), Count),
            annotators: Type.Array(
              Type.Object({
                user_id: Nullable(Uuid),
                external_name: Nullable(Type.String()),
                email: Nullable(Type.String()),
                name: Nullable(Type.String()),
                annotations: Count,
                cancelled: Count,
                ground_truth: Count,
                lead_time: Type.Number(),
              }),
            ),
          }),
        },
      },
    },
    async (req) =>
      req.tx(async (tx) => {
        const project = await loadProject(tx, req.me, req.params.id, 'read');
        return service.projectSummary(tx, project);
      }),
  );
};
