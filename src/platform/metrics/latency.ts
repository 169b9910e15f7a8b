/**
 * Fixed log-scale latency histogram: recording is O(1) and merging a minute of them is
 * cheap, so percentiles never need to sort raw samples on a busy server.
 */
const MIN_MS = 0.01;
const BUCKETS_PER_DECADE = 40;
const DECADES = 7; // 0.01 ms .. 100 s
export const BUCKET_COUNT = BUCKETS_PER_DECADE * DECADES + 1;

export function bucketOf(ms: number): number {
  // Written so that NaN lands in bucket 0 too: a NaN index would be dropped by the typed
  // array, leaving the bucket sums short of the count and every percentile at 100 s.
  if (!(ms > MIN_MS)) return 0;
  const i = Math.ceil(Math.log10(ms / MIN_MS) * BUCKETS_PER_DECADE);
  return i >= BUCKET_COUNT ? BUCKET_COUNT - 1 : i;
}

/** The upper bound of a bucket, in milliseconds. */
export function bucketUpperMs(i: number): number {
  return MIN_MS * 10 ** (i / BUCKETS_PER_DECADE);
}

/** Percentile (0..100) over summed bucket counts; 0 when there are no samples. */
export function percentile(counts: ArrayLike<number>, total: number, p: number): number {
  if (total === 0) return 0;
  const rank = Math.max(1, Math.ceil((p / 100) * total));
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    seen += counts[i] ?? 0;
    if (seen >= rank) return bucketUpperMs(i);
  }
  return bucketUpperMs(counts.length - 1);
}
