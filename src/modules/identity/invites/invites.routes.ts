import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { refuseCrossSite } from '../../../platform/auth/csrf.ts';
import { verifyPassword } from '../../../platform/auth/passwords.ts';
import { Problem, unauthorized } from '../../../platform/errors/problem.ts';
import { DateTime, IdParams, Nullable, Uuid } from '../../../platform/http/schemas.ts';
import { withinAnnotatorLimit } from '../../license/index.ts';
import { Email, TenantRef } from '../identity.schemas.ts';
import * as memberService from '../members/members.service.ts';
import * as invites from './invites.service.ts';
import { MAIL_LANGUAGES } from './mail-text.ts';

const Language = Type.Optional(
  Type.Union(
    MAIL_LANGUAGES.map((l) => Type.Literal(l)),
    { description: 'The language of the e-mail (default en)' },
  ),
);
const Token = Type.String({ minLength: 10, maxLength: 200 });
const Invitation = Type.Object({
  id: Uuid,
  email: Type.String(),
  roles: Type.Array(Type.String()),
  status: Type.Union(['pending', 'accepted', 'revoked', 'expired'].map((s) => Type.Literal(s))),
  invited_by: Nullable(Uuid),
  expires_at: DateTime,
  accepted_at: Nullable(DateTime),
  created_at: DateTime,
});
const notConfigured = () =>
  new Problem(
    409,
    'mail.not_configured',
    'E-mail is not configured: set SMTP_URL (or SMTP_HOST) and PUBLIC_URL.',
  );

/** Invitations by link or e-mail, and password resets by e-mail. */
export const inviteRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { platform } = app;
  const db = platform.database.db;
  const config = platform.config;
  const publicLimit = { max: config.auth.rateLimitPerMinute, timeWindow: 60_000 };

  app.get(
    '/invitations',
    {
      config: { permission: 'users:read' },
      schema: {
        tags: ['users'],
        summary: "The tenant's invitations, newest first (the last 200)",
        response: { 200: Type.Array(Invitation) },
      },
    },
    async (req) => req.tx((tx) => invites.listInvitations(tx, req.me.tenantId)),
  );

  app.post(
    '/invitations',
    {
      config: { permission: 'users:manage' },
      schema: {
        tags: ['users'],
        summary:
          'Invite someone by e-mail address with roles: the link is answered once, and e-mailed when SMTP and PUBLIC_URL are set',
        body: Type.Object(
          {
            email: Email,
            roles: Type.Array(Type.String({ maxLength: 100 }), { maxItems: 50, default: [] }),
            expires_in_hours: Type.Optional(
              Type.Integer({
                minimum: 1,
                maximum: invites.INVITE_MAX_HOURS,
                default: invites.INVITE_DEFAULT_HOURS,
              }),
            ),
            send_email: Type.Optional(Type.Boolean({ default: true })),
            language: Language,
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({
            invitation: Invitation,
            token: Type.String({ description: 'Shown once; the console builds the link from it' }),
            link: Nullable(Type.String({ description: 'The link, when PUBLIC_URL is set' })),
            emailed: Type.Boolean(),
          }),
        },
      },
    },
    async (req, reply) => {
      const p = req.me;
      const mail = req.body.send_email !== false && invites.mailReady(config);
      const result = await req.tx(async (tx) => {
        const made = await invites.createInvitation(tx, p, {
          email: req.body.email,
          roles: req.body.roles,
          expiresInHours: req.body.expires_in_hours ?? invites.INVITE_DEFAULT_HOURS,
        });
        if (mail) {
          const inviter = await memberService.memberView(tx, p.tenantId, p.userId);
          await invites.mailInvitation(tx, platform, config.publicUrl!, {
            ...made,
            inviter: inviter.name || inviter.email,
            language: req.body.language ?? 'en',
          });
        }
        req.audit({
          action: 'invitation.created',
          resourceType: 'invitation',
          resourceId: made.invitation.id,
          details: {
            roles: req.body.roles,
            emailed: mail,
            expires_at: made.invitation.expiresAt.toISOString(),
          },
          personal: { email: req.body.email },
        });
        return made;
      });
      return reply.code(201).send({
        invitation: invites.invitationView(result.invitation),
        token: result.token,
        link: config.publicUrl ? invites.inviteLink(config.publicUrl, result.token) : null,
        emailed: mail,
      });
    },
  );

  app.delete(
    '/invitations/:id',
    {
      config: { permission: 'users:manage' },
      schema: {
        tags: ['users'],
        summary: 'Withdraw an invitation: its link stops working',
        params: IdParams,
        response: { 200: Invitation },
      },
    },
    async (req) =>
      req.tx(async (tx) => {
        const row = await invites.revokeInvitation(tx, req.me.tenantId, req.params.id);
        req.audit({ action: 'invitation.revoked', resourceType: 'invitation', resourceId: row.id });
        return invites.invitationView(row);
      }),
  );

  app.post(
    '/auth/invitation',
    {
      // Read only: what the link is for, so the page can ask for the right things.
      config: { public: true, audit: false, rateLimit: publicLimit },
      schema: {
        tags: ['auth'],
        summary: 'What an invitation link is: the tenant, the address, and whether its account exists',
        body: Type.Object({ token: Token }, { additionalProperties: false }),
        response: {
          200: Type.Object({
            email: Type.String(),
            tenant: TenantRef,
            roles: Type.Array(Type.String()),
            account_exists: Type.Boolean(),
            expires_at: DateTime,
          }),
        },
      },
    },
    async (req) => {
      refuseCrossSite(req);
      const opened = await invites.openInvitation(db, req.body.token);
      return {
        email: opened.invitation.email,
        tenant: opened.tenant,
        roles: opened.invitation.roles,
        account_exists: !!opened.account,
        expires_at: opened.invitation.expiresAt.toISOString(),
      };
    },
  );

  app.post(
    '/auth/invitation/accept',
    {
      config: { public: true, rateLimit: publicLimit },
      schema: {
        tags: ['auth'],
        summary:
          'Accept an invitation: a new account with a name and password, or the existing account of the address with its password; then sign in',
        body: Type.Object(
          {
            token: Token,
            name: Type.Optional(Type.String({ maxLength: 200 })),
            password: Type.String({ minLength: 1, maxLength: 1024 }),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ email: Type.String(), tenant: TenantRef, created: Type.Boolean() }),
        },
      },
    },
    async (req) => {
      refuseCrossSite(req);
      const opened = await invites.openInvitation(db, req.body.token);
      const account = opened.account;
      // Joining with an existing account takes that account's password, as signing in does.
      if (
        account &&
        !(account.passwordHash && (await verifyPassword(account.passwordHash, req.body.password)))
      )
        throw unauthorized('invitation.wrong_password', 'The password of the existing account is wrong.');
      const scope = { tenantId: opened.tenant.id, userId: opened.invitation.invitedBy ?? undefined };
      const added = await req.tx(async (tx) => {
        const joined = await withinAnnotatorLimit(platform, tx, scope.tenantId, scope.userId ?? null, () =>
          invites.acceptInvitation(tx, opened, {
            name: req.body.name,
            password: account ? undefined : req.body.password,
          }),
        );
        req.audit({
          action: 'invitation.accepted',
          resourceType: 'invitation',
          resourceId: opened.invitation.id,
          details: { user_id: joined.userId, created: joined.created, roles: opened.invitation.roles },
          personal: { email: opened.invitation.email },
        });
        return joined;
      }, scope);
      return { email: opened.invitation.email, tenant: opened.tenant, created: added.created };
    },
  );

  app.post(
    '/auth/password-reset',
    {
      // Audited in the account's tenant when the address has an account; an unknown address
      // has no tenant to audit in, and answering alike is the point.
      config: { public: true, audit: false, rateLimit: publicLimit },
      schema: {
        tags: ['auth'],
        summary: 'Ask for a password-reset e-mail; answers 202 whether or not the address has an account',
        body: Type.Object({ email: Email, language: Language }, { additionalProperties: false }),
        response: { 202: Type.Object({ accepted: Type.Literal(true) }) },
      },
    },
    async (req, reply) => {
      refuseCrossSite(req);
      const user = await memberService.findUserByEmail(db, req.body.email);
      const tenantId = user?.status === 'active' ? await invites.homeTenant(db, user.id) : undefined;
      if (user && tenantId && invites.mailReady(config)) {
        await req.tx(
          async (tx) => {
            const id = await invites.startReset(tx, platform, config.publicUrl!, {
              tenantId,
              userId: user.id,
              email: user.email,
              requestedBy: null,
              language: req.body.language ?? 'en',
            });
            req.audit({
              action: 'auth.password_reset_requested',
              resourceType: 'user',
              resourceId: user.id,
              details: { reset_id: id },
            });
          },
          { tenantId, userId: user.id },
        );
      }
      return reply.code(202).send({ accepted: true });
    },
  );

  app.post(
    '/auth/password-reset/confirm',
    {
      config: { public: true, rateLimit: publicLimit },
      schema: {
        tags: ['auth'],
        summary: "Set a new password with a reset link's token: once, before it expires; every session ends",
        body: Type.Object(
          { token: Token, password: Type.String({ minLength: 1, maxLength: 1024 }) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ email: Type.String(), ended_sessions: Type.Integer() }) },
      },
    },
    async (req) => {
      refuseCrossSite(req);
      const done = await invites.finishReset(db, req.body.token, req.body.password);
      for (const s of done.ended) await app.auth.authenticator.evict({ sessionId: s.id });
      req.audit({
        action: 'auth.password_reset',
        resourceType: 'user',
        resourceId: done.user.id,
        details: { reset_id: done.reset.id, ended_sessions: done.ended.length },
      });
      await req.tx(async () => {}, { tenantId: done.reset.tenantId, userId: done.user.id });
      return { email: done.user.email, ended_sessions: done.ended.length };
    },
  );

  app.post(
    '/users/:id/password-reset',
    {
      config: { permission: 'users:manage' },
      schema: {
        tags: ['users'],
        summary:
          'E-mail a member a password-reset link (needs SMTP and PUBLIC_URL); their password stays until they use it',
        params: IdParams,
        body: Type.Optional(Type.Object({ language: Language }, { additionalProperties: false })),
        response: { 202: Type.Object({ expires_in_minutes: Type.Integer() }) },
      },
    },
    async (req, reply) => {
      const p = req.me;
      await req.tx(async (tx) => {
        const member = await memberService.memberView(tx, p.tenantId, req.params.id);
        await memberService.checkOutranks(tx, p.tenantId, req.params.id, p);
        if (!invites.mailReady(config)) throw notConfigured();
        const id = await invites.startReset(tx, platform, config.publicUrl!, {
          tenantId: p.tenantId,
          userId: member.id,
          email: member.email,
          requestedBy: p.userId,
          language: req.body?.language ?? 'en',
        });
        req.audit({
          action: 'user.password_reset_sent',
          resourceType: 'user',
          resourceId: member.id,
          details: { reset_id: id },
        });
      });
      return reply.code(202).send({ expires_in_minutes: invites.RESET_MINUTES });
    },
  );
};
