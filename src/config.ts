import path from 'node:path';
import { parseCidrs } from './platform/http/outbound.ts';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  /** Namespaces keys and channels, so several deployments can share one Redis. */
  redisPrefix: string;
  logLevel: LogLevel;
  adminEmail: string | undefined;
  adminPassword: string | undefined;
  /** Base64 or hex of 32 bytes; when absent the platform generates one into DATA_DIR. */
  secretKey: string | undefined;
  /** Run job workers inside the `serve` process. */
  inProcessWorker: boolean;
  bodyLimitBytes: number;
  /** Address ranges outbound requests to user-given URLs may reach although private (CIDRs, comma-separated). */
  outboundAllowCidrs: string;
  /** When set, /system/* and /metrics need `Authorization: Bearer <token>` (or an allowed address). */
  systemAccessToken: string | undefined;
  /** Client addresses admitted to /system/* and /metrics without the token. */
  systemAllowCidrs: string;
  /** Strict-Transport-Security max-age; 0: not sent. */
  hstsMaxAgeSeconds: number;
  /** Behind a load balancer: take the client address from X-Forwarded-For (hops or CIDRs to trust). */
  trustProxy: boolean | number | string;
  /** Database pool size for the `pg` driver. */
  dbPoolSize: number;
  /** Background sampler period. */
  samplerIntervalMs: number;
  /** A running job's worker records that it is alive this often. */
  jobHeartbeatSeconds: number;
  /** A running job whose heartbeat is older than this is failed: its worker stopped. */
  jobStaleSeconds: number;
  /** PGlite: a request running longer is abandoned by restarting the database thread. */
  pgliteQueryTimeoutMs: number;
  /**
   * The data manager counts a filtered total in the request when the planner costs the
   * count at most this; a costlier count runs as a job and the page answers without it.
   */
  countInlineMaxCost: number;
  /** PGlite: PostgreSQL's shared buffers in MB (memory held against import and query speed). */
  pgliteSharedBuffersMb: number;
  ml: {
    /** How often `serve` queues a probe (/health, /setup) of each tenant's ML backends. */
    probeIntervalSeconds: number;
  };
  media: {
    /** The largest media file (image, audio, video, PDF) an import stores. */
    maxBytes: number;
    /** How long a signed media URL handed to the editor stays valid. */
    urlTtlSeconds: number;
  };
  llm: {
    /** First retry's backoff ceiling; each further retry doubles it (full jitter). */
    retryBaseMs: number;
    /** How often `serve` queues a health check of each tenant's LLM configurations. */
    healthIntervalSeconds: number;
  };
  /** Outgoing e-mail (quality alerts and reports); undefined: the e-mail channel is disabled. */
  smtp: SmtpConfig | undefined;
  /**
   * The console's address as people open it (PUBLIC_URL): the links of invitation and
   * password-reset e-mails, and the `hostname` ML backends are told in /setup. Never taken
   * from a request's Host, which a caller chooses.
   */
  publicUrl: string | undefined;
  audit: {
    /** How often each tenant's chain head is checkpointed (when it moved). */
    checkpointMinutes: number;
    /** tcp:// or tls:// address of a syslog (RFC 5424) receiver every audit row is streamed to. */
    syslogUrl: string | undefined;
    /** PEM file of the CA that signed a tls:// receiver's certificate (default: Node's CAs). */
    syslogCaFile: string | undefined;
    /** How often new audit rows are looked for and streamed. */
    streamIntervalMs: number;
  };
  license: {
    /** Vendor and test use only: extra trusted public keys, `kid=base64url,…`. */
    testKeys: string | undefined;
    /** Act as a license server for other installations' online activation. */
    server: boolean;
    /** The license server's signing key file (from `superinsight license keygen`). */
    serverKeyFile: string | undefined;
  };
  auth: {
    /** Failed logins within the window that lock an account. */
    maxFailures: number;
    failureWindowMinutes: number;
    lockMinutes: number;
    sessionIdleMinutes: number;
    sessionMaxPerUser: number;
    /** A session ends this long after login, however active. */
    sessionTtlHours: number;
    /** Requests per minute per client address on the sign-in routes. */
    rateLimitPerMinute: number;
  };
}

export interface SmtpConfig {
  /** smtp:// or smtps:// URL, credentials included. */
  url: string;
  from: string;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`Invalid configuration: ${variable} ${message}`);
  }
}

type Env = Record<string, string | undefined>;

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function intVar(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max)
    throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function boolVar(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw.toLowerCase())) return true;
  if (['0', 'false', 'no', 'off'].includes(raw.toLowerCase())) return false;
  throw new ConfigError(name, `must be true or false, got "${raw}"`);
}

function urlVar(env: Env, name: string, protocols: string[]): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, 'is not a valid URL');
  }
  if (!protocols.includes(url.protocol)) {
    throw new ConfigError(name, `must use ${protocols.join(' or ')}, got "${url.protocol}"`);
  }
  return raw;
}

function secretKeyVar(env: Env): string | undefined {
  const raw = env.SUPERINSIGHT_SECRET_KEY;
  if (raw === undefined || raw === '') return undefined;
  const bytes = /^[0-9a-fA-F]{64}$/.test(raw) ? Buffer.from(raw, 'hex') : Buffer.from(raw, 'base64');
  if (bytes.length !== 32)
    throw new ConfigError('SUPERINSIGHT_SECRET_KEY', 'must be 32 bytes, as 64 hex digits or base64');
  return raw;
}

function trustProxyVar(raw: string | undefined): boolean | number | string {
  if (raw === undefined || raw === '' || raw === 'false') return false;
  if (raw === 'true') return true;
  if (/^\d+$/.test(raw)) return Number(raw);
  // A comma-separated list of addresses or CIDR ranges of the proxies.
  if (/^[0-9a-fA-F:.,/\s]+$/.test(raw)) return raw;
  throw new ConfigError('TRUST_PROXY', `must be true, false, a hop count or proxy addresses, got "${raw}"`);
}

function cidrsVar(env: Env, name: string): string {
  const raw = env[name] ?? '';
  try {
    parseCidrs(raw);
  } catch (err) {
    throw new ConfigError(
      name,
      `must be comma-separated addresses or CIDR ranges: ${(err as Error).message}`,
    );
  }
  return raw;
}

/** SMTP_URL, or SMTP_HOST with SMTP_PORT/SMTP_USER/SMTP_PASS; SMTP_FROM is the sender. */
function smtpVar(env: Env): SmtpConfig | undefined {
  let url = urlVar(env, 'SMTP_URL', ['smtp:', 'smtps:']);
  if (!url && env.SMTP_HOST) {
    const port = intVar(env, 'SMTP_PORT', 587, 1, 65535);
    const u = new URL(`${port === 465 ? 'smtps' : 'smtp'}://${env.SMTP_HOST}:${port}`);
    if (env.SMTP_USER) u.username = env.SMTP_USER;
    if (env.SMTP_PASS) u.password = env.SMTP_PASS;
    url = u.toString();
  }
  if (!url) return undefined;
  const from = env.SMTP_FROM || 'superinsight@localhost';
  if (!/^[^@\s]+@[^@\s]+$/.test(from.replace(/^.*<(.*)>$/, '$1'))) {
    throw new ConfigError('SMTP_FROM', `is not an e-mail address: "${from}"`);
  }
  return { url, from };
}

/** A heartbeat must come more often than the age that declares its worker gone. */
function jobTimingVars(env: Env): { jobHeartbeatSeconds: number; jobStaleSeconds: number } {
  const jobHeartbeatSeconds = intVar(env, 'JOB_HEARTBEAT_SECONDS', 10, 1, 3600);
  const jobStaleSeconds = intVar(env, 'JOB_STALE_SECONDS', 45, 2, 24 * 3600);
  if (jobStaleSeconds <= jobHeartbeatSeconds * 2)
    throw new ConfigError(
      'JOB_STALE_SECONDS',
      `must be more than twice JOB_HEARTBEAT_SECONDS (${jobHeartbeatSeconds}), got ${jobStaleSeconds}`,
    );
  return { jobHeartbeatSeconds, jobStaleSeconds };
}

function licenseVars(env: Env): Config['license'] {
  const testKeys = env.SUPERINSIGHT_LICENSE_TEST_KEYS || undefined;
  if (testKeys && !/^([\w.-]+=[\w-]{43},?)+$/.test(testKeys.replace(/\s/g, '')))
    throw new ConfigError(
      'SUPERINSIGHT_LICENSE_TEST_KEYS',
      'must be kid=publickey pairs (base64url Ed25519), comma-separated',
    );
  const server = boolVar(env, 'SUPERINSIGHT_LICENSE_SERVER', false);
  const serverKeyFile = env.SUPERINSIGHT_LICENSE_SERVER_KEY_FILE || undefined;
  if (server && !serverKeyFile)
    throw new ConfigError(
      'SUPERINSIGHT_LICENSE_SERVER_KEY_FILE',
      'must name the signing key file when SUPERINSIGHT_LICENSE_SERVER is on',
    );
  return { testKeys, server, serverKeyFile };
}

/** Reads the environment once; a bad value throws a ConfigError naming the variable. */
export function loadConfig(env: Env = process.env): Config {
  const logLevel = (env.LOG_LEVEL ?? 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}, got "${env.LOG_LEVEL}"`);
  }
  const adminEmail = env.SUPERINSIGHT_ADMIN_EMAIL || undefined;
  if (adminEmail !== undefined && !/^[^@\s]+@[^@\s]+$/.test(adminEmail)) {
    throw new ConfigError('SUPERINSIGHT_ADMIN_EMAIL', `is not an e-mail address: "${adminEmail}"`);
  }
  return {
    port: intVar(env, 'PORT', 8000, 0, 65535),
    host: env.HOST || '0.0.0.0',
    dataDir: path.resolve(env.DATA_DIR || './data'),
    databaseUrl: urlVar(env, 'DATABASE_URL', ['postgres:', 'postgresql:']),
    redisUrl: urlVar(env, 'REDIS_URL', ['redis:', 'rediss:']),
    redisPrefix: env.REDIS_KEY_PREFIX || 'superinsight:',
    logLevel,
    adminEmail,
    adminPassword: env.SUPERINSIGHT_ADMIN_PASSWORD || undefined,
    secretKey: secretKeyVar(env),
    inProcessWorker: boolVar(env, 'SUPERINSIGHT_IN_PROCESS_WORKER', true),
    bodyLimitBytes: intVar(env, 'BODY_LIMIT_BYTES', 10 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    trustProxy: trustProxyVar(env.TRUST_PROXY),
    outboundAllowCidrs: cidrsVar(env, 'OUTBOUND_ALLOW_CIDRS'),
    systemAccessToken: env.SYSTEM_ACCESS_TOKEN || undefined,
    systemAllowCidrs: cidrsVar(env, 'SYSTEM_ALLOW_CIDRS'),
    hstsMaxAgeSeconds: intVar(env, 'HSTS_MAX_AGE_SECONDS', 0, 0, 2 * 365 * 24 * 3600),
    dbPoolSize: intVar(env, 'DB_POOL_SIZE', 20, 1, 1000),
    samplerIntervalMs: intVar(env, 'SAMPLER_INTERVAL_MS', 1000, 50, 60_000),
    ml: { probeIntervalSeconds: intVar(env, 'ML_BACKEND_PROBE_SECONDS', 300, 10, 86_400) },
    llm: {
      retryBaseMs: intVar(env, 'LLM_RETRY_BASE_MS', 500, 1, 60_000),
      healthIntervalSeconds: intVar(env, 'LLM_HEALTH_INTERVAL_SECONDS', 300, 10, 86_400),
    },
    ...jobTimingVars(env),
    pgliteQueryTimeoutMs: intVar(env, 'PGLITE_QUERY_TIMEOUT_MS', 60_000, 100, 3_600_000),
    countInlineMaxCost: intVar(env, 'COUNT_INLINE_MAX_COST', 10_000, 0, 1_000_000_000),
    pgliteSharedBuffersMb: intVar(env, 'PGLITE_SHARED_BUFFERS_MB', 48, 1, 4096),
    media: {
      maxBytes: intVar(env, 'MEDIA_MAX_BYTES', 200 * 1024 * 1024, 1024, 2 * 1024 ** 3),
      urlTtlSeconds: intVar(env, 'MEDIA_URL_TTL_SECONDS', 3600, 1, 7 * 24 * 3600),
    },
    smtp: smtpVar(env),
    publicUrl: urlVar(env, 'PUBLIC_URL', ['http:', 'https:'])?.replace(/\/+$/, ''),
    audit: {
      checkpointMinutes: intVar(env, 'AUDIT_CHECKPOINT_MINUTES', 60, 1, 24 * 60),
      syslogUrl: urlVar(env, 'AUDIT_SYSLOG_URL', ['tcp:', 'tls:']),
      syslogCaFile: env.AUDIT_SYSLOG_CA_FILE || undefined,
      streamIntervalMs: intVar(env, 'AUDIT_STREAM_INTERVAL_MS', 2000, 50, 600_000),
    },
    license: licenseVars(env),
    auth: {
      maxFailures: intVar(env, 'LOGIN_MAX_FAILURES', 5, 1, 1000),
      failureWindowMinutes: intVar(env, 'LOGIN_FAILURE_WINDOW_MINUTES', 15, 1, 24 * 60),
      lockMinutes: intVar(env, 'LOGIN_LOCK_MINUTES', 15, 1, 24 * 60),
      sessionIdleMinutes: intVar(env, 'SESSION_IDLE_MINUTES', 60, 1, 7 * 24 * 60),
      sessionMaxPerUser: intVar(env, 'SESSION_MAX_PER_USER', 5, 1, 1000),
      sessionTtlHours: intVar(env, 'SESSION_TTL_HOURS', 24, 1, 24 * 90),
      rateLimitPerMinute: intVar(env, 'AUTH_RATE_LIMIT_PER_MINUTE', 30, 1, 1_000_000),
    },
  };
}
