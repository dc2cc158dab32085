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

export { AdmissionState, namespaceOf } from './admission.ts';
export type { AdmissionResult, QuotaReport } from './admission.ts';
export { parseManifests, ManifestError } from './manifests.ts';
export type { ManifestObject } from './manifests.ts';
export { podRequests, podLimits } from './resources.ts';
export { computePodQos, getPodQos } from './qos.ts';
export { limitRangerMutatePod, limitRangerValidate } from './limitrange.ts';
export { checkQuotas, quotaRefusalMessage } from './quota.ts';
export type { QuotaRefusal, QuotaRequest } from './quota.ts';
export { decideTenantQuota, namespaceUsage, sumUsage, TENANT_QUOTA_NOUN } from './tenant-quota.ts';
export type { TenantQuotaDecision, TenantQuotaRequest } from './tenant-quota.ts';
export { EvaluatorRegistry } from './quota-evaluators/registry.ts';
export type { QuotaEvaluator } from './quota-evaluators/types.ts';
