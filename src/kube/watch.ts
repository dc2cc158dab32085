// An informer: list, then watch from the list's resourceVersion, keep a cache, and start over
// with a fresh list whenever the API server says the resourceVersion is gone (410). The loop
// never ends on its own: an unreachable cluster is retried with backoff until stop().
import { setTimeout as sleep } from 'node:timers/promises';
import { BerthError } from '../platform/errors.ts';
import type { ClusterClient } from './client.ts';
import { errorFromResponse } from './errors.ts';
import type { KubeStatus } from './errors.ts';
import type { KindRef, KubeObject } from './resources.ts';

/** What an informer tells its handler. */
export type InformerEvent<T extends KubeObject = KubeObject> =
  | { readonly type: 'added'; readonly object: T }
  | { readonly type: 'updated'; readonly object: T; readonly old: T }
  | { readonly type: 'deleted'; readonly object: T }
  /**
   * Every object the informer holds. `initial`: after the first list; `relist`: after a list
   * that replaced the cache (a 410, or a reconnection that found the watch expired), preceded
   * by a `deleted` event for each cached object the list no longer had; `periodic`: the
   * resync interval elapsed (from the cache, no request).
   */
  | { readonly type: 'resync'; readonly reason: 'initial' | 'relist' | 'periodic'; readonly objects: readonly T[] };

/** Receives events one at a time, in order; the next waits until the returned promise settles. */
export type InformerHandler<T extends KubeObject = KubeObject> = (event: InformerEvent<T>) => void | Promise<void>;

/** Options of {@link watchKind}. */
export interface WatchKindOptions {
  /** Only this namespace; default all namespaces (cluster-scoped kinds ignore it). */
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /** Deliver a `periodic` resync this often; default never. */
  readonly resyncIntervalMs?: number;
  /** Seconds after which the API server closes each watch (the informer reconnects); default 300 to 600, random. */
  readonly watchTimeoutSeconds?: number;
  /** Backoff after a failed list or watch: first wait and ceiling; default 200 ms and 30 s. */
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  /** Told about each failure to list or watch (the informer retries) and each handler failure. */
  readonly onError?: (err: unknown) => void;
  /**
   * Applied to every object listed or watched before it is cached or delivered, as client-go's
   * SetTransform: a caller that needs only part of each object (not its managedFields, say)
   * keeps only that part in memory. Must keep metadata's namespace, name and resourceVersion.
   */
  readonly transform?: (object: KubeObject) => KubeObject;
}

/** Counters of an informer, for status and tests. */
export interface InformerStats {
  /** Full lists made (the first included). */
  lists: number;
  /** Watch connections opened. */
  watches: number;
  bookmarks: number;
  /** 410 Gone answers (as an HTTP status or an ERROR event) that forced a relist. */
  gone: number;
  /** Failed lists or watches (retried with backoff). */
  errors: number;
}

function keyOf(o: KubeObject): string {
  const ns = o.metadata?.namespace;
  return ns === undefined || ns === '' ? (o.metadata?.name ?? '') : `${ns}/${o.metadata?.name ?? ''}`;
}

/** A cache of objects by namespace and name, read synchronously. Holds what the API server last said. */
export class ObjectStore<T extends KubeObject = KubeObject> {
  readonly #items = new Map<string, T>();

  /** The object `namespace/name` (or `name` for cluster-scoped kinds), if cached. */
  get(name: string, namespace?: string): T | undefined {
    return this.#items.get(namespace === undefined || namespace === '' ? name : `${namespace}/${name}`);
  }

  /** Every cached object, optionally only one namespace's. */
  list(namespace?: string): T[] {
    const all = [...this.#items.values()];
    return namespace === undefined ? all : all.filter((o) => o.metadata?.namespace === namespace);
  }

  get size(): number {
    return this.#items.size;
  }

  /** @internal Sets one object; returns the one it replaced. */
  set(o: T): T | undefined {
    const key = keyOf(o);
    const old = this.#items.get(key);
    this.#items.set(key, o);
    return old;
  }

  /** @internal Removes one object; returns it. */
  remove(o: T): T | undefined {
    const key = keyOf(o);
    const old = this.#items.get(key);
    this.#items.delete(key);
    return old;
  }

  /** @internal Replaces everything; returns the objects no longer present. */
  replace(objects: readonly T[]): T[] {
    const fresh = new Map(objects.map((o) => [keyOf(o), o]));
    const gone = [...this.#items.entries()].filter(([k]) => !fresh.has(k)).map(([, o]) => o);
    this.#items.clear();
    for (const [k, o] of fresh) this.#items.set(k, o);
    return gone;
  }
}

/** A running list-and-watch of one kind on one cluster. Create with {@link watchKind}; stop() it. */
export class Informer<T extends KubeObject = KubeObject> {
  /** The cache, current as of the last event delivered. */
  readonly store = new ObjectStore<T>();
  readonly stats: InformerStats = { lists: 0, watches: 0, bookmarks: 0, gone: 0, errors: 0 };
  /** The last failure to list or watch, cleared by the next successful list or watch event. */
  lastError: unknown = undefined;
  /** Resolves after the first list has been delivered (the `initial` resync). */
  readonly synced: Promise<void>;
  readonly #client: ClusterClient;
  readonly #ref: KindRef;
  readonly #options: WatchKindOptions;
  readonly #handler: InformerHandler<T>;
  readonly #stop = new AbortController();
  #hasSynced = false;
  #markSynced: () => void = () => undefined;
  #queue: Promise<void> = Promise.resolve();
  readonly #done: Promise<void>;
  #timer: NodeJS.Timeout | undefined;
  #resourceVersion: string | undefined;

  /** @internal Use {@link watchKind}. */
  constructor(client: ClusterClient, ref: KindRef, options: WatchKindOptions, handler: InformerHandler<T>) {
    this.#client = client;
    this.#ref = ref;
    this.#options = options;
    this.#handler = handler;
    this.synced = new Promise((resolve) => {
      this.#markSynced = resolve;
    });
    this.#done = this.#run();
    if (options.resyncIntervalMs !== undefined) {
      this.#timer = setInterval(() => {
        if (this.#hasSynced) void this.#deliver({ type: 'resync', reason: 'periodic', objects: this.store.list() });
      }, options.resyncIntervalMs);
    }
  }

  /** The resourceVersion the next watch resumes from (of the last list, event or bookmark); undefined before the first list and while a relist is due. */
  get resourceVersion(): string | undefined {
    return this.#resourceVersion;
  }

  /** True once the first list has been delivered. */
  get hasSynced(): boolean {
    return this.#hasSynced;
  }

  /** Stops watching and resolves when the loop and the handler's last event have finished. Idempotent. */
  async stop(): Promise<void> {
    this.#stop.abort();
    if (this.#timer !== undefined) clearInterval(this.#timer);
    await this.#done;
    await this.#queue;
  }

  // Periodic resyncs come from a timer, so every delivery goes through one queue to keep order.
  #deliver(event: InformerEvent<T>): Promise<void> {
    this.#queue = this.#queue.then(async () => {
      if (this.#stop.signal.aborted) return;
      try {
        await this.#handler(event);
      } catch (err) {
        this.#options.onError?.(err);
      }
    });
    return this.#queue;
  }

  async #relist(signal: AbortSignal): Promise<string> {
    const { items: listed, resourceVersion } = await this.#client.list<T>(this.#ref, {
      namespace: this.#options.namespace, labelSelector: this.#options.labelSelector, fieldSelector: this.#options.fieldSelector, signal,
    });
    this.stats.lists++;
    this.lastError = undefined;
    this.#resourceVersion = resourceVersion;
    const transform = this.#options.transform;
    const items = transform === undefined ? listed : listed.map((o) => transform(o) as T);
    const vanished = this.store.replace(items);
    for (const object of vanished) await this.#deliver({ type: 'deleted', object });
    await this.#deliver({ type: 'resync', reason: this.#hasSynced ? 'relist' : 'initial', objects: items });
    if (!this.#hasSynced) {
      this.#hasSynced = true;
      this.#markSynced();
    }
    return resourceVersion;
  }

  async #run(): Promise<void> {
    const signal = this.#stop.signal;
    const initialMs = this.#options.backoff?.initialMs ?? 200;
    const maxMs = this.#options.backoff?.maxMs ?? 30_000;
    let backoff = initialMs;
    let rv: string | undefined;
    while (!signal.aborted) {
      try {
        rv ??= await this.#relist(signal);
        this.stats.watches++;
        const timeoutSeconds = this.#options.watchTimeoutSeconds ?? 300 + Math.floor(Math.random() * 300);
        for await (const event of this.#client.watch(this.#ref, {
          namespace: this.#options.namespace, labelSelector: this.#options.labelSelector, fieldSelector: this.#options.fieldSelector,
          resourceVersion: rv, timeoutSeconds, allowBookmarks: true, signal,
        })) {
          if (event.type === 'ERROR') {
            // A 410 (reason Expired or Gone) becomes a Gone error, which the catch below turns into a relist.
            const status = event.object as KubeStatus;
            throw errorFromResponse(this.#client.name, status.code ?? 500, status, `WATCH ${this.#ref.kind}`);
          }
          const transform = this.#options.transform;
          const object = (transform === undefined || event.type === 'BOOKMARK' ? event.object : transform(event.object)) as T;
          rv = object.metadata?.resourceVersion ?? rv;
          this.#resourceVersion = rv;
          this.lastError = undefined;
          backoff = initialMs;
          if (event.type === 'BOOKMARK') {
            this.stats.bookmarks++;
          } else if (event.type === 'DELETED') {
            this.store.remove(object);
            await this.#deliver({ type: 'deleted', object });
          } else {
            const old = this.store.set(object);
            await this.#deliver(old === undefined ? { type: 'added', object } : { type: 'updated', object, old });
          }
        }
      } catch (err) {
        if (signal.aborted) break;
        if (err instanceof BerthError && err.reason === 'Gone') {
          this.stats.gone++;
          rv = undefined;
          this.#resourceVersion = undefined;
          continue;
        }
        this.stats.errors++;
        this.lastError = err;
        this.#options.onError?.(err);
        try {
          await sleep(backoff, undefined, { signal });
        } catch {
          break;
        }
        backoff = Math.min(backoff * 2, maxMs);
      }
    }
  }
}

/**
 * Lists `ref`'s objects (in `options.namespace`, or everywhere; filtered by the selectors),
 * delivers them as an `initial` resync, then watches from the list's resourceVersion and
 * delivers `added`/`updated`/`deleted` as the API server reports them, keeping
 * {@link Informer.store} current. Bookmarks advance the resume point without an event. When
 * the server closes the stream it reconnects from the last resourceVersion seen; when that
 * resourceVersion is gone (410, as an HTTP status or an `ERROR` event) it lists again and
 * delivers a `relist` resync. Failures (cluster unreachable, forbidden) are reported to
 * `onError` and retried with exponential backoff; the informer runs until `stop()`. Never throws.
 */
export function watchKind<T extends KubeObject = KubeObject>(
  client: ClusterClient, ref: KindRef, options: WatchKindOptions, handler: InformerHandler<T>,
): Informer<T> {
  return new Informer<T>(client, ref, options, handler);
}
