// The DefaultStorageClass admission plugin (plugin/pkg/admission/storage/storageclass/setdefault):
// a claim that names no class (neither spec.storageClassName, even empty, nor the beta
// annotation) gets the default StorageClass, which per-class quotas then charge.
import type { PersistentVolumeClaim, StorageClass } from './model.ts';

/**
 * GetDefaultClass: among the classes marked default, the newest by creationTimestamp, ties (and
 * classes without one, as hand-written state has) by name. Undefined when none is marked.
 */
export function defaultStorageClass(classes: readonly StorageClass[]): StorageClass | undefined {
  const time = (c: StorageClass): number => (c.creationTimestamp === undefined ? 0 : Date.parse(c.creationTimestamp) || 0);
  return classes
    .filter((c) => c.isDefault)
    .sort((a, b) => time(b) - time(a) || (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0))[0];
}

/** Admit: the claim with the default class set in spec.storageClassName, or unchanged. */
export function defaultStorageClassAdmit(pvc: PersistentVolumeClaim, classes: readonly StorageClass[]): PersistentVolumeClaim {
  if (pvc.storageClassName !== undefined) return pvc;
  const def = defaultStorageClass(classes);
  if (def === undefined) return pvc;
  const spec = (pvc.raw.spec ?? {}) as Readonly<Record<string, unknown>>;
  return { ...pvc, storageClassName: def.metadata.name, raw: { ...pvc.raw, spec: { ...spec, storageClassName: def.metadata.name } } };
}
