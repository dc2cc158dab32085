// The tenancy area's tables: registered clusters, tenants, their namespaces, and the status of
// each object the reconciler applies. One schema for both backends: JSON documents are text
// columns, flags are integers. Names follow the tenancy band (`tenancy-02xx-…`).
import type { Kysely } from 'kysely';
import type { Migration } from '../platform/db/migrations.ts';

async function createClusters(db: Kysely<unknown>): Promise<void> {
  await db.schema.createTable('tenancy_clusters')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('server', 'text', (c) => c.notNull())
    .addColumn('credentials', 'text', (c) => c.notNull())
    .addColumn('labels', 'text', (c) => c.notNull())
    .addColumn('settings', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('resource_version', 'integer', (c) => c.notNull())
    .execute();
}

async function createTenants(db: Kysely<unknown>): Promise<void> {
  await db.schema.createTable('tenancy_tenants')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('members', 'text', (c) => c.notNull())
    .addColumn('clusters', 'text', (c) => c.notNull())
    .addColumn('quota', 'text', (c) => c.notNull())
    .addColumn('default_limit_range', 'text', (c) => c.notNull())
    .addColumn('node_selector', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('resource_version', 'integer', (c) => c.notNull())
    .execute();
}

async function createNamespaces(db: Kysely<unknown>): Promise<void> {
  // The foreign keys make the database itself refuse a namespace on a cluster or of a tenant
  // that a concurrent change just removed.
  await db.schema.createTable('tenancy_namespaces')
    .addColumn('cluster', 'text', (c) => c.notNull().references('tenancy_clusters.name'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('tenant', 'text', (c) => c.notNull().references('tenancy_tenants.name'))
    .addColumn('quota', 'text', (c) => c.notNull())
    .addColumn('limit_range', 'text')
    .addColumn('adopted', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('resource_version', 'integer', (c) => c.notNull())
    .addColumn('quota_hard', 'text')
    .addColumn('quota_used', 'text')
    .addColumn('usage_at', 'text')
    .addPrimaryKeyConstraint('tenancy_namespaces_pk', ['cluster', 'name'])
    .execute();
  await db.schema.createIndex('tenancy_namespaces_tenant').on('tenancy_namespaces').columns(['tenant', 'cluster', 'name']).execute();
}

async function createObjectStatus(db: Kysely<unknown>): Promise<void> {
  await db.schema.createTable('tenancy_object_status')
    .addColumn('cluster', 'text', (c) => c.notNull())
    .addColumn('namespace', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('tenant', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('tenancy_object_status_pk', ['cluster', 'namespace', 'kind', 'name'])
    .execute();
  await db.schema.createIndex('tenancy_object_status_tenant').on('tenancy_object_status').column('tenant').execute();
}

async function createClusterRemovals(db: Kysely<unknown>): Promise<void> {
  // A cluster removed with force whose last sweep the leader has not finished: its credentials
  // outlive the cluster's row until then.
  await db.schema.createTable('tenancy_cluster_removals')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('credentials', 'text', (c) => c.notNull())
    .addColumn('removed_at', 'text', (c) => c.notNull())
    .execute();
}

/** The tenancy area's migrations, in application order. */
export const tenancyMigrations: readonly Migration[] = [
  {
    name: 'tenancy-0201-clusters-tenants-namespaces',
    async up(db) {
      await createClusters(db);
      await createTenants(db);
      await createNamespaces(db);
      await createObjectStatus(db);
    },
  },
  { name: 'tenancy-0202-cluster-removals', up: createClusterRemovals },
];
