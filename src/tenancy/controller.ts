// The reconciler: keeps every registered cluster holding exactly the objects renderTenant wants.
// One worker per cluster watches the kinds Berth manages (by Berth's label, so watches stay
// small), and any change there, or a notify() from the outbox, queues a pass; passes coalesce,
// so a burst of events costs one pass. A pass reads the desired state, the watch caches, plans
// (plan.ts), then applies with server-side apply as field manager `berth` (Namespaces first),
// prunes, and reports every desired object's status. A cluster that fails is retried with
// exponential backoff and reported not ready; its first good pass after that reads the cluster
// afresh rather than trusting caches that missed the outage. A cluster removed with force gets a
// last sweep, once its worker's pass in flight has finished: nothing of Berth's is written there
// after it.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { KubeError, watchKind } from '../kube/index.ts';
import type { ClusterClient, Informer, InformerEvent, KindRef, KubeObject } from '../kube/index.ts';
import {
  objectKey, planCluster, statusRow, type DesiredState, type ObjectStatusRow, type Plan, type PlannedApply, type PlannedPrune,
} from './plan.ts';
import { MANAGED_BY, MANAGED_BY_LABEL } from './render.ts';

/** Where the reconciler reads what should be: the registered clusters, a client for each, and each one's desired objects. */
export interface ReconcileSource {
  /** Names of the registered clusters; a worker runs for each. */
  clusters(): Promise<readonly string[]>;
  /** The client of `cluster`; when it returns a different client than before (new credentials), the worker's watches restart on it. */
  client(cluster: string): Promise<ClusterClient>;
  /** Every object every tenant wants in `cluster` (renderTenant's output for it), and the namespaces adopted there. */
  desired(cluster: string): Promise<DesiredState>;
  /** Names of clusters removed with force whose last sweep is due (Berth's objects may still be there). */
  removals(): Promise<readonly string[]>;
  /** A client of removed `cluster` for its last sweep, which the reconciler closes; undefined when no sweep is due any more. */
  removedClient(cluster: string): Promise<ClusterClient | undefined>;
}

/** Where the reconciler reports what it found and did. */
export interface ReconcileSink {
  /**
   * The full status set of `cluster` after a pass: one row per desired object (rows not in it are
   * gone), sorted by namespace, kind and name. Called only when the set differs from the last one
   * this worker reported (always after the worker starts).
   */
  objects(cluster: string, rows: readonly ObjectStatusRow[]): Promise<void>;
  /** The cluster's readiness: false (with the error's reason and message) when its API server fails; true once a pass succeeds again. */
  condition(cluster: string, cond: { readonly ready: boolean; readonly reason: string; readonly message: string }): Promise<void>;
  /** A managed ResourceQuota's `status.hard` and `status.used`, whenever the watch sees them change. */
  quotaUsage(cluster: string, namespace: string, hard: Record<string, string>, used: Record<string, string>): Promise<void>;
  /** Removed `cluster`'s last sweep is done: nothing Berth applied is left there, and no sweep is due any more. */
  swept(cluster: string): Promise<void>;
}

/** Counters of the reconciler, per cluster or summed, for tests, status and the benchmark. */
export interface ReconcilerCounters {
  /** Passes that completed (every planned request made, statuses reported). */
  passes: number;
  /** Passes that failed (cluster unreachable, source or sink failing), each retried with backoff. */
  failedPasses: number;
  /** Server-side apply requests that succeeded. */
  applies: number;
  /** Deletions and give-backs (adopted namespaces released) that succeeded. */
  prunes: number;
  /** Failed requests and failed passes. */
  errors: number;
}

/**
 * Whether a watched object's resourceVersion is Berth's own write's or a later one. Versions are
 * opaque to clients, but an API server's are etcd revisions, so when both are integers the larger
 * is newer: the watch can deliver Berth's write before the write's answer arrives, and then only
 * a later version shows the watch has caught up (otherwise Berth's result would hide every later
 * change, drift included, until the next relist). Anything else counts only when equal.
 */
function atOrAfter(seen: string | undefined, mine: string | undefined): boolean {
  if (seen === undefined || mine === undefined) return false;
  if (!/^[0-9]{1,30}$/.test(seen) || !/^[0-9]{1,30}$/.test(mine)) return seen === mine;
  return BigInt(seen) >= BigInt(mine);
}

/** Options of {@link Reconciler}. */
export interface ReconcilerOptions {
  readonly source: ReconcileSource;
  readonly sink: ReconcileSink;
  readonly logger: Logger;
  /** Every cluster gets a pass, and the cluster list is read again, this often; default 5 minutes. */
  readonly resyncMs?: number;
  /** Wait before retrying a failed pass, doubled per failure up to `maxMs`; default 500 ms and 30 s. Also the watches' reconnect backoff. */
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  /** Requests in flight per cluster during a pass; default 16. */
  readonly concurrency?: number;
  /** Wait after the first notification before a pass starts, so a burst becomes one pass; default 50 ms. */
  readonly debounceMs?: number;
}

/** The kinds renderTenant produces; the workers watch these, by Berth's label. */
/** Resolves on the wake function handed to `arm` being called, or on `signal` aborting; the wake is disarmed (`arm(undefined)`) either way. */
function untilWoken(signal: AbortSignal, arm: (wake: (() => void) | undefined) => void): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      arm(undefined);
      signal.removeEventListener('abort', done);
      resolve();
    };
    arm(done);
    signal.addEventListener('abort', done, { once: true });
  });
}

export const managedKinds: readonly KindRef[] = [
  { apiVersion: 'v1', kind: 'Namespace' },
  { apiVersion: 'v1', kind: 'ResourceQuota' },
  { apiVersion: 'v1', kind: 'LimitRange' },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding' },
  { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy' },
  { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration' },
  { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration' },
];

const managedSelector = `${MANAGED_BY_LABEL}=${MANAGED_BY}`;

/**
 * True for a failure of the cluster rather than of one object: no answer, an answer from a
 * failing server (5xx), throttling, or credentials the server no longer takes.
 */
export function isClusterFailure(err: unknown): boolean {
  if (!(err instanceof KubeError)) return false;
  return err.httpStatus === 0 || err.httpStatus >= 500 || err.httpStatus === 401 || err.httpStatus === 429;
}

function zeroCounters(): ReconcilerCounters {
  return { passes: 0, failedPasses: 0, applies: 0, prunes: 0, errors: 0 };
}

/** Runs `fn` over `items`, at most `limit` at once; after a failure starts nothing new, then rethrows the first failure. */
async function bounded<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { err: unknown } | undefined;
  const lane = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const item = items[next++];
      try {
        await fn(item);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  if (failure !== undefined) throw failure.err;
}

// What of an object a watch event matters for drift: status updates (quota usage) do not.
function significant(o: KubeObject): string {
  const { status: _status, metadata, ...rest } = o;
  return JSON.stringify([rest, metadata?.labels, metadata?.annotations, metadata?.deletionTimestamp]);
}

function byRowKey(a: ObjectStatusRow, b: ObjectStatusRow): number {
  const ka = `${a.namespace}/${a.kind}/${a.name}`;
  const kb = `${b.namespace}/${b.kind}/${b.name}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

interface WorkerDeps {
  readonly source: ReconcileSource;
  readonly sink: ReconcileSink;
  readonly logger: Logger;
  readonly backoff: { readonly initialMs: number; readonly maxMs: number };
  readonly concurrency: number;
  readonly debounceMs: number;
}

/** One cluster's loop. */
class ClusterWorker {
  readonly name: string;
  readonly counters = zeroCounters();
  readonly #deps: WorkerDeps;
  readonly #log: Logger;
  #dirty = true;
  #wake: (() => void) | undefined;
  #client: ClusterClient | undefined;
  #informers: Informer[] = [];
  // Results of Berth's own requests the watches have not delivered yet (null: deleted), so a
  // pass right after another does not repeat its writes.
  readonly #pending = new Map<string, KubeObject | null>();
  // Set when the caches may have missed changes (start, outage); cleared by a pass that read the cluster directly.
  #suspect = true;
  #ready: boolean | undefined;
  #failureMessage = '';
  readonly #usage = new Map<string, string>();
  /** The namespaces desired in the last pass: usage is reported again when one becomes desired. */
  #usageNamespaces = new Set<string>();
  #reported: string | undefined;
  // Aborted by retire(): ends the waits between passes, never a pass's requests.
  readonly #retiring = new AbortController();

  constructor(name: string, deps: WorkerDeps) {
    this.name = name;
    this.#deps = deps;
    this.#log = deps.logger.child({ component: 'reconciler', cluster: name });
  }

  /** Queues a pass (coalesced with any already queued). */
  notify(): void {
    this.#dirty = true;
    this.#wake?.();
  }

  /**
   * Makes run() return once the pass in flight, if any, has finished with every request it sent
   * answered (none is cut short, so none can land later); no pass starts after it.
   */
  retire(): void {
    this.#retiring.abort();
  }

  /** Runs passes until `signal` aborts (requests in flight are cut short) or retire() is called, then stops the watches. */
  async run(signal: AbortSignal): Promise<void> {
    const idle = AbortSignal.any([signal, this.#retiring.signal]);
    let failures = 0;
    try {
      while (!idle.aborted) {
        await this.#whenDirty(idle);
        if (!(await this.#pause(this.#deps.debounceMs, idle))) break;
        this.#dirty = false;
        try {
          await this.#pass(signal);
          failures = 0;
        } catch (err) {
          if (signal.aborted) break;
          failures++;
          await this.#failed(err);
          this.#dirty = true;
          const wait = Math.min(this.#deps.backoff.initialMs * 2 ** (failures - 1), this.#deps.backoff.maxMs);
          if (!(await this.#pause(wait, idle))) break;
        }
      }
    } finally {
      await this.#stopInformers();
    }
  }

  /**
   * The last pass of a removed cluster, made after run() has returned: reads through `client`
   * every object of the managed kinds with Berth's label, deletes what Berth applied and gives
   * adopted namespaces back (planCluster with nothing desired). Throws when the cluster fails;
   * a request refused for one object is counted and logged, as in a pass.
   */
  async sweep(client: ClusterClient, signal: AbortSignal): Promise<void> {
    const lists = await Promise.all(managedKinds.map((ref) => client.list(ref, { labelSelector: managedSelector, signal })));
    const observed = lists.flatMap((l) => l.items);
    const plan = planCluster({ manifests: [], adopted: new Set() }, observed);
    await this.#execute(client, plan, observed, signal);
    this.#log.info({ prunes: plan.prune.length, released: plan.release.length }, 'removed cluster swept');
  }

  async #pause(ms: number, signal: AbortSignal): Promise<boolean> {
    try {
      await sleep(ms, undefined, { signal });
      return true;
    } catch {
      return false;
    }
  }

  #whenDirty(signal: AbortSignal): Promise<void> {
    if (this.#dirty || signal.aborted) return Promise.resolve();
    return untilWoken(signal, (wake) => { this.#wake = wake; });
  }

  async #failed(err: unknown): Promise<void> {
    this.counters.failedPasses++;
    this.counters.errors++;
    this.#suspect = true;
    const message = err instanceof Error ? err.message : String(err);
    if (!(err instanceof KubeError)) {
      this.#log.error({ err }, 'reconcile pass failed');
      return;
    }
    this.#log.warn({ reason: err.reason, message }, 'cluster failing; retrying with backoff');
    if (this.#ready === false && this.#failureMessage === message) return;
    this.#ready = false;
    this.#failureMessage = message;
    await this.#report(() => this.#deps.sink.condition(this.name, { ready: false, reason: err.reason, message }));
  }

  async #report(call: () => Promise<void>): Promise<void> {
    try {
      await call();
    } catch (err) {
      this.#log.error({ err }, 'reconciler sink failed');
    }
  }

  async #pass(signal: AbortSignal): Promise<void> {
    const started = Date.now();
    const client = await this.#connect();
    const desired = await this.#deps.source.desired(this.name);
    const observed = await this.#observe(client, desired, signal);
    const plan = planCluster(desired, observed);
    await this.#usageOfNewNamespaces(desired, observed);
    const rows = (await this.#execute(client, plan, observed, signal)).sort(byRowKey);
    // Most passes change nothing (an event Berth caused, a status update): the sink then keeps what it holds.
    const fingerprint = JSON.stringify(rows);
    if (fingerprint !== this.#reported) {
      await this.#deps.sink.objects(this.name, rows);
      this.#reported = fingerprint;
    }
    this.counters.passes++;
    this.#suspect = this.#suspect && this.#informers.some((i) => i.lastError !== undefined);
    const writes = plan.namespaces.length + plan.objects.length + plan.prune.length + plan.release.length;
    this.#log[writes > 0 ? 'info' : 'debug']({ writes, objects: rows.length, ms: Date.now() - started }, 'reconcile pass');
    if (this.#ready !== true) {
      this.#ready = true;
      this.#failureMessage = '';
      await this.#report(() => this.#deps.sink.condition(this.name, { ready: true, reason: 'Reconciled', message: 'the API server answers and the objects are reconciled' }));
    }
  }

  async #connect(): Promise<ClusterClient> {
    const client = await this.#deps.source.client(this.name);
    if (client === this.#client) return client;
    await this.#stopInformers();
    this.#client = client;
    this.#suspect = true;
    this.#informers = managedKinds.map((ref) => watchKind(client, ref, {
      labelSelector: managedSelector,
      backoff: this.#deps.backoff,
      onError: (err) => {
        if (!isClusterFailure(err)) {
          this.#log.warn({ err, kind: ref.kind }, 'watch failed');
          return;
        }
        this.#suspect = true;
        this.notify();
      },
    }, (event) => this.#onEvent(ref, event)));
    return client;
  }

  async #stopInformers(): Promise<void> {
    const informers = this.#informers;
    this.#informers = [];
    this.#pending.clear();
    await Promise.all(informers.map((i) => i.stop()));
  }

  async #onEvent(ref: KindRef, event: InformerEvent): Promise<void> {
    if (event.type === 'resync') {
      this.#pending.clear();
      if (ref.kind === 'ResourceQuota') for (const o of event.objects) await this.#quotaUsage(o);
      if (event.reason !== 'periodic') this.notify();
      return;
    }
    const key = objectKey(event.object);
    const mine = this.#pending.get(key);
    const caughtUp = mine === null
      || atOrAfter(event.object.metadata?.resourceVersion, mine?.metadata?.resourceVersion)
      || (mine?.metadata?.deletionTimestamp !== undefined && event.object.metadata?.deletionTimestamp !== undefined);
    if (event.type === 'deleted' || caughtUp) this.#pending.delete(key);
    if (ref.kind === 'ResourceQuota' && event.type !== 'deleted') await this.#quotaUsage(event.object);
    if (event.type !== 'updated' || significant(event.old) !== significant(event.object)) this.notify();
  }

  // A ResourceQuota Berth manages may predate the namespace's row in Berth's store (a namespace
  // re-created, a store restored): its usage, seen before the row existed, went nowhere, and an
  // unchanged status brings no event. Report it again when its namespace becomes desired.
  async #usageOfNewNamespaces(desired: DesiredState, observed: readonly KubeObject[]): Promise<void> {
    const now = new Set(desired.manifests.filter((m) => m.kind === 'Namespace').map((m) => m.metadata.name));
    for (const o of observed) {
      const ns = o.metadata?.namespace ?? '';
      if (o.kind !== 'ResourceQuota' || !now.has(ns) || this.#usageNamespaces.has(ns)) continue;
      this.#usage.delete(`${ns}/${o.metadata?.name ?? ''}`);
      await this.#quotaUsage(o);
    }
    this.#usageNamespaces = now;
  }

  async #quotaUsage(o: KubeObject): Promise<void> {
    const status = o.status as { hard?: Record<string, string>; used?: Record<string, string> } | undefined;
    if (status?.used === undefined) return;
    const namespace = o.metadata?.namespace ?? '';
    const hard = status.hard ?? {};
    const seen = JSON.stringify([hard, status.used]);
    const key = `${namespace}/${o.metadata?.name ?? ''}`;
    if (this.#usage.get(key) === seen) return;
    this.#usage.set(key, seen);
    await this.#report(() => this.#deps.sink.quotaUsage(this.name, namespace, hard, status.used ?? {}));
  }

  // The caches with Berth's own unreported writes laid over them, or, when they may have missed
  // changes, the cluster read directly. A desired Namespace absent from both may exist without
  // Berth's label: only a list of every namespace tells.
  async #observe(client: ClusterClient, desired: DesiredState, signal: AbortSignal): Promise<KubeObject[]> {
    const trusted = !this.#suspect && this.#informers.every((i) => i.hasSynced && i.lastError === undefined);
    const byKey = new Map<string, KubeObject>();
    if (trusted) {
      for (const informer of this.#informers) for (const o of informer.store.list()) byKey.set(objectKey(o), o);
      for (const [key, o] of this.#pending) {
        if (o === null) byKey.delete(key);
        else byKey.set(key, o);
      }
    } else {
      const lists = await Promise.all(managedKinds.map((ref) => client.list(ref, { labelSelector: managedSelector, signal })));
      for (const o of lists.flatMap((l) => l.items)) byKey.set(objectKey(o), o);
    }
    const missing = new Set(desired.manifests.filter((m) => m.kind === 'Namespace' && !byKey.has(objectKey(m))).map((m) => m.metadata.name));
    if (missing.size > 0) {
      const all = await client.list(managedKinds[0], { signal });
      for (const o of all.items) if (missing.has(o.metadata?.name ?? '')) byKey.set(objectKey(o), o);
    }
    return [...byKey.values()];
  }

  async #execute(client: ClusterClient, plan: Plan, observed: readonly KubeObject[], signal: AbortSignal): Promise<ObjectStatusRow[]> {
    const rows = [...plan.rows];
    const byKey = new Map(observed.map((o) => [objectKey(o), o]));
    const before = new Map(observed.map((o) => [objectKey(o), o.metadata?.resourceVersion]));
    const refused = new Map<string, string>();
    const { concurrency } = this.#deps;
    await bounded(plan.namespaces, concurrency, async (a) => {
      const row = await this.#apply(client, a, before, signal);
      if (row.state === 'Failed') refused.set(a.manifest.metadata.name, row.message);
      rows.push(row);
    });
    await bounded(plan.objects, concurrency, async (a) => {
      const ns = a.manifest.metadata.namespace ?? '';
      const why = refused.get(ns);
      rows.push(why === undefined ? await this.#apply(client, a, before, signal) : statusRow(a.manifest, 'Failed', `namespace "${ns}" was not applied: ${why}`));
    });
    await bounded(plan.prune, concurrency, (p) => this.#delete(client, p, byKey, signal));
    await bounded(plan.release, concurrency, (name) => this.#release(client, name, signal));
    return rows;
  }

  async #apply(client: ClusterClient, a: PlannedApply, before: ReadonlyMap<string, string | undefined>, signal: AbortSignal): Promise<ObjectStatusRow> {
    const key = objectKey(a.manifest);
    try {
      // force: an object Berth manages is Berth's; whoever changed a field loses it, which is what correcting drift means.
      const result = await client.apply(a.manifest as KubeObject, { force: true, signal });
      this.counters.applies++;
      if (result.metadata?.resourceVersion !== before.get(key)) this.#pending.set(key, result);
      if (a.cause === 'create') return statusRow(a.manifest, 'Applied', '');
      this.#log.info({ object: key, difference: a.difference }, 'drift corrected');
      return statusRow(a.manifest, 'Drifted', `changed outside Berth (${a.difference}); restored`);
    } catch (err) {
      if (isClusterFailure(err) || signal.aborted) throw err;
      this.counters.errors++;
      this.#log.warn({ object: key, err }, 'apply failed');
      return statusRow(a.manifest, 'Failed', err instanceof Error ? err.message : String(err));
    }
  }

  async #delete(client: ClusterClient, p: PlannedPrune, observed: ReadonlyMap<string, KubeObject>, signal: AbortSignal): Promise<void> {
    const key = objectKey({ kind: p.kind, metadata: p });
    try {
      await client.delete({ apiVersion: p.apiVersion, kind: p.kind }, p.name, p.namespace, { signal });
    } catch (err) {
      if (isClusterFailure(err) || signal.aborted) throw err;
      if (!(err instanceof KubeError && err.reason === 'NotFound')) {
        this.counters.errors++;
        this.#log.warn({ object: key, err }, 'prune failed');
      } else {
        this.#pending.set(key, null);
      }
      return;
    }
    this.counters.prunes++;
    this.#log.info({ object: key }, 'pruned');
    // A Namespace stays, terminating, while what it holds is removed; until the watch says so,
    // remember it as terminating so its content is not deleted one by one.
    const o = observed.get(key);
    this.#pending.set(key, p.kind === 'Namespace' && o !== undefined
      ? { ...o, metadata: { ...o.metadata, deletionTimestamp: new Date().toISOString() } }
      : null);
  }

  // An adopted namespace goes back to how it was: applying an empty configuration as Berth's
  // field manager drops the labels and annotations Berth set (fields other managers own stay).
  async #release(client: ClusterClient, name: string, signal: AbortSignal): Promise<void> {
    const key = objectKey({ kind: 'Namespace', metadata: { name } });
    try {
      await client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, { force: true, signal });
      this.counters.prunes++;
      this.#pending.set(key, null);
      this.#log.info({ namespace: name }, 'adopted namespace given back');
    } catch (err) {
      if (isClusterFailure(err) || signal.aborted) throw err;
      this.counters.errors++;
      this.#log.warn({ namespace: name, err }, 'giving back an adopted namespace failed');
    }
  }
}

/**
 * Keeps the registered clusters holding the desired objects. Construct it, then `run(signal)`
 * on the leader only; call `notify(cluster)` when a tenant's or namespace's desired state in
 * that cluster may have changed (outbox `tenancy.tenant`), `notify()` when the set of clusters
 * or a cluster's credentials may have changed (outbox `tenancy.cluster`). Passes are idempotent,
 * so a notify too many costs reads only. Sink failures are logged, never thrown. A cluster in
 * `source.removals()` and no longer registered is swept (everything Berth applied there deleted,
 * adopted namespaces given back) after its worker finished its pass in flight and stopped,
 * retried with backoff until done, then reported to `sink.swept`; a term that ends first leaves
 * the sweep to the next leader.
 */
export class Reconciler {
  readonly #deps: WorkerDeps;
  readonly #resyncMs: number;
  readonly #workers = new Map<string, { worker: ClusterWorker; stop: AbortController; done: Promise<void> }>();
  // Removed clusters being swept, each until its sweep is done or the run ends.
  readonly #sweeps = new Map<string, { worker: ClusterWorker; done: Promise<void> }>();
  // Counters of workers that stopped, so totals never go down.
  readonly #retired = zeroCounters();
  #membershipDirty = true;
  #wake: (() => void) | undefined;

  constructor(options: ReconcilerOptions) {
    this.#deps = {
      source: options.source, sink: options.sink, logger: options.logger,
      backoff: options.backoff ?? { initialMs: 500, maxMs: 30_000 },
      concurrency: options.concurrency ?? 16,
      debounceMs: options.debounceMs ?? 50,
    };
    this.#resyncMs = options.resyncMs ?? 300_000;
  }

  /** Queues a pass in `cluster`, or in every cluster and a fresh read of the cluster list when absent. Never throws. */
  notify(cluster?: string): void {
    const entry = cluster === undefined ? undefined : this.#workers.get(cluster);
    if (entry !== undefined) {
      entry.worker.notify();
      return;
    }
    // A cluster without a worker may just have been registered.
    this.#membershipDirty = true;
    if (cluster === undefined) for (const e of this.#workers.values()) e.worker.notify();
    this.#wake?.();
  }

  /** The counters of `cluster` (zero when it has no worker), or the totals over every cluster. */
  stats(cluster?: string): ReconcilerCounters {
    if (cluster !== undefined) return { ...((this.#workers.get(cluster) ?? this.#sweeps.get(cluster))?.worker.counters ?? zeroCounters()) };
    const total = { ...this.#retired };
    for (const { worker } of [...this.#workers.values(), ...this.#sweeps.values()]) {
      for (const k of Object.keys(total) as (keyof ReconcilerCounters)[]) total[k] += worker.counters[k];
    }
    return total;
  }

  /**
   * Runs until `signal` aborts: keeps one worker per cluster of `source.clusters()` (read at
   * start, on `notify()`, and every `resyncMs`), each passing on changes. Resolves once every
   * worker has stopped its watches. Never rejects.
   */
  async run(signal: AbortSignal): Promise<void> {
    const resync = setInterval(() => this.notify(), this.#resyncMs);
    try {
      while (!signal.aborted) {
        if (this.#membershipDirty) {
          this.#membershipDirty = false;
          await this.#syncWorkers(signal);
        }
        if (!this.#membershipDirty && !signal.aborted) await untilWoken(signal, (wake) => { this.#wake = wake; });
      }
    } finally {
      clearInterval(resync);
      await Promise.all([...this.#workers.keys()].map((name) => this.#stopWorker(name)));
      await Promise.all([...this.#sweeps.values()].map((e) => e.done));
    }
  }

  async #syncWorkers(signal: AbortSignal): Promise<void> {
    let names: readonly string[];
    let removed: ReadonlySet<string>;
    try {
      names = await this.#deps.source.clusters();
      removed = new Set(await this.#deps.source.removals());
    } catch (err) {
      this.#deps.logger.error({ err, component: 'reconciler' }, 'reading the registered clusters failed; retrying');
      setTimeout(() => this.notify(), this.#deps.backoff.initialMs).unref();
      return;
    }
    const wanted = new Set(names);
    await Promise.all([...this.#workers.keys()].filter((n) => !wanted.has(n) && !removed.has(n)).map((n) => this.#stopWorker(n)));
    for (const name of removed) if (!wanted.has(name) && !this.#sweeps.has(name) && !signal.aborted) this.#startSweep(name, signal);
    for (const name of wanted) {
      if (this.#workers.has(name) || this.#sweeps.has(name) || signal.aborted) continue;
      const worker = new ClusterWorker(name, this.#deps);
      const stop = new AbortController();
      const both = AbortSignal.any([signal, stop.signal]);
      this.#workers.set(name, { worker, stop, done: worker.run(both) });
    }
  }

  // A removed cluster's worker may be in a pass that read the desired state before the removal
  // and still writes what it wanted then: it is retired and its pass awaited first, so that the
  // sweep is the last write to the cluster. The sweep is retried with backoff until it is done.
  #startSweep(name: string, signal: AbortSignal): void {
    const entry = this.#workers.get(name);
    this.#workers.delete(name);
    const worker = entry?.worker ?? new ClusterWorker(name, this.#deps);
    const log = this.#deps.logger.child({ component: 'reconciler', cluster: name });
    const sweep = async (): Promise<void> => {
      entry?.worker.retire();
      await entry?.done;
      for (let failures = 0; !signal.aborted; failures++) {
        try {
          const client = await this.#deps.source.removedClient(name);
          if (client === undefined) return;
          try {
            await worker.sweep(client, signal);
          } finally {
            client.close();
          }
          await this.#deps.sink.swept(name);
          return;
        } catch (err) {
          if (signal.aborted) return;
          worker.counters.errors++;
          log.warn({ err }, 'sweeping a removed cluster failed; retrying');
          await sleep(Math.min(this.#deps.backoff.initialMs * 2 ** failures, this.#deps.backoff.maxMs), undefined, { signal }).catch(() => undefined);
        }
      }
    };
    this.#sweeps.set(name, {
      worker,
      done: sweep().finally(() => {
        this.#sweeps.delete(name);
        for (const k of Object.keys(this.#retired) as (keyof ReconcilerCounters)[]) this.#retired[k] += worker.counters[k];
      }),
    });
  }

  async #stopWorker(name: string): Promise<void> {
    const entry = this.#workers.get(name);
    if (entry === undefined) return;
    entry.stop.abort();
    await entry.done;
    this.#workers.delete(name);
    for (const k of Object.keys(this.#retired) as (keyof ReconcilerCounters)[]) this.#retired[k] += entry.worker.counters[k];
  }
}
