import { randomBytes } from 'node:crypto';
import { and, asc, desc, eq, isNull, sql } from 'drizzle-orm';
import { effectivePermissions } from '../../../platform/auth/access.ts';
import { checkPasswordPolicy, hashPassword } from '../../../platform/auth/passwords.ts';
import type { Principal } from '../../../platform/auth/principal.ts';
import { tenantMembers, tenants, users } from '../../../platform/auth/schema.ts';
import { hashToken } from '../../../platform/auth/tokens.ts';
import type { SecretBox } from '../../../platform/crypto/secrets.ts';
import type { Db, Executor } from '../../../platform/db/client.ts';
import { rowsOf } from '../../../platform/db/sql.ts';
import { conflict, notFound, Problem, type ProblemCode } from '../../../platform/errors/problem.ts';
import type { JobQueue } from '../../../platform/jobs/queue.ts';
import { endSessions } from '../auth/auth.service.ts';
import { addMember, findUserByEmail } from '../members/members.service.ts';
import { checkGrantable, roleIdByName } from '../roles/roles.service.ts';
import { invitations, passwordResets } from '../schema.ts';
import { ACCOUNT_MAIL_JOB } from './mail.jobs.ts';
import { invitationMail, type MailLanguage, resetMail } from './mail-text.ts';

export const INVITE_DEFAULT_HOURS = 72;
export const INVITE_MAX_HOURS = 30 * 24;
export const RESET_MINUTES = 60;

/** A random one-time token; only its SHA-256 is stored. */
function oneTimeToken(prefix: string) {
  const token = prefix + randomBytes(32).toString('base64url');
  return { token, hash: hashToken(token) };
}

/**
 * The console pages the links open. The token is in the fragment, which browsers do not send
 * to the server, so it stays out of access logs and Referer headers.
 */
export const inviteLink = (base: string, token: string) => `${base}/invite#${token}`;
export const resetLink = (base: string, token: string) => `${base}/reset-password#${token}`;

/** Where account e-mails go out: both SMTP and the console's public address are needed. */
export function mailReady(config: { smtp?: unknown; publicUrl?: string }): config is { publicUrl: string } {
  return !!config.smtp && !!config.publicUrl;
}

/** Queues one account e-mail, its text sealed (it holds a one-time link). */
async function queueMail(
  tx: Executor,
  queue: JobQueue,
  box: SecretBox,
  tenantId: string,
  mail: { to: string; subject: string; text: string },
) {
  await queue.enqueue(tx, {
    tenantId,
    kind: ACCOUNT_MAIL_JOB,
    payload: { to: mail.to, subject: mail.subject, sealedText: await box.encrypt(tx, mail.text) },
    createdBy: null,
  });
}

// ------------------------------------------------------------------ invitations

type Invitation = typeof invitations.$inferSelect;

function statusOf(i: Invitation): 'pending' | 'accepted' | 'revoked' | 'expired' {
  if (i.acceptedAt) return 'accepted';
  if (i.revokedAt) return 'revoked';
  return i.expiresAt.getTime() <= Date.now() ? 'expired' : 'pending';
}

export function invitationView(i: Invitation) {
  return {
    id: i.id,
    email: i.email,
    roles: i.roles,
    status: statusOf(i),
    invited_by: i.invitedBy,
    expires_at: i.expiresAt,
    accepted_at: i.acceptedAt,
    created_at: i.createdAt,
  };
}

/**
 * An admin's invitation: roles they may grant, to an address that is not yet a member.
 * An earlier pending invitation of the same address is revoked, so one link works.
 */
export async function createInvitation(
  tx: Executor,
  principal: Principal,
  input: { email: string; roles: string[]; expiresInHours: number },
) {
  for (const name of input.roles) {
    await checkGrantable(tx, principal.tenantId, await roleIdByName(tx, principal.tenantId, name), [
      ...principal.permissions,
    ]);
  }
  const [account] = rowsOf<{ id: string | null }>(
    await tx.execute(sql`select user_id_by_email(${input.email}) as id`),
  );
  if (account?.id) {
    const [member] = await tx
      .select({ id: tenantMembers.id })
      .from(tenantMembers)
      .where(and(eq(tenantMembers.tenantId, principal.tenantId), eq(tenantMembers.userId, account.id)));
    if (member)
      throw new Problem(409, 'member.already_member', `${input.email} is already a member of this tenant.`, {
        params: { email: input.email },
      });
  }
  await tx
    .update(invitations)
    .set({ revokedAt: sql`now()` })
    .where(
      and(
        eq(invitations.tenantId, principal.tenantId),
        sql`lower(${invitations.email}) = lower(${input.email})`,
        isNull(invitations.acceptedAt),
        isNull(invitations.revokedAt),
      ),
    );
  const { token, hash } = oneTimeToken('sii_');
  const [row] = await tx
    .insert(invitations)
    .values({
      tenantId: principal.tenantId,
      email: input.email,
      roles: input.roles,
      tokenHash: hash,
      invitedBy: principal.userId,
      expiresAt: new Date(Date.now() + input.expiresInHours * 3_600_000),
    })
    .returning();
  return { invitation: row!, token };
}

/** Sends the invitation's e-mail in the inviter's transaction (queued: it leaves after commit). */
export async function mailInvitation(
  tx: Executor,
  platform: { queue: JobQueue; secrets: SecretBox },
  base: string,
  p: { invitation: Invitation; token: string; inviter: string; language: MailLanguage },
) {
  const [tenant] = await tx
    .select({ name: tenants.name })
    .from(tenants)
    .where(eq(tenants.id, p.invitation.tenantId));
  const mail = invitationMail(p.language, {
    tenant: tenant?.name ?? '',
    inviter: p.inviter,
    link: inviteLink(base, p.token),
    expires: p.invitation.expiresAt,
  });
  await queueMail(tx, platform.queue, platform.secrets, p.invitation.tenantId, {
    to: p.invitation.email,
    ...mail,
  });
}

export async function listInvitations(tx: Executor, tenantId: string) {
  const rows = await tx
    .select()
    .from(invitations)
    .where(eq(invitations.tenantId, tenantId))
    .orderBy(desc(invitations.createdAt))
    .limit(200);
  return rows.map(invitationView);
}

export async function revokeInvitation(tx: Executor, tenantId: string, id: string) {
  const [row] = await tx
    .select()
    .from(invitations)
    .where(and(eq(invitations.tenantId, tenantId), eq(invitations.id, id)));
  if (!row) throw notFound('invitation.not_found', 'The invitation');
  if (row.acceptedAt) throw conflict('invitation.accepted', 'This invitation was accepted already.');
  const [revoked] = await tx
    .update(invitations)
    .set({ revokedAt: row.revokedAt ?? sql`now()` })
    .where(eq(invitations.id, id))
    .returning();
  return revoked!;
}

const gone = (detail: string, code: ProblemCode) => new Problem(410, code, detail);

/**
 * The invitation a link names, read as the system (the invitee has no session and no tenant
 * yet), with its tenant and whether an account of its address exists. Refuses a link that
 * is unknown, used, revoked or expired.
 */
export async function openInvitation(db: Db, token: string) {
  const [row] = await db
    .select({ invitation: invitations, tenant: { id: tenants.id, slug: tenants.slug, name: tenants.name } })
    .from(invitations)
    .innerJoin(tenants, eq(tenants.id, invitations.tenantId))
    .where(eq(invitations.tokenHash, hashToken(token)));
  if (!row) throw new Problem(404, 'invitation.invalid', 'This invitation link is not valid.');
  const status = statusOf(row.invitation);
  if (status === 'accepted') throw gone('This invitation was used already.', 'invitation.used');
  if (status === 'revoked') throw gone('This invitation was withdrawn.', 'invitation.revoked');
  if (status === 'expired') throw gone('This invitation has expired.', 'invitation.expired');
  const account = await findUserByEmail(db, row.invitation.email);
  return { ...row, account };
}

/**
 * Joins the invitee to the tenant, in the tenant's transaction: a new account with the name
 * and password given, or the existing one (whose password the caller checked). The roles
 * are granted as the inviter may grant them now; the invitation is claimed once.
 */
export async function acceptInvitation(
  tx: Executor,
  opened: Awaited<ReturnType<typeof openInvitation>>,
  input: { name?: string; password?: string },
) {
  const inv = opened.invitation;
  if (!inv.invitedBy)
    throw new Problem(
      409,
      'invitation.inviter_gone',
      'The person who sent this invitation is no longer here; ask for a new one.',
    );
  const grantor = await effectivePermissions(tx, inv.tenantId, inv.invitedBy);
  const claimed = await tx
    .update(invitations)
    .set({ acceptedAt: sql`now()` })
    .where(and(eq(invitations.id, inv.id), isNull(invitations.acceptedAt), isNull(invitations.revokedAt)))
    .returning({ id: invitations.id });
  if (!claimed.length) throw gone('This invitation was used already.', 'invitation.used');
  const added = await addMember(
    tx,
    inv.tenantId,
    { email: inv.email, name: input.name, password: input.password, roles: inv.roles },
    { userId: inv.invitedBy, permissions: grantor.permissions },
  );
  await tx.update(invitations).set({ acceptedBy: added.userId }).where(eq(invitations.id, inv.id));
  return added;
}

// ------------------------------------------------------------------ password reset

/** The tenant a self-service reset is kept (and audited) in: the account's first active one. */
export async function homeTenant(db: Db, userId: string): Promise<string | undefined> {
  const [row] = await db
    .select({ tenantId: tenantMembers.tenantId })
    .from(tenantMembers)
    .innerJoin(tenants, eq(tenants.id, tenantMembers.tenantId))
    .where(
      and(eq(tenantMembers.userId, userId), eq(tenantMembers.status, 'active'), eq(tenants.status, 'active')),
    )
    .orderBy(asc(tenantMembers.createdAt))
    .limit(1);
  return row?.tenantId;
}

/** Records a reset for the account and queues its e-mail, in the tenant's transaction. */
export async function startReset(
  tx: Executor,
  platform: { queue: JobQueue; secrets: SecretBox },
  base: string,
  p: { tenantId: string; userId: string; email: string; requestedBy: string | null; language: MailLanguage },
) {
  const { token, hash } = oneTimeToken('sir_');
  const [row] = await tx
    .insert(passwordResets)
    .values({
      tenantId: p.tenantId,
      userId: p.userId,
      tokenHash: hash,
      requestedBy: p.requestedBy,
      expiresAt: new Date(Date.now() + RESET_MINUTES * 60_000),
    })
    .returning({ id: passwordResets.id });
  const mail = resetMail(p.language, {
    link: resetLink(base, token),
    minutes: RESET_MINUTES,
    byAdmin: p.requestedBy !== null,
  });
  await queueMail(tx, platform.queue, platform.secrets, p.tenantId, { to: p.email, ...mail });
  return row!.id;
}

/**
 * Sets the new password a reset link allows, as the system (the account may belong to
 * several tenants, and every session of it ends): the link is used up, with every other
 * open link of the account; a sign-in lock is lifted.
 */
export async function finishReset(db: Db, token: string, password: string) {
  return db.transaction(async (tx) => {
    const [reset] = await tx
      .select()
      .from(passwordResets)
      .where(eq(passwordResets.tokenHash, hashToken(token)))
      .for('update');
    if (!reset) throw new Problem(404, 'reset.invalid', 'This password reset link is not valid.');
    if (reset.usedAt) throw gone('This password reset link was used already.', 'reset.used');
    if (reset.expiresAt.getTime() <= Date.now())
      throw gone('This password reset link has expired; ask for a new one.', 'reset.expired');
    const [user] = await tx.select().from(users).where(eq(users.id, reset.userId));
    if (user?.status !== 'active')
      throw new Problem(409, 'auth.account_disabled', 'This account is disabled.');
    checkPasswordPolicy(password, user.email, 'body/password', user.name || undefined);
    await tx
      .update(passwordResets)
      .set({ usedAt: sql`now()` })
      .where(and(eq(passwordResets.userId, user.id), isNull(passwordResets.usedAt)));
    await tx
      .update(users)
      .set({
        passwordHash: await hashPassword(password),
        passwordChangedAt: sql`now()`,
        lockedUntil: null,
        failedLogins: 0,
        failedLoginsSince: null,
        updatedAt: sql`now()`,
      })
      .where(eq(users.id, user.id));
    const ended = await endSessions(tx, { userId: user.id }, 'password_changed');
    return { reset, user, ended };
  });
}
