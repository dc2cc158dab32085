// The loop every differential test shares: generate a scenario per seed, play it against the
// real cluster and Berth's core, shrink a disagreement to a minimal reproduction, report.
import type { TestContext } from 'node:test';
import { Rng, scenarioSeeds, seedPlan } from './random.ts';

/** Where the real cluster and Berth's core answered differently. */
export interface Disagreement {
  /** Index of the step (in the scenario's step list) that disagreed. */
  readonly step: number;
  readonly kube: unknown;
  readonly berth: unknown;
}

/** A scenario family: how to make one from a random source and how to play it. */
export interface Family<S> {
  /** Makes a random valid scenario; a pure function of the random source. */
  readonly generate: (rng: Rng) => S;
  /** Plays the scenario against the cluster and the core; the first disagreement, if any. */
  readonly play: (scenario: S) => Promise<Disagreement | undefined>;
  /**
   * Smaller scenarios to try when `scenario` disagreed at `step`, most promising first
   * (for instance the steps up to `step`, then that with one earlier step left out).
   */
  readonly shrink?: (scenario: S, step: number) => readonly S[];
}

/** Counts of outcomes, to show what the scenarios covered. */
export type Tally = Map<string, number>;

/** Counts one outcome. */
export function count(tally: Tally, key: string): void {
  tally.set(key, (tally.get(key) ?? 0) + 1);
}

/** A failing scenario's seed and its minimal reproduction. */
export interface Failure<S> {
  readonly seed: number;
  readonly scenario: S;
  readonly disagreement: Disagreement;
}

async function minimize<S>(family: Family<S>, scenario: S, found: Disagreement): Promise<{ scenario: S; disagreement: Disagreement }> {
  let best = { scenario, disagreement: found };
  // Each accepted candidate restarts the search from it; at most a bounded number of replays.
  for (let budget = 200; budget > 0 && family.shrink !== undefined;) {
    let improved = false;
    for (const candidate of family.shrink(best.scenario, best.disagreement.step)) {
      if (--budget <= 0) break;
      const d = await family.play(candidate);
      if (d !== undefined) {
        best = { scenario: candidate, disagreement: d };
        improved = true;
        break;
      }
    }
    if (!improved) break;
  }
  return best;
}

/**
 * Runs the family over the seed plan (fixed seed, then a fresh printed one). Returns the
 * failures, each minimized; prints the seeds, counts and timings through `t.diagnostic`.
 */
export async function runFamily<S>(
  t: TestContext,
  name: string,
  family: Family<S>,
  plan: { readonly fixedSeed: number; readonly fixedCount: number; readonly freshCount: number },
): Promise<readonly Failure<S>[]> {
  const failures: Failure<S>[] = [];
  for (const batch of seedPlan(plan.fixedSeed, plan.fixedCount, plan.freshCount)) {
    const began = Date.now();
    const seeds = scenarioSeeds(batch);
    t.diagnostic(`${name}: ${batch.label} run seed ${batch.runSeed} (BERTH_DIFF_SEED=${batch.runSeed} replays it), ${seeds.length} scenarios`);
    for (const seed of seeds) {
      const scenario = family.generate(new Rng(seed));
      const d = await family.play(scenario);
      if (d === undefined) continue;
      const minimal = await minimize(family, scenario, d);
      failures.push({ seed, ...minimal });
      process.stderr.write(`${name}: DISAGREEMENT, scenario seed ${seed} (BERTH_DIFF_ONLY=${seed} replays it)\n${formatFailure({ seed, ...minimal })}\n`);
    }
    t.diagnostic(`${name}: ${batch.label} batch took ${Date.now() - began} ms`);
  }
  return failures;
}

/** A failure as people read it: the seed, the minimal scenario, and both answers. */
export function formatFailure<S>(f: Failure<S>): string {
  return [
    `seed ${f.seed}, minimal reproduction (disagreeing step ${f.disagreement.step}):`,
    JSON.stringify(f.scenario, null, 2),
    `kube:  ${JSON.stringify(f.disagreement.kube)}`,
    `berth: ${JSON.stringify(f.disagreement.berth)}`,
  ].join('\n');
}
