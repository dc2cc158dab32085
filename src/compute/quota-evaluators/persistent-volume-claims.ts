// pkg/quota/v1/evaluator/core/persistent_volume_claims.go: a claim consumes one
// `persistentvolumeclaims` and its storage request (`requests.storage`, the larger of
// spec.resources.requests and status.allocatedResources, rounded up to a whole byte), both
// also charged to `<class>.storageclass.storage.k8s.io/...` when the claim names a class. The
// one scope is VolumeAttributesClass (GA since 1.34), matched against every class the claim
// refers to.
import {
  compareQuantities, type KubeObject, newQuantity, type PersistentVolumeClaim, type Quantity, type ResourceList, roundUpToUnit, type ScopedResourceSelectorRequirement,
} from '../../objects/index.ts';
import { scopeSelectorAsSelector } from './scope-selector.ts';
import { objectCountResourceName, type QuotaEvaluator } from './types.ts';

/** The suffix of a per-storage-class quota resource name. */
export const STORAGE_CLASS_SUFFIX = '.storageclass.storage.k8s.io/';

const pvcResources = ['persistentvolumeclaims', 'requests.storage'];
const countName = objectCountResourceName('persistentvolumeclaims');

function storageUsage(pvc: PersistentVolumeClaim): Quantity | undefined {
  const requested = pvc.requests?.storage;
  if (requested === undefined) return undefined;
  const rounded = roundUpToUnit(requested);
  const allocated = pvc.allocatedResources?.storage;
  return allocated !== undefined && compareQuantities(allocated, rounded) > 0 ? roundUpToUnit(allocated) : rounded;
}

/** The PersistentVolumeClaim evaluator. */
export const persistentVolumeClaimEvaluator = {
  groupResource: 'persistentvolumeclaims',
  matchingResources(input: readonly string[]) {
    return input.filter((n) => n === countName || pvcResources.includes(n) || pvcResources.some((r) => n.endsWith(STORAGE_CLASS_SUFFIX + r)));
  },
  matchesScope(selector: ScopedResourceSelectorRequirement, obj: KubeObject): boolean {
    if (obj.kind !== 'PersistentVolumeClaim' || selector.scopeName !== 'VolumeAttributesClass') return false;
    const names = obj.volumeAttributesClassNames;
    if (selector.operator === 'Exists') return names.length > 0;
    const s = scopeSelectorAsSelector(selector);
    if (names.length === 0) return s.matches({});
    return names.some((name) => s.matches({ VolumeAttributesClass: name }));
  },
  constraints: () => undefined,
  usage(obj: KubeObject): ResourceList {
    if (obj.kind !== 'PersistentVolumeClaim') return {};
    const out: Record<string, Quantity> = { persistentvolumeclaims: newQuantity(1), [countName]: newQuantity(1) };
    const cls = obj.storageClassName;
    if (cls) out[`${cls}${STORAGE_CLASS_SUFFIX}persistentvolumeclaims`] = newQuantity(1);
    const storage = storageUsage(obj);
    if (storage !== undefined) {
      out['requests.storage'] = storage;
      if (cls) out[`${cls}${STORAGE_CLASS_SUFFIX}requests.storage`] = storage;
    }
    return out;
  },
} satisfies QuotaEvaluator;
