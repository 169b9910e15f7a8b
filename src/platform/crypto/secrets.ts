import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { desc, eq, sql } from 'drizzle-orm';
import type { Executor } from '../db/client.ts';
import { encryptionKeys } from './schema.ts';

const ALGORITHM = 'aes-256-gcm';

export class MasterKeyMismatchError extends Error {}

function seal(key: Buffer, plaintext: Buffer): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv(ALGORITHM, key, iv);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return [iv, cipher.getAuthTag(), body].map((b) => b.toString('base64url')).join('.');
}

function open(key: Buffer, sealed: string): Buffer {
  const [iv, tag, body] = sealed.split('.').map((p) => Buffer.from(p, 'base64url'));
  if (!iv || !tag || !body) throw new Error('malformed sealed value');
  const decipher = createDecipheriv(ALGORITHM, key, iv);
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(body), decipher.final()]);
}

/**
 * Envelope encryption for secrets at rest (API keys, webhook secrets, SSO and data-source
 * passwords). A secret is sealed by the active data key and stored as `v<version>.<iv>.<tag>.<body>`.
 * Every call takes the caller's executor, so it works inside a request's transaction.
 */
export class SecretBox {
  private readonly keys = new Map<number, Buffer>();

  constructor(private readonly masterKey: Buffer) {}

  async encrypt(tx: Executor, plaintext: string): Promise<string> {
    const { version, key } = await this.activeKey(tx);
    return `v${version}.${seal(key, Buffer.from(plaintext, 'utf8'))}`;
  }

  async decrypt(tx: Executor, sealed: string): Promise<string> {
    const match = /^v(\d+)\.(.+)$/.exec(sealed);
    if (!match) throw new Error('not a sealed secret');
    const key = await this.keyOf(tx, Number(match[1]));
    return open(key, match[2]!).toString('utf8');
  }

  /**
   * Fails when this master key cannot open the database's data keys: a replica started
   * with another SUPERINSIGHT_SECRET_KEY must not run and fail on every secret.
   */
  async assertMasterKey(tx: Executor): Promise<void> {
    const [row] = await tx.select().from(encryptionKeys).orderBy(desc(encryptionKeys.version)).limit(1);
    if (!row) return;
    try {
      open(this.masterKey, row.wrappedKey);
    } catch {
      throw new MasterKeyMismatchError(
        'The master key (SUPERINSIGHT_SECRET_KEY, or DATA_DIR/secret.key when unset) cannot open the data keys ' +
          "that sealed this database's secrets. Every replica of one database needs the same SUPERINSIGHT_SECRET_KEY.",
      );
    }
  }

  /** Starts a new data key version; secrets sealed by older versions still open. */
  async rotate(tx: Executor): Promise<number> {
    await tx
      .update(encryptionKeys)
      .set({ status: 'retired', retiredAt: sql`now()` })
      .where(eq(encryptionKeys.status, 'active'));
    const [last] = await tx
      .select({ version: encryptionKeys.version })
      .from(encryptionKeys)
      .orderBy(desc(encryptionKeys.version))
      .limit(1);
    const version = (last?.version ?? 0) + 1;
    const key = randomBytes(32);
    await tx.insert(encryptionKeys).values({ version, wrappedKey: seal(this.masterKey, key) });
    this.keys.set(version, key);
    return version;
  }

  /** Re-wraps every data key under a new master key (for a master-key change). */
  async rewrap(tx: Executor, newMaster: Buffer): Promise<number> {
    const rows = await tx.select().from(encryptionKeys);
    for (const row of rows) {
      const key = open(this.masterKey, row.wrappedKey);
      await tx
        .update(encryptionKeys)
        .set({ wrappedKey: seal(newMaster, key) })
        .where(eq(encryptionKeys.version, row.version));
    }
    return rows.length;
  }

  private async activeKey(tx: Executor): Promise<{ version: number; key: Buffer }> {
    const [row] = await tx.select().from(encryptionKeys).where(eq(encryptionKeys.status, 'active'));
    if (!row) {
      // First secret ever: create version 1, tolerating a concurrent creator.
      await tx.execute(sql`select pg_advisory_xact_lock(7411552003)`);
      const [again] = await tx.select().from(encryptionKeys).where(eq(encryptionKeys.status, 'active'));
      if (again) return { version: again.version, key: await this.keyOf(tx, again.version) };
      const version = await this.rotate(tx);
      return { version, key: this.keys.get(version)! };
    }
    return { version: row.version, key: await this.keyOf(tx, row.version) };
  }

  private async keyOf(tx: Executor, version: number): Promise<Buffer> {
    const cached = this.keys.get(version);
    if (cached) return cached;
    const [row] = await tx.select().from(encryptionKeys).where(eq(encryptionKeys.version, version));
    if (!row) throw new Error(`no encryption key version ${version}`);
    const key = open(this.masterKey, row.wrappedKey);
    this.keys.set(version, key);
    return key;
  }
}
