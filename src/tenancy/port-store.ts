// Persistence of the NodePort map (tables in port-migrations.ts). Every function takes a
// Kysely handle or a transaction; the service decides, this file only reads and writes.
import { sql } from 'kysely';
import type { Dialect, Queryable } from '../platform/db/database.ts';
import type { PlatformTables } from '../platform/db/schema.ts';
import type { PortSpan, ReservationSpec, UsedPort } from './ports.ts';

/** A row of `tenancy_nodeports`: one port held by a reservation or an allocation. */
export type NodePortsTable = {
  cluster: string;
  port: number;
  kind: 'reserved' | 'allocated';
  span_from: number;
  span_to: number;
  owner: string;
  note: string;
  tenant: string;
  service: string;
  created_at: string;
  created_by: string;
  /** How an allocation was made: 'api' (held until released) or 'admission' (follows its Service). */
  origin: AllocationOrigin;
  /** A pending admission allocation's deadline; null once bound, and for API allocations and reservations. */
  expires_at: string | null;
  /** 1 when a pending admission allocation's `service` is `namespace/generateName-prefix`. */
  generate_name: number;
};

/** How an allocation was made: through the API, or by the `nodeports` webhook for a Service it admitted. */
export type AllocationOrigin = 'api' | 'admission';

/** A row of `tenancy_nodeport_usage`: a port a live Service uses. */
export type NodePortUsageTable = {
  cluster: string;
  port: number;
  namespace: string;
  service: string;
  observed_at: string;
};

/** The NodePort map's tables, for `withTables`. */
export type NodePortTables = {
  tenancy_nodeports: NodePortsTable;
  tenancy_nodeport_usage: NodePortUsageTable;
};

type Db = Queryable<NodePortTables>;

function ports(q: Queryable<PlatformTables> | Db): Db {
  return (q as Queryable<PlatformTables>).withTables<NodePortTables>() as unknown as Db;
}

/** A reservation as stored: its span and the first row's fields. */
export interface StoredReservation extends ReservationSpec {
  readonly createdAt: string;
  readonly createdBy: string;
}

/** An allocation as stored. */
export interface StoredAllocation {
  readonly port: number;
  readonly tenant: string;
  /** `namespace/name` (`namespace/prefix` when `generateName`), or `''` when the allocation names no Service. */
  readonly service: string;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly origin: AllocationOrigin;
  /** Set while an admission allocation waits for its Service to show up. */
  readonly expiresAt?: string;
  /** True when `service` holds the Service's generateName prefix, its final name not yet known. */
  readonly generateName: boolean;
}

/** A port a live Service uses, with when the watchers last saw it. */
export interface StoredUsage extends UsedPort {
  readonly observedAt: string;
}

/** Everything the map of one cluster holds. */
export interface ClusterPorts {
  readonly reservations: readonly StoredReservation[];
  readonly allocations: readonly StoredAllocation[];
  readonly used: readonly StoredUsage[];
}

/** Who holds a port of a cluster, if anyone. */
export type PortHolder =
  | { readonly kind: 'reserved'; readonly reservation: StoredReservation }
  | { readonly kind: 'allocated'; readonly allocation: StoredAllocation };

// SQLite binds at most 32766 parameters a statement; 11 columns × 1000 rows stays well below.
const insertBatch = 1000;

/**
 * Takes the lock on `cluster`'s ports for the rest of `tx` (PostgreSQL; SQLite has one writer
 * already). The primary key alone keeps a port from being held twice, but concurrent requests
 * choosing from the same few free ports would keep colliding: with the lock each reads what the
 * one before it wrote.
 */
export async function lockClusterPorts(tx: Queryable<PlatformTables>, dialect: Dialect, cluster: string): Promise<void> {
  if (dialect === 'postgres') await sql`select pg_advisory_xact_lock(4242250, hashtext(${cluster}))`.execute(tx);
}

/** Reservations of `cluster` whose span starts after `after`, ascending, at most `limit`. */
export async function listReservations(q: Queryable<PlatformTables>, cluster: string, limit: number, after?: number): Promise<StoredReservation[]> {
  let query = ports(q).selectFrom('tenancy_nodeports').selectAll()
    .where('cluster', '=', cluster).where('kind', '=', 'reserved').whereRef('port', '=', 'span_from');
  if (after !== undefined) query = query.where('span_from', '>', after);
  const rows = await query.orderBy('span_from').limit(limit).execute();
  return rows.map(reservationOf);
}

/** Allocations of `cluster` (of `tenant` only, when given) above port `after`, ascending, at most `limit`. */
export async function listAllocations(q: Queryable<PlatformTables>, cluster: string, limit: number, opts: { tenant?: string; after?: number } = {}): Promise<StoredAllocation[]> {
  let query = ports(q).selectFrom('tenancy_nodeports').selectAll().where('cluster', '=', cluster).where('kind', '=', 'allocated');
  if (opts.tenant !== undefined) query = query.where('tenant', '=', opts.tenant);
  if (opts.after !== undefined) query = query.where('port', '>', opts.after);
  const rows = await query.orderBy('port').limit(limit).execute();
  return rows.map(allocationOf);
}

/** The whole map of `cluster`: reservations (one entry per span), allocations and used ports, each ascending. */
export async function loadClusterPorts(q: Queryable<PlatformTables>, cluster: string): Promise<ClusterPorts> {
  const db = ports(q);
  // A reservation's first row stands for all of its rows: a large reserved range costs one row here.
  const held = await db.selectFrom('tenancy_nodeports').selectAll().where('cluster', '=', cluster)
    .where((w) => w.or([w('kind', '=', 'allocated'), w('port', '=', w.ref('span_from'))])).orderBy('port').execute();
  const used = await db.selectFrom('tenancy_nodeport_usage').selectAll().where('cluster', '=', cluster).orderBy('port').execute();
  return {
    reservations: held.filter((r) => r.kind === 'reserved').map(reservationOf),
    allocations: held.filter((r) => r.kind === 'allocated').map(allocationOf),
    used: used.map((u) => ({ port: u.port, namespace: u.namespace, service: u.service, observedAt: u.observed_at })),
  };
}

/** The holder of the first held port of `span` in `cluster`, if any port of it is held. */
export async function holderIn(q: Queryable<PlatformTables>, cluster: string, span: PortSpan): Promise<PortHolder | undefined> {
  const row = await ports(q).selectFrom('tenancy_nodeports').selectAll()
    .where('cluster', '=', cluster).where('port', '>=', span.from).where('port', '<=', span.to)
    .orderBy('port').limit(1).executeTakeFirst();
  if (!row) return undefined;
  return row.kind === 'reserved' ? { kind: 'reserved', reservation: reservationOf(row) } : { kind: 'allocated', allocation: allocationOf(row) };
}

/** The first port of `span` in `cluster` that a live Service uses, if any. */
export async function usageIn(q: Queryable<PlatformTables>, cluster: string, span: PortSpan): Promise<StoredUsage | undefined> {
  const u = await ports(q).selectFrom('tenancy_nodeport_usage').selectAll()
    .where('cluster', '=', cluster).where('port', '>=', span.from).where('port', '<=', span.to)
    .orderBy('port').limit(1).executeTakeFirst();
  return u && { port: u.port, namespace: u.namespace, service: u.service, observedAt: u.observed_at };
}

/**
 * Inserts one row per port of each reservation. A port already held makes the statement fail
 * with a unique violation (the caller's transaction then rolls back, nothing written).
 */
export async function insertReservations(tx: Queryable<PlatformTables>, cluster: string, specs: readonly ReservationSpec[], by: string, now: Date): Promise<void> {
  const rows: NodePortsTable[] = [];
  for (const s of specs) {
    for (let port = s.from; port <= s.to; port++) {
      rows.push({
        cluster, port, kind: 'reserved', span_from: s.from, span_to: s.to, owner: s.owner, note: s.note,
        tenant: '', service: '', created_at: now.toISOString(), created_by: by, origin: 'api', expires_at: null, generate_name: 0,
      });
    }
  }
  for (let k = 0; k < rows.length; k += insertBatch) {
    await ports(tx).insertInto('tenancy_nodeports').values(rows.slice(k, k + insertBatch)).execute();
  }
}

/** How an admission allocation is made: pending until `expiresAt`, for a Service named or generated from a prefix. */
export interface PendingAllocation {
  readonly expiresAt: Date;
  readonly generateName: boolean;
}

/**
 * Inserts an allocation of `port`; a unique violation when the port is already held. With
 * `pending` it is an admission allocation waiting for its Service; without, an API one.
 */
export async function insertAllocation(
  tx: Queryable<PlatformTables>, cluster: string, port: number, tenant: string, service: string, by: string, now: Date, pending?: PendingAllocation,
): Promise<StoredAllocation> {
  const row: NodePortsTable = {
    cluster, port, kind: 'allocated', span_from: port, span_to: port, owner: tenant, note: '',
    tenant, service, created_at: now.toISOString(), created_by: by,
    origin: pending ? 'admission' : 'api', expires_at: pending ? pending.expiresAt.toISOString() : null, generate_name: pending?.generateName ? 1 : 0,
  };
  await ports(tx).insertInto('tenancy_nodeports').values(row).execute();
  return allocationOf(row);
}

/** Deletes the reservation spanning exactly `span`; returns whether there was one. */
export async function deleteReservation(tx: Queryable<PlatformTables>, cluster: string, span: PortSpan): Promise<boolean> {
  const r = await ports(tx).deleteFrom('tenancy_nodeports')
    .where('cluster', '=', cluster).where('kind', '=', 'reserved').where('span_from', '=', span.from).where('span_to', '=', span.to)
    .executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** The allocation of `port` in `cluster`, if it is allocated. */
export async function getAllocation(q: Queryable<PlatformTables>, cluster: string, port: number): Promise<StoredAllocation | undefined> {
  const row = await ports(q).selectFrom('tenancy_nodeports').selectAll()
    .where('cluster', '=', cluster).where('port', '=', port).where('kind', '=', 'allocated').executeTakeFirst();
  return row && allocationOf(row);
}

/** Deletes the allocation of `port` held by `tenant`; returns whether there was one. */
export async function deleteAllocation(tx: Queryable<PlatformTables>, cluster: string, port: number, tenant: string): Promise<boolean> {
  const r = await ports(tx).deleteFrom('tenancy_nodeports')
    .where('cluster', '=', cluster).where('port', '=', port).where('kind', '=', 'allocated').where('tenant', '=', tenant)
    .executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/**
 * Makes the admission allocation of `port` pending again for `service` until `expiresAt` (a
 * Service created again with the port its allocation already holds); returns whether there was one.
 */
export async function renewPendingAllocation(tx: Queryable<PlatformTables>, cluster: string, port: number, service: string, pending: PendingAllocation): Promise<boolean> {
  const r = await ports(tx).updateTable('tenancy_nodeports').set({ expires_at: pending.expiresAt.toISOString(), generate_name: pending.generateName ? 1 : 0, service })
    .where('cluster', '=', cluster).where('port', '=', port).where('kind', '=', 'allocated').where('origin', '=', 'admission')
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** The admission allocations of `cluster`, pending and bound, ascending by port. */
export async function admissionAllocations(q: Queryable<PlatformTables>, cluster: string): Promise<StoredAllocation[]> {
  const rows = await ports(q).selectFrom('tenancy_nodeports').selectAll()
    .where('cluster', '=', cluster).where('kind', '=', 'allocated').where('origin', '=', 'admission').orderBy('port').execute();
  return rows.map(allocationOf);
}

/** Whether `cluster` has a pending admission allocation whose deadline is not after `now`. */
export async function hasExpiredPending(q: Queryable<PlatformTables>, cluster: string, now: Date): Promise<boolean> {
  const row = await ports(q).selectFrom('tenancy_nodeports').select('port')
    .where('cluster', '=', cluster).where('kind', '=', 'allocated').where('origin', '=', 'admission')
    .where('expires_at', '<=', now.toISOString()).limit(1).executeTakeFirst();
  return row !== undefined;
}

/** Binds the admission allocation of `port` to the Service `service` (`namespace/name`) that holds it: no longer pending. */
export async function bindAllocation(tx: Queryable<PlatformTables>, cluster: string, port: number, service: string): Promise<void> {
  await ports(tx).updateTable('tenancy_nodeports').set({ expires_at: null, generate_name: 0, service })
    .where('cluster', '=', cluster).where('port', '=', port).where('kind', '=', 'allocated').where('origin', '=', 'admission')
    .execute();
}

/** Deletes the admission allocation of `port`, whoever's; returns whether there was one. */
export async function deleteAdmissionAllocation(tx: Queryable<PlatformTables>, cluster: string, port: number): Promise<boolean> {
  const r = await ports(tx).deleteFrom('tenancy_nodeports')
    .where('cluster', '=', cluster).where('port', '=', port).where('kind', '=', 'allocated').where('origin', '=', 'admission')
    .executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/**
 * Takes the lock on `tenant`'s NodePort count for the rest of `tx` (PostgreSQL; SQLite has one
 * writer). A tenant's ports span clusters, so the cluster locks alone would let two clusters'
 * allocations both take the tenant's last unit. Take it before any cluster's lock.
 */
export async function lockTenantNodePorts(tx: Queryable<PlatformTables>, dialect: Dialect, tenant: string): Promise<void> {
  if (dialect === 'postgres') await sql`select pg_advisory_xact_lock(4242251, hashtext(${tenant}))`.execute(tx);
}

/** A port of a cluster. */
export interface ClusterPort {
  readonly cluster: string;
  readonly port: number;
}

/**
 * How many NodePorts `tenant` holds, for its `services.nodeports` quota: the distinct
 * (cluster, port) pairs among the ports live Services use in the tenant's namespaces (the used-ports
 * table, every cluster) and the ports allocated to the tenant (pending, bound or held), so a
 * Service and the allocation it holds count once. Pairs in `opts.except` are left out: a caller
 * deciding a request that adds ports counts the tenant without them, then adds them. Reads the
 * database only; call it in the transaction that allocates, after {@link lockTenantNodePorts},
 * for an exact count.
 */
export async function tenantNodePortCount(q: Queryable<PlatformTables>, tenant: string, opts: { readonly except?: readonly ClusterPort[] } = {}): Promise<number> {
  const db = ports(q) as unknown as Queryable<NodePortTables & { tenancy_namespaces: { cluster: string; name: string; tenant: string } }>;
  const used = db.selectFrom('tenancy_nodeport_usage as u')
    .innerJoin('tenancy_namespaces as n', (j) => j.onRef('n.cluster', '=', 'u.cluster').onRef('n.name', '=', 'u.namespace'))
    .select(['u.cluster as cluster', 'u.port as port']).where('n.tenant', '=', tenant);
  const allocated = db.selectFrom('tenancy_nodeports').select(['cluster', 'port']).where('kind', '=', 'allocated').where('tenant', '=', tenant);
  // `union` (not `union all`) removes the pairs a Service and its allocation share.
  const rows = await used.union(allocated).execute();
  const except = new Set((opts.except ?? []).map((p) => `${p.cluster}/${p.port}`));
  return rows.filter((r) => !except.has(`${r.cluster}/${r.port}`)).length;
}

/**
 * Replaces what live Services of `cluster` use with `used` (the watchers' full set after a list
 * or resync). Call it in a transaction (`db.transaction`, or the leader's `term.fenced`) so that
 * readers never see half a set. A port listed twice keeps its first Service (kube-apiserver lets
 * one Service hold a port, on several protocols). Idempotent.
 */
export async function replaceUsedPorts(tx: Queryable<PlatformTables>, cluster: string, used: readonly UsedPort[], now: Date): Promise<void> {
  const byPort = new Map<number, UsedPort>();
  for (const u of used) if (!byPort.has(u.port)) byPort.set(u.port, u);
  const rows: NodePortUsageTable[] = [...byPort.values()].map((u) => ({
    cluster, port: u.port, namespace: u.namespace, service: u.service, observed_at: now.toISOString(),
  }));
  await ports(tx).deleteFrom('tenancy_nodeport_usage').where('cluster', '=', cluster).execute();
  for (let k = 0; k < rows.length; k += insertBatch) {
    await ports(tx).insertInto('tenancy_nodeport_usage').values(rows.slice(k, k + insertBatch)).execute();
  }
}

function reservationOf(r: NodePortsTable): StoredReservation {
  return { from: r.span_from, to: r.span_to, owner: r.owner, note: r.note, createdAt: r.created_at, createdBy: r.created_by };
}

function allocationOf(r: NodePortsTable): StoredAllocation {
  return {
    port: r.port, tenant: r.tenant, service: r.service, createdAt: r.created_at, createdBy: r.created_by,
    origin: r.origin, ...(r.expires_at === null ? {} : { expiresAt: r.expires_at }), generateName: Number(r.generate_name) === 1,
  };
}
