// The NodePort map's tables. A port of a cluster is held at most once, by a reservation or an
// allocation: one table with the primary key (cluster, port) makes the database refuse a second
// holder on both backends, however many requests race for it. What live Services use is another
// table, replaced wholesale by the watchers: it may disagree with the first (a conflict the map
// shows), so it cannot share its key.
import type { Kysely } from 'kysely';
import type { Migration } from '../platform/db/migrations.ts';

/** The NodePort map's migrations (band 0250 of tenancy). */
export const portMigrations: readonly Migration[] = [
  {
    name: 'tenancy-0250-nodeports',
    async up(db: Kysely<unknown>) {
      await db.schema.createTable('tenancy_nodeports')
        .addColumn('cluster', 'text', (c) => c.notNull())
        .addColumn('port', 'integer', (c) => c.notNull())
        // 'reserved' (a legacy business port) or 'allocated' (to a tenant)
        .addColumn('kind', 'text', (c) => c.notNull())
        // A reservation's span, the same on each of its rows; an allocation's is its port.
        .addColumn('span_from', 'integer', (c) => c.notNull())
        .addColumn('span_to', 'integer', (c) => c.notNull())
        .addColumn('owner', 'text', (c) => c.notNull())
        .addColumn('note', 'text', (c) => c.notNull())
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('service', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('tenancy_nodeports_pk', ['cluster', 'port'])
        .execute();
      await db.schema.createIndex('tenancy_nodeports_span').on('tenancy_nodeports').columns(['cluster', 'kind', 'span_from']).execute();
      await db.schema.createIndex('tenancy_nodeports_tenant').on('tenancy_nodeports').columns(['tenant', 'cluster']).execute();
      await db.schema.createTable('tenancy_nodeport_usage')
        .addColumn('cluster', 'text', (c) => c.notNull())
        .addColumn('port', 'integer', (c) => c.notNull())
        .addColumn('namespace', 'text', (c) => c.notNull())
        .addColumn('service', 'text', (c) => c.notNull())
        .addColumn('observed_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('tenancy_nodeport_usage_pk', ['cluster', 'port'])
        .execute();
    },
  },
  {
    // How an allocation was made, so that the ones the `nodeports` webhook takes follow their
    // Service: 'api' (held until released) or 'admission'. An admission allocation is pending
    // while `expires_at` is set (its Service has not been seen yet) and bound once it is null.
    // `generate_name` marks a pending one whose `service` is `namespace/generateName-prefix`.
    // SQLite adds one column per statement.
    name: 'tenancy-0251-nodeport-lifecycle',
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('tenancy_nodeports').addColumn('origin', 'text', (c) => c.notNull().defaultTo('api')).execute();
      await db.schema.alterTable('tenancy_nodeports').addColumn('expires_at', 'text').execute();
      await db.schema.alterTable('tenancy_nodeports').addColumn('generate_name', 'integer', (c) => c.notNull().defaultTo(0)).execute();
      await db.schema.createIndex('tenancy_nodeports_origin').on('tenancy_nodeports').columns(['cluster', 'origin']).execute();
    },
  },
];
