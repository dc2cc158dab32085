// Pod QoS class as pkg/apis/core/helper/qos ComputePodQOS decides it. Only cpu and memory count;
// zero quantities count as unset; init containers (sidecars included) count like app containers;
// pod-level resources, when they set cpu, memory or hugepages, replace the containers entirely.
import {
  addQuantities, compareQuantities, type Pod, type QosClass, type Quantity, type ResourceList,
} from '../objects/index.ts';
import { isPodLevelResourcesSet } from './resources.ts';

function isQosResource(name: string): boolean {
  return name === 'cpu' || name === 'memory';
}

/** Adds the positive cpu/memory quantities of `list` into `into`; returns the names it saw. */
function accumulate(into: Map<string, Quantity>, list: ResourceList | undefined): Set<string> {
  const seen = new Set<string>();
  if (!list) return seen;
  for (const name in list) {
    if (!isQosResource(name)) continue;
    const q = list[name];
    if (q.nanos <= 0n) continue;
    seen.add(name);
    const prev = into.get(name);
    into.set(name, prev === undefined ? q : addQuantities(q, prev));
  }
  return seen;
}

/**
 * ComputePodQOS: BestEffort when no cpu/memory request or limit is set anywhere; Guaranteed when
 * every container (or the pod level) limits both cpu and memory and the summed requests equal
 * the summed limits for each; Burstable otherwise.
 */
export function computePodQos(pod: Pod): QosClass {
  const requests = new Map<string, Quantity>();
  const limits = new Map<string, Quantity>();
  let guaranteed = true;
  if (isPodLevelResourcesSet(pod)) {
    accumulate(requests, pod.resources?.requests);
    const limitNames = accumulate(limits, pod.resources?.limits);
    if (!(limitNames.has('cpu') && limitNames.has('memory'))) guaranteed = false;
  } else {
    for (const c of [...pod.containers, ...pod.initContainers]) {
      accumulate(requests, c.resources.requests);
      const limitNames = accumulate(limits, c.resources.limits);
      if (!(limitNames.has('cpu') && limitNames.has('memory'))) guaranteed = false;
    }
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [name, req] of requests) {
      const lim = limits.get(name);
      if (lim === undefined || compareQuantities(lim, req) !== 0) {
        guaranteed = false;
        break;
      }
    }
  }
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}

/** GetPodQOS: status.qosClass when the pod carries one, else {@link computePodQos}. */
export function getPodQos(pod: Pod): QosClass {
  return pod.statusQosClass ?? computePodQos(pod);
}
