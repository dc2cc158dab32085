// A Berth server whose NodePort map sees clusters and tenants through a directory the test
// fills, instead of the tenancy store (which would need a reachable cluster per name): the
// map's own rules are tested here, its store wiring in test/tenancy/nodeports-live.test.ts.
import { areas } from '../../src/platform/areas.ts';
import { createTenancyArea } from '../../src/tenancy/index.ts';
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
  // The real tenancy area, with its NodePort map looking clusters and tenants up in the directory.
  const tenancy = createTenancyArea({ portDirectory: { clusterInfo: async (n) => directory.clusters.get(n), tenantInfo: async (n) => directory.tenants.get(n) } });
  const s = await startTestServer(backend, {}, { areas: areas.map((a) => (a.name === 'tenancy' ? tenancy : a)) });
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
