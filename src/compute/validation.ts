// The one part of Pod validation (pkg/apis/core/validation ValidateResourceRequirements) that
// admission defaulting can break: a request above its limit, or, for resources that cannot be
// overcommitted (extended resources, hugepages), a request different from its limit.
import { compareQuantities, formatQuantity } from './quantity.ts';
import type { Container, Pod } from './model.ts';

function isOvercommitAllowed(name: string): boolean {
  const native = !name.includes('/') || name.includes('kubernetes.io/');
  return native && !name.startsWith('hugepages-');
}

function containerErrors(c: Container, path: string): string[] {
  const errors: string[] = [];
  const requests = c.resources.requests ?? {};
  const limits = c.resources.limits ?? {};
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

/** The field errors of the pod's container resources: containers, then init containers, as ValidatePodSpec orders them. */
export function validatePodResources(pod: Pod): string[] {
  return [
    ...pod.containers.flatMap((c, i) => containerErrors(c, `spec.containers[${i}]`)),
    ...pod.initContainers.flatMap((c, i) => containerErrors(c, `spec.initContainers[${i}]`)),
  ];
}
