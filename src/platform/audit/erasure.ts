import { and, eq, isNull, lt, or, type SQL, sql } from 'drizzle-orm';
import type { Executor } from '../db/client.ts';
import { auditLogs } from './schema.ts';

export interface ErasureFilter {
  /** Rows the user made, and rows about the user (resource `user`, that id). */
  userId?: string;
  /** Rows written before this time. */
  before?: Date;
}

/**
 * GDPR erasure in the audit log: clears the actor's e-mail, IP, user agent and the personal
 * values of `details` (keeping their keys, as null) and the salt of their digest. The
 * chain covers only the digest, so it still verifies; what happened, when and by which
 * account id stays. Rows written before personal digests (hash version 1) cannot be
 * erased without breaking the chain and are left; their count is returned.
 */
export async function erasePersonal(
  tx: Executor,
  tenantId: string,
  f: ErasureFilter,
): Promise<{ erased: number; kept_version_1: number }> {
  const match: SQL | undefined = and(
    eq(auditLogs.tenantId, tenantId),
    isNull(auditLogs.erasedAt),
    f.userId
      ? or(
          eq(auditLogs.actorId, f.userId),
          and(eq(auditLogs.resourceType, 'user'), eq(auditLogs.resourceId, f.userId)),
        )
      : undefined,
    f.before ? lt(auditLogs.createdAt, f.before) : undefined,
  );
  const erased = await tx
    .update(auditLogs)
    .set({
      actorEmail: null,
      ip: null,
      userAgent: null,
      personalSalt: null,
      personalDetails: sql`(select jsonb_object_agg(k, null) from jsonb_object_keys(${auditLogs.personalDetails}) k)`,
      erasedAt: new Date(),
    })
    .where(and(match, eq(auditLogs.hashVersion, 2)))
    .returning({ id: auditLogs.id });
  const [old] = await tx
    .select({ n: sql<number>`count(*)::int` })
    .from(auditLogs)
    .where(and(match, eq(auditLogs.hashVersion, 1)));
  return { erased: erased.length, kept_version_1: old?.n ?? 0 };
}
