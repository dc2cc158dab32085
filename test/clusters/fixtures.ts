// node:test fixtures over real test clusters: a cluster per test, Nodes the scheduler can bind
// pods to, namespaces ready for pods, waiting for ResourceQuota status to catch up, and on
// clusters with real nodes: waiting for pods Ready and running commands in them.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { TestContext } from 'node:test';
import { startClusters } from './cluster.ts';
import type { Cluster, ClusterOptions, KubeResponse } from './cluster.ts';

/** A Kubernetes object as JSON, with the fields the fixtures read. */
export interface KubeObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata?: { readonly name?: string; readonly namespace?: string; readonly labels?: Readonly<Record<string, string>>; readonly [k: string]: unknown };
  readonly spec?: Readonly<Record<string, unknown>>;
  readonly status?: Readonly<Record<string, unknown>>;
  readonly [k: string]: unknown;
}

/** A DNS-1123 name that no other test uses: `prefix-` and 8 random hex digits. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** When a fixture first saw a pod of a cluster Ready (epoch ms): the end of "time to first Ready pod". */
const firstPodReady = new WeakMap<Cluster, number>();

/** Epoch milliseconds at which {@link waitForPodReady} or {@link waitForPodsReady} first saw a pod of `cluster` Ready; `undefined` before. */
export function firstPodReadyAt(cluster: Cluster): number | undefined {
  return firstPodReady.get(cluster);
}

function notePodReady(cluster: Cluster): void {
  if (!firstPodReady.has(cluster)) firstPodReady.set(cluster, Date.now());
}

async function reportFailure(clusters: readonly Cluster[], t: TestContext | undefined): Promise<void> {
  for (const c of clusters) {
    // The tail first: stopping removes the cluster folder and its logs with it.
    const logs = c.logTail(40);
    const kept = await c.stop({ keepLogs: true });
    const text = `cluster ${c.name} logs kept in ${kept}\n${logs}`;
    if (t !== undefined) t.diagnostic(`cluster ${c.name} logs kept in ${kept}`);
    process.stderr.write(`${text}\n`);
  }
}

/**
 * Wraps a node:test body: starts a cluster, runs `fn`, stops the cluster. When `fn` throws,
 * prints the tail of every component's log and keeps the logs before rethrowing. With
 * `options.nodes` the cluster has real worker nodes (see README), and the time each took to be
 * Ready, and the time from the cluster's start to the first pod a fixture saw Ready, are
 * reported as test diagnostics.
 */
export function withCluster(
  fn: (cluster: Cluster, t: TestContext) => Promise<void>,
  options: ClusterOptions = {},
): (t: TestContext) => Promise<void> {
  return withClusters(1, (clusters, t) => fn(clusters[0], t), options);
}

/** Like {@link withCluster} with `n` independent clusters started at once. */
export function withClusters(
  n: number,
  fn: (clusters: readonly Cluster[], t: TestContext) => Promise<void>,
  options: ClusterOptions = {},
): (t: TestContext) => Promise<void> {
  return async (t) => {
    const began = Date.now();
    const clusters = await startClusters(n, options);
    for (const c of clusters) {
      if (c.nodes.length > 0) {
        t.diagnostic(`cluster ${c.name}: control plane ${c.startMs} ms, then ${c.nodes.map((x) => `${x.name} Ready in ${x.readyMs} ms`).join(', ')}`);
      }
    }
    try {
      await fn(clusters, t);
    } catch (err) {
      await reportFailure(clusters, t);
      throw err;
    } finally {
      for (const c of clusters) {
        const at = firstPodReady.get(c);
        if (c.nodes.length > 0 && at !== undefined) t.diagnostic(`cluster ${c.name}: first pod Ready ${at - began} ms after the cluster's start`);
      }
      await Promise.all(clusters.map((c) => c.stop()));
    }
  };
}

/** Throws an error naming the request and the API server's answer unless `res` is 2xx. */
export function expectOk(res: KubeResponse, what: string): unknown {
  if (res.status < 200 || res.status > 299) throw new Error(`${what}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** A Node to create: its capacity (allocatable is the same unless given) and labels. */
export interface NodeSpec {
  readonly name?: string;
  /** Capacity by resource name, e.g. `{ cpu: '4', memory: '8Gi', pods: '110' }`; `pods` defaults to 110. */
  readonly capacity: Readonly<Record<string, string>>;
  readonly allocatable?: Readonly<Record<string, string>>;
  readonly labels?: Readonly<Record<string, string>>;
  /** Taints to keep; the fixture removes the not-ready taint that TaintNodesByCondition adds. */
  readonly taints?: readonly Readonly<Record<string, string>>[];
}

/**
 * Creates a Ready Node with the given capacity and labels that kube-scheduler will bind pods
 * to. No kubelet runs, so the fixture plays its part: status with a Ready condition, and the
 * `node.kubernetes.io/not-ready` taint (added at creation by the TaintNodesByCondition
 * admission plugin, normally lifted by the node lifecycle controller) removed. Returns the Node.
 * Throws with the API server's answer if a request fails.
 */
export async function createNode(cluster: Cluster, spec: NodeSpec): Promise<KubeObject> {
  const name = spec.name ?? uniqueName('node');
  const capacity = { pods: '110', ...spec.capacity };
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const status = {
    capacity,
    allocatable: spec.allocatable ?? capacity,
    conditions: [{
      type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'berth test node',
      lastHeartbeatTime: now, lastTransitionTime: now,
    }],
    addresses: [{ type: 'InternalIP', address: '127.0.0.1' }, { type: 'Hostname', address: name }],
  };
  expectOk(await cluster.request('POST', '/api/v1/nodes', {
    apiVersion: 'v1', kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...spec.labels } },
    spec: { taints: spec.taints ?? [] },
    status,
  }), `create Node ${name}`);
  expectOk(await cluster.request('PATCH', `/api/v1/nodes/${name}`, { spec: { taints: spec.taints ?? [] } },
    'application/merge-patch+json'), `untaint Node ${name}`);
  // Status sent with a create may be dropped by the registry; setting it again is idempotent.
  return expectOk(await cluster.request('PATCH', `/api/v1/nodes/${name}/status`, { status },
    'application/merge-patch+json'), `set status of Node ${name}`) as KubeObject;
}

/** Polls `probe` every `intervalMs` until it returns a value other than `undefined`; throws `what` on timeout. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last === undefined ? '' : `: ${String(last)}`}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * Creates a Namespace (unique name from `prefix` unless `name` is given) and waits until its
 * `default` ServiceAccount exists, without which the ServiceAccount admission plugin refuses
 * pods. Returns the namespace name.
 */
export async function createNamespace(
  cluster: Cluster,
  options: { readonly name?: string; readonly prefix?: string; readonly labels?: Readonly<Record<string, string>> } = {},
): Promise<string> {
  const name = options.name ?? uniqueName(options.prefix ?? 'ns');
  expectOk(await cluster.request('POST', '/api/v1/namespaces', {
    apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: options.labels ?? {} },
  }), `create Namespace ${name}`);
  await eventually(`ServiceAccount ${name}/default`, async () => {
    const res = await cluster.request('GET', `/api/v1/namespaces/${name}/serviceaccounts/default`);
    return res.status === 200 ? true : undefined;
  });
  return name;
}

/**
 * Waits until the ResourceQuota's status has caught up: `status.hard` equals `spec.hard`
 * (the quota controller has seen the current spec), `status.used` has every hard resource,
 * and, when `expectedUsed` is given, every listed resource's used equals it (quantities in the
 * API server's canonical form, e.g. `500m`, `1Gi`). Returns the quota's status. Throws on timeout,
 * naming the last status seen.
 */
export async function waitForQuotaUsed(
  cluster: Cluster,
  namespace: string,
  name: string,
  expectedUsed?: Readonly<Record<string, string>>,
  timeoutMs = 30_000,
): Promise<{ readonly hard: Record<string, string>; readonly used: Record<string, string> }> {
  let last: unknown;
  try {
    return await eventually(`ResourceQuota ${namespace}/${name} status`, async () => {
      const res = await cluster.request('GET', `/api/v1/namespaces/${namespace}/resourcequotas/${name}`);
      const quota = expectOk(res, `get ResourceQuota ${namespace}/${name}`) as KubeObject;
      last = quota.status;
      const specHard = (quota.spec?.hard ?? {}) as Record<string, string>;
      const status = (quota.status ?? {}) as { hard?: Record<string, string>; used?: Record<string, string> };
      const hard = status.hard ?? {};
      const used = status.used ?? {};
      if (!isDeepStrictEqual(Object.keys(hard).sort(), Object.keys(specHard).sort())) return undefined;
      if (Object.keys(specHard).some((k) => used[k] === undefined)) return undefined;
      if (expectedUsed !== undefined && Object.entries(expectedUsed).some(([k, v]) => used[k] !== v)) return undefined;
      return { hard, used };
    }, timeoutMs);
  } catch (err) {
    throw new Error(`${(err as Error).message}; last status ${JSON.stringify(last)}`);
  }
}

/**
 * Waits until the pod is Ready (condition `Ready` true) and returns it. Throws on timeout
 * naming the pod's phase, conditions and container states, or at once when the pod failed.
 */
export async function waitForPodReady(cluster: Cluster, namespace: string, name: string, timeoutMs = 60_000): Promise<KubeObject> {
  let last: unknown;
  try {
    return await eventually(`pod ${namespace}/${name} Ready`, async () => {
      const pod = expectOk(await cluster.request('GET', `/api/v1/namespaces/${namespace}/pods/${name}`), `get pod ${namespace}/${name}`) as KubeObject;
      const status = (pod.status ?? {}) as { phase?: string; conditions?: { type: string; status: string }[]; containerStatuses?: unknown };
      last = { phase: status.phase, conditions: status.conditions, containers: status.containerStatuses };
      if (status.phase === 'Failed') throw new Error(`pod ${namespace}/${name} failed: ${JSON.stringify(last)}`);
      if (status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') !== true) return undefined;
      notePodReady(cluster);
      return pod;
    }, timeoutMs, 200);
  } catch (err) {
    throw new Error(`${(err as Error).message}; last status ${JSON.stringify(last)}`);
  }
}

/** What a command run in a container printed, and how it ended. */
export interface ExecResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `command` in a container of a pod with the cluster's own `kubectl exec` (the API server's
 * exec subresource, streamed from the node's kubelet). Never throws for a non-zero exit: the
 * code is in the result (kubectl passes the command's exit code on).
 */
export function execInPod(
  cluster: Cluster, namespace: string, pod: string, command: readonly string[],
  options: { readonly container?: string; readonly timeoutMs?: number } = {},
): Promise<ExecResult> {
  const args = ['--kubeconfig', cluster.kubeconfigPath, 'exec', '-n', namespace, pod,
    ...(options.container === undefined ? [] : ['-c', options.container]), '--', ...command];
  return new Promise((resolve) => {
    execFile(join(cluster.binDir, 'kubectl'), args, { timeout: options.timeoutMs ?? 30_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * Waits until exactly `count` pods match `labelSelector` in the namespace and every one is
 * Ready and not being deleted; returns them. Throws on timeout naming each pod's phase and
 * readiness, or at once when one failed.
 */
export async function waitForPodsReady(
  cluster: Cluster, namespace: string, labelSelector: string, count: number, timeoutMs = 90_000,
): Promise<KubeObject[]> {
  let last: unknown;
  try {
    return await eventually(`${count} pods ${labelSelector} Ready in ${namespace}`, async () => {
      const list = expectOk(await cluster.request('GET', `/api/v1/namespaces/${namespace}/pods?labelSelector=${encodeURIComponent(labelSelector)}`),
        `list pods ${labelSelector}`) as { items: KubeObject[] };
      const pods = list.items.filter((p) => p.metadata?.deletionTimestamp === undefined);
      const ready = (p: KubeObject): boolean => ((p.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? [])
        .some((c) => c.type === 'Ready' && c.status === 'True');
      last = pods.map((p) => ({ name: p.metadata?.name, phase: p.status?.phase, ready: ready(p) }));
      const failed = pods.find((p) => p.status?.phase === 'Failed');
      if (failed !== undefined) throw new Error(`pod ${namespace}/${failed.metadata?.name} failed: ${JSON.stringify(failed.status)}`);
      if (pods.some(ready)) notePodReady(cluster);
      return pods.length === count && pods.every(ready) ? pods : undefined;
    }, timeoutMs, 250);
  } catch (err) {
    throw new Error(`${(err as Error).message}; last seen ${JSON.stringify(last)}`);
  }
}

/** What a connection from a pod got: `ok` when the peer answered, with its answer (the responder names its pod). */
export interface ConnectResult {
  readonly ok: boolean;
  readonly answer: string;
  /** Why it failed, as the probe said (refused, timed out, no such host). */
  readonly error: string;
}

/**
 * Opens a TCP or UDP connection from pod `from` (which must run the `responder` image of
 * `NODE_IMAGES`, images.ts) to `target` (`host:port`: a pod IP, a Service's ClusterIP or DNS name, a
 * node address), with `responder probe`: over TCP an HTTP GET, over UDP one datagram. `ok` when
 * an answer came within `timeoutSeconds` (default 2). Never throws for a failed connection.
 */
export async function connect(
  cluster: Cluster, namespace: string, from: string, protocol: 'tcp' | 'udp', target: string, timeoutSeconds = 2,
): Promise<ConnectResult> {
  const res = await execInPod(cluster, namespace, from, ['responder', 'probe', protocol, target, String(timeoutSeconds)],
    { timeoutMs: (timeoutSeconds * 1000) + 20_000 });
  return { ok: res.code === 0, answer: res.stdout, error: res.code === 0 ? '' : (res.stderr.trim() || `exit ${res.code}`) };
}
