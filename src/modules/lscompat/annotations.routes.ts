import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { memberNumbers } from '../../platform/auth/membership.ts';
import { both, FORWARDED, Id, IdParams, okJson, v1Of } from './forward.ts';
import { LsAnnotation, lsAnnotation, type V1Annotation } from './shapes.ts';

const Result = Type.Array(Type.Unknown(), { maxItems: 10_000 });
const Fields = {
  result: Result,
  was_cancelled: Type.Optional(Type.Boolean()),
  ground_truth: Type.Optional(Type.Boolean()),
  lead_time: Type.Optional(Type.Number({ minimum: 0 })),
};
const tags = ['label-studio'];

const CHANGEABLE = ['result', 'was_cancelled', 'ground_truth', 'lead_time'];
const CREATABLE = [...CHANGEABLE, 'parent_prediction', 'parent_annotation'];

/**
 * Our annotation fields from Label Studio's. The rest of what its clients send (completed_by,
 * task, project, unique_id, …) this platform sets itself: the caller, the path, the row.
 */
function pick(body: Record<string, unknown>, keys: string[]) {
  const out: Record<string, unknown> = {};
  for (const key of keys) if (body[key] !== undefined && body[key] !== null) out[key] = body[key];
  return out;
}

/** Label Studio's annotation calls: create on a task, read, change, delete, over /api/v1's annotation routes. */
export const annotationRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const v1 = v1Of(app);
  const ls = async (req: FastifyRequest, a: V1Annotation) => {
    const numbers = await req.read((db) => memberNumbers(db, a.completed_by ? [a.completed_by] : []));
    return lsAnnotation(a, numbers);
  };

  for (const url of both('/tasks/:id/annotations/')) {
    app.post(
      url,
      {
        config: { permission: 'annotations:write', ...FORWARDED },
        schema: {
          tags,
          summary:
            'Label Studio: annotate a task (was_cancelled: true is a skip); completed_by is the caller',
          params: IdParams,
          body: Type.Object(
            {
              ...Fields,
              parent_prediction: Type.Optional(Type.Union([Id, Type.Null()])),
              parent_annotation: Type.Optional(Type.Union([Id, Type.Null()])),
            },
            // Label Studio's clients send fields this platform sets itself (completed_by, task, project, unique_id, …).
            { additionalProperties: true },
          ),
          response: { 201: LsAnnotation },
        },
      },
      async (req, reply) => {
        const created = okJson<V1Annotation>(
          await v1(req, 'POST', `/tasks/${req.params.id}/annotations`, pick(req.body, CREATABLE)),
        );
        return reply.code(201).send(await ls(req, created));
      },
    );
  }

  for (const url of both('/annotations/:id/')) {
    app.get(
      url,
      {
        config: { permission: 'projects:read' },
        schema: {
          tags,
          summary: 'Label Studio: an annotation',
          params: IdParams,
          response: { 200: LsAnnotation },
        },
      },
      async (req) => ls(req, okJson<V1Annotation>(await v1(req, 'GET', `/annotations/${req.params.id}`))),
    );
    app.patch(
      url,
      {
        config: { permission: 'annotations:write', ...FORWARDED },
        schema: {
          tags,
          summary: 'Label Studio: change an annotation (result, was_cancelled, ground_truth, lead_time)',
          params: IdParams,
          body: Type.Partial(Type.Object(Fields), { additionalProperties: true }),
          response: { 200: LsAnnotation },
        },
      },
      async (req) =>
        ls(
          req,
          okJson<V1Annotation>(
            await v1(req, 'PATCH', `/annotations/${req.params.id}`, pick(req.body, CHANGEABLE)),
          ),
        ),
    );
    app.delete(
      url,
      {
        config: { permission: 'annotations:write', ...FORWARDED },
        schema: { tags, summary: 'Label Studio: delete an annotation', params: IdParams },
      },
      async (req, reply) => {
        okJson(await v1(req, 'DELETE', `/annotations/${req.params.id}`));
        return reply.code(204).send();
      },
    );
  }
};
