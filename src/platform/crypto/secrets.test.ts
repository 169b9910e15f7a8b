import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import {
  dropFreshDatabase,
  freshDatabaseEnv,
  startTestApp,
  type TestContext,
} from '../../../test/helpers.ts';
import { inSystem } from '../db/tenancy.ts';
import { MasterKeyMismatchError, SecretBox } from './secrets.ts';

let ctx: TestContext | undefined;
let env: Record<string, string> = {};
afterAll(async () => {
  await ctx?.app.close();
  await ctx?.platform.close();
  await dropFreshDatabase(env);
});

describe('secrets at rest', () => {
  it('seals with the active data key, keeps old versions opening after rotation, and re-wraps', async () => {
    // Its own database: re-wrapping the data keys must not disturb tests running beside it.
    env = await freshDatabaseEnv();
    ctx = await startTestApp(env, { migrate: true });
    const { platform } = ctx;
    const db = platform.database.db;
    const box = platform.secrets;
    const sealedBefore = await inSystem(db, (tx) => box.encrypt(tx, 'sk-live-123'));
    expect(sealedBefore).toMatch(/^v\d+\./);
    expect(sealedBefore).not.toContain('sk-live-123');
    // Same plaintext, new nonce: the sealed forms differ.
    expect(await inSystem(db, (tx) => box.encrypt(tx, 'sk-live-123'))).not.toBe(sealedBefore);

    const version = await inSystem(db, (tx) => box.rotate(tx));
    const sealedAfter = await inSystem(db, (tx) => box.encrypt(tx, 'another'));
    expect(sealedAfter.startsWith(`v${version}.`)).toBe(true);
    expect(await inSystem(db, (tx) => box.decrypt(tx, sealedBefore))).toBe('sk-live-123');

    const tampered = sealedAfter.slice(0, -2) + (sealedAfter.endsWith('A') ? 'BB' : 'AA');
    await expect(inSystem(db, (tx) => box.decrypt(tx, tampered))).rejects.toThrow();

    // A master-key change: re-wrap every data key, then only the new master opens them.
    const newMaster = randomBytes(32);
    await inSystem(db, (tx) => box.rewrap(tx, newMaster));
    const fresh = new SecretBox(newMaster);
    expect(await inSystem(db, (tx) => fresh.decrypt(tx, sealedBefore))).toBe('sk-live-123');
    await expect(inSystem(db, (tx) => new SecretBox(platform.masterKey).assertMasterKey(tx))).rejects.toThrow(
      MasterKeyMismatchError,
    );
    await inSystem(db, (tx) => fresh.assertMasterKey(tx));
  });
});
