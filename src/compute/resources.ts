// Effective pod requests and limits as k8s.io/component-helpers/resource computes them
// (PodRequests, PodLimits): the larger of the init-container peak and the sum of app containers
// plus restartable (sidecar) init containers, then pod-level resources, then pod overhead.
import {
  addQuantities, type Container, type Pod, type Quantity, type ResourceList, type ResourceRequirements,
} from '../objects/index.ts';
import { addLists, maxLists } from './resource-list.ts';

/** Options of PodRequests/PodLimits that admission uses. */
export interface PodResourcesOptions {
  /** Leave pod overhead out (LimitRanger does). */
  readonly excludeOverhead?: boolean;
  /** Ignore spec.resources (pod-level resources). */
  readonly skipPodLevelResources?: boolean;
}

/** True when the name is a resource pod-level resources may set: cpu, memory, hugepages-*. */
export function isSupportedPodLevelResource(name: string): boolean {
  return name === 'cpu' || name === 'memory' || name.startsWith('hugepages-');
}

function hasSupported(list: ResourceList | undefined): boolean {
  if (!list) return false;
  for (const name in list) if (isSupportedPodLevelResource(name)) return true;
  return false;
}

/** IsPodLevelResourcesSet: spec.resources sets a supported resource in requests or limits. */
export function isPodLevelResourcesSet(pod: Pod): boolean {
  return hasSupported(pod.resources?.requests) || hasSupported(pod.resources?.limits);
}

/** IsPodLevelRequestsSet: spec.resources.requests sets a supported resource. */
export function isPodLevelRequestsSet(pod: Pod): boolean {
  return hasSupported(pod.resources?.requests);
}

/** True for an init container with restartPolicy Always: a sidecar. */
export function isRestartableInitContainer(c: Container): boolean {
  return c.restartPolicy === 'Always';
}

type Pick = (r: ResourceRequirements) => ResourceList | undefined;

const EMPTY: ResourceList = {};

/**
 * The sidecar formula (KEP-753): app containers and sidecars add up; while the i-th regular init
 * container runs, the sidecars started before it run too; the pod needs the larger of the two.
 */
function aggregate(pod: Pod, pick: Pick): ResourceList {
  let result: ResourceList = EMPTY;
  for (const c of pod.containers) result = addLists(result, pick(c.resources) ?? EMPTY);
  if (pod.initContainers.length === 0) return result;
  let sidecars: ResourceList = EMPTY;
  let initPeak: ResourceList = EMPTY;
  for (const c of pod.initContainers) {
    const own = pick(c.resources) ?? EMPTY;
    let inUse: ResourceList;
    if (isRestartableInitContainer(c)) {
      result = addLists(result, own);
      sidecars = addLists(sidecars, own);
      inUse = sidecars;
    } else {
      inUse = addLists(own, sidecars);
    }
    initPeak = maxLists(initPeak, inUse);
  }
  return maxLists(result, initPeak);
}

const pickRequests: Pick = (r) => r.requests;
const pickLimits: Pick = (r) => r.limits;

/** AggregateContainerRequests: the container-level part of PodRequests. */
export function aggregateContainerRequests(pod: Pod): ResourceList {
  return aggregate(pod, pickRequests);
}

/** AggregateContainerLimits: the container-level part of PodLimits. */
export function aggregateContainerLimits(pod: Pod): ResourceList {
  return aggregate(pod, pickLimits);
}

function applyPodLevel(list: ResourceList, podLevel: ResourceList | undefined): ResourceList {
  if (!podLevel) return list;
  const out: Record<string, Quantity> = { ...list };
  for (const name in podLevel) if (isSupportedPodLevelResource(name)) out[name] = podLevel[name];
  return out;
}

/**
 * PodRequests: aggregated container requests, overridden by pod-level requests for supported
 * resources when any are set, plus pod overhead unless excluded. Spec only: status resources
 * of running pods (in-place resize) are not considered.
 */
export function podRequests(pod: Pod, opts: PodResourcesOptions = {}): ResourceList {
  let reqs = aggregateContainerRequests(pod);
  if (!opts.skipPodLevelResources && isPodLevelRequestsSet(pod)) reqs = applyPodLevel(reqs, pod.resources?.requests);
  if (!opts.excludeOverhead && pod.overhead) reqs = addLists(reqs, pod.overhead);
  return reqs;
}

/**
 * PodLimits: aggregated container limits, overridden by pod-level limits for supported
 * resources when pod-level resources are set, plus overhead on limits that are set and non-zero.
 */
export function podLimits(pod: Pod, opts: PodResourcesOptions = {}): ResourceList {
  let limits = aggregateContainerLimits(pod);
  if (!opts.skipPodLevelResources && isPodLevelResourcesSet(pod)) limits = applyPodLevel(limits, pod.resources?.limits);
  if (!opts.excludeOverhead && pod.overhead) {
    const out: Record<string, Quantity> = { ...limits };
    for (const name in pod.overhead) {
      const value = out[name];
      if (value !== undefined && value.nanos !== 0n) out[name] = addQuantities(value, pod.overhead[name]);
    }
    limits = out;
  }
  return limits;
}
