// The tenant-wide quota at admission: the decision the admission webhook asks for each create or
// update in a tenant namespace of any cluster. Usage is the watchers' (TenantUsage) plus the
// reservations in Berth's database that the watchers do not count yet; a decision that adds usage
// runs in one transaction serialized per tenant and inserts its reservation there, so every
// replica and every cluster sees it before the next decision of that tenant. Refusals and dry runs
// are decided without the database, on this replica's copy of the tenant's reservations: its own
// exactly, other replicas' as of at most `reservationViewMs` ago.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { decideTenantQuota, sumUsage, type EvaluatorRegistry, type TenantQuotaDecision } from '../compute/index.ts';
import type { Transaction } from 'kysely';
import { mapDatabaseError, type Database } from '../platform/db/database.ts';
import type { PlatformTables } from '../platform/db/schema.ts';
import {
  decodeObject, decodeResourceList, DecodeError, encodeResourceList, groupResourceString, type JsonObject, type KubeObject, type ResourceList,
} from '../objects/index.ts';
import { NAMESPACES_RESOURCE, type QuotaMap } from './model.ts';
import {
  deleteExpiredReservations, deleteReservations, insertReservations, lockTenantQuota, outstandingReservations, reservationsFor,
  type QuotaReservation,
} from './quota-reservation-store.ts';
import type { WatchedObject, TenantOf, TenantUsage } from './tenant-usage-controller.ts';

/** One create or update as the admission webhook received it. */
export interface TenantQuotaReview {
  readonly cluster: string;
  readonly namespace: string;
  readonly operation: 'CREATE' | 'UPDATE';
  /** The object as the API server would store it (after mutating admission). */
  readonly object: JsonObject;
  /** For an update, the object it replaces. */
  readonly oldObject?: JsonObject;
  readonly subResource?: string;
  /** A dry run is decided the same way and reserves nothing. */
  readonly dryRun: boolean;
}

/** The answer: allowed, or refused with the message and HTTP code for the AdmissionReview's status. */
export type TenantQuotaAnswer = { readonly allowed: true } | { readonly allowed: false; readonly message: string; readonly code: number };

/** What {@link TenantQuotaAdmission} needs. */
export interface TenantQuotaDeps {
  readonly db: Database;
  readonly registry: EvaluatorRegistry;
  readonly usage: TenantUsage;
  /** The tenant a namespace of a cluster belongs to (the same function the {@link TenantUsage} was given). */
  readonly tenantOf: TenantOf;
  /** The tenant's quota (tenant model notation), undefined when the tenant is unknown. Synchronous, from a snapshot. */
  readonly quotaOf: (tenant: string) => QuotaMap | undefined;
  /** How long a reservation counts when its object never appears; default 30 s. */
  readonly reservationTtlMs?: number;
  /**
   * How old this replica's copy of a tenant's reservations may be when a decision without the
   * lock (a refusal, a dry run) reads it; default 1 s. Only other replicas' reservations can be
   * missing from it: this replica's own are added and dropped as it takes and releases them.
   */
  readonly reservationViewMs?: number;
  readonly now?: () => Date;
  /** Told about failed releases (the reservation then expires instead). */
  readonly onError?: (err: unknown) => void;
}

/** The default lifetime of a reservation whose object the watchers never see. */
export const DEFAULT_RESERVATION_TTL_MS = 30_000;

/** The default age of a replica's copy of a tenant's reservations. */
export const DEFAULT_RESERVATION_VIEW_MS = 1000;

const allowed: TenantQuotaAnswer = { allowed: true };

/** A request reduced to what the decision needs. */
interface Decidable {
  readonly tenant: string;
  readonly hard: ResourceList;
  readonly object: KubeObject;
  readonly old?: KubeObject;
  readonly subresource?: string;
}

/** A decision waiting for its tenant's lock. */
interface QueuedDecision {
  readonly review: TenantQuotaReview;
  readonly d: Decidable;
  resolve(answer: TenantQuotaAnswer): void;
  reject(err: unknown): void;
}

/** Decisions taken in one locked transaction at most. */
const MAX_BATCH = 100;

/** A reservation as this replica's copy holds it, its resources decoded once. */
interface Held extends QuotaReservation {
  readonly amounts: ResourceList;
  readonly expiresMs: number;
}

/** This replica's copy of one tenant's outstanding reservations. */
interface ReservationView {
  rows: Map<string, Held>;
  /** When it was read from the database (ms); 0: never. */
  readAt: number;
  /** Bumped by every change this replica makes, so a read that raced one is not kept. */
  generation: number;
  reading?: Promise<void>;
}

function held(r: QuotaReservation): Held {
  return { ...r, amounts: decodeResourceList(r.resources, 'resources') ?? {}, expiresMs: Date.parse(r.expiresAt) };
}

/**
 * The tenant quota's admission decisions and its reservations. Call {@link admit} for each
 * request; {@link start} releases reservations as the watchers see their objects; call
 * {@link sweep} periodically (any replica) to drop expired ones.
 */
export class TenantQuotaAdmission {
  readonly #deps: TenantQuotaDeps;
  readonly #ttl: number;
  readonly #now: () => Date;
  /** Objects (`cluster/namespace/resource/name`) with a reservation this replica took, and when the last one expires (ms). */
  readonly #pending = new Map<string, number>();
  readonly #releases = new Set<Promise<unknown>>();
  /** Each tenant's decisions waiting for the lock in this replica; present while its loop runs. */
  readonly #queues = new Map<string, QueuedDecision[]>();
  readonly #views = new Map<string, ReservationView>();
  readonly #viewMs: number;
  /** Each quota map's decoded hard limits (quota maps are replaced, never changed, when the snapshot is). */
  readonly #hard = new WeakMap<object, ResourceList | null>();
  #unsubscribe: (() => void) | undefined;

  constructor(deps: TenantQuotaDeps) {
    this.#deps = deps;
    this.#ttl = deps.reservationTtlMs ?? DEFAULT_RESERVATION_TTL_MS;
    this.#viewMs = deps.reservationViewMs ?? DEFAULT_RESERVATION_VIEW_MS;
    this.#now = deps.now ?? (() => new Date());
  }

  /** Starts releasing reservations whose objects the watchers see. */
  start(): void {
    this.#unsubscribe ??= this.#deps.usage.onObserved((o) => this.#observed(o));
  }

  /** Stops releasing and waits for releases under way. */
  async stop(): Promise<void> {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    await Promise.allSettled([...this.#releases]);
  }

  /**
   * Decides one create or update. Namespaces of no tenant, tenants without a quota, and requests
   * that add nothing the tenant limits are allowed without touching the database. Otherwise the
   * watched usage plus the tenant's unexpired reservations not yet counted by the watchers (this
   * replica's copy of them) decide with decideTenantQuota; a refusal or a dry run is answered so.
   * A request that passes and is not a dry run is decided again, in order with the tenant's other
   * such requests, in a transaction locked on the tenant (across replicas) on the reservations as
   * the database holds them, which inserts its reservation when it still passes. A refusal is 403
   * with kube-apiserver's quota words naming the tenant, resource, requested, used and limited;
   * 400 when the object cannot be read; 503 while a cluster where the tenant has a namespace has
   * not been listed yet (usage unknown). Throws only database failures (ServiceUnavailable).
   */
  async admit(review: TenantQuotaReview): Promise<TenantQuotaAnswer> {
    const tenant = this.#deps.tenantOf(review.cluster, review.namespace);
    if (tenant === undefined) return allowed;
    const hard = this.#hardOf(tenant);
    if (hard === undefined) return allowed;
    let d: Decidable;
    try {
      d = { tenant, hard, ...this.#decode(review) };
    } catch (err) {
      if (err instanceof DecodeError) return { allowed: false, message: `cannot evaluate the tenant quota of ${tenant}: ${err.message}`, code: 400 };
      throw err;
    }
    const unsynced = this.#deps.usage.unsynced(tenant);
    if (unsynced.length > 0) {
      return { allowed: false, message: `the usage of tenant ${tenant} is not known yet: Berth is still listing cluster ${unsynced.join(', ')}`, code: 503 };
    }
    const first = this.#decide(d, this.#deps.usage.usage(tenant, hard));
    if (!first.allowed) return { allowed: false, message: first.message, code: 403 };
    if (Object.keys(first.reserve).length === 0) return allowed;
    // Refusals need no lock (usage only grows under it), so a full tenant's storm of refusals
    // runs in parallel; what may be allowed is decided again under the lock before reserving.
    const unlocked = await this.#unlocked(d);
    if (!unlocked.allowed || review.dryRun) return unlocked;
    return new Promise((resolve, reject) => this.#enqueue({ review, d, resolve, reject }));
  }

  /** The decision on this replica's copy of the reservations, without the lock and reserving nothing; the caller allowed `d` on the watched usage alone. */
  async #unlocked(d: Decidable): Promise<TenantQuotaAnswer> {
    // A fresh copy is used as it is: no await, so a review that needs no database read is
    // answered in the tick it arrived.
    const fresh = this.#views.get(d.tenant);
    let rows: Iterable<Held>;
    if (fresh !== undefined && Date.now() - fresh.readAt <= this.#viewMs) {
      rows = fresh.rows.values();
    } else {
      try {
        rows = await this.#view(d.tenant);
      } catch (err) {
        return mapDatabaseError(err);
      }
    }
    const now = this.#now().getTime();
    const { counted } = this.#split([...rows].filter((r) => r.expiresMs > now));
    // Nothing to add to the watched usage the caller already decided on: the same answer.
    if (counted.length === 0) return allowed;
    const used = this.#usedWith(d.tenant, d.hard, counted);
    const decision = this.#decide(d, used);
    return decision.allowed ? allowed : { allowed: false, message: decision.message, code: 403 };
  }

  /** This replica's copy of `tenant`'s reservations, read again when older than the view's bound. */
  async #view(tenant: string): Promise<Iterable<Held>> {
    let v = this.#views.get(tenant);
    if (v === undefined) {
      v = { rows: new Map(), readAt: 0, generation: 0 };
      this.#views.set(tenant, v);
    }
    if (Date.now() - v.readAt > this.#viewMs) {
      const view = v;
      view.reading ??= (async () => {
        const generation = view.generation;
        const startedAt = Date.now();
        try {
          const rows = await outstandingReservations(this.#deps.db.kysely, tenant, this.#now());
          // A change of this replica committed meanwhile may be missing from what was read.
          if (view.generation !== generation) return;
          view.rows = new Map(rows.map((r) => [r.id, held(r)]));
          view.readAt = startedAt;
        } finally {
          view.reading = undefined;
        }
      })();
      await view.reading;
    }
    return v.rows.values();
  }

  /** Records in this replica's copy what a committed change did to `tenant`'s reservations. */
  #changed(tenant: string, change: { readonly rows?: readonly QuotaReservation[]; readonly added?: readonly QuotaReservation[]; readonly deleted?: readonly string[] }): void {
    let v = this.#views.get(tenant);
    if (v === undefined) {
      if (change.rows === undefined) return;
      v = { rows: new Map(), readAt: 0, generation: 0 };
      this.#views.set(tenant, v);
    }
    v.generation++;
    if (change.rows !== undefined) {
      v.rows = new Map(change.rows.map((r) => [r.id, held(r)]));
      v.readAt = Date.now();
    }
    for (const id of change.deleted ?? []) v.rows.delete(id);
    for (const r of change.added ?? []) v.rows.set(r.id, held(r));
  }

  /**
   * The watched usage of `names` plus the counted reservations. Called in the same tick as the
   * split into counted and covered reservations: a reservation is then either counted or its
   * object watched, never both, never neither.
   */
  #usedWith(tenant: string, names: ResourceList, counted: readonly Held[]): ResourceList {
    const watched = this.#deps.usage.usage(tenant, names);
    return sumUsage([watched, ...counted.map((r) => r.amounts)]);
  }

  /**
   * Queues a decision that reserves. Each tenant's queue is drained by one loop per replica, a
   * batch per locked transaction: one tenant's burst holds one pooled connection and one lock
   * wait per batch, not one per request.
   */
  #enqueue(p: QueuedDecision): void {
    const queue = this.#queues.get(p.d.tenant);
    if (queue !== undefined) {
      queue.push(p);
      return;
    }
    this.#queues.set(p.d.tenant, [p]);
    void this.#drain(p.d.tenant);
  }

  async #drain(tenant: string): Promise<void> {
    for (;;) {
      const queue = this.#queues.get(tenant) ?? [];
      const batch = queue.splice(0, MAX_BATCH);
      if (batch.length === 0) {
        this.#queues.delete(tenant);
        return;
      }
      try {
        const { answers, change } = await this.#deps.db.transaction((tx) => this.#decideBatch(tx, tenant, batch));
        this.#changed(tenant, change);
        batch.forEach((p, i) => p.resolve(answers[i]));
      } catch (err) {
        for (const p of batch) p.reject(err);
      }
    }
  }

  /**
   * Under the tenant's lock: drops covered reservations, decides the batch in order (each seeing
   * the ones before it) and inserts the reservations of those allowed. Returns the answers and
   * what the transaction read and changed, for this replica's copy once it commits.
   */
  async #decideBatch(tx: Transaction<PlatformTables>, tenant: string, batch: readonly QueuedDecision[]): Promise<{
    answers: TenantQuotaAnswer[]; change: { rows: QuotaReservation[]; added: QuotaReservation[]; deleted: string[] };
  }> {
    await lockTenantQuota(tx, this.#deps.db.dialect, tenant);
    const outstanding = await outstandingReservations(tx, tenant, this.#now());
    const { counted, covered } = this.#split(outstanding.map(held));
    // Usage does not depend on the limits, only on their names: one sum serves every request.
    let used = this.#usedWith(tenant, Object.assign({}, ...batch.map((p) => p.d.hard)) as ResourceList, counted);
    await deleteReservations(tx, covered.map((r) => r.id));
    const rows: QuotaReservation[] = [];
    const answers = batch.map(({ review, d }): TenantQuotaAnswer => {
      const decision = this.#decide(d, used);
      if (!decision.allowed) return { allowed: false, message: decision.message, code: 403 };
      if (Object.keys(decision.reserve).length > 0) {
        rows.push(this.#reservation(review, d, decision.reserve));
        used = sumUsage([used, decision.reserve]);
      }
      return allowed;
    });
    await insertReservations(tx, rows);
    const deleted = covered.map((r) => r.id);
    return { answers, change: { rows: outstanding, added: rows, deleted } };
  }

  /** Deletes the reservations expired by now; returns how many. Safe on any number of replicas. */
  async sweep(): Promise<number> {
    const now = this.#now();
    for (const [key, expires] of this.#pending) if (expires <= now.getTime()) this.#pending.delete(key);
    return deleteExpiredReservations(this.#deps.db.kysely, now);
  }

  /**
   * Sweeps every `intervalMs` (default a third of the reservation lifetime) until `signal`
   * aborts; a failed sweep is told to onError and retried at the next tick.
   */
  async runSweeper(signal: AbortSignal, intervalMs = Math.max(1000, Math.floor(this.#ttl / 3))): Promise<void> {
    while (!signal.aborted) {
      try {
        await sleep(intervalMs, undefined, { signal });
      } catch {
        return;
      }
      await this.sweep().catch((err: unknown) => this.#deps.onError?.(err));
    }
  }

  /**
   * Releases the reservations of an object the watchers now hold (its usage is counted by them
   * from here on): for an update, only once they hold a version other than the one replaced.
   * Returns how many were released.
   */
  async release(o: WatchedObject): Promise<number> {
    const rows = await reservationsFor(this.#deps.db.kysely, o.cluster, o.namespace, o.resource, o.name);
    const done = rows.filter((r) => (r.uid === '' || r.uid === o.uid) && r.baseVersion !== o.resourceVersion);
    if (rows.length === done.length) this.#pending.delete(keyOf(o.cluster, o.namespace, o.resource, o.name));
    const deleted = await deleteReservations(this.#deps.db.kysely, done.map((r) => r.id));
    for (const r of done) this.#changed(r.tenant, { deleted: [r.id] });
    return deleted;
  }

  #observed(o: WatchedObject): void {
    if (!this.#pending.has(keyOf(o.cluster, o.namespace, o.resource, o.name))) return;
    const p: Promise<unknown> = this.release(o).catch((err: unknown) => this.#deps.onError?.(err)).finally(() => this.#releases.delete(p));
    this.#releases.add(p);
  }

  #hardOf(tenant: string): ResourceList | undefined {
    const quota = this.#deps.quotaOf(tenant);
    if (quota === undefined) return undefined;
    let hard = this.#hard.get(quota);
    if (hard === undefined) {
      const { [NAMESPACES_RESOURCE]: _namespaces, ...rest } = quota;
      hard = Object.keys(rest).length === 0 ? null : decodeResourceList(rest, 'quota') ?? {};
      this.#hard.set(quota, hard);
    }
    return hard ?? undefined;
  }

  #decode(review: TenantQuotaReview): { object: KubeObject; old?: KubeObject; subresource?: string } {
    const inNamespace = (o: JsonObject): KubeObject => {
      const metadata = { ...((o.metadata ?? {}) as JsonObject), namespace: review.namespace };
      return decodeObject({ ...o, metadata });
    };
    const old = review.operation === 'UPDATE' && review.oldObject !== undefined ? inNamespace(review.oldObject) : undefined;
    return { object: inNamespace(review.object), old, subresource: review.subResource || undefined };
  }

  #decide(d: Decidable, used: ResourceList): TenantQuotaDecision {
    return decideTenantQuota(this.#deps.registry, { tenant: d.tenant, hard: d.hard, used, object: d.object, old: d.old, subresource: d.subresource });
  }

  /** Reservations the watchers of this replica already count (their object is held, in a version after the reserved change) and the others. */
  #split(rows: readonly Held[]): { counted: Held[]; covered: Held[] } {
    const counted: Held[] = [];
    const covered: Held[] = [];
    for (const r of rows) {
      const seen = r.name === '' ? undefined : this.#deps.usage.observedVersion(r.cluster, r.namespace, r.kind, r.name, r.uid);
      (seen !== undefined && seen !== r.baseVersion ? covered : counted).push(r);
    }
    return { counted, covered };
  }

  #reservation(review: TenantQuotaReview, d: Decidable, reserve: ResourceList): QuotaReservation {
    const now = this.#now();
    const kind = groupResourceString(d.object.type);
    const name = d.object.metadata.name ?? '';
    if (name !== '') this.#pending.set(keyOf(review.cluster, review.namespace, kind, name), now.getTime() + this.#ttl);
    return {
      id: randomUUID(), tenant: d.tenant, cluster: review.cluster, namespace: review.namespace, kind, name,
      uid: d.object.metadata.uid ?? '', baseVersion: d.old === undefined ? '' : resourceVersionOf(review.oldObject), resources: encodeResourceList(reserve),
      createdAt: now.toISOString(), expiresAt: new Date(now.getTime() + this.#ttl).toISOString(),
    };
  }
}

function keyOf(cluster: string, namespace: string, resource: string, name: string): string {
  return `${cluster}/${namespace}/${resource}/${name}`;
}

function resourceVersionOf(o: JsonObject | undefined): string {
  const rv = (o?.metadata as JsonObject | undefined)?.resourceVersion;
  return typeof rv === 'string' ? rv : '';
}
