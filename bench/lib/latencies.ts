/**
 * Every response time of a run, at full resolution. autocannon's own histogram keeps whole
 * milliseconds, too coarse for targets of a few milliseconds, so the bench records the
 * float times autocannon reports per response and takes exact nearest-rank percentiles.
 */
export class Latencies {
  private values = new Float64Array(1 << 18);
  private n = 0;

  add(ms: number): void {
    if (this.n === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.n++] = ms;
  }

  get count(): number {
    return this.n;
  }

  /** Percentiles (0..100) by nearest rank; NaN without samples. */
  percentiles(...ps: number[]): number[] {
    const sorted = this.values.slice(0, this.n).sort();
    return ps.map((p) =>
      this.n === 0 ? Number.NaN : sorted[Math.max(1, Math.ceil((p / 100) * this.n)) - 1]!,
    );
  }
}
