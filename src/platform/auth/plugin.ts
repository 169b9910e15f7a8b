import cookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import client from 'prom-client';
import { type AuditActor, type AuditEntry, appendAudit } from '../audit/chain.ts';
import type { Executor, Tx } from '../db/client.ts';
import { inTenant, readInTenant, type TenantScope } from '../db/tenancy.ts';
import { forbidden, unauthorized } from '../errors/problem.ts';
import type { Platform } from '../index.ts';
import { checkCsrf, setCsrfCookie } from './csrf.ts';
import { IpAllowList } from './ip-allow.ts';
import { grants, type RoutePermission } from './permissions.ts';
import { Authenticator, type Principal } from './principal.ts';
import { raiseSecurityEvent } from './security-events.ts';
import { tokenKind } from './tokens.ts';

export const SESSION_COOKIE = 'si_session';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The one permission this route requires; `self` for any signed-in caller. */
    permission?: RoutePermission;
    /** Reachable without credentials. */
    public?: boolean;
    /** Only platform owners (who create tenants). */
    platformOwner?: boolean;
    /** A mutating route that writes nothing worth auditing (e.g. draft autosave). */
    audit?: false;
    /** A GET that changes state (a reservation): cookie callers need the CSRF checks of a POST. */
    changesState?: boolean;
  }
  interface FastifyRequest {
    principal: Principal | null;
    /** The authenticated caller; a 401 where there is none (a public route). */
    readonly me: Principal;
    /** Runs `work` in one transaction in the caller's tenant; queued audit entries commit with it. */
    tx<T>(work: (tx: Tx) => Promise<T>, scope?: TenantScope): Promise<T>;
    /**
     * Runs a read in the caller's tenant without a transaction (one round trip for one
     * statement on PostgreSQL); RLS applies as in `tx`. For reads that must see one snapshot
     * across statements, use `tx`.
     */
    read<T>(work: (db: Executor) => Promise<T>): Promise<T>;
    /** Queues an audit entry for the current `tx`. */
    audit(entry: AuditEntry): void;
    /** Entries queued for the next `tx`; null until the first (most requests audit nothing). */
    auditQueue: AuditEntry[] | null;
    audited: boolean;
  }
  interface FastifyInstance {
    auth: { authenticator: Authenticator; ipAllow: IpAllowList };
    routeTable: { method: string; url: string; config: Record<string, unknown> }[];
  }
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const IP_EVENT_EVERY_MS = 60_000;

function credential(request: FastifyRequest): { token: string; viaCookie: boolean } | undefined {
  const header = request.headers.authorization;
  if (header) {
    const [scheme, value] = header.split(' ');
    if (scheme?.toLowerCase() === 'bearer' && value) return { token: value.trim(), viaCookie: false };
    // Label Studio's clients send `Token <key>`: accepted for API tokens, never for sessions.
    if (scheme?.toLowerCase() === 'token' && value && tokenKind(value.trim()) === 'api')
      return { token: value.trim(), viaCookie: false };
    return undefined;
  }
  const cookie = request.cookies[SESSION_COOKIE];
  return cookie ? { token: cookie, viaCookie: true } : undefined;
}

export function auditActor(request: FastifyRequest, scope: TenantScope): AuditActor {
  const p = request.principal;
  const actorId = scope.userId ?? p?.userId ?? null;
  return {
    tenantId: scope.tenantId,
    actorId,
    actorType: p?.kind === 'api_token' ? 'api_token' : 'user',
    actorEmail: p && p.userId === actorId ? p.email : null,
    ip: request.ip,
    userAgent: request.headers['user-agent'] ?? null,
    requestId: String(request.id),
  };
}

/**
 * The one place where callers are authenticated and authorized: every /api route declares
 * `config.permission` (or `public`), and this hook enforces it before the body is read.
 */
async function authPlugin(app: FastifyInstance, { platform }: { platform: Platform }) {
  const authenticator = new Authenticator(platform.database.db, platform.kv.bus, platform.config.auth);
  const ipAllow = new IpAllowList(platform.database.db, platform.kv.bus);
  const unaudited = new client.Counter({
    name: 'superinsight_unaudited_mutations_total',
    help: 'Successful mutating API requests that wrote no audit row (a bug).',
    labelNames: ['route'] as const,
    registers: [platform.registry],
  });
  const lastIpEvent = new Map<string, number>();

  app.decorate('auth', { authenticator, ipAllow });
  app.decorate('routeTable', []);
  await app.register(cookie);

  app.addHook('onRoute', (route) => {
    const config = (route.config ?? {}) as Record<string, unknown>;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) app.routeTable.push({ method, url: route.url, config });
    if (!route.url.startsWith('/api/')) return;
    if (!config.public && !config.permission) {
      throw new Error(
        `Route ${methods.join(',')} ${route.url} declares neither a permission nor public access`,
      );
    }
  });

  app.decorateRequest('principal', null);
  app.decorateRequest('me', {
    getter(this: FastifyRequest) {
      if (!this.principal) throw unauthorized();
      return this.principal;
    },
  });
  app.decorateRequest('auditQueue', null);
  app.decorateRequest('audited', false);
  app.decorateRequest('audit', function (this: FastifyRequest, entry: AuditEntry) {
    this.auditQueue ??= [];
    this.auditQueue.push(entry);
  });
  app.decorateRequest('read', function <T>(this: FastifyRequest, work: (db: Executor) => Promise<T>) {
    if (!this.principal) throw unauthorized();
    return readInTenant(
      platform.database,
      { tenantId: this.principal.tenantId, userId: this.principal.userId },
      work,
    );
  });
  app.decorateRequest('tx', function <
    T,
  >(this: FastifyRequest, work: (tx: Tx) => Promise<T>, scope?: TenantScope) {
    const s =
      scope ??
      (this.principal ? { tenantId: this.principal.tenantId, userId: this.principal.userId } : undefined);
    if (!s) throw unauthorized();
    return inTenant(platform.database.db, s, async (tx) => {
      try {
        const result = await work(tx);
        if (this.auditQueue?.length) {
          await appendAudit(tx, auditActor(this, s), this.auditQueue);
          this.audited = true;
        }
        return result;
      } finally {
        this.auditQueue = null;
      }
    });
  });

  /** Authenticates the caller of an API route and checks its permission; throws the refusal. */
  const authorize = async (request: FastifyRequest, reply: FastifyReply) => {
    const config = request.routeOptions.config;
    const given = credential(request);
    if (!given) throw unauthorized();
    const principal = await authenticator.authenticate(given.token);
    if (!principal)
      throw unauthorized('auth.session_invalid', 'The session or token is invalid, ended or expired.');
    if (given.viaCookie) {
      checkCsrf(request, given.token);
      setCsrfCookie(request, reply, given.token);
    }
    request.principal = principal;
    if (!(await ipAllow.allows(principal.tenantId, request.ip))) {
      const key = `${principal.tenantId}|${request.ip}`;
      if (Date.now() - (lastIpEvent.get(key) ?? 0) > IP_EVENT_EVERY_MS) {
        lastIpEvent.set(key, Date.now());
        await request.tx((tx) =>
          raiseSecurityEvent(tx, {
            tenantId: principal.tenantId,
            type: 'ip_denied',
            severity: 'medium',
            userId: principal.userId,
            ip: request.ip,
            details: { method: request.method, url: request.url },
          }),
        );
      }
      throw forbidden('auth.ip_not_allowed', "Your address is not on this tenant's IP allow-list.");
    }
    if (config.platformOwner && !principal.isPlatformOwner)
      throw forbidden('auth.owner_only', 'Only platform owners may do this.');
    if (!grants(principal.permissions, config.permission ?? '')) {
      throw forbidden('auth.permission_required', `This needs the permission ${config.permission}.`, {
        permission: String(config.permission),
      });
    }
  };

  // Public and non-API routes (health, system, the console's files) pass without a promise.
  app.addHook('onRequest', (request, reply, done) => {
    if (!request.routeOptions.url?.startsWith('/api/') || request.routeOptions.config.public) {
      done();
      return;
    }
    authorize(request, reply).then(() => done(), done);
  });

  app.addHook('onResponse', (request, reply, done) => {
    const url = request.routeOptions.url;
    if (
      MUTATING.has(request.method) &&
      reply.statusCode < 300 &&
      !request.audited &&
      url?.startsWith('/api/') &&
      request.routeOptions.config.audit !== false
    ) {
      unaudited.inc({ route: `${request.method} ${url}` });
      request.log.error({ route: url }, 'mutating request wrote no audit row');
    }
    done();
  });
}

export const auth = fp(authPlugin, { name: 'superinsight-auth' });
