import { createHash, randomBytes } from 'node:crypto';
import { desc, eq, sql } from 'drizzle-orm';
import type { Executor } from '../db/client.ts';
import { auditLogs } from './schema.ts';

export const GENESIS_HASH = '0'.repeat(64);

export interface AuditEntry {
  action: string;
  resourceType: string;
  resourceId?: string | null;
  details?: Record<string, unknown>;
  /** Personal values (e-mail, names) shown with `details` but erasable (see erasePersonal). */
  personal?: Record<string, unknown>;
}

export interface AuditActor {
  tenantId: string;
  actorId: string | null;
  actorType: 'user' | 'api_token' | 'system';
  actorEmail?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  requestId?: string | null;
}

type AuditRow = typeof auditLogs.$inferSelect;
type Hashed = Omit<AuditRow, 'id' | 'hash' | 'erasedAt'>;

function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(obj[k])}`).join(',')}}`;
}

const sha256 = (...parts: string[]) => createHash('sha256').update(parts.join('\n')).digest('hex');

type Personal = Pick<AuditRow, 'actorEmail' | 'ip' | 'userAgent' | 'personalDetails'>;

/**
 * The salted digest of a row's personal fields, which the chain covers instead of them.
 * Erasure removes the values and the salt: without the salt the digest no longer tells
 * anything about them (an IPv4 address alone could be guessed from an unsalted hash).
 */
export function personalDigest(salt: string, p: Personal): string {
  return sha256(
    salt,
    canonical({
      actor_email: p.actorEmail,
      ip: p.ip,
      user_agent: p.userAgent,
      details: p.personalDetails,
    }),
  );
}

/** SHA-256 over the row's canonical form and the previous row's hash. */
export function rowHash(row: Hashed): string {
  const common = {
    tenant_id: row.tenantId,
    seq: row.seq,
    actor_id: row.actorId,
    actor_type: row.actorType,
    action: row.action,
    resource_type: row.resourceType,
    resource_id: row.resourceId,
    request_id: row.requestId,
    details: row.details,
    created_at: row.createdAt.toISOString(),
  };
  const body =
    row.hashVersion === 1
      ? canonical({ ...common, ip: row.ip, user_agent: row.userAgent })
      : canonical({ ...common, hash_version: row.hashVersion, personal_digest: row.personalDigest });
  return sha256(row.prevHash, body);
}

/**
 * Appends entries to the tenant's chain inside the caller's transaction. A per-tenant
 * advisory lock, held to commit, keeps concurrent writers in sequence order; callers
 * append last so the lock is held briefly.
 */
export async function appendAudit(tx: Executor, actor: AuditActor, entries: AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await lockChain(tx, actor.tenantId);
  const head = await chainHead(tx, actor.tenantId);
  let prevHash = head.hash;
  let seq = head.seq;
  const createdAt = new Date();
  const rows = entries.map((e) => {
    seq += 1;
    const personal: Personal = {
      actorEmail: actor.actorEmail ?? null,
      ip: actor.ip ?? null,
      userAgent: actor.userAgent ?? null,
      personalDetails: e.personal ?? null,
    };
    const personalSalt = randomBytes(16).toString('hex');
    const row = {
      tenantId: actor.tenantId,
      seq,
      actorId: actor.actorId,
      actorType: actor.actorType,
      action: e.action,
      resourceType: e.resourceType,
      resourceId: e.resourceId ?? null,
      requestId: actor.requestId ?? null,
      details: e.details ?? {},
      createdAt,
      prevHash,
      hashVersion: 2,
      ...personal,
      personalSalt,
      personalDigest: personalDigest(personalSalt, personal),
    };
    const hash = rowHash(row);
    prevHash = hash;
    return { ...row, hash };
  });
  await tx.insert(auditLogs).values(rows);
}

/** Serializes writers of one tenant's chain (and of its checkpoints) until commit. */
export async function lockChain(tx: Executor, tenantId: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`audit:${tenantId}`}, 0))`);
}

/** The newest row's sequence number and hash (0 and the genesis hash for an empty chain). */
export async function chainHead(tx: Executor, tenantId: string): Promise<{ seq: number; hash: string }> {
  const [last] = await tx
    .select({ seq: auditLogs.seq, hash: auditLogs.hash })
    .from(auditLogs)
    .where(eq(auditLogs.tenantId, tenantId))
    .orderBy(desc(auditLogs.seq))
    .limit(1);
  return last ?? { seq: 0, hash: GENESIS_HASH };
}
