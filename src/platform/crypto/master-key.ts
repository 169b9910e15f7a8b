import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * The master key wraps the data keys that encrypt secrets at rest. Replicas that share a
 * database must share it too, through SUPERINSIGHT_SECRET_KEY; a single node generates
 * one into DATA_DIR on first start, readable by its owner only.
 */
export function loadMasterKey(secretKey: string | undefined, dataDir: string): Buffer {
  if (secretKey)
    return /^[0-9a-fA-F]{64}$/.test(secretKey)
      ? Buffer.from(secretKey, 'hex')
      : Buffer.from(secretKey, 'base64');
  const file = path.join(dataDir, 'secret.key');
  try {
    const key = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64');
    if (key.length !== 32) throw new Error(`${file} does not hold a 32-byte base64 key`);
    return key;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  fs.mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32);
  fs.writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  return key;
}
