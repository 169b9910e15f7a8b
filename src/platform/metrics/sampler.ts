import { monitorEventLoopDelay } from 'node:perf_hooks';
import client from 'prom-client';
import type { RequestStats, RequestSummary } from './requests.ts';

export interface Probe {
  name: string;
  /** Resolves with optional details when the dependency answers; rejects when it does not. */
  check(): Promise<Record<string, unknown> | undefined>;
  timeoutMs?: number;
}

export interface ServiceState {
  name: string;
  status: 'up' | 'down' | 'unknown';
  latency_ms: number | null;
  checked_at: string | null;
  error?: string;
  details?: Record<string, unknown>;
}

export interface Snapshot {
  sampled_at: string | null;
  requests: RequestSummary;
  event_loop_lag_ms: { mean: number; p99: number; max: number };
  memory: { rss_bytes: number; heap_used_bytes: number; heap_total_bytes: number; external_bytes: number };
  services: ServiceState[];
}

export interface SamplerOptions {
  intervalMs: number;
  probes: Probe[];
  requests: RequestStats;
  registry: client.Registry;
  /** Extra figures sampled each tick (pool usage...), merged into the status. */
  extra?: () => Record<string, unknown>;
}

const round = (n: number) => Math.round(n * 1000) / 1000;
const LOOP_RESOLUTION_MS = 10;

/** A probe call under way: when it started, whether it has passed its timeout, its outcome. */
interface Run {
  started: number;
  timedOut: boolean;
  outcome: Promise<void>;
}

/**
 * Everything the system endpoints serve is computed here, off the request path, and
 * read from memory by the handlers. A probe that hangs is marked down at its timeout
 * and is not started again until it settles, so a stalled dependency never piles up;
 * overlapping rounds share a probe call that is still within its timeout.
 */
export class Sampler {
  private readonly services = new Map<string, ServiceState>();
  private readonly inflight = new Map<string, Run>();
  private readonly loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private snapshotValue: Snapshot;
  private extraValue: Record<string, unknown> = {};
  private prometheus = '';
  private readonly serviceUp: client.Gauge;

  constructor(private readonly options: SamplerOptions) {
    for (const probe of options.probes) {
      this.services.set(probe.name, {
        name: probe.name,
        status: 'unknown',
        latency_ms: null,
        checked_at: null,
      });
    }
    this.serviceUp = new client.Gauge({
      name: 'superinsight_service_up',
      help: 'Whether a dependency answered its last probe (1) or not (0).',
      labelNames: ['service'],
      registers: [options.registry],
    });
    this.snapshotValue = this.compose(null);
  }

  get snapshot(): Snapshot {
    return this.snapshotValue;
  }

  get extra(): Record<string, unknown> {
    return this.extraValue;
  }

  get prometheusText(): string {
    return this.prometheus;
  }

  service(name: string): ServiceState | undefined {
    return this.services.get(name);
  }

  start(): void {
    this.loop.enable();
    this.running = true;
    // Rounds never overlap: the next one is scheduled when this one has finished.
    const round = async () => {
      await this.tick();
      if (!this.running) return;
      this.timer = setTimeout(round, this.options.intervalMs);
      this.timer.unref();
    };
    void round();
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
    this.loop.disable();
  }

  /** One sampling round; resolves once every probe has answered or timed out. */
  async tick(): Promise<void> {
    await Promise.all(this.options.probes.map((p) => this.runProbe(p)));
    this.extraValue = this.options.extra?.() ?? {};
    this.snapshotValue = this.compose(new Date().toISOString());
    this.loop.reset();
    try {
      this.prometheus = await this.options.registry.metrics();
    } catch {
      // Keep serving the previous scrape; a collector failure must not empty /metrics.
    }
  }

  private runProbe(probe: Probe): Promise<void> {
    const timeoutMs = probe.timeoutMs ?? 2000;
    const current = this.inflight.get(probe.name);
    if (current) {
      // A round that overlaps one still within its timeout (an explicit tick during a
      // background round) shares its answer instead of calling the dependency again.
      if (!current.timedOut) return current.outcome;
      // Still hanging after its timeout: stay down, and do not pile another call on it.
      const waited = performance.now() - current.started;
      this.record({
        name: probe.name,
        status: 'down',
        latency_ms: round(waited),
        checked_at: new Date().toISOString(),
        error: `timed out after ${timeoutMs} ms; no answer for ${Math.round(waited)} ms`,
      });
      return Promise.resolve();
    }
    const run: Run = { started: performance.now(), timedOut: false, outcome: Promise.resolve() };
    this.inflight.set(probe.name, run);
    run.outcome = this.measure(probe, run, timeoutMs);
    return run.outcome;
  }

  private async measure(probe: Probe, run: Run, timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    // new Promise also turns a probe that throws synchronously into a rejection.
    const running = new Promise<Record<string, unknown> | undefined>((resolve) =>
      resolve(probe.check()),
    ).finally(() => {
      if (this.inflight.get(probe.name) === run) this.inflight.delete(probe.name);
    });
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        run.timedOut = true;
        reject(new Error(`timed out after ${timeoutMs} ms`));
      }, timeoutMs);
    });
    let state: ServiceState;
    try {
      const details = await Promise.race([running, timeout]);
      state = {
        name: probe.name,
        status: 'up',
        latency_ms: round(performance.now() - run.started),
        checked_at: new Date().toISOString(),
        ...(details ? { details } : {}),
      };
    } catch (err) {
      running.catch(() => {});
      state = {
        name: probe.name,
        status: 'down',
        latency_ms: round(performance.now() - run.started),
        checked_at: new Date().toISOString(),
        error: err instanceof Error ? err.message : String(err),
      };
    } finally {
      clearTimeout(timer);
    }
    this.record(state);
  }

  private record(state: ServiceState): void {
    this.services.set(state.name, state);
    this.serviceUp.set({ service: state.name }, state.status === 'up' ? 1 : 0);
  }

  private compose(sampledAt: string | null): Snapshot {
    const mem = process.memoryUsage();
    // The histogram measures whole timer periods; the lag is what exceeds the resolution.
    const ns = (v: number) => (Number.isFinite(v) ? round(Math.max(0, v / 1e6 - LOOP_RESOLUTION_MS)) : 0);
    return {
      sampled_at: sampledAt,
      requests: this.options.requests.summarize(),
      event_loop_lag_ms: {
        mean: ns(this.loop.mean),
        p99: ns(this.loop.percentile(99)),
        max: ns(this.loop.max),
      },
      memory: {
        rss_bytes: mem.rss,
        heap_used_bytes: mem.heapUsed,
        heap_total_bytes: mem.heapTotal,
        external_bytes: mem.external,
      },
      services: [...this.services.values()],
    };
  }
}
