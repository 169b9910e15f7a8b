import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import type { Executor } from '../../platform/db/client.ts';
import type { Platform } from '../../platform/index.ts';
import type { ActivationPayload, LicensePayload } from './document.ts';
import { readActivation, readLicense } from './document.ts';
import {
  ALL_FEATURES,
  type Edition,
  type Feature,
  type Limits,
  TRIAL_DAYS,
  WARNING_DAYS,
} from './editions.ts';
import { LicenseRefused, trustedKeys } from './keys.ts';
import { licenseActivations, licenseAuditLogs, licenseInstallation, licenses } from './schema.ts';

const DAY_MS = 86_400_000;
/** Replicas' clocks differ a little; a clock behind the largest time seen by more is turned back. */
export const CLOCK_TOLERANCE_MS = 10 * 60_000;
const CACHE_MS = 5_000;
const CHANNEL = 'license:changed';

export type LicenseStatus =
  | 'trial'
  | 'trial_ended'
  | 'active'
  | 'grace'
  | 'expired'
  | 'not_yet_valid'
  | 'not_activated'
  | 'wrong_machine'
  | 'invalid'
  | 'clock_rollback';

export interface LicenseState {
  status: LicenseStatus;
  /** The edition in force: the license's while it is valid, trial, else basic. */
  edition: Edition;
  features: Feature[];
  /** Limits of the installed license (they bind while one is installed); none without one. */
  limits: Limits;
  message: string;
  /** Days before expiry (30, 7 or 1) or `grace`, for the console's banner. */
  warning: { level: '30' | '7' | '1' | 'grace'; message: string } | null;
  license: (LicensePayload & { row_id: string; installed_at: Date }) | null;
  trial: { started_at: Date; ends_at: Date };
  grace_ends_at: Date | null;
  installation_id: string;
  fingerprint: string;
  activation: { kind: string; activated_at: Date | null; server_url: string | null } | null;
  evaluated_at: Date;
}

interface Installation {
  id: string;
  firstStartedAt: Date;
  clockHighWater: Date;
  signature: string;
}

export class LicenseService {
  readonly trusted: Record<string, string>;
  private cached: { state: LicenseState; at: number } | undefined;
  private readonly signingKey: Buffer;
  private fingerprintValue: string | undefined;

  constructor(readonly platform: Platform) {
    this.trusted = trustedKeys(platform.config.license.testKeys);
    this.signingKey = createHmac('sha256', platform.masterKey).update('superinsight-license-clock').digest();
    platform.kv.bus.subscribe(CHANNEL, () => {
      this.cached = undefined;
    });
  }

  now(): number {
    return Date.now();
  }

  /** Every replica re-evaluates at its next request. */
  async changed(): Promise<void> {
    this.cached = undefined;
    await this.platform.kv.bus.publish(CHANNEL, '1');
  }

  sign(id: string, firstStartedAt: Date, highWater: Date): string {
    return createHmac('sha256', this.signingKey)
      .update(`${id}|${firstStartedAt.toISOString()}|${highWater.toISOString()}`)
      .digest('base64url');
  }

  private signedOk(i: Installation): boolean {
    const want = Buffer.from(this.sign(i.id, i.firstStartedAt, i.clockHighWater));
    const got = Buffer.from(i.signature);
    return want.length === got.length && timingSafeEqual(want, got);
  }

  /** The installation's row, made at the first start (one row however many replicas start). */
  async installation(ex: Executor = this.platform.database.db): Promise<Installation> {
    const [row] = await ex.select().from(licenseInstallation).limit(1);
    if (row) return row;
    return ex.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(hashtext('superinsight:license_installation'))`);
      const [again] = await tx.select().from(licenseInstallation).limit(1);
      if (again) return again;
      const id = crypto.randomUUID();
      const now = new Date(this.now());
      const [made] = await tx
        .insert(licenseInstallation)
        .values({ id, firstStartedAt: now, clockHighWater: now, signature: this.sign(id, now, now) })
        .returning();
      return made!;
    });
  }

  /**
   * The machine: the installation's id with the database's system identifier and name, so
   * replicas on several hosts share it while a database restored into another server or
   * database is a different machine. PGlite has a system identifier of its own per data
   * directory; a copied PGlite directory is the same machine (nothing tells them apart).
   */
  async fingerprint(ex: Executor = this.platform.database.db): Promise<string> {
    if (this.fingerprintValue) return this.fingerprintValue;
    const installation = await this.installation(ex);
    const { rows } = (await ex.execute(
      sql`select system_identifier::text as system, current_database() as name from pg_control_system()`,
    )) as unknown as { rows: { system: string; name: string }[] };
    const row = rows[0]!;
    this.fingerprintValue = createHash('sha256')
      .update(`${installation.id}|${row.system}|${row.name}`)
      .digest('hex')
      .slice(0, 32);
    return this.fingerprintValue;
  }

  /**
   * The license as it stands, evaluated at most every few seconds. Inside a transaction pass
   * it (`ex`): on PGlite a statement outside an open transaction would wait for it to end.
   */
  async state(ex: Executor = this.platform.database.db): Promise<LicenseState> {
    const now = this.now();
    if (this.cached && now - this.cached.at < CACHE_MS && now >= this.cached.at) return this.cached.state;
    const state = await this.evaluate(ex, now);
    this.cached = { state, at: now };
    return state;
  }

  /**
   * Inside a tenant's transaction (a listener): the state last evaluated, which the gate
   * refreshes at the start of every write request; evaluated read-only only if there is none.
   */
  async current(tx: Executor): Promise<LicenseState> {
    return this.cached?.state ?? this.evaluate(tx, this.now(), false);
  }

  /** Keeps the largest time seen; false when the clock is behind it (or the record was edited). */
  private async clockIsRight(ex: Executor, i: Installation, now: number, write: boolean): Promise<boolean> {
    if (!this.signedOk(i)) return false;
    if (now < i.clockHighWater.getTime() - CLOCK_TOLERANCE_MS) return false;
    if (write && now > i.clockHighWater.getTime()) {
      const at = new Date(now);
      await ex
        .update(licenseInstallation)
        .set({ clockHighWater: at, signature: this.sign(i.id, i.firstStartedAt, at) })
        .where(and(eq(licenseInstallation.id, i.id), sql`${licenseInstallation.clockHighWater} < ${at}`));
    }
    return true;
  }

  private async evaluate(ex: Executor, now: number, write = true): Promise<LicenseState> {
    const installation = await this.installation(ex);
    const fingerprint = await this.fingerprint(ex);
    const trialEnds = new Date(installation.firstStartedAt.getTime() + TRIAL_DAYS * DAY_MS);
    const base = {
      trial: { started_at: installation.firstStartedAt, ends_at: trialEnds },
      installation_id: installation.id,
      fingerprint,
      evaluated_at: new Date(now),
      warning: null,
      grace_ends_at: null,
      activation: null,
    };
    const basic = { edition: 'basic' as const, features: [] as Feature[] };
    const [row] = await ex
      .select()
      .from(licenses)
      .where(isNull(licenses.replacedAt))
      .orderBy(desc(licenses.installedAt))
      .limit(1);
    let license: LicenseState['license'] = null;
    let invalid: string | undefined;
    if (row) {
      try {
        license = {
          ...readLicense(row.document, this.trusted),
          row_id: row.id,
          installed_at: row.installedAt,
        };
      } catch (err) {
        if (!(err instanceof LicenseRefused)) throw err;
        invalid = err.message;
      }
    }
    const limits = license?.limits ?? {};
    let state: LicenseState;
    if (!(await this.clockIsRight(ex, installation, now, write))) {
      state = {
        ...base,
        ...basic,
        license,
        limits,
        status: 'clock_rollback',
        message:
          'The system clock is behind the latest time this installation has seen: it was turned back. Licensed features are off until the clock is right.',
      };
    } else if (invalid) {
      state = {
        ...base,
        ...basic,
        license,
        limits,
        status: 'invalid',
        message: `The installed license no longer verifies: ${invalid}`,
      };
    } else if (!license) {
      state =
        now < trialEnds.getTime()
          ? {
              ...base,
              license,
              limits,
              edition: 'trial',
              features: ALL_FEATURES,
              status: 'trial',
              message: `Trial with every feature until ${trialEnds.toISOString()}.`,
            }
          : {
              ...base,
              ...basic,
              license,
              limits,
              status: 'trial_ended',
              message: `The trial ended on ${trialEnds.toISOString()}; the platform runs as basic. Install a license key for more.`,
            };
    } else {
      state = { ...base, license, limits, ...(await this.judge(ex, license, fingerprint, now)) };
    }
    if (write) await this.recordPhase(ex, state);
    return state;
  }

  /** A valid license's status, warning and features, or why it does not apply here and now. */
  private async judge(
    ex: Executor,
    license: NonNullable<LicenseState['license']>,
    fingerprint: string,
    now: number,
  ) {
    const basic = {
      edition: 'basic' as const,
      features: [] as Feature[],
      warning: null,
      grace_ends_at: null,
    };
    if (Date.parse(license.not_before) > now)
      return {
        ...basic,
        status: 'not_yet_valid' as const,
        message: `The license is valid from ${license.not_before}, not yet.`,
      };
    if (license.fingerprint && license.fingerprint !== fingerprint)
      return {
        ...basic,
        status: 'wrong_machine' as const,
        message: 'The license is bound to another machine.',
      };
    let activation: LicenseState['activation'] = null;
    if (license.activation === 'required') {
      const found = await this.activationFor(ex, license.id, fingerprint);
      if (found === 'other_machine')
        return {
          ...basic,
          status: 'wrong_machine' as const,
          message:
            'The license was activated on another machine (this database was copied or restored elsewhere). Activate it here, or deactivate it there first.',
        };
      if (!found)
        return {
          ...basic,
          status: 'not_activated' as const,
          message: 'The license needs activation on this machine (online or offline).',
        };
      activation = found;
    }
    const licensed = { edition: license.edition, features: license.features, activation };
    if (!license.expires_at)
      return {
        ...licensed,
        warning: null,
        grace_ends_at: null,
        status: 'active' as const,
        message: 'The license is valid with no end.',
      };
    const expires = Date.parse(license.expires_at);
    const graceEnds = new Date(expires + license.grace_days * DAY_MS);
    if (now >= graceEnds.getTime())
      return {
        ...basic,
        activation,
        grace_ends_at: graceEnds,
        status: 'expired' as const,
        message: `The license expired on ${license.expires_at} and its ${license.grace_days} days of grace are over: the platform runs as basic. Your data stays readable and exportable as JSON.`,
      };
    if (now >= expires) {
      const message = `The license expired on ${license.expires_at}; licensed features keep working until ${graceEnds.toISOString()} (grace).`;
      return {
        ...licensed,
        grace_ends_at: graceEnds,
        status: 'grace' as const,
        message,
        warning: { level: 'grace' as const, message },
      };
    }
    const daysLeft = (expires - now) / DAY_MS;
    const level = [...WARNING_DAYS].reverse().find((d) => daysLeft <= d);
    const message = `The license is valid until ${license.expires_at}.`;
    return {
      ...licensed,
      grace_ends_at: graceEnds,
      status: 'active' as const,
      message,
      warning: level
        ? {
            level: String(level) as '30' | '7' | '1',
            message: `The license expires in ${Math.ceil(daysLeft)} day(s), on ${license.expires_at}.`,
          }
        : null,
    };
  }

  private async activationFor(
    ex: Executor,
    licenseId: string,
    fingerprint: string,
  ): Promise<LicenseState['activation'] | 'other_machine' | null> {
    const rows = await ex
      .select()
      .from(licenseActivations)
      .where(
        and(
          eq(licenseActivations.licenseId, licenseId),
          eq(licenseActivations.status, 'active'),
          sql`${licenseActivations.kind} in ('offline', 'online')`,
        ),
      )
      .orderBy(desc(licenseActivations.activatedAt));
    let elsewhere = false;
    for (const r of rows) {
      let doc: ActivationPayload;
      try {
        doc = readActivation(r.document ?? '', this.trusted);
      } catch {
        continue;
      }
      if (doc.license_id !== licenseId) continue;
      if (doc.fingerprint !== fingerprint) {
        elsewhere = true;
        continue;
      }
      return { kind: r.kind, activated_at: r.activatedAt, server_url: r.serverUrl };
    }
    return elsewhere ? 'other_machine' : null;
  }

  /** Logs each change of phase once, across replicas (the winner of the conditional update logs it). */
  private async recordPhase(ex: Executor, state: LicenseState): Promise<void> {
    const phase = `${state.license?.row_id ?? 'none'}:${state.status}:${state.warning?.level ?? '-'}`;
    const [current] = await ex
      .select({ phase: licenseInstallation.phase })
      .from(licenseInstallation)
      .where(eq(licenseInstallation.id, state.installation_id));
    if (current?.phase === phase) return;
    await ex.transaction(async (tx) => {
      const won = await tx
        .update(licenseInstallation)
        .set({ phase })
        .where(
          and(
            eq(licenseInstallation.id, state.installation_id),
            sql`${licenseInstallation.phase} is distinct from ${phase}`,
          ),
        )
        .returning({ id: licenseInstallation.id });
      if (!won.length) return;
      await logEvent(tx, {
        event:
          state.status === 'clock_rollback'
            ? 'clock_rollback'
            : state.status === 'invalid'
              ? 'validation_failed'
              : 'phase_changed',
        licenseId: state.license?.id ?? null,
        message: state.warning?.message ?? state.message,
        details: { status: state.status, edition: state.edition, warning: state.warning?.level ?? null },
      });
    });
  }
}

export interface LogEntry {
  event: (typeof licenseAuditLogs.$inferInsert)['event'];
  licenseId?: string | null;
  tenantId?: string | null;
  actorId?: string | null;
  message: string;
  details?: Record<string, unknown>;
}

export async function logEvent(tx: Executor, entry: LogEntry): Promise<void> {
  await tx.insert(licenseAuditLogs).values({
    event: entry.event,
    licenseId: entry.licenseId ?? null,
    tenantId: entry.tenantId ?? null,
    actorId: entry.actorId ?? null,
    message: entry.message,
    details: entry.details ?? {},
  });
}

const services = new WeakMap<Platform, LicenseService>();

/** The platform's one license service (its cache is per process; the state is in the tables). */
export function licenseOf(platform: Platform): LicenseService {
  let s = services.get(platform);
  if (!s) {
    s = new LicenseService(platform);
    services.set(platform, s);
  }
  return s;
}
