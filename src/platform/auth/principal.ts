import { and, eq, sql } from 'drizzle-orm';
import type { Config } from '../../config.ts';
import type { Bus } from '../cache/index.ts';
import type { Db } from '../db/client.ts';
import { effectivePermissions } from './access.ts';
import { grants } from './permissions.ts';
import { apiTokens, sessions, tenantMembers, tenants, users } from './schema.ts';
import { hashToken, tokenKind } from './tokens.ts';

export interface Principal {
  kind: 'session' | 'api_token';
  userId: string;
  tenantId: string;
  tenant: { slug: string; name: string };
  email: string;
  name: string;
  /** The member's integer id in the tenant (Label Studio's user id). */
  memberNumber: number;
  sessionId: string | null;
  tokenId: string | null;
  permissions: string[];
  roles: string[];
  isPlatformOwner: boolean;
}

interface Cached {
  principal: Principal;
  tokenHash: string;
  loadedAt: number;
  lastActivityAt: number;
  expiresAt: number;
}

export interface EvictTarget {
  userId?: string;
  tenantId?: string;
  tokenHash?: string;
  sessionId?: string;
}

const CHANNEL = 'auth:evict';
// Activity is written at most this often per session, so reads don't turn into writes.
const TOUCH_EVERY_MS = 60_000;
const MAX_CACHED = 50_000;

/**
 * Resolves bearer tokens and session cookies to principals. A principal is cached for a
 * few seconds so most requests cost no database round trip; logout, forced logout and
 * role changes evict it on every replica through the bus at once, and the short TTL
 * bounds staleness if a message is lost.
 */
export class Authenticator {
  private readonly cache = new Map<string, Cached>();

  constructor(
    private readonly db: Db,
    private readonly bus: Bus,
    private readonly settings: Config['auth'],
    private readonly ttlMs = 5000,
  ) {
    bus.subscribe(CHANNEL, (message) => this.evictLocal(JSON.parse(message) as EvictTarget));
  }

  async authenticate(token: string): Promise<Principal | null> {
    const kind = tokenKind(token);
    if (!kind) return null;
    const tokenHash = hashToken(token);
    const now = Date.now();
    const hit = this.cache.get(tokenHash);
    if (hit && now - hit.loadedAt < this.ttlMs && this.alive(hit, now)) return hit.principal;
    this.cache.delete(tokenHash);
    const loaded =
      kind === 'session' ? await this.loadSession(tokenHash, now) : await this.loadApiToken(tokenHash, now);
    if (!loaded) return null;
    if (this.cache.size >= MAX_CACHED) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(tokenHash, loaded);
    return loaded.principal;
  }

  /** Drops cached principals matching the target in every replica. */
  async evict(target: EvictTarget): Promise<void> {
    await this.bus.publish(CHANNEL, JSON.stringify(target));
  }

  private evictLocal(target: EvictTarget): void {
    for (const [key, c] of this.cache) {
      const p = c.principal;
      if (
        (target.userId && p.userId === target.userId) ||
        (target.tenantId && p.tenantId === target.tenantId) ||
        (target.tokenHash && c.tokenHash === target.tokenHash) ||
        (target.sessionId && p.sessionId === target.sessionId)
      ) {
        this.cache.delete(key);
      }
    }
  }

  private alive(c: Cached, now: number): boolean {
    if (now >= c.expiresAt) return false;
    return (
      c.principal.kind === 'api_token' || now - c.lastActivityAt <= this.settings.sessionIdleMinutes * 60_000
    );
  }

  private async loadSession(tokenHash: string, now: number): Promise<Cached | null> {
    const [row] = await this.db
      .select({
        id: sessions.id,
        tenantId: sessions.tenantId,
        userId: sessions.userId,
        endedAt: sessions.endedAt,
        expiresAt: sessions.expiresAt,
        lastActivityAt: sessions.lastActivityAt,
        email: users.email,
        name: users.name,
        userStatus: users.status,
        isPlatformOwner: users.isPlatformOwner,
        memberStatus: tenantMembers.status,
        memberNumber: tenantMembers.number,
        tenantStatus: tenants.status,
        tenantSlug: tenants.slug,
        tenantName: tenants.name,
      })
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      .innerJoin(tenants, eq(tenants.id, sessions.tenantId))
      .innerJoin(
        tenantMembers,
        and(eq(tenantMembers.tenantId, sessions.tenantId), eq(tenantMembers.userId, sessions.userId)),
      )
      .where(eq(sessions.tokenHash, tokenHash))
      .limit(1);
    if (!row || row.endedAt) return null;
    const end = (reason: 'idle_timeout' | 'expired' | 'user_disabled') =>
      this.db
        .update(sessions)
        .set({ endedAt: sql`now()`, endedReason: reason })
        .where(and(eq(sessions.id, row.id), sql`${sessions.endedAt} is null`));
    if (row.expiresAt.getTime() <= now) {
      await end('expired');
      return null;
    }
    if (now - row.lastActivityAt.getTime() > this.settings.sessionIdleMinutes * 60_000) {
      await end('idle_timeout');
      return null;
    }
    if (row.userStatus !== 'active' || row.memberStatus !== 'active' || row.tenantStatus !== 'active') {
      await end('user_disabled');
      return null;
    }
    let lastActivityAt = row.lastActivityAt.getTime();
    if (now - lastActivityAt > TOUCH_EVERY_MS) {
      await this.db
        .update(sessions)
        .set({ lastActivityAt: new Date(now) })
        .where(eq(sessions.id, row.id));
      lastActivityAt = now;
    }
    const access = await effectivePermissions(this.db, row.tenantId, row.userId);
    return {
      tokenHash,
      loadedAt: now,
      lastActivityAt,
      expiresAt: row.expiresAt.getTime(),
      principal: {
        kind: 'session',
        userId: row.userId,
        tenantId: row.tenantId,
        tenant: { slug: row.tenantSlug, name: row.tenantName },
        email: row.email,
        name: row.name,
        memberNumber: row.memberNumber,
        sessionId: row.id,
        tokenId: null,
        permissions: access.permissions,
        roles: access.roles,
        isPlatformOwner: row.isPlatformOwner,
      },
    };
  }

  private async loadApiToken(tokenHash: string, now: number): Promise<Cached | null> {
    const [row] = await this.db
      .select({
        id: apiTokens.id,
        tenantId: apiTokens.tenantId,
        userId: apiTokens.userId,
        permissions: apiTokens.permissions,
        expiresAt: apiTokens.expiresAt,
        revokedAt: apiTokens.revokedAt,
        lastUsedAt: apiTokens.lastUsedAt,
        email: users.email,
        name: users.name,
        userStatus: users.status,
        memberStatus: tenantMembers.status,
        memberNumber: tenantMembers.number,
        tenantStatus: tenants.status,
        tenantSlug: tenants.slug,
        tenantName: tenants.name,
      })
      .from(apiTokens)
      .innerJoin(users, eq(users.id, apiTokens.userId))
      .innerJoin(tenants, eq(tenants.id, apiTokens.tenantId))
      .innerJoin(
        tenantMembers,
        and(eq(tenantMembers.tenantId, apiTokens.tenantId), eq(tenantMembers.userId, apiTokens.userId)),
      )
      .where(eq(apiTokens.tokenHash, tokenHash))
      .limit(1);
    if (!row || row.revokedAt) return null;
    if (row.expiresAt && row.expiresAt.getTime() <= now) return null;
    if (row.userStatus !== 'active' || row.memberStatus !== 'active' || row.tenantStatus !== 'active')
      return null;
    if (!row.lastUsedAt || now - row.lastUsedAt.getTime() > TOUCH_EVERY_MS) {
      await this.db
        .update(apiTokens)
        .set({ lastUsedAt: new Date(now) })
        .where(eq(apiTokens.id, row.id));
    }
    // A token never holds more than its creator holds now.
    const creator = await effectivePermissions(this.db, row.tenantId, row.userId);
    return {
      tokenHash,
      loadedAt: now,
      lastActivityAt: now,
      expiresAt: row.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY,
      principal: {
        kind: 'api_token',
        userId: row.userId,
        tenantId: row.tenantId,
        tenant: { slug: row.tenantSlug, name: row.tenantName },
        email: row.email,
        name: row.name,
        memberNumber: row.memberNumber,
        sessionId: null,
        tokenId: row.id,
        permissions: row.permissions.filter((p) => grants(creator.permissions, p)),
        roles: creator.roles,
        isPlatformOwner: false,
      },
    };
  }
}
