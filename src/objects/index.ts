// What areas may import from the Kubernetes object model: quantities, label selectors, the
// typed objects and their decoding, and the StorageClass rules more than one area applies.

export {
  addQuantities, compareQuantities, formatQuantity, MAX_MILLI_VALUE, newQuantity, parseQuantity, QuantityError,
  quantityMilliValue, quantityValue, roundUpToUnit, subtractQuantities, zeroQuantity,
} from './quantity.ts';
export type { Quantity } from './quantity.ts';
export { labelSelectorAsSelector, LabelSelectorError, newRequirement, selectorOf } from './labels.ts';
export type { LabelSelector, LabelSelectorRequirement, Selector } from './labels.ts';
export {
  DecodeError, decodeObject, decodeResourceList, encodeLimitRange, encodePod, encodeResourceList, groupResourceString, withNamespace,
} from './decode.ts';
export { dns1123LabelErrors, dns1123SubdomainErrors, labelValueErrors, qualifiedNameErrors } from './names.ts';
export { admitDefaultStorageClass, defaultStorageClass, isDefaultStorageClass } from './storage-class.ts';
export type {
  ClaimReference, Container, JsonObject, KubeObject, LimitRange, LimitRangeItem, NodeSelectorRequirement, NodeSelectorTerm, ObjectMeta,
  PersistentVolume, PersistentVolumeAccessMode, PersistentVolumeClaim, Pod, PriorityClass, QosClass, ResourceList, ResourceQuota,
  ResourceRequirements, RuntimeClass, ScopedResourceSelectorRequirement, StorageClass,
} from './model.ts';
