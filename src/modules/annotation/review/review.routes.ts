import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { PageQuery, pageOf } from '../../../platform/db/pagination.ts';
import { Nullable } from '../../../platform/http/schemas.ts';
import { announceComment } from '../comments/comments.routes.ts';
import * as comments from '../comments/comments.service.ts';
import { emit } from '../labeling/announce.ts';
import { IdParams, Result } from '../labeling/labeling.schemas.ts';
import * as labeling from '../labeling/labeling.service.ts';
import { AnnotationOut } from '../shapes.ts';
import { ReviewOut } from './review.schemas.ts';
import * as reviews from './review.service.ts';

/** The review queue, review verdicts and their history. */
export const reviewRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/projects/:id/review-queue',
    {
      config: { permission: 'reviews:write' },
      schema: {
        tags: ['reviews'],
        summary: 'Annotations awaiting review, oldest first',
        description:
          'Not skipped, not decided yet (or reworked since), not the reviewer’s own, not taken by ' +
          'another reviewer, and not on tasks whose review is assigned to other reviewers only.',
        params: IdParams,
        querystring: Type.Object(PageQuery),
        response: {
          200: pageOf(
            Type.Object({
              annotation: AnnotationOut,
              task: Type.Object({
                id: Type.Integer(),
                data: Type.Record(Type.String(), Type.Unknown()),
                meta: Type.Record(Type.String(), Type.Unknown()),
                status: Type.String(),
              }),
            }),
          ),
        },
      },
    },
    async (req) =>
      req.tx((tx) =>
        reviews.reviewQueue(tx, req.me, req.params.id, {
          limit: req.query.limit ?? 50,
          cursor: req.query.cursor,
        }),
      ),
  );

  app.post(
    '/annotations/:id/review',
    {
      config: { permission: 'reviews:write' },
      schema: {
        tags: ['reviews'],
        summary: 'Review an annotation: start, accept, reject (requeue or remove), fix, request_changes',
        description:
          'start: take it (in_review). accept: approved. reject + requeue (default): the annotation ' +
          'stays, rejected, stops counting, and the task goes back to its author first. reject + ' +
          'remove: the annotation is deleted; the review record keeps its id and a snapshot. fix: ' +
          'a new annotation with `result` (parent_annotation = the original, which is kept and ' +
          'approved). request_changes: modification_requested until the author changes it. A task ' +
          'whose counted annotations are all approved becomes reviewed. A verdict’s `comment` also opens a ' +
          'comment thread on the annotation (see the task comments), and its author is notified.',
        params: IdParams,
        body: Type.Object(
          {
            action: Type.Union(
              ['start', 'accept', 'reject', 'fix', 'request_changes'].map((a) => Type.Literal(a)),
            ),
            reject_mode: Type.Optional(Type.Union([Type.Literal('requeue'), Type.Literal('remove')])),
            result: Type.Optional(Result),
            lead_time: Type.Optional(Type.Number({ minimum: 0 })),
            comment: Type.Optional(Type.String({ maxLength: 10_000 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            review: ReviewOut,
            annotation: Nullable(AnnotationOut),
            fixed_annotation: Nullable(AnnotationOut),
          }),
        },
      },
    },
    async (req) => {
      const out = await req.tx(async (tx) => {
        const body = req.body as reviews.ReviewInput;
        const out = await reviews.review(tx, req.me, req.params.id, body);
        await emit(tx, req, out.record.projectId, 'REVIEW_CREATED', {
          review: reviews.reviewView(out.record),
          annotation: { id: req.params.id },
          project: { id: out.record.projectId },
        });
        // A verdict's comment opens a thread on the annotation: the annotator reads it where
        // they label, replies and resolves it (the record keeps the same text as history).
        if (body.action !== 'start' && body.comment?.trim())
          await announceComment(
            tx,
            req,
            await comments.addReviewComment(tx, req.me, out.record, body.comment),
          );
        req.audit({
          action: `annotation.review.${body.action}`,
          resourceType: 'annotation',
          resourceId: String(req.params.id),
          details: {
            review: out.record.id,
            status: out.record.status,
            reject_mode: out.record.rejectMode,
            fixed_annotation: out.fixed?.id ?? null,
          },
        });
        return out;
      });
      return {
        review: reviews.reviewView(out.record),
        annotation: out.annotation ? labeling.annotationView(out.annotation) : null,
        fixed_annotation: out.fixed ? labeling.annotationView(out.fixed) : null,
      };
    },
  );

  app.get(
    '/annotations/:id/reviews',
    {
      config: { permission: 'projects:read' },
      schema: {
        tags: ['reviews'],
        summary: 'The review history of an annotation (also of one a reject removed)',
        params: IdParams,
        querystring: Type.Object(PageQuery),
        response: { 200: pageOf(ReviewOut) },
      },
    },
    async (req) =>
      req.tx((tx) =>
        reviews.reviewHistory(tx, req.me, req.params.id, {
          limit: req.query.limit ?? 50,
          cursor: req.query.cursor,
        }),
      ),
  );
};
