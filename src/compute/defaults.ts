// API defaulting that runs when kube-apiserver decodes an object, before any admission plugin
// (pkg/apis/core/v1/defaults.go): a container's missing requests take its limits; pod-level
// requests are filled in when pod-level limits are set; a LimitRange's Container item gets its
// default limit from max and its default request from the default limit, then from min.
import { aggregateContainerRequests, isSupportedPodLevelResource } from './resources.ts';
import type { Quantity } from './quantity.ts';
import type { Container, LimitRange, LimitRangeItem, Pod, ResourceList } from './model.ts';

function fillMissing(target: ResourceList | undefined, source: ResourceList | undefined): ResourceList | undefined {
  if (!source) return target;
  let out: Record<string, Quantity> | undefined;
  for (const name in source) {
    if (target && target[name] !== undefined) continue;
    out ??= { ...target };
    out[name] = source[name];
  }
  return out ?? target ?? {};
}

function defaultContainer(c: Container): Container {
  if (!c.resources.limits) return c;
  const requests = fillMissing(c.resources.requests, c.resources.limits);
  return requests === c.resources.requests ? c : { ...c, resources: { ...c.resources, requests } };
}

/**
 * SetDefaults_Pod for resources: each container (and init container) with limits gets requests
 * for the limited resources it did not request. With pod-level limits set, pod-level requests
 * default to the containers' effective requests for cpu and memory, then to the pod-level limits.
 */
export function defaultPodResources(pod: Pod): Pod {
  const containers = pod.containers.map(defaultContainer);
  const initContainers = pod.initContainers.map(defaultContainer);
  let next: Pod = { ...pod, containers, initContainers };
  const podLimits = pod.resources?.limits;
  if (pod.resources && podLimits && Object.keys(podLimits).length > 0) {
    const requests: Record<string, Quantity> = { ...pod.resources.requests };
    const aggregated = aggregateContainerRequests(next);
    for (const name in aggregated) {
      // Hugepages cannot be overcommitted: their pod-level request follows the limit below.
      if (requests[name] === undefined && isSupportedPodLevelResource(name) && !name.startsWith('hugepages-')) requests[name] = aggregated[name];
    }
    for (const name in podLimits) {
      if (requests[name] === undefined && isSupportedPodLevelResource(name)) requests[name] = podLimits[name];
    }
    if (Object.keys(requests).length > 0) next = { ...next, resources: { ...pod.resources, requests } };
  }
  return next;
}

function defaultLimitRangeItem(item: LimitRangeItem): LimitRangeItem {
  if (item.type !== 'Container') return item;
  const defaults: Record<string, Quantity> = { ...item.default };
  for (const name in item.max) if (defaults[name] === undefined) defaults[name] = item.max[name];
  const defaultRequest: Record<string, Quantity> = { ...item.defaultRequest };
  for (const name in defaults) if (defaultRequest[name] === undefined) defaultRequest[name] = defaults[name];
  for (const name in item.min) if (defaultRequest[name] === undefined) defaultRequest[name] = item.min[name];
  return { ...item, default: defaults, defaultRequest };
}

/** SetDefaults_LimitRangeItem over every item, as the stored LimitRange would read. */
export function defaultLimitRange(lr: LimitRange): LimitRange {
  return { ...lr, limits: lr.limits.map(defaultLimitRangeItem) };
}
