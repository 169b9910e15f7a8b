import { createRequire } from 'node:module';
import type { Redis } from 'ioredis';

type Incr = (
  key: string,
  cb: (err: Error | null, res: { current: number; ttl: number } | null) => void,
  timeWindow: number,
  max: number,
) => void;
interface Store {
  incr: Incr;
  child(routeOptions: RouteOptions): Store;
}
interface RouteOptions {
  continueExceeding: boolean;
  exponentialBackoff: boolean;
  routeInfo: { method: string; url: string };
}
type StoreClass = new (...args: unknown[]) => Store;

// The plugin's own stores (CommonJS, untyped): the fallback counts exactly like Redis would.
const require = createRequire(import.meta.url);
const LocalStore = require('@fastify/rate-limit/store/LocalStore.js') as StoreClass;
const RedisStore = require('@fastify/rate-limit/store/RedisStore.js') as StoreClass;

/** What the rate limits count in right now, for /system/services. */
export interface RateLimitMode {
  store: 'redis' | 'in-process';
  /** Why the in-process counters are in use while Redis is configured. */
  fallback?: string;
}

/**
 * A rate-limit store that counts in Redis (shared by the replicas) and, while Redis cannot
 * answer, in this process: a Redis outage weakens a limit to per-replica, never lifts it.
 */
export function fallbackRateLimitStore(redis: Redis | undefined, nameSpace: string) {
  // A failed call while the client still said "ready" (a broken connection it has not noticed yet).
  let lastFailure: string | undefined;
  const mode = (): RateLimitMode => {
    if (!redis) return { store: 'in-process' };
    if (redis.status !== 'ready') return { store: 'in-process', fallback: `Redis is ${redis.status}` };
    return lastFailure ? { store: 'in-process', fallback: lastFailure } : { store: 'redis' };
  };

  class FallbackStore implements Store {
    constructor(
      readonly shared: Store | undefined,
      readonly local: Store,
    ) {}

    incr: Incr = (key, cb, timeWindow, max) => {
      // Not waiting for a reconnect: the client queues nothing while it is away.
      if (!this.shared || redis?.status !== 'ready') return this.local.incr(key, cb, timeWindow, max);
      this.shared.incr(
        key,
        (err, res) => {
          if (!err) {
            lastFailure = undefined;
            return cb(null, res);
          }
          lastFailure = `Redis failed: ${err.message}`;
          this.local.incr(key, cb, timeWindow, max);
        },
        timeWindow,
        max,
      );
    };

    child(routeOptions: RouteOptions): Store {
      return new FallbackStore(this.shared?.child(routeOptions), this.local.child(routeOptions));
    }
  }

  /** Built by @fastify/rate-limit with its global parameters. */
  class RootStore extends FallbackStore {
    constructor(params: { continueExceeding?: boolean; exponentialBackoff?: boolean }) {
      const { continueExceeding = false, exponentialBackoff = false } = params;
      super(
        redis ? new RedisStore(continueExceeding, exponentialBackoff, redis, nameSpace) : undefined,
        new LocalStore(continueExceeding, exponentialBackoff),
      );
    }
  }
  return { Store: RootStore, mode };
}
