// NetworkPolicy enforcement on the test clusters' real nodes: kube-router's network-policy
// controller alone (no routing, no service proxy, no CNI), one per node, inside the node's
// network namespace, where it programs iptables and ipset for the pods on the node's bridge.
// Its log tells when it has applied the API's state, which is how tests wait for policies to
// take effect instead of guessing a delay.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Cluster } from './cluster.ts';
import type { ClusterNode } from './node.ts';
import { writeClientCertificate } from './pki.ts';
import { startComponent } from './processes.ts';
import type { Component } from './processes.ts';

/** The kube-router release that `build-netpol.sh` builds. */
export const KUBE_ROUTER_VERSION = 'v2.1.0';

/** What kube-router calls inside the node's namespace; Debian `iptables` and `ipset`. */
export const NETPOL_HOST_BINARIES = ['/usr/sbin/iptables', '/usr/sbin/iptables-save', '/usr/sbin/iptables-restore', '/usr/sbin/ipset'] as const;

/** The ClusterRole (and binding) that the enforcers' client certificate is granted. */
const ROLE = 'berth-test:netpol-enforcer';
const USER = 'berth-test:netpol-enforcer';

const PATH = `/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin${process.env.PATH === undefined ? '' : `:${process.env.PATH}`}`;

/**
 * The kube-router binary: `BERTH_KUBE_ROUTER_BIN` (a folder), else
 * `${BERTH_CACHE_DIR:-~/.cache/berth}/kube-router/<version>/bin` as `build-netpol.sh` makes it.
 * Throws, naming the script that builds it, when it is missing.
 */
export function kubeRouterBinary(): string {
  const cacheRoot = process.env.BERTH_CACHE_DIR ?? join(homedir(), '.cache', 'berth');
  const dir = process.env.BERTH_KUBE_ROUTER_BIN ?? join(cacheRoot, 'kube-router', KUBE_ROUTER_VERSION, 'bin');
  const bin = join(dir, 'kube-router');
  if (!existsSync(bin)) {
    throw new Error(`${bin} is missing: run test/clusters/build-netpol.sh (or .ci/setup/30-kube.sh), which builds kube-router ${KUBE_ROUTER_VERSION} once from the Go module proxy`);
  }
  return bin;
}

/** One sync of kube-router's policy controller, from its log: when it started (epoch ms) and whether it finished. */
interface SyncRecord {
  readonly startedMs: number;
  readonly done: boolean;
  readonly failed: boolean;
}

/**
 * The policy syncs in a kube-router log at `--v=1`. A sync's version is the UnixNano of its
 * start in base 10 ("Starting sync of iptables with version: N"); syncs run one at a time, so
 * the "sync iptables took" line after a start closes that sync, and an "Aborting sync" line
 * between the two marks it failed.
 */
function syncsIn(log: string): SyncRecord[] {
  const syncs: { startedMs: number; done: boolean; failed: boolean }[] = [];
  for (const line of log.split('\n')) {
    const started = /Starting sync of iptables with version: (\d+)/.exec(line);
    if (started !== null) {
      syncs.push({ startedMs: Number(BigInt(started[1]) / 1_000_000n), done: false, failed: false });
      continue;
    }
    const last = syncs.at(-1);
    if (last === undefined) continue;
    if (line.includes('Aborting sync')) last.failed = true;
    if (line.includes('sync iptables took')) last.done = true;
  }
  return syncs;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The enforcer of one node: its process and log. */
export interface NodeEnforcer {
  readonly node: ClusterNode;
  readonly component: Component;
}

/** The enforcers of a cluster's nodes, started by {@link startNetworkPolicyEnforcers}. */
export class NetworkPolicyEnforcers {
  readonly enforcers: readonly NodeEnforcer[];
  /** Milliseconds from the start of {@link startNetworkPolicyEnforcers} until every node had finished its first sync. */
  readonly readyMs: number;

  constructor(enforcers: readonly NodeEnforcer[], readyMs: number) {
    this.enforcers = enforcers;
    this.readyMs = readyMs;
  }

  /**
   * Resolves once every node's enforcer has applied the API's state as of `sinceMs` (epoch ms,
   * taken after the last change was acknowledged): a policy sync that started at or after
   * `sinceMs` has finished, no other has started for `settleMs` since (kube-router starts a
   * full sync on every pod, namespace and policy event its informers see, one at a time, so a
   * sync that started just before an event arrived is followed at once by another), and, when
   * `policies` is given, the filter table holds that many policy chains (one per
   * NetworkPolicy in the cluster). A change that changes nothing starts no sync: wait only
   * after real changes. Returns the milliseconds from `sinceMs`. Throws when an enforcer exits,
   * a sync fails, or `timeoutMs` passes, naming the node.
   */
  async waitForSync(sinceMs: number, options: { readonly settleMs?: number; readonly timeoutMs?: number; readonly policies?: number } = {}): Promise<number> {
    const settle = options.settleMs ?? 500;
    const deadline = Date.now() + (options.timeoutMs ?? 30_000);
    await Promise.all(this.enforcers.map(async ({ node, component }) => {
      let quiet: { readonly startedMs: number; readonly seenAt: number } | undefined;
      let chains = -1;
      for (;;) {
        if (component.exit !== undefined) throw new Error(`${component.name} exited (${JSON.stringify(component.exit)})`);
        const syncs = syncsIn(readFileSync(component.logFile, 'utf8'));
        if (syncs.some((s) => s.startedMs >= sinceMs && s.failed)) throw new Error(`${component.name}: a policy sync failed, see ${component.logFile}`);
        const last = syncs.at(-1);
        if (last === undefined || !last.done || last.startedMs < sinceMs) quiet = undefined;
        else if (quiet?.startedMs !== last.startedMs) quiet = { startedMs: last.startedMs, seenAt: Date.now() };
        else if (Date.now() - quiet.seenAt >= settle) {
          if (options.policies === undefined) return;
          chains = await policyChains(node);
          if (chains === options.policies) return;
        }
        if (Date.now() > deadline) {
          throw new Error(`${node.name}: kube-router did not finish a policy sync after ${new Date(sinceMs).toISOString()} in time`
            + `${chains < 0 ? '' : ` (${chains} policy chains, expected ${options.policies})`}`);
        }
        await sleep(50);
      }
    }));
    return Date.now() - sinceMs;
  }
}

/** The number of kube-router policy chains (`KUBE-NWPLCY-<hash>`, not the shared `KUBE-NWPLCY-DEFAULT`) in the node's filter table. */
function policyChains(node: ClusterNode): Promise<number> {
  return new Promise((resolve) => {
    execFile('ip', ['netns', 'exec', node.host.netns, 'iptables-save', '-t', 'filter'], { timeout: 10_000 }, (err, stdout) => {
      resolve(err === null ? stdout.split('\n').filter((l) => l.startsWith(':KUBE-NWPLCY-') && !l.startsWith(':KUBE-NWPLCY-DEFAULT ')).length : -1);
    });
  });
}

function nodeApiServer(node: ClusterNode): string {
  // The kubelet's kubeconfig names the relay to kube-apiserver on the node's link; kube-router
  // in the same namespace goes the same way.
  const kubeconfig = JSON.parse(readFileSync(join(node.dir, 'kubelet.kubeconfig'), 'utf8')) as { clusters: { cluster: { server: string } }[] };
  return kubeconfig.clusters[0].cluster.server;
}

async function grantRole(cluster: Cluster): Promise<void> {
  const role = {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: ROLE },
    rules: [
      // kube-router starts its Service and Endpoints informers whichever controllers run, and waits for them to sync.
      { apiGroups: [''], resources: ['nodes', 'pods', 'namespaces', 'services', 'endpoints'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['get', 'list', 'watch'] },
    ],
  };
  const binding = {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: ROLE },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: ROLE },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: USER }],
  };
  for (const [path, body] of [['/apis/rbac.authorization.k8s.io/v1/clusterroles', role], ['/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', binding]] as const) {
    const res = await cluster.request('POST', path, body);
    if (res.status !== 201 && res.status !== 409) throw new Error(`create ${body.kind} ${ROLE}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  }
}

/** `iptables -S <chain>` in the node's namespace succeeds: kube-router has set up its chains. */
function hasChain(node: ClusterNode, chain: string): Promise<boolean> {
  return new Promise((resolve) => {
    execFile('ip', ['netns', 'exec', node.host.netns, 'iptables', '-w', '5', '-S', chain], { timeout: 10_000 }, (err) => resolve(err === null));
  });
}

/**
 * Starts kube-router's network-policy controller on every node of `cluster` and resolves once
 * each has finished its first sync and installed its top-level chain (`KUBE-ROUTER-FORWARD`).
 * Each runs in the node's network namespace (`nsenter --net`; the Node's InternalIP, which
 * kube-router takes as its own address, is there), with `--hostname-override` = the Node's
 * name, a client certificate for a user that may only read nodes, pods, namespaces, Services,
 * Endpoints(Slices) and NetworkPolicies, and its log at `<node folder>/logs/kube-router.log`. The node adopts the
 * process, so the node's stop (and the reaper, through the command line naming the node folder)
 * ends it; its iptables rules and ipsets go with the namespace. Throws when a binary is missing,
 * kube-router exits, or it is not ready within `timeoutMs`, with its log tail.
 */
export async function startNetworkPolicyEnforcers(cluster: Cluster, timeoutMs = 60_000): Promise<NetworkPolicyEnforcers> {
  const began = Date.now();
  const missing = NETPOL_HOST_BINARIES.filter((b) => !existsSync(b));
  if (missing.length > 0) throw new Error(`NetworkPolicy enforcement needs ${missing.join(', ')}: apt-get install iptables ipset (.ci/setup/00-apt.sh)`);
  const bin = kubeRouterBinary();
  if (cluster.nodes.length === 0) throw new Error('NetworkPolicy enforcement needs a cluster with nodes (startCluster({ nodes: N }))');
  await grantRole(cluster);
  const enforcers = await Promise.all(cluster.nodes.map(async (node): Promise<NodeEnforcer> => {
    const dir = join(node.dir, 'kube-router');
    mkdirSync(dir, { recursive: true });
    const cert = await writeClientCertificate(cluster.pki, dir, 'client', `/CN=${USER}`);
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, JSON.stringify({
      apiVersion: 'v1', kind: 'Config', 'current-context': 'enforcer',
      clusters: [{ name: 'berth-test', cluster: { server: nodeApiServer(node), 'certificate-authority': cluster.pki.caCert, 'tls-server-name': 'localhost' } }],
      users: [{ name: 'enforcer', user: { 'client-certificate': cert.cert, 'client-key': cert.key } }],
      contexts: [{ name: 'enforcer', context: { cluster: 'berth-test', user: 'enforcer' } }],
    }, null, 2));
    const component = startComponent(`${node.name}/kube-router`, 'nsenter', [`--net=/run/netns/${node.host.netns}`, '--', bin,
      '--run-firewall=true', '--run-router=false', '--run-service-proxy=false', '--enable-cni=false',
      `--kubeconfig=${kubeconfig}`, `--hostname-override=${node.name}`,
      `--service-cluster-ip-range=${cluster.serviceClusterIpRange}`, `--service-node-port-range=${cluster.serviceNodePortRange.replace('-', ':')}`,
      // Nothing scrapes or probes it; each port would only be one more listener in the namespace.
      '--health-port=0', '--metrics-port=0', '--v=1',
    ], join(node.dir, 'logs', 'kube-router.log'), { PATH });
    node.adopt(component);
    return { node, component };
  }));
  // The same enforcers, before their start time is known; the returned object carries it.
  const starting = new NetworkPolicyEnforcers(enforcers, 0);
  try {
    await starting.waitForSync(began, { timeoutMs });
    await Promise.all(enforcers.map(async ({ node }) => {
      if (!await hasChain(node, 'KUBE-ROUTER-FORWARD')) throw new Error(`${node.name}: kube-router synced but KUBE-ROUTER-FORWARD is missing`);
    }));
  } catch (err) {
    const tails = enforcers.map(({ component }) => `----- ${component.name} (${component.logFile}) -----\n${tailOf(component.logFile, 40)}`).join('\n');
    throw new Error(`NetworkPolicy enforcement did not start: ${(err as Error).message}\n${tails}`, { cause: err });
  }
  return new NetworkPolicyEnforcers(enforcers, Date.now() - began);
}

/** The iptables filter table of a node's namespace, for a failure message. */
export function nodeFilterRules(node: ClusterNode): string {
  try {
    return execFileSync('ip', ['netns', 'exec', node.host.netns, 'iptables-save', '-t', 'filter'], { encoding: 'utf8', timeout: 10_000 });
  } catch (err) {
    return `(iptables-save failed: ${(err as Error).message})`;
  }
}

function tailOf(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
