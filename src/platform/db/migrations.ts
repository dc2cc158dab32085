// One set of migrations serves both backends. Each area contributes an ordered list; the
// composition root concatenates them. Names sort in application order: `<NNNN>-<area>-<what>`.
import { Migrator, sql, type Kysely, type Migration as KyselyMigration } from 'kysely';
import type { Dialect } from './database.ts';

/** A schema change. `up` receives the dialect so that it can choose column types. */
export interface Migration {
  readonly name: string;
  up(db: Kysely<unknown>, dialect: Dialect): Promise<void>;
}

/** Column type for an auto-incrementing integer primary key on each backend. */
export function serialType(dialect: Dialect): 'integer' | 'bigserial' {
  return dialect === 'postgres' ? 'bigserial' : 'integer';
}

/** Column type for a 64-bit integer (sizes, counts). */
export function bigintType(dialect: Dialect): 'integer' | 'bigint' {
  return dialect === 'postgres' ? 'bigint' : 'integer';
}

/** The platform's own migrations. */
export const platformMigrations: readonly Migration[] = [
  {
    name: '0001-platform-init',
    async up(db, dialect) {
      await db.schema.createTable('users')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('email', 'text')
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('platform_roles', 'text', (c) => c.notNull())
        .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('resource_version', 'integer', (c) => c.notNull())
        .execute();
      await db.schema.createTable('tokens')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_name', 'text', (c) => c.notNull().references('users.name').onDelete('cascade'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('last_used_at', 'text')
        .addColumn('revoked_at', 'text')
        .execute();
      await db.schema.createIndex('tokens_user').on('tokens').columns(['user_name', 'kind']).execute();
      await db.schema.createTable('role_bindings')
        .addColumn('user_name', 'text', (c) => c.notNull().references('users.name').onDelete('cascade'))
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('role_bindings_pk', ['user_name', 'tenant', 'role'])
        .execute();
      await db.schema.createTable('audit_log')
        .addColumn('seq', 'integer', (c) => c.primaryKey())
        .addColumn('time', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('source_ip', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('resource', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('code', 'integer', (c) => c.notNull())
        .addColumn('request_id', 'text', (c) => c.notNull())
        .addColumn('detail', 'text', (c) => c.notNull())
        .addColumn('prev_hash', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .execute();
      for (const col of ['time', 'actor', 'tenant', 'resource', 'action'] as const) {
        await db.schema.createIndex(`audit_log_${col}`).on('audit_log').column(col).execute();
      }
      await db.schema.createTable('audit_head')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createTable('outbox_events')
        .addColumn('id', serialType(dialect), (c) => (dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()))
        .addColumn('topic', 'text', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('outbox_events_topic').on('outbox_events').columns(['topic', 'id']).execute();
      await db.schema.createTable('outbox_deliveries')
        .addColumn('consumer', 'text', (c) => c.notNull())
        .addColumn('event_id', bigintType(dialect), (c) => c.notNull().references('outbox_events.id').onDelete('cascade'))
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('next_attempt_at', 'text', (c) => c.notNull())
        .addColumn('lease_until', 'text')
        .addColumn('last_error', 'text')
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('outbox_deliveries_pk', ['consumer', 'event_id'])
        .execute();
      await db.schema.createTable('outbox_cursors')
        .addColumn('consumer', 'text', (c) => c.primaryKey())
        .addColumn('checkpoint', bigintType(dialect), (c) => c.notNull())
        .execute();
    },
  },
  {
    name: '0002-platform-leader',
    async up(db, dialect) {
      await db.schema.createTable('leader_epoch')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('epoch', bigintType(dialect), (c) => c.notNull())
        .addColumn('holder', 'text', (c) => c.notNull())
        .addColumn('elected_at', 'text', (c) => c.notNull())
        .execute();
      await db.insertInto('leader_epoch' as never).values({ id: 1, epoch: 0, holder: '', elected_at: '' } as never).execute();
    },
  },
  {
    // The certificate authorities of tls/store.ts, shared by every replica.
    name: '0003-platform-tls',
    async up(db) {
      await db.schema.createTable('tls_authorities')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('cert_pem', 'text', (c) => c.notNull())
        .addColumn('key_sealed', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
    },
  },
];

/**
 * Applies every migration not yet applied, in name order, each in its own transaction, also
 * when one sorts before migrations already applied (a new migration in an earlier band).
 * Idempotent; safe to call from several replicas at once on PostgreSQL (Kysely takes a lock).
 * Throws with the failing migration's name.
 */
export async function migrate(db: Kysely<unknown>, dialect: Dialect, migrations: readonly Migration[]): Promise<void> {
  const names = new Set<string>();
  for (const m of migrations) {
    if (names.has(m.name)) throw new Error(`duplicate migration name ${m.name}`);
    names.add(m.name);
  }
  const record: Record<string, KyselyMigration> = {};
  for (const m of migrations) record[m.name] = { up: (k) => m.up(k, dialect) };
  // Each area numbers its own band (platform 00xx, registry 01xx …), so a platform migration
  // added later sorts before areas' migrations already applied; bands do not depend on each other.
  const migrator = new Migrator({ db, provider: { getMigrations: async () => record }, allowUnorderedMigrations: true });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(`migration ${failed?.migrationName ?? '?'} failed: ${(error as Error).message}`, { cause: error });
  }
}

/** Names of the migrations recorded as applied; /readyz compares them with the expected list. */
export async function appliedMigrations(db: Kysely<unknown>): Promise<Set<string>> {
  const rows = await sql<{ name: string }>`select name from kysely_migration`.execute(db);
  return new Set(rows.rows.map((r) => r.name));
}
