import { and, eq, inArray, isNull } from 'drizzle-orm';
import { effectivePermissions } from '../../platform/auth/access.ts';
import { grants } from '../../platform/auth/permissions.ts';
import type { Principal } from '../../platform/auth/principal.ts';
import { tenantMembers } from '../../platform/auth/schema.ts';
import type { Executor } from '../../platform/db/client.ts';
import { notFound } from '../../platform/errors/problem.ts';
import { type PROJECT_ROLES, projectMembers, projects } from './schema.ts';

export type Project = typeof projects.$inferSelect;
export type ProjectRole = (typeof PROJECT_ROLES)[number];
export type ProjectNeed = 'read' | 'annotate' | 'review' | 'manage';

const ALLOWED: Record<ProjectNeed, ProjectRole[]> = {
  read: ['viewer', 'annotator', 'reviewer', 'manager'],
  annotate: ['annotator', 'reviewer', 'manager'],
  review: ['reviewer', 'manager'],
  manage: ['manager'],
};

/** Tenant-wide project managers (managers, admins, owners) see and run every project. */
export function managesAllProjects(principal: Principal): boolean {
  return grants(principal.permissions, 'projects:update');
}

/**
 * Loads a project the caller may use for `need`. Outside tenant-wide managers, access
 * comes from project membership; a project the caller may not see is a 404, as if absent.
 */
export async function loadProject(
  tx: Executor,
  principal: Principal,
  projectId: number,
  need: ProjectNeed,
): Promise<Project & { memberRole: ProjectRole | null }> {
  const [row] = await tx
    .select({ project: projects, memberRole: projectMembers.role })
    .from(projects)
    .leftJoin(
      projectMembers,
      and(eq(projectMembers.projectId, projects.id), eq(projectMembers.userId, principal.userId)),
    )
    .where(
      and(
        eq(projects.tenantId, principal.tenantId),
        eq(projects.id, projectId),
        isNull(projects.deletingSince),
      ),
    );
  if (!row) throw notFound('project.not_found', 'The project');
  const role = row.memberRole ?? null;
  if (!managesAllProjects(principal) && !(role && ALLOWED[need].includes(role)))
    throw notFound('project.not_found', 'The project');
  return { ...row.project, memberRole: role };
}

/**
 * The projects the caller may use for `need`, by the same rule as loadProject: null means
 * every project of the tenant (tenant-wide managers), else the ids of their memberships
 * whose role allows it.
 */
export async function projectsFor(
  tx: Executor,
  principal: Principal,
  need: ProjectNeed,
): Promise<number[] | null> {
  if (managesAllProjects(principal)) return null;
  const rows = await tx
    .select({ id: projectMembers.projectId })
    .from(projectMembers)
    .where(and(eq(projectMembers.userId, principal.userId), inArray(projectMembers.role, ALLOWED[need])));
  return rows.map((r) => r.id);
}

/**
 * Why each of `userIds` may not work in the project for `need`, by the rule above: 'inactive'
 * (not an active member of the tenant), 'unfit' (neither a project member whose role allows
 * it nor a tenant-wide project manager), or null where they may. In the order given.
 */
export async function unfitness(
  tx: Executor,
  tenantId: string,
  projectId: number,
  userIds: string[],
  need: ProjectNeed,
): Promise<('inactive' | 'unfit' | null)[]> {
  const unique = [...new Set(userIds)];
  const active = new Set(
    (
      await tx
        .select({ userId: tenantMembers.userId })
        .from(tenantMembers)
        .where(
          and(
            eq(tenantMembers.tenantId, tenantId),
            eq(tenantMembers.status, 'active'),
            inArray(tenantMembers.userId, unique),
          ),
        )
    ).map((r) => r.userId),
  );
  const roles = new Map(
    (
      await tx
        .select({ userId: projectMembers.userId, role: projectMembers.role })
        .from(projectMembers)
        .where(and(eq(projectMembers.projectId, projectId), inArray(projectMembers.userId, unique)))
    ).map((r) => [r.userId, r.role]),
  );
  const why: ('inactive' | 'unfit' | null)[] = [];
  for (const userId of userIds) {
    const role = roles.get(userId);
    if (!active.has(userId)) why.push('inactive');
    else if (role && ALLOWED[need].includes(role)) why.push(null);
    else {
      const { permissions } = await effectivePermissions(tx, tenantId, userId);
      why.push(grants(permissions, 'projects:update') ? null : 'unfit');
    }
  }
  return why;
}
