// ResourceQuota admission (k8s.io/apiserver/pkg/admission/plugin/resourcequota CheckRequest)
// and usage as the quota controller measures it (quota.CalculateUsage). The per-kind knowledge
// lives in the evaluators; this file holds the rules common to all kinds.
import {
  addLists, lessThanOrEqual, maskList, negativeKeys, prettyPrintList, removeZeros, subtractNonNegative, zeroList,
} from './resource-list.ts';
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

/**
 * Why CheckRequest refused, before it is worded: a quota's scopes could not be matched, a quota's
 * constraints failed ("must specify"), the object's usage is negative, or a quota would be
 * exceeded (`requested`, `used` and `limited` hold only the exceeded resources).
 */
export type QuotaRefusal =
  | { readonly reason: 'ScopeError'; readonly quota: string; readonly detail: string }
  | { readonly reason: 'FailedQuota'; readonly quota: string; readonly detail: string }
  | { readonly reason: 'NegativeUsage'; readonly resources: readonly string[] }
  | {
    readonly reason: 'ExceededQuota'; readonly quota: string;
    readonly requested: ResourceList; readonly used: ResourceList; readonly limited: ResourceList;
  };

/** {@link evaluateQuotas}'s answer: the quotas with their new usage, or the first refusal. */
export type QuotaEvaluation =
  | { readonly allowed: true; readonly quotas: readonly QuotaUsage[] }
  | { readonly allowed: false; readonly refusal: QuotaRefusal };

/**
 * The admission request being checked: a create (no `old`), or an update of the stored object
 * `old`, of the object itself or of a `subresource`.
 */
export interface QuotaRequest {
  readonly old?: KubeObject;
  readonly subresource?: string;
}

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
 * What a request charges one quota (CheckRequest): the object's usage; for an update of an
 * object the quota already counted (the old object matches it), what the new object adds to the
 * old one, resource by resource and never below zero. Zero quantities are dropped: they cannot
 * exceed anything, even a quota already over its limit. `usage` is the object's usage when the
 * caller has it already.
 */
export function requestDelta(evaluator: QuotaEvaluator, quota: ResourceQuota, obj: KubeObject, request: QuotaRequest = {}, usage = evaluator.usage(obj)): ResourceList {
  if (request.old === undefined || !quotaMatches(evaluator, quota, request.old)) return removeZeros(usage);
  return removeZeros(subtractNonNegative(usage, evaluator.usage(request.old)));
}

/** Each limits object's names an evaluator constrains, as last computed (memoized: they depend on the arguments only). */
const matching = new WeakMap<ResourceList, { readonly evaluator: QuotaEvaluator; readonly names: readonly string[] }>();

function matchingOf(evaluator: QuotaEvaluator, hard: ResourceList): readonly string[] {
  const known = matching.get(hard);
  if (known !== undefined && known.evaluator === evaluator) return known.names;
  const names = evaluator.matchingResources(Object.keys(hard));
  matching.set(hard, { evaluator, names });
  return names;
}

/**
 * CheckRequest: each matching quota's constraints in order, the object's usage (never
 * negative), then for each matching quota the delta ({@link requestDelta}) restricted to its
 * hard resources must keep every one of them within its limit. All quotas must allow; then each
 * returns with its usage plus its delta. A `status` subresource update is charged but never
 * refused, as kube-apiserver does. Pure; throws only what the evaluators throw (never a
 * LabelSelectorError, which becomes a ScopeError refusal).
 */
export function evaluateQuotas(
  evaluator: QuotaEvaluator, quotas: readonly QuotaUsage[], obj: KubeObject, request: QuotaRequest = {},
): QuotaEvaluation {
  const interesting: number[] = [];
  for (let i = 0; i < quotas.length; i++) {
    const { quota } = quotas[i];
    let match: boolean;
    try {
      match = quotaMatches(evaluator, quota, obj);
    } catch (err) {
      if (err instanceof LabelSelectorError) return { allowed: false, refusal: { reason: 'ScopeError', quota: quota.metadata.name, detail: err.message } };
      throw err;
    }
    if (!match) continue;
    const restricted = matchingOf(evaluator, quota.hard);
    const violation = evaluator.constraints(restricted, obj);
    if (violation) return { allowed: false, refusal: { reason: 'FailedQuota', quota: quota.metadata.name, detail: violation } };
    interesting.push(i);
  }
  // The object's usage, computed once for the sign check and every quota's delta.
  const usage = evaluator.usage(obj);
  const negative = negativeKeys(usage);
  if (negative.length > 0) return { allowed: false, refusal: { reason: 'NegativeUsage', resources: negative } };

  const out = [...quotas];
  for (const i of interesting) {
    const { quota, used } = quotas[i];
    const delta = requestDelta(evaluator, quota, obj, request, usage);
    if (Object.keys(delta).length === 0) continue;
    const requested = maskList(delta, Object.keys(quota.hard));
    const newUsage = addLists(used, requested);
    const { ok, exceeded } = lessThanOrEqual(maskList(newUsage, Object.keys(requested)), quota.hard);
    if (!ok && request.subresource !== 'status') {
      return {
        allowed: false,
        refusal: {
          reason: 'ExceededQuota', quota: quota.metadata.name,
          requested: maskList(requested, exceeded), used: maskList(used, exceeded), limited: maskList(quota.hard, exceeded),
        },
      };
    }
    out[i] = { quota, used: newUsage };
  }
  return { allowed: true, quotas: out };
}

/**
 * A refusal in kube-apiserver's words, where `noun` names what was exceeded: `quota` for a
 * namespace's ResourceQuota (`exceeded quota: compute, requested: ...`), something else for
 * limits that are not a ResourceQuota (`exceeded tenant quota: team-a, ...`). Without the
 * `<resource> "<name>" is forbidden: ` prefix.
 */
export function quotaRefusalMessage(refusal: QuotaRefusal, noun = 'quota'): string {
  switch (refusal.reason) {
    case 'ScopeError': return `error matching scopes of ${noun} ${refusal.quota}, err: ${refusal.detail}`;
    case 'FailedQuota': return `failed ${noun}: ${refusal.quota}: ${refusal.detail}`;
    case 'NegativeUsage': return `quota usage is negative for resource(s): ${refusal.resources.join(',')}`;
    case 'ExceededQuota':
      return `exceeded ${noun}: ${refusal.quota}, requested: ${prettyPrintList(refusal.requested)}, `
        + `used: ${prettyPrintList(refusal.used)}, limited: ${prettyPrintList(refusal.limited)}`;
  }
}

/**
 * A namespace's ResourceQuota admission of one create or update ({@link evaluateQuotas}),
 * refusals worded as kube-apiserver words them, without the `<resource> "<name>" is forbidden: `
 * prefix, which the caller adds.
 */
export function checkQuotas(evaluator: QuotaEvaluator, quotas: readonly QuotaUsage[], obj: KubeObject, request: QuotaRequest = {}): QuotaDecision {
  const evaluation = evaluateQuotas(evaluator, quotas, obj, request);
  return evaluation.allowed ? evaluation : { allowed: false, message: quotaRefusalMessage(evaluation.refusal) };
}
