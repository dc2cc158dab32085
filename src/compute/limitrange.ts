// The LimitRanger admission plugin (plugin/pkg/admission/limitranger/admission.go): mutation
// fills container defaults from each LimitRange; validation enforces min, max and
// maxLimitRequestRatio per Container, per Pod and per PersistentVolumeClaim. Messages are
// upstream's. Go iterates the LimitRange's maps in random order; here resource names are taken
// in sorted order so that a message listing several violations is stable.
import {
  type Container, formatQuantity, type LimitRange, MAX_MILLI_VALUE, type PersistentVolumeClaim, type Pod, type Quantity, quantityMilliValue, quantityValue, type ResourceList, zeroQuantity,
} from '../objects/index.ts';
import { podLimits, podRequests } from './resources.ts';

/** The annotation LimitRanger writes to say what it defaulted. */
export const LIMIT_RANGER_ANNOTATION = 'kubernetes.io/limit-ranger';

interface Defaults {
  readonly requests: ResourceList;
  readonly limits: ResourceList;
}

function containerDefaults(lr: LimitRange): Defaults {
  const requests: Record<string, Quantity> = {};
  const limits: Record<string, Quantity> = {};
  for (const item of lr.limits) {
    if (item.type !== 'Container') continue;
    Object.assign(requests, item.defaultRequest);
    Object.assign(limits, item.default);
  }
  return { requests, limits };
}

function mergeContainer(c: Container, defaults: Defaults, prefix: string, notes: string[]): Container {
  const limits: Record<string, Quantity> = { ...c.resources.limits };
  const requests: Record<string, Quantity> = { ...c.resources.requests };
  const setLimits: string[] = [];
  const setRequests: string[] = [];
  for (const name in defaults.limits) {
    if (limits[name] === undefined) {
      limits[name] = defaults.limits[name];
      setLimits.push(name);
    }
  }
  for (const name in defaults.requests) {
    if (requests[name] === undefined) {
      requests[name] = defaults.requests[name];
      setRequests.push(name);
    }
  }
  if (setRequests.length > 0) notes.push(`${setRequests.sort().join(', ')} request for ${prefix} ${c.name}`);
  if (setLimits.length > 0) notes.push(`${setLimits.sort().join(', ')} limit for ${prefix} ${c.name}`);
  return { ...c, resources: { requests, limits } };
}

/**
 * PodMutateLimitFunc for each LimitRange in turn: missing container limits take the Container
 * item's `default`, missing requests its `defaultRequest`; the annotation records what was set
 * (the last LimitRange that set anything writes it, as upstream overwrites it per LimitRange).
 */
export function limitRangerMutatePod(pod: Pod, limitRanges: readonly LimitRange[]): Pod {
  let current = pod;
  for (const lr of limitRanges) {
    const defaults = containerDefaults(lr);
    const notes: string[] = [];
    const containers = current.containers.map((c) => mergeContainer(c, defaults, 'container', notes));
    const initContainers = current.initContainers.map((c) => mergeContainer(c, defaults, 'init container', notes));
    let metadata = current.metadata;
    if (notes.length > 0) {
      metadata = { ...metadata, annotations: { ...metadata.annotations, [LIMIT_RANGER_ANNOTATION]: `LimitRanger plugin set: ${notes.join('; ')}` } };
    }
    current = { ...current, metadata, containers, initContainers };
  }
  return current;
}

const MAX_MILLI_NANOS = MAX_MILLI_VALUE * 1_000_000_000n;

/** requestLimitEnforcedValues: milli-values when all three fit, else whole values (both rounded up). */
function comparable(req: Quantity, lim: Quantity, enforced: Quantity): readonly [bigint, bigint, bigint] {
  // value ≤ MaxMilliValue exactly when nanos ≤ MaxMilliValue × 10^9 (value is nanos rounded up), so no division is needed to choose.
  if (req.nanos <= MAX_MILLI_NANOS && lim.nanos <= MAX_MILLI_NANOS && enforced.nanos <= MAX_MILLI_NANOS) {
    return [quantityMilliValue(req), quantityMilliValue(lim), quantityMilliValue(enforced)];
  }
  return [quantityValue(req), quantityValue(lim), quantityValue(enforced)];
}

function sortedEntries(list: ResourceList | undefined): [string, Quantity][] {
  return list ? Object.keys(list).sort().map((k) => [k, list[k]]) : [];
}

function minConstraint(limitType: string, name: string, enforced: Quantity, request: ResourceList, limit: ResourceList): string | undefined {
  const req = request[name];
  const lim = limit[name];
  const [r, l, e] = comparable(req ?? zeroQuantity(), lim ?? zeroQuantity(), enforced);
  const min = formatQuantity(enforced);
  if (req === undefined) return `minimum ${name} usage per ${limitType} is ${min}.  No request is specified`;
  if (r < e) return `minimum ${name} usage per ${limitType} is ${min}, but request is ${formatQuantity(req)}`;
  if (lim !== undefined && l < e) return `minimum ${name} usage per ${limitType} is ${min}, but limit is ${formatQuantity(lim)}`;
  return undefined;
}

function maxConstraint(limitType: string, name: string, enforced: Quantity, request: ResourceList, limit: ResourceList): string | undefined {
  const req = request[name];
  const lim = limit[name];
  const [r, l, e] = comparable(req ?? zeroQuantity(), lim ?? zeroQuantity(), enforced);
  const max = formatQuantity(enforced);
  if (lim === undefined) return `maximum ${name} usage per ${limitType} is ${max}.  No limit is specified`;
  if (l > e) return `maximum ${name} usage per ${limitType} is ${max}, but limit is ${formatQuantity(lim)}`;
  if (req !== undefined && r > e) return `maximum ${name} usage per ${limitType} is ${max}, but request is ${formatQuantity(req)}`;
  return undefined;
}

function maxRequestConstraint(limitType: string, name: string, enforced: Quantity, request: ResourceList): string | undefined {
  const req = request[name];
  const [r, , e] = comparable(req ?? zeroQuantity(), zeroQuantity(), enforced);
  const max = formatQuantity(enforced);
  if (req === undefined) return `maximum ${name} usage per ${limitType} is ${max}.  No request is specified`;
  if (r > e) return `maximum ${name} usage per ${limitType} is ${max}, but request is ${formatQuantity(req)}`;
  return undefined;
}

function ratioConstraint(limitType: string, name: string, enforced: Quantity, request: ResourceList, limit: ResourceList): string | undefined {
  const req = request[name];
  const lim = limit[name];
  const [r, l] = comparable(req ?? zeroQuantity(), lim ?? zeroQuantity(), enforced);
  const ratio = formatQuantity(enforced);
  if (req === undefined || r === 0n) return `${name} max limit to request ratio per ${limitType} is ${ratio}, but no request is specified or request is 0`;
  if (lim === undefined || l === 0n) return `${name} max limit to request ratio per ${limitType} is ${ratio}, but no limit is specified or limit is 0`;
  // Upstream compares in float64; so does this, to agree on the boundary.
  const observed = Number(l) / Number(r);
  let observedScaled = observed;
  let allowed = Number(quantityValue(enforced));
  if (enforced.nanos <= MAX_MILLI_NANOS) {
    observedScaled = observed * 1000;
    allowed = Number(quantityMilliValue(enforced));
  }
  if (observedScaled > allowed) return `${name} max limit to request ratio per ${limitType} is ${ratio}, but provided ratio is ${observed.toFixed(6)}`;
  return undefined;
}

function checkAll(
  limitType: string,
  item: { readonly min?: ResourceList; readonly max?: ResourceList; readonly maxLimitRequestRatio?: ResourceList },
  request: ResourceList,
  limit: ResourceList,
  errors: string[],
): void {
  for (const [name, q] of sortedEntries(item.min)) {
    const e = minConstraint(limitType, name, q, request, limit);
    if (e) errors.push(e);
  }
  for (const [name, q] of sortedEntries(item.max)) {
    const e = maxConstraint(limitType, name, q, request, limit);
    if (e) errors.push(e);
  }
  for (const [name, q] of sortedEntries(item.maxLimitRequestRatio)) {
    const e = ratioConstraint(limitType, name, q, request, limit);
    if (e) errors.push(e);
  }
}

/** The pod-level override LimitRanger applies: only cpu and memory (its local helper's set). */
function overridePodLevel(list: ResourceList, podLevel: ResourceList | undefined): ResourceList {
  if (!podLevel) return list;
  const out: Record<string, Quantity> = { ...list };
  for (const name of ['cpu', 'memory']) if (podLevel[name] !== undefined) out[name] = podLevel[name];
  return out;
}

/** PodValidateLimitFunc for one LimitRange: every violation, in upstream's order. */
export function validatePodAgainst(pod: Pod, lr: LimitRange): string[] {
  const errors: string[] = [];
  for (const item of lr.limits) {
    if (item.type === 'Container') {
      for (const c of [...pod.containers, ...pod.initContainers]) {
        checkAll('Container', item, c.resources.requests ?? {}, c.resources.limits ?? {}, errors);
      }
    } else if (item.type === 'Pod') {
      const opts = { excludeOverhead: true, skipPodLevelResources: true };
      const requests = overridePodLevel(podRequests(pod, opts), pod.resources?.requests);
      const limits = overridePodLevel(podLimits(pod, opts), pod.resources?.limits);
      checkAll('Pod', item, requests, limits, errors);
    }
  }
  return errors;
}

/** PersistentVolumeClaimValidateLimitFunc for one LimitRange: min and max against spec.resources.requests. */
export function validatePvcAgainst(pvc: PersistentVolumeClaim, lr: LimitRange): string[] {
  const errors: string[] = [];
  const requests = pvc.requests ?? {};
  for (const item of lr.limits) {
    if (item.type !== 'PersistentVolumeClaim') continue;
    for (const [name, q] of sortedEntries(item.min)) {
      const e = minConstraint('PersistentVolumeClaim', name, q, requests, {});
      if (e) errors.push(e);
    }
    for (const [name, q] of sortedEntries(item.max)) {
      const e = maxRequestConstraint('PersistentVolumeClaim', name, q, requests);
      if (e) errors.push(e);
    }
  }
  return errors;
}

/**
 * utilerrors.NewAggregate(...).Error(): one message as is, several deduplicated inside
 * brackets and separated by ", ".
 */
export function aggregateMessages(messages: readonly string[]): string {
  const unique = [...new Set(messages)];
  return unique.length === 1 ? unique[0] : `[${unique.join(', ')}]`;
}

/**
 * The LimitRanger validation: the LimitRanges in order; the first with violations refuses
 * the object and its aggregated message is returned (undefined when allowed). Kinds other than
 * Pod and PersistentVolumeClaim are never limited.
 */
export function limitRangerValidate(obj: Pod | PersistentVolumeClaim, limitRanges: readonly LimitRange[]): string | undefined {
  for (const lr of limitRanges) {
    const errors = obj.kind === 'Pod' ? validatePodAgainst(obj, lr) : validatePvcAgainst(obj, lr);
    if (errors.length > 0) return aggregateMessages(errors);
  }
  return undefined;
}
