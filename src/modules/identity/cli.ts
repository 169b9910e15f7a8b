import { parseArgs } from 'node:util';
import { and, asc, eq } from 'drizzle-orm';
import type { Config } from '../../config.ts';
import { addMembership } from '../../platform/auth/membership.ts';
import { checkPasswordPolicy, generatePassword, hashPassword } from '../../platform/auth/passwords.ts';
import { roles, tenantMembers, tenants, userRoleAssignments, users } from '../../platform/auth/schema.ts';
import type { Db } from '../../platform/db/client.ts';
import { badRequest, conflict, notFound } from '../../platform/errors/problem.ts';
import { resetPassword } from './auth/auth.service.ts';
import { findUserByEmail } from './members/members.service.ts';

export const USER_HELP = `Usage:
  superinsight user create --email E [--name N] [--password P] [--tenant SLUG] [--role ROLE]
  superinsight user list [--tenant SLUG]
  superinsight user reset-password --email E [--password P]

A password that is not given is generated and printed once. --tenant defaults to
"default", --role to "annotator".
`;

const options = {
  email: { type: 'string' },
  name: { type: 'string' },
  password: { type: 'string' },
  tenant: { type: 'string', default: 'default' },
  role: { type: 'string', default: 'annotator' },
} as const;

async function tenantBySlug(db: Db, slug: string) {
  const [tenant] = await db.select().from(tenants).where(eq(tenants.slug, slug));
  if (!tenant) throw notFound('tenant.not_found', `The tenant "${slug}"`, { slug });
  return tenant;
}

/** The operator's account commands; they run as the system, beside a running server or not. */
export async function userCommand(
  db: Db,
  _config: Config,
  argv: string[],
  out: (line: string) => void,
): Promise<number> {
  const [action, ...rest] = argv;
  const { values } = parseArgs({ args: rest, options, allowPositionals: false });
  switch (action) {
    case 'create': {
      if (!values.email) throw badRequest('cli.email_required', '--email is required.');
      const password = values.password ?? generatePassword();
      checkPasswordPolicy(password, values.email);
      const tenant = await tenantBySlug(db, values.tenant);
      const passwordHash = await hashPassword(password);
      await db.transaction(async (tx) => {
        if (await findUserByEmail(tx, values.email!))
          throw conflict('member.account_exists', `An account ${values.email} already exists.`, {
            email: values.email!,
          });
        const [role] = await tx
          .select({ id: roles.id })
          .from(roles)
          .where(and(eq(roles.tenantId, tenant.id), eq(roles.name, values.role)));
        if (!role)
          throw notFound('role.not_found', `The role "${values.role}" in ${tenant.slug}`, {
            role: values.role,
            tenant: tenant.slug,
          });
        const userId = crypto.randomUUID();
        await tx.insert(users).values({
          id: userId,
          email: values.email!,
          name: values.name ?? '',
          passwordHash,
          passwordChangedAt: new Date(),
        });
        await addMembership(tx, tenant.id, userId);
        await tx.insert(userRoleAssignments).values({ tenantId: tenant.id, userId, roleId: role.id });
      });
      out(`Created ${values.email} as ${values.role} in ${tenant.slug}.`);
      if (!values.password) out(`Password (shown once): ${password}`);
      return 0;
    }
    case 'list': {
      const tenant = await tenantBySlug(db, values.tenant);
      const rows = await db
        .select({ email: users.email, name: users.name, status: tenantMembers.status, role: roles.name })
        .from(tenantMembers)
        .innerJoin(users, eq(users.id, tenantMembers.userId))
        .leftJoin(
          userRoleAssignments,
          and(eq(userRoleAssignments.userId, users.id), eq(userRoleAssignments.tenantId, tenant.id)),
        )
        .leftJoin(roles, eq(roles.id, userRoleAssignments.roleId))
        .where(eq(tenantMembers.tenantId, tenant.id))
        .orderBy(asc(users.email));
      for (const r of rows) out([r.email, r.status, r.role ?? '-', r.name].join('\t'));
      return 0;
    }
    case 'reset-password': {
      if (!values.email) throw badRequest('cli.email_required', '--email is required.');
      const password = values.password ?? generatePassword();
      await resetPassword(db, values.email, password);
      out(`Password of ${values.email} reset; its sessions ended.`);
      if (!values.password) out(`New password (shown once): ${password}`);
      return 0;
    }
    default:
      out(USER_HELP);
      return action ? 2 : 0;
  }
}
