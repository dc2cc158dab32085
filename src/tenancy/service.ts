// Tenancy use cases: registering clusters (probed first, credentials sealed), tenants with
// their members, quota and defaults, and the namespaces tenants place on clusters, each change
// validated with the pure rules (rules.ts) and made through usecase.ts `change` (authorized,
// audited and published to the outbox in its transaction); reads for the API, render and usage;
// and the periodic probe that keeps clusters' conditions current. The SQL is in store.ts; the
// clusters are reached only through connections.ts.
import type { Logger } from 'pino';
import { dns1123LabelErrors, labelValueErrors, qualifiedNameErrors } from '../objects/index.ts';
import { probeCluster } from '../kube/index.ts';
import type { ClusterClient, ClusterProbe, KubeObject } from '../kube/index.ts';
import type { AuditLog } from '../platform/audit/service.ts';
import type { RequestContext } from '../platform/context.ts';
import type { Database } from '../platform/db/database.ts';
import { isUniqueViolation } from '../platform/db/database.ts';
import { BerthError, alreadyExists, conflict, invalid, notFound, unauthorized, type Cause } from '../platform/errors.ts';
import { can } from '../platform/identity/rbac.ts';
import { authorize, change, type ChangeDeps, type ChangeTx } from '../platform/usecase.ts';
import type { ClusterConnections } from './connections.ts';
import { invalidValue, unsupportedValue } from './causes.ts';
import {
  NAMESPACES_RESOURCE, type Cluster, type ClusterSettings, type LimitRangeSpec, type QuotaMap, type Tenant, type TenantMember,
  type TenantNamespace, type TenantRole,
} from './model.ts';
import { holdingOf, type Holding } from './plan.ts';
import { renderNamespace, renderTenant, type Manifest } from './render.ts';
import { allocatedQuota, validateNamespace, validateTenant, validateTenantUpdate } from './rules.ts';
import * as store from './store.ts';
import type { ClusterRecord, ClusterStatus, NamespaceRecord, ObjectStatusRecord, ProbedFacts, TenantRecord } from './store.ts';

/** Outbox topic of cluster changes; key the cluster's name, payload `{}`. */
export const CLUSTER_TOPIC = 'tenancy.cluster';
/** Outbox topic of tenant changes (its namespaces' included); key the tenant's name, payload `{}`. */
export const TENANT_TOPIC = 'tenancy.tenant';

/** What registering a cluster takes. */
export interface ClusterInput {
  readonly name: string;
  /** YAML or JSON, inline credentials only. Sealed before it is stored; never returned. */
  readonly kubeconfig: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly settings?: ClusterSettings;
}

/** What a cluster update may change; `resourceVersion`, when given, must be the current one. */
export interface ClusterPatch {
  readonly labels?: Readonly<Record<string, string>>;
  readonly settings?: ClusterSettings;
  readonly kubeconfig?: string;
  readonly resourceVersion?: string;
}

/** What creating a tenant takes. */
export interface TenantInput {
  readonly name: string;
  readonly displayName?: string;
  readonly members?: readonly TenantMember[];
  readonly clusters: readonly string[];
  readonly quota?: QuotaMap;
  readonly defaultLimitRange?: LimitRangeSpec;
  readonly nodeSelector?: Readonly<Record<string, string>>;
}

/** What a tenant update may change (each given field replaces the stored one). */
export type TenantPatch = Partial<Omit<TenantInput, 'name'>> & { readonly resourceVersion?: string };

/** What creating a namespace takes. `adopt` allows taking over a namespace that exists in the cluster and is not Berth's. */
export interface NamespaceInput {
  readonly name: string;
  readonly cluster: string;
  readonly quota?: QuotaMap;
  readonly limitRange?: LimitRangeSpec;
  readonly adopt?: boolean;
}

/** What a namespace update may change; `limitRange: null` goes back to the tenant's default. */
export interface NamespacePatch {
  readonly quota?: QuotaMap;
  readonly limitRange?: LimitRangeSpec | null;
  readonly resourceVersion?: string;
}

/** One applied object's status, as a namespace shows it. */
export type ObjectView = Pick<ObjectStatusRecord, 'kind' | 'name' | 'state' | 'message' | 'updatedAt'>;

/** A namespace as the API shows it. */
export type NamespaceView = Omit<NamespaceRecord, 'limitRange'> & { readonly limitRange: LimitRangeSpec | null; readonly objects: readonly ObjectView[] };

/** A page of a list; `next` is the position to continue after. */
export interface Page<T> {
  readonly items: readonly T[];
  readonly next?: string;
}

/** A tenant's quota against what its namespaces were given and what they use. */
export interface UsageView {
  readonly tenant: string;
  /** The tenant quota. */
  readonly hard: QuotaMap;
  /** The sum of the namespaces' slices (and their count, when the quota bounds it). */
  readonly allocated: QuotaMap;
  /** The sum over namespaces of what their ResourceQuota status says is used. */
  readonly used: QuotaMap;
  readonly clusters: readonly { readonly cluster: string; readonly used: QuotaMap }[];
  readonly namespaces: readonly { readonly cluster: string; readonly name: string; readonly hard: QuotaMap; readonly used: QuotaMap; readonly observedAt?: string }[];
}

/** The outcome of probing one cluster. */
export interface ProbeOutcome {
  readonly cluster: string;
  readonly ready: boolean;
  readonly reason: string;
}

/** Options of {@link TenancyService}. */
export interface TenancyServiceOptions {
  readonly db: Database;
  readonly audit: AuditLog;
  readonly connections: ClusterConnections;
  readonly logger: Logger;
  readonly now?: () => Date;
  /** Deadline of each request of a probe (registration and periodic); default 10 s. */
  readonly probeTimeoutMs?: number;
}

/** The Berth tenant role each tenancy role grants (platform/identity/rbac.ts). */
const berthRoles: Readonly<Record<TenantRole, string>> = { 'tenant-admin': 'tenant-admin', member: 'tenant-member', viewer: 'tenant-viewer' };

// Errors from a cluster that say it cannot be asked right now, rather than that it said no.
const unreachableReasons = new Set(['ServiceUnavailable', 'Timeout', 'TooManyRequests', 'InternalError']);

const namespaceRef = { apiVersion: 'v1', kind: 'Namespace' } as const;

/** The Conflict of a cluster removal (without force) while tenants have namespaces there. */
function removalRefused(cluster: string, held: readonly NamespaceRecord[]): BerthError {
  return conflict('Cluster', cluster, `tenants still have namespaces there: ${held.map((n) => `"${n.tenant}/${n.name}"`).join(', ')}; delete them first, or delete the cluster with force=true to remove Berth's objects from it`);
}

/** The Conflict of registering a cluster under the name of one whose forced removal the leader has not finished. */
function removalPending(cluster: string): BerthError {
  return conflict('Cluster', cluster, 'a cluster of this name was removed and Berth is still removing its objects from it; retry in a moment');
}

function principalOf(ctx: RequestContext) {
  if (!ctx.principal) throw unauthorized();
  return ctx.principal;
}

function expectedVersion(kind: string, name: string, given: string | undefined, current: string): number {
  if (given !== undefined && given !== current) {
    throw conflict(kind, name, 'the object has been modified; please apply your changes to the latest version and try again');
  }
  return Number(current);
}

function mapCauses(labels: Readonly<Record<string, string>>, field: string): Cause[] {
  const causes: Cause[] = [];
  for (const key of Object.keys(labels).sort()) {
    for (const e of qualifiedNameErrors(key)) causes.push(invalidValue(field, key, e));
    for (const e of labelValueErrors(labels[key])) causes.push(invalidValue(`${field}[${key}]`, labels[key], e));
  }
  return causes;
}

function settingsCauses(settings: ClusterSettings): Cause[] {
  const p = settings.webhookFailurePolicy;
  return p === undefined || p === 'Fail' || p === 'Ignore' ? [] : [unsupportedValue('settings.webhookFailurePolicy', p, ['Fail', 'Ignore'])];
}

function roleBindingsOf(members: readonly TenantMember[]): { user: string; role: string }[] {
  return members.filter((m) => m.kind === 'User').map((m) => ({ user: m.name, role: berthRoles[m.role] }));
}

/**
 * Gives a Berth user created after a tenant listed it the tenant roles its memberships carry, in
 * the creating transaction `tx` (identity's onUserCreated hook).
 */
export async function grantRolesOfNewUser(tx: ChangeTx, user: string, now: Date): Promise<void> {
  await store.grantMemberRoles(tx, user, (m) => berthRoles[m.role], now);
}

/** What a probe measured, when it got every answer (version and nodes); undefined otherwise. */
function factsOf(probe: ClusterProbe): ProbedFacts | undefined {
  if (!probe.reachable || probe.error !== undefined || probe.version === undefined || probe.nodes === undefined) return undefined;
  const a = probe.nodes.allocatable;
  return {
    version: probe.version.gitVersion, nodes: { total: probe.nodes.count, ready: probe.nodes.ready },
    capacity: { cpu: a.cpu ?? '0', memory: a.memory ?? '0', pods: a.pods ?? '0' },
  };
}

function readyMessage(facts: ProbedFacts): string {
  return `${facts.version}, ${facts.nodes?.ready ?? 0}/${facts.nodes?.total ?? 0} nodes ready`;
}

/** Sums quota maps per resource (canonical), as the rules sum slices. */
function sumQuotas(maps: readonly QuotaMap[]): QuotaMap {
  return allocatedQuota(maps.map((quota) => ({ name: '', tenant: '', cluster: '', adopted: false, quota })));
}

function namespaceView(ns: NamespaceRecord, objects: readonly ObjectStatusRecord[]): NamespaceView {
  const { limitRange, ...rest } = ns;
  return {
    ...rest, limitRange: limitRange ?? null,
    objects: objects.map((o) => ({ kind: o.kind, name: o.name, state: o.state, message: o.message, updatedAt: o.updatedAt })),
  };
}

/** Clusters, tenants and namespaces. One instance per server. */
export class TenancyService {
  readonly #db: Database;
  readonly #deps: ChangeDeps;
  readonly #connections: ClusterConnections;
  readonly #logger: Logger;
  readonly #now: () => Date;
  readonly #probeTimeoutMs: number;

  constructor(o: TenancyServiceOptions) {
    this.#db = o.db;
    this.#now = o.now ?? (() => new Date());
    this.#deps = { db: o.db, audit: o.audit, now: this.#now };
    this.#connections = o.connections;
    this.#logger = o.logger;
    this.#probeTimeoutMs = o.probeTimeoutMs ?? 10_000;
  }

  // ---- clusters ----

  /**
   * Reads and probes a kubeconfig offered for cluster `name`: Invalid (field `kubeconfig`) when
   * Berth will not use it, or when its API server cannot be reached, refuses the credentials, or
   * does not let them list Nodes; the message names the cluster, its server and the API server's
   * (or the network's) words, never the credentials. Returns the server and what was measured.
   */
  async #probeKubeconfig(name: string, kubeconfig: string): Promise<{ server: string; facts: ProbedFacts }> {
    let client: ClusterClient;
    try {
      client = this.#connections.transient(name, kubeconfig, { timeoutMs: this.#probeTimeoutMs });
    } catch (err) {
      if (err instanceof BerthError && err.reason === 'Invalid') {
        const causes = err.causes.map((c) => ({ ...c, field: c.field === undefined ? 'kubeconfig' : `kubeconfig.${c.field}` }));
        throw invalid('Cluster', name, causes.length > 0 ? causes : [{ field: 'kubeconfig', reason: 'FieldValueInvalid', message: err.message }]);
      }
      throw err;
    }
    try {
      const probe = await probeCluster(client, { timeoutMs: this.#probeTimeoutMs });
      const facts = factsOf(probe);
      if (facts === undefined) {
        throw invalid('Cluster', name, [{
          field: 'kubeconfig', reason: 'FieldValueInvalid',
          message: `cluster "${name}" at ${client.server} cannot be used with these credentials (${probe.error?.reason ?? 'Unknown'}): ${probe.error?.message ?? 'no answer'}`,
        }]);
      }
      return { server: client.server, facts };
    } finally {
      client.close();
    }
  }

  #readyStatus(facts: ProbedFacts, now: Date): ClusterStatus {
    const cond = { ready: true, reason: 'ProbeSucceeded', message: readyMessage(facts) };
    return { status: 'Ready', conditions: store.nextConditions([], cond, now), ...facts, probedAt: now.toISOString() };
  }

  /**
   * Registers a cluster: validates name, labels and settings, probes the kubeconfig (see the
   * refusals of a probe: Invalid, nothing stored), seals the credentials and stores the cluster
   * `Ready` with its version, nodes and capacity. The permission is checked before Berth
   * contacts the server the caller names. Throws Forbidden, Invalid, AlreadyExists.
   */
  async createCluster(ctx: RequestContext, input: ClusterInput): Promise<ClusterRecord> {
    authorize(ctx, 'clusters:create');
    const labels = input.labels ?? {};
    const settings = input.settings ?? {};
    const causes = [...dns1123LabelErrors(input.name).map((e) => invalidValue('name', input.name, e)), ...mapCauses(labels, 'labels'), ...settingsCauses(settings)];
    if (causes.length > 0) throw invalid('Cluster', input.name, causes);
    if (await store.findCluster(this.#db.kysely, input.name)) throw alreadyExists('Cluster', input.name);
    if (await store.removalCredentials(this.#db.kysely, input.name) !== undefined) throw removalPending(input.name);
    const { server, facts } = await this.#probeKubeconfig(input.name, input.kubeconfig);
    const now = this.#now();
    const row: store.ClustersTable = {
      name: input.name, server, credentials: this.#connections.seal(input.name, input.kubeconfig), labels: JSON.stringify(labels),
      settings: JSON.stringify(settings), status: JSON.stringify(this.#readyStatus(facts, now)),
      created_at: now.toISOString(), updated_at: now.toISOString(), resource_version: 1,
    };
    try {
      await change(this.#deps, ctx, {
        permission: 'clusters:create', audit: { action: 'create', resource: 'clusters', name: input.name, detail: { server, labels, settings } },
        event: { topic: CLUSTER_TOPIC, key: input.name, payload: {} },
      }, async (tx) => {
        if (await store.removalCredentials(tx, input.name) !== undefined) throw removalPending(input.name);
        await store.insertCluster(tx, row);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw alreadyExists('Cluster', input.name);
      throw err;
    }
    return this.getCluster(ctx, input.name);
  }

  /** The registered clusters in name order (platform roles holding `clusters:list`). */
  async listClusters(ctx: RequestContext, limit: number, after?: string): Promise<Page<ClusterRecord>> {
    authorize(ctx, 'clusters:list');
    const rows = await store.listClusters(this.#db.kysely, limit + 1, after);
    return rows.length > limit ? { items: rows.slice(0, limit), next: rows[limit - 1].name } : { items: rows };
  }

  /** One cluster, without its credentials. Throws NotFound. */
  async getCluster(ctx: RequestContext, name: string): Promise<ClusterRecord> {
    authorize(ctx, 'clusters:get');
    const c = await store.findCluster(this.#db.kysely, name);
    if (!c) throw notFound('Cluster', name);
    return c;
  }

  /**
   * Changes a cluster's labels, settings or credentials. New credentials are probed as at
   * registration (Invalid, nothing changed, when they do not work). Throws NotFound, Invalid,
   * Conflict (a stale `resourceVersion`, or a change made meanwhile).
   */
  async updateCluster(ctx: RequestContext, name: string, patch: ClusterPatch): Promise<ClusterRecord> {
    authorize(ctx, 'clusters:update');
    const current = await store.findCluster(this.#db.kysely, name);
    if (!current) throw notFound('Cluster', name);
    const version = expectedVersion('Cluster', name, patch.resourceVersion, current.resourceVersion);
    const causes = [...mapCauses(patch.labels ?? {}, 'labels'), ...settingsCauses(patch.settings ?? {})];
    if (causes.length > 0) throw invalid('Cluster', name, causes);
    const probed = patch.kubeconfig === undefined ? undefined : await this.#probeKubeconfig(name, patch.kubeconfig);
    const now = this.#now();
    const set: Parameters<typeof store.updateCluster>[3] = {
      ...(patch.labels === undefined ? {} : { labels: JSON.stringify(patch.labels) }),
      ...(patch.settings === undefined ? {} : { settings: JSON.stringify(patch.settings) }),
      ...(probed === undefined || patch.kubeconfig === undefined ? {} : {
        server: probed.server, credentials: this.#connections.seal(name, patch.kubeconfig), status: JSON.stringify(this.#readyStatus(probed.facts, now)),
      }),
    };
    const changed = (['labels', 'settings', 'kubeconfig'] as const).filter((f) => patch[f] !== undefined);
    await change(this.#deps, ctx, {
      permission: 'clusters:update',
      audit: { action: 'update', resource: 'clusters', name, detail: { changed, ...(probed ? { server: probed.server } : {}), ...(patch.labels ? { labels: patch.labels } : {}), ...(patch.settings ? { settings: patch.settings } : {}) } },
      event: { topic: CLUSTER_TOPIC, key: name, payload: {} },
    }, async (tx) => {
      if (!(await store.updateCluster(tx, name, version, set, now))) {
        throw conflict('Cluster', name, 'the object has been modified or removed; read it again and retry');
      }
    });
    if (probed) this.#connections.forget(name);
    return this.getCluster(ctx, name);
  }

  /**
   * Removes a cluster from Berth. Refused (Conflict, naming them) while tenants have namespaces
   * there, unless `force`: then Berth first deletes its objects from the cluster (the Namespaces
   * it created; in adopted namespaces only the objects it applied), and the removal fails with
   * the cluster's error, nothing removed, when that cannot be done. The reconciler puts back what
   * that sweep deletes until the rows go, so the removal also records that the cluster's last
   * sweep is due: the leader's reconciler makes it once the cluster's worker has finished its pass
   * in flight and stopped, so no write of Berth's follows it (controller.ts). Until then the name
   * cannot be registered again. Throws NotFound.
   */
  async deleteCluster(ctx: RequestContext, name: string, force: boolean): Promise<void> {
    authorize(ctx, 'clusters:delete');
    if (!(await store.findCluster(this.#db.kysely, name))) throw notFound('Cluster', name);
    const namespaces = await store.clusterNamespaces(this.#db.kysely, name);
    if (namespaces.length > 0 && !force) throw removalRefused(name, namespaces);
    if (namespaces.length > 0) {
      const client = await this.#connections.ownClient(name);
      try {
        await this.#removeBerthObjects(client, namespaces);
      } finally {
        client.close();
      }
    }
    await change(this.#deps, ctx, {
      permission: 'clusters:delete', audit: { action: 'delete', resource: 'clusters', name, detail: { force, namespaces: namespaces.map((n) => `${n.tenant}/${n.name}`) } },
      event: { topic: CLUSTER_TOPIC, key: name, payload: {} },
    }, async (tx) => {
      const held = await store.clusterNamespaces(tx, name);
      if (held.length > 0 && !force) throw removalRefused(name, held);
      const at = this.#now();
      if (held.length > 0 && !(await store.recordClusterRemoval(tx, name, at))) throw notFound('Cluster', name);
      if (!(await store.deleteCluster(tx, name, at))) throw notFound('Cluster', name);
    }).catch((err: unknown) => {
      if (store.isForeignKeyViolation(err)) throw conflict('Cluster', name, 'a namespace was placed on it meanwhile; read it again and retry');
      throw err;
    });
    this.#connections.forget(name);
  }

  /**
   * Deletes through `client` what Berth applied for `namespaces` and gives adopted namespaces
   * back: only objects that carry Berth's labels for the namespace's tenant (a namespace recorded
   * while the cluster could not be asked may turn out to be someone else's); already gone or
   * terminating counts as done.
   */
  async #removeBerthObjects(client: ClusterClient, namespaces: readonly NamespaceRecord[]): Promise<void> {
    const tenants = new Map<string, Tenant>();
    // An adopted namespace is given back as the reconciler does: applying an empty configuration
    // as Berth's field manager drops the labels and annotations Berth set on it.
    const release = async (nsName: string): Promise<void> => {
      await client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: nsName } }, { force: true });
    };
    const removeOwned = async (ref: { apiVersion: string; kind: string }, objName: string, tenant: string, namespace?: string, adopted = false): Promise<void> => {
      try {
        const found = await client.get(ref, objName, namespace);
        // A Namespace already terminating is on its way out; deleting it again is a Conflict.
        if (found.metadata?.deletionTimestamp !== undefined || holdingOf(found, tenant).state !== 'berth') return;
        await (ref === namespaceRef && adopted ? release(objName) : client.delete(ref, objName, namespace));
      } catch (err) {
        if (!(err instanceof BerthError && err.reason === 'NotFound')) throw err;
      }
    };
    for (const ns of namespaces) {
      if (!ns.adopted) {
        await removeOwned(namespaceRef, ns.name, ns.tenant);
        continue;
      }
      let tenant = tenants.get(ns.tenant);
      if (!tenant) {
        const t = await store.findTenant(this.#db.kysely, ns.tenant);
        if (!t) continue;
        tenant = store.modelTenant(t);
        tenants.set(ns.tenant, tenant);
      }
      for (const o of renderNamespace(tenant, store.modelNamespace(ns)).filter((m) => m.kind !== 'Namespace')) {
        await removeOwned({ apiVersion: o.apiVersion, kind: o.kind }, o.metadata.name, ns.tenant, o.metadata.namespace);
      }
      await removeOwned(namespaceRef, ns.name, ns.tenant, undefined, true);
    }
  }

  /**
   * Probes every registered cluster at once (version, nodes, capacity) and records its
   * conditions: `Ready`, or `Degraded` with the reason and the cluster's message, each with the
   * time it last changed. For the leader to run periodically; never throws for a cluster's sake.
   */
  async probeClusters(signal?: AbortSignal): Promise<ProbeOutcome[]> {
    const names = await store.clusterNames(this.#db.kysely);
    return Promise.all(names.map(async (cluster): Promise<ProbeOutcome> => {
      let cond: { ready: boolean; reason: string; message: string };
      let facts: ProbedFacts | undefined;
      try {
        const client = await this.#connections.clientFor(cluster);
        const probe = await probeCluster(client, { timeoutMs: this.#probeTimeoutMs, signal });
        facts = factsOf(probe);
        if (facts !== undefined) {
          cond = { ready: true, reason: 'ProbeSucceeded', message: readyMessage(facts) };
        } else {
          cond = { ready: false, reason: probe.reachable ? 'NodesUnreadable' : 'Unreachable', message: probe.error?.message ?? 'no answer' };
          if (probe.version !== undefined) facts = { version: probe.version.gitVersion };
        }
      } catch (err) {
        if (signal?.aborted === true) throw err;
        if (err instanceof BerthError && err.reason === 'NotFound') return { cluster, ready: false, reason: 'Removed' };
        cond = { ready: false, reason: 'CredentialsUnreadable', message: err instanceof BerthError ? err.message : 'the client could not be built' };
      }
      await store.recordClusterProbe(this.#db.kysely, cluster, cond, facts, this.#now());
      if (!cond.ready) this.#logger.warn({ cluster, reason: cond.reason }, `cluster degraded: ${cond.message}`);
      return { cluster, ready: cond.ready, reason: cond.reason };
    }));
  }

  // ---- tenants ----

  /**
   * Creates a tenant after validateTenant (Invalid, one cause per problem); its User members who
   * are Berth users get their Berth tenant role in the same transaction. Platform admins only.
   * Throws Forbidden, Invalid, AlreadyExists.
   */
  async createTenant(ctx: RequestContext, input: TenantInput): Promise<TenantRecord> {
    const tenant: Tenant = {
      name: input.name, displayName: input.displayName ?? '', members: input.members ?? [], clusters: input.clusters,
      quota: input.quota ?? {}, defaultLimitRange: input.defaultLimitRange ?? {}, nodeSelector: input.nodeSelector ?? {},
    };
    try {
      await change(this.#deps, ctx, {
        permission: 'tenants:create', tenant: input.name,
        audit: { action: 'create', resource: 'tenants', name: input.name, detail: { clusters: tenant.clusters, quota: tenant.quota, members: tenant.members } },
        event: { topic: TENANT_TOPIC, key: input.name, payload: {} },
      }, async (tx) => {
        const causes = validateTenant(tenant, await store.clusterNames(tx));
        if (causes.length > 0) throw invalid('Tenant', input.name, causes);
        if (await store.findTenant(tx, input.name)) throw alreadyExists('Tenant', input.name);
        const now = this.#now();
        await store.insertTenant(tx, store.tenantRow(tenant, now.toISOString(), now.toISOString(), 1));
        await store.replaceTenantRoleBindings(tx, input.name, roleBindingsOf(tenant.members), now);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw alreadyExists('Tenant', input.name);
      throw err;
    }
    return this.getTenant(ctx, input.name);
  }

  /**
   * The tenants the caller may see, in name order: every tenant for holders of `tenants:list`
   * (platform admins), otherwise those the caller holds a tenant role in.
   */
  async listTenants(ctx: RequestContext, limit: number, after?: string): Promise<Page<TenantRecord>> {
    const p = principalOf(ctx);
    const only = can(p, 'tenants:list') ? undefined : [...new Set(p.tenantRoles.filter((b) => can(p, 'tenants:get', b.tenant)).map((b) => b.tenant))];
    const rows = await store.listTenants(this.#db.kysely, limit + 1, after, only);
    return rows.length > limit ? { items: rows.slice(0, limit), next: rows[limit - 1].name } : { items: rows };
  }

  /** One tenant (platform admins, and the tenant's own members). Throws Forbidden, NotFound. */
  async getTenant(ctx: RequestContext, name: string): Promise<TenantRecord> {
    authorize(ctx, 'tenants:get', name);
    const t = await store.findTenant(this.#db.kysely, name);
    if (!t) throw notFound('Tenant', name);
    return t;
  }

  /**
   * Changes a tenant: each given field replaces the stored one; validated with validateTenant
   * and validateTenantUpdate against its namespaces (a quota below what they hold is refused
   * naming resource, sum and limit). Role bindings follow the members. Throws Forbidden,
   * NotFound, Invalid, Conflict.
   */
  async updateTenant(ctx: RequestContext, name: string, patch: TenantPatch): Promise<TenantRecord> {
    await change(this.#deps, ctx, {
      permission: 'tenants:update', tenant: name,
      audit: { action: 'update', resource: 'tenants', name, detail: { ...patch } },
      event: { topic: TENANT_TOPIC, key: name, payload: {} },
    }, async (tx) => {
      const current = await store.findTenant(tx, name, this.#db.dialect);
      if (!current) throw notFound('Tenant', name);
      const version = expectedVersion('Tenant', name, patch.resourceVersion, current.resourceVersion);
      const { resourceVersion: _, ...fields } = patch;
      const next: Tenant = { ...store.modelTenant(current), ...fields };
      const namespaces = (await store.tenantNamespaces(tx, name)).map(store.modelNamespace);
      const causes = [...validateTenant(next, await store.clusterNames(tx)), ...validateTenantUpdate(next, namespaces)];
      if (causes.length > 0) throw invalid('Tenant', name, causes);
      const now = this.#now();
      if (!(await store.updateTenant(tx, version, store.tenantRow(next, current.createdAt, now.toISOString(), version + 1)))) {
        throw conflict('Tenant', name, 'the object has been modified; read it again and retry');
      }
      await store.replaceTenantRoleBindings(tx, name, roleBindingsOf(next.members), now);
    });
    return this.getTenant(ctx, name);
  }

  /** Deletes a tenant with no namespaces (Conflict naming them otherwise) and the roles it granted. Throws NotFound. */
  async deleteTenant(ctx: RequestContext, name: string): Promise<void> {
    await change(this.#deps, ctx, {
      permission: 'tenants:delete', tenant: name, audit: { action: 'delete', resource: 'tenants', name },
      event: { topic: TENANT_TOPIC, key: name, payload: {} },
    }, async (tx) => {
      if (!(await store.findTenant(tx, name, this.#db.dialect))) throw notFound('Tenant', name);
      const held = await store.tenantNamespaces(tx, name);
      if (held.length > 0) {
        throw conflict('Tenant', name, `it still has namespaces ${held.map((n) => `"${n.cluster}/${n.name}"`).join(', ')}; delete them first`);
      }
      await store.deleteTenant(tx, name);
    });
  }

  // ---- namespaces ----

  /**
   * The tenant, its namespaces and the registered clusters, as the rules take them. In a change's
   * transaction the tenant's row is locked (PostgreSQL), so that changes of one tenant's
   * namespaces are decided one at a time; a read ahead of one (`db`) locks nothing (a lock is a
   * write, and its commit a flush).
   */
  async #tenantFacts(q: ChangeTx | Database['kysely'], tenant: string): Promise<{ tenant: Tenant; namespaces: TenantNamespace[]; clusters: string[] }> {
    const t = await store.findTenant(q, tenant, q.isTransaction ? this.#db.dialect : undefined);
    if (!t) throw notFound('Tenant', tenant);
    return { tenant: store.modelTenant(t), namespaces: (await store.tenantNamespaces(q, tenant)).map(store.modelNamespace), clusters: await store.clusterNames(q) };
  }

  /**
   * Whether namespace `ns` already exists in its cluster: 'absent'; what {@link holdingOf}
   * says of it (the reconciler's rule: Berth's only when Berth's field manager applied it, so a
   * namespace someone else labelled as Berth's is foreign and never taken over silently); or
   * 'unknown' when the cluster cannot be asked now (the namespace is recorded and the reconciler
   * meets it when the cluster is back).
   */
  async #existing(ns: TenantNamespace): Promise<Holding | { state: 'absent' } | { state: 'unknown'; why: string }> {
    let obj: KubeObject;
    try {
      obj = await (await this.#connections.clientFor(ns.cluster)).get(namespaceRef, ns.name, undefined, { timeoutMs: this.#probeTimeoutMs });
    } catch (err) {
      if (err instanceof BerthError && err.reason === 'NotFound') return { state: 'absent' };
      if (err instanceof BerthError && unreachableReasons.has(err.reason)) return { state: 'unknown', why: err.message };
      throw err;
    }
    return holdingOf(obj, ns.tenant);
  }

  /**
   * Creates a namespace of `tenant` on one of its clusters, with its quota slice and optional
   * LimitRange override, after validateNamespace (Invalid naming resource, sum and limit when
   * the slices would exceed the tenant quota). A namespace that already exists in the cluster
   * and is not Berth's (not applied by Berth's field manager, whatever its labels say: the
   * reconciler's rule, plan.ts holdingOf) is refused (AlreadyExists) unless `adopt`; one of
   * another Berth tenant always. Throws Forbidden, NotFound (tenant), Invalid, AlreadyExists.
   */
  async createNamespace(ctx: RequestContext, tenant: string, input: NamespaceInput): Promise<NamespaceView> {
    authorize(ctx, 'namespaces:create', tenant);
    const ns: TenantNamespace = {
      name: input.name, tenant, cluster: input.cluster, quota: input.quota ?? {}, adopted: false,
      ...(input.limitRange === undefined ? {} : { limitRange: input.limitRange }),
    };
    const label = `${input.cluster}/${input.name}`;
    const check = async (tx: ChangeTx | Database['kysely']): Promise<void> => {
      const facts = await this.#tenantFacts(tx, tenant);
      const causes = validateNamespace(ns, facts.tenant, facts.namespaces, facts.clusters);
      if (causes.length > 0) throw invalid('Namespace', input.name, causes);
      if (await store.findNamespace(tx, input.cluster, input.name)) throw this.#taken(input, 'in Berth');
    };
    // Decided before the cluster is asked, so a refused request costs the cluster nothing.
    await check(this.#db.kysely);
    const found = await this.#existing(ns);
    if (found.state === 'other-tenant') throw this.#taken(input, `as a namespace of tenant "${found.owner}"`);
    if (found.state === 'foreign' && input.adopt !== true) {
      const labelled = found.labelled ? ' (it carries Berth\'s labels, but Berth did not apply it)' : '';
      throw this.#taken(input, `and is not Berth's${labelled}; send "adopt": true to have Berth manage it (its quota, LimitRange, RoleBindings and NetworkPolicies)`);
    }
    const adopted = found.state === 'foreign';
    const placed: TenantNamespace = { ...ns, adopted };
    try {
      await change(this.#deps, ctx, {
        permission: 'namespaces:create', tenant,
        audit: {
          action: 'create', resource: 'namespaces', name: label,
          detail: { quota: ns.quota, adopted, ...(ns.limitRange ? { limitRange: ns.limitRange } : {}), ...(found.state === 'unknown' ? { clusterUnchecked: found.why } : {}) },
        },
        event: { topic: TENANT_TOPIC, key: tenant, payload: {} },
      }, async (tx) => {
        await check(tx);
        await store.insertNamespace(tx, placed, this.#now());
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw this.#taken(input, 'in Berth');
      if (store.isForeignKeyViolation(err)) throw conflict('Namespace', input.name, `cluster "${input.cluster}" or tenant "${tenant}" was removed meanwhile`);
      throw err;
    }
    return this.getNamespace(ctx, tenant, input.cluster, input.name);
  }

  #taken(input: NamespaceInput, where: string): BerthError {
    return new BerthError('AlreadyExists', `namespaces "${input.name}" already exists on cluster "${input.cluster}" ${where}`, { kind: 'Namespace', name: input.name });
  }

  /** The namespaces of `tenant` by cluster and name (its members may read them). Throws Forbidden, NotFound. */
  async listNamespaces(ctx: RequestContext, tenant: string, limit: number, after?: { cluster: string; name: string }): Promise<Page<NamespaceView>> {
    authorize(ctx, 'namespaces:list', tenant);
    if (!(await store.findTenant(this.#db.kysely, tenant))) throw notFound('Tenant', tenant);
    const rows = await store.listNamespaces(this.#db.kysely, tenant, limit + 1, after);
    const page = rows.slice(0, limit);
    // One query for the whole page's object status, not one per namespace.
    const objects = await store.tenantObjects(this.#db.kysely, tenant, page.map((ns) => ns.name));
    const items = page.map((ns) => namespaceView(ns, objects.get(`${ns.cluster}/${ns.name}`) ?? []));
    return rows.length > limit ? { items, next: `${page[limit - 1].cluster}/${page[limit - 1].name}` } : { items };
  }

  async #namespaceOf(tenant: string, cluster: string, name: string): Promise<NamespaceRecord> {
    const ns = await store.findNamespace(this.#db.kysely, cluster, name);
    if (!ns || ns.tenant !== tenant) throw notFound('Namespace', `${cluster}/${name}`);
    return ns;
  }

  /** One namespace of `tenant` with its usage and per-object status. Throws Forbidden, NotFound. */
  async getNamespace(ctx: RequestContext, tenant: string, cluster: string, name: string): Promise<NamespaceView> {
    authorize(ctx, 'namespaces:get', tenant);
    const ns = await this.#namespaceOf(tenant, cluster, name);
    return namespaceView(ns, await store.namespaceObjects(this.#db.kysely, cluster, name));
  }

  /**
   * Changes a namespace's quota slice or LimitRange (null: the tenant's default), validated as
   * at creation. Throws Forbidden, NotFound, Invalid, Conflict.
   */
  async updateNamespace(ctx: RequestContext, tenant: string, cluster: string, name: string, patch: NamespacePatch): Promise<NamespaceView> {
    await change(this.#deps, ctx, {
      permission: 'namespaces:update', tenant,
      audit: { action: 'update', resource: 'namespaces', name: `${cluster}/${name}`, detail: { ...patch } },
      event: { topic: TENANT_TOPIC, key: tenant, payload: {} },
    }, async (tx) => {
      const facts = await this.#tenantFacts(tx, tenant);
      const current = await store.findNamespace(tx, cluster, name);
      if (!current || current.tenant !== tenant) throw notFound('Namespace', `${cluster}/${name}`);
      const version = expectedVersion('Namespace', name, patch.resourceVersion, current.resourceVersion);
      const { limitRange: _, ...base } = store.modelNamespace(current);
      const limitRange = patch.limitRange === undefined ? current.limitRange : patch.limitRange ?? undefined;
      const next: TenantNamespace = { ...base, quota: patch.quota ?? current.quota, ...(limitRange === undefined ? {} : { limitRange }) };
      const causes = validateNamespace(next, facts.tenant, facts.namespaces, facts.clusters);
      if (causes.length > 0) throw invalid('Namespace', name, causes);
      if (!(await store.updateNamespace(tx, next, version, this.#now()))) throw conflict('Namespace', name, 'the object has been modified; read it again and retry');
    });
    return this.getNamespace(ctx, tenant, cluster, name);
  }

  /**
   * Deletes a namespace of `tenant` from Berth (the reconciler then deletes what Berth created in
   * the cluster). Refused (Conflict) while pods that have not finished are there, unless `force`;
   * when the cluster cannot be asked, refused with ServiceUnavailable unless `force`. Throws
   * Forbidden, NotFound.
   */
  async deleteNamespace(ctx: RequestContext, tenant: string, cluster: string, name: string, force: boolean): Promise<void> {
    authorize(ctx, 'namespaces:delete', tenant);
    await this.#namespaceOf(tenant, cluster, name);
    if (!force) await this.#refuseWhileRunning(cluster, name);
    await change(this.#deps, ctx, {
      permission: 'namespaces:delete', tenant, audit: { action: 'delete', resource: 'namespaces', name: `${cluster}/${name}`, detail: { force } },
      event: { topic: TENANT_TOPIC, key: tenant, payload: {} },
    }, async (tx) => {
      const current = await store.findNamespace(tx, cluster, name);
      if (!current || current.tenant !== tenant || !(await store.deleteNamespace(tx, cluster, name))) throw notFound('Namespace', `${cluster}/${name}`);
    });
  }

  async #refuseWhileRunning(cluster: string, name: string): Promise<void> {
    let pods: { items?: readonly KubeObject[] };
    try {
      const client = await this.#connections.clientFor(cluster);
      const selector = encodeURIComponent('status.phase!=Succeeded,status.phase!=Failed');
      pods = await client.request('GET', `/api/v1/namespaces/${encodeURIComponent(name)}/pods?limit=1&fieldSelector=${selector}`, undefined, { timeoutMs: this.#probeTimeoutMs });
    } catch (err) {
      if (err instanceof BerthError && err.reason === 'NotFound') return;
      if (err instanceof BerthError && unreachableReasons.has(err.reason)) {
        throw new BerthError('ServiceUnavailable', `cannot tell whether namespace "${name}" on cluster "${cluster}" still runs pods: ${err.message}; retry when the cluster answers, or delete with force=true`, { retryAfter: 5, cause: err });
      }
      throw err;
    }
    const first = pods.items?.[0]?.metadata?.name;
    if (first !== undefined) {
      throw conflict('Namespace', name, `pods still run in it on cluster "${cluster}" (for example "${first}"); stop them first, or delete with force=true`);
    }
  }

  // ---- render and usage ----

  /**
   * The objects the reconciler applies for `tenant` (renderTenant over the stored state), on
   * `cluster` only when given (NotFound for an unregistered cluster; empty where the tenant has
   * nothing). Throws Forbidden, NotFound.
   */
  async render(ctx: RequestContext, tenant: string, cluster?: string): Promise<Manifest[]> {
    authorize(ctx, 'tenants:get', tenant);
    const t = await store.findTenant(this.#db.kysely, tenant);
    if (!t) throw notFound('Tenant', tenant);
    const { clusters } = await store.loadTenancy(this.#db.kysely);
    if (cluster !== undefined && !clusters.some((c: Cluster) => c.name === cluster)) throw notFound('Cluster', cluster);
    const rendered = renderTenant(store.modelTenant(t), (await store.tenantNamespaces(this.#db.kysely, tenant)).map(store.modelNamespace), clusters);
    if (cluster !== undefined) return rendered.get(cluster) ?? [];
    return [...rendered.values()].flat();
  }

  /**
   * A tenant's quota against the sum of its slices and the use its namespaces' ResourceQuotas
   * report (as last read by the reconciler; no cluster is asked). Throws Forbidden, NotFound.
   */
  async usage(ctx: RequestContext, tenant: string): Promise<UsageView> {
    authorize(ctx, 'tenants:get', tenant);
    const t = await store.findTenant(this.#db.kysely, tenant);
    if (!t) throw notFound('Tenant', tenant);
    const namespaces = await store.tenantNamespaces(this.#db.kysely, tenant);
    const count: Record<string, string> = t.quota[NAMESPACES_RESOURCE] === undefined ? {} : { [NAMESPACES_RESOURCE]: String(namespaces.length) };
    const clusterNames = [...new Set(namespaces.map((n) => n.cluster))];
    return {
      tenant, hard: t.quota,
      allocated: { ...allocatedQuota(namespaces.map(store.modelNamespace)), ...count },
      used: { ...sumQuotas(namespaces.map((n) => n.usage?.used ?? {})), ...count },
      clusters: clusterNames.map((cluster) => ({ cluster, used: sumQuotas(namespaces.filter((n) => n.cluster === cluster).map((n) => n.usage?.used ?? {})) })),
      namespaces: namespaces.map((n) => ({
        cluster: n.cluster, name: n.name, hard: n.usage?.hard ?? n.quota, used: n.usage?.used ?? {}, ...(n.usage ? { observedAt: n.usage.observedAt } : {}),
      })),
    };
  }
}
