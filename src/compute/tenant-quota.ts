// The tenant-wide quota: one set of hard limits (ResourceQuota resource names) over every
// namespace of a tenant in every cluster. The decision is the namespace ResourceQuota's
// (evaluateQuotas in quota.ts, with the same evaluators), applied to one unscoped quota named
// after the tenant whose usage is the tenant's sum; only the wording names the tenant. Pure: the
// caller brings the usage (watched objects plus outstanding reservations) and takes the
// reservation atomically.
import { groupResourceString, type KubeObject, type ResourceList, type ResourceQuota } from '../objects/index.ts';
import { addLists, maskList, removeZeros, subtractLists, zeroList } from './resource-list.ts';
import { chargeExisting, evaluateQuotas, quotaRefusalMessage, type QuotaRefusal, type QuotaRequest } from './quota.ts';
import type { EvaluatorRegistry } from './quota-evaluators/registry.ts';

/** One create or update in one of the tenant's namespaces, with what the tenant has and uses. */
export interface TenantQuotaRequest extends QuotaRequest {
  /** The tenant's name, quoted in refusals. */
  readonly tenant: string;
  /** The tenant's hard limits, by ResourceQuota resource name (`requests.cpu`, `pods`, `count/...`). */
  readonly hard: ResourceList;
  /**
   * What the tenant uses now: the sum over all its namespaces in all clusters plus outstanding
   * reservations ({@link sumUsage}). Missing names count as zero.
   */
  readonly used: ResourceList;
  /** The object as the API server would store it (after mutating admission). */
  readonly object: KubeObject;
}

/** The tenant-quota answer for one request. */
export type TenantQuotaDecision =
  | {
    readonly allowed: true;
    /**
     * What to reserve for this request, by hard resource name (empty when nothing the tenant
     * limits changes): add it to the tenant's usage atomically before answering.
     */
    readonly reserve: ResourceList;
  }
  | {
    readonly allowed: false;
    /** In kube-apiserver's words: `pods "web-1" is forbidden: exceeded tenant quota: team-a, requested: ...`. */
    readonly message: string;
    readonly refusal: QuotaRefusal;
  };

/** The word refusals use for the tenant's limits, where a ResourceQuota's say `quota`. */
export const TENANT_QUOTA_NOUN = 'tenant quota';

/** The tenant's limits as an unscoped ResourceQuota named after the tenant. */
function tenantAsQuota(tenant: string, hard: ResourceList): ResourceQuota {
  return {
    kind: 'ResourceQuota',
    type: { group: '', kind: 'ResourceQuota', resource: 'resourcequotas', namespaced: true },
    metadata: { name: tenant },
    raw: { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: tenant } },
    hard,
    scopes: [],
    scopeSelector: [],
  };
}

/** What every decision on one tenant's limits derives from them alone. */
interface Derived {
  readonly registry: EvaluatorRegistry;
  readonly tenant: string;
  readonly hardNames: readonly string[];
  /** Zero for each hard name the registry can measure. */
  readonly zero: ResourceList;
  readonly quota: ResourceQuota;
}

/**
 * The last derivation for each limits object: callers keep one `hard` object per tenant quota,
 * so each admission of the tenant reuses it (memoized: the result depends on the arguments only).
 */
const derived = new WeakMap<ResourceList, Derived>();

function derivedOf(registry: EvaluatorRegistry, tenant: string, hard: ResourceList): Derived {
  const known = derived.get(hard);
  if (known !== undefined && known.registry === registry && known.tenant === tenant) return known;
  const hardNames = Object.keys(hard);
  const d: Derived = { registry, tenant, hardNames, zero: zeroList(hardNames.filter((n) => registry.tracks(n))), quota: tenantAsQuota(tenant, hard) };
  derived.set(hard, d);
  return d;
}

/**
 * Whether the tenant's quota admits the request, as ResourceQuota admission decides for one
 * unscoped quota: its constraints (a tenant limiting `limits.cpu` makes every container state
 * one: `failed tenant quota: ...`), the object's usage (never negative), then what the request
 * adds (for an update only the increase over the old object, per resource; zeros ignored)
 * restricted to the tenant's hard names must keep each within its limit. Resources the tenant
 * does not limit are ignored. Several exceeded resources are listed sorted by name, as kube
 * does. A `status` subresource update is never refused. Pure and deterministic.
 */
export function decideTenantQuota(registry: EvaluatorRegistry, request: TenantQuotaRequest): TenantQuotaDecision {
  const { object } = request;
  const gr = groupResourceString(object.type);
  const evaluator = registry.get(gr);
  const { hardNames, zero, quota } = derivedOf(registry, request.tenant, request.hard);
  const used = { ...zero, ...maskList(request.used, hardNames) };
  const evaluation = evaluateQuotas(evaluator, [{ quota, used }], object, request);
  if (!evaluation.allowed) {
    const name = object.metadata.name || object.metadata.generateName || '';
    return {
      allowed: false,
      message: `${gr} "${name}" is forbidden: ${quotaRefusalMessage(evaluation.refusal, TENANT_QUOTA_NOUN)}`,
      refusal: evaluation.refusal,
    };
  }
  return { allowed: true, reserve: removeZeros(subtractLists(evaluation.quotas[0].used, used)) };
}

/**
 * What one namespace's objects use of the tenant's hard names, as the quota controller counts a
 * quota (CalculateUsage): zero for each name it can measure, plus each object's usage (terminal
 * pods no longer charge compute; a claim charges the larger of its request and its allocation).
 */
export function namespaceUsage(registry: EvaluatorRegistry, hard: ResourceList, objects: Iterable<KubeObject>): ResourceList {
  let usage = { quota: tenantAsQuota('', hard), used: zeroList(Object.keys(hard).filter((n) => registry.tracks(n))) };
  for (const obj of objects) usage = chargeExisting(usage, registry.get(groupResourceString(obj.type)), obj);
  return usage.used;
}

/**
 * The tenant's usage: the sum of its namespaces' usages (from every cluster) and of its
 * outstanding reservations, resource by resource. Order does not matter; an empty input is {}.
 */
export function sumUsage(usages: Iterable<ResourceList>): ResourceList {
  let total: ResourceList = {};
  for (const u of usages) total = addLists(total, u);
  return total;
}
