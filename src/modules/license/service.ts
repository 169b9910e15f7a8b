import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { and, count, desc, eq, isNull, or, sql } from 'drizzle-orm';
import type { Principal } from '../../platform/auth/principal.ts';
import type { Executor } from '../../platform/db/client.ts';
import { beforeCursor, toPage } from '../../platform/db/pagination.ts';
import { Problem, type ProblemCode } from '../../platform/errors/problem.ts';
import { OutboundError } from '../../platform/http/outbound.ts';
import type { Platform } from '../../platform/index.ts';
import { type LicensePayload, type RequestCode, readActivation, readLicense } from './document.ts';
import { base32Decode, base32Encode, type KeyFile, LicenseRefused, signDocument } from './keys.ts';
import { licenseActivations, licenseAuditLogs, licenses } from './schema.ts';
import { type LicenseService, licenseOf, logEvent } from './state.ts';

const DAY_MS = 86_400_000;

/** A refused key or activation: 422 with a stable code and the reason in words. */
function refusal(code: ProblemCode, message: string): Problem {
  return new Problem(422, code, message);
}

/** Verifies a key and installs it in place of the one in force; every refusal is logged. */
export async function installLicense(platform: Platform, text: string, actor: Principal) {
  const license = licenseOf(platform);
  let payload: LicensePayload;
  try {
    payload = readLicense(text, license.trusted);
    refuseOutOfTime(payload, license.now());
    if (payload.fingerprint && payload.fingerprint !== (await license.fingerprint()))
      throw new LicenseRefused(
        'The license key is bound to another machine: it was issued for a different installation.',
      );
  } catch (err) {
    if (!(err instanceof LicenseRefused)) throw err;
    await logEvent(platform.database.db, {
      event: 'install_refused',
      actorId: actor.userId,
      message: err.message,
    });
    throw refusal('license_invalid', err.message);
  }
  await platform.database.db.transaction(async (tx) => {
    await tx.update(licenses).set({ replacedAt: sql`now()` }).where(isNull(licenses.replacedAt));
    await tx.insert(licenses).values({
      licenseId: payload.id,
      keyId: payload.kid,
      document: text.replace(/\s+/g, ''),
      licensee: payload.licensee,
      edition: payload.edition,
      expiresAt: payload.expires_at ? new Date(payload.expires_at) : null,
      installedBy: actor.userId,
    });
    await logEvent(tx, {
      event: 'installed',
      licenseId: payload.id,
      actorId: actor.userId,
      message: `Installed a ${payload.edition} license for ${payload.licensee} (key ${payload.kid}).`,
      details: {
        edition: payload.edition,
        validity: payload.validity,
        expires_at: payload.expires_at ?? null,
      },
    });
  });
  await license.changed();
  return license.state();
}

function refuseOutOfTime(p: LicensePayload, now: number): void {
  if (Date.parse(p.not_before) > now)
    throw new LicenseRefused(`The license is not valid yet: it starts on ${p.not_before}.`);
  if (p.expires_at && Date.parse(p.expires_at) + p.grace_days * DAY_MS <= now)
    throw new LicenseRefused(
      `The license expired on ${p.expires_at} and its ${p.grace_days} days of grace are over.`,
    );
}

async function currentLicense(license: LicenseService): Promise<LicensePayload> {
  const state = await license.state();
  if (!state.license)
    throw new Problem(
      409,
      'license_missing',
      'No license key is installed; install one before activating it.',
    );
  return state.license;
}

/** The code an air-gapped admin hands to the vendor: licence id, fingerprint, nonce, time (base32). */
export async function requestCode(platform: Platform) {
  const license = licenseOf(platform);
  const current = await currentLicense(license);
  const code: RequestCode = {
    l: current.id,
    f: await license.fingerprint(),
    n: randomBytes(12).toString('base64url'),
    t: new Date(license.now()).toISOString(),
  };
  await platform.database.db.insert(licenseActivations).values({
    licenseId: code.l,
    kind: 'offline',
    status: 'requested',
    fingerprint: code.f,
    nonce: code.n,
  });
  return { request_code: base32Encode(Buffer.from(JSON.stringify(code))), fingerprint: code.f };
}

export function decodeRequestCode(text: string): RequestCode {
  let code: Partial<RequestCode>;
  try {
    code = JSON.parse(base32Decode(text).toString('utf8'));
  } catch (err) {
    if (err instanceof LicenseRefused) throw err;
    throw new LicenseRefused('The request code is damaged: it does not decode to a request.');
  }
  if (
    typeof code.l !== 'string' ||
    typeof code.f !== 'string' ||
    typeof code.n !== 'string' ||
    typeof code.t !== 'string'
  )
    throw new LicenseRefused('The request code is incomplete.');
  return code as RequestCode;
}

/** What the vendor CLI (and a license server) signs: an activation bound to one machine. */
export function signActivation(key: KeyFile, licenseId: string, fingerprint: string, nonce: string): string {
  return signDocument('activation', key, {
    type: 'activation',
    license_id: licenseId,
    fingerprint,
    nonce,
    issued_at: new Date().toISOString(),
  });
}

/** Accepts an activation file for the license in force, this machine and an open request. */
async function acceptActivation(
  platform: Platform,
  text: string,
  kind: 'offline' | 'online',
  actor: Principal,
  serverUrl: string | null = null,
) {
  const license = licenseOf(platform);
  const current = await currentLicense(license);
  const db = platform.database.db;
  try {
    const doc = readActivation(text, license.trusted);
    if (doc.license_id !== current.id)
      throw new LicenseRefused('The activation file is for another license than the one installed.');
    if (doc.fingerprint !== (await license.fingerprint()))
      throw new LicenseRefused(
        "The activation file is bound to another machine (its fingerprint is not this installation's).",
      );
    const done = await db.transaction(async (tx) => {
      const [row] = await tx
        .update(licenseActivations)
        .set({ status: 'active', document: text.replace(/\s+/g, ''), activatedAt: sql`now()`, serverUrl })
        .where(
          and(
            eq(licenseActivations.nonce, doc.nonce),
            eq(licenseActivations.status, 'requested'),
            eq(licenseActivations.kind, kind),
          ),
        )
        .returning({ id: licenseActivations.id });
      if (!row) return false;
      await tx
        .update(licenseActivations)
        .set({ status: 'deactivated', deactivatedAt: sql`now()` })
        .where(
          and(
            eq(licenseActivations.licenseId, current.id),
            eq(licenseActivations.status, 'active'),
            sql`${licenseActivations.kind} in ('offline', 'online')`,
            sql`${licenseActivations.id} <> ${row.id}`,
          ),
        );
      await logEvent(tx, {
        event: 'activated',
        licenseId: current.id,
        actorId: actor.userId,
        message: `Activated ${kind} on this machine${serverUrl ? ` through ${serverUrl}` : ''}.`,
        details: { kind, fingerprint: doc.fingerprint },
      });
      return true;
    });
    if (!done)
      throw new LicenseRefused(
        'The activation file answers no open request of this installation (already used, or made for another request code).',
      );
  } catch (err) {
    if (!(err instanceof LicenseRefused)) throw err;
    await logEvent(db, {
      event: 'activation_refused',
      licenseId: current.id,
      actorId: actor.userId,
      message: err.message,
    });
    throw refusal('activation_invalid', err.message);
  }
  await license.changed();
  return license.state();
}

export function activateOffline(platform: Platform, text: string, actor: Principal) {
  return acceptActivation(platform, text, 'offline', actor);
}

interface ServerAnswer {
  activation?: string;
  detail?: string;
}

async function callServer(
  platform: Platform,
  url: string,
  body: Record<string, unknown>,
  method: 'POST' | 'DELETE',
) {
  let res: Awaited<ReturnType<Platform['outbound']['request']>>;
  try {
    res = await platform.outbound.request(`${url.replace(/\/+$/, '')}/api/v1/license-server/activations`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      timeoutMs: 15_000,
    });
  } catch (err) {
    if (err instanceof OutboundError)
      throw new Problem(
        502,
        'license_server_unreachable',
        `The license server at ${url} could not be reached: ${err.message}`,
        { params: { url, message: err.message } },
      );
    throw err;
  }
  let answer: ServerAnswer = {};
  try {
    answer = JSON.parse(res.body.toString('utf8'));
  } catch {
    // A non-JSON answer is reported by status below.
  }
  return { status: res.status, answer };
}

/** Online activation: the license server checks the key and its machine count, and signs. */
export async function activateOnline(platform: Platform, serverUrl: string | undefined, actor: Principal) {
  const license = licenseOf(platform);
  const current = await currentLicense(license);
  const url = serverUrl ?? current.server_url;
  if (!url)
    throw new Problem(
      400,
      'license_server_url_required',
      'Name the license server (server_url): the license names none.',
    );
  const [row] = await platform.database.db
    .select({ document: licenses.document })
    .from(licenses)
    .where(isNull(licenses.replacedAt))
    .orderBy(desc(licenses.installedAt))
    .limit(1);
  const fingerprint = await license.fingerprint();
  const nonce = randomBytes(12).toString('base64url');
  await platform.database.db.insert(licenseActivations).values({
    licenseId: current.id,
    kind: 'online',
    status: 'requested',
    fingerprint,
    nonce,
    serverUrl: url,
  });
  const { status, answer } = await callServer(
    platform,
    url,
    { license: row!.document, fingerprint, nonce },
    'POST',
  );
  if (status !== 200 || !answer.activation) {
    const why = answer.detail ?? `it answered ${status}`;
    await logEvent(platform.database.db, {
      event: 'activation_refused',
      licenseId: current.id,
      actorId: actor.userId,
      message: `The license server refused the activation: ${why}`,
    });
    throw new Problem(
      status >= 400 && status < 500 ? 422 : 502,
      'activation_refused',
      `The license server refused the activation: ${why}`,
      { params: { reason: why } },
    );
  }
  return acceptActivation(platform, answer.activation, 'online', actor, url);
}

/** Frees this machine's activation (and, online, its place on the license server). */
export async function deactivate(platform: Platform, actor: Principal) {
  const license = licenseOf(platform);
  const current = await currentLicense(license);
  const db = platform.database.db;
  const [active] = await db
    .select()
    .from(licenseActivations)
    .where(
      and(
        eq(licenseActivations.licenseId, current.id),
        eq(licenseActivations.status, 'active'),
        sql`${licenseActivations.kind} in ('offline', 'online')`,
      ),
    );
  if (!active) throw new Problem(409, 'not_activated', 'The license is not activated on this machine.');
  if (active.kind === 'online' && active.serverUrl) {
    const [row] = await db
      .select({ document: licenses.document })
      .from(licenses)
      .where(isNull(licenses.replacedAt))
      .limit(1);
    const { status, answer } = await callServer(
      platform,
      active.serverUrl,
      { license: row!.document, fingerprint: active.fingerprint },
      'DELETE',
    );
    if (status !== 200)
      throw new Problem(
        502,
        'license_server_release_failed',
        `The license server did not release the machine: ${answer.detail ?? status}`,
        { params: { reason: String(answer.detail ?? status) } },
      );
  }
  await db.transaction(async (tx) => {
    await tx
      .update(licenseActivations)
      .set({ status: 'deactivated', deactivatedAt: sql`now()` })
      .where(eq(licenseActivations.id, active.id));
    await logEvent(tx, {
      event: 'deactivated',
      licenseId: current.id,
      actorId: actor.userId,
      message: `Deactivated the ${active.kind} activation of this machine.`,
      details: { kind: active.kind, fingerprint: active.fingerprint },
    });
  });
  await license.changed();
  return license.state();
}

/** The license server's side: verify the key, count machines, sign an activation. */
export class LicenseServer {
  private readonly key: KeyFile;

  constructor(private readonly platform: Platform) {
    const file = platform.config.license.serverKeyFile!;
    this.key = JSON.parse(readFileSync(file, 'utf8')) as KeyFile;
  }

  async activate(input: { license: string; fingerprint: string; nonce: string }) {
    const db = this.platform.database.db;
    const license = licenseOf(this.platform);
    let payload: LicensePayload;
    try {
      payload = readLicense(input.license, license.trusted);
      refuseOutOfTime(payload, license.now());
    } catch (err) {
      if (!(err instanceof LicenseRefused)) throw err;
      await logEvent(db, {
        event: 'served_refusal',
        message: err.message,
        details: { fingerprint: input.fingerprint },
      });
      throw refusal('license_invalid', err.message);
    }
    const machines = payload.limits.machines ?? 1;
    const outcome = await db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`superinsight:served:${payload.id}`}))`);
      const live = and(
        eq(licenseActivations.licenseId, payload.id),
        eq(licenseActivations.kind, 'served'),
        eq(licenseActivations.status, 'active'),
      );
      const [same] = await tx
        .select({ id: licenseActivations.id })
        .from(licenseActivations)
        .where(and(live, eq(licenseActivations.fingerprint, input.fingerprint)));
      if (!same) {
        const [used] = await tx.select({ n: count() }).from(licenseActivations).where(live);
        if ((used?.n ?? 0) >= machines) return { refused: used?.n ?? 0 };
      }
      await tx
        .update(licenseActivations)
        .set({ status: 'deactivated', deactivatedAt: sql`now()` })
        .where(and(live, eq(licenseActivations.fingerprint, input.fingerprint)));
      await tx.insert(licenseActivations).values({
        licenseId: payload.id,
        kind: 'served',
        status: 'active',
        fingerprint: input.fingerprint,
        nonce: `served:${input.nonce}`,
        activatedAt: sql`now()`,
      });
      await logEvent(tx, {
        event: 'served_activation',
        licenseId: payload.id,
        message: `Activated license ${payload.id} (${payload.licensee}) on machine ${input.fingerprint}.`,
        details: { fingerprint: input.fingerprint },
      });
      return { refused: null };
    });
    if (outcome.refused !== null) {
      const message = `The license is already activated on ${outcome.refused} of its ${machines} machine(s); deactivate one first.`;
      await logEvent(db, {
        event: 'served_refusal',
        licenseId: payload.id,
        message,
        details: { fingerprint: input.fingerprint },
      });
      throw new Problem(409, 'license_machines_exhausted', message);
    }
    return { activation: signActivation(this.key, payload.id, input.fingerprint, input.nonce) };
  }

  async deactivate(input: { license: string; fingerprint: string }) {
    const license = licenseOf(this.platform);
    let payload: LicensePayload;
    try {
      payload = readLicense(input.license, license.trusted);
    } catch (err) {
      if (!(err instanceof LicenseRefused)) throw err;
      throw refusal('license_invalid', err.message);
    }
    const db = this.platform.database.db;
    const freed = await db.transaction(async (tx) => {
      const rows = await tx
        .update(licenseActivations)
        .set({ status: 'deactivated', deactivatedAt: sql`now()` })
        .where(
          and(
            eq(licenseActivations.licenseId, payload.id),
            eq(licenseActivations.kind, 'served'),
            eq(licenseActivations.status, 'active'),
            eq(licenseActivations.fingerprint, input.fingerprint),
          ),
        )
        .returning({ id: licenseActivations.id });
      if (rows.length)
        await logEvent(tx, {
          event: 'deactivated',
          licenseId: payload.id,
          message: `Released machine ${input.fingerprint} of license ${payload.id}.`,
          details: { fingerprint: input.fingerprint, served: true },
        });
      return rows.length;
    });
    return { released: freed };
  }
}

/** The license's history: everything for a platform owner, else the installation's and one's tenant's. */
export async function history(db: Executor, tenantId: string | null, q: { limit: number; cursor?: string }) {
  const rows = await db
    .select()
    .from(licenseAuditLogs)
    .where(
      and(
        tenantId ? or(isNull(licenseAuditLogs.tenantId), eq(licenseAuditLogs.tenantId, tenantId)) : undefined,
        beforeCursor(licenseAuditLogs.createdAt, licenseAuditLogs.id, q.cursor),
      ),
    )
    .orderBy(desc(licenseAuditLogs.createdAt), desc(licenseAuditLogs.id))
    .limit(q.limit + 1);
  return toPage(rows, q.limit, (r) => [r.createdAt.toISOString(), r.id]);
}

/** The whole history, oldest pages last, read a page at a time so an export streams. */
export async function* historyRows(db: Executor, tenantId: string | null) {
  let cursor: string | undefined;
  do {
    const page = await history(db, tenantId, { limit: 500, cursor });
    yield* page.items;
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
}
