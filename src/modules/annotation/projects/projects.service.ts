import { and, desc, eq, ilike, isNull, lt, type SQL, sql } from 'drizzle-orm';
import type { Principal } from '../../../platform/auth/principal.ts';
import { tenantMembers, users } from '../../../platform/auth/schema.ts';
import type { Executor } from '../../../platform/db/client.ts';
import { beforeCursor, decodeCursor, toPage } from '../../../platform/db/pagination.ts';
import { rowsOf } from '../../../platform/db/sql.ts';
import { badRequest, notFound, Problem } from '../../../platform/errors/problem.ts';
import { managesAllProjects, type Project, type ProjectRole } from '../access.ts';
import { labelKeyOf, parseLabelConfig, resultTypeOf } from '../label-config/label-config.ts';
import {
  annotations,
  type ORDERINGS,
  type ParsedConfig,
  projectMembers,
  projects,
  type SKIP_POLICIES,
  TASK_STATUSES,
  tasks,
} from '../schema.ts';

export interface ProjectSettings {
  title?: string;
  description?: string;
  instructions?: string;
  label_config?: string;
  overlap?: number;
  overlap_coverage?: number;
  ordering?: (typeof ORDERINGS)[number];
  reservation_minutes?: number;
  annotator_task_limit?: number | null;
  skip_policy?: (typeof SKIP_POLICIES)[number];
  review_required?: boolean;
}

export type ProjectInput = ProjectSettings & { title: string; label_config: string };

/** The API shape of a project. */
export function projectView(p: Project, memberRole?: ProjectRole | null) {
  return {
    id: p.id,
    title: p.title,
    description: p.description,
    instructions: p.instructions,
    label_config: p.labelConfig,
    data_keys: p.parsedConfig.dataKeys,
    parsed_config: p.parsedConfig,
    warnings: p.parsedConfig.warnings ?? [],
    overlap: p.overlap,
    overlap_coverage: p.overlapCoverage,
    ordering: p.ordering,
    reservation_minutes: p.reservationMinutes,
    annotator_task_limit: p.annotatorTaskLimit,
    skip_policy: p.skipPolicy,
    review_required: p.reviewRequired,
    task_count: Number(p.taskCount),
    created_by: p.createdBy,
    created_at: p.createdAt,
    updated_at: p.updatedAt,
    ...(memberRole !== undefined ? { member_role: memberRole } : {}),
  };
}

/** Maps API settings to column values; only the keys present are set. */
export function settingsToColumns(s: ProjectSettings) {
  const out: Partial<typeof projects.$inferInsert> = {};
  if (s.title !== undefined) out.title = s.title;
  if (s.description !== undefined) out.description = s.description;
  if (s.instructions !== undefined) out.instructions = s.instructions;
  if (s.label_config !== undefined) {
    out.labelConfig = s.label_config;
    out.parsedConfig = parseLabelConfig(s.label_config);
  }
  if (s.overlap !== undefined) out.overlap = s.overlap;
  if (s.overlap_coverage !== undefined) out.overlapCoverage = s.overlap_coverage;
  if (s.ordering !== undefined) out.ordering = s.ordering;
  if (s.reservation_minutes !== undefined) out.reservationMinutes = s.reservation_minutes;
  if (s.annotator_task_limit !== undefined) out.annotatorTaskLimit = s.annotator_task_limit;
  if (s.skip_policy !== undefined) out.skipPolicy = s.skip_policy;
  if (s.review_required !== undefined) out.reviewRequired = s.review_required;
  return out;
}

/** Creates a project; its creator becomes a project manager, so they keep access to it. */
export async function createProject(tx: Executor, principal: Principal, input: ProjectInput) {
  const values = settingsToColumns(input);
  const [project] = await tx
    .insert(projects)
    .values({
      ...values,
      tenantId: principal.tenantId,
      title: input.title,
      labelConfig: input.label_config,
      parsedConfig: values.parsedConfig!,
      createdBy: principal.userId,
    })
    .returning();
  await tx
    .insert(projectMembers)
    .values({
      tenantId: principal.tenantId,
      projectId: project!.id,
      userId: principal.userId,
      role: 'manager',
    })
    .onConflictDoNothing();
  return project!;
}

// ------------------------------------------------------------------ list

const likeLiteral = (text: string) => text.replace(/[\\%_]/g, '\\$&');

/**
 * Projects newest first (keyset on id). Tenant-wide managers see every project; others
 * see the projects they are members of.
 */
export async function listProjects(
  tx: Executor,
  principal: Principal,
  q: { limit: number; cursor?: string; search?: string },
) {
  const [after] = (decodeCursor(q.cursor, 1) ?? []) as number[];
  if (after !== undefined && !Number.isInteger(after))
    throw badRequest('request.cursor_invalid', 'The cursor is not one this API issued.');
  const all = managesAllProjects(principal);
  const membership = and(
    eq(projectMembers.projectId, projects.id),
    eq(projectMembers.userId, principal.userId),
  );
  const rows = await tx
    .select({ project: projects, memberRole: projectMembers.role })
    .from(projects)
    [all ? 'leftJoin' : 'innerJoin'](projectMembers, membership)
    .where(
      and(
        eq(projects.tenantId, principal.tenantId),
        isNull(projects.deletingSince),
        after !== undefined ? lt(projects.id, after) : undefined,
        q.search ? ilike(projects.title, `%${likeLiteral(q.search)}%`) : undefined,
      ),
    )
    .orderBy(desc(projects.id))
    .limit(q.limit + 1);
  const page = toPage(rows, q.limit, (r) => [r.project.id]);
  return { ...page, items: page.items.map((r) => projectView(r.project, r.memberRole ?? null)) };
}

// ------------------------------------------------------------------ update

/**
 * What a new config takes away that existing work still uses: data keys tasks carry,
 * controls (by name and type) annotations use, and labels annotations chose. Each check
 * is one EXISTS query that stops at the first match.
 */
async function incompatibilities(tx: Executor, project: Project, next: ParsedConfig): Promise<string[]> {
  const found: string[] = [];
  const prev = project.parsedConfig;
  for (const key of prev.dataKeys.filter((k) => !next.dataKeys.includes(k))) {
    const used = await tx.execute(
      sql`select 1 from ${tasks} where ${tasks.projectId} = ${project.id} and ${tasks.data} ? ${key} limit 1`,
    );
    if (rowsOf(used).length) found.push(`the data key "$${key}", which tasks of this project carry`);
  }
  const nextControls = new Map(next.controls.map((c) => [c.name, c]));
  for (const c of prev.controls) {
    if (c.type === 'Relations') {
      const kept = next.controls.filter((x) => x.type === 'Relations');
      if (kept.length === 0) {
        if (await annotationsContain(tx, project.id, [{ type: 'relation' }]))
          found.push('the <Relations> tag, whose relations annotations use');
        continue;
      }
      const labels = kept.flatMap((x) => x.labels);
      if (labels.length === 0) continue;
      for (const label of c.labels.filter((l) => !labels.includes(l))) {
        if (await annotationsContain(tx, project.id, [{ type: 'relation', labels: [label] }]))
          found.push(`the relation label "${label}", which annotations use`);
      }
      continue;
    }
    const n = nextControls.get(c.name);
    if (!n || n.type !== c.type) {
      if (await annotationsContain(tx, project.id, [{ from_name: c.name }]))
        found.push(
          n
            ? `the control "${c.name}" changes from <${c.type}> to <${n.type}>, and annotations use it`
            : `the control "${c.name}" (<${c.type}>), which annotations use`,
        );
      continue;
    }
    const key = labelKeyOf(resultTypeOf(c.type));
    if (!key || key === 'taxonomy' || n.labels.length === 0) continue;
    for (const label of c.labels.filter((l) => !n.labels.includes(l))) {
      if (await annotationsContain(tx, project.id, [{ from_name: c.name, value: { [key]: [label] } }]))
        found.push(
          `the ${key === 'choices' ? 'choice' : 'label'} "${label}" of "${c.name}", which annotations use`,
        );
    }
  }
  return found;
}

/**
 * A labeling config checked for a project as a change would check it, changing nothing:
 * parsed and validated (400 naming each problem), with what it would take away from
 * existing work (empty when the project could take it).
 */
export async function checkConfigFor(tx: Executor, project: Project, xml: string) {
  const parsed = parseLabelConfig(xml);
  return { parsed, conflicts: await incompatibilities(tx, project, parsed) };
}

async function annotationsContain(tx: Executor, projectId: number, fragment: unknown[]): Promise<boolean> {
  const r = await tx.execute(
    sql`select 1 from ${annotations} where ${annotations.projectId} = ${projectId}
        and ${annotations.result} @> ${JSON.stringify(fragment)}::jsonb limit 1`,
  );
  return rowsOf(r).length > 0;
}

/**
 * Changes settings. A new labeling config is validated, and refused (409, naming each
 * conflict) when it drops data keys, controls or labels that existing work uses. A change
 * of overlap re-derives each task's wanted annotations and finished flag: here for a small
 * project, and `rederiveInJob` says when the caller must enqueue OVERLAP_JOB instead.
 */
export async function updateProject(tx: Executor, project: Project, patch: ProjectSettings) {
  const values = settingsToColumns(patch);
  const changed = Object.keys(patch).filter((k) => (patch as Record<string, unknown>)[k] !== undefined);
  if (values.parsedConfig) {
    const conflicts = await incompatibilities(tx, project, values.parsedConfig);
    if (conflicts.length)
      throw new Problem(
        409,
        'project.config_drops_data',
        `The new labeling config drops ${conflicts.join('; ')}.`,
        {
          params: { conflicts: conflicts.join('; ') },
          errors: conflicts.map((message) => ({ path: 'body/label_config', message })),
        },
      );
  }
  if (changed.length === 0) return { project, changed };
  const [row] = await tx
    .update(projects)
    .set({ ...values, updatedAt: sql`now()` })
    .where(eq(projects.id, project.id))
    .returning();
  // A large project re-derives in a job (the caller enqueues it); a small one here.
  const rederive = overlapChanged(project, patch);
  const inJob = rederive && Number(project.taskCount) > OVERLAP_INLINE_MAX;
  if (rederive && !inJob) await reapplyOverlap(tx, row!);
  return { project: row!, changed, rederiveInJob: inJob };
}

/** Projects with more tasks than this re-derive the overlap in a job, not in the request. */
export const OVERLAP_INLINE_MAX = 5_000;

/** The settings whose change re-derives every task's wanted annotations and finished flag. */
export function overlapChanged(project: Project, patch: ProjectSettings): boolean {
  return (
    (patch.overlap !== undefined && patch.overlap !== project.overlap) ||
    (patch.overlap_coverage !== undefined && patch.overlap_coverage !== project.overlapCoverage) ||
    (patch.skip_policy !== undefined &&
      (patch.skip_policy === 'ignore') !== (project.skipPolicy === 'ignore'))
  );
}

/** Re-derives the overlap of a small project's tasks in the caller's transaction. */
async function reapplyOverlap(tx: Executor, p: Project) {
  const window = { after: 0, position: 0, limit: OVERLAP_INLINE_MAX };
  for (;;) {
    const step = await reapplyOverlapBatch(tx, p, window);
    if (step.seen < window.limit) return;
    window.after = step.last;
    window.position += step.seen;
  }
}

/**
 * Re-derives each task's wanted annotations, finished flag and status after the overlap,
 * its coverage or the skip policy changed, for the next `limit` tasks after id `after`
 * (which hold positions `position + 1…`). The covered share is spread over the project's
 * tasks in id order as imports spread it: the task whose position crosses each whole
 * percent step gets the overlap, the others one annotation.
 */
export async function reapplyOverlapBatch(
  tx: Executor,
  p: Project,
  window: { after: number; position: number; limit: number },
): Promise<{ seen: number; last: number; changed: number }> {
  const skipCounts = p.skipPolicy === 'ignore';
  const all = p.overlap <= 1 || p.overlapCoverage >= 100;
  const wanted = all
    ? sql`${Math.max(1, p.overlap)}::int`
    : sql`case when (x.rn * ${p.overlapCoverage}) / 100 > ((x.rn - 1) * ${p.overlapCoverage}) / 100
        then ${p.overlap}::int else 1 end`;
  const done = sql`t.total_annotations ${skipCounts ? sql`+ t.cancelled_annotations` : sql``}`;
  const result = await tx.execute(sql`
    with b as (
      select id from ${tasks} where project_id = ${p.id} and id > ${window.after} order by id limit ${window.limit}
    ), w as (
      select x.id, ${wanted} as wanted
      from (select id, ${window.position}::bigint + row_number() over (order by id) as rn from b) x
    ), u as (
      update ${tasks} t set
        overlap = w.wanted,
        is_finished = ${done} >= w.wanted,
        status = case
          when t.status = 'cancelled' then t.status
          when ${done} >= w.wanted then case when t.status = 'reviewed' then 'reviewed' else 'completed' end
          when t.status in ('completed', 'reviewed') then 'in_progress'
          else t.status end,
        updated_at = now()
      from w
      where t.id = w.id and (t.overlap <> w.wanted or t.is_finished <> (${done} >= w.wanted))
      returning 1
    )
    select (select count(*) from b)::int as seen, coalesce((select max(id) from b), 0)::text as last,
           (select count(*) from u)::int as changed`);
  const row = rowsOf<{ seen: number; last: string; changed: number }>(result)[0]!;
  return { seen: Number(row.seen), last: Number(row.last), changed: Number(row.changed) };
}

// ------------------------------------------------------------------ delete

/** Projects with more tasks than this are deleted by a job, not in the request. */
export const DELETE_INLINE_MAX = 5_000;

/**
 * Deletes a small project at once (true), or marks a large one as being deleted (false):
 * it is gone for the API from now on, and the caller enqueues DELETE_JOB to empty it.
 */
export async function deleteProject(tx: Executor, project: Project): Promise<boolean> {
  if (Number(project.taskCount) <= DELETE_INLINE_MAX) {
    await tx.delete(projects).where(eq(projects.id, project.id));
    return true;
  }
  await tx.update(projects).set({ deletingSince: sql`now()` }).where(eq(projects.id, project.id));
  return false;
}

/** Rows deleted per transaction by the delete job. */
export const DELETE_BATCH = 5_000;

/**
 * One step of emptying a project marked for deletion: the next DELETE_BATCH review records,
 * then tasks (their annotations, predictions, assignments, locks and drafts go with them by
 * cascade, each through an index on task_id), then documents; when none are left, the
 * project row itself (with its imports, exports, members and hooks). Returns the rows
 * deleted, 0 once the project is gone.
 */
export async function deleteProjectBatch(
  tx: Executor,
  projectId: number,
): Promise<{ table: string; rows: number }> {
  const steps: [string, SQL][] = [
    // review_records has no task_id index: cleared by project first, so the task cascade finds none.
    [
      'review_records',
      sql`delete from review_records where id in (select id from review_records where project_id = ${projectId} order by id limit ${DELETE_BATCH})`,
    ],
    [
      'tasks',
      sql`delete from tasks where id in (select id from tasks where project_id = ${projectId} order by id limit ${DELETE_BATCH})`,
    ],
    [
      'documents',
      sql`delete from documents where id in (select id from documents where project_id = ${projectId} limit ${DELETE_BATCH})`,
    ],
  ];
  for (const [table, statement] of steps) {
    const n = rowsOf(await tx.execute(sql`${statement} returning 1`)).length;
    if (n > 0) {
      if (table === 'tasks')
        await tx.execute(
          sql`update projects set task_count = greatest(task_count - ${n}, 0) where id = ${projectId}`,
        );
      return { table, rows: n };
    }
  }
  const gone = await tx.delete(projects).where(eq(projects.id, projectId)).returning({ id: projects.id });
  return { table: 'projects', rows: gone.length };
}

// ------------------------------------------------------------------ members

export function memberView(m: {
  userId: string;
  email: string;
  name: string;
  role: ProjectRole;
  createdAt: Date;
}) {
  return { user_id: m.userId, email: m.email, name: m.name, role: m.role, created_at: m.createdAt };
}

const memberColumns = {
  id: projectMembers.id,
  userId: projectMembers.userId,
  email: users.email,
  name: users.name,
  role: projectMembers.role,
  createdAt: projectMembers.createdAt,
};

export async function listMembers(
  tx: Executor,
  projectId: number,
  q: { limit: number; cursor?: string; role?: ProjectRole },
) {
  const rows = await tx
    .select(memberColumns)
    .from(projectMembers)
    .innerJoin(users, eq(users.id, projectMembers.userId))
    .where(
      and(
        eq(projectMembers.projectId, projectId),
        q.role ? eq(projectMembers.role, q.role) : undefined,
        beforeCursor(projectMembers.createdAt, projectMembers.id, q.cursor),
      ),
    )
    .orderBy(desc(projectMembers.createdAt), desc(projectMembers.id))
    .limit(q.limit + 1);
  const page = toPage(rows, q.limit, (r) => [r.createdAt.toISOString(), r.id]);
  return { ...page, items: page.items.map(memberView) };
}

/** Adds a tenant member to the project, or changes their project role. */
export async function putMember(
  tx: Executor,
  project: Project,
  input: { user_id: string; role: ProjectRole },
): Promise<{ member: ReturnType<typeof memberView>; created: boolean; previousRole: ProjectRole | null }> {
  const [user] = await tx
    .select({ id: users.id, email: users.email, name: users.name })
    .from(tenantMembers)
    .innerJoin(users, eq(users.id, tenantMembers.userId))
    .where(
      and(
        eq(tenantMembers.tenantId, project.tenantId),
        eq(tenantMembers.userId, input.user_id),
        eq(tenantMembers.status, 'active'),
      ),
    );
  if (!user)
    throw badRequest('project.member_not_active', 'The user is not an active member of this tenant.', [
      { path: 'body/user_id', message: 'names no active member of the tenant' },
    ]);
  const [before] = await tx
    .select({ role: projectMembers.role })
    .from(projectMembers)
    .where(and(eq(projectMembers.projectId, project.id), eq(projectMembers.userId, input.user_id)))
    .for('update');
  const [row] = await tx
    .insert(projectMembers)
    .values({ tenantId: project.tenantId, projectId: project.id, userId: input.user_id, role: input.role })
    .onConflictDoUpdate({
      target: [projectMembers.projectId, projectMembers.userId],
      set: { role: input.role },
    })
    .returning();
  return {
    member: memberView({ ...row!, email: user.email, name: user.name }),
    created: !before,
    previousRole: before?.role ?? null,
  };
}

export async function removeMember(tx: Executor, projectId: number, userId: string) {
  const [row] = await tx
    .delete(projectMembers)
    .where(and(eq(projectMembers.projectId, projectId), eq(projectMembers.userId, userId)))
    .returning();
  if (!row) throw notFound('project_member.not_found', 'The project member');
  return row;
}

// ------------------------------------------------------------------ summary

const int = (v: unknown) => Number(v ?? 0);

/**
 * Project counts from aggregate queries (no rows are loaded): tasks by status, finished,
 * annotations and skips, predictions, reviewed tasks, and per-annotator counts.
 */
export async function projectSummary(tx: Executor, project: Project) {
  const byStatus = rowsOf<{ status: string; n: unknown; finished: unknown; predictions: unknown }>(
    await tx.execute(sql`
      select status, count(*) as n, count(*) filter (where is_finished) as finished,
             coalesce(sum(total_predictions), 0) as predictions
      from ${tasks} where ${tasks.projectId} = ${project.id} group by status`),
  );
  const statusCounts: Record<string, number> = Object.fromEntries(TASK_STATUSES.map((s) => [s, 0]));
  let finished = 0;
  let predictionCount = 0;
  let taskCount = 0;
  for (const r of byStatus) {
    statusCounts[r.status] = int(r.n);
    finished += int(r.finished);
    predictionCount += int(r.predictions);
    taskCount += int(r.n);
  }
  const [totals] = rowsOf<{ annotations: unknown; cancelled: unknown; reviewed: unknown; lead: unknown }>(
    await tx.execute(sql`
      select count(*) filter (where not was_cancelled) as annotations,
             count(*) filter (where was_cancelled) as cancelled,
             count(distinct task_id) filter (where review_status in ('approved', 'rejected')) as reviewed,
             coalesce(sum(lead_time), 0) as lead
      from ${annotations} where ${annotations.projectId} = ${project.id}`),
  );
  const perAnnotator = rowsOf<{
    user_id: string | null;
    external: string | null;
    email: string | null;
    name: string | null;
    annotations: unknown;
    cancelled: unknown;
    ground_truth: unknown;
    lead: unknown;
  }>(
    await tx.execute(sql`
      select g.user_id, g.external, u.email, u.name, g.annotations, g.cancelled, g.ground_truth, g.lead
      from (
        select completed_by as user_id, completed_by_external as external,
               count(*) filter (where not was_cancelled) as annotations,
               count(*) filter (where was_cancelled) as cancelled,
               count(*) filter (where ground_truth) as ground_truth,
               coalesce(sum(lead_time), 0) as lead, count(*) as n
        from ${annotations} where project_id = ${project.id}
        group by completed_by, completed_by_external
        order by count(*) desc, completed_by nulls last, completed_by_external
        limit 1000
      ) g left join ${users} u on u.id = g.user_id
      order by g.n desc, g.user_id nulls last, g.external`),
  );
  return {
    project: project.id,
    task_count: taskCount,
    finished,
    in_progress: statusCounts.in_progress ?? 0,
    annotations: int(totals?.annotations),
    cancelled: int(totals?.cancelled),
    predictions: predictionCount,
    reviewed: int(totals?.reviewed),
    lead_time: Number(totals?.lead ?? 0),
    by_status: statusCounts,
    annotators: perAnnotator.map((r) => ({
      user_id: r.user_id,
      external_name: r.external,
      email: r.email,
      name: r.name,
      annotations: int(r.annotations),
      cancelled: int(r.cancelled),
      ground_truth: int(r.ground_truth),
      lead_time: Number(r.lead),
    })),
  };
}

/** Serializes writers of one project's settings and counters (row lock to commit). */
export async function lockProject(tx: Executor, projectId: number) {
  await tx.execute(sql`select 1 from ${projects} where ${projects.id} = ${projectId} for update`);
}
