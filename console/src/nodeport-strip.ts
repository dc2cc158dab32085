// The NodePort strip of a cluster's page: the map's runs of ports in one state turned into bar
// segments whose widths add up to 100%, with a floor so a single reserved port in a range of
// thousands is still something the eye (and the pointer, for its tooltip) can find.
import type { PortState, StripRun } from '../../src/tenancy/index.ts';

/** One drawn piece of the strip. */
export interface StripSegment {
  readonly from: number;
  readonly to: number;
  readonly state: PortState;
  /** Ports in the run. */
  readonly count: number;
  /** Width in percent of the bar; all segments together make 100 (up to rounding of floats). */
  readonly percent: number;
}

/** The states in the order the legend shows them. */
export const portStates: readonly PortState[] = ['free', 'used', 'allocated', 'reserved', 'conflict'];

/**
 * Turns runs into segments proportional to their length, each at least `minPercent` wide (default
 * 0.5): the width the small ones gain is taken from the larger ones in proportion to what they have
 * above the floor, so the total stays 100. When every run would need the floor (more runs than
 * 100 / minPercent), the widths are plain proportions. An empty strip gives no segments.
 */
export function stripSegments(runs: readonly StripRun[], minPercent = 0.5): StripSegment[] {
  const counts = runs.map((r) => Math.max(0, r.to - r.from + 1));
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return [];
  let widths = counts.map((c) => (c / total) * 100);
  if (minPercent > 0 && minPercent * runs.length < 100) {
    const small = widths.map((w) => w < minPercent);
    const need = widths.reduce((n, w, i) => n + (small[i] ? minPercent - w : 0), 0);
    const spare = widths.reduce((n, w, i) => n + (small[i] ? 0 : w - minPercent), 0);
    // One pass suffices: the large ones lose a share of what they hold above the floor, never more.
    if (need > 0 && spare > 0) widths = widths.map((w, i) => (small[i] ? minPercent : w - ((w - minPercent) / spare) * need));
  }
  return runs.map((r, i) => ({ from: r.from, to: r.to, state: r.state, count: counts[i], percent: widths[i] }));
}

/** `30080` or `30080-30090`, as the API writes port spans. */
export function segmentPorts(s: Pick<StripSegment, 'from' | 'to'>): string {
  return s.from === s.to ? String(s.from) : `${s.from}-${s.to}`;
}
