// Which PersistentVolume a PersistentVolumeClaim binds to, decided as kube-controller-manager's
// PV controller decides it (pkg/controller/volume/persistentvolume: syncUnboundClaim, the
// access-mode index of index.go, checkVolumeSatisfyClaim) with the matching rules of
// component-helpers storage/volume FindMatchingVolume, which the scheduler shares.

import {
  admitDefaultStorageClass, compareQuantities, defaultStorageClass, labelSelectorAsSelector, quantityValue, zeroQuantity,
  type JsonObject, type NodeSelectorRequirement, type NodeSelectorTerm, type PersistentVolume, type PersistentVolumeAccessMode,
  type PersistentVolumeClaim, type Quantity, type ResourceList, type StorageClass,
} from '../objects/index.ts';
import type { NodeInfo } from './model.ts';

/** Set on a PV (and PVC) when the controller, not the user, made the binding. */
export const boundByControllerAnnotation = 'pv.kubernetes.io/bound-by-controller';

/** The claim's class (GetPersistentVolumeClaimClass): the beta annotation, else `spec.storageClassName`, else `""`. */
export function claimStorageClass(claim: PersistentVolumeClaim): string {
  return claim.storageClassName ?? '';
}

/** The volume's class (GetPersistentVolumeClass): the beta annotation, else `spec.storageClassName`, else `""`. */
export function volumeStorageClass(volume: PersistentVolume): string {
  return volume.storageClassName ?? '';
}

/**
 * IsDelayBindingMode: true when the claim's class exists and binds `WaitForFirstConsumer`.
 * A claim with class `""` or an unknown class binds immediately.
 */
export function isDelayBinding(claim: PersistentVolumeClaim, classes: readonly StorageClass[]): boolean {
  const name = claimStorageClass(claim);
  if (name === '') return false;
  return classes.find((c) => c.metadata.name === name)?.volumeBindingMode === 'WaitForFirstConsumer';
}

/**
 * IsVolumeBoundToClaim: the volume's claimRef names this claim's namespace and name, and its
 * UID when the claimRef has one (a pre-bound PV often has none).
 */
export function isVolumeBoundToClaim(volume: PersistentVolume, claim: PersistentVolumeClaim): boolean {
  const ref = volume.claimRef;
  if (!ref) return false;
  if (ref.name !== claim.metadata.name || ref.namespace !== claim.metadata.namespace) return false;
  return !ref.uid || ref.uid === claim.metadata.uid;
}

function storageOf(list: ResourceList | undefined): Quantity {
  return list?.storage ?? zeroQuantity();
}

function volumeModeOf(mode: string | undefined): string {
  return mode ?? 'Filesystem';
}

// VolumeAttributesClass is GA (1.34): an unset name and "" are the same, and must be equal on both sides.
function attributesClassMatches(volume: PersistentVolume, claim: PersistentVolumeClaim): boolean {
  return (volume.volumeAttributesClassName ?? '') === (claim.volumeAttributesClassName ?? '');
}

/** CheckAccessModes: the volume offers every mode the claim asks for. */
export function volumeHasAccessModes(volume: PersistentVolume, modes: readonly string[]): boolean {
  const offered = new Set(volume.accessModes);
  return modes.every((m) => offered.has(m));
}

/**
 * CheckNodeAffinity: a volume without `nodeAffinity.required` fits every node; otherwise one
 * of its terms must match the node (a term with no requirements matches nothing).
 */
export function volumeFitsNode(volume: PersistentVolume, node: NodeInfo): boolean {
  const required = volume.nodeAffinity;
  if (!required) return true;
  return required.some((term) => termMatches(term, node));
}

function termMatches(term: NodeSelectorTerm, node: NodeInfo): boolean {
  const expressions = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (expressions.length === 0 && fields.length === 0) return false;
  return expressions.every((r) => requirementMatches(r, node.labels)) && fields.every((r) => r.key === 'metadata.name' && requirementMatches(r, { 'metadata.name': node.name }));
}

function requirementMatches(r: NodeSelectorRequirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.hasOwn(labels, r.key);
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return has && values.includes(labels[r.key]);
    case 'NotIn':
      return !has || !values.includes(labels[r.key]);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
    case 'Lt': {
      if (!has || values.length !== 1 || !/^-?\d+$/.test(values[0]) || !/^-?\d+$/.test(labels[r.key])) return false;
      const label = BigInt(labels[r.key]);
      const bound = BigInt(values[0]);
      return r.operator === 'Gt' ? label > bound : label < bound;
    }
    default:
      // NodeSelectorRequirementsAsSelector fails on an unknown operator, and the term then matches nothing.
      return false;
  }
}

/** Options of {@link findMatchingVolume}. */
export interface MatchOptions {
  /** The claim's class binds `WaitForFirstConsumer`: only a volume pre-bound to the claim is returned. */
  readonly delayBinding?: boolean;
  /**
   * The scheduler path: the node a pod is being placed on. Node affinity and access modes are
   * checked, and delayed binding does not hold back unbound volumes.
   */
  readonly node?: NodeInfo;
  /** Names of volumes already chosen for other claims of the same pod (scheduler path). */
  readonly excluded?: ReadonlySet<string>;
}

/**
 * FindMatchingVolume over `volumes`, in their order: skips volumes bound or pre-bound to another
 * claim, too small, of another volumeMode or VolumeAttributesClass, being deleted, or (scheduler path) not fitting the
 * node. A volume bound to this claim is returned at once. Otherwise the smallest volume that is
 * `Available`, matches the claim's selector and class (and, on the scheduler path, its access
 * modes) wins; among equal sizes, the first in `volumes` (upstream's order there is its informer
 * index's, which is unspecified). Unbound volumes are never returned under delayed
 * binding on the controller path. Throws when a quantity or the selector is invalid.
 */
export function findMatchingVolume(claim: PersistentVolumeClaim, volumes: readonly PersistentVolume[], options: MatchOptions = {}): PersistentVolume | undefined {
  const requested = storageOf(claim.requests);
  const requestedClass = claimStorageClass(claim);
  const selector = claim.selector ? labelSelectorAsSelector(claim.selector) : undefined;
  const node = options.node;
  let smallest: PersistentVolume | undefined;
  let smallestSize: Quantity | undefined;
  for (const volume of volumes) {
    if (options.excluded?.has(volume.metadata.name)) continue;
    if (volume.claimRef && !isVolumeBoundToClaim(volume, claim)) continue;
    const size = storageOf(volume.capacity);
    if (compareQuantities(size, requested) < 0) continue;
    if (volumeModeOf(volume.volumeMode) !== volumeModeOf(claim.volumeMode)) continue;
    if (!attributesClassMatches(volume, claim)) continue;
    if (volume.metadata.deletionTimestamp) continue;
    const fitsNode = node ? volumeFitsNode(volume, node) : true;
    if (isVolumeBoundToClaim(volume, claim)) return fitsNode ? volume : undefined;
    if (!node && options.delayBinding) continue;
    if (volume.phase !== 'Available') continue;
    if (selector && !selector.matches(volume.metadata.labels ?? {})) continue;
    if (volumeStorageClass(volume) !== requestedClass) continue;
    if (!fitsNode) continue;
    if (node && !volumeHasAccessModes(volume, claim.accessModes)) continue;
    if (!smallestSize || compareQuantities(smallestSize, size) > 0) {
      smallest = volume;
      smallestSize = size;
    }
  }
  return smallest;
}

const accessModeAbbreviations: readonly (readonly [PersistentVolumeAccessMode, string])[] = [
  ['ReadWriteOnce', 'RWO'],
  ['ReadOnlyMany', 'ROX'],
  ['ReadWriteMany', 'RWX'],
  ['ReadWriteOncePod', 'RWOP'],
];

/** GetAccessModesAsString: `RWO,ROX,RWX,RWOP` order, each mode once. */
export function accessModesKey(modes: readonly string[]): string {
  return accessModeAbbreviations.filter(([mode]) => modes.includes(mode)).map(([, short]) => short).join(',');
}

/**
 * The PV controller's search for an unbound claim without `volumeName` (findBestMatchForClaim):
 * volumes are grouped by their set of access modes; the groups whose modes include all the
 * claim's are tried from the fewest modes up, and the first group with a match decides
 * ({@link findMatchingVolume} within it). So a claim for RWO takes an RWO volume over a
 * smaller RWO+ROX one. Upstream's order between groups of equal size is unspecified (map
 * order); here it is the order of {@link accessModesKey}, for determinism.
 */
export function findBestMatchForClaim(claim: PersistentVolumeClaim, volumes: readonly PersistentVolume[], delayBinding: boolean): PersistentVolume | undefined {
  const groups = new Map<string, { modes: number; volumes: PersistentVolume[] }>();
  const wanted = claim.accessModes;
  for (const volume of volumes) {
    const key = accessModesKey(volume.accessModes);
    let group = groups.get(key);
    if (!group) {
      group = { modes: key === '' ? 0 : key.split(',').length, volumes: [] };
      groups.set(key, group);
    }
    group.volumes.push(volume);
  }
  const candidates = [...groups.entries()]
    .filter(([, g]) => volumeHasAccessModes(g.volumes[0], wanted))
    .sort(([ka, a], [kb, b]) => a.modes - b.modes || (ka < kb ? -1 : ka > kb ? 1 : 0));
  for (const [, group] of candidates) {
    const match = findMatchingVolume(claim, group.volumes, { delayBinding });
    if (match) return match;
  }
  return undefined;
}

/**
 * checkVolumeSatisfyClaim, for a claim that names its volume: the reason the volume cannot
 * serve the claim, worded as the controller's event, or `undefined` when it can.
 * Sizes compare as whole units rounded up (Quantity.Value), as upstream does here.
 */
export function volumeSatisfiesClaim(volume: PersistentVolume, claim: PersistentVolumeClaim): string | undefined {
  if (volume.metadata.deletionTimestamp) return `the volume is marked for deletion "${volume.metadata.name}"`;
  if (quantityValue(storageOf(volume.capacity)) < quantityValue(storageOf(claim.requests))) {
    return 'requested PV is too small';
  }
  if (volumeStorageClass(volume) !== claimStorageClass(claim)) return 'storageClassName does not match';
  if (!attributesClassMatches(volume, claim)) return 'volumeAttributesClassName does not match';
  if (volumeModeOf(volume.volumeMode) !== volumeModeOf(claim.volumeMode)) return 'incompatible volumeMode';
  if (!volumeHasAccessModes(volume, claim.accessModes)) return 'incompatible accessMode';
  return undefined;
}

/** What the PV controller does with an unbound claim. */
export type BindingDecision =
  /** Bind the claim to this volume. */
  | { readonly action: 'Bind'; readonly volume: PersistentVolume }
  /** No volume matches; the claim's class provisions one dynamically. */
  | { readonly action: 'Provision'; readonly storageClassName: string }
  /** The class binds WaitForFirstConsumer: the scheduler binds once a pod uses the claim. */
  | { readonly action: 'WaitForFirstConsumer' }
  /** The claim stays Pending; `message` is the controller's event text. */
  | { readonly action: 'Pending'; readonly message: string };

/** Inputs of {@link decideBinding} besides the claim. */
export interface BindingContext {
  readonly volumes: readonly PersistentVolume[];
  readonly classes: readonly StorageClass[];
  /**
   * The default class the DefaultStorageClass admission gives a claim without a class; when
   * absent, GetDefaultClass of `classes` (`defaultStorageClass` of the object model) is used.
   */
  readonly defaultStorageClass?: string;
}

/**
 * syncUnboundClaim's decision for one claim, after the DefaultStorageClass admission:
 * - with `spec.volumeName`: that volume if it is free (and satisfies the claim) or already
 *   bound to this claim; Pending otherwise;
 * - without: {@link findBestMatchForClaim}; failing that, WaitForFirstConsumer for a delayed
 *   class, Provision for any other non-empty class, Pending for `""`.
 * Pure: the volumes are not changed. Throws when a quantity or selector is invalid.
 */
export function decideBinding(claim: PersistentVolumeClaim, context: BindingContext): BindingDecision {
  const admitted = admitDefaultStorageClass(claim, context.defaultStorageClass ?? defaultStorageClass(context.classes)?.metadata.name);
  const wantedName = admitted.volumeName;
  if (wantedName) {
    const volume = context.volumes.find((v) => v.metadata.name === wantedName);
    if (!volume) return { action: 'Pending', message: `volume "${wantedName}" requested by the claim does not exist` };
    if (!volume.claimRef) {
      const mismatch = volumeSatisfiesClaim(volume, admitted);
      return mismatch ? { action: 'Pending', message: `Cannot bind to requested volume "${wantedName}": ${mismatch}` } : { action: 'Bind', volume };
    }
    if (isVolumeBoundToClaim(volume, admitted)) return { action: 'Bind', volume };
    return { action: 'Pending', message: `volume "${wantedName}" already bound to a different claim.` };
  }
  const delayBinding = isDelayBinding(admitted, context.classes);
  const volume = findBestMatchForClaim(admitted, context.volumes, delayBinding);
  if (volume) return { action: 'Bind', volume };
  if (delayBinding) return { action: 'WaitForFirstConsumer' };
  const className = claimStorageClass(admitted);
  if (className !== '') return { action: 'Provision', storageClassName: className };
  return { action: 'Pending', message: 'no persistent volumes available for this claim and no storage class is set' };
}

/**
 * The volume after the controller binds it to the claim (GetBindVolumeToClaim plus the phase
 * update): claimRef set to the claim with its UID, `bound-by-controller` annotated when the
 * user had not pre-bound it, phase Bound. Returns a new object.
 */
export function bindVolumeToClaim(volume: PersistentVolume, claim: PersistentVolumeClaim): PersistentVolume {
  const preBound = isVolumeBoundToClaim(volume, claim);
  const annotations = { ...volume.metadata.annotations };
  if (!preBound && annotations[boundByControllerAnnotation] === undefined) annotations[boundByControllerAnnotation] = 'yes';
  const claimRef = { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: claim.metadata.namespace, name: claim.metadata.name, uid: claim.metadata.uid };
  const raw = volume.raw;
  return {
    ...volume,
    metadata: { ...volume.metadata, annotations },
    claimRef,
    phase: 'Bound',
    raw: {
      ...raw,
      metadata: { ...(raw.metadata as JsonObject | undefined), annotations },
      spec: { ...(raw.spec as JsonObject | undefined), claimRef },
      status: { ...(raw.status as JsonObject | undefined), phase: 'Bound' },
    },
  };
}

/** One claim's outcome in {@link bindClaims}. */
export interface ClaimBinding {
  /** `namespace/name`. */
  readonly claim: string;
  readonly decision: BindingDecision;
}

/** The result of {@link bindClaims}: a decision per claim, in order, and the volumes after binding. */
export interface BindingPlan {
  readonly bindings: readonly ClaimBinding[];
  readonly volumes: readonly PersistentVolume[];
}

/**
 * Binds a set of claims one after another, each seeing the volumes the earlier ones took
 * (bound volumes carry a claimRef, so later claims skip them).
 *
 * Order assumption: the controller works claims off a queue fed by watch events, so claims
 * created together are handled in creation order; pass `claims` in that order. Upstream
 * guarantees nothing stronger, so when two claims compete for one volume the earlier one
 * wins here, and a claim that names a volume (`volumeName`) can lose it to an earlier claim
 * that matched it, as in a real cluster. Pure: inputs are not changed.
 */
export function bindClaims(claims: readonly PersistentVolumeClaim[], context: BindingContext): BindingPlan {
  const volumes = [...context.volumes];
  const bindings: ClaimBinding[] = [];
  for (const claim of claims) {
    const decision = decideBinding(claim, { ...context, volumes });
    if (decision.action === 'Bind') {
      const index = volumes.indexOf(decision.volume);
      const bound = bindVolumeToClaim(decision.volume, claim);
      volumes[index] = bound;
      bindings.push({ claim: `${claim.metadata.namespace}/${claim.metadata.name}`, decision: { action: 'Bind', volume: bound } });
    } else {
      bindings.push({ claim: `${claim.metadata.namespace}/${claim.metadata.name}`, decision });
    }
  }
  return { bindings, volumes };
}
