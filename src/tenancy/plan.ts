// What one reconcile pass does in one cluster, decided without I/O: the desired objects (from
// renderTenant) against what the cluster holds, read from watches of the objects Berth labelled.
// An object is in sync when every field Berth wants is in the observed object (the API server
// adds defaults and status, which are not differences) and Berth owns no field it no longer
// wants; so a second pass over an applied cluster plans nothing. Pruning touches only what
// carries Berth's label AND was applied by Berth's field manager: a label alone can be copied by
// anyone, and what Berth did not create is never deleted.
import { compareQuantities, parseQuantity } from '../objects/index.ts';
import { ADOPTED_ANNOTATION, MANAGED_BY, MANAGED_BY_LABEL, TENANT_LABEL, type Manifest } from './render.ts';

/** The state of one desired object after a pass. */
export type ObjectState = 'Pending' | 'Applied' | 'Drifted' | 'Failed';

/** The status of one desired object in one cluster, as the reconciler reports it after a pass. */
export interface ObjectStatusRow {
  /** The object's namespace; for a Namespace, its own name. */
  readonly namespace: string;
  readonly kind: string;
  readonly name: string;
  readonly tenant: string;
  readonly state: ObjectState;
  /** Empty when Applied; what differed (Drifted) or the API server's words (Failed). */
  readonly message: string;
}

/** What a cluster should hold: every tenant's manifests for it, and the namespaces adopted there. */
export interface DesiredState {
  readonly manifests: readonly Manifest[];
  /** Namespaces adopted (never deleted by prune: their Berth labels are removed instead). */
  readonly adopted: ReadonlySet<string>;
}

/** An object as read from the cluster; only what the plan reads is typed. */
export interface ObservedObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata?: {
    readonly name?: string;
    readonly namespace?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
    readonly managedFields?: readonly Readonly<Record<string, unknown>>[];
    readonly deletionTimestamp?: string;
    readonly [k: string]: unknown;
  };
  readonly [k: string]: unknown;
}

/** The field manager whose entries mark an object as applied by Berth. */
export const BERTH_MANAGER = MANAGED_BY;

/** One object to apply and why. */
export interface PlannedApply {
  readonly manifest: Manifest;
  /** `create` when absent; `drift` when present but different (`difference` says how). */
  readonly cause: 'create' | 'drift';
  readonly difference: string;
}

/** One object to delete (or, for an adopted Namespace, to give back). */
export interface PlannedPrune {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
}

/** A pass, decided. Applies run Namespaces first; prunes run after applies. */
export interface Plan {
  /** Namespaces to apply, before anything else. */
  readonly namespaces: readonly PlannedApply[];
  /** Other objects to apply, once their Namespace is there. */
  readonly objects: readonly PlannedApply[];
  /** Objects to delete: other kinds first, then Namespaces (their deletion removes what they hold). */
  readonly prune: readonly PlannedPrune[];
  /** Adopted Namespaces no longer desired: apply an empty configuration to drop Berth's labels and annotations. */
  readonly release: readonly string[];
  /** Rows for the desired objects that need no request: in sync (Applied) or refused (Failed, e.g. a foreign namespace). */
  readonly rows: readonly ObjectStatusRow[];
}

/** A key unique per object in one cluster: `Kind/namespace/name`. */
export function objectKey(o: { readonly kind?: string; readonly metadata?: { readonly name?: string; readonly namespace?: string } }): string {
  return `${o.kind ?? ''}/${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
}

/** The status-row identity of a desired object, with `state` and `message`. */
export function statusRow(m: Manifest, state: ObjectState, message: string): ObjectStatusRow {
  return {
    namespace: m.metadata.namespace ?? (m.kind === 'Namespace' ? m.metadata.name : ''), kind: m.kind, name: m.metadata.name,
    tenant: m.metadata.labels[TENANT_LABEL] ?? '', state, message,
  };
}

/** True when `o` carries Berth's label and a managedFields entry of Berth's field manager: the only objects a prune may touch. */
export function appliedByBerth(o: ObservedObject): boolean {
  return o.metadata?.labels?.[MANAGED_BY_LABEL] === MANAGED_BY
    && (o.metadata.managedFields ?? []).some((f) => f.manager === BERTH_MANAGER);
}

/** Whose an existing object is, to a tenant (see {@link holdingOf}). */
export type Holding =
  | { readonly state: 'berth' }
  | { readonly state: 'other-tenant'; readonly owner: string }
  | { readonly state: 'foreign'; readonly labelled: boolean };

/**
 * Whether the existing object `o` (a Namespace a tenant is about to place, or one Berth is about
 * to remove) is Berth's own for `tenant`, by the one rule the reconciler's plan also applies
 * ({@link appliedByBerth}: Berth's label and Berth's field manager): `berth` when Berth applied it
 * for `tenant`; `other-tenant` when Berth applied it for another tenant (its label names which);
 * `foreign` otherwise, `labelled` when it carries Berth's label all the same (anyone who may edit
 * a namespace may write a label). Pure.
 */
export function holdingOf(o: ObservedObject, tenant: string): Holding {
  const labels = o.metadata?.labels ?? {};
  if (!appliedByBerth(o)) return { state: 'foreign', labelled: labels[MANAGED_BY_LABEL] === MANAGED_BY };
  const owner = labels[TENANT_LABEL] ?? '';
  return owner === tenant ? { state: 'berth' } : { state: 'other-tenant', owner };
}

// Quantities the API server rewrites into canonical form: a ResourceQuota's hard and a
// LimitRange item's bounds. Elsewhere a string is compared as is.
const quantityMap = /^spec\.hard$|^spec\.limits\[\d+\]\.(max|min|default|defaultRequest|maxLimitRequestRatio)$/;

function sameQuantity(want: string, have: string): boolean {
  try {
    return compareQuantities(parseQuantity(want), parseQuantity(have)) === 0;
  } catch {
    return false;
  }
}

function show(v: unknown): string {
  return v === undefined ? 'absent' : JSON.stringify(v);
}

/**
 * The first field of `want` that `have` does not hold, as `path: want X, have Y`, or undefined
 * when `want` is a subset of `have`. Objects are compared key by key (extra keys in `have` are
 * defaults and do not count), arrays element by element with equal length, quantities in a
 * quota or limit map by value.
 */
export function subsetDifference(want: unknown, have: unknown, path = ''): string | undefined {
  if (Array.isArray(want)) {
    if (!Array.isArray(have) || have.length !== want.length) return `${path}: want ${show(want)}, have ${show(have)}`;
    for (let i = 0; i < want.length; i++) {
      const d = subsetDifference(want[i], have[i], `${path}[${i}]`);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  if (typeof want === 'object' && want !== null) {
    if (typeof have !== 'object' || have === null || Array.isArray(have)) return `${path}: want ${show(want)}, have ${show(have)}`;
    const quantities = quantityMap.test(path);
    for (const [k, v] of Object.entries(want)) {
      const h = (have as Record<string, unknown>)[k];
      const at = path === '' ? k : `${path}.${k}`;
      if (quantities && typeof v === 'string' && typeof h === 'string' && sameQuantity(v, h)) continue;
      const d = subsetDifference(v, h, at);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  return want === have ? undefined : `${path}: want ${show(want)}, have ${show(have)}`;
}

/**
 * The first field Berth's field manager owns in `have` (from its `Apply` managedFields entry)
 * that `want` no longer holds, as a path, or undefined. Only map fields (`f:` entries) are
 * followed; lists are compared whole by {@link subsetDifference}. Such a field would stay
 * forever without a new apply, which drops it.
 */
export function unwantedOwnedField(want: unknown, have: ObservedObject): string | undefined {
  const entry = (have.metadata?.managedFields ?? []).find((f) => f.manager === BERTH_MANAGER && f.operation === 'Apply');
  const walk = (fields: unknown, w: unknown, path: string): string | undefined => {
    if (typeof fields !== 'object' || fields === null || typeof w !== 'object' || w === null || Array.isArray(w)) return undefined;
    for (const [k, sub] of Object.entries(fields)) {
      if (!k.startsWith('f:')) continue;
      const name = k.slice(2);
      const at = path === '' ? name : `${path}.${name}`;
      if (!(name in w)) return at;
      const d = walk(sub, (w as Record<string, unknown>)[name], at);
      if (d !== undefined) return d;
    }
    return undefined;
  };
  return entry === undefined ? undefined : walk(entry.fieldsV1, want, '');
}

/** Why the desired `m` and the observed `o` differ, or undefined when `o` is in sync. */
export function driftOf(m: Manifest, o: ObservedObject): string | undefined {
  const { apiVersion: _a, kind: _k, ...fields } = m;
  const missing = subsetDifference(fields, o);
  if (missing !== undefined) return missing;
  const extra = unwantedOwnedField(fields, o);
  return extra === undefined ? undefined : `${extra}: owned by Berth and no longer wanted`;
}

function foreignMessage(name: string): string {
  return `namespace "${name}" exists in the cluster and is not managed by Berth; it is left untouched (adopt it explicitly to let Berth manage it)`;
}

function namespaceVerdicts(desired: DesiredState, observed: ReadonlyMap<string, ObservedObject>): Map<string, string | undefined> {
  // namespace name → undefined when Berth may write there, else why not
  const verdicts = new Map<string, string | undefined>();
  for (const m of desired.manifests) {
    if (m.kind !== 'Namespace') continue;
    const o = observed.get(objectKey(m));
    const name = m.metadata.name;
    if (o === undefined || appliedByBerth(o) || desired.adopted.has(name)) {
      verdicts.set(name, o?.metadata?.deletionTimestamp === undefined
        ? undefined
        : `namespace "${name}" is being deleted; it is created again once the deletion completes`);
    } else {
      verdicts.set(name, foreignMessage(name));
    }
  }
  return verdicts;
}

function pruneOf(desiredKeys: ReadonlySet<string>, desired: DesiredState, observed: ReadonlyMap<string, ObservedObject>): Pick<Plan, 'prune' | 'release'> {
  const doomed = (o: ObservedObject): boolean =>
    !desiredKeys.has(objectKey(o)) && appliedByBerth(o) && o.metadata?.deletionTimestamp === undefined;
  const candidates = [...observed.values()].filter(doomed);
  const isReleased = (o: ObservedObject): boolean =>
    desired.adopted.has(o.metadata?.name ?? '') || o.metadata?.annotations?.[ADOPTED_ANNOTATION] === 'true';
  const namespaces = candidates.filter((o) => o.kind === 'Namespace');
  const deletedNamespaces = new Set(namespaces.filter((o) => !isReleased(o)).map((o) => o.metadata?.name));
  const terminating = new Set([...observed.values()]
    .filter((o) => o.kind === 'Namespace' && o.metadata?.deletionTimestamp !== undefined).map((o) => o.metadata?.name));
  const ref = (o: ObservedObject): PlannedPrune => ({
    apiVersion: o.apiVersion ?? '', kind: o.kind ?? '', name: o.metadata?.name ?? '',
    ...(o.metadata?.namespace === undefined ? {} : { namespace: o.metadata.namespace }),
  });
  const byKey = (a: PlannedPrune, b: PlannedPrune): number => (objectKey({ kind: a.kind, metadata: a }) < objectKey({ kind: b.kind, metadata: b }) ? -1 : 1);
  return {
    prune: [
      // What a deleted or terminating Namespace holds goes with it: no request of its own.
      ...candidates.filter((o) => o.kind !== 'Namespace' && !deletedNamespaces.has(o.metadata?.namespace) && !terminating.has(o.metadata?.namespace))
        .map(ref).sort(byKey),
      ...namespaces.filter((o) => deletedNamespaces.has(o.metadata?.name)).map(ref).sort(byKey),
    ],
    release: namespaces.filter(isReleased).map((o) => o.metadata?.name ?? '').sort(),
  };
}

/**
 * Decides one pass in one cluster. `observed` holds the objects of the managed kinds that carry
 * Berth's label, plus any Namespace named in `desired` that exists without it (so a foreign
 * namespace is recognised). Desired objects that are absent or differ ({@link driftOf}) are
 * applied; a foreign Namespace (exists, not applied by Berth, not adopted) and everything
 * desired inside it get a Failed row and no request, as does a namespace being deleted. Objects
 * applied by Berth ({@link appliedByBerth}) that are no longer desired are pruned, except
 * adopted Namespaces (in `desired.adopted` or annotated {@link ADOPTED_ANNOTATION}), which are
 * released. Deterministic; never throws.
 */
export function planCluster(desired: DesiredState, observed: readonly ObservedObject[]): Plan {
  const seen = new Map(observed.map((o) => [objectKey(o), o]));
  const verdicts = namespaceVerdicts(desired, seen);
  const namespaces: PlannedApply[] = [];
  const objects: PlannedApply[] = [];
  const rows: ObjectStatusRow[] = [];
  const desiredKeys = new Set<string>();
  for (const m of desired.manifests) {
    const key = objectKey(m);
    desiredKeys.add(key);
    // Cluster-scoped objects other than Namespaces (Berth's webhook configurations) live in no namespace to vet.
    const clusterScoped = m.metadata.namespace === undefined && m.kind !== 'Namespace';
    const ns = m.metadata.namespace ?? m.metadata.name;
    const refused = clusterScoped ? undefined : verdicts.has(ns) ? verdicts.get(ns) : `namespace "${ns}" is not among the desired namespaces`;
    if (refused !== undefined) {
      rows.push(statusRow(m, 'Failed', refused));
      continue;
    }
    const o = seen.get(key);
    const difference = o === undefined ? undefined : driftOf(m, o);
    if (o !== undefined && difference === undefined) {
      rows.push(statusRow(m, 'Applied', ''));
      continue;
    }
    const planned: PlannedApply = o === undefined ? { manifest: m, cause: 'create', difference: '' } : { manifest: m, cause: 'drift', difference: difference ?? '' };
    (m.kind === 'Namespace' ? namespaces : objects).push(planned);
  }
  return { namespaces, objects, rows, ...pruneOf(desiredKeys, desired, seen) };
}
