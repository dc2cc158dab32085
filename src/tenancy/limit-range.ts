// The LimitRange rules: what kube-apiserver's defaulting (SetDefaults_LimitRangeItem) and
// validation (ValidateLimitRange) do to a LimitRange, plus the checks that keep a namespace usable
// under it (a container without resources must still be admitted by the LimitRanger plugin), and
// the bounds a namespace's override must stay inside.
import { compareQuantities, formatQuantity, parseQuantity, quantityMilliValue, type Quantity } from '../objects/index.ts';
import type { Cause } from '../platform/errors.ts';
import { forbiddenValue, invalidValue, requiredValue, unsupportedValue } from './causes.ts';
import type { LimitBounds, LimitRangeSpec, QuotaMap } from './model.ts';

/** The resources a Berth LimitRange may bound, for both the Container and the Pod item. */
export const limitRangeResources: readonly string[] = ['cpu', 'ephemeral-storage', 'memory'];

const boundNames = ['min', 'max', 'default', 'defaultRequest', 'maxLimitRequestRatio'] as const;
type BoundName = typeof boundNames[number];
type Parsed = Partial<Record<BoundName, Readonly<Record<string, Quantity>>>>;

/** A LimitRange item's bounds with values of any type: strings as given, or parsed quantities. */
export type BoundsOf<T> = Partial<Record<BoundName, Readonly<Record<string, T>>>>;

/**
 * The Container item as kube-apiserver stores it: a missing default limit is the max, a missing
 * default request is the default limit, else the min. Rendering this form makes the applied object
 * equal the stored one, so a reconciler sees no drift that is only defaulting.
 */
export function defaultContainerBounds<T>(bounds: BoundsOf<T>): BoundsOf<T> {
  const def: Record<string, T> = { ...bounds.max, ...bounds.default };
  const defaultRequest: Record<string, T> = { ...bounds.min, ...def, ...bounds.defaultRequest };
  return {
    ...bounds,
    ...(Object.keys(def).length > 0 ? { default: def } : {}),
    ...(Object.keys(defaultRequest).length > 0 ? { defaultRequest } : {}),
  };
}

function parseBounds(bounds: LimitBounds, path: string, causes: Cause[]): Parsed {
  const parsed: Parsed = {};
  for (const bound of boundNames) {
    const map = bounds[bound];
    if (map === undefined) continue;
    const out: Record<string, Quantity> = {};
    for (const name of Object.keys(map).sort()) {
      const field = `${path}.${bound}[${name}]`;
      if (!limitRangeResources.includes(name)) {
        causes.push(unsupportedValue(field, name, limitRangeResources));
        continue;
      }
      const q = parseField(field, map[name], causes);
      if (q === undefined) continue;
      if (q.nanos < 0n) causes.push(invalidValue(field, map[name], 'must be greater than or equal to 0'));
      else out[name] = q;
    }
    parsed[bound] = out;
  }
  return parsed;
}

/**
 * Parses one quantity field, pushing a cause quoting the parser's reason when it is not a
 * quantity. Returns the quantity or undefined.
 */
export function parseField(field: string, text: string, causes: Cause[]): Quantity | undefined {
  try {
    return parseQuantity(text);
  } catch (err) {
    causes.push(invalidValue(field, text, (err as Error).message));
    return undefined;
  }
}

const fmt = formatQuantity;

function crossChecks(p: Parsed, path: string, causes: Cause[]): void {
  const { min = {}, max = {}, default: def = {}, defaultRequest = {}, maxLimitRequestRatio: ratio = {} } = p;
  const keys = new Set([...Object.keys(min), ...Object.keys(max), ...Object.keys(def), ...Object.keys(defaultRequest), ...Object.keys(ratio)]);
  for (const k of [...keys].sort()) {
    const [mn, mx, d, dr, r] = [min[k], max[k], def[k], defaultRequest[k], ratio[k]];
    if (mn && mx && compareQuantities(mn, mx) > 0) {
      causes.push(invalidValue(`${path}.min[${k}]`, fmt(mn), `min value ${fmt(mn)} is greater than max value ${fmt(mx)}`));
    }
    if (dr && mn && compareQuantities(mn, dr) > 0) {
      causes.push(invalidValue(`${path}.defaultRequest[${k}]`, fmt(dr), `min value ${fmt(mn)} is greater than default request value ${fmt(dr)}`));
    }
    if (dr && mx && compareQuantities(dr, mx) > 0) {
      causes.push(invalidValue(`${path}.defaultRequest[${k}]`, fmt(dr), `default request value ${fmt(dr)} is greater than max value ${fmt(mx)}`));
    }
    if (dr && d && compareQuantities(dr, d) > 0) {
      causes.push(invalidValue(`${path}.defaultRequest[${k}]`, fmt(dr), `default request value ${fmt(dr)} is greater than default limit value ${fmt(d)}`));
    }
    if (d && mn && compareQuantities(mn, d) > 0) {
      causes.push(invalidValue(`${path}.default[${k}]`, fmt(mn), `min value ${fmt(mn)} is greater than default value ${fmt(d)}`));
    }
    if (d && mx && compareQuantities(d, mx) > 0) {
      causes.push(invalidValue(`${path}.default[${k}]`, fmt(mx), `default value ${fmt(d)} is greater than max value ${fmt(mx)}`));
    }
    if (r && r.nanos < 1_000_000_000n) {
      causes.push(invalidValue(`${path}.maxLimitRequestRatio[${k}]`, fmt(r), `ratio ${fmt(r)} is less than 1`));
    }
    if (r && mn && mx) {
      // Upstream compares in milli-units as float64 and prints max/min with %f.
      const limit = Number(quantityMilliValue(mx)) / Number(quantityMilliValue(mn));
      if (Number(quantityMilliValue(r)) / 1000 > limit) {
        causes.push(invalidValue(`${path}.maxLimitRequestRatio[${k}]`, fmt(r), `ratio ${fmt(r)} is greater than max/min = ${limit.toFixed(6)}`));
      }
    }
    // Beyond kube-apiserver: LimitRanger refuses a container whose defaulted limit/request
    // exceeds the ratio, so such a LimitRange would refuse every container without resources.
    if (r && d && dr && dr.nanos > 0n && d.nanos * 1_000_000_000n > r.nanos * dr.nanos) {
      causes.push(invalidValue(`${path}.maxLimitRequestRatio[${k}]`, fmt(r),
        `default limit ${fmt(d)} over default request ${fmt(dr)} exceeds the ratio, so a container without resources would be refused`));
    }
  }
}

/**
 * The problems with `spec` as kube-apiserver would see it (after defaulting the Container item),
 * plus two that keep the namespace usable: a Container default limit above the Pod max, or a
 * Container default request below the Pod min, would refuse every one-container pod without
 * resources. Field paths start at `path` (e.g. `defaultLimitRange`). Returns no causes when valid.
 */
export function validateLimitRange(spec: LimitRangeSpec, path: string): Cause[] {
  const causes: Cause[] = [];
  let container: Parsed | undefined;
  let pod: Parsed | undefined;
  if (spec.container !== undefined) {
    // Defaulting after parsing, so a bad max is reported once, not again as the default it fills.
    container = defaultContainerBounds(parseBounds(spec.container, `${path}.container`, causes));
    crossChecks(container, `${path}.container`, causes);
  }
  if (spec.pod !== undefined) {
    for (const bound of ['default', 'defaultRequest'] as const) {
      if (spec.pod[bound] !== undefined) causes.push(forbiddenValue(`${path}.pod.${bound}`, "may not be specified when `type` is 'Pod'"));
    }
    pod = parseBounds({ ...spec.pod, default: undefined, defaultRequest: undefined }, `${path}.pod`, causes);
    crossChecks(pod, `${path}.pod`, causes);
  }
  if (container !== undefined && pod !== undefined) {
    for (const [k, d] of Object.entries(container.default ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
      const podMax = pod.max?.[k];
      if (podMax && compareQuantities(d, podMax) > 0) {
        causes.push(invalidValue(`${path}.container.default[${k}]`, fmt(d), `default limit ${fmt(d)} is greater than the pod max ${fmt(podMax)}, so a pod without resources would be refused`));
      }
    }
    for (const [k, dr] of Object.entries(container.defaultRequest ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
      const podMin = pod.min?.[k];
      if (podMin && compareQuantities(dr, podMin) < 0) {
        causes.push(invalidValue(`${path}.container.defaultRequest[${k}]`, fmt(dr), `default request ${fmt(dr)} is less than the pod min ${fmt(podMin)}, so a pod without resources would be refused`));
      }
    }
  }
  return causes;
}

function tryParse(text: string | undefined): Quantity | undefined {
  if (text === undefined) return undefined;
  try {
    return parseQuantity(text);
  } catch {
    return undefined;
  }
}

function withinItem(inner: LimitBounds | undefined, outer: LimitBounds | undefined, path: string, causes: Cause[]): void {
  if (outer === undefined) return;
  const checks: { bound: 'max' | 'min' | 'maxLimitRequestRatio'; sign: 1 | -1; word: string }[] = [
    { bound: 'max', sign: 1, word: 'less than or equal to the tenant max' },
    { bound: 'min', sign: -1, word: 'greater than or equal to the tenant min' },
    { bound: 'maxLimitRequestRatio', sign: 1, word: 'less than or equal to the tenant maxLimitRequestRatio' },
  ];
  for (const { bound, sign, word } of checks) {
    const outerMap: QuotaMap = outer[bound] ?? {};
    for (const k of Object.keys(outerMap).sort()) {
      const limit = tryParse(outerMap[k]);
      if (limit === undefined) continue;
      const field = `${path}.${bound}[${k}]`;
      const text = inner?.[bound]?.[k];
      if (text === undefined) {
        causes.push(requiredValue(field, `the tenant's ${bound} of ${k} is ${fmt(limit)}`));
        continue;
      }
      const value = tryParse(text);
      if (value !== undefined && compareQuantities(value, limit) * sign > 0) {
        causes.push(forbiddenValue(field, `${bound} ${fmt(value)} must be ${word} ${fmt(limit)}`));
      }
    }
  }
}

/**
 * The problems with a namespace's LimitRange `override` as bounds: every max, min and
 * maxLimitRequestRatio the tenant's `bounds` set must be set and no looser (a max no higher, a
 * min no lower, a ratio no higher). Defaults need no check of their own: {@link validateLimitRange}
 * keeps them between the override's min and max. Quantities that do not parse are skipped here
 * (validateLimitRange reports them).
 */
export function limitRangeWithinErrors(override: LimitRangeSpec, bounds: LimitRangeSpec, path: string): Cause[] {
  const causes: Cause[] = [];
  withinItem(override.container, bounds.container, `${path}.container`, causes);
  withinItem(override.pod, bounds.pod, `${path}.pod`, causes);
  return causes;
}
