import { randomUUID } from 'node:crypto';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { createTenant, joinAsOwner } from '../src/modules/identity/tenants/tenants.service.ts';
import { hashPassword } from '../src/platform/auth/passwords.ts';
import { users } from '../src/platform/auth/schema.ts';
import { inSystem } from '../src/platform/db/tenancy.ts';
import type { TestContext } from './helpers.ts';

export const PASSWORD = 'Correct-horse-42';

export interface Member {
  userId: string;
  /** The member's integer id in the tenant (Label Studio's user id). */
  number: number;
  email: string;
  token: string;
}

export interface TenantFixture {
  tenantId: string;
  slug: string;
  owner: Member;
  /** Adds a member through the API with these roles and signs them in. */
  member(roles: string[], name?: string): Promise<Member>;
  /** A request as this member (default: the owner). */
  as(member: Member, options: InjectOptions): Promise<LightMyRequestResponse>;
}

export async function login(app: FastifyInstance, email: string, password = PASSWORD, tenant?: string) {
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { email, password, tenant },
  });
  if (res.statusCode !== 200) throw new Error(`login ${email}: ${res.statusCode} ${res.body}`);
  return res.json() as { token: string; user: { id: string }; tenant: { id: string } };
}

/** A fresh tenant with an owner (made as the system, like a platform owner would), signed in. */
export async function newTenant({ app, platform }: TestContext): Promise<TenantFixture> {
  const slug = `t-${randomUUID().slice(0, 12)}`;
  const email = `owner@${slug}.test`;
  const passwordHash = await hashPassword(PASSWORD);
  const made = await inSystem(platform.database.db, async (tx) => {
    const tenant = await createTenant(tx, { slug, name: `Tenant ${slug}` });
    const userId = randomUUID();
    await tx.insert(users).values({ id: userId, email, name: 'Owner', passwordHash });
    return { tenantId: tenant.id, number: await joinAsOwner(tx, tenant.id, userId) };
  });
  const session = await login(app, email);
  const owner: Member = { userId: session.user.id, number: made.number, email, token: session.token };
  const as = (m: Member, options: InjectOptions) =>
    app.inject({ ...options, headers: { ...options.headers, authorization: `Bearer ${m.token}` } });
  return {
    tenantId: made.tenantId,
    slug,
    owner,
    as,
    async member(roles, name = 'Member') {
      const memberEmail = `${name.toLowerCase().replace(/\W/g, '')}-${randomUUID().slice(0, 8)}@${slug}.test`;
      const res = await as(owner, {
        method: 'POST',
        url: '/api/v1/users',
        payload: { email: memberEmail, name, password: PASSWORD, roles },
      });
      if (res.statusCode !== 201) throw new Error(`add member: ${res.statusCode} ${res.body}`);
      const s = await login(app, memberEmail, PASSWORD, slug);
      return { userId: s.user.id, number: res.json().user.number, email: memberEmail, token: s.token };
    },
  };
}
