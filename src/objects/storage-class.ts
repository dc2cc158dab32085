// The StorageClass rules that more than one area applies: which class is the default
// (storage/util GetDefaultClass, as the DefaultStorageClass admission plugin and the PV
// controller both call it) and what that admission plugin does to a claim that names no class.
import { parseTimestamp } from './time.ts';
import type { JsonObject, PersistentVolumeClaim, StorageClass } from './model.ts';

/** The annotations that mark a default class (IsDefaultAnnotation): the GA one and the beta one. */
export const defaultStorageClassAnnotations: readonly string[] = [
  'storageclass.kubernetes.io/is-default-class',
  'storageclass.beta.kubernetes.io/is-default-class',
];

/** IsDefaultAnnotation: either default-class annotation is exactly `"true"`. */
export function isDefaultStorageClass(sc: StorageClass): boolean {
  return defaultStorageClassAnnotations.some((a) => sc.metadata.annotations?.[a] === 'true');
}

// Upstream compares CreationTimestamp.UnixNano(). An object without a timestamp (hand-written
// state; the API server always sets one) has Go's zero time, which sorts before every time an
// API server can have written: here the earliest instant a Date holds, before year 0000.
// Decoding rejects text that is not RFC 3339 (as metav1.Time's decoder does), so a timestamp
// that does not parse cannot reach this point; it would count as absent.
const zeroTime = -8.64e15;

function createdAt(sc: StorageClass): number {
  const text = sc.metadata.creationTimestamp;
  return (text === undefined ? undefined : parseTimestamp(text)) ?? zeroTime;
}

/**
 * GetDefaultClass: among the classes marked default, the newest by creationTimestamp; between
 * equal timestamps (or none), the smallest name. Undefined when no class is marked. Pure.
 */
export function defaultStorageClass(classes: readonly StorageClass[]): StorageClass | undefined {
  let best: StorageClass | undefined;
  for (const sc of classes) {
    if (!isDefaultStorageClass(sc)) continue;
    if (best === undefined) {
      best = sc;
      continue;
    }
    const newer = createdAt(sc) - createdAt(best);
    if (newer > 0 || (newer === 0 && sc.metadata.name < best.metadata.name)) best = sc;
  }
  return best;
}

/**
 * The DefaultStorageClass admission plugin's Admit, given the class GetDefaultClass chose: a
 * claim that names no class (neither `spec.storageClassName`, even `""`, nor the beta
 * annotation) gets `className` in `spec.storageClassName`; any other claim, or any claim when
 * `className` is undefined, is returned as it is. Returns a new object.
 */
export function admitDefaultStorageClass(claim: PersistentVolumeClaim, className: string | undefined): PersistentVolumeClaim {
  if (claim.storageClassName !== undefined || className === undefined) return claim;
  const spec = (claim.raw.spec ?? {}) as JsonObject;
  return { ...claim, storageClassName: className, raw: { ...claim.raw, spec: { ...spec, storageClassName: className } } };
}
