// The desired state of a tenant in its clusters, as plain Kubernetes objects ready for
// server-side apply. One pure function serves the reconciler and `berth render`, so what a
// reviewer sees is exactly what is applied. Output is deterministic: clusters, namespaces,
// objects, subjects and map keys in a fixed order, quantities in kube-apiserver's canonical form
// (so an applied object reads back equal and a second pass sees no drift).
import { canonicalQuantity } from './rules.ts';
import { defaultContainerBounds } from './limit-range.ts';
import {
  tenantRoles, type Cluster, type LimitBounds, type LimitRangeSpec, type QuotaMap, type Tenant, type TenantNamespace, type TenantRole,
} from './model.ts';

/** The label every object Berth applies carries, with value {@link MANAGED_BY}. */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
/** The value of {@link MANAGED_BY_LABEL}; also the server-side apply field manager. */
export const MANAGED_BY = 'berth';
/** The label naming the tenant an object belongs to; on Namespaces it is what NetworkPolicies select. */
export const TENANT_LABEL = 'berth.io/tenant';
/** The annotation through which the PodNodeSelector admission plugin applies the tenant's node selector. */
export const NODE_SELECTOR_ANNOTATION = 'scheduler.alpha.kubernetes.io/node-selector';
/**
 * The annotation, value `true`, on a Namespace Berth adopted: it outlives the namespace's row in
 * Berth, so the reconciler knows to give the namespace back (remove its labels) instead of
 * deleting it.
 */
export const ADOPTED_ANNOTATION = 'berth.io/adopted';
/** Name of the ResourceQuota holding a namespace's slice. */
export const QUOTA_NAME = 'berth-quota';
/** Name of the namespace's LimitRange. */
export const LIMIT_RANGE_NAME = 'berth-limits';
/** Name of the NetworkPolicy that keeps other tenants out. */
export const ISOLATION_POLICY_NAME = 'berth-isolate-tenant';

/** The ClusterRole each tenant role is bound to in the tenant's namespaces (the Kubernetes user-facing roles). */
export const roleClusterRoles: Readonly<Record<TenantRole, string>> = { 'tenant-admin': 'admin', member: 'edit', viewer: 'view' };

/** Object metadata as Berth sets it. */
export interface ManifestMetadata {
  readonly name: string;
  readonly namespace?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** A Kubernetes object to apply: apiVersion, kind, metadata and its kind's fields (`spec`, or `roleRef`/`subjects`). */
export interface Manifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: ManifestMetadata;
  readonly [field: string]: unknown;
}

/** The labels of every object of `tenant`; also the selector that finds them for pruning. */
export function managedLabels(tenant: string): Readonly<Record<string, string>> {
  return { [MANAGED_BY_LABEL]: MANAGED_BY, [TENANT_LABEL]: tenant };
}

function canonicalMap(map: QuotaMap): Record<string, string> {
  return Object.fromEntries(Object.keys(map).sort().map((k) => [k, canonicalQuantity(map[k])]));
}

function limitItem(type: 'Container' | 'Pod', bounds: LimitBounds | undefined): Record<string, unknown> | undefined {
  if (bounds === undefined) return undefined;
  const item: Record<string, unknown> = { type };
  for (const bound of ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio'] as const) {
    const map = bounds[bound];
    if (map !== undefined && Object.keys(map).length > 0) item[bound] = canonicalMap(map);
  }
  return Object.keys(item).length > 1 ? item : undefined;
}

function limitRange(spec: LimitRangeSpec, meta: (name: string) => ManifestMetadata): Manifest | undefined {
  const limits = [
    limitItem('Container', spec.container === undefined ? undefined : defaultContainerBounds(spec.container)),
    limitItem('Pod', spec.pod),
  ].filter((item) => item !== undefined);
  if (limits.length === 0) return undefined;
  return { apiVersion: 'v1', kind: 'LimitRange', metadata: meta(LIMIT_RANGE_NAME), spec: { limits } };
}

function roleBindings(tenant: Tenant, meta: (name: string) => ManifestMetadata): Manifest[] {
  return tenantRoles.flatMap((role) => {
    const subjects = tenant.members
      .filter((m) => m.role === role)
      .map((m) => ({ kind: m.kind, apiGroup: 'rbac.authorization.k8s.io', name: m.name }))
      .sort((a, b) => (a.kind === b.kind ? (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) : a.kind < b.kind ? -1 : 1));
    if (subjects.length === 0) return [];
    return [{
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: meta(`berth-${role}`),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleClusterRoles[role] },
      subjects,
    }];
  });
}

// Baseline isolation, one ingress policy selecting every pod of the namespace. Ingress is allowed
// from the namespaces of the same tenant (the namespace itself included, so its own traffic is
// untouched) and from namespaces that belong to no tenant (kube-system and platform add-ons such
// as ingress controllers and monitoring); namespaces of other tenants carry a different
// berth.io/tenant value and are refused. Egress is deliberately not restricted: a policy with
// policyType Egress selecting every pod would make all egress deny-by-default, so "allow DNS"
// would need an allow-list of everything else a workload talks to. Leaving egress open keeps DNS
// (kube-system/kube-dns, 53 UDP/TCP) and every other outbound path working, and isolation between
// tenants still holds because every tenant namespace refuses the other tenants at ingress. No
// ipBlock is allowed: some NetworkPolicy implementations match ipBlocks against pod addresses too,
// and 0.0.0.0/0 would then let every tenant in; exposure outside the cluster is opened explicitly
// where it is wanted.
function isolationPolicy(tenant: string, meta: (name: string) => ManifestMetadata): Manifest {
  return {
    apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: meta(ISOLATION_POLICY_NAME),
    spec: {
      podSelector: {},
      policyTypes: ['Ingress'],
      ingress: [{
        from: [
          { namespaceSelector: { matchLabels: { [TENANT_LABEL]: tenant } } },
          { namespaceSelector: { matchExpressions: [{ key: TENANT_LABEL, operator: 'DoesNotExist' }] } },
        ],
      }],
    },
  };
}

/**
 * The objects of one namespace of `tenant`, in apply order: Namespace, ResourceQuota `berth-quota`
 * (absent when the slice is empty), LimitRange `berth-limits` (the namespace's override or the
 * tenant's default; absent when it bounds nothing), one RoleBinding per tenant role that has
 * members, and NetworkPolicy `berth-isolate-tenant`. Every object carries {@link managedLabels};
 * an adopted namespace also carries {@link ADOPTED_ANNOTATION}.
 */
export function renderNamespace(tenant: Tenant, ns: TenantNamespace): Manifest[] {
  const labels = managedLabels(tenant.name);
  const meta = (name: string): ManifestMetadata => ({ name, namespace: ns.name, labels });
  const selector = Object.keys(tenant.nodeSelector).sort().map((k) => `${k}=${tenant.nodeSelector[k]}`).join(',');
  const annotations = {
    ...(ns.adopted ? { [ADOPTED_ANNOTATION]: 'true' } : {}),
    ...(selector === '' ? {} : { [NODE_SELECTOR_ANNOTATION]: selector }),
  };
  const objects: (Manifest | undefined)[] = [
    {
      apiVersion: 'v1', kind: 'Namespace',
      metadata: { name: ns.name, labels, ...(Object.keys(annotations).length === 0 ? {} : { annotations }) },
    },
    Object.keys(ns.quota).length === 0 ? undefined : {
      apiVersion: 'v1', kind: 'ResourceQuota', metadata: meta(QUOTA_NAME), spec: { hard: canonicalMap(ns.quota) },
    },
    limitRange(ns.limitRange ?? tenant.defaultLimitRange, meta),
    ...roleBindings(tenant, meta),
    isolationPolicy(tenant.name, meta),
  ];
  return objects.filter((o) => o !== undefined);
}

/**
 * Every object `tenant` should have, per cluster name: one entry (possibly empty, so the
 * reconciler knows to prune there) for each cluster the tenant may use or holds namespaces on,
 * clusters and namespaces sorted by name. `clusters` are the registered clusters.
 * @throws Error when a namespace belongs to another tenant or to an unregistered cluster; the
 * rules never let either be stored, so this is a caller's bug.
 */
export function renderTenant(
  tenant: Tenant, namespaces: readonly TenantNamespace[], clusters: readonly Cluster[],
): Map<string, Manifest[]> {
  const registered = new Set(clusters.map((c) => c.name));
  const names = new Set(tenant.clusters.filter((c) => registered.has(c)));
  for (const ns of namespaces) {
    if (ns.tenant !== tenant.name) throw new Error(`namespace "${ns.name}" belongs to tenant "${ns.tenant}", not "${tenant.name}"`);
    if (!registered.has(ns.cluster)) throw new Error(`namespace "${ns.name}" is on unregistered cluster "${ns.cluster}"`);
    names.add(ns.cluster);
  }
  const out = new Map<string, Manifest[]>();
  for (const cluster of [...names].sort()) {
    out.set(cluster, namespaces
      .filter((ns) => ns.cluster === cluster)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .flatMap((ns) => renderNamespace(tenant, ns)));
  }
  return out;
}
