import fs from 'node:fs';
import path from 'node:path';
import { and, asc, count, desc, eq, gt, inArray, isNull, sql } from 'drizzle-orm';
import type { Config } from '../../config.ts';
import { closure, effectivePermissions, tenantRoles, wouldCycle } from '../../platform/auth/access.ts';
import {
  checkPasswordPolicy,
  generatePassword,
  hashPassword,
  verifyPassword,
} from '../../platform/auth/passwords.ts';
import {
  BUILT_IN_PERMISSIONS,
  BUILT_IN_ROLES,
  type BuiltInRole,
  expand,
  grants,
  isKnownPermission,
  PERMISSIONS,
} from '../../platform/auth/permissions.ts';
import {
  apiTokens,
  roles,
  sessions,
  tenantMembers,
  tenants,
  userRoleAssignments,
  users,
} from '../../platform/auth/schema.ts';
import { raiseSecurityEvent } from '../../platform/auth/security-events.ts';
import { newToken } from '../../platform/auth/tokens.ts';
import type { Db, Executor } from '../../platform/db/client.ts';
import { beforeCursor, decodeCursor, toPage } from '../../platform/db/pagination.ts';
import { prepared } from '../../platform/db/prepared.ts';
import {
  badRequest,
  conflict,
  forbidden,
  notFound,
  Problem,
  tooManyRequests,
  unauthorized,
} from '../../platform/errors/problem.ts';

type AuthSettings = Config['auth'];

export interface TenantInput {
  slug: string;
  name: string;
  timeZone?: string;
}

function checkTimeZone(tz: string): void {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
  } catch {
    throw badRequest(`Unknown time zone "${tz}".`, [
      { path: 'body/time_zone', message: 'is not an IANA time zone' },
    ]);
  }
}

/** Creates a tenant with its six built-in roles; runs as the system (no tenant yet). */
export async function createTenant(tx: Executor, input: TenantInput) {
  if (input.timeZone) checkTimeZone(input.timeZone);
  const [tenant] = await tx
    .insert(tenants)
    .values({ slug: input.slug, name: input.name, timeZone: input.timeZone ?? 'UTC' })
    .returning();
  await tx.insert(roles).values(
    BUILT_IN_ROLES.map((name) => ({
      tenantId: tenant!.id,
      name,
      builtIn: true,
      description: `Built-in ${name} role`,
    })),
  );
  return tenant!;
}

type RoleMap = Awaited<ReturnType<typeof tenantRoles>>;

/** Whether everything `roleId` holds (inheritance included) is also held by `grantor`. */
function within(byId: RoleMap, roleId: string, grantor: string[]): boolean {
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
  if (!role) throw notFound('The role');
  if (!within(byId, roleId, grantor)) {
    throw forbidden(`You cannot ${verb} the role "${role.name}": it holds permissions you do not have.`);
  }
}

async function roleIdByName(tx: Executor, tenantId: string, name: string): Promise<string> {
  const [role] = await tx
    .select({ id: roles.id })
    .from(roles)
    .where(and(eq(roles.tenantId, tenantId), eq(roles.name, name)));
  if (!role)
    throw badRequest(`There is no role "${name}" in this tenant.`, [
      { path: 'body/roles', message: `unknown role ${name}` },
    ]);
  return role.id;
}

export async function findUserByEmail(db: Executor, email: string) {
  const [user] = await db.select().from(users).where(sql`lower(${users.email}) = lower(${email})`).limit(1);
  return user;
}

/** The id of the account with this e-mail in any tenant; RLS would hide it otherwise. */
async function accountIdByEmail(tx: Executor, email: string): Promise<string | undefined> {
  const result = await tx.execute(sql`select user_id_by_email(${email}) as id`);
  return ((result as unknown as { rows: { id: string | null }[] }).rows[0]?.id ?? undefined) || undefined;
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
  if (already) throw conflict(`${input.email} is already a member of this tenant.`);
  await tx.insert(tenantMembers).values({ tenantId, userId });
  for (const roleId of roleIds) {
    await tx.insert(userRoleAssignments).values({ tenantId, userId, roleId, grantedBy: grantor.userId });
  }
  return { userId, created: !existing, generatedPassword };
}

export async function memberView(tx: Executor, tenantId: string, userId: string) {
  const [row] = await tx
    .select({
      id: users.id,
      email: users.email,
      name: users.name,
      status: tenantMembers.status,
      account_status: users.status,
      last_login_at: users.lastLoginAt,
      created_at: tenantMembers.createdAt,
    })
    .from(tenantMembers)
    .innerJoin(users, eq(users.id, tenantMembers.userId))
    .where(and(eq(tenantMembers.tenantId, tenantId), eq(tenantMembers.userId, userId)));
  if (!row) throw notFound('The user');
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
const likeLiteral = (text: string) => text.replace(/[\\%_]/g, '\\$&');

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
    throw forbidden('This member holds permissions you do not have.');
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
      email: users.email,
      name: users.name,
      status: tenantMembers.status,
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

/** Every tenant (platform owners), by slug, optionally searched by slug or name. */
export async function listTenants(db: Executor, q: { limit: number; cursor?: string; search?: string }) {
  const after = decodeCursor(q.cursor, 1);
  const rows = await db
    .select()
    .from(tenants)
    .where(
      and(
        q.search
          ? sql`(${tenants.slug} ilike ${`%${likeLiteral(q.search)}%`} or ${tenants.name} ilike ${`%${likeLiteral(q.search)}%`})`
          : undefined,
        after ? gt(tenants.slug, String(after[0])) : undefined,
      ),
    )
    .orderBy(asc(tenants.slug))
    .limit(q.limit + 1);
  return toPage(rows, q.limit, (t) => [t.slug]);
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
  if (updated.length === 0) throw notFound('The user');
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
  if (!role) throw notFound('The role');
  await checkGrantable(tx, tenantId, role.id, grantor.permissions);
  if (input.expiresAt && input.expiresAt.getTime() <= Date.now()) {
    throw badRequest('An assignment cannot expire in the past.', [
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
  if (removed.length === 0) throw notFound('The role assignment');
}

// ---------------------------------------------------------------- roles

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

function checkPermissionList(permissions: string[]): void {
  const unknown = permissions.filter((p) => !knownPermission(p));
  if (unknown.length) {
    throw badRequest(
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
    throw forbidden(`The role "${role.name}" would hold permissions you do not have.`);
  }
}

function checkParents(byId: RoleMap, roleId: string, parentIds: string[]) {
  const missing = parentIds.filter((id) => !byId.has(id));
  if (missing.length) {
    throw badRequest(
      'Unknown parent roles.',
      missing.map((id) => ({ path: 'body/parent_ids', message: `unknown role ${id}` })),
    );
  }
  if (wouldCycle(roleId, parentIds, byId)) {
    throw badRequest('Role inheritance would form a cycle.', [
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
    throw conflict(`"${input.name}" is a built-in role name.`);
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

export async function updateRole(
  tx: Executor,
  tenantId: string,
  roleId: string,
  input: { description?: string; permissions?: string[]; parentIds?: string[] },
  grantor: { permissions: string[] },
) {
  const [role] = await tx
    .select()
    .from(roles)
    .where(and(eq(roles.tenantId, tenantId), eq(roles.id, roleId)));
  if (!role) throw notFound('The role');
  if (role.builtIn)
    throw forbidden('Built-in roles cannot be changed; create a custom role that inherits from one.');
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
  const [role] = await tx
    .select()
    .from(roles)
    .where(and(eq(roles.tenantId, tenantId), eq(roles.id, roleId)));
  if (!role) throw notFound('The role');
  if (role.builtIn) throw forbidden('Built-in roles cannot be deleted.');
  // Deleting a role takes it away from everyone holding it.
  await checkGrantable(tx, tenantId, roleId, grantor.permissions, 'delete');
  const children = await tx
    .select({ name: roles.name })
    .from(roles)
    .where(and(eq(roles.tenantId, tenantId), sql`${roleId}::uuid = any(${roles.parentIds})`));
  if (children.length)
    throw conflict(`Roles inherit from this one: ${children.map((c) => c.name).join(', ')}.`);
  await tx.delete(roles).where(eq(roles.id, roleId));
}

// ---------------------------------------------------------------- authentication

export interface LoginInput {
  email: string;
  password: string;
  tenant?: string;
  ip: string;
  userAgent: string | null;
  /** Whether the tenant's IP allow-list admits the caller; no session opens when it does not. */
  ipAllowed?: (tenantId: string) => Promise<boolean>;
}

const INVALID_LOGIN = 'The e-mail address or password is wrong.';

/** Picks the tenant to sign in to: the one named, else the oldest active membership. */
async function loginTenant(db: Executor, userId: string, slug: string | undefined) {
  const rows = await db
    .select({ id: tenants.id, slug: tenants.slug, name: tenants.name })
    .from(tenantMembers)
    .innerJoin(tenants, eq(tenants.id, tenantMembers.tenantId))
    .where(
      and(
        eq(tenantMembers.userId, userId),
        eq(tenantMembers.status, 'active'),
        eq(tenants.status, 'active'),
        slug ? eq(tenants.slug, slug) : undefined,
      ),
    )
    .orderBy(asc(tenantMembers.createdAt))
    .limit(1);
  return rows[0];
}

/**
 * Verifies a password and opens a session. Failures are counted per account in a window;
 * reaching the limit locks the account and raises a security event. Runs as the system:
 * the tenant is only known once the person is.
 */
export async function login(db: Db, settings: AuthSettings, input: LoginInput) {
  const user = await findUserByEmail(db, input.email);
  const now = Date.now();
  if (!user?.passwordHash) {
    // Spend the same effort as a real check, so timing does not reveal which e-mails exist.
    await verifyPassword('$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$2mI1yE9bH8b0ZeJmN4Jr9Q', input.password);
    throw unauthorized(INVALID_LOGIN);
  }
  if (user.lockedUntil && user.lockedUntil.getTime() > now) {
    // Only someone who knows the password learns of the lock: to anyone else a locked
    // account answers like an unknown e-mail, with the same one password check.
    if (!(await verifyPassword(user.passwordHash, input.password))) throw unauthorized(INVALID_LOGIN);
    const retry = Math.ceil((user.lockedUntil.getTime() - now) / 1000);
    throw tooManyRequests('This account is locked after repeated failed logins. Try again later.', retry);
  }
  const tenant = await loginTenant(db, user.id, input.tenant);
  if (!(await verifyPassword(user.passwordHash, input.password))) {
    await recordFailure(
      db,
      settings,
      user,
      tenant?.id ?? (await loginTenant(db, user.id, undefined))?.id,
      input.ip,
    );
    throw unauthorized(INVALID_LOGIN);
  }
  if (user.status !== 'active') throw unauthorized('This account is disabled.');
  if (!tenant)
    throw forbidden(
      input.tenant
        ? `You are not an active member of "${input.tenant}".`
        : 'You are not an active member of any tenant.',
    );
  if (input.ipAllowed && !(await input.ipAllowed(tenant.id)))
    throw forbidden("Your address is not on this tenant's IP allow-list.");

  const { token, hash } = newToken('session');
  const expiresAt = new Date(now + settings.sessionTtlHours * 3_600_000);
  const session = await db.transaction(async (tx) => {
    await tx
      .update(users)
      .set({ failedLogins: 0, failedLoginsSince: null, lockedUntil: null, lastLoginAt: new Date(now) })
      .where(eq(users.id, user.id));
    const seenNetwork = await tx
      .select({ n: count() })
      .from(sessions)
      .where(
        and(
          eq(sessions.userId, user.id),
          sql`${sessions.ip} <<= network(set_masklen(${input.ip}::inet, case when family(${input.ip}::inet) = 4 then 24 else 48 end))`,
        ),
      );
    const anyBefore = await tx.select({ n: count() }).from(sessions).where(eq(sessions.userId, user.id));
    if ((anyBefore[0]?.n ?? 0) > 0 && (seenNetwork[0]?.n ?? 0) === 0) {
      await raiseSecurityEvent(tx, {
        tenantId: tenant.id,
        type: 'new_network_login',
        severity: 'low',
        userId: user.id,
        ip: input.ip,
        details: { user_agent: input.userAgent },
      });
    }
    const [created] = await tx
      .insert(sessions)
      .values({
        tenantId: tenant.id,
        userId: user.id,
        tokenHash: hash,
        ip: input.ip,
        userAgent: input.userAgent,
        expiresAt,
      })
      .returning({ id: sessions.id });
    // Beyond the per-user limit, the oldest live sessions end.
    const ended = await tx
      .update(sessions)
      .set({ endedAt: sql`now()`, endedReason: 'session_limit' })
      .where(
        and(
          eq(sessions.userId, user.id),
          isNull(sessions.endedAt),
          sql`${sessions.id} not in (select id from sessions where user_id = ${user.id} and ended_at is null order by created_at desc, id desc limit ${settings.sessionMaxPerUser})`,
        ),
      )
      .returning({ id: sessions.id });
    return { id: created!.id, ended: ended.map((e) => e.id) };
  });
  const access = await effectivePermissions(db, tenant.id, user.id);
  return {
    token,
    expiresAt,
    sessionId: session.id,
    endedSessions: session.ended,
    tenant,
    user: { id: user.id, email: user.email, name: user.name },
    ...access,
  };
}

async function recordFailure(
  db: Db,
  settings: AuthSettings,
  user: typeof users.$inferSelect,
  tenantId: string | undefined,
  ip: string,
) {
  await db.transaction(async (tx) => {
    // Count within the window; a failure after the window starts a new count.
    const [row] = await tx
      .update(users)
      .set({
        failedLogins: sql`case when ${users.failedLoginsSince} > now() - make_interval(mins => ${settings.failureWindowMinutes}) then ${users.failedLogins} + 1 else 1 end`,
        failedLoginsSince: sql`case when ${users.failedLoginsSince} > now() - make_interval(mins => ${settings.failureWindowMinutes}) then ${users.failedLoginsSince} else now() end`,
      })
      .where(eq(users.id, user.id))
      .returning({ failedLogins: users.failedLogins });
    if ((row?.failedLogins ?? 0) < settings.maxFailures) return;
    await tx
      .update(users)
      .set({
        lockedUntil: sql`now() + make_interval(mins => ${settings.lockMinutes})`,
        failedLogins: 0,
        failedLoginsSince: null,
      })
      .where(eq(users.id, user.id));
    if (tenantId) {
      await raiseSecurityEvent(tx, {
        tenantId,
        type: 'failed_login_burst',
        severity: 'high',
        userId: user.id,
        ip,
        details: {
          failures: row?.failedLogins,
          window_minutes: settings.failureWindowMinutes,
          locked_minutes: settings.lockMinutes,
        },
      });
    }
  });
}

export async function endSessions(
  tx: Executor,
  where: { tenantId?: string; userId?: string; sessionId?: string; exceptSessionId?: string },
  reason: (typeof sessions.$inferSelect)['endedReason'] & string,
) {
  return tx
    .update(sessions)
    .set({ endedAt: sql`now()`, endedReason: reason })
    .where(
      and(
        isNull(sessions.endedAt),
        where.tenantId ? eq(sessions.tenantId, where.tenantId) : undefined,
        where.userId ? eq(sessions.userId, where.userId) : undefined,
        where.sessionId ? eq(sessions.id, where.sessionId) : undefined,
        where.exceptSessionId ? sql`${sessions.id} <> ${where.exceptSessionId}` : undefined,
      ),
    )
    .returning({ id: sessions.id, userId: sessions.userId });
}

export async function listSessions(
  tx: Executor,
  tenantId: string,
  userId: string,
  q: { limit: number; cursor?: string; includeEnded?: boolean },
  idleMinutes: number,
) {
  const rows = await tx
    .select()
    .from(sessions)
    .where(
      and(
        eq(sessions.tenantId, tenantId),
        eq(sessions.userId, userId),
        q.includeEnded
          ? undefined
          : and(
              isNull(sessions.endedAt),
              gt(sessions.expiresAt, sql`now()`),
              gt(sessions.lastActivityAt, sql`now() - make_interval(mins => ${idleMinutes})`),
            ),
        beforeCursor(sessions.createdAt, sessions.id, q.cursor),
      ),
    )
    .orderBy(desc(sessions.createdAt), desc(sessions.id))
    .limit(q.limit + 1);
  const page = toPage(rows, q.limit, (r) => [r.createdAt.toISOString(), r.id]);
  return {
    ...page,
    items: page.items.map((s) => ({
      id: s.id,
      ip: s.ip,
      user_agent: s.userAgent,
      created_at: s.createdAt,
      last_activity_at: s.lastActivityAt,
      expires_at: s.expiresAt,
      ended_at: s.endedAt,
      ended_reason: s.endedReason,
    })),
  };
}

export async function changePassword(
  tx: Executor,
  userId: string,
  input: { current: string; next: string },
  keepSessionId: string | null,
) {
  const [user] = await tx.select().from(users).where(eq(users.id, userId));
  if (!user?.passwordHash || !(await verifyPassword(user.passwordHash, input.current))) {
    throw new Problem(400, 'The current password is wrong.', {
      errors: [{ path: 'body/current_password', message: 'is wrong' }],
    });
  }
  if (input.current === input.next) {
    throw badRequest('The new password must differ from the current one.', [
      { path: 'body/new_password', message: 'is unchanged' },
    ]);
  }
  checkPasswordPolicy(input.next, user.email, 'body/new_password', user.name ?? undefined);
  await tx
    .update(users)
    .set({
      passwordHash: await hashPassword(input.next),
      passwordChangedAt: sql`now()`,
      updatedAt: sql`now()`,
    })
    .where(eq(users.id, userId));
  // Other sessions of this person end; a changed password is often a response to a leak.
  return endSessions(tx, { userId, exceptSessionId: keepSessionId ?? undefined }, 'password_changed');
}

/** Sets a password with no knowledge of the old one: the CLI's reset for an operator. */
export async function resetPassword(db: Db, email: string, password: string) {
  const user = await findUserByEmail(db, email);
  if (!user) throw notFound(`The user ${email}`);
  checkPasswordPolicy(password, user.email);
  await db.transaction(async (tx) => {
    await tx
      .update(users)
      .set({
        passwordHash: await hashPassword(password),
        passwordChangedAt: sql`now()`,
        lockedUntil: null,
        failedLogins: 0,
      })
      .where(eq(users.id, user.id));
    await endSessions(tx, { userId: user.id }, 'password_changed');
  });
  return user;
}

// ---------------------------------------------------------------- API tokens

export async function createApiToken(
  tx: Executor,
  principal: { tenantId: string; userId: string; permissions: string[] },
  input: { name: string; permissions: string[]; expiresAt?: Date | null },
) {
  checkPermissionList(input.permissions);
  if (input.expiresAt && input.expiresAt.getTime() <= Date.now()) {
    throw badRequest('A token cannot expire in the past.', [
      { path: 'body/expires_at', message: 'is in the past' },
    ]);
  }
  // Store concrete permissions the creator holds; a wildcard in the request is narrowed.
  const wanted = expand(input.permissions);
  const beyond = wanted.filter((p) => !grants(principal.permissions, p));
  if (beyond.length && !input.permissions.some((p) => p.includes('*'))) {
    throw forbidden(`A token cannot hold permissions you do not have: ${beyond.join(', ')}.`);
  }
  const permissions = wanted.filter((p) => grants(principal.permissions, p));
  if (permissions.length === 0)
    throw badRequest('The token would hold no permission.', [
      { path: 'body/permissions', message: 'is empty' },
    ]);
  const { token, hash } = newToken('api');
  const [row] = await tx
    .insert(apiTokens)
    .values({
      tenantId: principal.tenantId,
      userId: principal.userId,
      name: input.name,
      tokenHash: hash,
      permissions,
      expiresAt: input.expiresAt ?? null,
    })
    .returning();
  return { token, ...tokenView(row!) };
}

export function tokenView(t: typeof apiTokens.$inferSelect) {
  return {
    id: t.id,
    name: t.name,
    user_id: t.userId,
    permissions: t.permissions,
    expires_at: t.expiresAt,
    last_used_at: t.lastUsedAt,
    revoked_at: t.revokedAt,
    created_at: t.createdAt,
  };
}

export async function listApiTokens(
  tx: Executor,
  tenantId: string,
  q: { limit: number; cursor?: string; userId?: string },
) {
  const rows = await tx
    .select()
    .from(apiTokens)
    .where(
      and(
        eq(apiTokens.tenantId, tenantId),
        q.userId ? eq(apiTokens.userId, q.userId) : undefined,
        beforeCursor(apiTokens.createdAt, apiTokens.id, q.cursor),
      ),
    )
    .orderBy(desc(apiTokens.createdAt), desc(apiTokens.id))
    .limit(q.limit + 1);
  const page = toPage(rows, q.limit, (r) => [r.createdAt.toISOString(), r.id]);
  return { ...page, items: page.items.map(tokenView) };
}

export async function revokeApiToken(tx: Executor, tenantId: string, tokenId: string, onlyUserId?: string) {
  const [row] = await tx
    .update(apiTokens)
    .set({ revokedAt: sql`coalesce(${apiTokens.revokedAt}, now())` })
    .where(
      and(
        eq(apiTokens.tenantId, tenantId),
        eq(apiTokens.id, tokenId),
        onlyUserId ? eq(apiTokens.userId, onlyUserId) : undefined,
      ),
    )
    .returning();
  if (!row) throw notFound('The API token');
  return row;
}

// ---------------------------------------------------------------- tenants and bootstrap

export async function listTenantsOf(db: Executor, userId: string) {
  return db
    .select({ id: tenants.id, slug: tenants.slug, name: tenants.name, status: tenants.status })
    .from(tenantMembers)
    .innerJoin(tenants, eq(tenants.id, tenantMembers.tenantId))
    .where(and(eq(tenantMembers.userId, userId), eq(tenantMembers.status, 'active')))
    .orderBy(asc(tenants.slug));
}

export async function usersWithIds(db: Executor, ids: string[]) {
  if (ids.length === 0) return [];
  return db.select({ id: users.id, email: users.email }).from(users).where(inArray(users.id, ids));
}

/** Makes an account an owner member of a tenant (used when a platform owner creates one). */
export async function joinAsOwner(tx: Executor, tenantId: string, userId: string) {
  await tx.insert(tenantMembers).values({ tenantId, userId });
  await tx
    .insert(userRoleAssignments)
    .values({ tenantId, userId, roleId: await roleIdByName(tx, tenantId, 'owner') });
}

export interface BootstrapResult {
  created: boolean;
  email?: string;
  generatedPasswordFile?: string;
}

/**
 * On the first start of an empty database: a default tenant and an owner account. A
 * generated password is printed once and written, owner-only, into DATA_DIR.
 */
export async function bootstrap(
  db: Db,
  config: Pick<Config, 'adminEmail' | 'adminPassword' | 'dataDir'>,
  print: (line: string) => void,
): Promise<BootstrapResult> {
  const email = config.adminEmail ?? 'admin@superinsight.local';
  const password = config.adminPassword ?? generatePassword();
  checkPasswordPolicy(password, email);
  const passwordHash = await hashPassword(password);
  const created = await db.transaction(async (tx) => {
    // One replica bootstraps; the others wait here and then find users present.
    await tx.execute(sql`select pg_advisory_xact_lock(7411552002)`);
    const [{ n } = { n: 0 }] = await tx.select({ n: count() }).from(users);
    if (n > 0) return false;
    const tenant = await createTenant(tx, { slug: 'default', name: 'Default' });
    const userId = crypto.randomUUID();
    await tx.insert(users).values({
      id: userId,
      email,
      name: 'Administrator',
      passwordHash,
      isPlatformOwner: true,
      passwordChangedAt: new Date(),
    });
    await joinAsOwner(tx, tenant.id, userId);
    return true;
  });
  if (!created) return { created: false };
  if (config.adminPassword) {
    print(`Created the owner account ${email} with the password from SUPERINSIGHT_ADMIN_PASSWORD.`);
    return { created: true, email };
  }
  const file = path.join(config.dataDir, 'initial-admin.txt');
  fs.mkdirSync(config.dataDir, { recursive: true });
  fs.writeFileSync(file, `email: ${email}\npassword: ${password}\n`, { mode: 0o600 });
  print(`Created the owner account ${email} with the password ${password}`);
  print(`(shown once; also saved to ${file}, readable only by you — change it after signing in)`);
  return { created: true, email, generatedPasswordFile: file };
}
