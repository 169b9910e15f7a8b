import { and, asc, eq, gt, isNull, or, type SQL, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { grants } from '../../../platform/auth/permissions.ts';
import type { Principal } from '../../../platform/auth/principal.ts';
import { users } from '../../../platform/auth/schema.ts';
import type { Executor } from '../../../platform/db/client.ts';
import { decodeCursor, toPage } from '../../../platform/db/pagination.ts';
import { notFound, Problem } from '../../../platform/errors/problem.ts';
import { loadProject, type ProjectNeed } from '../access.ts';
import { readsOthers } from '../labeling/labeling.service.ts';
import { annotations, taskComments, tasks } from '../schema.ts';

type Comment = typeof taskComments.$inferSelect;
type Place = { projectId: number; taskId: number };

export interface CommentInput {
  text: string;
  annotation?: number;
  parent?: number;
}

export function commentView(c: Comment, authorName: string | null) {
  return {
    id: c.id,
    project: c.projectId,
    task: c.taskId,
    annotation: c.annotationId,
    review: c.reviewId,
    parent: c.parentId,
    author: c.authorId,
    author_name: authorName,
    text: c.text,
    resolved_at: c.resolvedAt,
    resolved_by: c.resolvedBy,
    created_at: c.createdAt,
    updated_at: c.updatedAt,
  };
}

export type CommentView = ReturnType<typeof commentView>;

/** The task of a project the caller may use for `need`; a task of another project is a 404. */
async function placeOf(tx: Executor, principal: Principal, place: Place, need: ProjectNeed) {
  const project = await loadProject(tx, principal, place.projectId, need);
  const [task] = await tx
    .select({ id: tasks.id })
    .from(tasks)
    .where(and(eq(tasks.projectId, project.id), eq(tasks.id, place.taskId)));
  if (!task) throw notFound('task.not_found', 'The task');
  return project;
}

const annotationAuthor = alias(annotations, 'commented_annotation');

/**
 * Comments the caller may read: those on the task itself, and those on an annotation the
 * caller may see (everyone's with annotations:read, else their own) or wrote themselves.
 */
function readable(principal: Principal): SQL | undefined {
  if (readsOthers(principal)) return undefined;
  return or(
    isNull(taskComments.annotationId),
    eq(taskComments.authorId, principal.userId),
    eq(annotationAuthor.completedBy, principal.userId),
  );
}

function selectComments(tx: Executor, principal: Principal, where: (SQL | undefined)[]) {
  return tx
    .select({ comment: taskComments, authorName: users.name })
    .from(taskComments)
    .leftJoin(users, eq(users.id, taskComments.authorId))
    .leftJoin(annotationAuthor, eq(annotationAuthor.id, taskComments.annotationId))
    .where(and(...where, readable(principal)));
}

/** A task's comments the caller may read, oldest first: threads are their first comment's replies. */
export async function listComments(
  tx: Executor,
  principal: Principal,
  place: Place,
  page: { limit: number; cursor?: string },
) {
  await placeOf(tx, principal, place, 'read');
  const after = decodeCursor(page.cursor, 1)?.[0];
  const rows = await selectComments(tx, principal, [
    eq(taskComments.taskId, place.taskId),
    after !== undefined ? gt(taskComments.id, Number(after)) : undefined,
  ])
    .orderBy(asc(taskComments.id))
    .limit(page.limit + 1);
  const out = toPage(rows, page.limit, (r) => [r.comment.id]);
  return { ...out, items: out.items.map((r) => commentView(r.comment, r.authorName)) };
}

/** One comment of the task the caller may read, else a 404. */
async function findComment(tx: Executor, principal: Principal, place: Place, id: number) {
  const [row] = await selectComments(tx, principal, [
    eq(taskComments.taskId, place.taskId),
    eq(taskComments.id, id),
  ]);
  if (!row) throw notFound('comment.not_found', 'The comment');
  return row;
}

/** The annotation a new comment is about: one of this task's that the caller may see. */
async function checkAnnotation(tx: Executor, principal: Principal, taskId: number, id: number) {
  const [a] = await tx
    .select({ taskId: annotations.taskId, completedBy: annotations.completedBy })
    .from(annotations)
    .where(eq(annotations.id, id));
  if (!a || (a.completedBy !== principal.userId && !readsOthers(principal)))
    throw notFound('annotation.not_found', 'The annotation');
  if (a.taskId !== taskId)
    throw new Problem(400, 'comment.annotation_elsewhere', 'The annotation is not one of this task’s.', {
      errors: [{ path: 'body/annotation', message: 'is an annotation of another task' }],
    });
}

/**
 * Adds a comment, or a reply to a thread (to a reply's thread when `parent` is a reply: threads
 * are one level deep, as in Label Studio). A reply is about its thread's annotation. Returns
 * the comment and whom to tell: the annotation's author, and on a reply everyone in the thread.
 */
export async function createComment(tx: Executor, principal: Principal, place: Place, input: CommentInput) {
  await placeOf(tx, principal, place, 'annotate');
  let root: Comment | null = null;
  if (input.parent !== undefined) {
    const parent = (await findComment(tx, principal, place, input.parent)).comment;
    root = parent.parentId ? (await findComment(tx, principal, place, parent.parentId)).comment : parent;
    if (input.annotation !== undefined && input.annotation !== root.annotationId)
      throw new Problem(400, 'comment.reply_annotation', 'A reply is about its thread’s annotation.', {
        errors: [{ path: 'body/annotation', message: 'differs from the thread’s annotation' }],
      });
  } else if (input.annotation !== undefined) {
    await checkAnnotation(tx, principal, place.taskId, input.annotation);
  }
  const comment = await insertComment(tx, principal, place, {
    text: input.text.trim(),
    annotationId: root ? root.annotationId : (input.annotation ?? null),
    parentId: root?.id ?? null,
    reviewId: null,
  });
  return { comment, recipients: await recipientsOf(tx, principal, comment, root) };
}

/**
 * A reviewer's verdict comment, in the annotation's thread on its task (the review records the
 * same text): the annotator reads it, replies and resolves it where they label.
 */
export async function addReviewComment(
  tx: Executor,
  principal: Principal,
  review: { id: number; projectId: number; taskId: number; annotationId: number },
  text: string,
) {
  const comment = await insertComment(
    tx,
    principal,
    { projectId: review.projectId, taskId: review.taskId },
    { text: text.trim(), annotationId: review.annotationId, parentId: null, reviewId: review.id },
  );
  return { comment, recipients: await recipientsOf(tx, principal, comment, null) };
}

async function insertComment(
  tx: Executor,
  principal: Principal,
  place: Place,
  values: Pick<Comment, 'text' | 'annotationId' | 'parentId' | 'reviewId'>,
) {
  const [row] = await tx
    .insert(taskComments)
    .values({ tenantId: principal.tenantId, ...place, ...values, authorId: principal.userId })
    .returning();
  const [author] = await tx.select({ name: users.name }).from(users).where(eq(users.id, principal.userId));
  return commentView(row!, author?.name ?? null);
}

/** The other party: the annotation's author and, on a reply, everyone who wrote in the thread. */
async function recipientsOf(tx: Executor, principal: Principal, comment: CommentView, root: Comment | null) {
  const ids: (string | null)[] = [];
  if (comment.annotation !== null) {
    const [a] = await tx
      .select({ author: annotations.completedBy })
      .from(annotations)
      .where(eq(annotations.id, comment.annotation));
    ids.push(a?.author ?? null);
  }
  if (root) {
    const thread = await tx
      .select({ author: taskComments.authorId })
      .from(taskComments)
      .where(or(eq(taskComments.id, root.id), eq(taskComments.parentId, root.id)));
    ids.push(...thread.map((t) => t.author));
  }
  return [...new Set(ids)].filter((id): id is string => id !== null && id !== principal.userId);
}

/** Only its author edits a comment. */
export async function editComment(
  tx: Executor,
  principal: Principal,
  place: Place,
  id: number,
  text: string,
) {
  await placeOf(tx, principal, place, 'annotate');
  const { comment } = await findComment(tx, principal, place, id);
  if (comment.authorId !== principal.userId)
    throw new Problem(403, 'comment.not_yours', 'Only its author edits a comment.');
  return updateComment(tx, id, { text: text.trim() });
}

/**
 * Its author deletes a comment, or whoever holds comments:manage and manages the project.
 * Deleting a thread's first comment deletes its replies.
 */
export async function deleteComment(tx: Executor, principal: Principal, place: Place, id: number) {
  await placeOf(tx, principal, place, 'annotate');
  const { comment, authorName } = await findComment(tx, principal, place, id);
  if (comment.authorId !== principal.userId && !(await moderates(tx, principal, place.projectId)))
    throw new Problem(403, 'comment.not_yours', 'Only its author or a project manager deletes a comment.');
  await tx.delete(taskComments).where(eq(taskComments.id, id));
  return commentView(comment, authorName);
}

async function moderates(tx: Executor, principal: Principal, projectId: number): Promise<boolean> {
  if (!grants(principal.permissions, 'comments:manage')) return false;
  try {
    await loadProject(tx, principal, projectId, 'manage');
    return true;
  } catch (err) {
    if (err instanceof Problem && err.status === 404) return false;
    throw err;
  }
}

/** Resolves (or reopens) a thread; anyone who may comment on the task may. */
export async function resolveComment(
  tx: Executor,
  principal: Principal,
  place: Place,
  id: number,
  resolved: boolean,
) {
  await placeOf(tx, principal, place, 'annotate');
  const { comment } = await findComment(tx, principal, place, id);
  if (comment.parentId !== null)
    throw new Problem(409, 'comment.is_reply', 'A thread is resolved on its first comment, not on a reply.', {
      thread: comment.parentId,
    });
  return updateComment(
    tx,
    id,
    resolved
      ? { resolvedAt: sql`coalesce(${taskComments.resolvedAt}, now())`, resolvedBy: principal.userId }
      : { resolvedAt: null, resolvedBy: null },
  );
}

async function updateComment(
  tx: Executor,
  id: number,
  set: { text?: string; resolvedAt?: SQL | null; resolvedBy?: string | null },
) {
  const [row] = await tx
    .update(taskComments)
    .set({ ...set, updatedAt: sql`now()` })
    .where(eq(taskComments.id, id))
    .returning();
  const [author] = row?.authorId
    ? await tx.select({ name: users.name }).from(users).where(eq(users.id, row.authorId))
    : [];
  return commentView(row!, author?.name ?? null);
}
