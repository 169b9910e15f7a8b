import { and, asc, eq, inArray } from 'drizzle-orm';
import { grants } from '../../../platform/auth/permissions.ts';
import type { Principal } from '../../../platform/auth/principal.ts';
import { users } from '../../../platform/auth/schema.ts';
import type { Executor } from '../../../platform/db/client.ts';
import { notFound } from '../../../platform/errors/problem.ts';
import type { Project } from '../access.ts';
import { reviewRecords, tasks } from '../schema.ts';
import { visibleAnnotations } from './tasks.service.ts';

/** A task's history stops at this many annotations, as its detail does. */
const HISTORY_ANNOTATIONS_MAX = 1000;

export const HISTORY_ACTIONS = [
  'task_created',
  'annotation_created',
  'annotation_skipped',
  'annotation_fixed',
  'annotation_updated',
  'reviewed',
] as const;

interface Entry {
  at: Date;
  action: (typeof HISTORY_ACTIONS)[number];
  user: string | null;
  annotation: number | null;
  review_status: string | null;
  reject_mode: string | null;
  import: number | null;
}

/**
 * Who did what to a task, and when, oldest first: its creation (by an import or the API), each
 * annotation's submit, skip, reviewer's fix and last change, and each review decision. Built
 * from the annotations and review records themselves, so it covers what happened before the
 * audit log did; without annotations:read, only the caller's own annotations and their reviews.
 */
export async function taskHistory(
  tx: Executor,
  principal: Principal,
  project: Pick<Project, 'id'>,
  taskId: number,
) {
  const [task] = await tx
    .select({ id: tasks.id, createdAt: tasks.createdAt, importId: tasks.importId })
    .from(tasks)
    .where(and(eq(tasks.projectId, project.id), eq(tasks.id, taskId)));
  if (!task) throw notFound('task.not_found', 'The task');
  const readsOthers = grants(principal.permissions, 'annotations:read');
  const anns = await visibleAnnotations(tx, principal, task.id, HISTORY_ANNOTATIONS_MAX);
  const reviews = await tx
    .select()
    .from(reviewRecords)
    .where(
      and(
        eq(reviewRecords.taskId, task.id),
        // A reject that removed an annotation leaves its record: a reader of others' sees it.
        readsOthers
          ? undefined
          : inArray(
              reviewRecords.annotationId,
              anns.map((a) => a.id),
            ),
      ),
    )
    .orderBy(asc(reviewRecords.id));
  const none = { annotation: null, review_status: null, reject_mode: null, import: null };
  const entries: Entry[] = [
    { ...none, at: task.createdAt, action: 'task_created', user: null, import: task.importId },
  ];
  for (const a of anns) {
    const action = a.wasCancelled
      ? 'annotation_skipped'
      : a.parentAnnotationId
        ? 'annotation_fixed'
        : 'annotation_created';
    entries.push({ ...none, at: a.createdAt, action, user: a.completedBy, annotation: a.id });
    // A review sets the annotation's updated_at in its own transaction (the same now()): only
    // a later time that no review explains is the author's own change.
    const reviewed = reviews.some(
      (r) => r.annotationId === a.id && r.updatedAt.getTime() === a.updatedAt.getTime(),
    );
    if (a.updatedAt > a.createdAt && !reviewed)
      entries.push({
        ...none,
        at: a.updatedAt,
        action: 'annotation_updated',
        user: a.completedBy,
        annotation: a.id,
      });
  }
  for (const r of reviews)
    entries.push({
      ...none,
      at: r.updatedAt,
      action: 'reviewed',
      user: r.reviewerId,
      annotation: r.annotationId,
      review_status: r.status,
      reject_mode: r.rejectMode,
    });
  entries.sort((x, y) => x.at.getTime() - y.at.getTime());
  const names = await namesOf(
    tx,
    entries.map((e) => e.user),
  );
  return { items: entries.map((e) => ({ ...e, user_name: e.user ? (names.get(e.user) ?? null) : null })) };
}

async function namesOf(tx: Executor, ids: (string | null)[]): Promise<Map<string, string>> {
  const unique = [...new Set(ids.filter((id): id is string => id !== null))];
  if (!unique.length) return new Map();
  const rows = await tx
    .select({ id: users.id, name: users.name })
    .from(users)
    .where(inArray(users.id, unique));
  return new Map(rows.map((r) => [r.id, r.name]));
}
