import { sql } from 'drizzle-orm';
import type { Principal } from '../../../platform/auth/principal.ts';
import type { Executor } from '../../../platform/db/client.ts';
import { rowsOf } from '../../../platform/db/sql.ts';
import { Problem } from '../../../platform/errors/problem.ts';
import type { Project } from '../access.ts';
import { projects } from '../schema.ts';
import { createProject } from './projects.service.ts';

/**
 * Duplicating a project, as Label Studio's "Duplicate project" does: the config and every
 * setting always; its tasks (data, documents) when asked; and their annotations and
 * predictions only when asked too. The copy is done by the database in the request's
 * transaction, up to DUPLICATE_MAX tasks; a larger project is exported and imported.
 */
export const DUPLICATE_MAX = 100_000;

export interface DuplicateOptions {
  title: string;
  tasks: boolean;
  annotations: boolean;
}

export async function duplicateProject(
  tx: Executor,
  principal: Principal,
  source: Project,
  options: DuplicateOptions,
) {
  if (options.annotations && !options.tasks)
    throw new Problem(
      400,
      'project.duplicate_needs_tasks',
      'Annotations are copied with their tasks: ask for the tasks too.',
      {
        errors: [{ path: 'body/annotations', message: 'needs tasks' }],
      },
    );
  if (options.tasks && Number(source.taskCount) > DUPLICATE_MAX)
    throw new Problem(
      409,
      'project.duplicate_too_many_tasks',
      `This project has ${source.taskCount} tasks; duplicating with tasks copies up to ${DUPLICATE_MAX}. Duplicate its settings and import an export instead.`,
      { params: { tasks: Number(source.taskCount), max: DUPLICATE_MAX } },
    );
  const copy = await createProject(tx, principal, {
    title: options.title,
    description: source.description,
    instructions: source.instructions,
    label_config: source.labelConfig,
    overlap: source.overlap,
    overlap_coverage: source.overlapCoverage,
    ordering: source.ordering,
    reservation_minutes: source.reservationMinutes,
    annotator_task_limit: source.annotatorTaskLimit,
    skip_policy: source.skipPolicy,
    review_required: source.reviewRequired,
  });
  if (!options.tasks) return { project: copy, tasks: 0, annotations: 0, predictions: 0 };
  const counts = await copyRows(tx, source.id, copy.id, options.annotations);
  const [updated] = await tx
    .update(projects)
    .set({ taskCount: counts.tasks })
    .where(sql`${projects.id} = ${copy.id}`)
    .returning();
  return { project: updated!, ...counts };
}

/**
 * Copies documents and tasks (and, with `annotations`, annotations and predictions) of one
 * project into another. New ids are drawn first, beside the old ones, so each copy finds
 * the copy of the row it points at; without annotations a task starts afresh (pending, no
 * counts), as a task just imported does.
 */
async function copyRows(tx: Executor, from: number, to: number, annotations: boolean) {
  await tx.execute(sql`
    create temporary table duplicate_ids (kind text, old_id bigint, new_id bigint) on commit drop`);
  await tx.execute(sql`
    insert into duplicate_ids
    select 'document', id, nextval(pg_get_serial_sequence('documents', 'id')) from documents where project_id = ${from}
    union all
    select 'task', id, nextval(pg_get_serial_sequence('tasks', 'id')) from tasks where project_id = ${from}`);
  await tx.execute(sql`
    insert into documents (id, tenant_id, project_id, source_type, source_config, content, metadata, content_hash)
    overriding system value
    select m.new_id, d.tenant_id, ${to}, d.source_type, d.source_config, d.content, d.metadata, d.content_hash
    from documents d join duplicate_ids m on m.kind = 'document' and m.old_id = d.id
    order by m.new_id`);
  const taskCounts = annotations
    ? // Reviews stay with the original, and so do reservations: a reviewed task is completed
      // here, and one only reserved there is pending.
      sql`case when t.status = 'cancelled' then 'cancelled' when t.is_finished then 'completed'
        when t.total_annotations > 0 then 'in_progress' else 'pending' end,
        t.total_annotations, t.cancelled_annotations, t.total_predictions, t.is_finished, t.prediction_score`
    : sql`'pending', 0, 0, 0, false, null::real`;
  const tasks = await tx.execute(sql`
    insert into tasks (id, tenant_id, project_id, document_id, data, meta, priority, overlap, search_words,
      status, total_annotations, cancelled_annotations, total_predictions, is_finished, prediction_score)
    overriding system value
    select m.new_id, t.tenant_id, ${to}, dm.new_id, t.data, t.meta, t.priority, t.overlap, t.search_words, ${taskCounts}
    from tasks t
    join duplicate_ids m on m.kind = 'task' and m.old_id = t.id
    left join duplicate_ids dm on dm.kind = 'document' and dm.old_id = t.document_id
    order by m.new_id
    returning 1`);
  if (!annotations) return { tasks: rowsOf(tasks).length, annotations: 0, predictions: 0 };
  // A copied annotation keeps its result and author, not its review state.
  const copied = await tx.execute(sql`
    insert into annotations (tenant_id, project_id, task_id, completed_by, completed_by_external, result,
      lead_time, was_cancelled, ground_truth, created_at, updated_at)
    select a.tenant_id, ${to}, m.new_id, a.completed_by, a.completed_by_external, a.result,
      a.lead_time, a.was_cancelled, a.ground_truth, a.created_at, a.updated_at
    from annotations a join duplicate_ids m on m.kind = 'task' and m.old_id = a.task_id
    where a.project_id = ${from}
    order by a.id
    returning 1`);
  const predicted = await tx.execute(sql`
    insert into predictions (tenant_id, project_id, task_id, result, score, model_version, created_at)
    select p.tenant_id, ${to}, m.new_id, p.result, p.score, p.model_version, p.created_at
    from predictions p join duplicate_ids m on m.kind = 'task' and m.old_id = p.task_id
    where p.project_id = ${from}
    order by p.id
    returning 1`);
  return {
    tasks: rowsOf(tasks).length,
    annotations: rowsOf(copied).length,
    predictions: rowsOf(predicted).length,
  };
}
