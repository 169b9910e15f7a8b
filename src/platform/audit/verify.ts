import { and, asc, eq, gt } from 'drizzle-orm';
import type { Executor } from '../db/client.ts';
import { GENESIS_HASH, personalDigest, rowHash } from './chain.ts';
import { type Checkpoint, checkpointsOf, signatureHolds } from './checkpoints.ts';
import { auditLogs } from './schema.ts';

export interface VerifyResult {
  ok: boolean;
  checked: number;
  first_broken_id: number | null;
  reason: string | null;
  /** Where the damage lies, in sequence numbers, as closely as the chain and checkpoints tell. */
  broken_from_seq: number | null;
  broken_to_seq: number | null;
  checkpoints_checked: number;
  /** The newest checkpoint the chain was checked against. */
  latest_checkpoint: { seq: number; created_at: string } | null;
  /** The last row that verified: a new checkpoint records it. */
  head: { seq: number; hash: string };
}

type Row = typeof auditLogs.$inferSelect;

/** Why a row's personal fields do not fit: present but not matching, or erased only in part. */
function personalFault(row: Row): string | null {
  if (row.hashVersion === 1) return null;
  if (row.erasedAt) {
    const values = [row.actorEmail, row.ip, row.userAgent, row.personalSalt];
    const details = Object.values(row.personalDetails ?? {});
    return [...values, ...details].every((v) => v === null)
      ? null
      : 'an erased row still holds personal values';
  }
  if (!row.personalSalt || personalDigest(row.personalSalt, row) !== row.personalDigest)
    return 'the personal fields do not match their digest';
  return null;
}

/**
 * Walks the tenant's chain in sequence order and names the first row that does not fit,
 * then holds it against the signed checkpoints: a row that no longer has the hash a
 * checkpoint recorded (the chain was rewritten and recomputed), or a checkpoint beyond the
 * chain's end (rows were deleted from the end, or all of them).
 */
export async function verifyChain(
  tx: Executor,
  tenantId: string,
  key: Buffer,
  batch = 2000,
): Promise<VerifyResult> {
  const checkpoints = await checkpointsOf(tx, tenantId);
  const latest = checkpoints.at(-1);
  const base = {
    checkpoints_checked: checkpoints.length,
    latest_checkpoint: latest ? { seq: latest.seq, created_at: latest.createdAt.toISOString() } : null,
  };
  const forged = checkpoints.find((c) => !signatureHolds(key, c));
  let head = { seq: 0, hash: GENESIS_HASH };
  let checked = 0;
  const fail = (reason: string, id: number | null, from: number | null, to: number | null): VerifyResult => ({
    ok: false,
    checked,
    first_broken_id: id,
    reason,
    broken_from_seq: from,
    broken_to_seq: to,
    ...base,
    head,
  });
  if (forged)
    return fail(
      `checkpoint ${forged.id} (seq ${forged.seq}) is not signed by this platform`,
      null,
      null,
      null,
    );

  let next = 0; // the next checkpoint to reach
  let anchored = 0; // the sequence number of the last checkpoint that matched
  let idAfterAnchor: number | null = null;
  for (;;) {
    const rows = await tx
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.tenantId, tenantId), gt(auditLogs.seq, head.seq)))
      .orderBy(asc(auditLogs.seq))
      .limit(batch);
    for (const row of rows) {
      const at = (reason: string) => fail(reason, row.id, row.seq, row.seq);
      if (row.seq !== head.seq + 1) return at(`sequence jumps from ${head.seq} to ${row.seq}`);
      if (row.prevHash !== head.hash) return at('prev_hash does not match the previous row');
      if (rowHash(row) !== row.hash) return at('the row does not match its hash');
      const fault = personalFault(row);
      if (fault) return at(fault);
      if (row.seq === anchored + 1) idAfterAnchor = row.id;
      for (; checkpoints[next]?.seq === row.seq; next++) {
        const c = checkpoints[next] as Checkpoint;
        if (c.hash !== row.hash)
          return fail(
            `row ${row.seq} no longer has the hash the checkpoint of ${c.createdAt.toISOString()} recorded: ` +
              `rows ${anchored + 1} to ${row.seq} were rewritten`,
            idAfterAnchor,
            anchored + 1,
            row.seq,
          );
        anchored = row.seq;
      }
      head = { seq: row.seq, hash: row.hash };
      checked += 1;
    }
    if (rows.length < batch) break;
  }
  if (latest && latest.seq > head.seq)
    return fail(
      head.seq === 0
        ? `the chain is empty but the checkpoint of ${latest.createdAt.toISOString()} recorded ${latest.seq} rows: all were deleted`
        : `the chain ends at row ${head.seq} but the checkpoint of ${latest.createdAt.toISOString()} recorded row ${latest.seq}: ` +
            `rows ${head.seq + 1} to ${latest.seq} were deleted`,
      null,
      head.seq + 1,
      latest.seq,
    );
  return {
    ok: true,
    checked,
    first_broken_id: null,
    reason: null,
    broken_from_seq: null,
    broken_to_seq: null,
    ...base,
    head,
  };
}
