import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from 'node:crypto';

/**
 * Signed documents: a payload serialised as canonical JSON (sorted keys, no spaces), its
 * bytes signed with Ed25519 under a purpose prefix, so a license can never pass for an
 * activation file or the reverse. The text form is base64url of `{alg, kid, enc, sig}`
 * (Keygen's offline license file shape); everything that matters is inside `enc`.
 */
export type Purpose = 'license' | 'activation';

export interface Envelope {
  alg: 'ed25519';
  kid: string;
  enc: string;
  sig: string;
}

/**
 * The vendor's public keys by key id, raw 32-byte Ed25519 keys in base64url. A new key id
 * is added here when the vendor rotates; licenses signed with an older id keep verifying.
 */
export const VENDOR_KEYS: Readonly<Record<string, string>> = {
  'si-2026-1': '-4wHrBJyehWdO9acq5g9SmtDWfxMPpTrszWGNwQyNzQ',
};

export class LicenseRefused extends Error {}

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

function signedBytes(purpose: Purpose, enc: string): Buffer {
  return Buffer.from(`superinsight-${purpose}:${enc}`);
}

export interface KeyFile {
  kid: string;
  private_key: string;
  public_key: string;
}

export function generateKeyFile(kid: string): KeyFile {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    kid,
    private_key: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    public_key: rawPublicKey(publicKey),
  };
}

function rawPublicKey(key: KeyObject): string {
  // The last 32 bytes of the SPKI DER are the key itself.
  return key.export({ format: 'der', type: 'spki' }).subarray(-32).toString('base64url');
}

function publicKeyFromRaw(raw: string): KeyObject {
  const bytes = Buffer.from(raw, 'base64url');
  if (bytes.length !== 32) throw new Error('an Ed25519 public key is 32 bytes');
  const spkiPrefix = Buffer.from('302a300506032b6570032100', 'hex');
  return createPublicKey({ key: Buffer.concat([spkiPrefix, bytes]), format: 'der', type: 'spki' });
}

export function signDocument(purpose: Purpose, keyFile: KeyFile, payload: Record<string, unknown>): string {
  const enc = Buffer.from(canonicalJson({ ...payload, kid: keyFile.kid })).toString('base64url');
  const sig = sign(null, signedBytes(purpose, enc), createPrivateKey(keyFile.private_key)).toString(
    'base64url',
  );
  const envelope: Envelope = { alg: 'ed25519', kid: keyFile.kid, enc, sig };
  return Buffer.from(JSON.stringify(envelope)).toString('base64url');
}

/**
 * Checks a document's signature against the trusted keys and returns its payload; every
 * failure says what is wrong. Validity in time and machine binding are the caller's checks.
 */
export function verifyDocument(
  purpose: Purpose,
  text: string,
  trusted: Readonly<Record<string, string>>,
): Record<string, unknown> {
  const what = purpose === 'license' ? 'license key' : 'activation file';
  let envelope: Partial<Envelope>;
  try {
    envelope = JSON.parse(Buffer.from(text.replace(/\s+/g, ''), 'base64url').toString('utf8'));
  } catch {
    throw new LicenseRefused(
      `The ${what} is not in SuperInsight's format (base64url of a signed JSON envelope).`,
    );
  }
  if (
    !envelope ||
    typeof envelope !== 'object' ||
    typeof envelope.enc !== 'string' ||
    typeof envelope.sig !== 'string'
  )
    throw new LicenseRefused(`The ${what} is incomplete: it needs enc, sig, alg and kid.`);
  if (envelope.alg !== 'ed25519')
    throw new LicenseRefused(`The ${what} uses an unsupported algorithm "${envelope.alg}".`);
  const raw = typeof envelope.kid === 'string' ? trusted[envelope.kid] : undefined;
  if (!raw) throw new LicenseRefused(`The ${what} is signed with an unknown key id "${envelope.kid}".`);
  const ok = verify(
    null,
    signedBytes(purpose, envelope.enc),
    publicKeyFromRaw(raw),
    Buffer.from(envelope.sig, 'base64url'),
  );
  if (!ok)
    throw new LicenseRefused(
      `The ${what}'s signature does not match its contents: it was altered or not issued by the vendor.`,
    );
  const payload = JSON.parse(Buffer.from(envelope.enc, 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
  if (payload.kid !== envelope.kid)
    throw new LicenseRefused(`The ${what}'s key id differs inside and outside its signature.`);
  return payload;
}

/**
 * The keys a platform trusts: the embedded vendor keys plus, for the vendor's own testing,
 * `SUPERINSIGHT_LICENSE_TEST_KEYS` (`kid=base64url,kid=base64url`). A production
 * deployment leaves that unset.
 */
export function trustedKeys(extra: string | undefined): Record<string, string> {
  const keys: Record<string, string> = { ...VENDOR_KEYS };
  for (const pair of (extra ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const at = pair.indexOf('=');
    if (at < 1) throw new Error(`"${pair}" is not kid=publickey`);
    const raw = pair.slice(at + 1);
    publicKeyFromRaw(raw);
    keys[pair.slice(0, at)] = raw;
  }
  return keys;
}

/** RFC 4648 base32 without padding, in groups of five for reading aloud or typing. */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function base32Encode(bytes: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out.match(/.{1,5}/g)!.join('-');
}

export function base32Decode(text: string): Buffer {
  const clean = text.toUpperCase().replace(/[\s-]/g, '');
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const ch of clean) {
    const index = ALPHABET.indexOf(ch);
    if (index < 0) throw new LicenseRefused(`The request code contains "${ch}", which is not base32.`);
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}
