// What other areas may import from storage.

export {
  accessModesKey,
  betaStorageClassAnnotation,
  bindClaims,
  bindVolumeToClaim,
  boundByControllerAnnotation,
  claimStorageClass,
  decideBinding,
  defaultStorageClassName,
  findBestMatchForClaim,
  findMatchingVolume,
  isDelayBinding,
  isVolumeBoundToClaim,
  volumeFitsNode,
  volumeHasAccessModes,
  volumeSatisfiesClaim,
  volumeStorageClass,
  withDefaultStorageClass,
} from './binding.ts';
export type { BindingContext, BindingDecision, BindingPlan, ClaimBinding, MatchOptions } from './binding.ts';
export type {
  ClaimReference,
  LabelSelector,
  LabelSelectorRequirement,
  NodeInfo,
  NodeSelectorRequirement,
  NodeSelectorTerm,
  ObjectMeta,
  PersistentVolume,
  PersistentVolumeAccessMode,
  PersistentVolumeClaim,
  PersistentVolumeMode,
  PersistentVolumePhase,
  StorageClass,
  VolumeBindingMode,
  VolumeNodeAffinity,
} from './model.ts';
