import {
  DEFAULT_GRACE_DAYS,
  EDITION_FEATURES,
  EDITIONS,
  type Edition,
  type Feature,
  isFeature,
  LIMIT_NAMES,
  type Limits,
} from './editions.ts';
import { LicenseRefused, verifyDocument } from './keys.ts';

export const VALIDITIES = ['perpetual', 'monthly', 'yearly'] as const;

/** What a license key says, all of it inside the signed bytes. */
export interface LicensePayload {
  id: string;
  kid: string;
  licensee: string;
  edition: Exclude<Edition, 'trial'>;
  features: Feature[];
  limits: Limits;
  validity: (typeof VALIDITIES)[number];
  issued_at: string;
  not_before: string;
  /** Absent for a perpetual license. */
  expires_at?: string;
  grace_days: number;
  /** `required`: features unlock only once activated on this machine (online or offline). */
  activation: 'none' | 'required';
  /** Bound to one machine from the start: that machine's fingerprint. */
  fingerprint?: string;
  /** Where online activation goes, when the license names its server. */
  server_url?: string;
}

export interface ActivationPayload {
  kid: string;
  type: 'activation';
  license_id: string;
  fingerprint: string;
  nonce: string;
  issued_at: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function isTime(v: unknown): v is string {
  return typeof v === 'string' && !Number.isNaN(Date.parse(v));
}

/** Checks a verified payload's shape; a vendor's bug here must never unlock anything. */
export function licensePayload(raw: Record<string, unknown>): LicensePayload {
  const bad = (why: string) => new LicenseRefused(`The license key's contents are invalid: ${why}.`);
  if (typeof raw.id !== 'string' || !UUID.test(raw.id)) throw bad('id is not a UUID');
  if (typeof raw.licensee !== 'string' || !raw.licensee) throw bad('licensee is missing');
  if (!EDITIONS.includes(raw.edition as Edition) || raw.edition === 'trial')
    throw bad(`edition "${String(raw.edition)}" is not basic, professional or enterprise`);
  const edition = raw.edition as LicensePayload['edition'];
  const listed = Array.isArray(raw.features) ? raw.features : [];
  if (!listed.every((f) => typeof f === 'string' && isFeature(f)))
    throw bad('features names an unknown feature');
  const features = [...new Set([...EDITION_FEATURES[edition], ...(listed as Feature[])])];
  const limits: Limits = {};
  for (const [name, value] of Object.entries((raw.limits as Record<string, unknown>) ?? {})) {
    if (!LIMIT_NAMES.includes(name as keyof Limits)) throw bad(`limit "${name}" is unknown`);
    if (!Number.isInteger(value) || (value as number) < 0) throw bad(`limit ${name} is not a whole number`);
    limits[name as keyof Limits] = value as number;
  }
  if (!VALIDITIES.includes(raw.validity as LicensePayload['validity']))
    throw bad('validity is not perpetual, monthly or yearly');
  if (!isTime(raw.issued_at) || !isTime(raw.not_before)) throw bad('issued_at or not_before is not a time');
  if (raw.validity === 'perpetual' ? raw.expires_at !== undefined : !isTime(raw.expires_at))
    throw bad('expires_at must be a time for monthly and yearly licenses and absent for perpetual ones');
  const grace = raw.grace_days ?? DEFAULT_GRACE_DAYS;
  if (!Number.isInteger(grace) || (grace as number) < 0 || (grace as number) > 90)
    throw bad('grace_days is not 0–90');
  return {
    id: raw.id,
    kid: String(raw.kid),
    licensee: raw.licensee,
    edition,
    features,
    limits,
    validity: raw.validity as LicensePayload['validity'],
    issued_at: raw.issued_at,
    not_before: raw.not_before,
    expires_at: raw.expires_at as string | undefined,
    grace_days: grace as number,
    activation: raw.activation === 'required' ? 'required' : 'none',
    fingerprint: typeof raw.fingerprint === 'string' ? raw.fingerprint : undefined,
    server_url: typeof raw.server_url === 'string' ? raw.server_url : undefined,
  };
}

export function readLicense(text: string, trusted: Record<string, string>): LicensePayload {
  return licensePayload(verifyDocument('license', text, trusted));
}

export function readActivation(text: string, trusted: Record<string, string>): ActivationPayload {
  const raw = verifyDocument('activation', text, trusted);
  if (
    raw.type !== 'activation' ||
    typeof raw.license_id !== 'string' ||
    typeof raw.fingerprint !== 'string' ||
    typeof raw.nonce !== 'string'
  )
    throw new LicenseRefused('The activation file is not an activation of a license.');
  return raw as unknown as ActivationPayload;
}

/** The request code an offline installation shows: licence id, fingerprint, nonce and time. */
export interface RequestCode {
  l: string;
  f: string;
  n: string;
  t: string;
}
