// The tenancy area's work on the leader: the reconciler fed from the store and woken by the
// outbox, and the periodic cluster probe. The reconciler is level-triggered: each pass renders
// what the database holds now, so an event only says "look again soon"; a restarted leader's
// first pass covers every cluster, which is how work interrupted by a crash resumes. Events are
// acknowledged once the pass they asked for is queued; losing one costs at most the resync
// period, never correctness.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { AdmissionPolicies } from '../kube/index.ts';
import type { Database } from '../platform/db/database.ts';
import type { Term } from '../platform/leader.ts';
import { OutboxConsumer, runConsumer, type OutboxEvent } from '../platform/outbox/outbox.ts';
import type { ClusterConnections } from './connections.ts';
import { Reconciler, type ReconcileSink, type ReconcileSource } from './controller.ts';
import type { DesiredState } from './plan.ts';
import { renderTenant } from './render.ts';
import { berthWebhooks, renderWebhookConfigurations } from './webhooks.ts';
import * as store from './store.ts';
import { CLUSTER_TOPIC, TENANT_TOPIC, type TenancyService } from './service.ts';

/** Where member clusters reach Berth's admission webhooks, and which policies it serves there. */
export interface WebhookEndpoint {
  readonly url: string;
  readonly caPem: string;
  readonly policies: AdmissionPolicies;
}

/**
 * The desired state of each cluster, rendered from the store on every pass: every tenant's
 * objects there and, when `webhooks` is given, Berth's webhook configurations for the policies
 * it serves (a webhook whose policy is not registered would refuse every create under `Fail`).
 */
export function storeSource(db: Database, connections: ClusterConnections, webhooks?: WebhookEndpoint): ReconcileSource {
  return {
    clusters: async () => store.clusterNames(db.kysely),
    client: async (cluster) => connections.clientFor(cluster),
    async desired(cluster): Promise<DesiredState> {
      const { clusters, tenants, namespaces } = await store.loadTenancy(db.kysely);
      const manifests = tenants.flatMap((t) => renderTenant(t, namespaces.filter((n) => n.tenant === t.name), clusters).get(cluster) ?? []);
      const settings = clusters.find((c) => c.name === cluster)?.settings;
      if (webhooks !== undefined && settings !== undefined) {
        const served = berthWebhooks.filter((w) => webhooks.policies.handler(w.mode, w.policy) !== undefined);
        manifests.push(...renderWebhookConfigurations({ url: webhooks.url, caPem: webhooks.caPem, cluster, settings, webhooks: served }));
      }
      const adopted = new Set(namespaces.filter((n) => n.cluster === cluster && n.adopted).map((n) => n.name));
      return { manifests, adopted };
    },
    removals: async () => store.pendingRemovals(db.kysely),
    removedClient: async (cluster) => connections.removedClient(cluster),
  };
}

/**
 * Status rows, conditions and quota usage into the store, each write fenced by the leader's term.
 * The probe owns a healthy cluster's Ready condition (its message names version and nodes); the
 * reconciler marks a cluster Degraded when its passes fail, and Ready again only when it was the
 * one that marked it, so the two never overwrite each other's words in turn.
 */
export function storeSink(term: Pick<Term, 'fenced'>): ReconcileSink {
  const degradedByUs = new Set<string>();
  return {
    objects: async (cluster, rows) => term.fenced((tx) => store.replaceObjectStatus(tx, cluster, rows, new Date())),
    async condition(cluster, cond) {
      if (cond.ready && !degradedByUs.has(cluster)) return;
      await term.fenced((tx) => store.recordClusterCondition(tx, cluster, cond, new Date()));
      if (cond.ready) degradedByUs.delete(cluster);
      else degradedByUs.add(cluster);
    },
    quotaUsage: async (cluster, ns, hard, used) => term.fenced((tx) => store.recordQuotaUsage(tx, cluster, ns, hard, used, new Date())),
    swept: async (cluster) => term.fenced((tx) => store.dropClusterRemoval(tx, cluster)),
  };
}

/** The clusters an event concerns: a tenant's allowed clusters and those holding its namespaces; every cluster for a cluster event or a removed tenant. */
async function clustersOf(db: Database, e: OutboxEvent): Promise<readonly string[] | undefined> {
  if (e.topic !== TENANT_TOPIC) return undefined;
  const tenant = await store.findTenant(db.kysely, e.key);
  if (tenant === undefined) return undefined;
  const placed = (await store.tenantNamespaces(db.kysely, e.key)).map((n) => n.cluster);
  return [...new Set([...tenant.clusters, ...placed])];
}

/** What the tenancy leader task needs. */
export interface TenancyWorkDeps {
  readonly db: Database;
  readonly connections: ClusterConnections;
  readonly service: TenancyService;
  readonly logger: Logger;
  /** Berth's admission webhooks, registered in every member cluster; none when absent. */
  readonly webhooks?: WebhookEndpoint;
  /** How often every cluster is probed (reachability, version, nodes); default 30 s. */
  readonly probeEveryMs?: number;
  /** How often the outbox is polled when idle; default 200 ms. */
  readonly pollMs?: number;
}

/** Runs the reconciler, its outbox consumer and the cluster probe for one leader term; resolves when the term ends. */
export async function runTenancyWork(deps: TenancyWorkDeps, term: Term): Promise<void> {
  const logger = deps.logger.child({ component: 'reconciler' });
  const reconciler = new Reconciler({ source: storeSource(deps.db, deps.connections, deps.webhooks), sink: storeSink(term), logger });
  const consumer = new OutboxConsumer(deps.db, { name: 'tenancy-reconciler', topics: [CLUSTER_TOPIC, TENANT_TOPIC] });
  const wake = async (e: OutboxEvent): Promise<void> => {
    const clusters = await clustersOf(deps.db, e);
    logger.debug({ topic: e.topic, key: e.key, clusters }, 'outbox event: pass queued');
    if (clusters === undefined) reconciler.notify();
    else for (const c of clusters) reconciler.notify(c);
  };
  const probe = async (): Promise<void> => {
    while (!term.signal.aborted) {
      await deps.service.probeClusters(term.signal).catch((err: unknown) => {
        if (!term.signal.aborted) deps.logger.warn({ err }, 'cluster probe failed');
      });
      await sleep(deps.probeEveryMs ?? 30_000, undefined, { signal: term.signal }).catch(() => undefined);
    }
  };
  await Promise.all([
    reconciler.run(term.signal),
    runConsumer(consumer, wake, { signal: term.signal, pollMs: deps.pollMs ?? 200, onError: (err) => logger.warn({ err }, 'outbox claim failed') }),
    probe(),
  ]);
}
