// Persistence of the tenancy area: registered clusters (with their sealed credentials and
// probed status), tenants, their namespaces with the usage the reconciler reads back, and the
// per-object status of what it applies; also the Berth tenant roles that tenant membership
// grants. All of the area's SQL lives here. Every function takes the platform handle or a
// transaction from usecase.ts `change` and widens it to the area's tables.
import type { Dialect, Queryable } from '../platform/db/database.ts';
import type { PlatformTables } from '../platform/db/schema.ts';
import type {
  Cluster, ClusterSettings, LimitRangeSpec, QuotaMap, Tenant, TenantMember, TenantNamespace,
} from './model.ts';

export type ClustersTable = {
  name: string;
  /** The API server's URL (shown). */
  server: string;
  /** The kubeconfig sealed by connections.ts (base64); never returned, never logged. */
  credentials: string;
  /** JSON object. */
  labels: string;
  /** JSON {@link ClusterSettings}. */
  settings: string;
  /** JSON {@link ClusterStatus}. */
  status: string;
  created_at: string;
  updated_at: string;
  resource_version: number;
}

export type TenantsTable = {
  name: string;
  display_name: string;
  /** JSON array of {@link TenantMember}. */
  members: string;
  /** JSON array of cluster names. */
  clusters: string;
  /** JSON {@link QuotaMap}. */
  quota: string;
  /** JSON {@link LimitRangeSpec}. */
  default_limit_range: string;
  /** JSON object. */
  node_selector: string;
  created_at: string;
  updated_at: string;
  resource_version: number;
}

export type NamespacesTable = {
  cluster: string;
  name: string;
  tenant: string;
  /** JSON {@link QuotaMap}: the namespace's slice. */
  quota: string;
  /** JSON {@link LimitRangeSpec}, or null for the tenant's default. */
  limit_range: string | null;
  adopted: number;
  created_at: string;
  updated_at: string;
  resource_version: number;
  /** The cluster's ResourceQuota `status.hard` / `status.used` (JSON), written by the reconciler. */
  quota_hard: string | null;
  quota_used: string | null;
  usage_at: string | null;
}

export type ObjectStatusTable = {
  cluster: string;
  namespace: string;
  kind: string;
  name: string;
  tenant: string;
  state: string;
  message: string;
  updated_at: string;
}

export type ClusterRemovalsTable = {
  name: string;
  /** The removed cluster's sealed kubeconfig, kept for the leader's last sweep. */
  credentials: string;
  removed_at: string;
}

/** The tenancy area's tables. */
export type TenancyTables = {
  tenancy_clusters: ClustersTable;
  tenancy_cluster_removals: ClusterRemovalsTable;
  tenancy_tenants: TenantsTable;
  tenancy_namespaces: NamespacesTable;
  tenancy_object_status: ObjectStatusTable;
}

type Db = Queryable<PlatformTables & TenancyTables>;
/** What every store function takes: the platform handle, or a transaction of `change`. */
export type TenancyQueryable = Queryable<PlatformTables>;

// The area's tables live in the same database: the cast only widens what the type knows.
function t(q: TenancyQueryable): Db {
  return q.withTables<TenancyTables>() as unknown as Db;
}

/** One condition of a cluster, as in Kubernetes object conditions. */
export interface ClusterCondition {
  readonly type: 'Ready' | 'Degraded';
  readonly status: 'True' | 'False';
  readonly reason: string;
  readonly message: string;
  readonly lastTransitionTime: string;
}

/** What Berth last saw of a cluster: its conditions and, after a successful probe, its size. */
export interface ClusterStatus {
  readonly status: 'Ready' | 'Degraded';
  readonly conditions: readonly ClusterCondition[];
  /** The API server's gitVersion, e.g. `v1.37.2`. */
  readonly version?: string;
  readonly nodes?: { readonly total: number; readonly ready: number };
  /** Allocatable sums over the nodes, canonical quantities. */
  readonly capacity?: { readonly cpu: string; readonly memory: string; readonly pods: string };
  readonly probedAt?: string;
}

/** Bookkeeping fields of every stored object. */
export interface ObjectMeta {
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Changes with every change of the object's spec (not of its status). */
  readonly resourceVersion: string;
}

/** A cluster as stored, without its credentials. */
export type ClusterRecord = Cluster & ObjectMeta & ClusterStatus & { readonly server: string };

/** A tenant as stored. */
export type TenantRecord = Tenant & ObjectMeta;

/** What the reconciler last read from a namespace's ResourceQuota status. */
export interface NamespaceUsage {
  readonly hard: QuotaMap;
  readonly used: QuotaMap;
  readonly observedAt: string;
}

/** A namespace as stored, with its usage when the reconciler has read it. */
export type NamespaceRecord = TenantNamespace & ObjectMeta & { readonly usage?: NamespaceUsage };

/** The state of one object the reconciler applies, as its sink reports it. */
export interface ObjectStatusRow {
  readonly namespace: string;
  readonly kind: string;
  readonly name: string;
  readonly tenant: string;
  readonly state: 'Pending' | 'Applied' | 'Drifted' | 'Failed';
  readonly message: string;
}

/** A stored object status, as a namespace view shows it. */
export interface ObjectStatusRecord extends ObjectStatusRow {
  readonly updatedAt: string;
}

function json<T>(text: string): T {
  return JSON.parse(text) as T;
}

/** JSON with object keys sorted, so equal maps are stored as equal text. */
function sortedJson(value: Readonly<Record<string, string>>): string {
  return JSON.stringify(Object.fromEntries(Object.keys(value).sort().map((k) => [k, value[k]])));
}

function meta(r: { created_at: string; updated_at: string; resource_version: number }): ObjectMeta {
  return { createdAt: r.created_at, updatedAt: r.updated_at, resourceVersion: String(r.resource_version) };
}

function toClusterRecord(r: Omit<ClustersTable, 'credentials'>): ClusterRecord {
  return {
    name: r.name, server: r.server, labels: json(r.labels), settings: json<ClusterSettings>(r.settings), ...json<ClusterStatus>(r.status), ...meta(r),
  };
}

function toTenantRecord(r: TenantsTable): TenantRecord {
  return {
    name: r.name, displayName: r.display_name, members: json<TenantMember[]>(r.members), clusters: json<string[]>(r.clusters),
    quota: json<QuotaMap>(r.quota), defaultLimitRange: json<LimitRangeSpec>(r.default_limit_range), nodeSelector: json(r.node_selector), ...meta(r),
  };
}

function toNamespaceRecord(r: NamespacesTable): NamespaceRecord {
  return {
    name: r.name, tenant: r.tenant, cluster: r.cluster, quota: json<QuotaMap>(r.quota), adopted: r.adopted === 1,
    ...(r.limit_range === null ? {} : { limitRange: json<LimitRangeSpec>(r.limit_range) }),
    ...(r.quota_hard !== null && r.quota_used !== null && r.usage_at !== null
      ? { usage: { hard: json<QuotaMap>(r.quota_hard), used: json<QuotaMap>(r.quota_used), observedAt: r.usage_at } }
      : {}),
    ...meta(r),
  };
}

const clusterColumns = ['name', 'server', 'labels', 'settings', 'status', 'created_at', 'updated_at', 'resource_version'] as const;

/**
 * True when an error is a foreign-key violation on either backend: a namespace's cluster or
 * tenant went away under a concurrent change (or a cluster still had a namespace added meanwhile).
 */
export function isForeignKeyViolation(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return (err as { code?: unknown }).code === '23503' || /FOREIGN KEY constraint failed/.test(err.message);
}

// ---- clusters ----

/** The cluster `name` without its credentials, or undefined. */
export async function findCluster(db: TenancyQueryable, name: string): Promise<ClusterRecord | undefined> {
  const r = await t(db).selectFrom('tenancy_clusters').select(clusterColumns).where('name', '=', name).executeTakeFirst();
  return r === undefined ? undefined : toClusterRecord(r);
}

/** The sealed credentials of cluster `name`, or undefined when it is not registered. */
export async function clusterCredentials(db: TenancyQueryable, name: string): Promise<string | undefined> {
  return (await t(db).selectFrom('tenancy_clusters').select('credentials').where('name', '=', name).executeTakeFirst())?.credentials;
}

/** Up to `limit` clusters in name order, after `after` when given. */
export async function listClusters(db: TenancyQueryable, limit: number, after?: string): Promise<ClusterRecord[]> {
  let q = t(db).selectFrom('tenancy_clusters').select(clusterColumns).orderBy('name').limit(limit);
  if (after !== undefined) q = q.where('name', '>', after);
  return (await q.execute()).map(toClusterRecord);
}

/** Names of every registered cluster, sorted. */
export async function clusterNames(db: TenancyQueryable): Promise<string[]> {
  return (await t(db).selectFrom('tenancy_clusters').select('name').orderBy('name').execute()).map((r) => r.name);
}

/** Inserts a cluster; a taken name fails with a unique violation. */
export async function insertCluster(tx: TenancyQueryable, row: ClustersTable): Promise<void> {
  await t(tx).insertInto('tenancy_clusters').values(row).execute();
}

/**
 * Sets the given columns of cluster `name` and bumps its resourceVersion, if the row is still
 * at `version`; false when it is not (changed or deleted meanwhile).
 */
export async function updateCluster(
  tx: TenancyQueryable, name: string, version: number, set: Partial<Pick<ClustersTable, 'server' | 'credentials' | 'labels' | 'settings' | 'status'>>, now: Date,
): Promise<boolean> {
  const r = await t(tx).updateTable('tenancy_clusters').set({ ...set, updated_at: now.toISOString(), resource_version: version + 1 })
    .where('name', '=', name).where('resource_version', '=', version).executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/**
 * Deletes cluster `name` with its namespaces and their object status, and takes it off every
 * tenant's list of allowed clusters. False when there was no such cluster.
 */
export async function deleteCluster(tx: TenancyQueryable, name: string, now: Date): Promise<boolean> {
  const db = t(tx);
  await db.deleteFrom('tenancy_object_status').where('cluster', '=', name).execute();
  await db.deleteFrom('tenancy_namespaces').where('cluster', '=', name).execute();
  for (const tenant of await db.selectFrom('tenancy_tenants').select(['name', 'clusters', 'resource_version']).execute()) {
    const clusters = json<string[]>(tenant.clusters);
    if (!clusters.includes(name)) continue;
    await db.updateTable('tenancy_tenants')
      .set({ clusters: JSON.stringify(clusters.filter((c) => c !== name)), updated_at: now.toISOString(), resource_version: tenant.resource_version + 1 })
      .where('name', '=', tenant.name).execute();
  }
  const r = await db.deleteFrom('tenancy_clusters').where('name', '=', name).executeTakeFirst();
  return Number(r.numDeletedRows) === 1;
}

/**
 * Records, in the removal's transaction and before {@link deleteCluster}, that cluster `name` is
 * removed with Berth's objects still to be swept from it by the leader, keeping its sealed
 * credentials for that. False when there was no such cluster.
 */
export async function recordClusterRemoval(tx: TenancyQueryable, name: string, now: Date): Promise<boolean> {
  const credentials = await clusterCredentials(tx, name);
  if (credentials === undefined) return false;
  await t(tx).insertInto('tenancy_cluster_removals').values({ name, credentials, removed_at: now.toISOString() }).execute();
  return true;
}

/** Names of removed clusters whose last sweep is not done, in name order. */
export async function pendingRemovals(db: TenancyQueryable): Promise<string[]> {
  return (await t(db).selectFrom('tenancy_cluster_removals').select('name').orderBy('name').execute()).map((r) => r.name);
}

/** The sealed credentials kept for removed cluster `name`, or undefined when its sweep is done (or it was never removed with force). */
export async function removalCredentials(db: TenancyQueryable, name: string): Promise<string | undefined> {
  return (await t(db).selectFrom('tenancy_cluster_removals').select('credentials').where('name', '=', name).executeTakeFirst())?.credentials;
}

/**
 * Forgets removed cluster `name` and its credentials: its last sweep is done. Also drops status
 * rows of it that a pass in flight at the removal reported after the removal had dropped the
 * others. Idempotent.
 */
export async function dropClusterRemoval(tx: TenancyQueryable, name: string): Promise<void> {
  await t(tx).deleteFrom('tenancy_object_status').where('cluster', '=', name).execute();
  await t(tx).deleteFrom('tenancy_cluster_removals').where('name', '=', name).execute();
}

function condition(type: 'Ready' | 'Degraded', holds: boolean, reason: string, message: string, since: string): ClusterCondition {
  return { type, status: holds ? 'True' : 'False', reason, message, lastTransitionTime: since };
}

/**
 * The conditions for a cluster that is (or is not) ready: `Ready` and its opposite `Degraded`,
 * each keeping its lastTransitionTime from `previous` when its status did not change. Pure.
 */
export function nextConditions(
  previous: readonly ClusterCondition[], cond: { readonly ready: boolean; readonly reason: string; readonly message: string }, now: Date,
): ClusterCondition[] {
  const since = (type: 'Ready' | 'Degraded', holds: boolean): string => {
    const before = previous.find((c) => c.type === type);
    return before !== undefined && before.status === (holds ? 'True' : 'False') ? before.lastTransitionTime : now.toISOString();
  };
  return [
    condition('Ready', cond.ready, cond.reason, cond.message, since('Ready', cond.ready)),
    condition('Degraded', !cond.ready, cond.reason, cond.message, since('Degraded', !cond.ready)),
  ];
}

async function updateStatus(db: TenancyQueryable, cluster: string, next: (s: ClusterStatus) => ClusterStatus): Promise<void> {
  const tx = t(db);
  const row = await tx.selectFrom('tenancy_clusters').select('status').where('name', '=', cluster).executeTakeFirst();
  if (row === undefined) return;
  const status = JSON.stringify(next(json<ClusterStatus>(row.status)));
  // Status is not spec: resourceVersion stays, so a probe never makes a client's update conflict.
  if (status !== row.status) await tx.updateTable('tenancy_clusters').set({ status }).where('name', '=', cluster).execute();
}

/**
 * Sets cluster `cluster`'s `Ready`/`Degraded` conditions (and `status`), keeping each
 * condition's lastTransitionTime when its status is unchanged. Writes nothing when nothing
 * changed; does nothing for a cluster that is not registered.
 */
export async function recordClusterCondition(
  db: TenancyQueryable, cluster: string, cond: { readonly ready: boolean; readonly reason: string; readonly message: string }, now: Date,
): Promise<void> {
  await updateStatus(db, cluster, (s) => ({ ...s, status: cond.ready ? 'Ready' : 'Degraded', conditions: nextConditions(s.conditions, cond, now) }));
}

/** What a successful probe measured. */
export interface ProbedFacts {
  readonly version: string;
  readonly nodes?: { readonly total: number; readonly ready: number };
  readonly capacity?: { readonly cpu: string; readonly memory: string; readonly pods: string };
}

/**
 * Records a probe of cluster `cluster` at `now`: its conditions as {@link recordClusterCondition}
 * does, and, when it answered, its version, nodes and capacity (kept from before otherwise).
 */
export async function recordClusterProbe(
  db: TenancyQueryable, cluster: string, cond: { readonly ready: boolean; readonly reason: string; readonly message: string },
  facts: ProbedFacts | undefined, now: Date,
): Promise<void> {
  await updateStatus(db, cluster, (s) => ({
    ...s, ...(facts ?? {}), status: cond.ready ? 'Ready' : 'Degraded', conditions: nextConditions(s.conditions, cond, now), probedAt: now.toISOString(),
  }));
}

// ---- tenants ----

/**
 * The tenant `name`, or undefined. With `lockFor` (the transaction's dialect), the row is locked
 * until the transaction ends on PostgreSQL, so that changes of one tenant and its namespaces are
 * decided one at a time (SQLite runs one writing transaction at a time anyway).
 */
export async function findTenant(db: TenancyQueryable, name: string, lockFor?: Dialect): Promise<TenantRecord | undefined> {
  let q = t(db).selectFrom('tenancy_tenants').selectAll().where('name', '=', name);
  if (lockFor === 'postgres') q = q.forUpdate();
  const r = await q.executeTakeFirst();
  return r === undefined ? undefined : toTenantRecord(r);
}

/** Up to `limit` tenants in name order after `after`; only those named in `only` when given. */
export async function listTenants(db: TenancyQueryable, limit: number, after?: string, only?: readonly string[]): Promise<TenantRecord[]> {
  if (only !== undefined && only.length === 0) return [];
  let q = t(db).selectFrom('tenancy_tenants').selectAll().orderBy('name').limit(limit);
  if (after !== undefined) q = q.where('name', '>', after);
  if (only !== undefined) q = q.where('name', 'in', [...only]);
  return (await q.execute()).map(toTenantRecord);
}

/** The row of a tenant as stored, from the model's fields. */
export function tenantRow(tenant: Tenant, createdAt: string, updatedAt: string, version: number): TenantsTable {
  return {
    name: tenant.name, display_name: tenant.displayName, members: JSON.stringify(tenant.members), clusters: JSON.stringify(tenant.clusters),
    quota: sortedJson(tenant.quota), default_limit_range: JSON.stringify(tenant.defaultLimitRange), node_selector: sortedJson(tenant.nodeSelector),
    created_at: createdAt, updated_at: updatedAt, resource_version: version,
  };
}

/** Inserts a tenant; a taken name fails with a unique violation. */
export async function insertTenant(tx: TenancyQueryable, row: TenantsTable): Promise<void> {
  await t(tx).insertInto('tenancy_tenants').values(row).execute();
}

/** Replaces tenant `row.name` with `row` if it is still at `version`; false otherwise. */
export async function updateTenant(tx: TenancyQueryable, version: number, row: TenantsTable): Promise<boolean> {
  const r = await t(tx).updateTable('tenancy_tenants').set(row).where('name', '=', row.name).where('resource_version', '=', version).executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Deletes tenant `name` and the Berth tenant roles it granted; false when there was none. */
export async function deleteTenant(tx: TenancyQueryable, name: string): Promise<boolean> {
  await tx.deleteFrom('role_bindings').where('tenant', '=', name).where('role', 'in', grantedRoles).execute();
  const r = await t(tx).deleteFrom('tenancy_tenants').where('name', '=', name).executeTakeFirst();
  return Number(r.numDeletedRows) === 1;
}

/** The Berth tenant roles that tenancy grants (platform/identity/rbac.ts `tenantRoleNames`). */
const grantedRoles = ['tenant-admin', 'tenant-member', 'tenant-viewer'];

/**
 * Makes the Berth tenant roles held in `tenant` exactly `bindings`, leaving out users that are
 * not Berth users. Returns the bindings written. The tenant's members are the source of these
 * roles: any other binding of these roles in the tenant is removed.
 */
export async function replaceTenantRoleBindings(
  tx: TenancyQueryable, tenant: string, bindings: readonly { readonly user: string; readonly role: string }[], now: Date,
): Promise<{ user: string; role: string }[]> {
  await tx.deleteFrom('role_bindings').where('tenant', '=', tenant).where('role', 'in', grantedRoles).execute();
  if (bindings.length === 0) return [];
  const users = new Set((await tx.selectFrom('users').select('name').where('name', 'in', bindings.map((b) => b.user)).execute()).map((u) => u.name));
  const kept = bindings.filter((b) => users.has(b.user));
  if (kept.length > 0) {
    await tx.insertInto('role_bindings')
      .values(kept.map((b) => ({ user_name: b.user, tenant, role: b.role, created_at: now.toISOString() }))).execute();
  }
  return kept.map((b) => ({ user: b.user, role: b.role }));
}

/**
 * Grants new Berth user `user` the tenant role of every tenant that lists it as a User member
 * (a tenant may name users before they exist in Berth). Returns the bindings written.
 */
export async function grantMemberRoles(tx: TenancyQueryable, user: string, roleOf: (member: TenantMember) => string, now: Date): Promise<{ tenant: string; role: string }[]> {
  const granted: { tenant: string; role: string }[] = [];
  for (const r of await t(tx).selectFrom('tenancy_tenants').select(['name', 'members']).orderBy('name').execute()) {
    const member = json<TenantMember[]>(r.members).find((m) => m.kind === 'User' && m.name === user);
    if (member !== undefined) granted.push({ tenant: r.name, role: roleOf(member) });
  }
  if (granted.length > 0) {
    await tx.insertInto('role_bindings').values(granted.map((g) => ({ user_name: user, tenant: g.tenant, role: g.role, created_at: now.toISOString() }))).execute();
  }
  return granted;
}

// ---- namespaces ----

/** The namespace `name` on `cluster`, or undefined. */
export async function findNamespace(db: TenancyQueryable, cluster: string, name: string): Promise<NamespaceRecord | undefined> {
  const r = await t(db).selectFrom('tenancy_namespaces').selectAll().where('cluster', '=', cluster).where('name', '=', name).executeTakeFirst();
  return r === undefined ? undefined : toNamespaceRecord(r);
}

/** Every namespace of `tenant`, by cluster and name. */
export async function tenantNamespaces(db: TenancyQueryable, tenant: string): Promise<NamespaceRecord[]> {
  return (await t(db).selectFrom('tenancy_namespaces').selectAll().where('tenant', '=', tenant).orderBy('cluster').orderBy('name').execute())
    .map(toNamespaceRecord);
}

/** Up to `limit` namespaces of `tenant` by cluster and name, after the position `after` when given. */
export async function listNamespaces(
  db: TenancyQueryable, tenant: string, limit: number, after?: { readonly cluster: string; readonly name: string },
): Promise<NamespaceRecord[]> {
  let q = t(db).selectFrom('tenancy_namespaces').selectAll().where('tenant', '=', tenant).orderBy('cluster').orderBy('name').limit(limit);
  if (after !== undefined) {
    q = q.where((eb) => eb.or([eb('cluster', '>', after.cluster), eb.and([eb('cluster', '=', after.cluster), eb('name', '>', after.name)])]));
  }
  return (await q.execute()).map(toNamespaceRecord);
}

/** Every namespace on `cluster`, by name. */
export async function clusterNamespaces(db: TenancyQueryable, cluster: string): Promise<NamespaceRecord[]> {
  return (await t(db).selectFrom('tenancy_namespaces').selectAll().where('cluster', '=', cluster).orderBy('name').execute()).map(toNamespaceRecord);
}

/** Inserts a namespace; one already on the cluster fails with a unique violation, a vanished tenant or cluster with a foreign-key one. */
export async function insertNamespace(tx: TenancyQueryable, ns: TenantNamespace, now: Date): Promise<void> {
  await t(tx).insertInto('tenancy_namespaces').values({
    cluster: ns.cluster, name: ns.name, tenant: ns.tenant, quota: sortedJson(ns.quota),
    limit_range: ns.limitRange === undefined ? null : JSON.stringify(ns.limitRange), adopted: ns.adopted ? 1 : 0,
    created_at: now.toISOString(), updated_at: now.toISOString(), resource_version: 1, quota_hard: null, quota_used: null, usage_at: null,
  }).execute();
}

/** Sets the quota and LimitRange of a namespace still at `version`, bumping it; false otherwise. */
export async function updateNamespace(tx: TenancyQueryable, ns: TenantNamespace, version: number, now: Date): Promise<boolean> {
  const r = await t(tx).updateTable('tenancy_namespaces').set({
    quota: sortedJson(ns.quota), limit_range: ns.limitRange === undefined ? null : JSON.stringify(ns.limitRange),
    updated_at: now.toISOString(), resource_version: version + 1,
  }).where('cluster', '=', ns.cluster).where('name', '=', ns.name).where('resource_version', '=', version).executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Deletes a namespace and its object status; false when there was none. */
export async function deleteNamespace(tx: TenancyQueryable, cluster: string, name: string): Promise<boolean> {
  await t(tx).deleteFrom('tenancy_object_status').where('cluster', '=', cluster).where('namespace', '=', name).execute();
  const r = await t(tx).deleteFrom('tenancy_namespaces').where('cluster', '=', cluster).where('name', '=', name).executeTakeFirst();
  return Number(r.numDeletedRows) === 1;
}

/**
 * Records what the cluster's ResourceQuota of a namespace says: `hard` and `used` (canonical
 * quantities) observed at `now`. Does nothing for a namespace Berth does not hold.
 */
export async function recordQuotaUsage(
  db: TenancyQueryable, cluster: string, namespace: string, hard: Record<string, string>, used: Record<string, string>, now: Date,
): Promise<void> {
  await t(db).updateTable('tenancy_namespaces')
    .set({ quota_hard: sortedJson(hard), quota_used: sortedJson(used), usage_at: now.toISOString() })
    .where('cluster', '=', cluster).where('name', '=', namespace).execute();
}

// ---- object status ----

/** The status of the objects in one namespace, by kind and name. */
export async function namespaceObjects(db: TenancyQueryable, cluster: string, namespace: string): Promise<ObjectStatusRecord[]> {
  const rows = await t(db).selectFrom('tenancy_object_status').selectAll().where('cluster', '=', cluster).where('namespace', '=', namespace)
    .orderBy('kind').orderBy('name').execute();
  return rows.map((r) => ({
    namespace: r.namespace, kind: r.kind, name: r.name, tenant: r.tenant, state: r.state as ObjectStatusRow['state'], message: r.message, updatedAt: r.updated_at,
  }));
}

/**
 * The status of the objects of `tenant`'s namespaces named `namespaces` (on any cluster), keyed
 * `cluster/namespace`, each by kind and name.
 */
export async function tenantObjects(db: TenancyQueryable, tenant: string, namespaces: readonly string[]): Promise<Map<string, ObjectStatusRecord[]>> {
  if (namespaces.length === 0) return new Map();
  const rows = await t(db).selectFrom('tenancy_object_status').selectAll().where('tenant', '=', tenant).where('namespace', 'in', [...new Set(namespaces)])
    .orderBy('cluster').orderBy('namespace').orderBy('kind').orderBy('name').execute();
  const out = new Map<string, ObjectStatusRecord[]>();
  for (const r of rows) {
    const key = `${r.cluster}/${r.namespace}`;
    const list = out.get(key) ?? [];
    list.push({ namespace: r.namespace, kind: r.kind, name: r.name, tenant: r.tenant, state: r.state as ObjectStatusRow['state'], message: r.message, updatedAt: r.updated_at });
    out.set(key, list);
  }
  return out;
}

const statusKey = (r: { namespace: string; kind: string; name: string }): string => `${r.namespace}\0${r.kind}\0${r.name}`;

async function writeObjectStatus(db: TenancyQueryable, cluster: string, rows: readonly ObjectStatusRow[], now: Date, prune: boolean): Promise<void> {
  const tx = t(db);
  const existing = new Map((await tx.selectFrom('tenancy_object_status').selectAll().where('cluster', '=', cluster).execute()).map((r) => [statusKey(r), r]));
  const wanted = new Set<string>();
  // Only what changed is written: a steady state costs one read per pass.
  for (const row of rows) {
    const key = statusKey(row);
    wanted.add(key);
    const before = existing.get(key);
    if (before !== undefined && before.state === row.state && before.message === row.message && before.tenant === row.tenant) continue;
    const values = { cluster, namespace: row.namespace, kind: row.kind, name: row.name, tenant: row.tenant, state: row.state, message: row.message, updated_at: now.toISOString() };
    await tx.insertInto('tenancy_object_status').values(values)
      .onConflict((oc) => oc.columns(['cluster', 'namespace', 'kind', 'name']).doUpdateSet({ tenant: row.tenant, state: row.state, message: row.message, updated_at: values.updated_at }))
      .execute();
  }
  if (!prune) return;
  for (const [key, r] of existing) {
    if (wanted.has(key)) continue;
    await tx.deleteFrom('tenancy_object_status').where('cluster', '=', cluster).where('namespace', '=', r.namespace)
      .where('kind', '=', r.kind).where('name', '=', r.name).execute();
  }
}

/**
 * Upserts the status of the given objects of `cluster` (updatedAt moves only when state,
 * message or tenant changed). Rows of objects not given are kept; see {@link replaceObjectStatus}.
 */
export async function recordObjectStatus(db: TenancyQueryable, cluster: string, rows: readonly ObjectStatusRow[], now: Date): Promise<void> {
  await writeObjectStatus(db, cluster, rows, now, false);
}

/** Makes `rows` the full set of object status of `cluster` after a pass: upserts them, deletes the others. */
export async function replaceObjectStatus(db: TenancyQueryable, cluster: string, rows: readonly ObjectStatusRow[], now: Date): Promise<void> {
  await writeObjectStatus(db, cluster, rows, now, true);
}

// ---- everything, for the reconciler and render ----

/** Every cluster, tenant and namespace, as the pure renderer takes them. */
export async function loadTenancy(db: TenancyQueryable): Promise<{ clusters: Cluster[]; tenants: Tenant[]; namespaces: TenantNamespace[] }> {
  const tx = t(db);
  const clusters = (await tx.selectFrom('tenancy_clusters').select(['name', 'labels', 'settings']).orderBy('name').execute())
    .map((r): Cluster => ({ name: r.name, labels: json(r.labels), settings: json(r.settings) }));
  const tenants = (await tx.selectFrom('tenancy_tenants').selectAll().orderBy('name').execute()).map(toTenantRecord).map(modelTenant);
  const namespaces = (await tx.selectFrom('tenancy_namespaces').selectAll().orderBy('cluster').orderBy('name').execute())
    .map(toNamespaceRecord).map(modelNamespace);
  return { clusters, tenants, namespaces };
}

/** The model's fields of a stored tenant (what rules and the renderer take). */
export function modelTenant(r: TenantRecord): Tenant {
  return {
    name: r.name, displayName: r.displayName, members: r.members, clusters: r.clusters, quota: r.quota,
    defaultLimitRange: r.defaultLimitRange, nodeSelector: r.nodeSelector,
  };
}

/** The model's fields of a stored namespace. */
export function modelNamespace(r: NamespaceRecord): TenantNamespace {
  return {
    name: r.name, tenant: r.tenant, cluster: r.cluster, quota: r.quota, adopted: r.adopted,
    ...(r.limitRange === undefined ? {} : { limitRange: r.limitRange }),
  };
}
