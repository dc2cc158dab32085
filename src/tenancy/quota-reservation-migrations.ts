// The tenant quota's reservations: what admission let through and the watchers have not seen yet.
// The table is the truth shared by every replica; rows are short-lived (seconds).
import type { Kysely } from 'kysely';
import type { Migration } from '../platform/db/migrations.ts';

/** The tenant-quota reservation migrations (band 0260 of tenancy). */
export const quotaReservationMigrations: readonly Migration[] = [
  {
    name: 'tenancy-0260-quota-reservations',
    async up(db: Kysely<unknown>) {
      await db.schema.createTable('tenancy_quota_reservations')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('cluster', 'text', (c) => c.notNull())
        .addColumn('namespace', 'text', (c) => c.notNull())
        // The group-resource (`pods`, `services`, `persistentvolumeclaims`).
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('uid', 'text', (c) => c.notNull())
        // For an update, the resourceVersion of the object it replaces ('' for a create): the
        // watchers count the update only once they hold another version.
        .addColumn('base_version', 'text', (c) => c.notNull())
        // JSON map of hard resource name → quantity string.
        .addColumn('resources', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('tenancy_quota_reservations_tenant').on('tenancy_quota_reservations').columns(['tenant', 'expires_at']).execute();
      await db.schema.createIndex('tenancy_quota_reservations_object').on('tenancy_quota_reservations')
        .columns(['cluster', 'namespace', 'kind', 'name']).execute();
      await db.schema.createIndex('tenancy_quota_reservations_expiry').on('tenancy_quota_reservations').column('expires_at').execute();
    },
  },
];
