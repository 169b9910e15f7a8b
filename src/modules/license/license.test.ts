import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { newProject } from '../../../test/annotation-fixtures.ts';
import { newTenant, PASSWORD, type TenantFixture } from '../../../test/fixtures.ts';
import {
  dropFreshDatabase,
  freshDatabaseEnv,
  startTestApp,
  type TestContext,
} from '../../../test/helpers.ts';
import { generateKeyFile, type KeyFile, signDocument } from './keys.ts';
import { licenseOf } from './state.ts';
import { notifyExpiryWarnings } from './warnings.ts';

const run = promisify(execFile);
const CLI = path.resolve(import.meta.dirname, '../../../bin/superinsight.mjs');
const DAY = 86_400_000;
const vendor = generateKeyFile('test-1');
const rotated = generateKeyFile('test-2');
const impostor = generateKeyFile('test-1');
const stranger = generateKeyFile('nobody');
const TEST_KEYS = `test-1=${vendor.public_key},test-2=${rotated.public_key}`;

const iso = (offsetDays: number) => new Date(Date.now() + offsetDays * DAY).toISOString();

function key(fields: Record<string, unknown> = {}, signer: KeyFile = vendor): string {
  return signDocument('license', signer, {
    id: crypto.randomUUID(),
    licensee: 'Acme Data',
    edition: 'professional',
    features: [],
    limits: {},
    validity: 'yearly',
    issued_at: iso(-1),
    not_before: iso(-1),
    expires_at: iso(300),
    grace_days: 7,
    activation: 'none',
    ...fields,
  });
}

let ctx: TestContext;
let env: Record<string, string>;
let t: TenantFixture;

async function asOwner(method: string, url: string, payload?: unknown) {
  return t.as(t.owner, { method: method as 'GET', url, payload: payload as Record<string, unknown> });
}

async function install(text: string) {
  return asOwner('PUT', '/api/v1/license', { key: text });
}

async function status() {
  const res = await asOwner('GET', '/api/v1/license');
  expect(res.statusCode).toBe(200);
  return res.json();
}

// biome-ignore lint/suspicious/noExplicitAny: rows of the tests' own ad-hoc queries
async function sql(text: string, values: unknown[] = []): Promise<any[]> {
  return (await ctx.platform.database.raw.query(text, values)).rows;
}

/** Rewrites the installation's signed times, as a first start or a clock seen that long ago. */
async function setInstallation(ctxOf: TestContext, firstStarted: Date, highWater: Date, signed = true) {
  const service = licenseOf(ctxOf.platform);
  const installation = await service.installation();
  const signature = signed ? service.sign(installation.id, firstStarted, highWater) : installation.signature;
  await ctxOf.platform.database.raw.query(
    'update license_installation set first_started_at = $1, clock_high_water = $2, signature = $3',
    [firstStarted, highWater, signature],
  );
  await service.changed();
}

async function member(fixture: TenantFixture, roles = ['annotator']) {
  const email = `m-${crypto.randomUUID().slice(0, 8)}@${fixture.slug}.test`;
  const res = await fixture.as(fixture.owner, {
    method: 'POST',
    url: '/api/v1/users',
    payload: { email, name: 'Member', password: PASSWORD, roles },
  });
  expect(res.statusCode).toBe(201);
  return email;
}

function signIn(email: string, tenant: string) {
  return ctx.app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { email, password: PASSWORD, tenant },
  });
}

beforeAll(async () => {
  env = await freshDatabaseEnv({ SUPERINSIGHT_LICENSE_TEST_KEYS: TEST_KEYS });
  ctx = await startTestApp(env, { migrate: true });
  t = await newTenant(ctx);
  await sql('update users set is_platform_owner = true where id = $1', [t.owner.userId]);
  await ctx.app.auth.authenticator.evict({ userId: t.owner.userId });
}, 120_000);

afterAll(async () => {
  await ctx?.app.close();
  await ctx?.platform.close();
  await dropFreshDatabase(env);
});

beforeEach(async () => {
  await sql('delete from licenses');
  await sql('delete from license_activations');
  await sql('delete from concurrent_sessions');
  const now = new Date();
  await setInstallation(ctx, now, now);
});

describe('license keys', () => {
  it('runs a fresh installation as a 30-day trial with every feature', async () => {
    const s = await status();
    expect(s.status).toBe('trial');
    expect(s.edition).toBe('trial');
    expect(s.features.every((f: { enabled: boolean }) => f.enabled)).toBe(true);
    expect(Date.parse(s.trial.ends_at) - Date.parse(s.trial.started_at)).toBe(30 * DAY);
  });

  it('refuses tampered, wrongly signed, unknown-key, not-yet-valid and long-expired keys, saying why', async () => {
    const good = key();
    const envelope = JSON.parse(Buffer.from(good, 'base64url').toString());
    const payload = JSON.parse(Buffer.from(envelope.enc, 'base64url').toString());
    payload.edition = 'enterprise';
    const tampered = Buffer.from(
      JSON.stringify({ ...envelope, enc: Buffer.from(JSON.stringify(payload)).toString('base64url') }),
    ).toString('base64url');
    const cases: [string, RegExp][] = [
      [tampered, /signature does not match/],
      [key({}, impostor), /signature does not match/],
      [key({}, stranger), /unknown key id "nobody"/],
      [key({ not_before: iso(2) }), /not valid yet/],
      [key({ expires_at: iso(-10) }), /grace are over/],
      [key({ fingerprint: 'f'.repeat(32) }), /bound to another machine/],
      ['not a key', /not in SuperInsight's format/],
    ];
    for (const [text, why] of cases) {
      const res = await install(text);
      expect(res.statusCode, res.body).toBe(422);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().code).toBe('license_invalid');
      expect(res.json().detail).toMatch(why);
    }
    expect((await status()).status).toBe('trial');
    const history = (await asOwner('GET', '/api/v1/license/history')).json();
    expect(history.items.filter((i: { event: string }) => i.event === 'install_refused')).toHaveLength(
      cases.length,
    );
  });

  it('verifies keys of a rotated key id beside the older one', async () => {
    expect((await install(key({ licensee: 'Old key' }))).statusCode).toBe(200);
    const res = await install(key({ licensee: 'New key', edition: 'enterprise' }, rotated));
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().license).toMatchObject({ key_id: 'test-2', licensee: 'New key' });
    expect(res.json().edition).toBe('enterprise');
  });

  it('warns before expiry, keeps features in grace, then falls back to basic', async () => {
    let s = (await install(key({ expires_at: iso(5) }))).json();
    expect(s.status).toBe('active');
    expect(s.warning.level).toBe('7');
    s = (await install(key({ expires_at: iso(-2) }))).json();
    expect(s.status).toBe('grace');
    expect(s.warning.level).toBe('grace');
    expect(s.features.find((f: { name: string }) => f.name === 'quality_assessment').enabled).toBe(true);
    // Expired beyond grace while installed: the installation runs as basic.
    await sql(`update licenses set document = $1`, [key({ expires_at: iso(-8) })]);
    await licenseOf(ctx.platform).changed();
    s = await status();
    expect(s.status).toBe('expired');
    expect(s.edition).toBe('basic');
    const events = (await asOwner('GET', '/api/v1/license/history'))
      .json()
      .items.map((i: { event: string; details: { status?: string } }) => i.details.status);
    expect(events).toEqual(expect.arrayContaining(['grace', 'expired']));
  });

  it('treats a clock turned back, or an edited high-water mark, as expiry until the clock is right', async () => {
    expect((await install(key({ edition: 'enterprise' }))).statusCode).toBe(200);
    await setInstallation(ctx, new Date(), new Date(Date.now() + 2 * DAY));
    let s = await status();
    expect(s.status).toBe('clock_rollback');
    expect(s.edition).toBe('basic');
    await setInstallation(ctx, new Date(), new Date());
    expect((await status()).status).toBe('active');
    await setInstallation(ctx, new Date(Date.now() - 40 * DAY), new Date(), false);
    s = await status();
    expect(s.status).toBe('clock_rollback');
    const history = (await asOwner('GET', '/api/v1/license/history')).json();
    expect(history.items.some((i: { event: string }) => i.event === 'clock_rollback')).toBe(true);
  });
});

describe('editions and features', () => {
  it('falls back from the trial to basic with data still readable and exportable as JSON', async () => {
    const project = await newProject(t);
    await setInstallation(ctx, new Date(Date.now() - 31 * DAY), new Date());
    const s = await status();
    expect(s.status).toBe('trial_ended');
    expect(s.edition).toBe('basic');
    const json = await asOwner('GET', `/api/v1/projects/${project.id}/export?format=JSON`);
    expect(json.statusCode, json.body).toBe(200);
    const csv = await asOwner('GET', `/api/v1/projects/${project.id}/export?format=CSV`);
    expect(csv.statusCode).toBe(403);
    expect(csv.json()).toMatchObject({
      code: 'license_feature_required',
      feature: 'export_formats',
      edition: 'professional',
    });
    expect((await asOwner('GET', '/api/v1/quality/rule-templates')).statusCode).toBe(200);
  });

  it('declares a feature on every route of a licensed area and refuses each write without it', async () => {
    const gated = (url: string) => /^\/api\/v1\/llm\//.test(url) || /\/quality(\/|$)/.test(url);
    const routes = ctx.app.routeTable.filter((r) => r.url.startsWith('/api/') && r.method !== 'HEAD');
    for (const r of routes.filter((r) => gated(r.url)))
      expect(r.config.feature, `${r.method} ${r.url} declares its feature`).toBeTruthy();
    expect((await install(key({ edition: 'basic' }))).statusCode).toBe(200);
    const writes = routes.filter((r) => r.config.feature && !['GET', 'OPTIONS'].includes(r.method));
    expect(writes.length).toBeGreaterThan(20);
    for (const r of writes) {
      const url = r.url.replace(/:\w+/g, '1');
      const res = await asOwner(r.method, url, {});
      expect(res.statusCode, `${r.method} ${r.url}`).toBe(403);
      expect(res.json()).toMatchObject({ code: 'license_feature_required', feature: r.config.feature });
      expect(res.json().detail).toContain('edition');
    }
    const tenant = await asOwner('POST', '/api/v1/tenants', { slug: 'second-one', name: 'Second' });
    expect(tenant.json()).toMatchObject({
      code: 'license_feature_required',
      feature: 'multi_tenant',
      edition: 'enterprise',
    });
    const s = await status();
    expect(s.features.find((f: { name: string }) => f.name === 'sso')).toMatchObject({
      enabled: false,
      requires_edition: 'enterprise',
    });
  });
});

describe('limits', () => {
  it('never lets 20 concurrent sign-ins hold more seats than the license has; owners need none', async () => {
    expect((await install(key({ limits: { seats: 5 } }))).statusCode).toBe(200);
    const emails = [];
    for (let i = 0; i < 20; i++) emails.push(await member(t));
    const results = await Promise.all(emails.map((e) => signIn(e, t.slug)));
    const ok = results.filter((r) => r.statusCode === 200);
    const refused = results.filter((r) => r.statusCode === 403);
    expect(ok).toHaveLength(5);
    expect(refused).toHaveLength(15);
    expect(refused[0]!.json()).toMatchObject({ code: 'license_seat_limit', limit: 'seats', allowed: 5 });
    expect(refused[0]!.json().detail).toMatch(/All 5 seats/);
    expect((await sql('select count(*)::int as n from concurrent_sessions'))[0].n).toBe(5);
    // A holder signing in again keeps their seat; the owner needs none.
    const holder = emails[results.indexOf(ok[0]!)]!;
    expect((await signIn(holder, t.slug)).statusCode).toBe(200);
    expect((await signIn(t.owner.email, t.slug)).statusCode).toBe(200);
    // Signing out gives the seat back.
    await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/auth/logout',
      headers: { authorization: `Bearer ${ok[1]!.json().token}` },
    });
    const waiting = emails[results.indexOf(refused[0]!)]!;
    expect((await signIn(waiting, t.slug)).statusCode).toBe(200);
    const s = await status();
    expect(s.limits.find((l: { name: string }) => l.name === 'seats')).toEqual({
      name: 'seats',
      allowed: 5,
      in_use: 5,
    });
    const history = (await asOwner('GET', '/api/v1/license/history?limit=100')).json();
    expect(
      history.items.filter((i: { event: string }) => i.event === 'seat_refused').length,
    ).toBeGreaterThanOrEqual(15);
  });

  it('refuses a project beyond the limit, naming it', async () => {
    const [{ n }] = await sql('select count(*)::int as n from projects');
    expect((await install(key({ limits: { projects: n + 1 } }))).statusCode).toBe(200);
    await newProject(t);
    const res = await asOwner('POST', '/api/v1/projects', {
      title: 'One too many',
      label_config:
        '<View><Text name="text" value="$text"/><Choices name="s" toName="text"><Choice value="a"/></Choices></View>',
    });
    expect(res.statusCode, res.body).toBe(403);
    expect(res.json()).toMatchObject({ code: 'license_project_limit', allowed: n + 1 });
    expect((await sql('select count(*)::int as n from projects'))[0].n).toBe(n + 1);
    const s = await status();
    expect(s.limits.find((l: { name: string }) => l.name === 'projects')).toEqual({
      name: 'projects',
      allowed: n + 1,
      in_use: n + 1,
    });
  });
});

describe('expiry warnings', () => {
  it('tells each tenant admin once at the 7-day threshold, not again on the next check', async () => {
    const admin = await member(t, ['admin']);
    const [{ id: adminId }] = await sql('select id from users where email = $1', [admin]);
    const licenseText = key({ expires_at: iso(6) });
    expect((await install(licenseText)).statusCode).toBe(200);
    expect((await status()).warning.level).toBe('7');
    await notifyExpiryWarnings(ctx.platform);
    await notifyExpiryWarnings(ctx.platform);
    const licenseId = (await status()).license.id;
    const rows = await sql(
      `select user_id, data from notifications where kind = 'LICENSE_EXPIRY' and tenant_id = $1 and data->>'license_id' = $2`,
      [t.tenantId, licenseId],
    );
    expect(rows.map((r) => r.user_id).sort()).toEqual([t.owner.userId, adminId].sort());
    expect(rows[0].data).toMatchObject({ level: '7', days_left: 6 });
    const mails = await sql(
      `select target, project_id, status from notification_deliveries
        where channel = 'email' and event = 'LICENSE_EXPIRY' and tenant_id = $1 and payload->>'license_id' = $2`,
      [t.tenantId, licenseId],
    );
    expect(mails.map((m) => m.target).sort()).toEqual([t.owner.email, admin].sort());
    expect(mails.every((m) => m.project_id === null)).toBe(true);
    const mine = (await asOwner('GET', '/api/v1/notifications')).json();
    const seen = mine.items.filter((n: { data: { license_id?: string } }) => n.data.license_id === licenseId);
    expect(seen).toHaveLength(1);
    expect(seen[0].title).toBe('The license expires in 6 day(s)');
    const history = (await asOwner('GET', '/api/v1/license/history?limit=1000')).json();
    expect(
      history.items.filter(
        (i: { event: string; tenant_id: string; license_id: string }) =>
          i.event === 'expiry_notified' && i.tenant_id === t.tenantId && i.license_id === licenseId,
      ),
    ).toHaveLength(1);
  });

  it('tells every member the banner state, and admins again on entering grace', async () => {
    expect((await install(key({ expires_at: iso(-2), grace_days: 7 }))).statusCode).toBe(200);
    const annotator = await member(t);
    const login = await signIn(annotator, t.slug);
    expect(login.statusCode, login.body).toBe(200);
    const notice = await ctx.app.inject({
      method: 'GET',
      url: '/api/v1/license/notice',
      headers: { cookie: String(login.headers['set-cookie']).split(';')[0] },
    });
    expect(notice.statusCode, notice.body).toBe(200);
    expect(notice.json()).toMatchObject({ state: 'grace', status: 'grace', days_left: 5 });
    const before = (
      await sql(`select count(*)::int as n from notifications where data->>'level' = 'grace'`)
    )[0].n;
    await notifyExpiryWarnings(ctx.platform);
    const after = (
      await sql(`select count(*)::int as n from notifications where data->>'level' = 'grace'`)
    )[0].n;
    expect(after).toBeGreaterThan(before);
  });
});

describe('annotator and storage limits', () => {
  interface LimitView {
    name: string;
    allowed: number | null;
    in_use: number | null;
    in_use_bytes?: number;
  }
  const limitOf = (s: { limits: LimitView[] }, name: string) => s.limits.find((l) => l.name === name)!;

  async function addMember(roles: string[]) {
    return t.as(t.owner, {
      method: 'POST',
      url: '/api/v1/users',
      payload: {
        email: `a-${crypto.randomUUID().slice(0, 8)}@${t.slug}.test`,
        name: 'A',
        password: PASSWORD,
        roles,
      },
    });
  }

  it('refuses an annotator beyond the limit, by adding or by assigning, naming it; others still pass', async () => {
    const n = limitOf(await status(), 'annotators').in_use as number;
    expect((await install(key({ limits: { annotators: n + 1 } }))).statusCode).toBe(200);
    expect((await addMember(['annotator'])).statusCode).toBe(201);
    const refused = await addMember(['reviewer']);
    expect(refused.statusCode, refused.body).toBe(403);
    expect(refused.headers['content-type']).toMatch(/problem\+json/);
    expect(refused.json()).toMatchObject({
      code: 'license_annotator_limit',
      limit: 'annotators',
      allowed: n + 1,
      in_use: n + 1,
    });
    const viewer = await addMember(['viewer']);
    expect(viewer.statusCode, viewer.body).toBe(201);
    const roles = (await asOwner('GET', '/api/v1/roles')).json();
    const annotator = (roles.items ?? roles).find((r: { name: string }) => r.name === 'annotator');
    const assign = await asOwner('POST', `/api/v1/users/${viewer.json().user.id}/roles`, {
      role_id: annotator.id,
    });
    expect(assign.statusCode, assign.body).toBe(403);
    expect(assign.json().code).toBe('license_annotator_limit');
    expect(limitOf(await status(), 'annotators')).toEqual({
      name: 'annotators',
      allowed: n + 1,
      in_use: n + 1,
    });
    const history = (await asOwner('GET', '/api/v1/license/history?limit=100')).json();
    expect(history.items.some((i: { event: string }) => i.event === 'annotator_refused')).toBe(true);
  });

  it('refuses a reactivation or a role change that makes one annotator too many', async () => {
    const first = await addMember(['annotator']);
    expect(first.statusCode, first.body).toBe(201);
    const firstId = first.json().user.id;
    const viewer = await addMember(['viewer']);
    const made = await asOwner('POST', '/api/v1/roles', {
      name: `r-${crypto.randomUUID().slice(0, 6)}`,
      permissions: ['projects:read'],
    });
    expect(made.statusCode, made.body).toBe(201);
    const assigned = await asOwner('POST', `/api/v1/users/${viewer.json().user.id}/roles`, {
      role_id: made.json().id,
    });
    expect(assigned.statusCode, assigned.body).toBe(200);
    const n = limitOf(await status(), 'annotators').in_use as number;
    expect((await install(key({ limits: { annotators: n } }))).statusCode).toBe(200);
    const widened = await asOwner('PATCH', `/api/v1/roles/${made.json().id}`, {
      permissions: ['annotations:write'],
    });
    expect(widened.statusCode, widened.body).toBe(403);
    expect(widened.json().code).toBe('license_annotator_limit');
    expect((await asOwner('PATCH', `/api/v1/users/${firstId}`, { status: 'deactivated' })).statusCode).toBe(
      200,
    );
    expect((await addMember(['annotator'])).statusCode).toBe(201);
    const back = await asOwner('PATCH', `/api/v1/users/${firstId}`, { status: 'active' });
    expect(back.statusCode, back.body).toBe(403);
    expect(back.json()).toMatchObject({ code: 'license_annotator_limit', allowed: n, in_use: n });
  });

  it('refuses a new import once the installation holds its storage limit, and shows the bytes held', async () => {
    const project = await newProject(t);
    const importOne = () =>
      asOwner('POST', `/api/v1/projects/${project.id}/import`, [{ data: { text: 'hello' } }]);
    expect((await install(key({ limits: { storage_gb: 0 } }))).statusCode).toBe(200);
    const refused = await importOne();
    expect(refused.statusCode, refused.body).toBe(403);
    expect(refused.json()).toMatchObject({ code: 'license_storage_limit', limit: 'storage_gb', allowed: 0 });
    const storage = limitOf(await status(), 'storage_gb');
    const [{ size }] = await sql('select pg_database_size(current_database())::bigint as size');
    expect(storage.allowed).toBe(0);
    expect(storage.in_use_bytes).toBeGreaterThanOrEqual(Number(size) * 0.9);
    expect((await install(key({ limits: { storage_gb: 1000 } }))).statusCode).toBe(200);
    const accepted = await importOne();
    expect(accepted.statusCode, accepted.body).toBe(201);
  });
});

describe('activation', () => {
  let server: TestContext;
  let serverEnv: Record<string, string>;
  let serverUrl: string;
  let keyFile: string;

  beforeAll(async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'si-license-'));
    keyFile = path.join(dir, 'vendor.key');
    fs.writeFileSync(keyFile, JSON.stringify(vendor), { mode: 0o600 });
    serverEnv = await freshDatabaseEnv({
      SUPERINSIGHT_LICENSE_TEST_KEYS: TEST_KEYS,
      SUPERINSIGHT_LICENSE_SERVER: 'true',
      SUPERINSIGHT_LICENSE_SERVER_KEY_FILE: keyFile,
    });
    server = await startTestApp(serverEnv, { migrate: true });
    serverUrl = await server.app.listen({ port: 0, host: '127.0.0.1' });
  }, 120_000);

  afterAll(async () => {
    await server?.app.close();
    await server?.platform.close();
    await dropFreshDatabase(serverEnv);
  });

  it('activates offline through the vendor CLI, bound to this machine', async () => {
    let s = (await install(key({ activation: 'required', edition: 'enterprise' }))).json();
    expect(s.status).toBe('not_activated');
    expect(s.edition).toBe('basic');
    const req = await asOwner('POST', '/api/v1/license/activation/request');
    expect(req.statusCode).toBe(201);
    expect(req.json().request_code).toMatch(/^[A-Z2-7-]+$/);
    const { stdout } = await run(process.execPath, [
      CLI,
      'license',
      'activate-offline',
      '--key',
      keyFile,
      '--request',
      req.json().request_code,
    ]);
    const activation = stdout.trim();
    const res = await asOwner('POST', '/api/v1/license/activation/offline', { activation });
    expect(res.statusCode, res.body).toBe(200);
    s = res.json();
    expect(s.status).toBe('active');
    expect(s.edition).toBe('enterprise');
    expect(s.activation.kind).toBe('offline');
    // The same file again answers no open request.
    const again = await asOwner('POST', '/api/v1/license/activation/offline', { activation });
    expect(again.statusCode).toBe(422);
    expect(again.json().detail).toMatch(/no open request/);

    // A copy of this database elsewhere is another machine: its activation does not hold there.
    const rows = {
      installation: await sql('select * from license_installation'),
      licenses: await sql('select license_id, key_id, document, licensee, edition from licenses'),
      activations: await sql(
        `select license_id, kind, status, fingerprint, nonce, document from license_activations where status = 'active'`,
      ),
    };
    const raw = server.platform.database.raw;
    await raw.query('delete from license_installation');
    const i = rows.installation[0]!;
    await raw.query(
      'insert into license_installation (id, first_started_at, clock_high_water, signature) values ($1, $2, $3, $4)',
      [i.id, i.first_started_at, i.clock_high_water, i.signature],
    );
    for (const l of rows.licenses)
      await raw.query(
        'insert into licenses (license_id, key_id, document, licensee, edition) values ($1, $2, $3, $4, $5)',
        [l.license_id, l.key_id, l.document, l.licensee, l.edition],
      );
    for (const a of rows.activations)
      await raw.query(
        'insert into license_activations (license_id, kind, status, fingerprint, nonce, document, activated_at) values ($1, $2, $3, $4, $5, $6, now())',
        [a.license_id, a.kind, a.status, a.fingerprint, a.nonce, a.document],
      );
    const restored = licenseOf(server.platform);
    await restored.changed();
    const there = await restored.state();
    expect(there.installation_id).toBe(i.id);
    expect(there.status).toBe('wrong_machine');
    expect(there.message).toMatch(/copied or restored elsewhere/);
    await raw.query('delete from licenses');
    await raw.query('delete from license_activations');
    await restored.changed();
  });

  it('activates online against a second platform acting as license server, up to its machines', async () => {
    const text = key({ activation: 'required', limits: { machines: 1 } });
    expect((await install(text)).json().status).toBe('not_activated');
    const res = await asOwner('POST', '/api/v1/license/activation/online', { server_url: serverUrl });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      status: 'active',
      edition: 'professional',
      activation: { kind: 'online' },
    });
    const served = await server.platform.database.raw.query(
      `select fingerprint from license_activations where kind = 'served' and status = 'active'`,
    );
    expect(served.rows).toEqual([{ fingerprint: res.json().fingerprint }]);
    // A second machine finds the license's one machine taken.
    const other = await fetch(`${serverUrl}/api/v1/license-server/activations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ license: text, fingerprint: 'a'.repeat(32), nonce: 'another-machine' }),
    });
    expect(other.status).toBe(409);
    expect(((await other.json()) as { code: string }).code).toBe('license_machines_exhausted');
    // Deactivating here frees it there.
    const off = await asOwner('DELETE', '/api/v1/license/activation');
    expect(off.statusCode, off.body).toBe(200);
    expect(off.json().status).toBe('not_activated');
    const retry = await fetch(`${serverUrl}/api/v1/license-server/activations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ license: text, fingerprint: 'a'.repeat(32), nonce: 'another-machine-2' }),
    });
    expect(retry.status).toBe(200);
  });
});

describe('access', () => {
  it('lets tenant admins read the license and their own tenant history only; managing needs a platform owner', async () => {
    const other = await newTenant(ctx);
    expect((await other.as(other.owner, { method: 'GET', url: '/api/v1/license' })).statusCode).toBe(200);
    const put = await other.as(other.owner, {
      method: 'PUT',
      url: '/api/v1/license',
      payload: { key: key() },
    });
    expect(put.statusCode).toBe(403);
    expect((await install(key({ limits: { seats: 0 } }))).statusCode).toBe(200);
    const mine = await member(t);
    const theirs = await member(other);
    expect((await signIn(mine, t.slug)).json().code).toBe('license_seat_limit');
    expect((await signIn(theirs, other.slug)).json().code).toBe('license_seat_limit');
    const seen = (
      await other.as(other.owner, { method: 'GET', url: '/api/v1/license/history?limit=1000' })
    ).json();
    const tenants = new Set(seen.items.map((i: { tenant_id: string | null }) => i.tenant_id));
    expect(tenants.has(other.tenantId)).toBe(true);
    expect(tenants.has(t.tenantId)).toBe(false);
    const all = (await asOwner('GET', '/api/v1/license/history?limit=1000')).json();
    expect(new Set(all.items.map((i: { tenant_id: string | null }) => i.tenant_id)).has(other.tenantId)).toBe(
      true,
    );
  });

  it('exports the history it shows, as JSON or CSV, scoped the same way', async () => {
    const other = await newTenant(ctx);
    expect((await install(key({ limits: { seats: 0 } }))).statusCode).toBe(200);
    expect((await signIn(await member(other), other.slug)).json().code).toBe('license_seat_limit');
    const shown = (await asOwner('GET', '/api/v1/license/history?limit=1000')).json();
    const json = await asOwner('GET', '/api/v1/license/history/export?format=json');
    expect(json.statusCode).toBe(200);
    expect(json.headers['content-disposition']).toMatch(/license-history-.*\.json/);
    expect(json.json().map((r: { id: string }) => r.id)).toEqual(
      shown.items.map((r: { id: string }) => r.id),
    );
    const csv = await asOwner('GET', '/api/v1/license/history/export?format=csv');
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    const lines = csv.body.trim().split('\n');
    expect(lines[0]).toBe('id,created_at,event,license_id,tenant_id,actor_id,message,details');
    expect(csv.body).toContain('seat_refused');
    expect(lines.filter((l) => /^[0-9a-f]{8}-/.test(l)).length).toBe(shown.items.length);
    const theirs = (
      await other.as(other.owner, { method: 'GET', url: '/api/v1/license/history/export?format=json' })
    ).json();
    const tenants = new Set(theirs.map((r: { tenant_id: string | null }) => r.tenant_id));
    expect(tenants.has(other.tenantId)).toBe(true);
    expect(tenants.has(t.tenantId)).toBe(false);
    const bad = await asOwner('GET', '/api/v1/license/history/export?format=xml');
    expect(bad.statusCode).toBe(400);
  });
});
