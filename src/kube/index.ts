// What other areas may import from kube/, the only code that talks to Kubernetes API servers.
export { berthFieldManager, ClusterClient } from './client.ts';
export type {
  ApplyOptions, ClusterClientOptions, ListOptions, ListResult, RequestOptions, ServerVersion, WatchEvent, WatchOptions,
} from './client.ts';
export { errorFromNetwork, errorFromResponse, fieldConflicts, KubeError } from './errors.ts';
export type { FieldConflict, KubeStatus } from './errors.ts';
export { inlineKubeconfigFile, maxKubeconfigBytes, parseKubeconfig, toKubeConfig } from './kubeconfig.ts';
export type { ClusterCredentials, ParseKubeconfigOptions } from './kubeconfig.ts';
export { probeCluster, sumNodes } from './probe.ts';
export type { ClusterProbe, NodeCapacity } from './probe.ts';
export { defaultRateLimit, TokenBucket } from './rate-limit.ts';
export type { RateLimit } from './rate-limit.ts';
export { discoveryPath, knownResource, knownResources, resourcePath, resourcesFromDiscovery } from './resources.ts';
export type { KindRef, KubeObject, ResourceInfo } from './resources.ts';
export { Informer, ObjectStore, watchKind } from './watch.ts';
export type { InformerEvent, InformerHandler, InformerStats, WatchKindOptions } from './watch.ts';
export { ADMISSION_API_VERSION, admissionResponse, jsonPointer, parseAdmissionReview } from './admission-review.ts';
export type {
  AdmissionOperation, AdmissionRequest, AdmissionUser, GroupVersionKind, GroupVersionResource, JsonPatchOperation, MutationVerdict, ParsedReview, Verdict,
} from './admission-review.ts';
export { ADMISSION_AUTHORITY, AdmissionPolicies, MAX_ADMISSION_REVIEW_BYTES, startAdmissionServer } from './admission-server.ts';
export type { AdmissionOrigin, AdmissionPolicy, AdmissionServer, AdmissionServerOptions } from './admission-server.ts';
