// The tenancy area's entry into the server: its migrations, and its routes under /api/v1 over
// one ClusterConnections and one TenancyService per server. Background work (the periodic probe,
// the reconciler) is wired by the lead into `run` through `tenancyParts`.
import type { AreaModule, PlatformDeps } from '../platform/area.ts';
import { ClusterConnections } from './connections.ts';
import { tenancyMigrations } from './migrations.ts';
import { tenancyRoutes } from './routes.ts';
import { TenancyService, grantRolesOfNewUser } from './service.ts';

/** What one server's tenancy area is made of. */
export interface TenancyParts {
  readonly connections: ClusterConnections;
  readonly service: TenancyService;
}

/**
 * Builds the tenancy area. `parts(deps)` gives the connections and service of the server that
 * `deps` belongs to (made on first use), so register() and run() of one server share them and
 * two servers in one process share nothing.
 */
export function createTenancyArea(): AreaModule & { parts(deps: PlatformDeps): TenancyParts } {
  const byServer = new WeakMap<PlatformDeps, TenancyParts>();
  const parts = (deps: PlatformDeps): TenancyParts => {
    let p = byServer.get(deps);
    if (!p) {
      const connections = new ClusterConnections({ db: deps.db, secretKey: deps.secretKey });
      p = { connections, service: new TenancyService({ db: deps.db, audit: deps.audit, connections, logger: deps.logger.child({ area: 'tenancy' }) }) };
      byServer.set(deps, p);
    }
    return p;
  };
  return {
    name: 'tenancy',
    migrations: tenancyMigrations,
    parts,
    async register(app, deps) {
      const { connections, service } = parts(deps);
      app.addHook('onClose', async () => connections.close());
      deps.identity.onUserCreated((tx, user) => grantRolesOfNewUser(tx, user, new Date()));
      await app.register(async (api) => tenancyRoutes(api, service), { prefix: '/api/v1' });
    },
  };
}

/** Clusters, tenants and namespaces: /api/v1/clusters, /api/v1/tenants, /api/v1/tenants/{tenant}/namespaces. */
export const tenancyArea = createTenancyArea();
