// What other areas may import from compute.

export {
  NodePortAllocator,
  NodePortError,
  calculateRangeOffset,
  defaultNodePortRange,
  formatPortRange,
  parsePortRange,
} from './nodeport.ts';
export type {
  NodePortAllocatorOptions,
  NodePortFailure,
  NodePortSnapshot,
  PortRange,
  PortReservation,
  RandomInt,
} from './nodeport.ts';

export { compareQuantities, parseQuantity, quantityValue, zeroQuantity } from './quantity.ts';
export type { Quantity } from './quantity.ts';
export { labelSelectorAsSelector } from './labels.ts';
export type { LabelSelector, LabelSelectorRequirement, Selector } from './labels.ts';
export {
  addQuantities, formatQuantity, multiplyQuantity, quantityMilliValue, QuantityError, subtractQuantities,
} from './quantity.ts';
export { LabelSelectorError } from './labels.ts';
export { AdmissionState, namespaceOf } from './admission.ts';
export type { AdmissionResult, QuotaReport } from './admission.ts';
export { parseManifests, ManifestError } from './manifests.ts';
export type { ManifestObject } from './manifests.ts';
export { decodeObject, DecodeError } from './decode.ts';
export { podRequests, podLimits } from './resources.ts';
export { computePodQos, getPodQos } from './qos.ts';
export { limitRangerMutatePod, limitRangerValidate } from './limitrange.ts';
export { checkQuotas } from './quota.ts';
export { EvaluatorRegistry } from './quota-evaluators/registry.ts';
export type { QuotaEvaluator } from './quota-evaluators/types.ts';
export type { KubeObject, Pod, QosClass, ResourceList, ResourceQuota, LimitRange } from './model.ts';
