import { and, asc, count, desc, eq, gt, isNull, sql } from 'drizzle-orm';
import type { Config } from '../../../config.ts';
import { effectivePermissions } from '../../../platform/auth/access.ts';
import { checkPasswordPolicy, hashPassword, verifyPassword } from '../../../platform/auth/passwords.ts';
import { sessions, tenantMembers, tenants, type UserLanguage, users } from '../../../platform/auth/schema.ts';
import { raiseSecurityEvent } from '../../../platform/auth/security-events.ts';
import { newToken } from '../../../platform/auth/tokens.ts';
import type { Db, Executor, Tx } from '../../../platform/db/client.ts';
import { beforeCursor, toPage } from '../../../platform/db/pagination.ts';
import {
  badRequest,
  forbidden,
  notFound,
  Problem,
  tooManyRequests,
  unauthorized,
} from '../../../platform/errors/problem.ts';
import { findUserByEmail } from '../members/members.service.ts';

type AuthSettings = Config['auth'];

export interface LoginInput {
  email: string;
  password: string;
  tenant?: string;
  ip: string;
  userAgent: string | null;
  /** Whether the tenant's IP allow-list admits the caller; no session opens when it does not. */
  ipAllowed?: (tenantId: string) => Promise<boolean>;
  /** Takes the license seat the session needs (or refuses), inside the sign-in's transaction. */
  claimSeat?: (tx: Tx, tenantId: string, userId: string) => Promise<void>;
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
    throw unauthorized('auth.invalid_login', INVALID_LOGIN);
  }
  if (user.lockedUntil && user.lockedUntil.getTime() > now) {
    // Only someone who knows the password learns of the lock: to anyone else a locked
    // account answers like an unknown e-mail, with the same one password check.
    if (!(await verifyPassword(user.passwordHash, input.password)))
      throw unauthorized('auth.invalid_login', INVALID_LOGIN);
    const retry = Math.ceil((user.lockedUntil.getTime() - now) / 1000);
    throw tooManyRequests(
      'auth.account_locked',
      'This account is locked after repeated failed logins. Try again later.',
      retry,
    );
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
    throw unauthorized('auth.invalid_login', INVALID_LOGIN);
  }
  if (user.status !== 'active') throw unauthorized('auth.account_disabled', 'This account is disabled.');
  if (!tenant)
    throw input.tenant
      ? forbidden('auth.not_member', `You are not an active member of "${input.tenant}".`, {
          tenant: input.tenant,
        })
      : forbidden('auth.no_tenant', 'You are not an active member of any tenant.');
  if (input.ipAllowed && !(await input.ipAllowed(tenant.id)))
    throw forbidden('auth.ip_not_allowed', "Your address is not on this tenant's IP allow-list.");

  const { token, hash } = newToken('session');
  const expiresAt = new Date(now + settings.sessionTtlHours * 3_600_000);
  const session = await db.transaction(async (tx) => {
    await input.claimSeat?.(tx as unknown as Tx, tenant.id, user.id);
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
    throw new Problem(400, 'auth.current_password_wrong', 'The current password is wrong.', {
      errors: [{ path: 'body/current_password', message: 'is wrong' }],
    });
  }
  if (input.current === input.next) {
    throw badRequest('auth.password_unchanged', 'The new password must differ from the current one.', [
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
  if (!user) throw notFound('user.not_found', `The user ${email}`, { email });
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

/** Remembers the user's language, which the server's e-mails and files to them follow. */
export async function setLanguage(tx: Tx, userId: string, language: UserLanguage): Promise<void> {
  await tx.update(users).set({ language, updatedAt: sql`now()` }).where(eq(users.id, userId));
}
