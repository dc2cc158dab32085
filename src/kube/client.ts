// One client per registered cluster: its own TLS agent (connections kept alive), its own rate
// limit, every request through one path that waits for a token, bounds time and size, and maps
// failures to typed errors. client-node v2's generated clients build a new connection pool for
// every request and take no per-call AbortSignal, so Berth sends requests itself and uses
// client-node for kubeconfig and object types.
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { createInterface } from 'node:readline';
import { BerthError, invalid } from '../platform/errors.ts';
import { errorFromNetwork, errorFromResponse, KubeError } from './errors.ts';
import { parseKubeconfig } from './kubeconfig.ts';
import type { ClusterCredentials } from './kubeconfig.ts';
import { defaultRateLimit, TokenBucket } from './rate-limit.ts';
import type { RateLimit } from './rate-limit.ts';
import { discoveryPath, knownResource, resourcePath, resourcesFromDiscovery } from './resources.ts';
import type { KindRef, KubeObject, ResourceInfo } from './resources.ts';

/** The field manager Berth applies as. */
export const berthFieldManager = 'berth';

/** Options of a {@link ClusterClient}. */
export interface ClusterClientOptions {
  /** The cluster's name in Berth, used in error messages. */
  readonly name: string;
  /** The kubeconfig text (inline credentials only; see {@link parseKubeconfig}). */
  readonly kubeconfig: string;
  /** Context to use; default the kubeconfig's current context. */
  readonly context?: string;
  /** Allow `insecure-skip-tls-verify: true` in the kubeconfig; default false (refused). */
  readonly allowInsecureSkipTlsVerify?: boolean;
  /** Requests per second and burst; default {@link defaultRateLimit} (50/100). */
  readonly rateLimit?: RateLimit;
  /** Deadline of one request (not of a watch stream), from the rate limiter's token on; default 30 s. */
  readonly timeoutMs?: number;
  /** Largest response body read, in bytes; default 64 MiB. */
  readonly maxResponseBytes?: number;
  /** Open connections at most; default 32. */
  readonly maxSockets?: number;
}

/** Per-request options. */
export interface RequestOptions {
  /** Cancels the wait for a rate-limit token and the request; rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /** Overrides the client's request deadline. */
  readonly timeoutMs?: number;
}

/** Options of {@link ClusterClient.apply}. */
export interface ApplyOptions extends RequestOptions {
  /** Take over fields other managers own; default false, so a conflict is a `Conflict` error. */
  readonly force?: boolean;
  /** Ask the API server to validate and admit without persisting (`dryRun=All`). */
  readonly dryRun?: boolean;
  /** Field manager; default {@link berthFieldManager}. */
  readonly fieldManager?: string;
}

/** Options of {@link ClusterClient.list}. */
export interface ListOptions extends RequestOptions {
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /** Page size; default 500. All pages are read. */
  readonly limit?: number;
}

/** A full list: the objects and the collection's resourceVersion to watch from. */
export interface ListResult<T extends KubeObject = KubeObject> {
  readonly items: readonly T[];
  readonly resourceVersion: string;
}

/** Options of {@link ClusterClient.watch}. */
export interface WatchOptions {
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /** Resume after this resourceVersion (from a list or the last event seen). */
  readonly resourceVersion?: string;
  /** Ask the API server to close the stream after this many seconds. */
  readonly timeoutSeconds?: number;
  /** Ask for BOOKMARK events (resourceVersion progress without changes); default true. */
  readonly allowBookmarks?: boolean;
  /** Closes the stream; the iteration then ends without error. */
  readonly signal?: AbortSignal;
}

/** One event of a watch stream, as the API server sends it. */
export interface WatchEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  readonly object: KubeObject;
}

/** What `/version` says. */
export interface ServerVersion {
  readonly major: string;
  readonly minor: string;
  readonly gitVersion: string;
  readonly platform?: string;
}

interface Prepared {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly payload?: string;
}

function query(params: Readonly<Record<string, string | number | boolean | undefined>>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v));
  const s = q.toString();
  return s === '' ? '' : `?${s}`;
}

/**
 * A client of one cluster's API server. Holds a TLS agent (kept-alive connections verified
 * against the kubeconfig's CA), a token-bucket rate limit applied to every request including
 * discovery, lists and watch (re)connections, and a discovery cache. Create one per registered
 * cluster; {@link ClusterClient.close} it when the cluster is removed or Berth stops. Every
 * method throws {@link KubeError} (a `BerthError`) for an API server's refusal or an unreachable
 * server, and rejects with the signal's reason when the caller's signal aborts.
 */
export class ClusterClient {
  /** The cluster's name in Berth. */
  readonly name: string;
  /** The API server's URL. */
  readonly server: string;
  /** Number of requests sent (after the rate limiter let them go), watch connections included. */
  requestCount = 0;
  readonly #creds: ClusterCredentials;
  readonly #agent: HttpsAgent | HttpAgent;
  readonly #bucket: TokenBucket;
  readonly #timeoutMs: number;
  readonly #maxBytes: number;
  readonly #base: URL;
  readonly #auth: Record<string, string>;
  readonly #discovery = new Map<string, Promise<ResourceInfo[]>>();
  readonly #closing = new AbortController();

  /** Throws `Invalid` (see {@link parseKubeconfig}) for a kubeconfig Berth will not use. */
  constructor(options: ClusterClientOptions) {
    this.name = options.name;
    this.#creds = parseKubeconfig(options.kubeconfig, {
      context: options.context, allowInsecureSkipTlsVerify: options.allowInsecureSkipTlsVerify,
    });
    this.server = this.#creds.server;
    this.#base = new URL(this.#creds.server);
    this.#bucket = new TokenBucket(options.rateLimit ?? defaultRateLimit);
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#maxBytes = options.maxResponseBytes ?? 64 * 1024 * 1024;
    const c = this.#creds;
    const common = { keepAlive: true, maxSockets: options.maxSockets ?? 32, maxFreeSockets: 8 };
    this.#agent = this.#base.protocol === 'http:'
      ? new HttpAgent(common)
      : new HttpsAgent({
        ...common,
        ...(c.caPem === undefined ? {} : { ca: c.caPem }),
        ...(c.clientCertPem === undefined ? {} : { cert: c.clientCertPem, key: c.clientKeyPem }),
        ...(c.tlsServerName === undefined ? {} : { servername: c.tlsServerName }),
        rejectUnauthorized: !c.insecureSkipTlsVerify,
      });
    this.#auth = c.token !== undefined
      ? { authorization: `Bearer ${c.token}` }
      : c.username !== undefined
        ? { authorization: `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}` }
        : {};
  }

  /** The rate limit in force. */
  get rateLimit(): RateLimit {
    return { qps: this.#bucket.qps, burst: this.#bucket.burst };
  }

  /**
   * Closes every connection and ends open watches; later requests fail with `ServiceUnavailable`.
   * Idempotent.
   */
  close(): void {
    if (this.#closing.signal.aborted) return;
    this.#closing.abort(new KubeError('ServiceUnavailable', `cluster ${this.name}: client closed`, { cluster: this.name, httpStatus: 0 }));
    this.#agent.destroy();
  }

  #prepare(method: string, path: string, body?: unknown, contentType = 'application/json'): Prepared {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    return {
      method, path: `${this.#base.pathname === '/' ? '' : this.#base.pathname}${path}`, payload,
      headers: {
        accept: 'application/json', 'user-agent': 'berth', ...this.#auth,
        ...(payload === undefined ? {} : { 'content-type': contentType, 'content-length': String(Buffer.byteLength(payload)) }),
      },
    };
  }

  #send(p: Prepared, signal: AbortSignal): { req: ClientRequest; response: Promise<IncomingMessage> } {
    const send = this.#base.protocol === 'http:' ? httpRequest : httpsRequest;
    const req = send({
      protocol: this.#base.protocol, hostname: this.#base.hostname, port: this.#base.port,
      method: p.method, path: p.path, headers: p.headers, agent: this.#agent, signal,
    });
    const response = new Promise<IncomingMessage>((resolve, reject) => {
      req.once('response', resolve);
      req.once('error', reject);
    });
    req.end(p.payload);
    this.requestCount++;
    return { req, response };
  }

  async #readBody(res: IncomingMessage): Promise<unknown> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res) {
      size += (chunk as Buffer).length;
      if (size > this.#maxBytes) {
        res.destroy();
        throw new KubeError('InternalError', `cluster ${this.name}: answer larger than ${this.#maxBytes} bytes`, { cluster: this.name, httpStatus: res.statusCode ?? 0 });
      }
      chunks.push(chunk as Buffer);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }

  #closedError(): unknown {
    return this.#closing.signal.reason;
  }

  /**
   * Sends one request and returns the parsed JSON answer. Waits for a rate-limit token first.
   * `body` is sent as JSON (or as is when a string) with `contentType`. Throws {@link KubeError}
   * for a non-2xx answer (the API server's `Status` mapped), `Timeout` past the deadline,
   * `ServiceUnavailable` when the server cannot be reached or its certificate is not trusted.
   */
  async request<T = unknown>(method: string, path: string, body?: unknown, options: RequestOptions & { contentType?: string } = {}): Promise<T> {
    const what = `${method} ${path.split('?')[0]}`;
    if (this.#closing.signal.aborted) throw this.#closedError();
    const waitSignal = options.signal === undefined ? this.#closing.signal : AbortSignal.any([options.signal, this.#closing.signal]);
    await this.#bucket.take(waitSignal);
    const deadline = AbortSignal.timeout(options.timeoutMs ?? this.#timeoutMs);
    const signal = AbortSignal.any([waitSignal, deadline]);
    const p = this.#prepare(method, path, body, options.contentType);
    try {
      const { response } = this.#send(p, signal);
      const res = await response;
      const parsed = await this.#readBody(res);
      const code = res.statusCode ?? 0;
      if (code < 200 || code > 299) throw errorFromResponse(this.name, code, parsed, what);
      return parsed as T;
    } catch (err) {
      if (err instanceof BerthError) throw err;
      if (options.signal?.aborted === true) throw options.signal.reason;
      if (this.#closing.signal.aborted) throw this.#closedError();
      throw errorFromNetwork(this.name, err, what, deadline.aborted);
    }
  }

  /**
   * Where `ref`'s kind is served: the static table for Berth's own kinds, else the group
   * version's discovery document (cached for the client's life; a failed look-up is not cached).
   * Throws `NotFound` when the API server does not serve the kind.
   */
  async resource(ref: KindRef, options: RequestOptions = {}): Promise<ResourceInfo> {
    const fixed = knownResource(ref);
    if (fixed !== undefined) return fixed;
    let listed = this.#discovery.get(ref.apiVersion);
    if (listed === undefined) {
      listed = this.request('GET', discoveryPath(ref.apiVersion), undefined, options)
        .then((doc) => resourcesFromDiscovery(ref.apiVersion, doc));
      this.#discovery.set(ref.apiVersion, listed);
      listed.catch(() => this.#discovery.delete(ref.apiVersion));
    }
    let found: ResourceInfo | undefined;
    try {
      found = (await listed).find((r) => r.kind === ref.kind);
    } catch (err) {
      if (err instanceof BerthError && err.reason === 'NotFound') found = undefined;
      else throw err;
    }
    if (found === undefined) {
      throw new KubeError('NotFound', `cluster ${this.name}: the server does not serve kind ${ref.kind} in ${ref.apiVersion}`, {
        cluster: this.name, httpStatus: 404, kind: ref.kind,
      });
    }
    return found;
  }

  async #objectPath(obj: KubeObject, signal?: AbortSignal): Promise<{ path: string; r: ResourceInfo }> {
    const name = obj.metadata?.name;
    const namespace = obj.metadata?.namespace;
    const kindName = obj.kind ?? '';
    if (typeof obj.apiVersion !== 'string' || obj.apiVersion === '' || kindName === '' || typeof name !== 'string' || name === '') {
      throw invalid(kindName || 'Object', name ?? '', [{ field: 'apiVersion, kind, metadata.name', message: 'are required' }]);
    }
    const r = await this.resource({ apiVersion: obj.apiVersion, kind: kindName }, { signal });
    if (r.namespaced && (namespace === undefined || namespace === '')) {
      throw invalid(kindName, name, [{ field: 'metadata.namespace', message: `is required: ${kindName} is namespaced` }]);
    }
    if (!r.namespaced && namespace !== undefined) {
      throw invalid(kindName, name, [{ field: 'metadata.namespace', message: `must be empty: ${kindName} is cluster-scoped` }]);
    }
    return { path: resourcePath(r, namespace, name), r };
  }

  /**
   * Server-side apply of `obj` (which must carry apiVersion, kind, metadata.name and, for
   * namespaced kinds, metadata.namespace) as field manager `berth`. Returns the object as the
   * API server now holds it (or would, with `dryRun`). Idempotent: applying the same object
   * again changes nothing (same resourceVersion). Without `force`, fields owned by another
   * manager with other values make it throw `Conflict` whose `conflicts` name each field and
   * its manager. Throws `Invalid` for an object the API server (or this method) refuses.
   */
  async apply<T extends KubeObject = KubeObject>(obj: KubeObject, options: ApplyOptions = {}): Promise<T> {
    const { path } = await this.#objectPath(obj, options.signal);
    const q = query({
      fieldManager: options.fieldManager ?? berthFieldManager,
      force: options.force === true ? true : undefined,
      dryRun: options.dryRun === true ? 'All' : undefined,
    });
    return this.request<T>('PATCH', `${path}${q}`, obj, { ...options, contentType: 'application/apply-patch+yaml' });
  }

  /** Reads one object. Throws `NotFound` when it does not exist. */
  async get<T extends KubeObject = KubeObject>(ref: KindRef, name: string, namespace?: string, options: RequestOptions = {}): Promise<T> {
    const r = await this.resource(ref, options);
    return this.request<T>('GET', resourcePath(r, namespace, name), undefined, options);
  }

  /**
   * Deletes one object (`propagationPolicy` Background unless given). Resolves once the API
   * server accepted the deletion (finalizers may keep the object a while). Throws `NotFound`
   * when it does not exist.
   */
  async delete(ref: KindRef, name: string, namespace?: string, options: RequestOptions & {
    readonly propagationPolicy?: 'Background' | 'Foreground' | 'Orphan'; readonly dryRun?: boolean;
  } = {}): Promise<void> {
    const r = await this.resource(ref, options);
    await this.request('DELETE', resourcePath(r, namespace, name), {
      apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: options.propagationPolicy ?? 'Background',
      ...(options.dryRun === true ? { dryRun: ['All'] } : {}),
    }, options);
  }

  /**
   * Lists every object of a kind (one namespace, or all when `namespace` is absent), reading
   * all pages, and returns them with the list's resourceVersion (a consistent snapshot to
   * watch from). If a continue token expires between pages (410), lists again from the start.
   */
  async list<T extends KubeObject = KubeObject>(ref: KindRef, options: ListOptions = {}): Promise<ListResult<T>> {
    const r = await this.resource(ref, options);
    const base = resourcePath(r, options.namespace);
    for (;;) {
      const items: T[] = [];
      let cont: string | undefined;
      let resourceVersion = '';
      try {
        do {
          const page = await this.request<{ items?: T[]; metadata?: { resourceVersion?: string; continue?: string } }>('GET', `${base}${query({
            labelSelector: options.labelSelector, fieldSelector: options.fieldSelector, limit: options.limit ?? 500, continue: cont,
          })}`, undefined, options);
          for (const item of page.items ?? []) {
            // List items come without apiVersion and kind; handlers want whole objects.
            items.push({ apiVersion: r.apiVersion, kind: r.kind, ...item });
          }
          resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
          cont = page.metadata?.continue === '' ? undefined : page.metadata?.continue;
        } while (cont !== undefined);
        return { items, resourceVersion };
      } catch (err) {
        if (cont !== undefined && err instanceof BerthError && err.reason === 'Gone') continue;
        throw err;
      }
    }
  }

  /**
   * Opens a watch and yields its events until the API server closes the stream (then the
   * iteration ends), `signal` aborts (ends too) or the connection fails (throws
   * `ServiceUnavailable`). The API server's refusal to start (for example 410 `Gone` for a
   * resourceVersion too old) throws the mapped {@link KubeError}; a 410 that arrives as an
   * `ERROR` event is yielded as that event. The connection counts against the rate limit.
   */
  async *watch(ref: KindRef, options: WatchOptions = {}): AsyncGenerator<WatchEvent> {
    const r = await this.resource(ref, { signal: options.signal });
    const path = `${resourcePath(r, options.namespace)}${query({
      watch: true, resourceVersion: options.resourceVersion, labelSelector: options.labelSelector, fieldSelector: options.fieldSelector,
      timeoutSeconds: options.timeoutSeconds, allowWatchBookmarks: options.allowBookmarks === false ? undefined : true,
    })}`;
    const what = `WATCH ${resourcePath(r, options.namespace)}`;
    if (this.#closing.signal.aborted) throw this.#closedError();
    const stop = options.signal === undefined ? this.#closing.signal : AbortSignal.any([options.signal, this.#closing.signal]);
    await this.#bucket.take(stop);
    const connect = new AbortController();
    const connectDeadline = setTimeout(() => connect.abort(), this.#timeoutMs);
    const signal = AbortSignal.any([stop, connect.signal]);
    let res: IncomingMessage;
    let req: ClientRequest;
    try {
      const sent = this.#send(this.#prepare('GET', path), signal);
      req = sent.req;
      res = await sent.response;
    } catch (err) {
      if (options.signal?.aborted === true) return;
      if (this.#closing.signal.aborted) throw this.#closedError();
      throw errorFromNetwork(this.name, err, what, connect.signal.aborted);
    } finally {
      clearTimeout(connectDeadline);
    }
    // Silence for longer than the server's own timeout (plus slack) means a dead connection.
    req.setTimeout(((options.timeoutSeconds ?? 300) + 30) * 1000, () => req.destroy(new Error('watch stream idle')));
    if (res.statusCode !== 200) {
      const body = await this.#readBody(res);
      throw errorFromResponse(this.name, res.statusCode ?? 0, body, what);
    }
    const lines = createInterface({ input: res, crlfDelay: Infinity });
    try {
      for await (const line of lines) {
        if (line.trim() === '') continue;
        let event: WatchEvent;
        try {
          event = JSON.parse(line) as WatchEvent;
        } catch {
          throw new KubeError('InternalError', `cluster ${this.name}: ${what}: the API server sent a line that is not JSON`, { cluster: this.name, httpStatus: 200 });
        }
        yield event;
      }
      if (res.errored !== null && res.errored !== undefined) throw res.errored;
    } catch (err) {
      if (err instanceof BerthError) throw err;
      if (stop.aborted) {
        if (options.signal?.aborted === true) return;
        throw this.#closedError();
      }
      throw errorFromNetwork(this.name, err, what, false);
    } finally {
      lines.close();
      req.destroy();
    }
  }

  /** The API server's `/version`. */
  version(options: RequestOptions = {}): Promise<ServerVersion> {
    return this.request<ServerVersion>('GET', '/version', undefined, options);
  }
}
