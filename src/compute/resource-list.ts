// ResourceList arithmetic with the semantics of k8s.io/apiserver/pkg/quota/v1 (Add, Mask,
// LessThanOrEqual …) and of component-helpers' addResourceList/maxResourceList. All functions
// return new lists; a copied quantity keeps its printed text, a summed one does not.
import {
  addQuantities, compareQuantities, formatQuantity, type Quantity, type ResourceList, subtractQuantities, zeroQuantity,
} from '../objects/index.ts';

type MutableList = Record<string, Quantity>;

/** quota.Add: every key of a and b; keys in both are summed. */
export function addLists(a: ResourceList, b: ResourceList): ResourceList {
  const out: MutableList = { ...a };
  for (const key in b) {
    const existing = out[key];
    out[key] = existing === undefined ? b[key] : addQuantities(existing, b[key]);
  }
  return out;
}

/** quota.Subtract: keys of a, minus b where b has the key. */
export function subtractLists(a: ResourceList, b: ResourceList): ResourceList {
  const out: MutableList = {};
  for (const key in a) out[key] = b[key] === undefined ? a[key] : subtractQuantities(a[key], b[key]);
  return out;
}

/**
 * quota.SubtractWithNonNegativeResult: keys of a and b, each a minus b, or zero where that is
 * not positive.
 */
export function subtractNonNegative(a: ResourceList, b: ResourceList): ResourceList {
  const out: MutableList = {};
  for (const key in a) {
    const d = b[key] === undefined ? a[key] : subtractQuantities(a[key], b[key]);
    out[key] = d.nanos > 0n ? d : zeroQuantity();
  }
  for (const key in b) if (out[key] === undefined) out[key] = zeroQuantity();
  return out;
}

/** maxResourceList: for each key of b, the larger of a and b (b's quantity when strictly larger). */
export function maxLists(a: ResourceList, b: ResourceList): ResourceList {
  const out: MutableList = { ...a };
  for (const key in b) {
    const existing = out[key];
    if (existing === undefined || compareQuantities(b[key], existing) > 0) out[key] = b[key];
  }
  return out;
}

/** quota.Mask: only the keys in `names`. */
export function maskList(list: ResourceList, names: Iterable<string>): ResourceList {
  const out: MutableList = {};
  for (const name of names) {
    const q = list[name];
    if (q !== undefined) out[name] = q;
  }
  return out;
}

/**
 * quota.LessThanOrEqual: whether every key of a that b also has is ≤ b's value, and the keys
 * that are not (sorted).
 */
export function lessThanOrEqual(a: ResourceList, b: ResourceList): { readonly ok: boolean; readonly exceeded: readonly string[] } {
  const exceeded: string[] = [];
  for (const key in a) {
    const limit = b[key];
    if (limit !== undefined && compareQuantities(a[key], limit) > 0) exceeded.push(key);
  }
  exceeded.sort();
  return { ok: exceeded.length === 0, exceeded };
}

/** quota.IsZero: true when every quantity is zero (or the list is empty). */
export function isZeroList(list: ResourceList): boolean {
  for (const key in list) if (list[key].nanos !== 0n) return false;
  return true;
}

/** quota.IsNegative: the keys with a negative quantity. */
export function negativeKeys(list: ResourceList): string[] {
  let out: string[] | undefined;
  for (const key in list) if (list[key].nanos < 0n) (out ??= []).push(key);
  return out === undefined ? [] : out.sort();
}

/** quota.RemoveZeros: the list without zero quantities. */
export function removeZeros(list: ResourceList): ResourceList {
  const out: MutableList = {};
  for (const key in list) if (list[key].nanos !== 0n) out[key] = list[key];
  return out;
}

/** A list holding a zero DecimalSI quantity for each name, as the quota controller starts a sum. */
export function zeroList(names: Iterable<string>): ResourceList {
  const out: MutableList = {};
  for (const name of names) out[name] = zeroQuantity();
  return out;
}

/** The resource-quota prettyPrint: `name=value` pairs sorted by name, joined by commas. */
export function prettyPrintList(list: ResourceList): string {
  return Object.keys(list).sort().map((k) => `${k}=${formatQuantity(list[k])}`).join(',');
}

/** True when both lists have the same keys with equal values. */
export function listsEqual(a: ResourceList, b: ResourceList): boolean {
  const ak = Object.keys(a);
  if (ak.length !== Object.keys(b).length) return false;
  return ak.every((k) => b[k] !== undefined && compareQuantities(a[k], b[k]) === 0);
}
