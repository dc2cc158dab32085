// The evaluators by group-resource. Kinds without a dedicated evaluator get an object-count
// one on first use, as the ResourceQuota admission plugin creates them on demand.
import { objectCountEvaluator } from './object-count.ts';
import { persistentVolumeClaimEvaluator } from './persistent-volume-claims.ts';
import { podEvaluator } from './pods.ts';
import { serviceEvaluator } from './services.ts';
import type { QuotaEvaluator } from './types.ts';

/** The dedicated evaluators; every other kind is counted. */
export const dedicatedEvaluators: readonly QuotaEvaluator[] = [podEvaluator, serviceEvaluator, persistentVolumeClaimEvaluator];

/** Looks up (and creates on demand) the evaluator of a group-resource. Holds its own cache. */
export class EvaluatorRegistry {
  readonly #evaluators = new Map<string, QuotaEvaluator>();

  constructor(evaluators: readonly QuotaEvaluator[] = dedicatedEvaluators) {
    for (const e of evaluators) this.#evaluators.set(e.groupResource, e);
  }

  /** The evaluator of `groupResource` (e.g. `pods`, `deployments.apps`). */
  get(groupResource: string): QuotaEvaluator {
    let e = this.#evaluators.get(groupResource);
    if (!e) {
      e = objectCountEvaluator(groupResource);
      this.#evaluators.set(groupResource, e);
    }
    return e;
  }

  /**
   * Whether the quota controller can measure a hard resource name: one a dedicated or legacy
   * evaluator matches, or any `count/...` name.
   */
  tracks(name: string): boolean {
    if (name.startsWith('count/')) return true;
    if (['configmaps', 'secrets', 'resourcequotas', 'replicationcontrollers'].includes(name)) return true;
    return [...this.#evaluators.values()].some((e) => e.matchingResources([name]).length > 0);
  }
}
