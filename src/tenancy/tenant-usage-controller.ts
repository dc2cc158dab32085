// The tenant quota's usage, from watchers: per cluster one informer per kind a tenant quota can
// limit (pods, services, persistent volume claims), all namespaces. Each namespace's usage is
// kept by a UsageLedger (the compute core's quota counting, updated object by object as events
// arrive), and a tenant's is the sum over its namespaces, so a decision never asks a cluster
// anything and never counts a namespace's objects again.
import { namespaceUsage, sumUsage, type EvaluatorRegistry } from '../compute/index.ts';
import { watchKind, type ClusterClient, type Informer, type InformerEvent, type KindRef, type KubeObject as RawObject } from '../kube/index.ts';
import { decodeObject, type JsonObject, type ResourceList } from '../objects/index.ts';
import { UsageLedger } from './usage-ledger.ts';

/** The kinds whose objects a tenant quota counts, with their group-resource. */
export const quotaWatchedKinds: readonly (KindRef & { readonly resource: string })[] = [
  { apiVersion: 'v1', kind: 'Pod', resource: 'pods' },
  { apiVersion: 'v1', kind: 'Service', resource: 'services' },
  { apiVersion: 'v1', kind: 'PersistentVolumeClaim', resource: 'persistentvolumeclaims' },
];

/** Which tenant a namespace of a cluster belongs to, if any; must answer synchronously (from a snapshot). */
export type TenantOf = (cluster: string, namespace: string) => string | undefined;

/** A namespace of a cluster. */
export interface ClusterNamespace {
  readonly cluster: string;
  readonly namespace: string;
}

/** Every namespace of a tenant in every cluster (the same snapshot as {@link TenantOf}); synchronous. */
export type NamespacesOf = (tenant: string) => Iterable<ClusterNamespace>;

/** What a watcher saw of an object: the listener of {@link TenantUsage.onObserved} gets these. */
export interface WatchedObject {
  readonly cluster: string;
  readonly namespace: string;
  /** The group-resource, e.g. `pods`. */
  readonly resource: string;
  readonly name: string;
  readonly uid: string;
  readonly resourceVersion: string;
}

/** Options of {@link TenantUsage}. */
export interface TenantUsageOptions {
  readonly registry: EvaluatorRegistry;
  readonly tenantOf: TenantOf;
  /**
   * The tenant's namespaces, when known: a tenant's usage then sums only those, and
   * {@link TenantUsage.unsynced} can tell which clusters matter to a tenant. Without it every
   * watched namespace is asked {@link tenantOf}.
   */
  readonly namespacesOf?: NamespacesOf;
  /** Told about watch failures (the informers retry) and objects that cannot be decoded (not counted). */
  readonly onError?: (err: unknown) => void;
}

/**
 * What the quota's counting reads of an object: its spec and status, and of its metadata what
 * names and versions it. managedFields and annotations (often most of an object's bytes) are
 * dropped before the informer caches it: every pod, service and claim of every cluster is held,
 * and the garbage collector's pauses grow with them.
 */
function countedPart(o: RawObject): RawObject {
  const m = o.metadata;
  if (m === undefined) return o;
  const { managedFields: _managedFields, annotations: _annotations, ...metadata } = m as Record<string, unknown>;
  return { ...o, metadata: metadata as RawObject['metadata'] };
}

/** One cluster's informers and its objects by namespace. */
interface ClusterWatch {
  readonly informers: Informer[];
  readonly client: ClusterClient;
  readonly namespaces: Map<string, UsageLedger<RawObject>>;
}

/**
 * The watched usage of every tenant over every cluster added. `usage(tenant, hard)` is the sum,
 * over each namespace `tenantOf` gives to the tenant in each cluster, of what its pods, services
 * and claims use of `hard` as the quota controller counts it. Membership is asked at each call,
 * so a namespace given to a tenant later counts at once. Per replica and eventually consistent
 * with the clusters; {@link TenantUsage.onObserved} listeners hear each object added or changed.
 */
export class TenantUsage {
  readonly #opts: TenantUsageOptions;
  readonly #clusters = new Map<string, ClusterWatch>();
  readonly #listeners = new Set<(o: WatchedObject) => void>();
  /** The zero usage of each quota's names (the callers keep one `hard` object per quota). */
  readonly #zeros = new WeakMap<ResourceList, ResourceList>();

  constructor(opts: TenantUsageOptions) {
    this.#opts = opts;
  }

  /** Starts watching `cluster` with `client` (replacing an earlier watch of it). Resolves once started, not synced. */
  async addCluster(cluster: string, client: ClusterClient): Promise<void> {
    await this.removeCluster(cluster);
    const namespaces = new Map<string, UsageLedger<RawObject>>();
    const informers = quotaWatchedKinds.map((ref) =>
      watchKind(client, ref, { onError: this.#opts.onError, transform: countedPart }, (e) => this.#apply(cluster, namespaces, ref, e)));
    this.#clusters.set(cluster, { client, informers, namespaces });
  }

  /** The client `cluster` is watched with, if it is watched. */
  clientOf(cluster: string): ClusterClient | undefined {
    return this.#clusters.get(cluster)?.client;
  }

  /** The clusters watched. */
  clusters(): string[] {
    return [...this.#clusters.keys()];
  }

  /** Stops watching `cluster` and forgets its objects. Idempotent. */
  async removeCluster(cluster: string): Promise<void> {
    const w = this.#clusters.get(cluster);
    if (w === undefined) return;
    this.#clusters.delete(cluster);
    await Promise.all(w.informers.map((i) => i.stop()));
  }

  /** Stops every watch. */
  async stop(): Promise<void> {
    await Promise.all([...this.#clusters.keys()].map((c) => this.removeCluster(c)));
  }

  /**
   * The clusters whose first list has not been delivered yet for every kind (usage there is
   * unknown); with `tenant` (and {@link TenantUsageOptions.namespacesOf}), only those where the
   * tenant has a namespace, and also those of them not watched at all (not added yet, or their
   * watch could not start): counting such a cluster as empty would admit unchecked.
   */
  unsynced(tenant?: string): string[] {
    const listed = (w: ClusterWatch | undefined): boolean => w !== undefined && w.informers.every((i) => i.hasSynced);
    const namespacesOf = this.#opts.namespacesOf;
    if (tenant === undefined || namespacesOf === undefined) return [...this.#clusters.entries()].filter(([, w]) => !listed(w)).map(([c]) => c);
    let unknown: Set<string> | undefined;
    for (const { cluster } of namespacesOf(tenant)) if (!listed(this.#clusters.get(cluster))) (unknown ??= new Set()).add(cluster);
    return unknown === undefined ? [] : [...unknown].sort();
  }

  /** Resolves when every cluster added so far has delivered its first lists. */
  async synced(): Promise<void> {
    await Promise.all([...this.#clusters.values()].flatMap((w) => w.informers.map((i) => i.synced)));
  }

  /** Adds a listener for objects added or changed in any watched namespace; returns its remover. */
  onObserved(listener: (o: WatchedObject) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The watched usage of `tenant`'s namespaces in every cluster, of the names in `hard` (zero for each it can measure). */
  usage(tenant: string, hard: ResourceList): ResourceList {
    let zero = this.#zeros.get(hard);
    if (zero === undefined) this.#zeros.set(hard, (zero = namespaceUsage(this.#opts.registry, hard, [])));
    const parts: ResourceList[] = [zero];
    const namespacesOf = this.#opts.namespacesOf;
    if (namespacesOf !== undefined) {
      for (const { cluster, namespace } of namespacesOf(tenant)) {
        const objects = this.#clusters.get(cluster)?.namespaces.get(namespace);
        if (objects !== undefined) parts.push(objects.usage(hard));
      }
      return sumUsage(parts);
    }
    for (const [cluster, w] of this.#clusters) {
      for (const [ns, objects] of w.namespaces) {
        if (this.#opts.tenantOf(cluster, ns) === tenant) parts.push(objects.usage(hard));
      }
    }
    return sumUsage(parts);
  }

  /**
   * The resourceVersion of the object `resource` `namespace/name` in `cluster` as watched, if it
   * is held (and has uid `uid`, when one is given).
   */
  observedVersion(cluster: string, namespace: string, resource: string, name: string, uid: string): string | undefined {
    const o = this.#clusters.get(cluster)?.namespaces.get(namespace)?.get(`${resource}/${name}`);
    if (o === undefined || (uid !== '' && o.metadata?.uid !== uid)) return undefined;
    return o.metadata?.resourceVersion ?? '';
  }

  #apply(cluster: string, namespaces: Map<string, UsageLedger<RawObject>>, ref: KindRef & { resource: string }, e: InformerEvent): void {
    if (e.type === 'resync') {
      if (e.reason === 'periodic') return;
      for (const o of e.objects) this.#put(cluster, namespaces, ref, o);
      return;
    }
    if (e.type === 'deleted') {
      namespaces.get(e.object.metadata?.namespace ?? '')?.delete(`${ref.resource}/${e.object.metadata?.name ?? ''}`);
      return;
    }
    this.#put(cluster, namespaces, ref, e.object);
  }

  #put(cluster: string, namespaces: Map<string, UsageLedger<RawObject>>, ref: KindRef & { resource: string }, o: RawObject): void {
    const namespace = o.metadata?.namespace ?? '';
    const name = o.metadata?.name ?? '';
    let ns = namespaces.get(namespace);
    if (ns === undefined) {
      ns = new UsageLedger<RawObject>(this.#opts.registry, (raw) => decodeObject(raw as JsonObject), this.#opts.onError);
      namespaces.set(namespace, ns);
    }
    // List items come without apiVersion and kind.
    ns.put(`${ref.resource}/${name}`, { ...o, apiVersion: ref.apiVersion, kind: ref.kind });
    const seen: WatchedObject = {
      cluster, namespace, resource: ref.resource, name, uid: o.metadata?.uid ?? '', resourceVersion: o.metadata?.resourceVersion ?? '',
    };
    for (const l of this.#listeners) l(seen);
  }
}
