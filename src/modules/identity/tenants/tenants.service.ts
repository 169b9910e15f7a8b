import fs from 'node:fs';
import path from 'node:path';
import { and, asc, count, gt, sql } from 'drizzle-orm';
import type { Config } from '../../../config.ts';
import { addMembership } from '../../../platform/auth/membership.ts';
import { checkPasswordPolicy, generatePassword, hashPassword } from '../../../platform/auth/passwords.ts';
import { BUILT_IN_ROLES } from '../../../platform/auth/permissions.ts';
import { roles, tenants, userRoleAssignments, users } from '../../../platform/auth/schema.ts';
import type { Db, Executor } from '../../../platform/db/client.ts';
import { decodeCursor, toPage } from '../../../platform/db/pagination.ts';
import { badRequest } from '../../../platform/errors/problem.ts';
import { likeLiteral } from '../members/members.service.ts';
import { roleIdByName } from '../roles/roles.service.ts';

export interface TenantInput {
  slug: string;
  name: string;
  timeZone?: string;
}

function checkTimeZone(tz: string): void {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
  } catch {
    throw badRequest(
      'tenant.unknown_time_zone',
      `Unknown time zone "${tz}".`,
      [{ path: 'body/time_zone', message: 'is not an IANA time zone' }],
      { time_zone: tz },
    );
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

/** Makes an account an owner member of a tenant (used when a platform owner creates one); its member number. */
export async function joinAsOwner(tx: Executor, tenantId: string, userId: string): Promise<number> {
  const number = await addMembership(tx, tenantId, userId);
  await tx
    .insert(userRoleAssignments)
    .values({ tenantId, userId, roleId: await roleIdByName(tx, tenantId, 'owner') });
  return number;
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
