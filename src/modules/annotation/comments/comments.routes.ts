import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { Executor } from '../../../platform/db/client.ts';
import { PageQuery, pageOf } from '../../../platform/db/pagination.ts';
import { DateTime, NoContent, Nullable } from '../../../platform/http/schemas.ts';
import { emit } from '../labeling/announce.ts';
import * as comments from './comments.service.ts';

const Id = Type.Integer({ minimum: 1 });
const TaskParams = Type.Object({ id: Id, taskId: Id });
const CommentParams = Type.Object({ id: Id, taskId: Id, commentId: Id });
const Text = Type.String({ minLength: 1, maxLength: 10_000, pattern: '\\S' });

export const CommentOut = Type.Object({
  id: Type.Integer(),
  project: Type.Integer(),
  task: Type.Integer(),
  annotation: Nullable(Type.Integer({ description: 'The annotation the comment is about, if any' })),
  review: Nullable(Type.Integer({ description: 'The review record whose verdict the comment gave' })),
  parent: Nullable(Type.Integer({ description: "The thread's first comment (on a reply)" })),
  author: Nullable(Type.String()),
  author_name: Nullable(Type.String()),
  text: Type.String(),
  resolved_at: Nullable(DateTime),
  resolved_by: Nullable(Type.String()),
  created_at: DateTime,
  updated_at: DateTime,
});

/** Tells the other party (quality's in-app notifications listen) in the writer's transaction. */
export async function announceComment(
  tx: Executor,
  req: FastifyRequest,
  out: { comment: comments.CommentView; recipients: string[] },
) {
  await emit(tx, req, out.comment.project, 'COMMENT_CREATED', {
    project: { id: out.comment.project },
    task: { id: out.comment.task },
    comment: out.comment,
    recipients: out.recipients,
  });
}

/** Comments on a task and its annotations: threads of replies, each resolved as a whole. */
export const commentRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/projects/:id/tasks/:taskId/comments',
    {
      config: { permission: 'projects:read' },
      schema: {
        tags: ['comments'],
        summary: "A task's comments, oldest first",
        description:
          'A reply names its thread’s first comment as `parent`. Comments about an annotation are ' +
          'shown to those who may see that annotation (and to their author).',
        params: TaskParams,
        querystring: Type.Object(PageQuery),
        response: { 200: pageOf(CommentOut) },
      },
    },
    async (req) =>
      req.tx((tx) =>
        comments.listComments(
          tx,
          req.me,
          { projectId: req.params.id, taskId: req.params.taskId },
          { limit: req.query.limit ?? 50, cursor: req.query.cursor },
        ),
      ),
  );

  app.post(
    '/projects/:id/tasks/:taskId/comments',
    {
      config: { permission: 'comments:write' },
      schema: {
        tags: ['comments'],
        summary: 'Comment on a task or one of its annotations, or reply to a thread',
        description:
          'The annotation’s author, and on a reply everyone in the thread, get an in-app ' +
          'notification. A reply to a reply joins its thread.',
        params: TaskParams,
        body: Type.Object(
          { text: Text, annotation: Type.Optional(Id), parent: Type.Optional(Id) },
          { additionalProperties: false },
        ),
        response: { 201: CommentOut },
      },
    },
    async (req, reply) => {
      const comment = await req.tx(async (tx) => {
        const place = { projectId: req.params.id, taskId: req.params.taskId };
        const out = await comments.createComment(tx, req.me, place, req.body);
        await announceComment(tx, req, out);
        req.audit({
          action: 'comment.created',
          resourceType: 'task_comment',
          resourceId: String(out.comment.id),
          details: {
            project: place.projectId,
            task: place.taskId,
            annotation: out.comment.annotation,
            parent: out.comment.parent,
          },
        });
        return out.comment;
      });
      return reply.code(201).send(comment);
    },
  );

  app.patch(
    '/projects/:id/tasks/:taskId/comments/:commentId',
    {
      config: { permission: 'comments:write' },
      schema: {
        tags: ['comments'],
        summary: "Edit one's own comment",
        params: CommentParams,
        body: Type.Object({ text: Text }, { additionalProperties: false }),
        response: { 200: CommentOut },
      },
    },
    async (req) =>
      req.tx(async (tx) => {
        const place = { projectId: req.params.id, taskId: req.params.taskId };
        const comment = await comments.editComment(tx, req.me, place, req.params.commentId, req.body.text);
        req.audit({
          action: 'comment.updated',
          resourceType: 'task_comment',
          resourceId: String(comment.id),
          details: { project: place.projectId, task: place.taskId },
        });
        return comment;
      }),
  );

  app.delete(
    '/projects/:id/tasks/:taskId/comments/:commentId',
    {
      config: { permission: 'comments:write' },
      schema: {
        tags: ['comments'],
        summary: "Delete one's own comment (or any, with comments:manage in a project one manages)",
        description: 'Deleting a thread’s first comment deletes its replies.',
        params: CommentParams,
        response: { 204: NoContent },
      },
    },
    async (req, reply) => {
      await req.tx(async (tx) => {
        const place = { projectId: req.params.id, taskId: req.params.taskId };
        const comment = await comments.deleteComment(tx, req.me, place, req.params.commentId);
        req.audit({
          action: 'comment.deleted',
          resourceType: 'task_comment',
          resourceId: String(comment.id),
          details: { project: place.projectId, task: place.taskId, author: comment.author },
        });
      });
      return reply.code(204).send(null);
    },
  );

  for (const [verb, resolved] of [
    ['resolve', true],
    ['unresolve', false],
  ] as const)
    app.post(
      `/projects/:id/tasks/:taskId/comments/:commentId/${verb}`,
      {
        config: { permission: 'comments:write' },
        schema: {
          tags: ['comments'],
          summary: resolved ? 'Resolve a thread (on its first comment)' : 'Reopen a resolved thread',
          params: CommentParams,
          response: { 200: CommentOut },
        },
      },
      async (req) =>
        req.tx(async (tx) => {
          const place = { projectId: req.params.id, taskId: req.params.taskId };
          const comment = await comments.resolveComment(tx, req.me, place, req.params.commentId, resolved);
          req.audit({
            action: `comment.${verb}d`,
            resourceType: 'task_comment',
            resourceId: String(comment.id),
            details: { project: place.projectId, task: place.taskId },
          });
          return comment;
        }),
    );
};
