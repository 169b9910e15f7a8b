import { randomBytes } from 'node:crypto';
import { asc, inArray, type SQL, sql } from 'drizzle-orm';
import type { Executor } from '../../../platform/db/client.ts';
import { pgArray, rowsOf } from '../../../platform/db/sql.ts';
import type { FieldError } from '../../../platform/errors/problem.ts';
import { badRequest } from '../../../platform/errors/problem.ts';
import type { Platform } from '../../../platform/index.ts';
import type { Project } from '../access.ts';
import { validateResult } from '../label-config/label-config.ts';
import { type Author, announce } from '../labeling/announce.ts';
import { refreshStatuses } from '../labeling/labeling.service.ts';
import { annotations } from '../schema.ts';
import { annotationView } from '../shapes.ts';
import { BULK_BATCH, type BulkInput, filterConditions, tasksOf } from './tasks.service.ts';

/**
 * Bulk labeling (Argilla's "select many, apply a label"): one annotation by the acting user,
 * with the chosen values of one Choices control, on every selected task the user has not
 * annotated yet (a skip aside). It runs in one transaction, so it applies to all the tasks
 * or to none; a large selection runs as a job, still in one transaction.
 */
export const LABEL_ACTION = 'label' as const;

export interface LabelInput {
  selection: BulkInput['selection'];
  from_name: string;
  choices: string[];
}

export interface LabelTally {
  affected: number;
  created: number;
  /** Tasks the user had annotated already: left as they were. */
  skipped: number;
  /** The keyset cursor over a filter (last task id), or the id-list chunks done. */
  after: number;
}

export const emptyLabelTally = (): LabelTally => ({ affected: 0, created: 0, skipped: 0, after: 0 });

export const labelResultOf = (t: LabelTally) => ({
  affected: t.affected,
  annotations_created: t.created,
  skipped: t.skipped,
});

/**
 * The result every new annotation gets, checked against the project's labeling config:
 * `from_name` must be a Choices control and each value one of its choices (400s naming the
 * field otherwise).
 */
export function labelResult(
  project: Pick<Project, 'parsedConfig'>,
  input: { from_name?: string; choices?: string[] },
): unknown[] {
  if (input.from_name === undefined || !input.choices?.length)
    throw badRequest('task.label_needs_choices', 'label needs from_name and choices.', [
      ...(input.from_name === undefined ? [{ path: 'body/from_name', message: 'is required' }] : []),
      ...(input.choices?.length ? [] : [{ path: 'body/choices', message: 'is required' }]),
    ]);
  const control = project.parsedConfig.controls.find((c) => c.name === input.from_name);
  if (control?.type !== 'Choices')
    throw badRequest(
      'task.label_not_choices_control',
      'from_name is not a Choices control of the labeling config.',
      [{ path: 'body/from_name', message: 'is not a Choices control of the labeling config' }],
    );
  const errors: FieldError[] = input.choices
    .map((c, i) => ({ c, i }))
    .filter(({ c }) => !control.labels.includes(c))
    .map(({ i }) => ({ path: `body/choices/${i}`, message: `is not a choice of ${control.name}` }));
  if (errors.length)
    throw badRequest('task.label_choice_unknown', 'A choice is not in the labeling config.', errors);
  const result = [
    {
      // One region id for the whole action: ids need only be unique within an annotation.
      id: randomBytes(6).toString('base64url'),
      from_name: control.name,
      to_name: control.toName[0],
      type: 'choices',
      origin: 'manual',
      value: { choices: [...new Set(input.choices)] },
    },
  ];
  const invalid = validateResult(project.parsedConfig, result, 'body');
  if (invalid.length)
    throw badRequest('task.label_invalid', 'The label does not match the labeling config.', invalid);
  return result;
}

/** The next batch of selected task ids after `tally.after`, locked for update. */
async function nextBatch(
  tx: Executor,
  project: Pick<Project, 'id'>,
  selection: LabelInput['selection'],
  tally: LabelTally,
): Promise<number[] | undefined> {
  let where: SQL[];
  let from = sql`tasks t`;
  if ('ids' in selection) {
    const chosen = [...new Set(selection.ids)].sort((a, b) => a - b);
    const part = chosen.slice(tally.after * BULK_BATCH, (tally.after + 1) * BULK_BATCH);
    if (part.length === 0) return undefined;
    tally.after += 1;
    where = [sql`t.project_id = ${project.id}`, sql`t.id = any(${pgArray(part)}::bigint[])`];
  } else {
    where = [...filterConditions(project.id, selection.filter), sql`t.id > ${tally.after}`];
    from = tasksOf(selection.filter);
  }
  const ids = rowsOf<{ id: string | number }>(
    await tx.execute(
      sql`select t.id from tasks t where t.id in (
            select t.id from ${from} where ${sql.join(where, sql` and `)} order by t.id limit ${BULK_BATCH})
          order by t.id for update of t`,
    ),
  ).map((r) => Number(r.id));
  if (!('ids' in selection)) {
    if (ids.length === 0) return undefined;
    tally.after = ids.at(-1)!;
  }
  return ids;
}

/**
 * Annotates one locked batch: inserts the annotations, moves the tasks' counters, finished
 * flag and status as one submission each would, ends the user's drafts and reservations of
 * them, and announces each annotation (billing, quality and webhooks listen).
 */
async function labelBatch(
  tx: Executor,
  platform: Pick<Platform, 'events'>,
  author: Author,
  project: Pick<Project, 'id' | 'tenantId' | 'skipPolicy'>,
  batch: number[],
  result: unknown[],
  tally: LabelTally,
) {
  const created = rowsOf<{ id: string | number }>(
    await tx.execute(sql`
      insert into annotations (tenant_id, project_id, task_id, completed_by, result)
      select ${project.tenantId}::uuid, ${project.id}, x.id, ${author.userId}::uuid, ${JSON.stringify(result)}::jsonb
      from unnest(${pgArray(batch)}::bigint[]) as x(id)
      where not exists (
        select 1 from annotations a where a.task_id = x.id and a.completed_by = ${author.userId}::uuid and not a.was_cancelled)
      order by x.id
      returning id`),
  ).map((r) => Number(r.id));
  tally.affected += batch.length;
  tally.created += created.length;
  tally.skipped += batch.length - created.length;
  if (created.length === 0) return;
  const rows = await tx
    .select()
    .from(annotations)
    .where(inArray(annotations.id, created))
    .orderBy(asc(annotations.id));
  const taskIds = pgArray(rows.map((a) => a.taskId));
  const skipCounts = project.skipPolicy === 'ignore';
  await tx.execute(sql`
    update tasks set
      total_annotations = total_annotations + 1,
      is_finished = total_annotations + 1 + ${skipCounts ? sql`cancelled_annotations` : sql`0`} >= overlap,
      updated_at = now(), updated_by = ${author.userId}::uuid
    where id = any(${taskIds}::bigint[])`);
  await refreshStatuses(
    tx,
    rows.map((a) => a.taskId),
  );
  await tx.execute(
    sql`delete from annotation_drafts where user_id = ${author.userId}::uuid and task_id = any(${taskIds}::bigint[])`,
  );
  await tx.execute(
    sql`delete from task_locks where user_id = ${author.userId}::uuid and task_id = any(${taskIds}::bigint[])`,
  );
  for (const a of rows)
    await announce(tx, platform, author, project.id, 'ANNOTATION_CREATED', {
      annotation: annotationView(a),
      task: { id: a.taskId },
      project: { id: project.id },
    });
}

/**
 * Labels every selected task in the caller's transaction. The caller holds the project
 * row lock (one bulk action per project at a time) and has checked `result`.
 */
export async function runBulkLabel(
  tx: Executor,
  platform: Pick<Platform, 'events'>,
  author: Author,
  project: Pick<Project, 'id' | 'tenantId' | 'skipPolicy'>,
  selection: LabelInput['selection'],
  result: unknown[],
) {
  const tally = emptyLabelTally();
  for (let batch = await nextBatch(tx, project, selection, tally); batch; ) {
    await labelBatch(tx, platform, author, project, batch, result, tally);
    batch = await nextBatch(tx, project, selection, tally);
  }
  return labelResultOf(tally);
}
