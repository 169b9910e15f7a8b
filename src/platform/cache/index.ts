import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Probe } from '../metrics/sampler.ts';

export interface Cache {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  del(key: string): Promise<void>;
}

type Handler = (message: string) => void;

/** Publish/subscribe between replicas; handlers in this process hear their own messages at once. */
export interface Bus {
  publish(channel: string, message: string): Promise<void>;
  subscribe(channel: string, handler: Handler): void;
}

export interface KeyValue {
  cache: Cache;
  bus: Bus;
  /** The shared client when REDIS_URL is set (rate limiting uses it). */
  redis?: Redis;
  probe?: Probe;
  close(): Promise<void>;
}

interface Logger {
  warn(obj: unknown, msg?: string): void;
}

/** Bounded in-process cache for a single node, or as the fallback when Redis is absent. */
export class MemoryCache implements Cache {
  private readonly entries = new Map<string, { value: string; expires: number }>();
  constructor(private readonly maxEntries = 100_000) {}

  async get(key: string): Promise<string | null> {
    const entry = this.entries.get(key);
    if (!entry) return null;
    if (entry.expires <= Date.now()) {
      this.entries.delete(key);
      return null;
    }
    return entry.value;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(key, { value, expires: Date.now() + ttlMs });
  }

  async del(key: string): Promise<void> {
    this.entries.delete(key);
  }
}

class LocalBus implements Bus {
  protected readonly handlers = new Map<string, Handler[]>();

  async publish(channel: string, message: string): Promise<void> {
    this.deliver(channel, message);
  }

  subscribe(channel: string, handler: Handler): void {
    this.handlers.set(channel, [...(this.handlers.get(channel) ?? []), handler]);
  }

  protected deliver(channel: string, message: string): void {
    for (const handler of this.handlers.get(channel) ?? []) handler(message);
  }
}

class RedisCache implements Cache {
  constructor(private readonly redis: Redis) {}

  // A Redis outage degrades to cache misses; callers fall back to the database.
  async get(key: string): Promise<string | null> {
    try {
      return await this.redis.get(key);
    } catch {
      return null;
    }
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    await this.redis.set(key, value, 'PX', ttlMs).catch(() => {});
  }

  async del(key: string): Promise<void> {
    await this.redis.del(key).catch(() => {});
  }
}

class RedisBus extends LocalBus {
  private readonly origin = randomUUID();

  // Channels are not covered by ioredis' keyPrefix, so the bus adds the prefix itself.
  constructor(
    private readonly redis: Redis,
    private readonly subscriber: Redis,
    private readonly prefix: string,
  ) {
    super();
    subscriber.on('message', (channel: string, raw: string) => {
      const sep = raw.indexOf('|');
      if (raw.slice(0, sep) === this.origin) return;
      this.deliver(channel.slice(prefix.length), raw.slice(sep + 1));
    });
    // ioredis resubscribes after a reconnect only to channels whose SUBSCRIBE succeeded; one
    // issued while Redis was away fails and would be lost for good. So every time the
    // connection becomes ready, subscribe to every channel this process listens on.
    subscriber.on('ready', () => {
      const channels = [...this.handlers.keys()].map((c) => prefix + c);
      if (channels.length) void subscriber.subscribe(...channels).catch(() => {});
    });
  }

  override async publish(channel: string, message: string): Promise<void> {
    this.deliver(channel, message);
    await this.redis.publish(this.prefix + channel, `${this.origin}|${message}`).catch(() => {});
  }

  override subscribe(channel: string, handler: Handler): void {
    if (!this.handlers.has(channel)) void this.subscriber.subscribe(this.prefix + channel).catch(() => {});
    super.subscribe(channel, handler);
  }
}

type RedisClass = typeof import('ioredis').Redis;

function connect(RedisClient: RedisClass, url: string, prefix: string, log: Logger, role: string): Redis {
  const redis = new RedisClient(url, {
    keyPrefix: prefix,
    // Fail fast while Redis is away instead of queueing commands behind a dead socket.
    enableOfflineQueue: role === 'subscriber',
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  let lastWarn = 0;
  redis.on('error', (err) => {
    if (Date.now() - lastWarn < 30_000) return;
    lastWarn = Date.now();
    log.warn({ err: err.message, role }, 'redis unavailable; serving degraded until it returns');
  });
  return redis;
}

/** ioredis (~20 MB resident) is loaded only when REDIS_URL is set. */
export async function createKeyValue(
  redisUrl: string | undefined,
  prefix: string,
  log: Logger,
): Promise<KeyValue> {
  if (!redisUrl) {
    return { cache: new MemoryCache(), bus: new LocalBus(), close: async () => {} };
  }
  const { Redis: RedisClient } = await import('ioredis');
  const redis = connect(RedisClient, redisUrl, prefix, log, 'client');
  const subscriber = connect(RedisClient, redisUrl, prefix, log, 'subscriber');
  return {
    cache: new RedisCache(redis),
    bus: new RedisBus(redis, subscriber, prefix),
    redis,
    probe: {
      name: 'redis',
      timeoutMs: 2000,
      check: async () => {
        await redis.ping();
        return undefined;
      },
    },
    close: async () => {
      redis.disconnect();
      subscriber.disconnect();
    },
  };
}
