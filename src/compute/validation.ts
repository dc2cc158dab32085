// The one part of Pod validation (pkg/apis/core/validation) that admission defaulting can break:
// ValidateResourceRequirements (a request above its limit, or, for resources that cannot be
// overcommitted, a request different from its limit) for each container and for pod-level
// resources, and validatePodResourceConsistency (pod-level requests cover the containers'
// aggregate, pod-level hugepage limits cover theirs, no container limit exceeds the pod's).
import { compareQuantities, formatQuantity, type Pod, type ResourceRequirements } from '../objects/index.ts';
import { aggregateContainerLimits, aggregateContainerRequests } from './resources.ts';

function isOvercommitAllowed(name: string): boolean {
  const native = !name.includes('/') || name.includes('kubernetes.io/');
  return native && !name.startsWith('hugepages-');
}

function requirementErrors(resources: ResourceRequirements, path: string): string[] {
  const errors: string[] = [];
  const requests = resources.requests ?? {};
  const limits = resources.limits ?? {};
  for (const name of Object.keys(requests).sort()) {
    const limit = limits[name];
    if (limit === undefined) continue;
    const req = requests[name];
    const field = `${path}.resources.requests`;
    if (!isOvercommitAllowed(name) && compareQuantities(req, limit) !== 0) {
      errors.push(`${field}: Invalid value: "${formatQuantity(req)}": must be equal to ${name} limit of ${formatQuantity(limit)}`);
    } else if (compareQuantities(req, limit) > 0) {
      errors.push(`${field}: Invalid value: "${formatQuantity(req)}": must be less than or equal to ${name} limit of ${formatQuantity(limit)}`);
    }
  }
  return errors;
}

function consistencyErrors(pod: Pod, podLevel: ResourceRequirements): string[] {
  const errors: string[] = [];
  const aggregatedRequests = aggregateContainerRequests(pod);
  for (const name of Object.keys(aggregatedRequests).sort()) {
    const requested = podLevel.requests?.[name];
    if (requested === undefined || compareQuantities(aggregatedRequests[name], requested) <= 0) continue;
    errors.push(`spec.resources.requests[${name}]: Invalid value: "${formatQuantity(requested)}": must be greater than or equal to aggregate container requests of ${formatQuantity(aggregatedRequests[name])}`);
  }
  const aggregatedLimits = aggregateContainerLimits(pod);
  for (const name of Object.keys(aggregatedLimits).sort()) {
    const limit = podLevel.limits?.[name];
    if (!name.startsWith('hugepages-') || limit === undefined || compareQuantities(aggregatedLimits[name], limit) <= 0) continue;
    errors.push(`spec.resources.limits[${name}]: Invalid value: "${formatQuantity(limit)}": must be greater than or equal to aggregate container limits of ${formatQuantity(aggregatedLimits[name])}`);
  }
  for (const [i, c] of pod.containers.entries()) {
    const limits = c.resources.limits ?? {};
    for (const name of Object.keys(limits).sort()) {
      const podLimit = podLevel.limits?.[name];
      if (podLimit === undefined || compareQuantities(limits[name], podLimit) <= 0) continue;
      errors.push(`spec.resources.containers[${i}][${name}].limits: Invalid value: "${formatQuantity(limits[name])}": must be less than or equal to pod limits of ${formatQuantity(podLimit)}`);
    }
  }
  return errors;
}

/**
 * The field errors of the pod's resources: containers, then init containers, then pod-level
 * resources, as ValidatePodSpec orders them (resource names in sorted order where upstream
 * iterates a map).
 */
export function validatePodResources(pod: Pod): string[] {
  return [
    ...pod.containers.flatMap((c, i) => requirementErrors(c.resources, `spec.containers[${i}]`)),
    ...pod.initContainers.flatMap((c, i) => requirementErrors(c.resources, `spec.initContainers[${i}]`)),
    ...(pod.resources ? [...requirementErrors(pod.resources, 'spec'), ...consistencyErrors(pod, pod.resources)] : []),
  ];
}
