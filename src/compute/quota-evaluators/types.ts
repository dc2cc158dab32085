// The contract every quota evaluator implements (k8s.io/apiserver/pkg/quota/v1 Evaluator, the
// parts admission and usage calculation need). One file per object kind implements it; the
// registry picks one per group-resource.
import type { KubeObject, ResourceList, ScopedResourceSelectorRequirement } from '../../objects/index.ts';

/** Measures what one object of a kind consumes of a ResourceQuota. */
export interface QuotaEvaluator {
  /** The group-resource it evaluates, e.g. `pods` or `deployments.apps`. */
  readonly groupResource: string;
  /** The subset of `names` (a quota's hard resource names) this evaluator tracks. */
  matchingResources(names: readonly string[]): string[];
  /**
   * Whether the object falls in the scope the selector describes. Evaluators without scopes
   * answer false, so a scoped quota never tracks their objects.
   * @throws LabelSelectorError for a PriorityClass selector that is not valid.
   */
  matchesScope(selector: ScopedResourceSelectorRequirement, obj: KubeObject): boolean;
  /** Why the object cannot be admitted under a quota tracking `required`, or undefined. */
  constraints(required: readonly string[], obj: KubeObject): string | undefined;
  /** What the object consumes, by resource name. */
  usage(obj: KubeObject): ResourceList;
}

/** `count/<resource>` for the core group, `count/<resource>.<group>` otherwise. */
export function objectCountResourceName(groupResource: string): string {
  return `count/${groupResource}`;
}
