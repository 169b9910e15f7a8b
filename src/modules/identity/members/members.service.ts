import { and, asc, desc, eq, sql } from 'drizzle-orm';
import { effectivePermissions } from '../../../platform/auth/access.ts';
import { addMembership } from '../../../platform/auth/membership.ts';
import { checkPasswordPolicy, generatePassword, hashPassword } from '../../../platform/auth/passwords.ts';
import { expand, grants } from '../../../platform/auth/permissions.ts';
import { roles, tenantMembers, userRoleAssignments, users } from '../../../platform/auth/schema.ts';
import type { Executor } from '../../../platform/db/client.ts';
import { beforeCursor, toPage } from '../../../platform/db/pagination.ts';
import { rowsOf } from '../../../platform/db/sql.ts';
import { badRequest, conflict, forbidden, notFound } from '../../../platform/errors/problem.ts';
import { endSessions } from '../auth/auth.service.ts';
import { checkGrantable, roleIdByName } from '../roles/roles.service.ts';

export async function findUserByEmail(db: Executor, email: string) {
  const [user] = await db.select().from(users).where(sql`lower(${users.email}) = lower(${email})`).limit(1);
  return user;
}

/** The id of the account with this e-mail in any tenant; RLS would hide it otherwise. */
async function accountIdByEmail(tx: Executor, email: string): Promise<string | undefined> {
  const result = await tx.execute(sql`select user_id_by_email(${email}) as id`);
  return rowsOf<{ id: string | null }>(result)[0]?.id || undefined;
}

/**
 * Adds a person to a tenant with roles. An existing account (of any tenant) joins;
 * otherwise an account is created with the given password or a generated one that is
 * returned once.
 */
export async function addMember(
  tx: Executor,
  tenantId: string,
  input: { email: string; name?: string; password?: string; roles: string[] },
  grantor: { userId: string; permissions: string[] },
) {
  const roleIds: string[] = [];
  for (const name of input.roles) {
    const roleId = await roleIdByName(tx, tenantId, name);
    await checkGrantable(tx, tenantId, roleId, grantor.permissions);
    roleIds.push(roleId);
  }
  const existing = await accountIdByEmail(tx, input.email);
  let userId: string;
  let generatedPassword: string | undefined;
  if (existing) {
    userId = existing;
  } else {
    const password = input.password ?? generatePassword();
    checkPasswordPolicy(password, input.email, 'body/password', input.name ?? undefined);
    if (!input.password) generatedPassword = password;
    userId = crypto.randomUUID();
    // No RETURNING: the new account is not yet a member, so RLS would not let us read it back.
    await tx.insert(users).values({
      id: userId,
      email: input.email,
      name: input.name ?? '',
      passwordHash: await hashPassword(password),
      passwordChangedAt: new Date(),
    });
  }
  const [already] = await tx
    .select({ id: tenantMembers.id })
    .from(tenantMembers)
    .where(and(eq(tenantMembers.tenantId, tenantId), eq(tenantMembers.userId, userId)));
  if (already)
    throw conflict('member.already_member', `${input.email} is already a member of this tenant.`, {
      email: input.email,
    });
  await addMembership(tx, tenantId, userId);
  for (const roleId of roleIds) {
    await tx.insert(userRoleAssignments).values({ tenantId, userId, roleId, grantedBy: grantor.userId });
  }
  return { userId, created: !existing, generatedPassword };
}

/** When a sign-in lock still holds, its end; null once it has run out or there is none. */
const lockedUntil =
  sql<Date | null>`case when ${users.lockedUntil} > now() then ${users.lockedUntil} end`.mapWith(
    users.lockedUntil,
  );

export async function memberView(tx: Executor, tenantId: string, userId: string) {
  const [row] = await tx
    .select({
      id: users.id,
      number: tenantMembers.number,
      email: users.email,
      name: users.name,
      status: tenantMembers.status,
      account_status: users.status,
      locked_until: lockedUntil,
      last_login_at: users.lastLoginAt,
      created_at: tenantMembers.createdAt,
    })
    .from(tenantMembers)
    .innerJoin(users, eq(users.id, tenantMembers.userId))
    .where(and(eq(tenantMembers.tenantId, tenantId), eq(tenantMembers.userId, userId)));
  if (!row) throw notFound('user.not_found', 'The user');
  const assignments = await tx
    .select({
      role_id: roles.id,
      role: roles.name,
      expires_at: userRoleAssignments.expiresAt,
    })
    .from(userRoleAssignments)
    .innerJoin(roles, eq(roles.id, userRoleAssignments.roleId))
    .where(and(eq(userRoleAssignments.tenantId, tenantId), eq(userRoleAssignments.userId, userId)))
    .orderBy(asc(roles.name));
  return { ...row, roles: assignments };
}

/** `%`, `_` and `\` are literal in a search, not LIKE wildcards. */
export const likeLiteral = (text: string) => text.replace(/[\\%_]/g, '\\$&');

/**
 * Deactivating someone who holds more than the caller would let an admin lock the owners
 * out; like granting, it needs everything the target holds.
 */
export async function checkOutranks(
  tx: Executor,
  tenantId: string,
  userId: string,
  actor: { permissions: string[] },
): Promise<void> {
  const target = await effectivePermissions(tx, tenantId, userId);
  const beyond = expand(target.permissions).filter((p) => !grants(actor.permissions, p));
  if (beyond.length || (target.permissions.includes('*') && !actor.permissions.includes('*'))) {
    throw forbidden('member.holds_more_permissions', 'This member holds permissions you do not have.');
  }
}

export async function listMembers(
  tx: Executor,
  tenantId: string,
  q: { limit: number; cursor?: string; status?: 'active' | 'deactivated'; search?: string },
) {
  const rows = await tx
    .select({
      id: users.id,
      number: tenantMembers.number,
      email: users.email,
      name: users.name,
      status: tenantMembers.status,
      locked_until: lockedUntil,
      created_at: tenantMembers.createdAt,
      member_id: tenantMembers.id,
      roles: sql<
        string[]
      >`coalesce((select array_agg(r.name order by r.name) from user_role_assignments a join roles r on r.id = a.role_id where a.tenant_id = ${tenantMembers.tenantId} and a.user_id = ${tenantMembers.userId} and (a.expires_at is null or a.expires_at > now())), '{}')`,
    })
    .from(tenantMembers)
    .innerJoin(users, eq(users.id, tenantMembers.userId))
    .where(
      and(
        eq(tenantMembers.tenantId, tenantId),
        q.status ? eq(tenantMembers.status, q.status) : undefined,
        q.search
          ? sql`(${users.email} ilike ${`%${likeLiteral(q.search)}%`} or ${users.name} ilike ${`%${likeLiteral(q.search)}%`})`
          : undefined,
        beforeCursor(tenantMembers.createdAt, tenantMembers.id, q.cursor),
      ),
    )
    .orderBy(desc(tenantMembers.createdAt), desc(tenantMembers.id))
    .limit(q.limit + 1);
  const page = toPage(rows, q.limit, (r) => [r.created_at.toISOString(), r.member_id]);
  return { ...page, items: page.items.map(({ member_id: _m, ...r }) => r) };
}

export async function setMemberStatus(
  tx: Executor,
  tenantId: string,
  userId: string,
  status: 'active' | 'deactivated',
) {
  const updated = await tx
    .update(tenantMembers)
    .set({ status, updatedAt: sql`now()` })
    .where(and(eq(tenantMembers.tenantId, tenantId), eq(tenantMembers.userId, userId)))
    .returning({ id: tenantMembers.id });
  if (updated.length === 0) throw notFound('user.not_found', 'The user');
  if (status === 'deactivated') await endSessions(tx, { tenantId, userId }, 'user_disabled');
}

export async function assignRole(
  tx: Executor,
  tenantId: string,
  userId: string,
  input: { roleId: string; expiresAt?: Date | null },
  grantor: { userId: string; permissions: string[] },
) {
  const grantedBy = grantor.userId;
  await memberView(tx, tenantId, userId);
  const [role] = await tx
    .select({ id: roles.id, name: roles.name })
    .from(roles)
    .where(eq(roles.id, input.roleId));
  if (!role) throw notFound('role.not_found', 'The role');
  await checkGrantable(tx, tenantId, role.id, grantor.permissions);
  if (input.expiresAt && input.expiresAt.getTime() <= Date.now()) {
    throw badRequest('member.assignment_expired', 'An assignment cannot expire in the past.', [
      { path: 'body/expires_at', message: 'is in the past' },
    ]);
  }
  const [row] = await tx
    .insert(userRoleAssignments)
    .values({ tenantId, userId, roleId: role.id, expiresAt: input.expiresAt ?? null, grantedBy })
    .onConflictDoUpdate({
      target: [userRoleAssignments.tenantId, userRoleAssignments.userId, userRoleAssignments.roleId],
      set: { expiresAt: input.expiresAt ?? null, grantedBy },
    })
    .returning();
  return { role: role.name, ...row! };
}

export async function unassignRole(
  tx: Executor,
  tenantId: string,
  userId: string,
  roleId: string,
  grantor: { permissions: string[] },
) {
  await checkGrantable(tx, tenantId, roleId, grantor.permissions, 'take away');
  const removed = await tx
    .delete(userRoleAssignments)
    .where(
      and(
        eq(userRoleAssignments.tenantId, tenantId),
        eq(userRoleAssignments.userId, userId),
        eq(userRoleAssignments.roleId, roleId),
      ),
    )
    .returning({ id: userRoleAssignments.id });
  if (removed.length === 0) throw notFound('role_assignment.not_found', 'The role assignment');
}

/** Lifts a sign-in lock early and forgets the failures counted towards the next one. */
export async function unlockMember(tx: Executor, tenantId: string, userId: string) {
  await memberView(tx, tenantId, userId);
  await tx
    .update(users)
    .set({ lockedUntil: null, failedLogins: 0, failedLoginsSince: null, updatedAt: sql`now()` })
    .where(eq(users.id, userId));
}

/**
 * An admin's password reset: sets the given password, or a generated one returned once,
 * lifts any lock and ends every session. Only for an account that is this tenant's alone
 * and holds nothing beyond the caller: a shared account's password is its owner's business.
 */
export async function resetMemberPassword(
  tx: Executor,
  tenantId: string,
  userId: string,
  password: string | undefined,
  actor: { permissions: string[] },
) {
  const member = await memberView(tx, tenantId, userId);
  await checkOutranks(tx, tenantId, userId, actor);
  const [account] = await tx
    .select({ platformOwner: users.isPlatformOwner })
    .from(users)
    .where(eq(users.id, userId));
  const shared = await tx.execute(sql`select user_other_tenant_count(${userId}, ${tenantId}) as n`);
  if (account?.platformOwner || (rowsOf<{ n: number }>(shared)[0]?.n ?? 0) > 0) {
    throw conflict(
      'member.last_admin',
      'This account also belongs to another tenant or runs the platform; only its owner or an operator can reset its password.',
    );
  }
  const chosen = password ?? generatePassword();
  checkPasswordPolicy(chosen, member.email, 'body/password', member.name || undefined);
  await tx
    .update(users)
    .set({
      passwordHash: await hashPassword(chosen),
      passwordChangedAt: sql`now()`,
      lockedUntil: null,
      failedLogins: 0,
      failedLoginsSince: null,
      updatedAt: sql`now()`,
    })
    .where(eq(users.id, userId));
  const ended = await endSessions(tx, { userId }, 'password_changed');
  return { generatedPassword: password ? undefined : chosen, ended };
}
