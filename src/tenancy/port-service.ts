// Use cases of a cluster's NodePort map: reserve legacy business ports (one, or an import checked
// whole), allocate ports to tenants, release both, and read the map. Every change goes through
// `change()` (authorization, one transaction, audit, outbox event). A port is never held twice:
// the table's primary key (cluster, port) refuses a second holder on both backends, and a request
// that loses such a race starts over and sees the winner.
import { NodePortError, TENANT_QUOTA_NOUN, formatPortRange, quotaRefusalMessage, type PortRange, type QuotaRefusal, type RandomInt } from '../compute/index.ts';
import type { ClusterClient } from '../kube/index.ts';
import { compareQuantities, newQuantity, parseQuantity } from '../objects/index.ts';
import { actorOf, type RequestContext } from '../platform/context.ts';
import { isUniqueViolation } from '../platform/db/database.ts';
import { BerthError, alreadyExists, conflict, invalid, notFound, quotaExceeded, unauthorized, type Cause } from '../platform/errors.ts';
import { decodeContinue, encodeContinue } from '../platform/http/paging.ts';
import { can } from '../platform/identity/rbac.ts';
import { authorize, change, type ChangeDeps, type ChangeTx } from '../platform/usecase.ts';
import {
  checkReservation, chooseFreePort, formatPortSpan, parsePortSpan, parseReservationImport, parseServiceRef, portStrip,
  type ImportedReservation, type ReservationInput, type ReservationSpec, type StripRun,
} from './ports.ts';
import * as store from './port-store.ts';
import { clusterReservations, serviceOwner, type ListedService } from './cluster-ports.ts';

/** What the NodePort map needs to know about a cluster (from the tenancy store, wired by the area). */
export interface ClusterPortInfo {
  /** The cluster's `--service-node-port-range`. */
  readonly nodePortRange: PortRange;
}

/** What the NodePort map needs to know about a tenant. */
export interface TenantPortInfo {
  /** The clusters the tenant may place namespaces on. */
  readonly clusters: readonly string[];
  /** The tenant's namespaces. */
  readonly namespaces: readonly { readonly cluster: string; readonly name: string }[];
  /** The tenant-wide quota's hard limits by ResourceQuota name; its `services.nodeports` bounds the tenant's NodePorts. */
  readonly quota?: Readonly<Record<string, string>>;
}

/** The NodePort service's dependencies. */
export interface NodePortDeps extends ChangeDeps {
  /** The cluster named `name`, or undefined when Berth does not manage one by that name. */
  readonly clusterInfo: (name: string) => Promise<ClusterPortInfo | undefined>;
  /** The tenant named `name`, or undefined when there is none. */
  readonly tenantInfo: (name: string) => Promise<TenantPortInfo | undefined>;
  /** Random source of the allocator's scan start (tests fix it); defaults to Math.random. */
  readonly random?: RandomInt;
  /** The client of registered cluster `name`, for an import from the cluster; without it such an import is ServiceUnavailable. */
  readonly clientFor?: (name: string) => Promise<ClusterClient>;
  /** The names of the tenant namespaces Berth keeps in cluster `name` (an import from the cluster leaves their ports alone). */
  readonly tenantNamespaces?: (name: string) => Promise<readonly string[]>;
  /** How long an allocation the webhook takes waits for its Service to show up before it is released; default 60 s. */
  readonly pendingMs?: number;
}

/** How long an admission allocation waits for its Service by default. */
export const DEFAULT_NODEPORT_PENDING_MS = 60_000;

/** A reservation of legacy business ports, as the API shows it. */
export interface NodePortReservation {
  readonly cluster: string;
  /** `30080` or `30080-30090`; names the reservation in the API's paths. */
  readonly ports: string;
  readonly from: number;
  readonly to: number;
  readonly owner: string;
  readonly note: string;
  readonly createdAt: string;
  readonly createdBy: string;
}

/**
 * Where an allocation stands: `held` (made through the API, held until released), `pending`
 * (taken by the `nodeports` webhook for a Service not seen yet), `bound` (taken by the webhook,
 * its Service holds the port; released when it no longer does).
 */
export type AllocationState = 'held' | 'pending' | 'bound';

/** A port allocated to a tenant, as the API shows it. */
export interface NodePortAllocation {
  readonly cluster: string;
  readonly port: number;
  readonly tenant: string;
  /** The Service it is for, `namespace/name`, when the request named one (`namespace/prefix` when `generateName`). */
  readonly service?: string;
  /** Present (true) while a pending allocation's Service is known by its generateName prefix only. */
  readonly generateName?: true;
  /** `api` or `admission` (the `nodeports` webhook). */
  readonly origin: store.AllocationOrigin;
  readonly state: AllocationState;
  /** When a pending allocation is released unless its Service shows up. */
  readonly expiresAt?: string;
  readonly createdAt: string;
  readonly createdBy: string;
}

/** A port a live Service uses. */
export interface NodePortUse {
  readonly port: number;
  readonly namespace: string;
  readonly service: string;
  readonly observedAt: string;
}

/** A reserved port that a live Service uses: someone has to resolve it. */
export interface NodePortConflict {
  readonly port: number;
  /** The reservation's ports and owner. */
  readonly ports: string;
  readonly owner: string;
  /** `namespace/name` of the Service. */
  readonly service: string;
}

/** The port map of one cluster. */
export interface NodePortMap {
  readonly cluster: string;
  /** The NodePort range, `base-last`. */
  readonly range: string;
  readonly base: number;
  readonly size: number;
  /** Ports of the range nobody holds or uses. */
  readonly free: number;
  readonly used: readonly NodePortUse[];
  readonly reserved: readonly NodePortReservation[];
  readonly allocated: readonly NodePortAllocation[];
  readonly conflicts: readonly NodePortConflict[];
  /** The whole range as runs of consecutive ports in one state, for the console's strip. */
  readonly strip: readonly StripRun[];
}

/** What an allocation asks for. */
export interface AllocationRequest {
  readonly tenant: string;
  /** `namespace/name` of a Service in one of the tenant's namespaces on the cluster. */
  readonly service?: string;
  /** A specific port; without it Berth chooses one. */
  readonly port?: number;
}

/** What the `nodeports` webhook allocates for one Service it admits. */
export interface ServicePortsRequest {
  readonly tenant: string;
  readonly namespace: string;
  /** The Service's name, or its generateName prefix when `generateName`. */
  readonly name: string;
  readonly generateName: boolean;
  /** Each port of the Service: the nodePort it asks for, or undefined for Berth to choose. */
  readonly ports: readonly (number | undefined)[];
  /**
   * On an update, the node ports the stored Service holds and gives up: the update replaces them,
   * so the quota check does not count them (as the ResourceQuota admission counts an update by
   * its difference), except a port the tenant holds through the API, which it keeps.
   */
  readonly released?: readonly number[];
}

/** The outcome of an import: what it reserved, and how many rows were already reserved exactly so. */
export interface ImportResult {
  readonly cluster: string;
  readonly created: readonly NodePortReservation[];
  readonly unchanged: number;
}

/** One port an import from a cluster covers: the Service using it and whether the import reserved it now. */
export interface ClusterImportedPort {
  readonly port: number;
  /** `namespace/name` of the Service. */
  readonly service: string;
  readonly status: 'created' | 'unchanged';
}

/** The outcome of an import from a live cluster. */
export interface ClusterImportResult extends ImportResult {
  /** Every node port of a Service outside the tenant namespaces, ascending. */
  readonly imported: readonly ClusterImportedPort[];
  /** Node ports of Services in tenant namespaces (Berth's allocations), not reserved. */
  readonly tenantPorts: number;
  /** True when nothing was written: the answer says what the import would do. */
  readonly dryRun: boolean;
}

/** Page size of the live list of a cluster's Services. */
const servicePage = 500;
/** Deadline of each request of that list: an import answers, or says the cluster did not. */
const serviceListTimeoutMs = 15_000;

/** A page of a list. */
export interface Page<T> {
  readonly items: readonly T[];
  readonly continue?: string;
}

/**
 * Attempts of a change that loses the race for a port: writers here take the cluster's lock
 * first and never collide, but a writer that does not (another replica's older code, a
 * direct store call) is refused by the primary key, and the change then starts over.
 */
const maxAttempts = 3;

const topic = 'tenancy.nodeports';

/** The NodePort map's use cases. One per server. */
export class NodePortService {
  readonly #deps: NodePortDeps;

  constructor(deps: NodePortDeps) {
    this.#deps = deps;
  }

  #now(): Date {
    return this.#deps.now?.() ?? new Date();
  }

  /** The NodePort range of `cluster`; NotFound when Berth manages no such cluster. */
  async #range(cluster: string): Promise<PortRange> {
    const info = await this.#deps.clusterInfo(cluster);
    if (!info) throw notFound('Cluster', cluster);
    return info.nodePortRange;
  }

  /**
   * The whole map of `cluster`: range, used, reserved and allocated ports with their owners,
   * conflicts, the free count, and the strip. Needs `nodeports:list` platform-wide; NotFound for
   * an unknown cluster.
   */
  async map(ctx: RequestContext, cluster: string): Promise<NodePortMap> {
    authorize(ctx, 'nodeports:list');
    const range = await this.#range(cluster);
    const held = await store.loadClusterPorts(this.#deps.db.kysely, cluster);
    const conflicts: NodePortConflict[] = [];
    // A port reserved for the very Service that uses it (an import from the cluster) is what the reservation is for: no conflict.
    const reservedForUser = new Set<number>();
    for (const u of held.used) {
      const r = held.reservations.find((x) => x.from <= u.port && u.port <= x.to);
      if (r && r.owner === serviceOwner(u.namespace, u.service)) reservedForUser.add(u.port);
      else if (r) conflicts.push({ port: u.port, ports: formatPortSpan(r), owner: r.owner, service: `${u.namespace}/${u.service}` });
    }
    const strip = portStrip(range, held.reservations, held.allocations.map((a) => a.port), held.used.map((u) => u.port).filter((p) => !reservedForUser.has(p)));
    return {
      cluster, range: formatPortRange(range), base: range.base, size: range.size,
      free: strip.reduce((n, run) => n + (run.state === 'free' ? run.to - run.from + 1 : 0), 0),
      used: held.used, reserved: held.reservations.map((r) => reservationView(cluster, r)),
      allocated: held.allocations.map((a) => allocationView(cluster, a)), conflicts, strip,
    };
  }

  /** Reservations of `cluster`, ascending by port, paged. Needs `nodeports:list` platform-wide. */
  async listReservations(ctx: RequestContext, cluster: string, limit: number, token?: string): Promise<Page<NodePortReservation>> {
    authorize(ctx, 'nodeports:list');
    await this.#range(cluster);
    const rows = await store.listReservations(this.#deps.db.kysely, cluster, limit + 1, decodeContinue(token, 'number'));
    const items = rows.slice(0, limit).map((r) => reservationView(cluster, r));
    return { items, ...(rows.length > limit ? { continue: encodeContinue(items[items.length - 1].from) } : {}) };
  }

  /**
   * Reserves `input.ports` for a legacy business service. Needs `nodeports:create` platform-wide.
   * Invalid (422) for a bad or out-of-range span or owner; AlreadyExists when exactly this
   * reservation exists; Conflict (409) naming the holder when a port is reserved, allocated, or
   * used by a live Service.
   */
  async reserve(ctx: RequestContext, cluster: string, input: ReservationInput): Promise<NodePortReservation> {
    authorize(ctx, 'nodeports:create');
    const range = await this.#range(cluster);
    const spec = checkReservation(input, range);
    if (Array.isArray(spec)) throw invalid('NodePortReservation', String(input.ports ?? ''), spec);
    return (await this.#reserveAll(ctx, cluster, [{ ...spec, at: '' }], 'create')).created[0];
  }

  /**
   * Imports reservations from CSV (`port[-port],owner[,note]`, optional header line) or JSON,
   * all or nothing: Invalid naming lines (CSV) or indexes (JSON) when a row is bad or rows
   * overlap; Conflict naming the row and the holder when a port is taken by someone else. Rows
   * reserved exactly so already are counted as unchanged, so an import can be repeated.
   */
  async importReservations(ctx: RequestContext, cluster: string, format: 'csv' | 'json', data: string): Promise<ImportResult> {
    authorize(ctx, 'nodeports:create');
    const range = await this.#range(cluster);
    const rows = parseReservationImport(format, data, range);
    if (rows.length && !('from' in rows[0])) throw invalid('NodePortImport', cluster, rows as Cause[]);
    return this.#reserveAll(ctx, cluster, rows as ImportedReservation[], 'import');
  }

  /**
   * Reserves, all or nothing, every node port that a Service outside Berth's tenant namespaces of
   * `cluster` uses, as its API server answers a list of Services now (not the watchers' record,
   * which may lag): owner `Service namespace/name`, a note naming the cluster and the time. Needs
   * `nodeports:create` platform-wide. A port reserved so already (same ports and owner) is
   * unchanged; Conflict naming the holder when a port is allocated to a tenant or reserved for
   * another owner; Invalid when a port is outside Berth's range for the cluster;
   * ServiceUnavailable naming the cluster when its API server does not answer the list. With
   * `dryRun` nothing is written (nor audited): the answer says what the import would reserve.
   */
  async importFromCluster(ctx: RequestContext, cluster: string, opts: { readonly dryRun?: boolean } = {}): Promise<ClusterImportResult> {
    authorize(ctx, 'nodeports:create');
    const range = await this.#range(cluster);
    const services = await this.#liveServices(cluster);
    const tenantNamespaces = new Set(await this.#deps.tenantNamespaces?.(cluster) ?? []);
    const plan = clusterReservations(cluster, services, tenantNamespaces, range, this.#now());
    if (Array.isArray(plan)) throw invalid('NodePortImport', cluster, plan);
    let result: ImportResult;
    if (opts.dryRun) {
      const fresh = reservationConflicts(cluster, plan.reservations, await store.loadClusterPorts(this.#deps.db.kysely, cluster), true);
      const now = this.#now().toISOString();
      result = { cluster, created: fresh.map((s) => reservationView(cluster, { ...s, createdAt: now, createdBy: actorOf(ctx) })), unchanged: plan.reservations.length - fresh.length };
    } else {
      result = await this.#reserveAll(ctx, cluster, plan.reservations, 'import');
    }
    const created = new Set(result.created.map((r) => r.from));
    const imported = plan.reservations.map((r) => ({ port: r.from, service: r.service ?? '', status: created.has(r.from) ? 'created' as const : 'unchanged' as const }));
    return { ...result, imported, tenantPorts: plan.tenantPorts, dryRun: opts.dryRun === true };
  }

  async #liveServices(cluster: string): Promise<readonly ListedService[]> {
    const clientFor = this.#deps.clientFor;
    try {
      if (!clientFor) throw new Error('this server has no connections to clusters');
      const client = await clientFor(cluster);
      const list = await client.list({ apiVersion: 'v1', kind: 'Service' }, { limit: servicePage, timeoutMs: serviceListTimeoutMs });
      return list.items as readonly ListedService[];
    } catch (err) {
      // Whatever the API server (or the way to it) said, the caller's request is fine: the cluster is not answering as it must.
      throw new BerthError('ServiceUnavailable', `cannot list the Services of cluster "${cluster}", so nothing was imported: ${(err as Error).message}`, {
        kind: 'Cluster', name: cluster, retryAfter: 5, cause: err,
      });
    }
  }

  async #reserveAll(ctx: RequestContext, cluster: string, specs: readonly ImportedReservation[], action: 'create' | 'import'): Promise<ImportResult> {
    const name = action === 'create' ? `${cluster}/${formatPortSpan(specs[0])}` : cluster;
    for (let attempt = 1; ; attempt++) {
      try {
        return await change(this.#deps, ctx, {
          permission: 'nodeports:create',
          audit: (r: ImportResult) => ({
            action, resource: 'nodeports', name,
            detail: { cluster, kind: 'reserved', ...(action === 'create' ? { owner: specs[0].owner } : { created: r.created.length, unchanged: r.unchanged }) },
          }),
          event: { topic, key: cluster, payload: {} },
        }, async (tx) => {
          await store.lockClusterPorts(tx, this.#deps.db.dialect, cluster);
          const held = await store.loadClusterPorts(tx, cluster);
          const fresh = reservationConflicts(cluster, specs, held, action === 'import');
          const now = this.#now();
          await store.insertReservations(tx, cluster, fresh, actorOf(ctx), now);
          const created = fresh.map((s) => reservationView(cluster, { ...s, createdAt: now.toISOString(), createdBy: actorOf(ctx) }));
          return { cluster, created, unchanged: specs.length - fresh.length };
        });
      } catch (err) {
        if (!isUniqueViolation(err) || attempt >= maxAttempts) throw err;
      }
    }
  }

  /** Deletes the reservation of exactly `ports` (`30080` or `30080-30090`). Needs `nodeports:delete` platform-wide; NotFound when there is none. */
  async deleteReservation(ctx: RequestContext, cluster: string, ports: string): Promise<void> {
    authorize(ctx, 'nodeports:delete');
    await this.#range(cluster);
    const span = parsePortSpan(ports);
    if (typeof span === 'string') throw invalid('NodePortReservation', ports, [{ field: 'ports', reason: 'FieldValueInvalid', message: `Invalid value: "${ports}": ${span}` }]);
    await change(this.#deps, ctx, {
      permission: 'nodeports:delete',
      audit: { action: 'delete', resource: 'nodeports', name: `${cluster}/${ports}`, detail: { cluster, kind: 'reserved' } },
      event: { topic, key: cluster, payload: {} },
    }, async (tx) => {
      if (!(await store.deleteReservation(tx, cluster, span))) throw notFound('NodePortReservation', `${cluster}/${ports}`);
    });
  }

  /**
   * Allocations of `cluster`, ascending by port, paged; of `tenant` only when given. Needs
   * `nodeports:list` in that tenant, or platform-wide without one.
   */
  async listAllocations(ctx: RequestContext, cluster: string, tenant: string | undefined, limit: number, token?: string): Promise<Page<NodePortAllocation>> {
    authorize(ctx, 'nodeports:list', tenant);
    await this.#range(cluster);
    const rows = await store.listAllocations(this.#deps.db.kysely, cluster, limit + 1, { tenant, after: decodeContinue(token, 'number') });
    const items = rows.slice(0, limit).map((a) => allocationView(cluster, a));
    return { items, ...(rows.length > limit ? { continue: encodeContinue(items[items.length - 1].port) } : {}) };
  }

  /**
   * Allocates a port of `cluster` to `req.tenant`: `req.port` when given, else a free one chosen
   * by the compute core's allocator (upper band first), never reserved, allocated or used by a
   * live Service. Needs `nodeports:create` in the tenant. NotFound for an unknown cluster or
   * tenant; Invalid when the tenant may not use the cluster, the Service is not in one of its
   * namespaces there, or the port is outside the range; Conflict naming the owner, tenant or
   * Service holding an explicit port, or when the range has no free port.
   */
  async allocate(ctx: RequestContext, cluster: string, req: AllocationRequest): Promise<NodePortAllocation> {
    authorize(ctx, 'nodeports:create', req.tenant);
    const range = await this.#range(cluster);
    const tenant = await this.#checkTenant(cluster, req);
    if (req.port !== undefined) checkInRange(cluster, range, req.port);
    for (let attempt = 1; ; attempt++) {
      try {
        return await change(this.#deps, ctx, {
          permission: 'nodeports:create', tenant: req.tenant,
          audit: (a: NodePortAllocation) => ({ action: 'create', resource: 'nodeports', name: `${cluster}/${a.port}`, detail: { cluster, kind: 'allocated', service: req.service ?? '' } }),
          event: { topic, key: cluster, payload: {} },
        }, async (tx) => {
          await store.lockTenantNodePorts(tx, this.#deps.db.dialect, req.tenant);
          await store.lockClusterPorts(tx, this.#deps.db.dialect, cluster);
          const port = req.port ?? await this.#freePort(tx, cluster, range);
          if (req.port !== undefined) await explicitPortFree(tx, cluster, req.port, req.service);
          const a = await store.insertAllocation(tx, cluster, port, req.tenant, req.service ?? '', actorOf(ctx), this.#now());
          await checkNodePortQuota(tx, cluster, req.tenant, tenant, [port], req.service === undefined ? { resource: 'nodeports', name: cluster } : serviceObject(req.service));
          return allocationView(cluster, a);
        });
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
        if (attempt >= maxAttempts) throw conflict('NodePort', cluster, `${maxAttempts} concurrent requests took the ports this one chose; try again`);
      }
    }
  }

  /**
   * Allocates the node ports of one Service the `nodeports` webhook admits, all or none, in one
   * transaction, and returns them in the order of `req.ports`. Each allocation is pending
   * until the used-ports watcher sees the Service hold its port (then bound; released when the
   * Service no longer holds it) or released once `pendingMs` has passed without it. A port left
   * undefined is chosen as {@link allocate} chooses; an explicit port must be free, or already
   * allocated to the tenant for this very Service (renewed as pending when the webhook took it)
   * or through the API for no Service. Forbidden when the tenant's `services.nodeports` would be
   * exceeded (not counting the ports `req.released` gives up); otherwise the errors of {@link allocate}.
   */
  async allocateForService(ctx: RequestContext, cluster: string, req: ServicePortsRequest): Promise<readonly number[]> {
    authorize(ctx, 'nodeports:create', req.tenant);
    const range = await this.#range(cluster);
    const service = `${req.namespace}/${req.name}`;
    // A generateName prefix need not be a valid name itself (`web-`): only its namespace is checked, and its characters.
    const tenant = await this.#checkTenant(cluster, { tenant: req.tenant, service: req.generateName ? `${req.namespace}/x` : service });
    if (req.generateName && !/^[a-z][-a-z0-9]{0,57}$/.test(req.name)) {
      throw invalid('NodePortAllocation', cluster, [{ field: 'service', reason: 'FieldValueInvalid', message: `Invalid value: "${req.name.slice(0, 64)}": a generateName prefix of at most 58 lowercase letters, digits and '-', starting with a letter` }]);
    }
    for (const p of req.ports) if (p !== undefined) checkInRange(cluster, range, p);
    const dialect = this.#deps.db.dialect;
    for (let attempt = 1; ; attempt++) {
      try {
        return await change(this.#deps, ctx, {
          permission: 'nodeports:create', tenant: req.tenant,
          audit: (ports: readonly number[]) => ({
            action: 'create', resource: 'nodeports', name: `${cluster}/${ports.join(',')}`,
            detail: { cluster, kind: 'allocated', origin: 'admission', service, ...(req.generateName ? { generateName: true } : {}) },
          }),
          event: { topic, key: cluster, payload: {} },
        }, async (tx) => {
          await store.lockTenantNodePorts(tx, dialect, req.tenant);
          await store.lockClusterPorts(tx, dialect, cluster);
          const now = this.#now();
          const pending = { expiresAt: new Date(now.getTime() + (this.#deps.pendingMs ?? DEFAULT_NODEPORT_PENDING_MS)), generateName: req.generateName };
          const chosen: number[] = [];
          const fresh: number[] = [];
          for (const p of req.ports) {
            if (p !== undefined) {
              const holder = await store.holderIn(tx, cluster, { from: p, to: p });
              if (holder?.kind === 'allocated' && isOwnAllocation(holder.allocation, req.tenant, req.generateName ? undefined : service)) {
                if (holder.allocation.origin === 'admission') await store.renewPendingAllocation(tx, cluster, p, service, pending);
                chosen.push(p);
                continue;
              }
              await explicitPortFree(tx, cluster, p, req.generateName ? undefined : service);
            }
            const port = p ?? await this.#freePort(tx, cluster, range);
            await store.insertAllocation(tx, cluster, port, req.tenant, service, actorOf(ctx), now, pending);
            chosen.push(port);
            fresh.push(port);
          }
          const replaced: number[] = [];
          for (const p of fresh.length > 0 ? req.released ?? [] : []) {
            const holder = await store.holderIn(tx, cluster, { from: p, to: p });
            if (!(holder?.kind === 'allocated' && holder.allocation.origin === 'api')) replaced.push(p);
          }
          await checkNodePortQuota(tx, cluster, req.tenant, tenant, fresh, { resource: 'services', name: req.name }, replaced);
          return chosen;
        });
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
        if (attempt >= maxAttempts) throw conflict('NodePort', cluster, `${maxAttempts} concurrent requests took the ports this one chose; try again`);
      }
    }
  }

  async #checkTenant(cluster: string, req: AllocationRequest): Promise<TenantPortInfo> {
    const tenant = await this.#deps.tenantInfo(req.tenant);
    if (!tenant) throw notFound('Tenant', req.tenant);
    const causes: Cause[] = [];
    if (!tenant.clusters.includes(cluster)) {
      causes.push({ field: 'tenant', reason: 'FieldValueForbidden', message: `Forbidden: tenant "${req.tenant}" may not use cluster "${cluster}"` });
    }
    if (req.service !== undefined) {
      const ref = parseServiceRef(req.service);
      if (typeof ref === 'string') causes.push({ field: 'service', reason: 'FieldValueInvalid', message: `Invalid value: "${req.service}": ${ref}` });
      else if (!tenant.namespaces.some((n) => n.cluster === cluster && n.name === ref.namespace)) {
        causes.push({ field: 'service', reason: 'FieldValueForbidden', message: `Forbidden: namespace "${ref.namespace}" is not a namespace of tenant "${req.tenant}" in cluster "${cluster}"` });
      }
    }
    if (causes.length) throw invalid('NodePortAllocation', cluster, causes);
    return tenant;
  }

  async #freePort(tx: Parameters<typeof store.loadClusterPorts>[0], cluster: string, range: PortRange): Promise<number> {
    const held = await store.loadClusterPorts(tx, cluster);
    try {
      return chooseFreePort(range, held.reservations, [...held.allocations.map((a) => a.port), ...held.used.map((u) => u.port)], this.#deps.random);
    } catch (err) {
      if (!(err instanceof NodePortError)) throw err;
      throw conflict('NodePort', cluster, `no free port in the NodePort range ${formatPortRange(range)}: ${held.allocations.length} allocated, ${held.used.length} used by Services, the rest reserved`);
    }
  }

  /**
   * Releases the allocation of `port`. Needs `nodeports:delete` in the allocation's tenant (or
   * platform-wide); NotFound when the port is not allocated, or allocated in a tenant the
   * caller cannot see.
   */
  async release(ctx: RequestContext, cluster: string, port: number): Promise<void> {
    if (!ctx.principal) throw unauthorized();
    await this.#range(cluster);
    const a = await store.getAllocation(this.#deps.db.kysely, cluster, port);
    const missing = () => notFound('NodePortAllocation', `${cluster}/${port}`);
    if (!a || !can(ctx.principal, 'nodeports:get', a.tenant)) throw missing();
    await change(this.#deps, ctx, {
      permission: 'nodeports:delete', tenant: a.tenant,
      audit: { action: 'delete', resource: 'nodeports', name: `${cluster}/${port}`, detail: { cluster, kind: 'allocated' } },
      event: { topic, key: cluster, payload: {} },
    }, async (tx) => {
      if (!(await store.deleteAllocation(tx, cluster, port, a.tenant))) throw missing();
    });
  }
}

/** Invalid (422, in kube-apiserver's words) unless `port` is in `range`. */
function checkInRange(cluster: string, range: PortRange, port: number): void {
  if (port >= range.base && port <= range.base + range.size - 1) return;
  throw invalid('NodePortAllocation', `${cluster}/${port}`, [{
    field: 'port', reason: 'FieldValueInvalid',
    message: `Invalid value: ${port}: provided port is not in the valid range. The range of valid ports is ${formatPortRange(range)}`,
  }]);
}

/** The object a quota refusal names: `services "web"` for a Service, `nodeports "<cluster>"` for an allocation for none. */
interface RefusedObject { readonly resource: string; readonly name: string }

function serviceObject(ref: string): RefusedObject {
  return { resource: 'services', name: ref.slice(ref.indexOf('/') + 1) };
}

const NODEPORTS_QUOTA = 'services.nodeports';

/**
 * Forbidden, in the ResourceQuota admission's words with the tenant quota's noun, when the
 * `fresh` ports of `cluster` just allocated to `name` push its NodePort count (every cluster:
 * {@link store.tenantNodePortCount}, without the `replaced` ports an update gives up) beyond its
 * `services.nodeports`. Run it in the allocating
 * transaction, under the tenant's lock, so that the refusal rolls the allocations back.
 */
async function checkNodePortQuota(tx: ChangeTx, cluster: string, name: string, tenant: TenantPortInfo, fresh: readonly number[], object: RefusedObject, replaced: readonly number[] = []): Promise<void> {
  const limit = tenant.quota?.[NODEPORTS_QUOTA];
  if (limit === undefined || fresh.length === 0) return;
  const hard = parseQuantity(limit);
  const used = await store.tenantNodePortCount(tx, name, { except: [...fresh, ...replaced].map((port) => ({ cluster, port })) });
  if (compareQuantities(newQuantity(used + fresh.length), hard) <= 0) return;
  const refusal: QuotaRefusal = {
    reason: 'ExceededQuota', quota: name,
    requested: { [NODEPORTS_QUOTA]: newQuantity(fresh.length) }, used: { [NODEPORTS_QUOTA]: newQuantity(used) }, limited: { [NODEPORTS_QUOTA]: hard },
  };
  throw quotaExceeded(`${object.resource} "${object.name}" is forbidden: ${quotaRefusalMessage(refusal, TENANT_QUOTA_NOUN)}`);
}

/**
 * Whether an explicit port of a Service the webhook admits is the tenant's already: allocated
 * for this Service (`service`, unknown for a generated name), or through the API for no Service.
 */
function isOwnAllocation(a: store.StoredAllocation, tenant: string, service: string | undefined): boolean {
  return a.tenant === tenant && (a.service === service || (a.service === '' && a.origin === 'api'));
}

function holderText(h: store.PortHolder): string {
  if (h.kind === 'reserved') {
    const r = h.reservation;
    return `it is reserved for legacy business use, owner "${r.owner}" (reservation ${formatPortSpan(r)}${r.note ? `: ${r.note}` : ''})`;
  }
  const a = h.allocation;
  return `it is allocated to tenant "${a.tenant}"${a.service ? ` for Service "${a.service}"` : ''}`;
}

/** Throws Conflict naming who holds or uses `port`, unless nobody does (or only `service` itself uses it). */
async function explicitPortFree(tx: Parameters<typeof store.holderIn>[0], cluster: string, port: number, service: string | undefined): Promise<void> {
  const span = { from: port, to: port };
  const holder = await store.holderIn(tx, cluster, span);
  if (holder) throw conflict('NodePort', `${cluster}/${port}`, `provided port is already allocated: ${holderText(holder)}`);
  const use = await store.usageIn(tx, cluster, span);
  if (use && `${use.namespace}/${use.service}` !== service) {
    throw conflict('NodePort', `${cluster}/${port}`, `provided port is already allocated: Service "${use.namespace}/${use.service}" uses it`);
  }
}

/**
 * The reservations of `specs` still to write, after checking each against what `held` holds:
 * an identical existing reservation is skipped when `repeatable` (AlreadyExists otherwise); any other holder or live use
 * of one of its ports is a Conflict naming the row, the port and who holds or uses it.
 */
function reservationConflicts(cluster: string, specs: readonly ImportedReservation[], held: store.ClusterPorts, repeatable: boolean): ReservationSpec[] {
  const holders = new Map<number, store.PortHolder>();
  for (const r of held.reservations) for (let p = r.from; p <= r.to; p++) holders.set(p, { kind: 'reserved', reservation: r });
  for (const a of held.allocations) holders.set(a.port, { kind: 'allocated', allocation: a });
  const uses = new Map(held.used.map((u) => [u.port, u]));
  const causes: Cause[] = [];
  const fresh: ReservationSpec[] = [];
  for (const s of specs) {
    const first = holders.get(s.from);
    if (first?.kind === 'reserved' && sameReservation(first.reservation, s, s.service !== undefined)) {
      if (repeatable) continue;
      throw alreadyExists('NodePortReservation', `${cluster}/${formatPortSpan(s)}`);
    }
    const problem = firstProblem(s, holders, uses);
    if (problem) causes.push({ field: s.at || 'ports', reason: 'FieldValueDuplicate', message: problem });
    else fresh.push(s);
  }
  if (causes.length) {
    const shown = causes.slice(0, 20);
    const named = specs.length > 1 || specs[0].service !== undefined;
    const summary = shown.map((c) => (named ? `${c.field}: ${c.message}` : c.message)).join('; ');
    throw new BerthError('Conflict', `NodePorts of cluster "${cluster}" cannot be reserved: ${summary}`, { causes: shown, kind: 'NodePortReservation', name: cluster });
  }
  return fresh;
}

function sameReservation(a: ReservationSpec, b: ReservationSpec, anyNote: boolean): boolean {
  return a.from === b.from && a.to === b.to && a.owner === b.owner && (anyNote || a.note === b.note);
}

function firstProblem(s: ImportedReservation, holders: ReadonlyMap<number, store.PortHolder>, uses: ReadonlyMap<number, store.StoredUsage>): string | undefined {
  for (let p = s.from; p <= s.to; p++) {
    const h = holders.get(p);
    if (h) return `port ${p} is taken: ${holderText(h)}`;
    // The Service a live import saw using the port is its only user, whatever the watchers recorded.
    const u = s.service === undefined ? uses.get(p) : undefined;
    if (u) return `port ${p} is used by Service "${u.namespace}/${u.service}"`;
  }
  return undefined;
}

function reservationView(cluster: string, r: store.StoredReservation): NodePortReservation {
  return { cluster, ports: formatPortSpan(r), from: r.from, to: r.to, owner: r.owner, note: r.note, createdAt: r.createdAt, createdBy: r.createdBy };
}

function allocationView(cluster: string, a: store.StoredAllocation): NodePortAllocation {
  const state: AllocationState = a.origin === 'api' ? 'held' : a.expiresAt === undefined ? 'bound' : 'pending';
  return {
    cluster, port: a.port, tenant: a.tenant, ...(a.service ? { service: a.service } : {}), ...(a.generateName ? { generateName: true } : {}),
    origin: a.origin, state, ...(a.expiresAt === undefined ? {} : { expiresAt: a.expiresAt }), createdAt: a.createdAt, createdBy: a.createdBy,
  };
}
