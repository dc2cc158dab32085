// The tenant-wide quota as a running part of one server: a snapshot of which namespace belongs to
// which tenant and what each tenant may use (read from the store every `refreshMs`, since the
// admission path must answer synchronously and other replicas change the tables too), watchers
// on every registered cluster (TenantUsage), the admission engine with its reservations
// (TenantQuotaAdmission), and the `tenant-quota` validating policy that hands it the API
// servers' reviews. Every replica runs it: the webhook may reach any of them.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { EvaluatorRegistry } from '../compute/index.ts';
import type { AdmissionOrigin, AdmissionPolicy, AdmissionRequest, Verdict } from '../kube/index.ts';
import type { Database } from '../platform/db/database.ts';
import type { ClusterConnections } from './connections.ts';
import type { QuotaMap } from './model.ts';
import * as store from './store.ts';
import { TenantQuotaAdmission } from './tenant-quota-service.ts';
import { TenantUsage } from './tenant-usage-controller.ts';

/** What the tenant quota needs from its server. */
export interface TenantQuotaDeps {
  readonly db: Database;
  readonly connections: ClusterConnections;
  readonly logger: Logger;
  /** How often the tenancy snapshot and the set of watched clusters are refreshed; default 500 ms. */
  readonly refreshMs?: number;
}

/** The tenant-wide quota of one server. */
export class TenantQuota {
  readonly #deps: TenantQuotaDeps;
  #owners = new Map<string, string>();
  #quotas = new Map<string, QuotaMap>();
  readonly #watched = new Set<string>();
  readonly usage: TenantUsage;
  readonly admission: TenantQuotaAdmission;

  constructor(deps: TenantQuotaDeps) {
    this.#deps = deps;
    const registry = new EvaluatorRegistry();
    const tenantOf = (cluster: string, ns: string): string | undefined => this.#owners.get(`${cluster}/${ns}`);
    const onError = (err: unknown): void => deps.logger.warn({ err }, 'tenant quota');
    this.usage = new TenantUsage({ registry, tenantOf, onError });
    this.admission = new TenantQuotaAdmission({ db: deps.db, registry, usage: this.usage, tenantOf, quotaOf: (t) => this.#quotas.get(t), onError });
  }

  /** The `tenant-quota` validating policy: creates and updates of pods, services and claims in tenant namespaces. */
  policy(): AdmissionPolicy {
    return {
      validate: async (req: AdmissionRequest, origin: AdmissionOrigin): Promise<Verdict> => {
        const { cluster } = origin;
        if (cluster === undefined || req.namespace === undefined || req.object === undefined) return { allowed: true };
        if (req.operation !== 'CREATE' && req.operation !== 'UPDATE') return { allowed: true };
        return this.admission.admit({
          cluster, namespace: req.namespace, operation: req.operation, object: req.object as never,
          ...(req.oldObject === undefined ? {} : { oldObject: req.oldObject as never }),
          ...(req.subResource === undefined ? {} : { subResource: req.subResource }),
          dryRun: req.dryRun,
        });
      },
    };
  }

  /** Reads the tenancy tables into the snapshot and starts or stops watching clusters to match. */
  async refresh(): Promise<void> {
    const { clusters, tenants, namespaces } = await store.loadTenancy(this.#deps.db.kysely);
    this.#owners = new Map(namespaces.map((n) => [`${n.cluster}/${n.name}`, n.tenant]));
    this.#quotas = new Map(tenants.map((t) => [t.name, t.quota]));
    const wanted = new Set(clusters.map((c) => c.name));
    for (const c of wanted) {
      if (this.#watched.has(c)) continue;
      await this.usage.addCluster(c, await this.#deps.connections.clientFor(c));
      this.#watched.add(c);
    }
    for (const c of [...this.#watched]) {
      if (wanted.has(c)) continue;
      await this.usage.removeCluster(c);
      this.#watched.delete(c);
    }
  }

  /** Keeps the snapshot fresh and the engine running until `signal` aborts, then stops the watches. */
  async run(signal: AbortSignal): Promise<void> {
    this.admission.start();
    try {
      while (!signal.aborted) {
        await this.refresh().catch((err: unknown) => this.#deps.logger.warn({ err }, 'tenant quota: refreshing the tenancy snapshot failed'));
        await sleep(this.#deps.refreshMs ?? 500, undefined, { signal }).catch(() => undefined);
      }
    } finally {
      await this.admission.stop();
      await this.usage.stop();
    }
  }
}
