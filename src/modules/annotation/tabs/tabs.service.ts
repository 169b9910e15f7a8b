import { and, asc, eq, sql } from 'drizzle-orm';
import type { Principal } from '../../../platform/auth/principal.ts';
import type { Executor } from '../../../platform/db/client.ts';
import { notFound, Problem } from '../../../platform/errors/problem.ts';
import type { Project } from '../access.ts';
import { dataManagerTabs } from '../schema.ts';
import { checkFilter, type Sort, type TaskFilter } from '../tasks/tasks.service.ts';

type Tab = typeof dataManagerTabs.$inferSelect;

/** A user keeps at most this many tabs per project: the console shows them all in one row. */
export const TABS_MAX = 50;

export interface TabInput {
  name: string;
  filters?: TaskFilter;
  ordering?: Sort;
  columns?: string[];
}

export function tabView(t: Tab) {
  return {
    id: t.id,
    project: t.projectId,
    name: t.name,
    filters: t.filters,
    ordering: t.ordering as Sort,
    columns: t.columns,
    created_at: t.createdAt,
    updated_at: t.updatedAt,
  };
}

/** A saved filter must be one the task list accepts, so a restored tab never answers a 400. */
function checkTab(input: Partial<TabInput>) {
  if (input.filters) checkFilter(input.filters, 'body/filters');
  if (input.ordering === 'relevance' && input.filters?.q === undefined)
    throw new Problem(400, 'relevance_needs_q', 'Sorting by relevance needs a full-text query.', {
      errors: [{ path: 'body/filters/q', message: 'is required with ordering=relevance' }],
    });
}

const isUniqueViolation = (err: unknown) =>
  (err as { cause?: { code?: string } }).cause?.code === '23505' ||
  (err as { code?: string }).code === '23505';

const nameTaken = () =>
  new Problem(409, 'tab_name_taken', 'You already have a tab of this name in this project.');

/** The caller's tabs of a project, oldest first (the order the console shows them in). */
export async function listTabs(tx: Executor, principal: Principal, project: Pick<Project, 'id'>) {
  const rows = await tx
    .select()
    .from(dataManagerTabs)
    .where(and(eq(dataManagerTabs.projectId, project.id), eq(dataManagerTabs.userId, principal.userId)))
    .orderBy(asc(dataManagerTabs.id))
    .limit(TABS_MAX);
  return rows.map(tabView);
}

export async function createTab(
  tx: Executor,
  principal: Principal,
  project: Pick<Project, 'id'>,
  input: TabInput,
) {
  checkTab(input);
  const [{ n } = { n: 0 }] = await tx
    .select({ n: sql<number>`count(*)::int` })
    .from(dataManagerTabs)
    .where(and(eq(dataManagerTabs.projectId, project.id), eq(dataManagerTabs.userId, principal.userId)));
  if (n >= TABS_MAX)
    throw new Problem(409, 'tabs_limit', `A user keeps at most ${TABS_MAX} tabs per project.`, {
      limit: TABS_MAX,
      params: { limit: TABS_MAX },
    });
  const [row] = await tx
    .insert(dataManagerTabs)
    .values({
      tenantId: principal.tenantId,
      projectId: project.id,
      userId: principal.userId,
      name: input.name,
      filters: input.filters ?? {},
      ordering: input.ordering ?? 'id',
      columns: input.columns ?? [],
    })
    .onConflictDoNothing()
    .returning();
  if (!row) throw nameTaken();
  return tabView(row);
}

/** The caller's tab; another user's tab, or one of another project, is a 404. */
async function ownTab(tx: Executor, principal: Principal, project: Pick<Project, 'id'>, tabId: number) {
  const [tab] = await tx
    .select()
    .from(dataManagerTabs)
    .where(
      and(
        eq(dataManagerTabs.id, tabId),
        eq(dataManagerTabs.projectId, project.id),
        eq(dataManagerTabs.userId, principal.userId),
      ),
    )
    .for('update');
  if (!tab) throw notFound('tab.not_found', 'The tab');
  return tab;
}

/** Renames a tab or replaces its filters, ordering or columns (each only when given). */
export async function updateTab(
  tx: Executor,
  principal: Principal,
  project: Pick<Project, 'id'>,
  tabId: number,
  patch: Partial<TabInput>,
) {
  const tab = await ownTab(tx, principal, project, tabId);
  // Checked as the tab will be, so a patch cannot leave a relevance sort without its query.
  checkTab({
    filters: patch.filters ?? tab.filters,
    ordering: patch.ordering ?? (tab.ordering as Sort),
  });
  try {
    const [row] = await tx
      .update(dataManagerTabs)
      .set({
        ...(patch.name === undefined ? {} : { name: patch.name }),
        ...(patch.filters === undefined ? {} : { filters: patch.filters }),
        ...(patch.ordering === undefined ? {} : { ordering: patch.ordering }),
        ...(patch.columns === undefined ? {} : { columns: patch.columns }),
        updatedAt: sql`now()`,
      })
      .where(eq(dataManagerTabs.id, tab.id))
      .returning();
    return tabView(row!);
  } catch (err) {
    if (isUniqueViolation(err)) throw nameTaken();
    throw err;
  }
}

export async function deleteTab(
  tx: Executor,
  principal: Principal,
  project: Pick<Project, 'id'>,
  tabId: number,
) {
  const tab = await ownTab(tx, principal, project, tabId);
  await tx.delete(dataManagerTabs).where(eq(dataManagerTabs.id, tab.id));
  return tabView(tab);
}
