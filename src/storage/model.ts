// The storage area's types: the subset of the Kubernetes core/v1 and storage.k8s.io/v1
// objects that volume binding reads, in their JSON shape (quantities as strings).

/** `spec.accessModes` values. */
export type PersistentVolumeAccessMode = 'ReadWriteOnce' | 'ReadOnlyMany' | 'ReadWriteMany' | 'ReadWriteOncePod';

/** `spec.volumeMode`; absent means `Filesystem`. */
export type PersistentVolumeMode = 'Filesystem' | 'Block';

/** `status.phase` of a PersistentVolume. */
export type PersistentVolumePhase = 'Pending' | 'Available' | 'Bound' | 'Released' | 'Failed';

/** `volumeBindingMode` of a StorageClass; absent means `Immediate`. */
export type VolumeBindingMode = 'Immediate' | 'WaitForFirstConsumer';

export type { LabelSelector, LabelSelectorRequirement } from '../compute/index.ts';
import type { LabelSelector } from '../compute/index.ts';

/** core/v1 NodeSelectorRequirement (node affinity of a PV). */
export interface NodeSelectorRequirement {
  readonly key: string;
  readonly operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';
  readonly values?: readonly string[];
}

/** core/v1 NodeSelectorTerm: its requirements are ANDed. */
export interface NodeSelectorTerm {
  readonly matchExpressions?: readonly NodeSelectorRequirement[];
  readonly matchFields?: readonly NodeSelectorRequirement[];
}

/** core/v1 VolumeNodeAffinity: the terms of `required` are ORed. */
export interface VolumeNodeAffinity {
  readonly required?: { readonly nodeSelectorTerms: readonly NodeSelectorTerm[] };
}

/** core/v1 ObjectReference, as a PV's `spec.claimRef`. */
export interface ClaimReference {
  readonly kind?: string;
  readonly apiVersion?: string;
  readonly namespace?: string;
  readonly name?: string;
  readonly uid?: string;
}

/** The metadata fields binding reads. */
export interface ObjectMeta {
  readonly name: string;
  readonly namespace?: string;
  readonly uid?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly creationTimestamp?: string;
  readonly deletionTimestamp?: string;
}

/** core/v1 PersistentVolume (the fields binding reads). */
export interface PersistentVolume {
  readonly metadata: ObjectMeta;
  readonly spec: {
    readonly capacity?: { readonly storage?: string };
    readonly accessModes?: readonly PersistentVolumeAccessMode[];
    readonly storageClassName?: string;
    readonly volumeMode?: PersistentVolumeMode;
    readonly claimRef?: ClaimReference;
    readonly nodeAffinity?: VolumeNodeAffinity;
    readonly volumeAttributesClassName?: string;
  };
  readonly status?: { readonly phase?: PersistentVolumePhase };
}

/**
 * core/v1 PersistentVolumeClaim (the fields binding reads). `storageClassName` absent (or
 * `null`) and `""` differ: `""` asks for a volume with no class; absent takes the default class.
 */
export interface PersistentVolumeClaim {
  readonly metadata: ObjectMeta & { readonly namespace: string };
  readonly spec: {
    readonly accessModes?: readonly PersistentVolumeAccessMode[];
    readonly resources?: { readonly requests?: { readonly storage?: string } };
    readonly storageClassName?: string | null;
    readonly volumeMode?: PersistentVolumeMode;
    readonly selector?: LabelSelector;
    readonly volumeName?: string;
    readonly volumeAttributesClassName?: string | null;
  };
}

/** storage.k8s.io/v1 StorageClass (the fields binding reads). */
export interface StorageClass {
  readonly metadata: ObjectMeta;
  readonly provisioner?: string;
  readonly volumeBindingMode?: VolumeBindingMode;
}

/** A Node as the scheduler path of binding sees it: its name and labels. */
export interface NodeInfo {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
}
