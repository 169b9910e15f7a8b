import { and, eq, gt, isNull, or, sql } from 'drizzle-orm';
import type { Executor } from '../db/client.ts';
import { BUILT_IN_PERMISSIONS, type BuiltInRole } from './permissions.ts';
import { roles, userRoleAssignments } from './schema.ts';

interface RoleRow {
  id: string;
  name: string;
  builtIn: boolean;
  permissions: string[];
  parentIds: string[];
}

/** A role's own permissions plus those of every role it inherits from. */
export function closure(roleId: string, byId: Map<string, RoleRow>, seen = new Set<string>()): Set<string> {
  const out = new Set<string>();
  if (seen.has(roleId)) return out;
  seen.add(roleId);
  const role = byId.get(roleId);
  if (!role) return out;
  const own = role.builtIn ? (BUILT_IN_PERMISSIONS[role.name as BuiltInRole] ?? []) : role.permissions;
  for (const p of own) out.add(p);
  for (const parent of role.parentIds) for (const p of closure(parent, byId, seen)) out.add(p);
  return out;
}

/** Whether making `roleId` inherit from `parentIds` would close a loop. */
export function wouldCycle(roleId: string, parentIds: string[], byId: Map<string, RoleRow>): boolean {
  const stack = [...parentIds];
  const seen = new Set<string>();
  while (stack.length) {
    const id = stack.pop()!;
    if (id === roleId) return true;
    if (seen.has(id)) continue;
    seen.add(id);
    stack.push(...(byId.get(id)?.parentIds ?? []));
  }
  return false;
}

export async function tenantRoles(tx: Executor, tenantId: string): Promise<Map<string, RoleRow>> {
  const rows = await tx
    .select({
      id: roles.id,
      name: roles.name,
      builtIn: roles.builtIn,
      permissions: roles.permissions,
      parentIds: roles.parentIds,
    })
    .from(roles)
    .where(eq(roles.tenantId, tenantId));
  return new Map(rows.map((r) => [r.id, r]));
}

/** The user's permissions in a tenant from unexpired role assignments, inheritance included. */
export async function effectivePermissions(
  tx: Executor,
  tenantId: string,
  userId: string,
): Promise<{ permissions: string[]; roles: string[] }> {
  const assigned = await tx
    .select({ roleId: userRoleAssignments.roleId })
    .from(userRoleAssignments)
    .where(
      and(
        eq(userRoleAssignments.tenantId, tenantId),
        eq(userRoleAssignments.userId, userId),
        or(isNull(userRoleAssignments.expiresAt), gt(userRoleAssignments.expiresAt, sql`now()`)),
      ),
    );
  if (assigned.length === 0) return { permissions: [], roles: [] };
  const byId = await tenantRoles(tx, tenantId);
  const permissions = new Set<string>();
  for (const a of assigned) for (const p of closure(a.roleId, byId)) permissions.add(p);
  return {
    permissions: [...permissions].sort(),
    roles: assigned.map((a) => byId.get(a.roleId)?.name ?? a.roleId).sort(),
  };
}
