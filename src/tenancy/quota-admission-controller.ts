// The tenant-wide quota as a running part of one server: a snapshot of which namespace belongs to
// which tenant and what each tenant may use (the admission path must answer synchronously), read
// again whenever a cluster or tenant change has been published to the outbox by any replica
// (checked every `refreshMs`, one indexed lookup per topic) and whenever a review names a
// namespace the snapshot does not know yet; watchers on every registered cluster (TenantUsage),
// restarted when its credentials change; the admission engine with its reservations
// (TenantQuotaAdmission); and the `tenant-quota` validating policy that hands it the API
// servers' reviews. Every replica runs it: the webhook may reach any of them.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { EvaluatorRegistry } from '../compute/index.ts';
import type { AdmissionOrigin, AdmissionPolicy, AdmissionRequest, Verdict } from '../kube/index.ts';
import type { Database } from '../platform/db/database.ts';
import { latestEventIds } from '../platform/outbox/outbox.ts';
import type { ClusterConnections } from './connections.ts';
import type { QuotaMap } from './model.ts';
import { CLUSTER_TOPIC, TENANT_TOPIC } from './service.ts';
import * as store from './store.ts';
import { TenantQuotaAdmission } from './tenant-quota-service.ts';
import { TenantUsage, type ClusterNamespace } from './tenant-usage-controller.ts';

/** The outbox topics whose events may change the snapshot. */
const TOPICS = [CLUSTER_TOPIC, TENANT_TOPIC] as const;

/** What the tenant quota needs from its server. */
export interface TenantQuotaDeps {
  readonly db: Database;
  readonly connections: ClusterConnections;
  readonly logger: Logger;
  /** How often the outbox is asked whether the tenancy snapshot is stale; default 250 ms. */
  readonly refreshMs?: number;
}

/** The tenant-wide quota of one server. */
export class TenantQuota {
  readonly #deps: TenantQuotaDeps;
  #owners = new Map<string, string>();
  #namespaces = new Map<string, ClusterNamespace[]>();
  #quotas = new Map<string, QuotaMap>();
  /** The newest event of each topic the snapshot reflects; undefined before the first load. */
  #seen: number[] | undefined;
  /** The snapshot check under way, which callers share. */
  #checking: Promise<void> | undefined;
  readonly usage: TenantUsage;
  readonly admission: TenantQuotaAdmission;

  constructor(deps: TenantQuotaDeps) {
    this.#deps = deps;
    const registry = new EvaluatorRegistry();
    const tenantOf = (cluster: string, ns: string): string | undefined => this.#owners.get(`${cluster}/${ns}`);
    const namespacesOf = (tenant: string): ClusterNamespace[] => this.#namespaces.get(tenant) ?? [];
    const onError = (err: unknown): void => deps.logger.warn({ err }, 'tenant quota');
    this.usage = new TenantUsage({ registry, tenantOf, namespacesOf, onError });
    this.admission = new TenantQuotaAdmission({ db: deps.db, registry, usage: this.usage, tenantOf, quotaOf: (t) => this.#quotas.get(t), onError });
  }

  /** The `tenant-quota` validating policy: creates and updates of pods, services and claims in tenant namespaces. */
  policy(): AdmissionPolicy {
    return {
      validate: async (req: AdmissionRequest, origin: AdmissionOrigin): Promise<Verdict> => {
        const { cluster } = origin;
        if (cluster === undefined || req.namespace === undefined || req.object === undefined) return { allowed: true };
        if (req.operation !== 'CREATE' && req.operation !== 'UPDATE') return { allowed: true };
        // The webhook is only called for namespaces labelled as a tenant's: one the snapshot does
        // not know was most likely created a moment ago, on this replica or another.
        if (!this.#owners.has(`${cluster}/${req.namespace}`)) await this.check();
        return this.admission.admit({
          cluster, namespace: req.namespace, operation: req.operation, object: req.object as never,
          ...(req.oldObject === undefined ? {} : { oldObject: req.oldObject as never }),
          ...(req.subResource === undefined ? {} : { subResource: req.subResource }),
          dryRun: req.dryRun,
        });
      },
    };
  }

  /**
   * Reads the snapshot again if a cluster or tenant change was published since it was read (or it
   * never was). Concurrent callers share one check, and a caller never gets one that started
   * before it asked.
   */
  async check(): Promise<void> {
    const running = this.#checking;
    if (running !== undefined) await running.catch(() => undefined);
    this.#checking ??= (async () => {
      try {
        const latest = await latestEventIds(this.#deps.db.kysely, TOPICS);
        if (this.#seen !== undefined && latest.every((id, i) => id === this.#seen?.[i])) return;
        await this.refresh();
        this.#seen = latest;
      } finally {
        this.#checking = undefined;
      }
    })();
    await this.#checking;
  }

  /**
   * Reads the tenancy tables into the snapshot and starts or stops watching clusters to match;
   * a cluster whose credentials changed is watched again with its new client.
   */
  async refresh(): Promise<void> {
    const { clusters, tenants, namespaces } = await store.loadTenancy(this.#deps.db.kysely);
    const byTenant = new Map<string, ClusterNamespace[]>();
    for (const n of namespaces) {
      let list = byTenant.get(n.tenant);
      if (list === undefined) byTenant.set(n.tenant, (list = []));
      list.push({ cluster: n.cluster, namespace: n.name });
    }
    this.#owners = new Map(namespaces.map((n) => [`${n.cluster}/${n.name}`, n.tenant]));
    this.#namespaces = byTenant;
    this.#quotas = new Map(tenants.map((t) => [t.name, t.quota]));
    const wanted = new Set(clusters.map((c) => c.name));
    for (const c of wanted) {
      const client = await this.#deps.connections.clientFor(c);
      if (this.usage.clientOf(c) !== client) await this.usage.addCluster(c, client);
    }
    for (const c of this.usage.clusters()) {
      if (!wanted.has(c)) await this.usage.removeCluster(c);
    }
  }

  /** Keeps the snapshot fresh and the engine running until `signal` aborts, then stops the watches. */
  async run(signal: AbortSignal): Promise<void> {
    this.admission.start();
    try {
      while (!signal.aborted) {
        await this.check().catch((err: unknown) => this.#deps.logger.warn({ err }, 'tenant quota: refreshing the tenancy snapshot failed'));
        await sleep(this.#deps.refreshMs ?? 250, undefined, { signal }).catch(() => undefined);
      }
    } finally {
      await this.admission.stop();
      await this.usage.stop();
    }
  }
}
