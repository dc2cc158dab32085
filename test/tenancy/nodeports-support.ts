// A Berth server that serves the NodePort map. Clusters and tenants are another area's tables,
// not wired into this branch: the server gets the NodePort service's two look-ups as real
// functions over a directory the test fills (what the lead wires to the tenancy store).
import type { AreaModule } from '../../src/platform/area.ts';
import { areas } from '../../src/platform/areas.ts';
import { NodePortService, nodePortRoutes, portMigrations } from '../../src/tenancy/index.ts';
import type { ClusterPortInfo, TenantPortInfo } from '../../src/tenancy/index.ts';
import type { Backend } from '../support/pg.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

/** Clusters and tenants the NodePort service sees; the test adds to them at will. */
export interface Directory {
  readonly clusters: Map<string, ClusterPortInfo>;
  readonly tenants: Map<string, TenantPortInfo>;
}

/** A test server with the NodePort routes, its directory and the admin's token. */
export interface PortsServer extends TestServer {
  readonly directory: Directory;
  readonly adminToken: string;
  /** Creates a user (role `user`) bound to `role` in `tenant`, and returns its session token. */
  tenantUser(name: string, tenant: string, role: 'tenant-viewer' | 'tenant-member' | 'tenant-admin'): Promise<string>;
}

/** Starts a server on `backend` whose areas include the NodePort map over a fresh directory. */
export async function startPortsServer(backend: Backend): Promise<PortsServer> {
  const directory: Directory = { clusters: new Map(), tenants: new Map() };
  const nodePorts: AreaModule = {
    name: 'tenancy-nodeports',
    migrations: portMigrations,
    async register(app, deps) {
      const service = new NodePortService({
        db: deps.db, audit: deps.audit,
        clusterInfo: async (name) => directory.clusters.get(name),
        tenantInfo: async (name) => directory.tenants.get(name),
      });
      await app.register(async (api) => nodePortRoutes(api, service), { prefix: '/api/v1' });
    },
  };
  const s = await startTestServer(backend, {}, { areas: [...areas, nodePorts] });
  const adminToken = await s.login();
  return {
    ...s, directory, adminToken,
    async tenantUser(name, tenant, role) {
      const r = await s.api('POST', '/api/v1/users', { token: adminToken, body: { name, password: 'password-123' } });
      if (r.status !== 201) throw new Error(`create user ${name}: ${r.status} ${JSON.stringify(r.body)}`);
      await s.server.deps.db.kysely.insertInto('role_bindings').values({ user_name: name, tenant, role, created_at: new Date().toISOString() }).execute();
      return s.login(name, 'password-123');
    },
  };
}
