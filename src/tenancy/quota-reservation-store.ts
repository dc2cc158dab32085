// Persistence of the tenant quota's reservations (table in quota-reservation-migrations.ts).
// Every function takes a Kysely handle or a transaction; the service decides, this file only
// reads and writes.
import { sql } from 'kysely';
import type { Dialect, Queryable } from '../platform/db/database.ts';
import type { PlatformTables } from '../platform/db/schema.ts';

/** A row of `tenancy_quota_reservations`. */
export type QuotaReservationsTable = {
  id: string;
  tenant: string;
  cluster: string;
  namespace: string;
  kind: string;
  name: string;
  uid: string;
  base_version: string;
  resources: string;
  created_at: string;
  expires_at: string;
};

/** The reservation table, for `withTables`. */
export type QuotaReservationTables = { tenancy_quota_reservations: QuotaReservationsTable };

/** A reservation: what one admitted request adds to its tenant's usage until the watchers see it. */
export interface QuotaReservation {
  readonly id: string;
  readonly tenant: string;
  readonly cluster: string;
  readonly namespace: string;
  /** The group-resource, e.g. `pods`. */
  readonly kind: string;
  /** The object's name ('' when the request carried none). */
  readonly name: string;
  /** The object's uid ('' when the request carried none). */
  readonly uid: string;
  /** For an update, the replaced object's resourceVersion; '' for a create. */
  readonly baseVersion: string;
  /** Hard resource name → quantity string (ResourceQuota notation). */
  readonly resources: Readonly<Record<string, string>>;
  readonly createdAt: string;
  readonly expiresAt: string;
}

type Db = Queryable<QuotaReservationTables>;

function table(q: Queryable<PlatformTables>): Db {
  return (q as Queryable<PlatformTables>).withTables<QuotaReservationTables>() as unknown as Db;
}

/**
 * Serializes quota decisions of `tenant` for the rest of `tx` (PostgreSQL; SQLite has one writer
 * already): each decision then reads the reservations the one before it wrote, so two clusters
 * admitting at the same moment cannot both take the last unit.
 */
export async function lockTenantQuota(tx: Queryable<PlatformTables>, dialect: Dialect, tenant: string): Promise<void> {
  if (dialect === 'postgres') await sql`select pg_advisory_xact_lock(4242260, hashtext(${tenant}))`.execute(tx);
}

/** The reservations of `tenant` that have not expired at `now`, oldest first. */
export async function outstandingReservations(q: Queryable<PlatformTables>, tenant: string, now: Date): Promise<QuotaReservation[]> {
  const rows = await table(q).selectFrom('tenancy_quota_reservations').selectAll()
    .where('tenant', '=', tenant).where('expires_at', '>', now.toISOString()).orderBy('created_at').execute();
  return rows.map(reservationOf);
}

// SQLite binds at most 32766 parameters a statement; 11 columns × 1000 rows stays well below.
const insertBatch = 1000;

/** Inserts reservations (none: nothing). */
export async function insertReservations(tx: Queryable<PlatformTables>, reservations: readonly QuotaReservation[]): Promise<void> {
  const rows = reservations.map((r): QuotaReservationsTable => ({
    id: r.id, tenant: r.tenant, cluster: r.cluster, namespace: r.namespace, kind: r.kind, name: r.name, uid: r.uid,
    base_version: r.baseVersion, resources: JSON.stringify(r.resources), created_at: r.createdAt, expires_at: r.expiresAt,
  }));
  for (let k = 0; k < rows.length; k += insertBatch) {
    await table(tx).insertInto('tenancy_quota_reservations').values(rows.slice(k, k + insertBatch)).execute();
  }
}

/** Deletes the reservations with these ids; returns how many there were. */
export async function deleteReservations(q: Queryable<PlatformTables>, ids: readonly string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const r = await table(q).deleteFrom('tenancy_quota_reservations').where('id', 'in', ids).executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** The reservations taken for the object `kind` `namespace/name` of `cluster`. */
export async function reservationsFor(q: Queryable<PlatformTables>, cluster: string, namespace: string, kind: string, name: string): Promise<QuotaReservation[]> {
  const rows = await table(q).selectFrom('tenancy_quota_reservations').selectAll()
    .where('cluster', '=', cluster).where('namespace', '=', namespace).where('kind', '=', kind).where('name', '=', name).execute();
  return rows.map(reservationOf);
}

/** Deletes every reservation that expired at or before `now`; returns how many. */
export async function deleteExpiredReservations(q: Queryable<PlatformTables>, now: Date): Promise<number> {
  const r = await table(q).deleteFrom('tenancy_quota_reservations').where('expires_at', '<=', now.toISOString()).executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** Every reservation of `tenant`, expired or not, oldest first (status and tests). */
export async function listReservations(q: Queryable<PlatformTables>, tenant: string): Promise<QuotaReservation[]> {
  const rows = await table(q).selectFrom('tenancy_quota_reservations').selectAll().where('tenant', '=', tenant).orderBy('created_at').execute();
  return rows.map(reservationOf);
}

function reservationOf(r: QuotaReservationsTable): QuotaReservation {
  return {
    id: r.id, tenant: r.tenant, cluster: r.cluster, namespace: r.namespace, kind: r.kind, name: r.name, uid: r.uid,
    baseVersion: r.base_version, resources: JSON.parse(r.resources) as Record<string, string>, createdAt: r.created_at, expiresAt: r.expires_at,
  };
}
