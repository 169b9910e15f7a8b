import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { asc, desc, eq } from 'drizzle-orm';
import type { Executor } from '../db/client.ts';
import { chainHead, lockChain } from './chain.ts';
import { auditCheckpoints } from './schema.ts';

export type Checkpoint = typeof auditCheckpoints.$inferSelect;

/** The checkpoint signing key: derived from the master key, so only this platform can sign. */
export function checkpointKey(masterKey: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'superinsight audit checkpoints v1', 32));
}

function signed(key: Buffer, c: Pick<Checkpoint, 'tenantId' | 'seq' | 'hash' | 'createdAt'>): string {
  return createHmac('sha256', key)
    .update(`${c.tenantId}\n${c.seq}\n${c.hash}\n${c.createdAt.toISOString()}`)
    .digest('hex');
}

export function signatureHolds(key: Buffer, c: Checkpoint): boolean {
  const want = Buffer.from(signed(key, c), 'hex');
  const got = Buffer.from(c.signature, 'hex');
  return got.length === want.length && timingSafeEqual(got, want);
}

/**
 * Records the tenant's chain head, or the head a verification just walked up to. Nothing
 * is written for an empty chain or when the newest checkpoint already holds this head.
 */
export async function writeCheckpoint(
  tx: Executor,
  key: Buffer,
  tenantId: string,
  reason: Checkpoint['reason'],
  head?: { seq: number; hash: string },
): Promise<Checkpoint | null> {
  await lockChain(tx, tenantId);
  const at = head ?? (await chainHead(tx, tenantId));
  if (at.seq === 0) return null;
  const [latest] = await tx
    .select({ seq: auditCheckpoints.seq })
    .from(auditCheckpoints)
    .where(eq(auditCheckpoints.tenantId, tenantId))
    .orderBy(desc(auditCheckpoints.seq), desc(auditCheckpoints.id))
    .limit(1);
  if (latest && latest.seq >= at.seq) return null;
  const row = { tenantId, seq: at.seq, hash: at.hash, reason, createdAt: new Date() };
  const [written] = await tx
    .insert(auditCheckpoints)
    .values({ ...row, signature: signed(key, row) })
    .returning();
  return written!;
}

/** Every checkpoint of the tenant, oldest head first. */
export function checkpointsOf(tx: Executor, tenantId: string): Promise<Checkpoint[]> {
  return tx
    .select()
    .from(auditCheckpoints)
    .where(eq(auditCheckpoints.tenantId, tenantId))
    .orderBy(asc(auditCheckpoints.seq), asc(auditCheckpoints.id));
}
