import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { VALIDITIES } from './document.ts';
import { EDITIONS, isFeature, LIMIT_NAMES } from './editions.ts';
import { generateKeyFile, type KeyFile, LicenseRefused, signDocument } from './keys.ts';
import { decodeRequestCode, signActivation } from './service.ts';

export const LICENSE_HELP = `Usage: superinsight license <command> (the vendor's tools; no database needed)

  keygen --kid ID --out FILE
      Make an Ed25519 key pair into FILE (owner-only). Prints ID=PUBLICKEY: the line to embed
      in VENDOR_KEYS (src/modules/license/keys.ts) or, for testing, SUPERINSIGHT_LICENSE_TEST_KEYS.
  issue --key FILE --licensee NAME --edition basic|professional|enterprise
        [--validity perpetual|monthly|yearly] [--expires ISO] [--not-before ISO] [--grace-days 7]
        [--features a,b] [--seats N] [--projects N] [--storage-gb N] [--annotators N] [--machines N]
        [--activation none|required] [--fingerprint F] [--server-url URL] [--id UUID]
      Sign a license key with the key file and print it.
  activate-offline --key FILE --request CODE
      Turn an installation's request code into a signed activation file bound to its machine.
`;

type Out = (line: string) => void;

function readKey(file: string | undefined): KeyFile {
  if (!file) throw new LicenseRefused('--key FILE is required (the private key file from keygen).');
  let key: KeyFile;
  try {
    key = JSON.parse(fs.readFileSync(file, 'utf8')) as KeyFile;
  } catch (err) {
    throw new LicenseRefused(`Cannot read the key file ${file}: ${(err as Error).message}`);
  }
  if (!key.kid || !key.private_key) throw new LicenseRefused(`${file} is not a key file made by keygen.`);
  return key;
}

function wholeNumber(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw)) throw new LicenseRefused(`--${name} must be a whole number, got "${raw}".`);
  return Number(raw);
}

function time(name: string, raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  if (Number.isNaN(Date.parse(raw)))
    throw new LicenseRefused(`--${name} must be an ISO 8601 time, got "${raw}".`);
  return new Date(raw).toISOString();
}

const DAY_MS = 86_400_000;

function issue(args: string[], out: Out): void {
  const { values: v } = parseArgs({
    args,
    options: {
      key: { type: 'string' },
      licensee: { type: 'string' },
      edition: { type: 'string' },
      validity: { type: 'string', default: 'yearly' },
      expires: { type: 'string' },
      'not-before': { type: 'string' },
      'grace-days': { type: 'string' },
      features: { type: 'string' },
      seats: { type: 'string' },
      projects: { type: 'string' },
      'storage-gb': { type: 'string' },
      annotators: { type: 'string' },
      machines: { type: 'string' },
      activation: { type: 'string', default: 'none' },
      fingerprint: { type: 'string' },
      'server-url': { type: 'string' },
      id: { type: 'string' },
    },
  });
  const key = readKey(v.key);
  if (!v.licensee) throw new LicenseRefused('--licensee is required.');
  if (!v.edition || v.edition === 'trial' || !EDITIONS.includes(v.edition as never))
    throw new LicenseRefused('--edition must be basic, professional or enterprise.');
  if (!VALIDITIES.includes(v.validity as never))
    throw new LicenseRefused('--validity must be perpetual, monthly or yearly.');
  const features = (v.features ?? '')
    .split(',')
    .map((f) => f.trim())
    .filter(Boolean);
  const unknown = features.find((f) => !isFeature(f));
  if (unknown) throw new LicenseRefused(`--features names an unknown feature "${unknown}".`);
  if (v.activation !== 'none' && v.activation !== 'required')
    throw new LicenseRefused('--activation must be none or required.');
  const now = Date.now();
  const notBefore = time('not-before', v['not-before']) ?? new Date(now).toISOString();
  const days = v.validity === 'monthly' ? 31 : 366;
  const expires =
    v.validity === 'perpetual'
      ? undefined
      : (time('expires', v.expires) ?? new Date(Date.parse(notBefore) + days * DAY_MS).toISOString());
  const limits: Record<string, number> = {};
  for (const name of LIMIT_NAMES) {
    const value = wholeNumber(name, v[name.replace('_', '-') as 'seats']);
    if (value !== undefined) limits[name] = value;
  }
  out(
    signDocument('license', key, {
      id: v.id ?? randomUUID(),
      licensee: v.licensee,
      edition: v.edition,
      features,
      limits,
      validity: v.validity,
      issued_at: new Date(now).toISOString(),
      not_before: notBefore,
      expires_at: expires,
      grace_days: wholeNumber('grace-days', v['grace-days']) ?? 7,
      activation: v.activation,
      fingerprint: v.fingerprint,
      server_url: v['server-url'],
    }),
  );
}

/** The vendor CLI; answers an exit code (2 for a request it cannot do as asked). */
export function licenseCommand(argv: string[], out: Out, err: Out): number {
  const [command, ...args] = argv;
  try {
    switch (command) {
      case 'keygen': {
        const { values } = parseArgs({ args, options: { kid: { type: 'string' }, out: { type: 'string' } } });
        if (!values.kid || !/^[\w.-]{1,64}$/.test(values.kid))
          throw new LicenseRefused('--kid ID is required (letters, digits, . _ -).');
        if (!values.out) throw new LicenseRefused('--out FILE is required.');
        const key = generateKeyFile(values.kid);
        fs.writeFileSync(values.out, `${JSON.stringify(key, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
        out(`${key.kid}=${key.public_key}`);
        return 0;
      }
      case 'issue':
        issue(args, out);
        return 0;
      case 'activate-offline': {
        const { values } = parseArgs({
          args,
          options: { key: { type: 'string' }, request: { type: 'string' } },
        });
        const key = readKey(values.key);
        if (!values.request) throw new LicenseRefused('--request CODE is required.');
        const code = decodeRequestCode(values.request);
        out(signActivation(key, code.l, code.f, code.n));
        return 0;
      }
      default:
        out(LICENSE_HELP);
        return command === undefined || command === '--help' || command === '-h' ? 0 : 2;
    }
  } catch (e) {
    if (
      e instanceof LicenseRefused ||
      (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') ||
      (e as { code?: string }).code === 'EEXIST'
    ) {
      err(`superinsight license: ${(e as Error).message}`);
      return 2;
    }
    throw e;
  }
}
