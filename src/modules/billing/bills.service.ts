import { and, asc, desc, eq, gt, inArray, lt, type SQL, sql } from 'drizzle-orm';
import { grants } from '../../platform/auth/permissions.ts';
import type { Principal } from '../../platform/auth/principal.ts';
import { users } from '../../platform/auth/schema.ts';
import type { Executor } from '../../platform/db/client.ts';
import { decodeCursor, toPage } from '../../platform/db/pagination.ts';
import { pgArray, rowsOf } from '../../platform/db/sql.ts';
import { inTenant } from '../../platform/db/tenancy.ts';
import { badRequest, conflict, notFound, Problem } from '../../platform/errors/problem.ts';
import type { Platform } from '../../platform/index.ts';
import type { JobContext } from '../../platform/jobs/queue.ts';
import { managesAllProjects, projectFacts, projectsFor, readOnly } from '../annotation/index.ts';
import { scoreRows } from '../quality/index.ts';
import { GENERATE_JOB } from './billing.jobs.ts';
import type { LineView, NamedLine } from './export.ts';
import { Decimal, formatMoney, MINOR_UNITS, qualityMultiplier, roundMoney } from './money.ts';
import { approvedVersions, type Terms } from './rules.service.ts';
import { billingBills, billingRecords, billingStatements } from './schema.ts';
import { projectSegments, type Segment, termsAt } from './segments.ts';

const CHUNK = 1000;

export type Bill = typeof billingBills.$inferSelect;
export type BillRecord = typeof billingRecords.$inferSelect;
export type Statement = typeof billingStatements.$inferSelect;

export const PERIOD_PATTERN = '^[0-9]{4}-(0[1-9]|1[0-2])$';

// ------------------------------------------------------------------ who sees what

/**
 * The projects whose billing a caller may see: all (null) for billing managers, else the
 * projects the annotation module's rule lets them manage (every project for tenant-wide
 * project managers, their memberships as project manager for the rest).
 */
export async function visibleProjects(tx: Executor, principal: Principal): Promise<number[] | null> {
  if (grants(principal.permissions, 'billing:manage')) return null;
  return projectsFor(tx, principal, 'manage');
}

function projectFilter(
  column: SQL | typeof billingRecords.projectId,
  visible: number[] | null,
): SQL | undefined {
  if (visible === null) return undefined;
  return sql`${column} = any(${pgArray(visible)}::bigint[])`;
}

// ------------------------------------------------------------------ views

const amount = (v: string, currency: string | null) => formatMoney(v, currency ?? 'CNY');

export function billView(b: Bill, totals?: { total: string; lines: number }) {
  return {
    id: b.id,
    period: b.period,
    time_zone: b.timeZone,
    period_start: b.periodStart,
    period_end: b.periodEnd,
    status: b.status,
    currency: b.currency ?? 'CNY',
    total: amount(totals?.total ?? b.total, b.currency),
    scope: totals ? ('projects' as const) : ('tenant' as const),
    rule_version_ids: b.ruleVersionIds,
    job_id: b.jobId,
    generated_at: b.generatedAt,
    issued_at: b.issuedAt,
    paid_at: b.paidAt,
    voided_at: b.voidedAt,
    created_by: b.createdBy,
    created_at: b.createdAt,
  };
}

/** The people and projects a download names: display name (name, else e-mail) and title. */
export async function namesOf(tx: Executor, userIds: (string | null)[], projectIds: (number | null)[]) {
  const wanted = [...new Set(userIds.filter((id): id is string => id !== null))];
  const people = wanted.length
    ? await tx
        .select({ id: users.id, name: users.name, email: users.email })
        .from(users)
        .where(inArray(users.id, wanted))
    : [];
  const ids = [...new Set(projectIds.filter((id): id is number => id !== null))];
  const titles = ids.length
    ? rowsOf<{ id: number; title: string }>(
        await tx.execute(
          sql`select id, title from ${readOnly.projects} p where p.id = any(${pgArray(ids)}::bigint[])`,
        ),
      )
    : [];
  const byUser = new Map(people.map((u) => [u.id, { name: u.name || u.email, email: u.email }]));
  const byProject = new Map(titles.map((p) => [Number(p.id), p.title]));
  return {
    user: (id: string | null) => (id ? byUser.get(id) : undefined),
    project: (id: number | null) => (id === null ? undefined : byProject.get(id)),
  };
}

/** Lines with the annotator's name and e-mail and the project's title beside their ids. */
export async function namedLines(tx: Executor, lines: LineView[]): Promise<NamedLine[]> {
  const names = await namesOf(
    tx,
    lines.map((l) => l.user_id),
    lines.map((l) => l.project_id),
  );
  return lines.map((l) => ({
    ...l,
    user_name: names.user(l.user_id)?.name ?? '',
    user_email: names.user(l.user_id)?.email ?? '',
    project_title: names.project(l.project_id) ?? '',
  }));
}

export function recordView(r: BillRecord) {
  const hours = new Decimal(r.billableSeconds).div(3600).toDecimalPlaces(4);
  return {
    id: r.id,
    bill_id: r.billId,
    kind: r.kind,
    user_id: r.userId,
    project_id: r.projectId,
    period: r.period,
    rule_version_id: r.ruleVersionId,
    mode: r.mode,
    accepted_count: r.acceptedCount,
    rejected_count: r.rejectedCount,
    skipped_count: r.skippedCount,
    paid_count: r.paidCount,
    billable_seconds: new Decimal(r.billableSeconds).toString(),
    paid_seconds: new Decimal(r.paidSeconds).toString(),
    hours: hours.toString(),
    quality_score: r.qualityScore === null ? null : new Decimal(r.qualityScore).toString(),
    quality_multiplier: new Decimal(r.qualityMultiplier).toString(),
    difficulty: r.difficulty,
    difficulty_multiplier: new Decimal(r.difficultyMultiplier).toString(),
    base_amount: new Decimal(r.baseAmount).toString(),
    amount: amount(r.amount, r.currency),
    currency: r.currency,
    note: r.note,
    created_by: r.createdBy,
    created_at: r.createdAt,
  };
}

export function statementView(s: Statement, bill: Bill) {
  return {
    id: s.id,
    bill_id: s.billId,
    user_id: s.userId,
    period: bill.period,
    status: bill.status,
    currency: bill.currency ?? 'CNY',
    total: amount(s.total, bill.currency),
    lines: s.lines,
    created_at: s.createdAt,
  };
}

// ------------------------------------------------------------------ bills

async function periodBounds(tx: Executor, tenantId: string, period: string) {
  // The month's first instant and the next month's, in the tenant's time zone.
  const [row] = rowsOf<{ tz: string; s: string | Date; e: string | Date }>(
    await tx.execute(sql`select t.time_zone as tz,
        (${period} || '-01')::timestamp at time zone t.time_zone as s,
        ((${period} || '-01')::timestamp + interval '1 month') at time zone t.time_zone as e
      from tenants t where t.id = ${tenantId}`),
  );
  if (!row) throw notFound('tenant.not_found', 'The tenant');
  return { tz: row.tz, s: new Date(row.s), e: new Date(row.e) };
}

export async function getBill(tx: Executor, principal: Principal, id: number, lock = false): Promise<Bill> {
  const q = tx
    .select()
    .from(billingBills)
    .where(and(eq(billingBills.tenantId, principal.tenantId), eq(billingBills.id, id)));
  const [bill] = lock ? await q.for('update') : await q;
  if (!bill) throw notFound('bill.not_found', 'The bill');
  return bill;
}

/** Creates (or, for a draft, regenerates) the bill of a month and queues its generation. */
export async function requestBill(
  tx: Executor,
  platform: Platform,
  principal: Principal,
  period: string,
): Promise<{ bill: Bill; jobId: string }> {
  const bounds = await periodBounds(tx, principal.tenantId, period);
  // One generation per tenant and month at a time.
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`billing:${principal.tenantId}:${period}`}))`);
  let [bill] = await tx
    .select()
    .from(billingBills)
    .where(
      and(
        eq(billingBills.tenantId, principal.tenantId),
        eq(billingBills.period, period),
        sql`${billingBills.status} <> 'void'`,
      ),
    )
    .for('update');
  if (bill && bill.status !== 'draft')
    throw conflict(
      'bill.closed',
      `The bill of ${period} is ${bill.status}; correct it with an adjustment line.`,
      { period, status: bill.status },
    );
  if (!bill) {
    [bill] = await tx
      .insert(billingBills)
      .values({
        tenantId: principal.tenantId,
        period,
        timeZone: bounds.tz,
        periodStart: bounds.s,
        periodEnd: bounds.e,
        createdBy: principal.userId,
      })
      .returning();
  }
  const jobId = await platform.queue.enqueue(tx, {
    tenantId: principal.tenantId,
    kind: GENERATE_JOB,
    payload: { bill_id: bill!.id },
    createdBy: principal.userId,
  });
  const [updated] = await tx
    .update(billingBills)
    .set({
      jobId,
      generatedAt: null,
      timeZone: bounds.tz,
      periodStart: bounds.s,
      periodEnd: bounds.e,
    })
    .where(eq(billingBills.id, bill!.id))
    .returning();
  return { bill: updated!, jobId };
}

interface WorkGroup {
  user_id: string;
  project_id: string | number;
  seg: number;
  accepted: number;
  rejected: number;
  skipped: number;
  accepted_seconds: string;
  rejected_seconds: string;
  skipped_seconds: string;
}

/**
 * Work of the period summed per annotator, project and segment, entirely in SQL. An
 * annotation's state (skipped, rejected or accepted) is that of its latest row in the
 * period; its submission counts once, its seconds where they were recorded.
 */
async function aggregateWork(tx: Executor, tenantId: string, bill: Bill, segments: Segment[]) {
  const segs = JSON.stringify(
    segments.map((s) => ({
      project_id: s.projectId,
      seg: s.seg,
      t0: s.from.toISOString(),
      t1: s.to.toISOString(),
    })),
  );
  return rowsOf<WorkGroup>(
    await tx.execute(sql`
      with segs as (
        select * from jsonb_to_recordset(${segs}::jsonb) as s(project_id bigint, seg int, t0 timestamptz, t1 timestamptz)
      ), w as (
        select r.user_id, r.project_id, r.occurred_at, r.units, r.billable_seconds,
          first_value(r.was_cancelled) over a as cancelled,
          first_value(r.review_status) over a as review
        from billing_work_records r
        where r.tenant_id = ${tenantId} and r.user_id is not null
          and r.occurred_at >= ${bill.periodStart.toISOString()}::timestamptz
          and r.occurred_at < ${bill.periodEnd.toISOString()}::timestamptz
        window a as (partition by r.annotation_id order by r.occurred_at desc, r.id desc)
      ), c as (
        select w.user_id, w.project_id, s.seg, w.units, w.billable_seconds,
          case when w.cancelled then 'skipped' when w.review = 'rejected' then 'rejected' else 'accepted' end as state
        from w join segs s on s.project_id = w.project_id and w.occurred_at >= s.t0 and w.occurred_at < s.t1
      )
      select user_id, project_id, seg,
        coalesce(sum(units) filter (where state = 'accepted'), 0)::int as accepted,
        coalesce(sum(units) filter (where state = 'rejected'), 0)::int as rejected,
        coalesce(sum(units) filter (where state = 'skipped'), 0)::int as skipped,
        coalesce(sum(billable_seconds) filter (where state = 'accepted'), 0)::text as accepted_seconds,
        coalesce(sum(billable_seconds) filter (where state = 'rejected'), 0)::text as rejected_seconds,
        coalesce(sum(billable_seconds) filter (where state = 'skipped'), 0)::text as skipped_seconds
      from c group by user_id, project_id, seg
      -- a month holding only a review of earlier work adds nothing to pay
      having sum(units) > 0 or sum(billable_seconds) > 0
      order by project_id, user_id, seg`),
  );
}

/** Mean quality total of each annotator's scored submissions of the period, per project, to 4 places. */
async function qualityOf(tx: Executor, tenantId: string, bill: Bill) {
  const rows = rowsOf<{ user_id: string; project_id: string | number; quality: string; scored: number }>(
    await tx.execute(sql`
      select r.user_id, r.project_id, round(avg(q.total), 4)::text as quality, count(*)::int as scored
      from billing_work_records r
      join ${scoreRows} q on q.annotation_id = r.annotation_id and q.scope = 'annotation'
      where r.tenant_id = ${tenantId} and r.kind = 'submitted'
        and r.occurred_at >= ${bill.periodStart.toISOString()}::timestamptz
        and r.occurred_at < ${bill.periodEnd.toISOString()}::timestamptz
      group by r.user_id, r.project_id`),
  );
  return new Map(rows.map((r) => [`${r.user_id}|${Number(r.project_id)}`, r]));
}

type NewRecord = typeof billingRecords.$inferInsert;

/** One work line: counts and seconds paid under the segment's terms, times the multipliers. */
export function workLine(
  g: Omit<WorkGroup, 'user_id' | 'project_id' | 'seg'>,
  terms: Terms,
  quality: { quality: string; scored: number } | undefined,
  difficulty: string,
) {
  const paidCount = g.accepted + (terms.payRejected ? g.rejected : 0) + (terms.paySkipped ? g.skipped : 0);
  const paidSeconds = new Decimal(g.accepted_seconds)
    .plus(terms.payRejected ? g.rejected_seconds : 0)
    .plus(terms.paySkipped ? g.skipped_seconds : 0);
  const byCount = new Decimal(paidCount).times(terms.countRate);
  const byTime = paidSeconds.div(3600).times(terms.hourRate);
  const base =
    terms.mode === 'count'
      ? byCount
      : terms.mode === 'time'
        ? byTime
        : terms.mode === 'hybrid'
          ? byCount.plus(byTime)
          : new Decimal(0);
  const qm = qualityMultiplier(quality ? quality.quality : null, terms.qualityTiers);
  const dm = new Decimal(terms.difficultyMultipliers[difficulty] ?? '1');
  const notes: string[] = [];
  if (!quality) notes.push('no quality scores: quality multiplier 1.0');
  else if (qm.isZero()) notes.push(`quality ${quality.quality} below the lowest tier: nothing paid`);
  if (terms.mode === 'project') notes.push('project mode: paid by the project fee');
  if (terms.versionId === null) notes.push('built-in default rule');
  return {
    paidCount,
    paidSeconds,
    base,
    qm,
    dm,
    amount: roundMoney(base.times(qm).times(dm), terms.currency),
    note: notes.join('; '),
  };
}

/** Computes a bill's lines from the stored work (a job: never on the request path). */
export async function generateBill(platform: Platform, ctx: JobContext<{ bill_id: number }>) {
  const db = platform.database.db;
  const scope = { tenantId: ctx.tenantId, userId: ctx.createdBy ?? undefined };
  const billId = ctx.payload.bill_id;
  await ctx.progress(0.05);
  const computed = await inTenant(db, scope, async (tx) => {
    const [bill] = await tx.select().from(billingBills).where(eq(billingBills.id, billId));
    if (!bill) throw notFound('bill.not_found', 'The bill');
    const projectIds = rowsOf<{ project_id: string | number }>(
      await tx.execute(sql`
        select distinct project_id from billing_work_records
        where tenant_id = ${ctx.tenantId}
          and occurred_at >= ${bill.periodStart.toISOString()}::timestamptz
          and occurred_at < ${bill.periodEnd.toISOString()}::timestamptz
        union select project_id from billing_rules where tenant_id = ${ctx.tenantId} and project_id is not null`),
    ).map((r) => Number(r.project_id));
    const versions = (await approvedVersions(tx, ctx.tenantId)).map((v) => ({
      version: v.version,
      projectId: v.projectId,
    }));
    const segments: Segment[] = [];
    for (const p of projectIds.sort((a, b) => a - b))
      segments.push(...projectSegments(p, bill.periodStart, bill.periodEnd, versions, segments.length));
    const groups = segments.length ? await aggregateWork(tx, ctx.tenantId, bill, segments) : [];
    const quality = await qualityOf(tx, ctx.tenantId, bill);
    const difficulty = new Map(
      rowsOf<{ project_id: string | number; difficulty: string }>(
        await tx.execute(sql`select project_id, difficulty from billing_project_settings`),
      ).map((r) => [Number(r.project_id), r.difficulty]),
    );
    return { bill, groups, segments, quality, difficulty, versions };
  });
  await ctx.progress(0.7, { groups: computed.groups.length });

  const { bill, groups, segments, quality, difficulty, versions } = computed;
  const tenantTerms = termsAt(new Date(bill.periodEnd.getTime() - 1), -1, versions);
  const currencies = new Set(segments.map((s) => s.terms.currency));
  if (currencies.size > 1)
    throw new Problem(
      409,
      'bill.mixed_currencies',
      `The month mixes currencies (${[...currencies].join(', ')}); one bill has one currency.`,
      { params: { currencies: [...currencies].join(', ') } },
    );
  const currency = [...currencies][0] ?? tenantTerms.currency;
  const lines: NewRecord[] = [];
  for (const g of groups) {
    const seg = segments[g.seg]!;
    const projectId = Number(g.project_id);
    const level = difficulty.get(projectId) ?? 'normal';
    const q = quality.get(`${g.user_id}|${projectId}`);
    const line = workLine(g, seg.terms, q, level);
    lines.push({
      tenantId: ctx.tenantId,
      billId,
      kind: 'work',
      userId: g.user_id,
      projectId,
      period: bill.period,
      ruleVersionId: seg.terms.versionId,
      mode: seg.terms.mode,
      acceptedCount: g.accepted,
      rejectedCount: g.rejected,
      skippedCount: g.skipped,
      paidCount: line.paidCount,
      billableSeconds: new Decimal(g.accepted_seconds)
        .plus(g.rejected_seconds)
        .plus(g.skipped_seconds)
        .toFixed(3),
      paidSeconds: line.paidSeconds.toFixed(3),
      qualityScore: q?.quality ?? null,
      qualityMultiplier: line.qm.toString(),
      difficulty: level,
      difficultyMultiplier: line.dm.toString(),
      baseAmount: line.base.toDecimalPlaces(6).toString(),
      amount: line.amount.toString(),
      currency,
      note: line.note,
    });
  }
  // A project paid by a fixed fee: the fee of the version in force at the end of the month.
  for (const projectId of new Set(segments.map((s) => s.projectId))) {
    const last = segments.filter((s) => s.projectId === projectId).at(-1)!;
    if (last.terms.mode !== 'project') continue;
    lines.push({
      tenantId: ctx.tenantId,
      billId,
      kind: 'project_fee',
      projectId,
      period: bill.period,
      ruleVersionId: last.terms.versionId,
      mode: 'project',
      baseAmount: new Decimal(last.terms.projectFee).toString(),
      amount: roundMoney(last.terms.projectFee, currency).toString(),
      currency,
      note: 'fixed project fee for the period',
    });
  }
  const versionIds = [...new Set(segments.map((s) => s.terms.versionId))].sort((a, b) => (a ?? 0) - (b ?? 0));

  await inTenant(db, scope, async (tx) => {
    const [locked] = await tx.select().from(billingBills).where(eq(billingBills.id, billId)).for('update');
    if (locked?.status !== 'draft' || locked.jobId !== ctx.runId)
      throw conflict(
        'bill.stale_run',
        'The bill was issued, voided or regenerated meanwhile; this run is stale.',
      );
    await tx.delete(billingRecords).where(and(eq(billingRecords.billId, billId), sql`kind <> 'adjustment'`));
    for (let i = 0; i < lines.length; i += CHUNK)
      await tx.insert(billingRecords).values(lines.slice(i, i + CHUNK));
    await tx
      .update(billingBills)
      .set({ currency, ruleVersionIds: versionIds, generatedAt: sql`now()` })
      .where(eq(billingBills.id, billId));
    await refreshTotals(tx, billId);
  });
  return { bill_id: billId, lines: lines.length, groups: groups.length };
}

/** Bill total = sum of its lines; each annotator's statement = sum of their lines. */
async function refreshTotals(tx: Executor, billId: number): Promise<void> {
  await tx.execute(sql`update billing_bills set total =
      (select coalesce(sum(amount), 0) from billing_records where bill_id = ${billId}) where id = ${billId}`);
  await tx.execute(sql`delete from billing_statements s where s.bill_id = ${billId}
      and not exists (select 1 from billing_records r where r.bill_id = s.bill_id and r.user_id = s.user_id)`);
  await tx.execute(sql`insert into billing_statements (tenant_id, bill_id, user_id, total, lines)
      select tenant_id, bill_id, user_id, sum(amount), count(*)::int from billing_records
      where bill_id = ${billId} and user_id is not null group by tenant_id, bill_id, user_id
      on conflict (bill_id, user_id) do update set total = excluded.total, lines = excluded.lines`);
}

const MOVES: Record<'issue' | 'pay' | 'void', { from: Bill['status'][]; to: Bill['status'] }> = {
  issue: { from: ['draft'], to: 'issued' },
  pay: { from: ['issued'], to: 'paid' },
  void: { from: ['draft', 'issued'], to: 'void' },
};

/** draft → issued → paid, or → void (from draft or issued). */
export async function moveBill(
  tx: Executor,
  principal: Principal,
  id: number,
  action: 'issue' | 'pay' | 'void',
): Promise<Bill> {
  const bill = await getBill(tx, principal, id, true);
  const move = MOVES[action];
  if (!move.from.includes(bill.status))
    throw conflict('bill.transition', `A ${bill.status} bill cannot be ${move.to}.`, {
      status: bill.status,
      action: move.to,
    });
  if (action === 'issue' && !bill.generatedAt)
    throw conflict('bill.not_generated', 'The bill has not been generated yet.');
  const stamp = { issue: 'issuedAt', pay: 'paidAt', void: 'voidedAt' } as const;
  const [row] = await tx
    .update(billingBills)
    .set({ status: move.to, [stamp[action]]: sql`now()` })
    .where(eq(billingBills.id, id))
    .returning();
  return row!;
}

/** A correction: a new signed line on a draft or issued bill (lines are never edited). */
export async function addAdjustment(
  tx: Executor,
  principal: Principal,
  id: number,
  input: { amount: string; note: string; user_id?: string; project_id?: number },
): Promise<BillRecord> {
  const bill = await getBill(tx, principal, id, true);
  if (bill.status !== 'draft' && bill.status !== 'issued')
    throw conflict(
      'bill.no_adjustments',
      `A ${bill.status} bill takes no adjustments; correct it on a later bill.`,
      { status: bill.status },
    );
  const currency = bill.currency ?? 'CNY';
  let value: Decimal;
  try {
    value = new Decimal(input.amount);
  } catch {
    throw badRequest('bill.amount_invalid', 'The amount is invalid.', [
      { path: 'body/amount', message: 'is not a decimal number' },
    ]);
  }
  if (!value.isFinite() || value.decimalPlaces() > MINOR_UNITS[currency]! || value.abs().gt(1e12))
    throw badRequest('bill.amount_invalid', 'The amount is invalid.', [
      {
        path: 'body/amount',
        message: `needs at most ${MINOR_UNITS[currency]} decimal places for ${currency}`,
      },
    ]);
  if (input.user_id) {
    const [m] = rowsOf(
      await tx.execute(
        sql`select 1 from tenant_members where tenant_id = ${principal.tenantId} and user_id = ${input.user_id}`,
      ),
    );
    if (!m)
      throw badRequest('bill.unknown_member', 'Unknown member.', [
        { path: 'body/user_id', message: 'is not a member of this tenant' },
      ]);
  }
  if (input.project_id !== undefined) {
    if (!(await projectFacts(tx, input.project_id, principal.tenantId)))
      throw badRequest('bill.unknown_project', 'Unknown project.', [
        { path: 'body/project_id', message: 'is not a project of this tenant' },
      ]);
  }
  const [row] = await tx
    .insert(billingRecords)
    .values({
      tenantId: principal.tenantId,
      billId: id,
      kind: 'adjustment',
      userId: input.user_id ?? null,
      projectId: input.project_id ?? null,
      period: bill.period,
      baseAmount: value.toString(),
      amount: value.toString(),
      currency,
      note: input.note,
      createdBy: principal.userId,
    })
    .returning();
  await refreshTotals(tx, id);
  return row!;
}

export async function listBills(
  tx: Executor,
  principal: Principal,
  q: { limit: number; cursor?: string; status?: Bill['status'] },
) {
  const after = decodeCursor(q.cursor, 1)?.[0];
  const rows = await tx
    .select()
    .from(billingBills)
    .where(
      and(
        eq(billingBills.tenantId, principal.tenantId),
        q.status ? eq(billingBills.status, q.status) : undefined,
        after !== undefined ? lt(billingBills.id, Number(after)) : undefined,
      ),
    )
    .orderBy(desc(billingBills.id))
    .limit(q.limit + 1);
  return toPage(rows, q.limit, (r) => [r.id]);
}

/** A bill as the caller may see it: a project manager's view sums only their projects' lines. */
export async function billFor(tx: Executor, principal: Principal, id: number) {
  const bill = await getBill(tx, principal, id);
  const visible = await visibleProjects(tx, principal);
  if (visible === null) return { bill, visible, totals: undefined };
  const [t] = rowsOf<{ total: string; lines: number }>(
    await tx.execute(sql`select coalesce(sum(amount), 0)::text as total, count(*)::int as lines
      from billing_records where bill_id = ${id} and ${projectFilter(sql`project_id`, visible)}`),
  );
  return { bill, visible, totals: t! };
}

export async function listRecords(
  tx: Executor,
  principal: Principal,
  q: {
    limit: number;
    cursor?: string;
    bill_id?: number;
    period?: string;
    project_id?: number;
    user_id?: string;
    visible: number[] | null;
  },
) {
  const after = decodeCursor(q.cursor, 1)?.[0];
  const rows = await tx
    .select()
    .from(billingRecords)
    .where(
      and(
        eq(billingRecords.tenantId, principal.tenantId),
        q.bill_id !== undefined ? eq(billingRecords.billId, q.bill_id) : undefined,
        q.period ? eq(billingRecords.period, q.period) : undefined,
        q.project_id !== undefined ? eq(billingRecords.projectId, q.project_id) : undefined,
        q.user_id ? eq(billingRecords.userId, q.user_id) : undefined,
        projectFilter(billingRecords.projectId, q.visible),
        after !== undefined ? gt(billingRecords.id, Number(after)) : undefined,
      ),
    )
    .orderBy(asc(billingRecords.id))
    .limit(q.limit + 1);
  return toPage(rows, q.limit, (r) => [r.id]);
}

/** Every line of a bill (or of one annotator's statement), in order; a month has few. */
export async function allLines(
  tx: Executor,
  billId: number,
  filter: { userId?: string; visible?: number[] | null },
) {
  return tx
    .select()
    .from(billingRecords)
    .where(
      and(
        eq(billingRecords.billId, billId),
        filter.userId ? eq(billingRecords.userId, filter.userId) : undefined,
        projectFilter(billingRecords.projectId, filter.visible ?? null),
      ),
    )
    .orderBy(asc(billingRecords.id));
}

// ------------------------------------------------------------------ statements

/** Whether the caller reads every annotator's statements (else only their own, once issued). */
export const readsAllStatements = (p: Principal) =>
  grants(p.permissions, 'billing:manage') || (grants(p.permissions, 'billing:read') && managesAllProjects(p));

export async function getStatement(tx: Executor, principal: Principal, id: number) {
  const [row] = await tx
    .select({ s: billingStatements, bill: billingBills })
    .from(billingStatements)
    .innerJoin(billingBills, eq(billingBills.id, billingStatements.billId))
    .where(and(eq(billingStatements.tenantId, principal.tenantId), eq(billingStatements.id, id)));
  if (!row) throw notFound('statement.not_found', 'The statement');
  if (!readsAllStatements(principal)) {
    const own = row.s.userId === principal.userId && ['issued', 'paid'].includes(row.bill.status);
    if (!own) throw notFound('statement.not_found', 'The statement');
  }
  return row;
}

export async function listStatements(
  tx: Executor,
  principal: Principal,
  q: { limit: number; cursor?: string; bill_id?: number; user_id?: string },
) {
  const all = readsAllStatements(principal);
  const userId = all ? q.user_id : principal.userId;
  const after = decodeCursor(q.cursor, 1)?.[0];
  const rows = await tx
    .select({ s: billingStatements, bill: billingBills })
    .from(billingStatements)
    .innerJoin(billingBills, eq(billingBills.id, billingStatements.billId))
    .where(
      and(
        eq(billingStatements.tenantId, principal.tenantId),
        userId ? eq(billingStatements.userId, userId) : undefined,
        q.bill_id !== undefined ? eq(billingStatements.billId, q.bill_id) : undefined,
        all ? undefined : sql`${billingBills.status} in ('issued', 'paid')`,
        after !== undefined ? lt(billingStatements.id, Number(after)) : undefined,
      ),
    )
    .orderBy(desc(billingStatements.id))
    .limit(q.limit + 1);
  const page = toPage(rows, q.limit, (r) => [r.s.id]);
  return { ...page, items: page.items.map((r) => statementView(r.s, r.bill)) };
}

// ------------------------------------------------------------------ trends

/** Per month and per project: amount, work hours, accepted annotations, cost per accepted one. */
export async function trends(
  tx: Executor,
  principal: Principal,
  q: { from?: string; to?: string; project_id?: number },
) {
  const visible = await visibleProjects(tx, principal);
  const rows = rowsOf<{
    period: string;
    project_id: string | number | null;
    currency: string;
    amount: string;
    seconds: string;
    accepted: number;
  }>(
    await tx.execute(sql`
      select r.period, r.project_id, r.currency, sum(r.amount)::text as amount,
        sum(r.billable_seconds)::text as seconds, sum(r.accepted_count)::int as accepted
      from billing_records r join billing_bills b on b.id = r.bill_id
      where r.tenant_id = ${principal.tenantId} and b.status <> 'void'
        ${q.from ? sql`and r.period >= ${q.from}` : sql``}
        ${q.to ? sql`and r.period <= ${q.to}` : sql``}
        ${q.project_id !== undefined ? sql`and r.project_id = ${q.project_id}` : sql``}
        ${visible !== null ? sql`and ${projectFilter(sql`r.project_id`, visible)}` : sql``}
      group by r.period, r.project_id, r.currency
      order by r.period, r.project_id nulls first`),
  );
  const point = (amountSum: Decimal, seconds: Decimal, accepted: number, currency: string) => ({
    amount: formatMoney(amountSum, currency),
    currency,
    hours: seconds.div(3600).toDecimalPlaces(4).toString(),
    accepted,
    cost_per_accepted: accepted ? amountSum.div(accepted).toDecimalPlaces(4).toString() : null,
  });
  const months = new Map<string, { amount: Decimal; seconds: Decimal; accepted: number; currency: string }>();
  for (const r of rows) {
    const key = `${r.period}|${r.currency}`;
    const m = months.get(key) ?? {
      amount: new Decimal(0),
      seconds: new Decimal(0),
      accepted: 0,
      currency: r.currency,
    };
    m.amount = m.amount.plus(r.amount);
    m.seconds = m.seconds.plus(r.seconds);
    m.accepted += r.accepted;
    months.set(key, m);
  }
  return {
    months: [...months].map(([key, m]) => ({
      period: key.split('|')[0]!,
      ...point(m.amount, m.seconds, m.accepted, m.currency),
    })),
    projects: rows
      .filter((r) => r.project_id !== null)
      .map((r) => ({
        period: r.period,
        project_id: Number(r.project_id),
        ...point(new Decimal(r.amount), new Decimal(r.seconds), r.accepted, r.currency),
      })),
  };
}
