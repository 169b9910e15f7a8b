import { BUCKET_COUNT, bucketOf, percentile } from './latency.ts';

interface Second {
  epoch: number;
  count: number;
  errors: number;
  buckets: Uint32Array;
}

export interface RequestSummary {
  total: number;
  errors_total: number;
  per_second: number;
  error_rate: number;
  window_seconds: number;
  latency_ms: { p50: number; p95: number; p99: number };
}

/**
 * Counts requests in one-second slots over the last minute. `record` is called on every
 * response and does constant work; `summarize` runs in the background sampler.
 */
export class RequestStats {
  private readonly slots: Second[];
  private total = 0;
  private errorsTotal = 0;
  private readonly startEpoch: number;

  constructor(
    private readonly windowSeconds = 60,
    private readonly now = () => Date.now(),
  ) {
    this.startEpoch = Math.floor(now() / 1000);
    this.slots = Array.from({ length: windowSeconds }, () => ({
      epoch: -1,
      count: 0,
      errors: 0,
      buckets: new Uint32Array(BUCKET_COUNT),
    }));
  }

  record(durationMs: number, statusCode: number): void {
    const epoch = Math.floor(this.now() / 1000);
    const slot = this.slots[epoch % this.windowSeconds]!;
    if (slot.epoch !== epoch) {
      slot.epoch = epoch;
      slot.count = 0;
      slot.errors = 0;
      slot.buckets.fill(0);
    }
    slot.count++;
    this.total++;
    if (statusCode >= 500) {
      slot.errors++;
      this.errorsTotal++;
    }
    const b = bucketOf(durationMs);
    slot.buckets[b] = (slot.buckets[b] ?? 0) + 1;
  }

  summarize(): RequestSummary {
    const nowEpoch = Math.floor(this.now() / 1000);
    const merged = new Uint32Array(BUCKET_COUNT);
    let count = 0;
    let errors = 0;
    // The current second is partial; rates use the completed seconds of the window.
    let completedCount = 0;
    for (const slot of this.slots) {
      if (slot.epoch < 0 || nowEpoch - slot.epoch >= this.windowSeconds) continue;
      count += slot.count;
      errors += slot.errors;
      if (slot.epoch !== nowEpoch) completedCount += slot.count;
      for (let i = 0; i < BUCKET_COUNT; i++) merged[i] = (merged[i] ?? 0) + (slot.buckets[i] ?? 0);
    }
    const round = (n: number) => Math.round(n * 1000) / 1000;
    const completedSeconds = Math.min(this.windowSeconds - 1, nowEpoch - this.startEpoch);
    return {
      total: this.total,
      errors_total: this.errorsTotal,
      per_second: completedSeconds > 0 ? round(completedCount / completedSeconds) : 0,
      error_rate: count === 0 ? 0 : round(errors / count),
      window_seconds: this.windowSeconds,
      latency_ms: {
        p50: round(percentile(merged, count, 50)),
        p95: round(percentile(merged, count, 95)),
        p99: round(percentile(merged, count, 99)),
      },
    };
  }
}
