import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { PageQuery, pageOf } from '../../../platform/db/pagination.ts';
import { NoContent, Uuid } from '../../../platform/http/schemas.ts';
import { checkStorageLimit } from '../../license/index.ts';
import { loadProject } from '../access.ts';
import { queueImport, stageBody, stagingDir } from '../import/import.service.ts';
import { parseLabelConfig } from '../label-config/label-config.ts';
import { DUPLICATE_MAX, duplicateProject } from './duplicate.ts';
import { DELETE_JOB, OVERLAP_JOB } from './project.jobs.ts';
import {
  Id,
  Member,
  Patch,
  Project,
  ProjectIn,
  ProjectParams,
  ProjectRoleT,
  ProjectSummary,
} from './projects.schemas.ts';
import * as service from './projects.service.ts';
import { SAMPLE_CONFIG, SAMPLE_TEXT, sampleTasks } from './sample.ts';

export const projectRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/projects',
    {
      config: { permission: 'projects:create' },
      schema: {
        tags: ['projects'],
        summary: 'Create a project with a Label Studio labeling config',
        body: ProjectIn,
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

  app.post(
    '/projects/sample',
    {
      config: { permission: 'projects:create' },
      schema: {
        tags: ['projects'],
        summary:
          'Create the sample project: twenty English and Chinese product reviews to label by sentiment, imported as a job',
        body: Type.Optional(
          Type.Object(
            {
              language: Type.Optional(
                Type.Union(
                  Object.keys(SAMPLE_TEXT).map((l) => Type.Literal(l)),
                  { description: 'The language of its title and instructions (the reviews are both)' },
                ),
              ),
            },
            { additionalProperties: false },
          ),
        ),
        response: {
          201: Type.Composite([Project, Type.Object({ import_id: Type.Integer(), job_id: Uuid })]),
        },
      },
    },
    async (req, reply) => {
      const principal = req.me;
      const text = SAMPLE_TEXT[(req.body?.language ?? 'en') as keyof typeof SAMPLE_TEXT];
      await checkStorageLimit(app.platform, principal.tenantId, principal.userId);
      const upload = await stageBody(
        stagingDir(app.platform.config.dataDir, principal.tenantId),
        sampleTasks(),
        parseLabelConfig(SAMPLE_CONFIG),
      );
      let created: Awaited<ReturnType<typeof service.createProject>> | undefined;
      const result = await queueImport(
        (work) => req.tx(work),
        app.platform.queue,
        principal,
        async (tx) => {
          created = await service.createProject(tx, principal, { ...text, label_config: SAMPLE_CONFIG });
          await app.platform.events.publish(tx, {
            tenantId: created.tenantId,
            projectId: created.id,
            action: 'PROJECT_CREATED',
            payload: { project: { id: created.id, title: created.title } },
            userId: principal.userId,
          });
          return created.id;
        },
        upload,
        { dedupe: false },
        ({ importId, jobId }) =>
          req.audit({
            action: 'project.created',
            resourceType: 'project',
            resourceId: String(created!.id),
            details: { title: created!.title, sample: true, import_id: importId, job_id: jobId },
          }),
      );
      return reply.code(201).send({
        ...service.projectView(created!, 'manager'),
        import_id: result.importId,
        job_id: result.jobId,
      });
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
          202: Type.Composite([
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

  app.post(
    '/projects/:id/duplicate',
    {
      config: { permission: 'projects:create' },
      schema: {
        tags: ['projects'],
        summary: `Duplicate a project: its config and settings, optionally its tasks (up to ${DUPLICATE_MAX}) and their annotations and predictions; I become its manager`,
        params: ProjectParams,
        body: Type.Object(
          {
            title: Type.String({ minLength: 1, maxLength: 200 }),
            tasks: Type.Optional(Type.Boolean({ default: false, description: 'Copy the tasks too' })),
            annotations: Type.Optional(
              Type.Boolean({
                default: false,
                description: 'Copy the annotations and predictions of the tasks too (not their reviews)',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Composite([
            Project,
            Type.Object({
              copied: Type.Object({
                tasks: Type.Integer(),
                annotations: Type.Integer(),
                predictions: Type.Integer(),
              }),
            }),
          ]),
        },
      },
    },
    async (req, reply) => {
      const result = await req.tx(async (tx) => {
        const source = await loadProject(tx, req.me, req.params.id, 'manage');
        const { project, ...copied } = await duplicateProject(tx, req.me, source, {
          title: req.body.title,
          tasks: req.body.tasks ?? false,
          annotations: req.body.annotations ?? false,
        });
        await app.platform.events.publish(tx, {
          tenantId: project.tenantId,
          projectId: project.id,
          action: 'PROJECT_CREATED',
          payload: { project: { id: project.id, title: project.title } },
          userId: req.me.userId,
        });
        req.audit({
          action: 'project.duplicated',
          resourceType: 'project',
          resourceId: String(project.id),
          details: { title: project.title, source_id: source.id, copied },
        });
        return { project, copied };
      });
      return reply
        .code(201)
        .send({ ...service.projectView(result.project, 'manager'), copied: result.copied });
    },
  );

  // ------------------------------------------------------------------ members

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
          200: ProjectSummary,
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
