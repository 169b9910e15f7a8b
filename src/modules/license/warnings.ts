import { and, eq, gt, isNull, or, sql } from 'drizzle-orm';
import { roles, tenantMembers, tenants, userRoleAssignments, users } from '../../platform/auth/schema.ts';
import type { Executor } from '../../platform/db/client.ts';
import { rowsOf } from '../../platform/db/sql.ts';
import { inSystem, inTenant } from '../../platform/db/tenancy.ts';
import type { Platform } from '../../platform/index.ts';
import { emailTenant, notifyInApp } from '../quality/index.ts';
import { licenseAuditLogs } from './schema.ts';
import { type LicenseState, licenseOf, logEvent } from './state.ts';

const CHECK_INTERVAL_MS = 15 * 60_000;
const DAY_MS = 86_400_000;

/** A tenant's active owners and admins (run in the tenant). */
async function admins(tx: Executor): Promise<{ id: string; email: string }[]> {
  return tx
    .selectDistinct({ id: users.id, email: users.email })
    .from(userRoleAssignments)
    .innerJoin(roles, eq(roles.id, userRoleAssignments.roleId))
    .innerJoin(users, eq(users.id, userRoleAssignments.userId))
    .innerJoin(
      tenantMembers,
      and(eq(tenantMembers.userId, users.id), eq(tenantMembers.tenantId, userRoleAssignments.tenantId)),
    )
    .where(
      and(
        eq(roles.builtIn, true),
        sql`${roles.name} in ('owner', 'admin')`,
        eq(users.status, 'active'),
        eq(tenantMembers.status, 'active'),
        or(isNull(userRoleAssignments.expiresAt), gt(userRoleAssignments.expiresAt, sql`now()`)),
      ),
    );
}

function daysLeft(state: LicenseState, now: number): number {
  const end = state.warning?.level === 'grace' ? state.grace_ends_at : state.license?.expires_at;
  return end ? Math.max(0, Math.ceil((new Date(end).getTime() - now) / DAY_MS)) : 0;
}

/** Notifies one tenant's admins of a warning unless its record says they were told already. */
async function notifyTenant(platform: Platform, tenantId: string, state: LicenseState, days: number) {
  const level = state.warning!.level;
  const licenseId = state.license!.id;
  return inTenant(platform.database.db, { tenantId }, async (tx) => {
    await tx.execute(
      sql`select pg_advisory_xact_lock(hashtext(${`superinsight:license_warning:${tenantId}`}))`,
    );
    const [sent] = await tx
      .select({ id: licenseAuditLogs.id })
      .from(licenseAuditLogs)
      .where(
        and(
          eq(licenseAuditLogs.tenantId, tenantId),
          eq(licenseAuditLogs.event, 'expiry_notified'),
          eq(licenseAuditLogs.licenseId, licenseId),
          sql`${licenseAuditLogs.details}->>'level' = ${level}`,
        ),
      );
    if (sent) return 0;
    const told = await admins(tx);
    const userIds = told.map((a) => a.id);
    const title =
      level === 'grace'
        ? `The license has expired: ${days} day(s) of grace left`
        : `The license expires in ${days} day(s)`;
    await notifyInApp(tx, tenantId, userIds, {
      kind: 'LICENSE_EXPIRY',
      title,
      body: state.warning!.message,
      data: { license_id: licenseId, level, days_left: days, status: state.status },
    });
    await emailTenant(
      tx,
      platform,
      tenantId,
      told.map((a) => a.email),
      {
        event: 'LICENSE_EXPIRY',
        subject: title,
        text: `${state.warning!.message}\n\nAdministration → License shows the license and takes a new key.`,
        data: { license_id: licenseId, level, days_left: days },
      },
    );
    await logEvent(tx, {
      event: 'expiry_notified',
      tenantId,
      licenseId,
      message: `Told ${userIds.length} owner(s) and admin(s): ${title}.`,
      details: { level, days_left: days, recipients: userIds.length },
    });
    return userIds.length;
  });
}

/**
 * Tells every tenant's owners and admins (in the console and by e-mail), once per threshold (30, 7 and 1 days before expiry,
 * and on entering grace), what the license's warning says. Returns how many were told.
 */
export async function notifyExpiryWarnings(platform: Platform): Promise<number> {
  const license = licenseOf(platform);
  const state = await license.state();
  if (!state.warning || !state.license) return 0;
  const days = daysLeft(state, license.now());
  const active = await inSystem(platform.database.db, async (tx) =>
    rowsOf<{ id: string }>(
      await tx.execute(sql`select ${tenants.id} as id from ${tenants} where ${tenants.status} = 'active'`),
    ),
  );
  let told = 0;
  for (const t of active) told += await notifyTenant(platform, t.id, state, days);
  return told;
}

/** Checks at start and every quarter hour in a serving process, until the platform closes. */
export function startExpiryWarnings(platform: Platform): void {
  const check = () =>
    notifyExpiryWarnings(platform).catch((err) =>
      platform.log.error({ err }, 'license expiry warning failed'),
    );
  void check();
  const timer = setInterval(check, CHECK_INTERVAL_MS);
  timer.unref();
  platform.onClose(() => clearInterval(timer));
}
