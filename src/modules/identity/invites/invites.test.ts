import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, newTenant, PASSWORD } from '../../../../test/fixtures.ts';
import { startTestApp, type TestContext, testApp, testEnv } from '../../../../test/helpers.ts';
import { type Mail, sentMails } from '../../../../test/mail-sink.ts';
import { until } from '../../../../test/quality-ops-fixtures.ts';

const PUBLIC_URL = 'http://console.test';
let ctx: TestContext;

beforeAll(async () => {
  ctx = await startTestApp(testEnv({ PUBLIC_URL }));
});
afterAll(async () => {
  await ctx?.app.close();
  await ctx?.platform.close();
});

const address = (who: string) => `${who}-${randomUUID().slice(0, 8)}@mail.test`;

/** A mail's text as read: a base64 body decoded, quoted-printable soft breaks undone. */
function readable(raw: string): string {
  const [head = '', ...rest] = raw.split(/\r?\n\r?\n/);
  const body = rest.join('\n\n');
  if (/content-transfer-encoding: base64/i.test(head))
    return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  return body.replace(/=\r?\n/g, '').replaceAll('=3D', '=');
}

/** The mails to one address, their text readable. */
async function mailsTo(to: string, n = 1): Promise<Mail[]> {
  const read = async () =>
    sentMails()
      .filter((m) => m.to.includes(to))
      .map((m) => ({ ...m, raw: readable(m.raw) }));
  return until(read, (mails) => mails.length >= n, 30_000);
}

const tokenIn = (mail: Mail, page: string) =>
  new RegExp(`${PUBLIC_URL}/${page}#(si[ir]_[A-Za-z0-9_-]+)`).exec(mail.raw)?.[1];

const post = (url: string, payload: object) => ctx.app.inject({ method: 'POST', url, payload });

describe('invitations', () => {
  it('invites by e-mail; the link sets a name and password once, and the account has the roles', async () => {
    const t = await newTenant(ctx);
    const email = address('newcomer');
    const res = await t.as(t.owner, {
      method: 'POST',
      url: '/api/v1/invitations',
      payload: { email, roles: ['annotator'] },
    });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({
      emailed: true,
      invitation: { email, roles: ['annotator'], status: 'pending' },
    });
    expect(body.link).toBe(`${PUBLIC_URL}/invite#${body.token}`);
    const [mail] = await mailsTo(email);
    expect(tokenIn(mail!, 'invite')).toBe(body.token);
    // Only the token's hash is stored.
    const stored = await ctx.platform.database.raw.query('select token_hash from invitations where id = $1', [
      body.invitation.id,
    ]);
    expect(JSON.stringify(stored.rows)).not.toContain(body.token);

    const what = await post('/api/v1/auth/invitation', { token: body.token });
    expect(what.statusCode).toBe(200);
    expect(what.json()).toMatchObject({
      email,
      account_exists: false,
      roles: ['annotator'],
      tenant: { slug: t.slug },
    });
    const weak = await post('/api/v1/auth/invitation/accept', {
      token: body.token,
      name: 'New',
      password: 'password',
    });
    expect(weak.statusCode).toBe(400);
    const accepted = await post('/api/v1/auth/invitation/accept', {
      token: body.token,
      name: 'Nora Newcomer',
      password: PASSWORD,
    });
    expect(accepted.statusCode, accepted.body).toBe(200);
    expect(accepted.json()).toMatchObject({ email, created: true });
    const session = (await login(ctx.app, email, PASSWORD)) as unknown as { roles: string[] };
    expect(session.roles).toEqual(['annotator']);

    const again = await post('/api/v1/auth/invitation/accept', { token: body.token, password: PASSWORD });
    expect(again.statusCode).toBe(410);
    expect(again.json().code).toBe('invitation.used');
    const list = await t.as(t.owner, { method: 'GET', url: '/api/v1/invitations' });
    expect(list.json()[0]).toMatchObject({ email, status: 'accepted' });
    const audit = await t.as(t.owner, { method: 'GET', url: '/api/v1/audit/logs?resource_type=invitation' });
    expect(
      audit
        .json()
        .items.map((a: { action: string }) => a.action)
        .sort(),
    ).toEqual(['invitation.accepted', 'invitation.created']);
  });

  it('lets an existing account join with its own password', async () => {
    const a = await newTenant(ctx);
    const b = await newTenant(ctx);
    const made = (
      await a.as(a.owner, {
        method: 'POST',
        url: '/api/v1/invitations',
        payload: { email: b.owner.email, roles: ['reviewer'], send_email: false },
      })
    ).json();
    expect(made.emailed).toBe(false);
    const what = await post('/api/v1/auth/invitation', { token: made.token });
    expect(what.json().account_exists).toBe(true);
    const wrong = await post('/api/v1/auth/invitation/accept', {
      token: made.token,
      password: 'Not-the-password-9',
    });
    expect(wrong.statusCode).toBe(401);
    const ok = await post('/api/v1/auth/invitation/accept', { token: made.token, password: PASSWORD });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().created).toBe(false);
    const session = (await login(ctx.app, b.owner.email, PASSWORD, a.slug)) as unknown as { roles: string[] };
    expect(session.roles).toEqual(['reviewer']);
  });

  it('refuses an expired, withdrawn, unknown or superseded link, a member, and another tenant', async () => {
    const t = await newTenant(ctx);
    const invite = async (email: string) =>
      (
        await t.as(t.owner, {
          method: 'POST',
          url: '/api/v1/invitations',
          payload: { email, roles: [], send_email: false },
        })
      ).json();
    const late = await invite(address('late'));
    await ctx.platform.database.raw.query(
      `update invitations set expires_at = now() - interval '1 minute' where id = $1`,
      [late.invitation.id],
    );
    const expired = await post('/api/v1/auth/invitation', { token: late.token });
    expect([expired.statusCode, expired.json().code]).toEqual([410, 'invitation.expired']);

    const withdrawnEmail = address('withdrawn');
    const first = await invite(withdrawnEmail);
    const second = await invite(withdrawnEmail);
    const superseded = await post('/api/v1/auth/invitation', { token: first.token });
    expect(superseded.json().code).toBe('invitation.revoked');
    const other = await newTenant(ctx);
    const foreign = await other.as(other.owner, {
      method: 'DELETE',
      url: `/api/v1/invitations/${second.invitation.id}`,
    });
    expect(foreign.statusCode).toBe(404);
    expect((await other.as(other.owner, { method: 'GET', url: '/api/v1/invitations' })).json()).toEqual([]);
    const revoke = await t.as(t.owner, {
      method: 'DELETE',
      url: `/api/v1/invitations/${second.invitation.id}`,
    });
    expect(revoke.json().status).toBe('revoked');
    const withdrawn = await post('/api/v1/auth/invitation/accept', {
      token: second.token,
      password: PASSWORD,
    });
    expect([withdrawn.statusCode, withdrawn.json().code]).toEqual([410, 'invitation.revoked']);

    const unknown = await post('/api/v1/auth/invitation', { token: 'sii_not-a-real-token' });
    expect([unknown.statusCode, unknown.json().code]).toEqual([404, 'invitation.invalid']);
    const member = await t.as(t.owner, {
      method: 'POST',
      url: '/api/v1/invitations',
      payload: { email: t.owner.email, roles: [] },
    });
    expect([member.statusCode, member.json().code]).toEqual([409, 'member.already_member']);
    const annotator = await t.member(['annotator']);
    const denied = await t.as(annotator, {
      method: 'POST',
      url: '/api/v1/invitations',
      payload: { email: address('x'), roles: [] },
    });
    expect(denied.statusCode).toBe(403);
  });
});

describe('password reset by e-mail', () => {
  it('mails a one-time link for a known address, nothing for an unknown one, answering alike', async () => {
    const t = await newTenant(ctx);
    const member = await t.member(['annotator'], 'Forgetful');
    const unknown = address('nobody');
    const asked = await post('/api/v1/auth/password-reset', { email: member.email });
    const stranger = await post('/api/v1/auth/password-reset', { email: unknown });
    expect([asked.statusCode, stranger.statusCode]).toEqual([202, 202]);
    expect(stranger.body).toBe(asked.body);
    const [mail] = await mailsTo(member.email);
    const token = tokenIn(mail!, 'reset-password')!;
    expect(token).toBeTruthy();

    const weak = await post('/api/v1/auth/password-reset/confirm', { token, password: 'password1' });
    expect(weak.statusCode).toBe(400);
    const before = await t.as(member, { method: 'GET', url: '/api/v1/auth/me' });
    expect(before.statusCode).toBe(200);
    const done = await post('/api/v1/auth/password-reset/confirm', {
      token,
      password: 'A-brand-new-passphrase-7',
    });
    expect(done.statusCode, done.body).toBe(200);
    expect(done.json()).toMatchObject({ email: member.email, ended_sessions: 1 });
    expect((await t.as(member, { method: 'GET', url: '/api/v1/auth/me' })).statusCode).toBe(401);
    await login(ctx.app, member.email, 'A-brand-new-passphrase-7');
    const reused = await post('/api/v1/auth/password-reset/confirm', {
      token,
      password: 'Another-passphrase-8',
    });
    expect([reused.statusCode, reused.json().code]).toEqual([410, 'reset.used']);
    expect(sentMails().filter((m) => m.to.includes(unknown))).toEqual([]);
    const audit = await t.as(t.owner, { method: 'GET', url: '/api/v1/audit/logs?resource_type=user' });
    const actions = audit.json().items.map((a: { action: string }) => a.action);
    expect(actions).toEqual(expect.arrayContaining(['auth.password_reset_requested', 'auth.password_reset']));
  });

  it('an admin sends a member the link; an expired link is refused; another tenant cannot', async () => {
    const t = await newTenant(ctx);
    const member = await t.member(['annotator'], 'Locked out');
    const sent = await t.as(t.owner, {
      method: 'POST',
      url: `/api/v1/users/${member.userId}/password-reset`,
      payload: { language: 'zh-CN' },
    });
    expect(sent.statusCode).toBe(202);
    const [mail] = await mailsTo(member.email);
    expect(mail!.raw).toContain('管理员为你的账号发起了密码重置');
    const token = tokenIn(mail!, 'reset-password')!;
    await ctx.platform.database.raw.query(
      `update password_resets set expires_at = now() - interval '1 minute' where user_id = $1`,
      [member.userId],
    );
    const late = await post('/api/v1/auth/password-reset/confirm', {
      token,
      password: 'A-brand-new-passphrase-7',
    });
    expect([late.statusCode, late.json().code]).toEqual([410, 'reset.expired']);
    await login(ctx.app, member.email, PASSWORD);
    const other = await newTenant(ctx);
    const foreign = await other.as(other.owner, {
      method: 'POST',
      url: `/api/v1/users/${member.userId}/password-reset`,
      payload: {},
    });
    expect(foreign.statusCode).toBe(404);
    const unknown = await post('/api/v1/auth/password-reset/confirm', {
      token: 'sir_not-a-real-token',
      password: 'A-brand-new-passphrase-7',
    });
    expect([unknown.statusCode, unknown.json().code]).toEqual([404, 'reset.invalid']);
  });

  it('says e-mail is not configured where PUBLIC_URL is unset', async () => {
    const shared = await testApp();
    const t = await newTenant(shared);
    const member = await t.member(['annotator']);
    const res = await t.as(t.owner, {
      method: 'POST',
      url: `/api/v1/users/${member.userId}/password-reset`,
      payload: {},
    });
    expect([res.statusCode, res.json().code]).toEqual([409, 'mail.not_configured']);
  });
});
