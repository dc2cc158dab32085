// Starts and stops real Kubernetes control planes (etcd, kube-apiserver, kube-controller-manager,
// kube-scheduler) as plain processes on loopback, one temporary folder each. By default no
// kubelet runs: Nodes are objects that tests create, so pods get scheduled but never start.
// With `nodes: N` the cluster also gets N real worker nodes (node.ts) where pods run.
import { KubeConfig } from '@kubernetes/client-node';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeLogTail, startNode } from './node.ts';
import type { ClusterNode, NodeRegistry } from './node.ts';
import { writeClusterPki } from './pki.ts';
import type { ClusterPki } from './pki.ts';
import { killComponentsNow, reapStaleClusters, startComponent, stopComponents, writeOwner } from './processes.ts';
import type { Component } from './processes.ts';

/** Admission plugins enabled on top of kube-apiserver's defaults (issue 4). */
export const ADMISSION_PLUGINS: readonly string[] = [
  'NamespaceLifecycle', 'LimitRanger', 'ServiceAccount', 'ResourceQuota', 'DefaultStorageClass',
  'MutatingAdmissionWebhook', 'ValidatingAdmissionWebhook', 'ValidatingAdmissionPolicy',
];

/**
 * Controllers added for clusters with real nodes: the node lifecycle controller lifts the
 * `node.kubernetes.io/not-ready` taint from a Node whose kubelet reports Ready (without it the
 * taint stays and nothing schedules). Clusters without kubelets leave it out: it would mark the
 * Nodes that tests create NotReady once no heartbeat came for the grace period, and evict.
 * The EndpointSlice controller gives Services with selectors the slices that kube-proxy routes to.
 */
export const NODE_CONTROLLERS: readonly string[] = ['node-lifecycle-controller', 'endpointslice-controller'];

/** kube-controller-manager controllers the clusters run. */
export const CONTROLLERS: readonly string[] = [
  'namespace-controller', 'resourcequota-controller', 'serviceaccount-controller', 'serviceaccount-token-controller',
  'persistentvolume-binder-controller', 'replicaset-controller', 'deployment-controller',
  'garbage-collector-controller', 'node-ipam-controller',
  // Publishes kube-root-ca.crt, which every pod's service-account token volume refers to.
  'root-ca-certificate-publisher-controller',
  // Fills the aggregated ClusterRoles admin, edit and view, which tenant RoleBindings refer to.
  'clusterrole-aggregation-controller',
];

/** How to start a cluster. Every field has a default that works on a laptop. */
export interface ClusterOptions {
  /** Short name used in folder names and logs; default `c`. */
  readonly name?: string;
  /** `--service-node-port-range`; default `30000-32767`. */
  readonly serviceNodePortRange?: string;
  /** `--service-cluster-ip-range`; default `10.96.0.0/16`. */
  readonly serviceClusterIpRange?: string;
  /** `--cluster-cidr` that nodeipam splits among Nodes; default `10.244.0.0/16`. */
  readonly clusterCidr?: string;
  /** `--node-cidr-mask-size`; default 24. */
  readonly nodeCidrMaskSize?: number;
  /** Folder with the binaries; default {@link kubeBinDir}(). */
  readonly binDir?: string;
  /** Folder under which cluster folders are made (and stale ones reaped); default {@link clusterRoot}(). */
  readonly root?: string;
  /** How long to wait for the control plane; default 60 s. */
  readonly readyTimeoutMs?: number;
  /** Extra kube-apiserver flags, appended last so they win. */
  readonly apiserverArgs?: readonly string[];
  /** Extra kube-controller-manager flags, appended last so they win. */
  readonly controllerManagerArgs?: readonly string[];
  /** Real worker nodes (kubelet, containerd, CNI) to start once the control plane is up; default 0. */
  readonly nodes?: number;
  /** The registry the nodes pull from, the pod sandbox image included; required when `nodes` > 0. */
  readonly nodeRegistry?: NodeRegistry;
}

/** An HTTP answer of the API server: status code and parsed JSON body (or raw text). */
export interface KubeResponse {
  readonly status: number;
  readonly body: unknown;
}

/** Loopback ports of a cluster's components. */
export interface ClusterPorts {
  readonly etcdClient: number;
  readonly etcdPeer: number;
  readonly apiserver: number;
  readonly controllerManager: number;
  readonly scheduler: number;
}

const here = dirname(fileURLToPath(import.meta.url));

/** The `k8s.io/kubernetes` version that `test/clusters/go.mod` builds, e.g. `v1.37.2`. */
export function kubeVersion(): string {
  const goMod = readFileSync(join(here, 'go.mod'), 'utf8');
  const match = /^\s*k8s\.io\/kubernetes (v\S+)/m.exec(goMod);
  if (match === null) throw new Error(`${join(here, 'go.mod')} does not require k8s.io/kubernetes`);
  return match[1];
}

const BINARIES = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubectl'] as const;

/**
 * The folder holding the built binaries: `BERTH_KUBE_BIN`, else
 * `${BERTH_CACHE_DIR:-~/.cache/berth}/kube/<version>/bin` as `test/clusters/build.sh` makes it.
 * Throws, naming the folder and the command that builds it, when a binary is missing.
 */
export function kubeBinDir(): string {
  const cacheRoot = process.env.BERTH_CACHE_DIR ?? join(homedir(), '.cache', 'berth');
  const dir = process.env.BERTH_KUBE_BIN ?? join(cacheRoot, 'kube', kubeVersion(), 'bin');
  const missing = BINARIES.filter((b) => !existsSync(join(dir, b)));
  if (missing.length > 0) {
    throw new Error(`Kubernetes test binaries missing in ${dir} (${missing.join(', ')}): run test/clusters/build.sh`
      + ' (or .ci/setup/30-kube.sh), which builds them once from the Go module proxy');
  }
  return dir;
}

/** Folder under which test clusters live: `BERTH_CLUSTER_ROOT`, else `<tmpdir>/berth-clusters`. */
export function clusterRoot(): string {
  return process.env.BERTH_CLUSTER_ROOT ?? join(tmpdir(), 'berth-clusters');
}

/** Folder where logs of failed clusters are kept: `BERTH_CLUSTER_LOGS`, else `<tmpdir>/berth-cluster-logs`. */
export function keptLogsRoot(): string {
  return process.env.BERTH_CLUSTER_LOGS ?? join(tmpdir(), 'berth-cluster-logs');
}

async function freePorts(count: number): Promise<number[]> {
  // All listeners stay open until every port is known, so the same port is never handed out twice.
  const servers = await Promise.all(Array.from({ length: count }, () => new Promise<Server>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  })));
  const ports = servers.map((s) => {
    const address = s.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    return address.port;
  });
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

function firstServiceIp(range: string): string {
  const [address] = range.split('/');
  const octets = address.split('.').map(Number);
  if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255)) {
    throw new Error(`serviceClusterIpRange ${range}: only IPv4 ranges are supported by the test clusters`);
  }
  const value = ((octets[0] << 24) >>> 0) + (octets[1] << 16) + (octets[2] << 8) + octets[3] + 1;
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

function kubeconfig(server: string, pki: ClusterPki, user: string, cert: string, key: string): string {
  return JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': user,
    clusters: [{ name: 'berth-test', cluster: { server, 'certificate-authority': pki.caCert } }],
    users: [{ name: user, user: { 'client-certificate': cert, 'client-key': key } }],
    contexts: [{ name: user, context: { cluster: 'berth-test', user } }],
  }, null, 2);
}

function tail(file: string, lines: number): string {
  try {
    const text = readFileSync(file, 'utf8').trimEnd().split('\n');
    return text.slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** One running control plane. Create with {@link startCluster}; always {@link Cluster.stop} it. */
export class Cluster {
  /** The cluster's name, unique among running clusters. */
  readonly name: string;
  /** The cluster's temporary folder (removed by stop). */
  readonly dir: string;
  /** `https://127.0.0.1:<port>` of kube-apiserver. */
  readonly server: string;
  /** Path of an admin kubeconfig (group `system:masters`). */
  readonly kubeconfigPath: string;
  readonly ports: ClusterPorts;
  readonly pki: ClusterPki;
  readonly serviceNodePortRange: string;
  readonly serviceClusterIpRange: string;
  readonly clusterCidr: string;
  readonly nodeCidrMaskSize: number;
  /** Folder of the Kubernetes binaries the cluster runs. */
  readonly binDir: string;
  /** Milliseconds from the call of startCluster to every component being healthy. */
  startMs = 0;
  readonly #components: Component[] = [];
  readonly #nodes: ClusterNode[] = [];
  readonly #agent: Agent;
  readonly #exitHook: () => void;
  readonly #signalHook: (signal: NodeJS.Signals) => void;
  #stopped = false;

  constructor(init: {
    name: string; dir: string; ports: ClusterPorts; pki: ClusterPki; serviceNodePortRange: string;
    serviceClusterIpRange: string; clusterCidr: string; nodeCidrMaskSize: number; binDir: string;
  }) {
    this.name = init.name;
    this.binDir = init.binDir;
    this.dir = init.dir;
    this.ports = init.ports;
    this.pki = init.pki;
    this.serviceNodePortRange = init.serviceNodePortRange;
    this.serviceClusterIpRange = init.serviceClusterIpRange;
    this.clusterCidr = init.clusterCidr;
    this.nodeCidrMaskSize = init.nodeCidrMaskSize;
    this.server = `https://127.0.0.1:${init.ports.apiserver}`;
    this.kubeconfigPath = join(init.dir, 'admin.kubeconfig');
    this.#agent = new Agent({
      keepAlive: true, ca: readFileSync(init.pki.caCert), cert: readFileSync(init.pki.adminCert), key: readFileSync(init.pki.adminKey),
    });
    this.#exitHook = () => {
      killComponentsNow(this.#components);
      try {
        for (const n of this.#nodes) n.stopNow();
      } catch {
        // Something stays mounted: the folder stays too, for the reaper.
        return;
      }
      rmSync(this.dir, { recursive: true, force: true });
    };
    process.on('exit', this.#exitHook);
    // Interrupted (Ctrl-C, or a test runner's SIGTERM), Node exits without 'exit' hooks:
    // kill the components now, then let the signal take its default course.
    this.#signalHook = (signal) => {
      this.#exitHook();
      process.off('SIGINT', this.#signalHook);
      process.off('SIGTERM', this.#signalHook);
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.on('SIGINT', this.#signalHook);
    process.on('SIGTERM', this.#signalHook);
  }

  /** The running components (for tests of the starter itself). */
  get components(): readonly Component[] {
    return this.#components;
  }

  /** The cluster's real worker nodes (empty unless started with `nodes`). */
  get nodes(): readonly ClusterNode[] {
    return this.#nodes;
  }

  /** @internal Adds a started node; {@link Cluster.stop} stops it first. */
  adoptNode(node: ClusterNode): void {
    this.#nodes.push(node);
  }

  /** @internal Adds a started component and records its pid in the owner file. */
  adopt(component: Component): void {
    this.#components.push(component);
    writeOwner(this.dir, this.#components.map((c) => c.pid));
  }

  /**
   * Stops kube-apiserver alone, as {@link Cluster.stop} would (SIGTERM, SIGKILL after 1 s), for
   * outage tests: etcd and the controllers keep running, so nothing stored is lost. Returns a
   * function that starts it again with the same command line (same port, same certificates) and
   * resolves once the control plane is healthy again. Throws when kube-apiserver is not running.
   */
  async stopApiserver(): Promise<() => Promise<void>> {
    const old = this.#components.find((c) => c.name === 'kube-apiserver' && c.exit === undefined);
    if (old === undefined) throw new Error(`cluster ${this.name}: kube-apiserver is not running`);
    // The command line is read back rather than rebuilt: it holds the options the cluster started with.
    const argv = readFileSync(`/proc/${old.pid}/cmdline`, 'utf8').split('\0').filter((a) => a !== '');
    await stopComponents([old], 1000);
    this.#components.splice(this.#components.indexOf(old), 1);
    writeOwner(this.dir, this.#components.map((c) => c.pid));
    return async () => {
      this.adopt(startComponent('kube-apiserver', argv[0], argv.slice(1), old.logFile));
      await waitHealthy(this, Date.now() + 60_000);
    };
  }

  /** A fresh `@kubernetes/client-node` KubeConfig for the admin user. */
  kubeConfig(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromFile(this.kubeconfigPath);
    return kc;
  }

  /**
   * Sends one request to kube-apiserver as admin. `body` is sent as JSON (or with
   * `contentType`, e.g. a merge patch). Never throws for an HTTP error status: the answer
   * (a Kubernetes `Status` for errors) is returned as is. Throws on a network failure.
   */
  request(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<KubeResponse> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = httpsRequest(`${this.server}${path}`, {
        method, agent: this.#agent,
        headers: { accept: 'application/json', ...(payload === undefined ? {} : { 'content-type': contentType }) },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // Not JSON (for instance /readyz); the raw text is the answer.
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** The last `lines` lines of every component's log, each under a header. */
  logTail(lines = 40): string {
    return [
      ...this.#components.map((c) => `----- ${this.name}/${c.name} (${c.logFile}) -----\n${tail(c.logFile, lines)}`),
      ...this.#nodes.map((n) => nodeLogTail(n, lines)),
    ].join('\n');
  }

  /**
   * Stops the worker nodes (see {@link ClusterNode.stop}), then every component, and removes
   * the cluster folder: SIGTERM to the controllers and
   * kube-apiserver, SIGKILL after 1 s, then the same for etcd with 3 s. kube-apiserver would
   * otherwise wait up to its request timeout (60 s) for its own loopback watches, and a test
   * cluster's data is thrown away anyway.
   * With `keepLogs`, first copies the logs under {@link keptLogsRoot}() and returns that folder.
   * Idempotent.
   */
  async stop(options: { readonly keepLogs?: boolean } = {}): Promise<string | undefined> {
    if (this.#stopped) return undefined;
    this.#stopped = true;
    let kept: string | undefined;
    let nodesGone = false;
    try {
      if (options.keepLogs === true) {
        kept = join(keptLogsRoot(), `${basename(this.dir)}-${Date.now()}`);
        mkdirSync(dirname(kept), { recursive: true });
        for (const n of this.#nodes) cpSync(join(n.dir, 'logs'), join(kept, n.name), { recursive: true });
      }
      // Nodes first: their kubelets would otherwise spend the grace period retrying the API server.
      await Promise.all(this.#nodes.map((n) => n.stop()));
      nodesGone = true;
      await stopComponents(this.#components.filter((c) => c.name !== 'etcd'), 1000);
      await stopComponents(this.#components.filter((c) => c.name === 'etcd'), 3000);
      if (kept !== undefined) cpSync(join(this.dir, 'logs'), kept, { recursive: true });
    } finally {
      this.#agent.destroy();
      // A node that could not unmount everything keeps the folder (the reaper retries later):
      // removing it could reach through a mount into the host.
      if (nodesGone || this.#nodes.length === 0) rmSync(this.dir, { recursive: true, force: true });
      process.off('exit', this.#exitHook);
      process.off('SIGINT', this.#signalHook);
      process.off('SIGTERM', this.#signalHook);
    }
    return kept;
  }
}

function clusterArgs(c: Cluster, binDir: string, options: ClusterOptions): Record<string, [string, string[]]> {
  const p = c.pki;
  const dir = c.dir;
  const kcmKubeconfig = join(dir, 'controller-manager.kubeconfig');
  const schedulerKubeconfig = join(dir, 'scheduler.kubeconfig');
  writeFileSync(c.kubeconfigPath, kubeconfig(c.server, p, 'berth-admin', p.adminCert, p.adminKey));
  writeFileSync(kcmKubeconfig, kubeconfig(c.server, p, 'kube-controller-manager', p.controllerManagerCert, p.controllerManagerKey));
  writeFileSync(schedulerKubeconfig, kubeconfig(c.server, p, 'kube-scheduler', p.schedulerCert, p.schedulerKey));
  const etcdUrl = `http://127.0.0.1:${c.ports.etcdClient}`;
  const peerUrl = `http://127.0.0.1:${c.ports.etcdPeer}`;
  return {
    etcd: [join(binDir, 'etcd'), [
      '--name=default', `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=${etcdUrl}`, `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peerUrl}`, `--initial-advertise-peer-urls=${peerUrl}`, `--initial-cluster=default=${peerUrl}`,
      // A throwaway store: losing it on a power cut costs nothing, and fsync costs seconds.
      '--unsafe-no-fsync=true', '--log-level=warn', '--quota-backend-bytes=2147483648',
    ]],
    'kube-apiserver': [join(binDir, 'kube-apiserver'), [
      `--etcd-servers=${etcdUrl}`, '--bind-address=127.0.0.1', '--advertise-address=127.0.0.1',
      `--secure-port=${c.ports.apiserver}`, `--cert-dir=${join(dir, 'apiserver-certs')}`,
      `--tls-cert-file=${p.apiserverCert}`, `--tls-private-key-file=${p.apiserverKey}`, `--client-ca-file=${p.caCert}`,
      '--authorization-mode=Node,RBAC',
      `--service-account-issuer=https://kubernetes.default.svc.cluster.local`,
      `--service-account-key-file=${p.serviceAccountPub}`, `--service-account-signing-key-file=${p.serviceAccountKey}`,
      `--service-cluster-ip-range=${c.serviceClusterIpRange}`, `--service-node-port-range=${c.serviceNodePortRange}`,
      `--enable-admission-plugins=${ADMISSION_PLUGINS.join(',')}`,
      // For logs, exec and port-forward on real nodes; the kubelets' serving certificates are self-signed.
      `--kubelet-client-certificate=${p.adminCert}`, `--kubelet-client-key=${p.adminKey}`,
      '--kubelet-preferred-address-types=InternalIP',
      // Endpoints may not hold loopback addresses, and no pod would reach the API server anyway.
      '--endpoint-reconciler-type=none',
      '--allow-privileged=true', '--profiling=false', '--v=1',
      ...(options.apiserverArgs ?? []),
    ]],
    'kube-controller-manager': [join(binDir, 'kube-controller-manager'), [
      `--kubeconfig=${kcmKubeconfig}`, '--bind-address=127.0.0.1', `--secure-port=${c.ports.controllerManager}`,
      `--cert-dir=${join(dir, 'controller-manager-certs')}`, '--leader-elect=false',
      `--controllers=${[...CONTROLLERS, ...((options.nodes ?? 0) > 0 ? NODE_CONTROLLERS : [])].join(',')}`, '--use-service-account-credentials=true',
      `--service-account-private-key-file=${p.serviceAccountKey}`, `--root-ca-file=${p.caCert}`,
      '--allocate-node-cidrs=true', `--cluster-cidr=${c.clusterCidr}`, `--node-cidr-mask-size=${c.nodeCidrMaskSize}`,
      `--service-cluster-ip-range=${c.serviceClusterIpRange}`, '--profiling=false', '--v=1',
      ...(options.controllerManagerArgs ?? []),
    ]],
    'kube-scheduler': [join(binDir, 'kube-scheduler'), [
      `--kubeconfig=${schedulerKubeconfig}`, '--bind-address=127.0.0.1', `--secure-port=${c.ports.scheduler}`,
      `--cert-dir=${join(dir, 'scheduler-certs')}`, '--leader-elect=false', '--profiling=false', '--v=1',
    ]],
  };
}

function get(url: string, agent: Agent | undefined): Promise<number> {
  return new Promise((resolve) => {
    const req = httpsRequest(url, { agent, rejectUnauthorized: agent !== undefined, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
    req.end();
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function waitHealthy(c: Cluster, deadline: number): Promise<void> {
  const adminAgent = new Agent({
    ca: readFileSync(c.pki.caCert), cert: readFileSync(c.pki.adminCert), key: readFileSync(c.pki.adminKey),
  });
  // kube-controller-manager and kube-scheduler serve /healthz anonymously on a self-signed certificate.
  const checks: ReadonlyArray<[string, Agent | undefined]> = [
    [`${c.server}/readyz`, adminAgent],
    [`https://127.0.0.1:${c.ports.controllerManager}/healthz`, undefined],
    [`https://127.0.0.1:${c.ports.scheduler}/healthz`, undefined],
  ];
  try {
    const pending = new Set(checks.map(([url]) => url));
    while (pending.size > 0) {
      const dead = c.components.find((x) => x.exit !== undefined);
      if (dead !== undefined) throw new Error(`${dead.name} exited (${JSON.stringify(dead.exit)}) before the cluster was ready`);
      if (Date.now() > deadline) throw new Error(`cluster not ready in time; still waiting for ${[...pending].join(', ')}`);
      await Promise.all(checks.filter(([url]) => pending.has(url)).map(async ([url, agent]) => {
        if (await get(url, agent) === 200) pending.delete(url);
      }));
      if (pending.size > 0) await sleep(200);
    }
  } finally {
    adminAgent.destroy();
  }
}

/** Error thrown when a cluster fails to start; `message` ends with the components' log tails. */
export class ClusterStartError extends Error {
  override readonly name = 'ClusterStartError';
}

/**
 * Starts one cluster and resolves when kube-apiserver's /readyz and the controller manager's
 * and scheduler's /healthz answer 200. First reaps stale clusters of dead test processes under
 * the root. Retries with fresh ports when a port was taken meanwhile. Throws
 * {@link ClusterStartError} (with log tails) when it cannot start, after cleaning up.
 */
export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const began = Date.now();
  const binDir = options.binDir ?? kubeBinDir();
  const root = options.root ?? clusterRoot();
  mkdirSync(root, { recursive: true });
  reapStaleClusters(root);
  const attempts = 3;
  for (let attempt = 1; ; attempt++) {
    const cluster = await launch(options, binDir, root);
    try {
      await waitHealthy(cluster, began + (options.readyTimeoutMs ?? 60_000) * attempt);
      cluster.startMs = Date.now() - began;
    } catch (err) {
      const logs = cluster.logTail(30);
      const kept = await cluster.stop({ keepLogs: true });
      if (attempt < attempts && /address already in use/.test(logs)) continue;
      throw new ClusterStartError(`cluster ${cluster.name} did not start: ${(err as Error).message}\nlogs kept in ${kept}\n${logs}`);
    }
    try {
      await startNodes(cluster, options);
      return cluster;
    } catch (err) {
      const kept = await cluster.stop({ keepLogs: true });
      throw new ClusterStartError(`cluster ${cluster.name}: ${(err as Error).message}\nlogs kept in ${kept}`);
    }
  }
}

async function startNodes(cluster: Cluster, options: ClusterOptions): Promise<void> {
  const count = options.nodes ?? 0;
  if (count === 0) return;
  const registry = options.nodeRegistry;
  if (registry === undefined) throw new Error('nodes need a nodeRegistry: their pod sandbox image comes from Berth');
  // One at a time: each node's start is mostly waiting on its own kubelet, and two kubelets
  // starting at once on two cores slow each other down more than they overlap.
  for (let i = 0; i < count; i++) await startNode(cluster, i, registry);
}

async function launch(options: ClusterOptions, binDir: string, root: string): Promise<Cluster> {
  const name = options.name ?? 'c';
  const dir = mkdtempSync(join(root, `${name}-`));
  writeOwner(dir, []);
  let cluster: Cluster | undefined;
  try {
    const [etcdClient, etcdPeer, apiserver, controllerManager, scheduler] = await freePorts(5);
    const serviceClusterIpRange = options.serviceClusterIpRange ?? '10.96.0.0/16';
    const pkiDir = join(dir, 'pki');
    mkdirSync(pkiDir);
    mkdirSync(join(dir, 'logs'));
    const pki = await writeClusterPki(pkiDir, { kubernetesServiceIp: firstServiceIp(serviceClusterIpRange) });
    cluster = new Cluster({
      name: basename(dir), dir, pki,
      ports: { etcdClient, etcdPeer, apiserver, controllerManager, scheduler },
      serviceNodePortRange: options.serviceNodePortRange ?? '30000-32767',
      serviceClusterIpRange,
      clusterCidr: options.clusterCidr ?? '10.244.0.0/16',
      nodeCidrMaskSize: options.nodeCidrMaskSize ?? 24,
      binDir,
    });
    // All components start at once: each retries until what it needs answers, which is
    // quicker than waiting for one before starting the next.
    for (const [component, [bin, args]] of Object.entries(clusterArgs(cluster, binDir, options))) {
      cluster.adopt(startComponent(component, bin, args, join(dir, 'logs', `${component}.log`)));
    }
    return cluster;
  } catch (err) {
    if (cluster === undefined) rmSync(dir, { recursive: true, force: true });
    else await cluster.stop();
    throw err;
  }
}

/** Starts `n` clusters at once; if one fails, stops the others and rethrows. */
export async function startClusters(n: number, options: ClusterOptions = {}): Promise<Cluster[]> {
  const results = await Promise.allSettled(Array.from({ length: n }, (_, i) => startCluster({ ...options, name: `${options.name ?? 'c'}${i}` })));
  const failed = results.find((r) => r.status === 'rejected');
  if (failed !== undefined) {
    await Promise.all(results.map((r) => (r.status === 'fulfilled' ? r.value.stop() : undefined)));
    throw (failed as PromiseRejectedResult).reason;
  }
  return results.map((r) => (r as PromiseFulfilledResult<Cluster>).value);
}
