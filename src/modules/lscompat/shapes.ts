import { Type } from '@fastify/type-provider-typebox';
import { DateTime, Nullable } from '../../platform/http/schemas.ts';
import { PredictionOut } from '../annotation/index.ts';

/** Label Studio's shapes (its REST API reference), as far as this platform has the facts. */

const Json = Type.Record(Type.String(), Type.Unknown());

export const LsUser = Type.Object({
  id: Type.Integer({ description: "The member's number in this tenant" }),
  email: Type.String(),
  username: Type.String(),
  first_name: Type.String(),
  last_name: Type.String(),
});

export const LsProject = Type.Object({
  id: Type.Integer(),
  title: Type.String(),
  description: Type.String(),
  label_config: Type.String(),
  expert_instruction: Type.String(),
  maximum_annotations: Type.Integer(),
  task_number: Type.Integer(),
  created_at: DateTime,
});

export const LsProjectIn = Type.Object(
  {
    title: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    description: Type.Optional(Type.String()),
    label_config: Type.Optional(Type.String()),
    expert_instruction: Type.Optional(Type.String()),
    maximum_annotations: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  {
    // Label Studio's clients send settings this platform has no counterpart for (colour,
    // show_skip_button, …); they are accepted and ignored, as documented in the README.
    additionalProperties: true,
  },
);

export const LsAnnotation = Type.Object({
  id: Type.Integer(),
  result: Type.Array(Type.Unknown()),
  completed_by: Nullable(Type.Integer()),
  was_cancelled: Type.Boolean(),
  ground_truth: Type.Boolean(),
  lead_time: Type.Number(),
  task: Type.Integer(),
  project: Type.Integer(),
  parent_prediction: Nullable(Type.Integer()),
  parent_annotation: Nullable(Type.Integer()),
  created_at: DateTime,
  updated_at: DateTime,
});

/** Label Studio's prediction shape is the one /api/v1 answers. */
export const LsPrediction = PredictionOut;

export const LsTask = Type.Object({
  id: Type.Integer(),
  project: Type.Integer(),
  data: Json,
  meta: Json,
  overlap: Type.Integer(),
  is_labeled: Type.Boolean(),
  total_annotations: Type.Integer(),
  cancelled_annotations: Type.Integer(),
  total_predictions: Type.Integer(),
  created_at: DateTime,
  updated_at: DateTime,
});

export const LsTaskDetail = Type.Composite([
  LsTask,
  Type.Object({ annotations: Type.Array(LsAnnotation), predictions: Type.Array(LsPrediction) }),
]);

export interface V1Project {
  id: number;
  title: string;
  description: string;
  instructions: string;
  label_config: string;
  overlap: number;
  task_count: number;
  created_at: string;
}

export interface V1Task {
  id: number;
  project: number;
  data: Record<string, unknown>;
  meta: Record<string, unknown>;
  overlap: number;
  is_finished: boolean;
  total_annotations: number;
  cancelled_annotations: number;
  total_predictions: number;
  created_at: string;
  updated_at: string;
  annotations?: V1Annotation[];
  predictions?: unknown[];
}

export interface V1Annotation {
  id: number;
  task: number;
  project: number;
  result: unknown[];
  lead_time: number;
  was_cancelled: boolean;
  ground_truth: boolean;
  completed_by: string | null;
  parent_annotation: number | null;
  parent_prediction: number | null;
  created_at: string;
  updated_at: string;
}

export const lsProject = (p: V1Project) => ({
  id: p.id,
  title: p.title,
  description: p.description,
  label_config: p.label_config,
  expert_instruction: p.instructions,
  maximum_annotations: p.overlap,
  task_number: p.task_count,
  created_at: p.created_at,
});

/** Our project settings from Label Studio's names; what has no counterpart is left out. */
export function v1ProjectBody(body: Record<string, unknown>) {
  const out: Record<string, unknown> = {};
  if (body.title !== undefined) out.title = body.title;
  if (body.description !== undefined) out.description = body.description;
  if (body.label_config !== undefined) out.label_config = body.label_config;
  if (body.expert_instruction !== undefined) out.instructions = body.expert_instruction;
  if (body.maximum_annotations !== undefined) out.overlap = body.maximum_annotations;
  return out;
}

export const lsTask = (t: V1Task) => ({
  id: t.id,
  project: t.project,
  data: t.data,
  meta: t.meta,
  overlap: t.overlap,
  is_labeled: t.is_finished,
  total_annotations: t.total_annotations,
  cancelled_annotations: t.cancelled_annotations,
  total_predictions: t.total_predictions,
  created_at: t.created_at,
  updated_at: t.updated_at,
});

export const lsAnnotation = (a: V1Annotation, numbers: Map<string, number>) => ({
  id: a.id,
  result: a.result,
  completed_by: a.completed_by ? (numbers.get(a.completed_by) ?? null) : null,
  was_cancelled: a.was_cancelled,
  ground_truth: a.ground_truth,
  lead_time: a.lead_time,
  task: a.task,
  project: a.project,
  parent_prediction: a.parent_prediction,
  parent_annotation: a.parent_annotation,
  created_at: a.created_at,
  updated_at: a.updated_at,
});
