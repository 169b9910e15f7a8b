import { DEFAULT_TERMS, type RuleVersion, type Terms, termsOf } from './rules.service.ts';

/** A stretch of a bill's period during which one project's work is paid by one set of terms. */
export interface Segment {
  projectId: number;
  /** Position of the segment in the bill (joins SQL aggregates back to it). */
  seg: number;
  terms: Terms;
  from: Date;
  to: Date;
}

export interface ScopedVersion {
  version: RuleVersion;
  /** The rule's project; null for the tenant-wide rule. */
  projectId: number | null;
}

/**
 * The terms in force at `at` for a project: the latest approved version (by effective
 * time) of the project's own rule that has begun, else of the tenant-wide rule, else the
 * built-in defaults.
 */
export function termsAt(at: Date, projectId: number, versions: ScopedVersion[]): Terms {
  const latest = (scope: number | null) => {
    let found: RuleVersion | undefined;
    for (const v of versions) {
      if (v.projectId !== scope || v.version.effectiveFrom.getTime() > at.getTime()) continue;
      const f = found;
      if (
        !f ||
        v.version.effectiveFrom.getTime() > f.effectiveFrom.getTime() ||
        (v.version.effectiveFrom.getTime() === f.effectiveFrom.getTime() && v.version.id > f.id)
      )
        found = v.version;
    }
    return found;
  };
  const v = latest(projectId) ?? latest(null);
  return v ? termsOf(v) : DEFAULT_TERMS;
}

/**
 * Splits [start, end) for one project at every version change, so work is paid by the
 * version in force when it was done (a mid-month change splits the month).
 */
export function projectSegments(
  projectId: number,
  start: Date,
  end: Date,
  versions: ScopedVersion[],
  firstSeg: number,
): Segment[] {
  const cuts = new Set<number>([start.getTime()]);
  for (const v of versions) {
    const t = v.version.effectiveFrom.getTime();
    if ((v.projectId === null || v.projectId === projectId) && t > start.getTime() && t < end.getTime())
      cuts.add(t);
  }
  const times = [...cuts].sort((a, b) => a - b);
  const out: Segment[] = [];
  times.forEach((t, i) => {
    const terms = termsAt(new Date(t), projectId, versions);
    const to = new Date(times[i + 1] ?? end.getTime());
    const last = out.at(-1);
    if (last && last.terms.versionId === terms.versionId) last.to = to;
    else out.push({ projectId, seg: firstSeg + out.length, terms, from: new Date(t), to });
  });
  return out;
}
