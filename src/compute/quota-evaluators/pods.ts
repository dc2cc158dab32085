// pkg/quota/v1/evaluator/core/pods.go: what a pod consumes (its effective requests and limits
// as cpu/memory/ephemeral-storage, requests.*, limits.*, hugepages and extended resources, and
// one `pods`), which scopes it falls in, and the old rule that a quota on cpu or memory makes
// every container state that resource.
import {
  type KubeObject, newQuantity, type Pod, type Quantity, type ResourceList, type ScopedResourceSelectorRequirement,
} from '../../objects/index.ts';
import { addLists } from '../resource-list.ts';
import { isPodLevelResourcesSet, podLimits, podRequests } from '../resources.ts';
import { getPodQos } from '../qos.ts';
import { scopeSelectorAsSelector } from './scope-selector.ts';
import { objectCountResourceName, type QuotaEvaluator } from './types.ts';

const countName = objectCountResourceName('pods');

const podResources: ReadonlySet<string> = new Set([
  countName, 'cpu', 'memory', 'ephemeral-storage', 'requests.cpu', 'requests.memory', 'requests.ephemeral-storage',
  'limits.cpu', 'limits.memory', 'limits.ephemeral-storage', 'pods',
]);

// Upstream calls this a mistake it keeps for compatibility: only these make containers declare.
const validationSet: ReadonlySet<string> = new Set(['cpu', 'memory', 'requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory']);

const REQUESTS_PREFIX = 'requests.';
const DEVICE_CLASS_PREFIX = 'requests.deviceclass.resource.kubernetes.io/';

/** IsNativeResource: no domain, or a kubernetes.io domain. */
function isNativeResource(name: string): boolean {
  return !name.includes('/') || name.includes('kubernetes.io/');
}

/** An extended resource a pod may request (e.g. example.com/gpu), charged as requests.<name>. */
function isExtendedResourceName(name: string): boolean {
  return !isNativeResource(name) && !name.startsWith(REQUESTS_PREFIX);
}

function isExtendedResourceNameForQuota(name: string): boolean {
  return (!isNativeResource(name) || name.startsWith(DEVICE_CLASS_PREFIX)) && name.startsWith(REQUESTS_PREFIX);
}

/** podComputeUsageHelper: the quota names a set of requests and limits charge. */
export function podComputeUsage(requests: ResourceList, limits: ResourceList): ResourceList {
  const out: Record<string, Quantity> = { pods: newQuantity(1) };
  for (const r of ['cpu', 'memory', 'ephemeral-storage']) {
    const req = requests[r];
    if (req !== undefined) {
      out[r] = req;
      out[`requests.${r}`] = req;
    }
    const lim = limits[r];
    if (lim !== undefined) out[`limits.${r}`] = lim;
  }
  for (const name in requests) {
    if (name.startsWith('hugepages-')) {
      out[name] = requests[name];
      out[REQUESTS_PREFIX + name] = requests[name];
    }
    if (isExtendedResourceName(name)) out[REQUESTS_PREFIX + name] = requests[name];
  }
  return out;
}

/** IsTerminating: an activeDeadlineSeconds of zero or more. */
export function isTerminating(pod: Pod): boolean {
  return pod.activeDeadlineSeconds !== undefined && pod.activeDeadlineSeconds >= 0;
}

/** QuotaV1Pod: terminal pods (Succeeded, Failed) are no longer charged for compute. */
export function chargesCompute(pod: Pod): boolean {
  return pod.phase !== 'Succeeded' && pod.phase !== 'Failed';
}

function priorityClassMatches(pod: Pod, selector: ScopedResourceSelectorRequirement): boolean {
  if (selector.operator === 'Exists') return pod.priorityClassName !== undefined;
  return scopeSelectorAsSelector(selector).matches(pod.priorityClassName !== undefined ? { PriorityClass: pod.priorityClassName } : undefined);
}

/** The Pod evaluator. */
export const podEvaluator = {
  groupResource: 'pods',
  matchingResources(input: readonly string[]): string[] {
    return input.filter((n) => podResources.has(n) || n.startsWith('hugepages-') || n.startsWith('requests.hugepages-') || isExtendedResourceNameForQuota(n));
  },
  matchesScope(selector: ScopedResourceSelectorRequirement, obj: KubeObject): boolean {
    if (obj.kind !== 'Pod') return false;
    switch (selector.scopeName) {
      case 'Terminating': return isTerminating(obj);
      case 'NotTerminating': return !isTerminating(obj);
      case 'BestEffort': return getPodQos(obj) === 'BestEffort';
      case 'NotBestEffort': return getPodQos(obj) !== 'BestEffort';
      case 'PriorityClass': return priorityClassMatches(obj, selector);
      case 'CrossNamespacePodAffinity': return obj.crossNamespaceAffinity;
      default: return false;
    }
  },
  constraints(required: readonly string[], obj: KubeObject): string | undefined {
    if (obj.kind !== 'Pod') return undefined;
    // With pod-level resources, containers need not declare anything (KEP-2837).
    if (isPodLevelResourcesSet(obj)) return undefined;
    const requiredSet = required.filter((r) => validationSet.has(r));
    if (requiredSet.length === 0) return undefined;
    const missing = new Map<string, Set<string>>();
    for (const c of [...obj.containers, ...obj.initContainers]) {
      const usage = podComputeUsage(c.resources.requests ?? {}, c.resources.limits ?? {});
      for (const r of requiredSet) {
        if (usage[r] !== undefined) continue;
        const names = missing.get(r) ?? new Set<string>();
        names.add(c.name);
        missing.set(r, names);
      }
    }
    if (missing.size === 0) return undefined;
    const parts = [...missing.keys()].sort().map((r) => `${r} for: ${[...missing.get(r)!].sort().join(',')}`);
    return `must specify ${parts.join('; ')}`;
  },
  usage(obj: KubeObject): ResourceList {
    if (obj.kind !== 'Pod') return {};
    const count: ResourceList = { [countName]: newQuantity(1) };
    if (!chargesCompute(obj)) return count;
    return addLists(count, podComputeUsage(podRequests(obj), podLimits(obj)));
  },
} satisfies QuotaEvaluator;
