// The Kubernetes object model every area shares: the parts of Kubernetes objects that Berth's
// decisions read (admission, quota, volume binding), with quantities already parsed. Every typed
// object keeps the manifest it came from (`raw`) so that what a decision returns is the full
// object with only the fields it changed.
import type { Quantity } from './quantity.ts';
import type { LabelSelector } from './labels.ts';

/** corev1.ResourceList: resource name to quantity. */
export type ResourceList = Readonly<Record<string, Quantity>>;

/** A JSON object as read from a manifest. */
export type JsonObject = Readonly<Record<string, unknown>>;

/** corev1.ResourceRequirements; absent maps are undefined, as nil maps are in Go. */
export interface ResourceRequirements {
  readonly requests?: ResourceList;
  readonly limits?: ResourceList;
}

/** A container or init container. `restartPolicy: Always` on an init container makes it a sidecar. */
export interface Container {
  readonly name: string;
  readonly resources: ResourceRequirements;
  readonly restartPolicy?: string;
}

/** metav1.ObjectMeta, the fields Berth reads. Timestamps are RFC 3339 text, checked when decoded. */
export interface ObjectMeta {
  readonly name: string;
  readonly generateName?: string;
  readonly namespace?: string;
  readonly uid?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly creationTimestamp?: string;
  readonly deletionTimestamp?: string;
}

/** Kubernetes group/kind/resource of an object, e.g. apps/Deployment/deployments. */
export interface ObjectType {
  readonly group: string;
  readonly kind: string;
  /** The plural resource name, e.g. `pods`. */
  readonly resource: string;
  readonly namespaced: boolean;
}

interface TypedObject {
  readonly type: ObjectType;
  readonly metadata: ObjectMeta;
  readonly raw: JsonObject;
}

/** A Pod. `crossNamespaceAffinity` is precomputed from spec.affinity for the quota scope. */
export interface Pod extends TypedObject {
  readonly kind: 'Pod';
  readonly containers: readonly Container[];
  readonly initContainers: readonly Container[];
  /** spec.resources (pod-level resources). */
  readonly resources?: ResourceRequirements;
  readonly overhead?: ResourceList;
  readonly priorityClassName?: string;
  /** spec.priority, which the Priority plugin computes (a pod may state it only if it agrees). */
  readonly priority?: number;
  /** spec.preemptionPolicy, likewise. */
  readonly preemptionPolicy?: string;
  readonly runtimeClassName?: string;
  readonly activeDeadlineSeconds?: number;
  readonly crossNamespaceAffinity: boolean;
  readonly phase?: string;
  /** status.qosClass when the manifest carries one (existing pods). */
  readonly statusQosClass?: QosClass;
}

/** `spec.accessModes` values. */
export type PersistentVolumeAccessMode = 'ReadWriteOnce' | 'ReadOnlyMany' | 'ReadWriteMany' | 'ReadWriteOncePod';

/**
 * A PersistentVolumeClaim. `storageClassName` undefined (neither the beta annotation nor
 * `spec.storageClassName`) and `""` differ: `""` asks for a volume with no class; undefined
 * takes the default class.
 */
export interface PersistentVolumeClaim extends TypedObject {
  readonly kind: 'PersistentVolumeClaim';
  readonly requests?: ResourceList;
  readonly limits?: ResourceList;
  /** The class per storagehelpers.GetPersistentVolumeClaimClass (beta annotation first). */
  readonly storageClassName?: string;
  /** spec.accessModes, as written (validation, not decoding, rejects unknown modes). */
  readonly accessModes: readonly string[];
  /** spec.volumeMode; absent means `Filesystem`. */
  readonly volumeMode?: string;
  readonly selector?: LabelSelector;
  /** spec.volumeName: the volume the claim asks for by name, or is bound to. */
  readonly volumeName?: string;
  /** spec.volumeAttributesClassName. */
  readonly volumeAttributesClassName?: string;
  readonly allocatedResources?: ResourceList;
  /**
   * The VolumeAttributesClasses the claim refers to (getReferencedVolumeAttributesClassNames):
   * spec.volumeAttributesClassName, status.currentVolumeAttributesClassName and
   * status.modifyVolumeStatus.targetVolumeAttributesClassName, the non-empty ones.
   */
  readonly volumeAttributesClassNames: readonly string[];
}

/** One Service port. */
export interface ServicePort {
  readonly nodePort?: number;
}

/** A Service. */
export interface Service extends TypedObject {
  readonly kind: 'Service';
  readonly serviceType: string;
  readonly ports: readonly ServicePort[];
  readonly allocateLoadBalancerNodePorts?: boolean;
}

/** The LimitRange item types. */
export type LimitType = 'Container' | 'Pod' | 'PersistentVolumeClaim';

/** corev1.LimitRangeItem. */
export interface LimitRangeItem {
  readonly type: string;
  readonly max?: ResourceList;
  readonly min?: ResourceList;
  readonly default?: ResourceList;
  readonly defaultRequest?: ResourceList;
  readonly maxLimitRequestRatio?: ResourceList;
}

/** A LimitRange. */
export interface LimitRange extends TypedObject {
  readonly kind: 'LimitRange';
  readonly limits: readonly LimitRangeItem[];
}

/** The quota scopes. */
export type QuotaScope = 'Terminating' | 'NotTerminating' | 'BestEffort' | 'NotBestEffort' | 'PriorityClass' | 'CrossNamespacePodAffinity' | 'VolumeAttributesClass';

/** corev1.ScopedResourceSelectorRequirement. */
export interface ScopedResourceSelectorRequirement {
  readonly scopeName: string;
  readonly operator: string;
  readonly values?: readonly string[];
}

/** A ResourceQuota. `used` is status.used when the manifest carries it. */
export interface ResourceQuota extends TypedObject {
  readonly kind: 'ResourceQuota';
  readonly hard: ResourceList;
  readonly scopes: readonly string[];
  readonly scopeSelector: readonly ScopedResourceSelectorRequirement[];
  readonly statusUsed?: ResourceList;
}

/** A Namespace. */
export interface Namespace extends TypedObject {
  readonly kind: 'Namespace';
}

/**
 * A storage.k8s.io StorageClass. Whether it is the default is read from its annotations by
 * `isDefaultStorageClass` (storage-class.ts), the one place that knows them.
 */
export interface StorageClass extends TypedObject {
  readonly kind: 'StorageClass';
  readonly provisioner?: string;
  /** volumeBindingMode; absent means `Immediate`. */
  readonly volumeBindingMode?: string;
}

/** core/v1 NodeSelectorRequirement (node affinity of a PV). */
export interface NodeSelectorRequirement {
  readonly key: string;
  readonly operator: string;
  readonly values?: readonly string[];
}

/** core/v1 NodeSelectorTerm: its requirements are ANDed. */
export interface NodeSelectorTerm {
  readonly matchExpressions?: readonly NodeSelectorRequirement[];
  readonly matchFields?: readonly NodeSelectorRequirement[];
}

/** core/v1 ObjectReference, as a PV's `spec.claimRef`. */
export interface ClaimReference {
  readonly kind?: string;
  readonly apiVersion?: string;
  readonly namespace?: string;
  readonly name?: string;
  readonly uid?: string;
}

/** A PersistentVolume, the fields volume binding reads. */
export interface PersistentVolume extends TypedObject {
  readonly kind: 'PersistentVolume';
  /** spec.capacity. */
  readonly capacity?: ResourceList;
  readonly accessModes: readonly string[];
  /** The class per storagehelpers.GetPersistentVolumeClass (beta annotation first). */
  readonly storageClassName?: string;
  /** spec.volumeMode; absent means `Filesystem`. */
  readonly volumeMode?: string;
  readonly claimRef?: ClaimReference;
  /** spec.nodeAffinity.required.nodeSelectorTerms, ORed; undefined when there is no `required`. */
  readonly nodeAffinity?: readonly NodeSelectorTerm[];
  readonly volumeAttributesClassName?: string;
  /** status.phase. */
  readonly phase?: string;
}

/** A scheduling.k8s.io PriorityClass. */
export interface PriorityClass extends TypedObject {
  readonly kind: 'PriorityClass';
  readonly value: number;
  readonly globalDefault: boolean;
  readonly preemptionPolicy?: string;
}

/** A node.k8s.io RuntimeClass: what matters to admission is the pod overhead it sets. */
export interface RuntimeClass extends TypedObject {
  readonly kind: 'RuntimeClass';
  /** overhead.podFixed. */
  readonly overhead?: ResourceList;
}

/** Any other kind: quota counts it as an object (`count/<resource>.<group>`). */
export interface OtherObject extends TypedObject {
  readonly kind: 'Other';
}

/** Every object Berth's decisions understand. */
export type KubeObject = Pod | PersistentVolumeClaim | PersistentVolume | Service | LimitRange | ResourceQuota | Namespace | PriorityClass | RuntimeClass | StorageClass | OtherObject;

/** The pod QoS classes. */
export type QosClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

