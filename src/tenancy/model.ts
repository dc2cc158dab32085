// The tenancy area's types: clusters Berth manages, tenants, and the namespaces tenants place on
// those clusters. Plain data: quantities stay the strings the user gave (they are parsed by the
// rules and canonicalised by the renderer), so a stored row, an API body and a rule's input are
// the same shape.

/** What a registered cluster's webhooks do when Berth cannot be reached (admissionregistration failurePolicy). */
export type WebhookFailurePolicy = 'Fail' | 'Ignore';

/** Per-cluster settings; every field is optional and has a default where it is used. */
export interface ClusterSettings {
  readonly webhookFailurePolicy?: WebhookFailurePolicy;
}

/** A Kubernetes cluster registered with Berth (its credentials live elsewhere, never here). */
export interface Cluster {
  readonly name: string;
  /** Labels such as `site` and `region`, for placement and display. */
  readonly labels: Readonly<Record<string, string>>;
  readonly settings: ClusterSettings;
}

/** The roles a member can hold in a tenant; each maps to one Kubernetes ClusterRole in the tenant's namespaces. */
export type TenantRole = 'tenant-admin' | 'member' | 'viewer';

/** Every tenant role, in the order objects for them are rendered. */
export const tenantRoles: readonly TenantRole[] = ['tenant-admin', 'member', 'viewer'];

/** An RBAC subject kind a tenant member can be. */
export type MemberKind = 'User' | 'Group';

/** A user or group holding a role in a tenant. */
export interface TenantMember {
  readonly kind: MemberKind;
  readonly name: string;
  readonly role: TenantRole;
}

/**
 * Resource name → quantity string, named as in ResourceQuota (`requests.cpu`, `pods` …). A
 * tenant quota may also hold {@link NAMESPACES_RESOURCE}.
 */
export type QuotaMap = Readonly<Record<string, string>>;

/** The ResourceQuota resources a tenant quota and a namespace slice may hold. */
export const quotaResources: readonly string[] = [
  'requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory', 'requests.storage',
  'pods', 'services', 'services.nodeports', 'services.loadbalancers', 'persistentvolumeclaims',
];

/** The tenant-quota entry that bounds how many namespaces a tenant may have (not a ResourceQuota resource). */
export const NAMESPACES_RESOURCE = 'namespaces';

/**
 * The bounds of one LimitRange item, each a resource name → quantity string map, as in
 * corev1.LimitRangeItem.
 */
export interface LimitBounds {
  readonly min?: QuotaMap;
  readonly max?: QuotaMap;
  readonly default?: QuotaMap;
  readonly defaultRequest?: QuotaMap;
  readonly maxLimitRequestRatio?: QuotaMap;
}

/**
 * A LimitRange as Berth manages it: one `Container` item and one `Pod` item. The Pod item may
 * not hold `default` or `defaultRequest` (Kubernetes refuses them there).
 */
export interface LimitRangeSpec {
  readonly container?: LimitBounds;
  readonly pod?: LimitBounds;
}

/** A tenant: who its members are, where it may place namespaces, and what it may use in total. */
export interface Tenant {
  readonly name: string;
  readonly displayName: string;
  readonly members: readonly TenantMember[];
  /** Names of the clusters the tenant may place namespaces on. */
  readonly clusters: readonly string[];
  /** The tenant-wide quota: {@link quotaResources} and {@link NAMESPACES_RESOURCE}. */
  readonly quota: QuotaMap;
  /** The LimitRange of every namespace that has no override; also the bounds an override must stay inside. */
  readonly defaultLimitRange: LimitRangeSpec;
  /** Set on each namespace as the `scheduler.alpha.kubernetes.io/node-selector` annotation. */
  readonly nodeSelector: Readonly<Record<string, string>>;
}

/** A namespace of a tenant on one cluster, with its slice of the tenant quota. */
export interface TenantNamespace {
  readonly name: string;
  readonly tenant: string;
  readonly cluster: string;
  /** This namespace's ResourceQuota `hard`; the slices of one tenant add up to at most its quota. */
  readonly quota: QuotaMap;
  /** A LimitRange inside the tenant's bounds, or undefined for the tenant's default. */
  readonly limitRange?: LimitRangeSpec;
  /** The namespace existed in the cluster before Berth and was adopted explicitly. */
  readonly adopted: boolean;
}
