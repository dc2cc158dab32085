// API defaulting (pkg/apis/core/v1/defaults.go), which runs when kube-apiserver decodes an object
// before any admission plugin: a container's missing requests take its limits; a LimitRange's
// Container item gets its default limit from max and its default request from the default limit,
// then from min. Also the pod-level resources defaulting that runs on create, after admission
// (pkg/api/pod DefaultPodLevelResources, called by the pod strategy's PrepareForCreate).
import {
  compareQuantities, type Container, type LimitRange, type LimitRangeItem, type Pod, type Quantity, type ResourceList,
} from '../objects/index.ts';
import { aggregateContainerLimits, aggregateContainerRequests, isSupportedPodLevelResource } from './resources.ts';

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
 * for the limited resources it did not request. Pod-level resources are not touched here: since
 * PodLevelResourcesFixDefaulting (beta, on by default in 1.37) they are defaulted on create,
 * after admission mutated the containers ({@link defaultPodLevelResources}).
 */
export function defaultPodResources(pod: Pod): Pod {
  return { ...pod, containers: pod.containers.map(defaultContainer), initContainers: pod.initContainers.map(defaultContainer) };
}

function isHugePages(name: string): boolean {
  return name.startsWith('hugepages-');
}

/**
 * DefaultPodLevelResources (the pod strategy's PrepareForCreate), when spec.resources sets
 * requests or limits: pod-level hugepage limits from the containers' aggregated limits (unless a
 * request is set); missing pod-level requests from the containers' aggregated requests
 * (overcommittable resources), then from pod-level limits; missing pod-level limits, where every
 * container and init container has a limit, from the aggregated container limits, raised to the
 * pod-level request if that is larger. Returns the pod unchanged otherwise.
 */
export function defaultPodLevelResources(pod: Pod): Pod {
  const res = pod.resources;
  if (!res || (isEmpty(res.requests) && isEmpty(res.limits))) return pod;
  const limits: Record<string, Quantity> = { ...res.limits };
  const aggregatedLimits = aggregateContainerLimits(pod);
  for (const name in aggregatedLimits) {
    if (!isSupportedPodLevelResource(name) || !isHugePages(name) || res.requests?.[name] !== undefined) continue;
    limits[name] ??= aggregatedLimits[name];
  }
  const requests: Record<string, Quantity> = { ...res.requests };
  const aggregatedRequests = aggregateContainerRequests(pod);
  for (const name in aggregatedRequests) {
    if (isSupportedPodLevelResource(name) && !isHugePages(name)) requests[name] ??= aggregatedRequests[name];
  }
  for (const name in limits) if (isSupportedPodLevelResource(name)) requests[name] ??= limits[name];
  const all = [...pod.containers, ...pod.initContainers];
  for (const name in requests) {
    if (!isSupportedPodLevelResource(name) || limits[name] !== undefined) continue;
    if (!all.every((c) => c.resources.limits?.[name] !== undefined)) continue;
    const aggregated = aggregatedLimits[name];
    if (aggregated === undefined) continue;
    limits[name] = compareQuantities(requests[name], aggregated) > 0 ? requests[name] : aggregated;
  }
  return {
    ...pod,
    resources: {
      ...res,
      ...(Object.keys(requests).length > 0 ? { requests } : {}),
      ...(Object.keys(limits).length > 0 ? { limits } : {}),
    },
  };
}

function isEmpty(list: ResourceList | undefined): boolean {
  return list === undefined || Object.keys(list).length === 0;
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
