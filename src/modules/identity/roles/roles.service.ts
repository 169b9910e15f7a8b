import { and, asc, desc, eq, sql } from 'drizzle-orm';
import { closure, tenantRoles, wouldCycle } from '../../../platform/auth/access.ts';
import {
  BUILT_IN_PERMISSIONS,
  BUILT_IN_ROLES,
  type BuiltInRole,
  expand,
  grants,
  isKnownPermission,
  PERMISSIONS,
} from '../../../platform/auth/permissions.ts';
import { roles } from '../../../platform/auth/schema.ts';
import type { Executor } from '../../../platform/db/client.ts';
import { prepared } from '../../../platform/db/prepared.ts';
import { badRequest, conflict, forbidden, notFound } from '../../../platform/errors/problem.ts';

type RoleMap = Awaited<ReturnType<typeof tenantRoles>>;

/** Whether everything `roleId` holds (inheritance included) is also held by `grantor`. */
export function within(byId: RoleMap, roleId: string, grantor: string[]): boolean {
  const held = closure(roleId, byId);
  const beyond = expand(held).filter((p) => !grants(grantor, p));
  return beyond.length === 0 && !(held.has('*') && !grantor.includes('*'));
}

/** Nobody grants (or takes away) a role that holds more than they hold themselves. */
export async function checkGrantable(
  tx: Executor,
  tenantId: string,
  roleId: string,
  grantor: string[],
  verb = 'grant',
): Promise<void> {
  const byId = await tenantRoles(tx, tenantId);
  const role = byId.get(roleId);
  if (!role) throw notFound('role.not_found', 'The role');
  if (!within(byId, roleId, grantor)) {
    throw forbidden(
      'role.holds_more_permissions',
      `You cannot ${verb} the role "${role.name}": it holds permissions you do not have.`,
      { verb, role: role.name },
    );
  }
}

export async function roleIdByName(tx: Executor, tenantId: string, name: string): Promise<string> {
  const [role] = await tx
    .select({ id: roles.id })
    .from(roles)
    .where(and(eq(roles.tenantId, tenantId), eq(roles.name, name)));
  if (!role)
    throw badRequest(
      'role.unknown',
      `There is no role "${name}" in this tenant.`,
      [{ path: 'body/roles', message: `unknown role ${name}` }],
      { role: name },
    );
  return role.id;
}

function roleView(r: typeof roles.$inferSelect) {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    built_in: r.builtIn,
    permissions: r.builtIn ? [...(BUILT_IN_PERMISSIONS[r.name as BuiltInRole] ?? [])] : r.permissions,
    parent_ids: r.parentIds,
    created_at: r.createdAt,
  };
}

const selectRoles = prepared('identity_list_roles', (db, name) =>
  db
    .select()
    .from(roles)
    .where(eq(roles.tenantId, sql.placeholder('tenantId')))
    .orderBy(desc(roles.builtIn), asc(roles.name))
    .prepare(name),
);

export async function listRoles(tx: Executor, tenantId: string) {
  return (await selectRoles(tx, { tenantId })).map(roleView);
}

// `in` would also accept names from Object.prototype ("toString", "constructor").
const knownPermission = (p: string) =>
  p.includes('*') ? isKnownPermission(p) : Object.hasOwn(PERMISSIONS, p);

export function checkPermissionList(permissions: string[]): void {
  const unknown = permissions.filter((p) => !knownPermission(p));
  if (unknown.length) {
    throw badRequest(
      'role.invalid_permissions',
      'Unknown permissions.',
      unknown.map((p) => ({ path: 'body/permissions', message: `unknown permission ${p}` })),
    );
  }
}

/**
 * Validates a role's new parents and checks that the role, as it would become, holds
 * nothing beyond the caller: otherwise editing a role one holds would be an escalation.
 */
async function checkRoleChange(
  tx: Executor,
  tenantId: string,
  role: { id: string; name: string; permissions: string[]; parentIds: string[] },
  grantor: string[],
) {
  const byId = await tenantRoles(tx, tenantId);
  checkParents(byId, role.id, role.parentIds);
  byId.set(role.id, { ...role, builtIn: false });
  if (!within(byId, role.id, grantor)) {
    throw forbidden(
      'role.would_hold_more_permissions',
      `The role "${role.name}" would hold permissions you do not have.`,
      { role: role.name },
    );
  }
}

function checkParents(byId: RoleMap, roleId: string, parentIds: string[]) {
  const missing = parentIds.filter((id) => !byId.has(id));
  if (missing.length) {
    throw badRequest(
      'role.inherit_unknown',
      'Unknown parent roles.',
      missing.map((id) => ({ path: 'body/parent_ids', message: `unknown role ${id}` })),
    );
  }
  if (wouldCycle(roleId, parentIds, byId)) {
    throw badRequest('role.inheritance_cycle', 'Role inheritance would form a cycle.', [
      { path: 'body/parent_ids', message: 'creates a cycle' },
    ]);
  }
}

export async function createRole(
  tx: Executor,
  tenantId: string,
  input: { name: string; description?: string; permissions: string[]; parentIds?: string[] },
  grantor: { permissions: string[] },
) {
  checkPermissionList(input.permissions);
  if ((BUILT_IN_ROLES as readonly string[]).includes(input.name))
    throw conflict('role.built_in_name', `"${input.name}" is a built-in role name.`, { name: input.name });
  const id = crypto.randomUUID();
  await checkRoleChange(
    tx,
    tenantId,
    { id, name: input.name, permissions: input.permissions, parentIds: input.parentIds ?? [] },
    grantor.permissions,
  );
  const [row] = await tx
    .insert(roles)
    .values({
      id,
      tenantId,
      name: input.name,
      description: input.description ?? '',
      permissions: input.permissions,
      parentIds: input.parentIds ?? [],
    })
    .returning();
  return roleView(row!);
}

/** The tenant's role `roleId`, or 404; a built-in role is a 403 saying `builtIn`. */
async function customRole(tx: Executor, tenantId: string, roleId: string, builtIn: string) {
  const [role] = await tx
    .select()
    .from(roles)
    .where(and(eq(roles.tenantId, tenantId), eq(roles.id, roleId)));
  if (!role) throw notFound('role.not_found', 'The role');
  if (role.builtIn) throw forbidden('role.built_in_read_only', builtIn);
  return role;
}

export async function updateRole(
  tx: Executor,
  tenantId: string,
  roleId: string,
  input: { description?: string; permissions?: string[]; parentIds?: string[] },
  grantor: { permissions: string[] },
) {
  const role = await customRole(
    tx,
    tenantId,
    roleId,
    'Built-in roles cannot be changed; create a custom role that inherits from one.',
  );
  if (input.permissions) checkPermissionList(input.permissions);
  await checkRoleChange(
    tx,
    tenantId,
    {
      id: roleId,
      name: role.name,
      permissions: input.permissions ?? role.permissions,
      parentIds: input.parentIds ?? role.parentIds,
    },
    grantor.permissions,
  );
  const [row] = await tx
    .update(roles)
    .set({
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(input.permissions ? { permissions: input.permissions } : {}),
      ...(input.parentIds ? { parentIds: input.parentIds } : {}),
      updatedAt: sql`now()`,
    })
    .where(eq(roles.id, roleId))
    .returning();
  return roleView(row!);
}

export async function deleteRole(
  tx: Executor,
  tenantId: string,
  roleId: string,
  grantor: { permissions: string[] },
) {
  await customRole(tx, tenantId, roleId, 'Built-in roles cannot be deleted.');
  // Deleting a role takes it away from everyone holding it.
  await checkGrantable(tx, tenantId, roleId, grantor.permissions, 'delete');
  const children = await tx
    .select({ name: roles.name })
    .from(roles)
    .where(and(eq(roles.tenantId, tenantId), sql`${roleId}::uuid = any(${roles.parentIds})`));
  if (children.length)
    throw conflict(
      'role.has_children',
      `Roles inherit from this one: ${children.map((c) => c.name).join(', ')}.`,
      { roles: children.map((c) => c.name).join(', ') },
    );
  await tx.delete(roles).where(eq(roles.id, roleId));
}
