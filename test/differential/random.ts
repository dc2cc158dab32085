// Seeded randomness and the run plan shared by the differential tests: a fixed seed that every
// run replays, plus a fresh one per run (printed, so a failure can be replayed with BERTH_DIFF_SEED).
import { randomInt } from 'node:crypto';

/** A deterministic random source (mulberry32); the same seed gives the same sequence. */
export class Rng {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [lo, hi], both inclusive. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }
}

/** The seed of scenario `index` of a run seeded `runSeed`: any scenario replays on its own. */
export function scenarioSeed(runSeed: number, index: number): number {
  let h = (runSeed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** One batch of scenarios: where its seeds come from and how many. */
export interface SeedPlan {
  readonly label: string;
  readonly runSeed: number;
  readonly count: number;
}

/**
 * The batches of a run: the fixed seed with `BERTH_DIFF_SCENARIOS` (default `fixedCount`)
 * scenarios, then a fresh seed (or `BERTH_DIFF_SEED`) with `BERTH_DIFF_FRESH` (default
 * `freshCount`). `BERTH_DIFF_ONLY=<scenario seed>` replays one scenario alone.
 */
export function seedPlan(fixedSeed: number, fixedCount: number, freshCount: number): readonly SeedPlan[] {
  const env = process.env;
  if (env.BERTH_DIFF_ONLY !== undefined) return [{ label: 'only', runSeed: Number(env.BERTH_DIFF_ONLY), count: 1 }];
  const fresh = env.BERTH_DIFF_SEED !== undefined ? Number(env.BERTH_DIFF_SEED) : randomInt(0, 2 ** 32 - 1);
  return [
    { label: 'fixed', runSeed: fixedSeed, count: Number(env.BERTH_DIFF_SCENARIOS ?? fixedCount) },
    { label: 'fresh', runSeed: fresh, count: Number(env.BERTH_DIFF_FRESH ?? freshCount) },
  ];
}

/** The scenario seeds of a plan, in order; with BERTH_DIFF_ONLY the given seed itself. */
export function scenarioSeeds(plan: SeedPlan): readonly number[] {
  if (plan.label === 'only') return [plan.runSeed];
  return Array.from({ length: plan.count }, (_, i) => scenarioSeed(plan.runSeed, i));
}
