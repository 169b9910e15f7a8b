import { sql } from 'drizzle-orm';
import type { Executor } from '../../platform/db/client.ts';
import { rowsOf } from '../../platform/db/sql.ts';
import type { DomainEvent } from '../../platform/events/index.ts';
import { findAnnotation } from '../annotation/index.ts';
import { Decimal, type DecimalValue } from './money.ts';

interface Previous {
  user_id: string | null;
  lead_time: string;
  was_cancelled: boolean;
}

/** The annotation's latest work row: its author, lead-time high-water mark and state. */
async function previous(tx: Executor, annotationId: number): Promise<Previous | undefined> {
  const [row] = rowsOf<Previous>(
    await tx.execute(sql`select user_id, lead_time, was_cancelled from billing_work_records
      where annotation_id = ${annotationId} order by id desc limit 1`),
  );
  return row;
}

async function leadTimeCap(tx: Executor, projectId: number): Promise<number | null> {
  const [row] = rowsOf<{ cap: number | null }>(
    await tx.execute(
      sql`select lead_time_cap_seconds as cap from billing_project_settings where project_id = ${projectId}`,
    ),
  );
  return row?.cap ?? null;
}

/**
 * Seconds this event adds: the rise of the annotation's lead time, both sides capped at
 * the project's cap, so an annotation never counts more than the cap however often it is
 * edited, and a lower reported lead time takes nothing back.
 */
export function billableSeconds(before: DecimalValue, after: DecimalValue, cap: number | null): Decimal {
  const clip = (v: DecimalValue) => (cap === null ? new Decimal(v) : Decimal.min(v, cap));
  return Decimal.max(0, clip(after).minus(clip(before)));
}

async function insertWork(
  tx: Executor,
  row: {
    tenantId: string;
    projectId: number;
    taskId: number;
    annotationId: number;
    userId: string;
    kind: 'submitted' | 'skipped' | 'updated' | 'reviewed';
    units: number;
    leadTime: Decimal;
    billableSeconds: Decimal;
    wasCancelled: boolean;
    reviewStatus: string | null;
  },
): Promise<void> {
  await tx.execute(sql`insert into billing_work_records (tenant_id, project_id, task_id, annotation_id,
      user_id, kind, units, lead_time, billable_seconds, was_cancelled, review_status)
    values (${row.tenantId}, ${row.projectId}, ${row.taskId}, ${row.annotationId}, ${row.userId},
      ${row.kind}, ${row.units}, ${row.leadTime.toFixed(3)}, ${row.billableSeconds.toFixed(3)},
      ${row.wasCancelled}, ${row.reviewStatus})`);
}

/** A submit, skip (`created`) or change: its units and the billable seconds it adds. */
export async function recordAnnotation(
  tx: Executor,
  event: DomainEvent<'ANNOTATION_CREATED' | 'ANNOTATION_UPDATED'>,
  created: boolean,
): Promise<void> {
  const a = event.payload.annotation;
  if (event.projectId === null || !a.completed_by) return;
  const prev = created ? undefined : await previous(tx, a.id);
  const cap = await leadTimeCap(tx, event.projectId);
  const before = new Decimal(prev?.lead_time ?? 0);
  const reported = new Decimal(Math.max(0, a.lead_time ?? 0)).toDecimalPlaces(3);
  await insertWork(tx, {
    tenantId: event.tenantId,
    projectId: event.projectId,
    taskId: a.task,
    annotationId: a.id,
    userId: prev?.user_id ?? a.completed_by,
    kind: created ? (a.was_cancelled ? 'skipped' : 'submitted') : 'updated',
    units: created ? 1 : 0,
    leadTime: Decimal.max(before, reported),
    billableSeconds: billableSeconds(before, reported, cap),
    wasCancelled: a.was_cancelled,
    reviewStatus: a.review_status ?? null,
  });
}

/** A review decision: a row without units or seconds that carries the new review status. */
export async function recordReview(tx: Executor, event: DomainEvent<'REVIEW_CREATED'>): Promise<void> {
  const r = event.payload.review;
  if (event.projectId === null) return;
  const prev = await previous(tx, r.annotation);
  const snapshotAuthor = r.annotation_snapshot?.completed_by;
  let author = prev?.user_id ?? (typeof snapshotAuthor === 'string' ? snapshotAuthor : null);
  if (!author) {
    // Work that reached the platform without a submission (an import) has no row yet.
    author = (await findAnnotation(tx, event.tenantId, r.annotation))?.completedBy ?? null;
  }
  if (!author) return;
  await insertWork(tx, {
    tenantId: event.tenantId,
    projectId: event.projectId,
    taskId: r.task,
    annotationId: r.annotation,
    userId: author,
    kind: 'reviewed',
    units: 0,
    leadTime: new Decimal(prev?.lead_time ?? 0),
    billableSeconds: new Decimal(0),
    wasCancelled: prev?.was_cancelled ?? false,
    reviewStatus: r.status,
  });
}
