// ResourceQuota admission (k8s.io/apiserver/pkg/admission/plugin/resourcequota CheckRequest)
// and usage as the quota controller measures it (quota.CalculateUsage). The per-kind knowledge
// lives in the evaluators; this file holds the rules common to all kinds.
import { addLists, isZeroList, lessThanOrEqual, maskList, negativeKeys, prettyPrintList, zeroList } from './resource-list.ts';
import {
  type KubeObject, LabelSelectorError, type ResourceList, type ResourceQuota, type ScopedResourceSelectorRequirement,
} from '../objects/index.ts';
import type { QuotaEvaluator } from './quota-evaluators/types.ts';
import type { EvaluatorRegistry } from './quota-evaluators/registry.ts';

/** A quota with the usage admission checks against (what status.used would hold). */
export interface QuotaUsage {
  readonly quota: ResourceQuota;
  readonly used: ResourceList;
}

/** The outcome of checking one object against a namespace's quotas. */
export type QuotaDecision =
  | { readonly allowed: true; readonly quotas: readonly QuotaUsage[] }
  | { readonly allowed: false; readonly message: string };

/** getScopeSelectorsFromQuota: spec.scopes as Exists requirements, then spec.scopeSelector. */
export function quotaScopeSelectors(quota: ResourceQuota): ScopedResourceSelectorRequirement[] {
  return [...quota.scopes.map((scopeName) => ({ scopeName, operator: 'Exists' })), ...quota.scopeSelector];
}

/** Whether the object falls in every scope of the quota (no scopes: always). */
export function matchesScopes(evaluator: QuotaEvaluator, quota: ResourceQuota, obj: KubeObject): boolean {
  return quotaScopeSelectors(quota).every((s) => evaluator.matchesScope(s, obj));
}

/** generic.Matches: the evaluator tracks one of the quota's hard resources and the object is in scope. */
export function quotaMatches(evaluator: QuotaEvaluator, quota: ResourceQuota, obj: KubeObject): boolean {
  return evaluator.matchingResources(Object.keys(quota.hard)).length > 0 && matchesScopes(evaluator, quota, obj);
}

/**
 * The starting usage of a quota: zero for every hard resource the controller can measure, then
 * `status.used` where the manifest carries it (admission trusts status.used).
 */
export function initialUsage(quota: ResourceQuota, registry: EvaluatorRegistry): ResourceList {
  const tracked = Object.keys(quota.hard).filter((n) => registry.tracks(n));
  return { ...zeroList(tracked), ...maskList(quota.statusUsed ?? {}, tracked) };
}

/**
 * What an existing object adds to a quota's measured usage (CalculateUsageStats): its usage
 * restricted to the quota's tracked names, when it is in the quota's scopes; names already
 * given by status.used are left as reported.
 */
export function chargeExisting(usage: QuotaUsage, evaluator: QuotaEvaluator, obj: KubeObject): QuotaUsage {
  const names = evaluator.matchingResources(Object.keys(usage.used)).filter((n) => usage.quota.statusUsed?.[n] === undefined);
  if (names.length === 0 || !matchesScopes(evaluator, usage.quota, obj)) return usage;
  return { quota: usage.quota, used: addLists(usage.used, maskList(evaluator.usage(obj), names)) };
}

/**
 * CheckRequest for a create: each matching quota's constraints in order ("failed quota"), the
 * object's usage (never negative), then each matching quota must hold the new total for every
 * resource the object requests ("exceeded quota", naming only the exceeded resources). All
 * quotas must allow; then each returns with its new usage. Messages omit the
 * `<resource> "<name>" is forbidden: ` prefix, which the caller adds.
 */
export function checkQuotas(evaluator: QuotaEvaluator, quotas: readonly QuotaUsage[], obj: KubeObject): QuotaDecision {
  const interesting: number[] = [];
  for (let i = 0; i < quotas.length; i++) {
    const { quota } = quotas[i];
    let match: boolean;
    try {
      match = quotaMatches(evaluator, quota, obj);
    } catch (err) {
      if (err instanceof LabelSelectorError) return { allowed: false, message: `error matching scopes of quota ${quota.metadata.name}, err: ${err.message}` };
      throw err;
    }
    if (!match) continue;
    const restricted = evaluator.matchingResources(Object.keys(quota.hard));
    const violation = evaluator.constraints(restricted, obj);
    if (violation) return { allowed: false, message: `failed quota: ${quota.metadata.name}: ${violation}` };
    interesting.push(i);
  }
  const delta = evaluator.usage(obj);
  const negative = negativeKeys(delta);
  if (negative.length > 0) return { allowed: false, message: `quota usage is negative for resource(s): ${negative.join(',')}` };
  if (isZeroList(delta) || interesting.length === 0) return { allowed: true, quotas };

  const out = [...quotas];
  for (const i of interesting) {
    const { quota, used } = quotas[i];
    const requested = maskList(delta, Object.keys(quota.hard));
    const newUsage = addLists(used, requested);
    const { ok, exceeded } = lessThanOrEqual(maskList(newUsage, Object.keys(requested)), quota.hard);
    if (!ok) {
      return {
        allowed: false,
        message: `exceeded quota: ${quota.metadata.name}, requested: ${prettyPrintList(maskList(requested, exceeded))}, `
          + `used: ${prettyPrintList(maskList(used, exceeded))}, limited: ${prettyPrintList(maskList(quota.hard, exceeded))}`,
      };
    }
    out[i] = { quota, used: newUsage };
  }
  return { allowed: true, quotas: out };
}
