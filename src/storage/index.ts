// What other areas may import from storage. The objects it works on are the shared object
// model's (src/objects/index.ts).

export {
  accessModesKey,
  bindClaims,
  bindVolumeToClaim,
  boundByControllerAnnotation,
  claimStorageClass,
  decideBinding,
  findBestMatchForClaim,
  findMatchingVolume,
  isDelayBinding,
  isVolumeBoundToClaim,
  volumeFitsNode,
  volumeHasAccessModes,
  volumeSatisfiesClaim,
  volumeStorageClass,
} from './binding.ts';
export type { BindingContext, BindingDecision, BindingPlan, ClaimBinding, MatchOptions } from './binding.ts';
export type { NodeInfo } from './model.ts';
