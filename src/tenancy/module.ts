// The tenancy area's entry into the server: its migrations, its routes under /api/v1 (clusters,
// tenants, namespaces, and each cluster's NodePort map) over one ClusterConnections, one
// TenancyService and one NodePortService per server, and its leader work: the reconciler, fed by
// the store and woken by the outbox, and the periodic cluster probe (leader-controller.ts).
import { defaultNodePortRange } from '../compute/index.ts';
import type { AreaInstance, AreaModule, PlatformDeps } from '../platform/area.ts';
import { runTenancyWork } from './leader-controller.ts';
import { ClusterConnections } from './connections.ts';
import { tenancyMigrations } from './migrations.ts';
import { portMigrations } from './port-migrations.ts';
import { nodePortRoutes } from './port-routes.ts';
import { nodePortAdmission } from './admission-service.ts';
import { NodePortService, type ClusterPortInfo, type TenantPortInfo } from './port-service.ts';
import { TenantQuota } from './quota-admission-controller.ts';
import { quotaReservationMigrations } from './quota-reservation-migrations.ts';
import { tenancyRoutes } from './routes.ts';
import { runUsedPorts } from './used-ports-controller.ts';
import { TenancyService, grantRolesOfNewUser } from './service.ts';
import * as store from './store.ts';

/** What one server's tenancy area is made of. */
export interface TenancyParts {
  readonly connections: ClusterConnections;
  readonly service: TenancyService;
  readonly nodePorts: NodePortService;
  readonly tenantQuota: TenantQuota;
}

/** How the NodePort map learns about clusters and tenants; by default from the tenancy store. */
export interface PortDirectory {
  clusterInfo(name: string): Promise<ClusterPortInfo | undefined>;
  tenantInfo(name: string): Promise<TenantPortInfo | undefined>;
}

/** Options of {@link createTenancyArea}. */
export interface TenancyAreaOptions {
  /** Replaces the store as the NodePort map's view of clusters and tenants (the NodePort tests fill one directly). */
  readonly portDirectory?: PortDirectory;
  /** How often the leader probes every cluster; default 30 s. */
  readonly probeEveryMs?: number;
  /** How long a NodePort the webhook allocates waits for its Service before it is released; default 60 s (tests shorten it). */
  readonly nodePortPendingMs?: number;
}

function storeDirectory(deps: PlatformDeps): PortDirectory {
  const db = deps.db.kysely;
  return {
    // Clusters do not declare their --service-node-port-range yet: the Kubernetes default holds.
    clusterInfo: async (name) => ((await store.findCluster(db, name)) === undefined ? undefined : { nodePortRange: defaultNodePortRange }),
    async tenantInfo(name) {
      const t = await store.findTenant(db, name);
      if (t === undefined) return undefined;
      return { clusters: t.clusters, namespaces: (await store.tenantNamespaces(db, name)).map((n) => ({ cluster: n.cluster, name: n.name })), quota: t.quota };
    },
  };
}

/** One server's tenancy area: its plugin and background work, and the parts they share (tests reach the services through it). */
export interface TenancyInstance extends AreaInstance {
  readonly parts: TenancyParts;
}

function makeParts(deps: PlatformDeps, options: TenancyAreaOptions): TenancyParts {
  const connections = new ClusterConnections({ db: deps.db, secretKey: deps.secretKey });
  const directory = options.portDirectory ?? storeDirectory(deps);
  return {
    connections,
    service: new TenancyService({ db: deps.db, audit: deps.audit, connections, logger: deps.logger.child({ area: 'tenancy' }) }),
    nodePorts: new NodePortService({
      db: deps.db, audit: deps.audit, clusterInfo: directory.clusterInfo, tenantInfo: directory.tenantInfo, pendingMs: options.nodePortPendingMs,
      clientFor: (name) => connections.clientFor(name),
      tenantNamespaces: async (name) => (await store.clusterNamespaces(deps.db.kysely, name)).map((n) => n.name),
    }),
    tenantQuota: new TenantQuota({ db: deps.db, connections, logger: deps.logger.child({ area: 'tenancy', component: 'tenant-quota' }) }),
  };
}

/** Builds the tenancy area; each server gets its own connections, services and watchers. */
export function createTenancyArea(options: TenancyAreaOptions = {}): AreaModule {
  return {
    name: 'tenancy',
    migrations: [...tenancyMigrations, ...portMigrations, ...quotaReservationMigrations],
    create(deps: PlatformDeps): TenancyInstance {
      const parts = makeParts(deps, options);
      const { connections, service, nodePorts, tenantQuota } = parts;
      deps.identity.onUserCreated((tx, user) => grantRolesOfNewUser(tx, user, new Date()));
      deps.admission.policies.register('tenant-quota', tenantQuota.policy());
      deps.admission.policies.register('nodeports', nodePortAdmission(nodePorts, async (cluster, ns) => (await store.findNamespace(deps.db.kysely, cluster, ns))?.tenant));
      const webhooks = { url: deps.admission.url, caPem: deps.admission.caPem, policies: deps.admission.policies };
      // The reconciler's clients are its own: the service closes a removed cluster's client here
      // (connections.forget), which would cut short the requests of a pass still in flight,
      // and a request cut short may still land after the removed cluster's last sweep.
      const reconcilerConnections = new ClusterConnections({ db: deps.db, secretKey: deps.secretKey });
      const work = { db: deps.db, connections: reconcilerConnections, service, webhooks, logger: deps.logger.child({ area: 'tenancy' }), probeEveryMs: options.probeEveryMs };
      return {
        parts,
        async plugin(app) {
          app.addHook('onClose', async () => {
            connections.close();
            reconcilerConnections.close();
          });
          await app.register(async (api) => {
            await tenancyRoutes(api, service);
            await nodePortRoutes(api, nodePorts);
          }, { prefix: '/api/v1' });
        },
        async run(signal) {
          // Every replica answers the webhooks, so every replica watches usage; the leader reconciles and sweeps expired reservations.
          await Promise.all([
            tenantQuota.run(signal),
            deps.leader.runWhileLeader('tenancy', (term) => runTenancyWork(work, term), signal),
            deps.leader.runWhileLeader('tenant-quota-sweeper', (term) => tenantQuota.admission.runSweeper(term.signal), signal),
            deps.leader.runWhileLeader('tenancy-used-nodeports', (term) => runUsedPorts({ db: deps.db, audit: deps.audit, connections, logger: work.logger }, term), signal),
          ]);
        },
      };
    },
  };
}

/** The tenancy instance of a running server (its services, for tools and tests). */
export function tenancyOf(instances: ReadonlyMap<string, AreaInstance>): TenancyInstance {
  const t = instances.get('tenancy');
  if (t === undefined || !('parts' in t)) throw new Error('this server runs no tenancy area');
  return t as TenancyInstance;
}

/** Clusters, tenants, namespaces and NodePort maps, kept true in the clusters by the reconciler. */
export const tenancyArea = createTenancyArea();
