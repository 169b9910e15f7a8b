import { and, desc, eq, sql } from 'drizzle-orm';
import { expand, grants } from '../../../platform/auth/permissions.ts';
import { apiTokens } from '../../../platform/auth/schema.ts';
import { newToken } from '../../../platform/auth/tokens.ts';
import type { Executor } from '../../../platform/db/client.ts';
import { beforeCursor, toPage } from '../../../platform/db/pagination.ts';
import { badRequest, forbidden, notFound } from '../../../platform/errors/problem.ts';
import { checkPermissionList } from '../roles/roles.service.ts';

export async function createApiToken(
  tx: Executor,
  principal: { tenantId: string; userId: string; permissions: string[] },
  input: { name: string; permissions: string[]; expiresAt?: Date | null },
) {
  checkPermissionList(input.permissions);
  if (input.expiresAt && input.expiresAt.getTime() <= Date.now()) {
    throw badRequest('token.expiry_in_past', 'A token cannot expire in the past.', [
      { path: 'body/expires_at', message: 'is in the past' },
    ]);
  }
  // Store concrete permissions the creator holds; a wildcard in the request is narrowed.
  const wanted = expand(input.permissions);
  const beyond = wanted.filter((p) => !grants(principal.permissions, p));
  if (beyond.length && !input.permissions.some((p) => p.includes('*'))) {
    throw forbidden(
      'token.holds_more_permissions',
      `A token cannot hold permissions you do not have: ${beyond.join(', ')}.`,
      { permissions: beyond.join(', ') },
    );
  }
  const permissions = wanted.filter((p) => grants(principal.permissions, p));
  if (permissions.length === 0)
    throw badRequest('token.no_permission', 'The token would hold no permission.', [
      { path: 'body/permissions', message: 'is empty' },
    ]);
  const { token, hash } = newToken('api');
  const [row] = await tx
    .insert(apiTokens)
    .values({
      tenantId: principal.tenantId,
      userId: principal.userId,
      name: input.name,
      tokenHash: hash,
      permissions,
      expiresAt: input.expiresAt ?? null,
    })
    .returning();
  return { token, ...tokenView(row!) };
}

export function tokenView(t: typeof apiTokens.$inferSelect) {
  return {
    id: t.id,
    name: t.name,
    user_id: t.userId,
    permissions: t.permissions,
    expires_at: t.expiresAt,
    last_used_at: t.lastUsedAt,
    revoked_at: t.revokedAt,
    created_at: t.createdAt,
  };
}

export async function listApiTokens(
  tx: Executor,
  tenantId: string,
  q: { limit: number; cursor?: string; userId?: string },
) {
  const rows = await tx
    .select()
    .from(apiTokens)
    .where(
      and(
        eq(apiTokens.tenantId, tenantId),
        q.userId ? eq(apiTokens.userId, q.userId) : undefined,
        beforeCursor(apiTokens.createdAt, apiTokens.id, q.cursor),
      ),
    )
    .orderBy(desc(apiTokens.createdAt), desc(apiTokens.id))
    .limit(q.limit + 1);
  const page = toPage(rows, q.limit, (r) => [r.createdAt.toISOString(), r.id]);
  return { ...page, items: page.items.map(tokenView) };
}

export async function revokeApiToken(tx: Executor, tenantId: string, tokenId: string, onlyUserId?: string) {
  const [row] = await tx
    .update(apiTokens)
    .set({ revokedAt: sql`coalesce(${apiTokens.revokedAt}, now())` })
    .where(
      and(
        eq(apiTokens.tenantId, tenantId),
        eq(apiTokens.id, tokenId),
        onlyUserId ? eq(apiTokens.userId, onlyUserId) : undefined,
      ),
    )
    .returning();
  if (!row) throw notFound('api_token.not_found', 'The API token');
  return row;
}
