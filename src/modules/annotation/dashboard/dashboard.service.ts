import { sql } from 'drizzle-orm';
import { grants } from '../../../platform/auth/permissions.ts';
import type { Principal } from '../../../platform/auth/principal.ts';
import { tenants, users } from '../../../platform/auth/schema.ts';
import type { Executor } from '../../../platform/db/client.ts';
import { rowsOf } from '../../../platform/db/sql.ts';
import { managesAllProjects } from '../access.ts';
import { annotations, projectMembers, projects, REVIEW_STATES, reviewRecords, tasks } from '../schema.ts';

const int = (v: unknown) => Number(v ?? 0);

export interface DashboardRange {
  from: Date;
  to: Date;
}

/**
 * Work over a time range, per day in the tenant's time zone, from aggregate queries (no
 * task or annotation rows leave the database). Callers who do not manage every project
 * see the projects they are members of; without `annotations:read` the annotator
 * throughput lists only the caller.
 */
export async function dashboard(tx: Executor, principal: Principal, range: DashboardRange) {
  const scope = dashboardScope(principal, range, await tenantTimeZone(tx, principal.tenantId));
  return {
    from: range.from,
    to: range.to,
    time_zone: scope.tz,
    days: await workPerDay(tx, scope),
    annotators: await annotatorThroughput(tx, scope),
    reviews: await reviewsByStatus(tx, scope),
    projects: await projectProgress(tx, scope),
  };
}

async function tenantTimeZone(tx: Executor, tenantId: string): Promise<string> {
  const [tenant] = rowsOf<{ tz: string }>(
    await tx.execute(sql`select ${tenants.timeZone} as tz from ${tenants} where ${tenants.id} = ${tenantId}`),
  );
  return tenant?.tz ?? 'UTC';
}

/** The caller, the range and the SQL fragments every dashboard query filters and groups by. */
type DashboardScope = ReturnType<typeof dashboardScope>;

function dashboardScope(principal: Principal, range: DashboardRange, tz: string) {
  const from = range.from.toISOString();
  const to = range.to.toISOString();
  return {
    principal,
    tz,
    from,
    to,
    /** The caller's projects: all of them, or those they are members of. */
    visible: (column: unknown) =>
      managesAllProjects(principal)
        ? sql`true`
        : sql`${column} in (select ${projectMembers.projectId} from ${projectMembers}
          where ${projectMembers.userId} = ${principal.userId})`,
    day: (column: unknown) => sql`(date_trunc('day', (${column}) at time zone ${tz}::text))::date`,
    inRange: (column: unknown) => sql`${column} >= ${from}::timestamptz and ${column} < ${to}::timestamptz`,
  };
}

/**
 * Tasks created and completed, annotations and skips, per day of the range. A task counts
 * as completed on the day of its last annotation (or skip), reviewer fixes aside: that
 * annotation is the one that reached its overlap. Only tasks annotated in the range are
 * grouped.
 */
async function workPerDay(tx: Executor, { principal, from, to, visible, day, inRange }: DashboardScope) {
  const perDay = rowsOf<Record<string, unknown>>(
    await tx.execute(sql`
      with days as (
        select d::date as day
        from generate_series(${day(sql`${from}::timestamptz`)}, ${day(sql`${to}::timestamptz - interval '1 millisecond'`)}, interval '1 day') d
      ),
      created as (
        select ${day(tasks.createdAt)} as day, count(*) as n from ${tasks}
        where ${tasks.tenantId} = ${principal.tenantId} and ${inRange(tasks.createdAt)} and ${visible(tasks.projectId)}
        group by 1
      ),
      completed as (
        select ${day(sql`x.done_at`)} as day, count(*) as n from (
          select a.task_id, max(a.created_at) as done_at
          from ${annotations} a join ${tasks} t on t.id = a.task_id
          where a.tenant_id = ${principal.tenantId} and t.is_finished and a.parent_annotation_id is null
            and a.task_id in (
              select r.task_id from ${annotations} r
              where r.tenant_id = ${principal.tenantId} and ${inRange(sql`r.created_at`)}
                and r.parent_annotation_id is null and ${visible(sql`r.project_id`)})
          group by a.task_id
        ) x where ${inRange(sql`x.done_at`)}
        group by 1
      ),
      annotated as (
        select ${day(annotations.createdAt)} as day,
               count(*) filter (where not ${annotations.wasCancelled}) as n,
               count(*) filter (where ${annotations.wasCancelled}) as skips
        from ${annotations}
        where ${annotations.tenantId} = ${principal.tenantId} and ${inRange(annotations.createdAt)}
          and ${visible(annotations.projectId)}
        group by 1
      )
      select to_char(days.day, 'YYYY-MM-DD') as day, coalesce(created.n, 0) as created,
             coalesce(completed.n, 0) as completed, coalesce(annotated.n, 0) as annotations,
             coalesce(annotated.skips, 0) as skips
      from days
      left join created on created.day = days.day
      left join completed on completed.day = days.day
      left join annotated on annotated.day = days.day
      order by days.day`),
  );
  return perDay.map((r) => ({
    day: String(r.day),
    tasks_created: int(r.created),
    tasks_completed: int(r.completed),
    annotations: int(r.annotations),
    skips: int(r.skips),
  }));
}

/** The 20 busiest annotators of the range; only the caller without `annotations:read`. */
async function annotatorThroughput(tx: Executor, { principal, visible, inRange }: DashboardScope) {
  const onlyMe = !grants(principal.permissions, 'annotations:read');
  const throughput = rowsOf<Record<string, unknown>>(
    await tx.execute(sql`
      select g.user_id, u.name, u.email, g.annotations, g.skips, g.lead
      from (
        select ${annotations.completedBy} as user_id,
               count(*) filter (where not ${annotations.wasCancelled}) as annotations,
               count(*) filter (where ${annotations.wasCancelled}) as skips,
               avg(${annotations.leadTime}) filter (where not ${annotations.wasCancelled}) as lead
        from ${annotations}
        where ${annotations.tenantId} = ${principal.tenantId} and ${inRange(annotations.createdAt)}
          and ${annotations.completedBy} is not null and ${annotations.parentAnnotationId} is null
          and ${visible(annotations.projectId)}
          ${onlyMe ? sql`and ${annotations.completedBy} = ${principal.userId}` : sql``}
        group by 1
      ) g join ${users} u on u.id = g.user_id
      order by g.annotations desc, u.email
      limit 20`),
  );
  return throughput.map((r) => ({
    user_id: String(r.user_id),
    name: String(r.name ?? ''),
    email: String(r.email ?? ''),
    annotations: int(r.annotations),
    skips: int(r.skips),
    mean_lead_time: r.lead == null ? null : Number(r.lead),
  }));
}

/** Review decisions of the range by status, every status present (0 when none). */
async function reviewsByStatus(tx: Executor, { principal, visible, inRange }: DashboardScope) {
  const reviewCounts = rowsOf<{ status: string; n: unknown }>(
    await tx.execute(sql`
      select ${reviewRecords.status} as status, count(*) as n from ${reviewRecords}
      where ${reviewRecords.tenantId} = ${principal.tenantId} and ${inRange(reviewRecords.createdAt)}
        and ${visible(reviewRecords.projectId)}
      group by 1`),
  );
  const reviews = Object.fromEntries(REVIEW_STATES.map((s) => [s, 0])) as Record<string, number>;
  for (const r of reviewCounts) reviews[r.status] = int(r.n);
  return reviews;
}

/** The 20 newest projects' progress; each finished count walks its (project_id, is_finished, id) index. */
async function projectProgress(tx: Executor, { principal, visible }: DashboardScope) {
  const progress = rowsOf<Record<string, unknown>>(
    await tx.execute(sql`
      select p.id, p.title, p.task_count,
             (select count(*) from ${tasks} t where t.project_id = p.id and t.is_finished) as finished
      from ${projects} p
      where p.tenant_id = ${principal.tenantId} and ${visible(sql`p.id`)}
      order by p.id desc
      limit 20`),
  );
  return progress.map((r) => ({
    id: int(r.id),
    title: String(r.title),
    tasks: int(r.task_count),
    finished: int(r.finished),
  }));
}
