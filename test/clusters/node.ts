// A real worker node of a test cluster: containerd (Debian 1.6, runc) and kubelet as plain
// processes inside the node's own network namespace, pods on a CNI bridge, images pulled from
// a Berth registry. The host reaches the node at its address; the node reaches kube-apiserver
// (on host loopback) through a relay on the host end of its link, and Berth (listening on every
// interface) at that same address.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { join } from 'node:path';
import type { Cluster } from './cluster.ts';
import { CLUSTER_DOMAIN, clusterDnsIp, startClusterDns, waitForClusterDns } from './coredns.ts';
import { startKubeProxy, waitForKubeProxy } from './kube-proxy.ts';
import {
  cleanupNodeHost, containerdSocket, createCgroupRoot, createNodeLink, linkNodes, NODE_RECORD,
} from './node-host.ts';
import type { NodeHostRecord, NodeLink } from './node-host.ts';
import { nodeTool } from './node-tools.ts';
import { nodeKubeconfig, writeClientCertificate } from './pki.ts';
import { startComponent, stopComponents } from './processes.ts';
import type { Component } from './processes.ts';

/** The registry a node pulls from: a Berth on the host, known to pods under `name`. */
export interface NodeRegistry {
  /** The registry host name that pod images use, e.g. `berth.test` in `berth.test/nodes/busybox:1`. */
  readonly name: string;
  /**
   * `host:port` of the registry (plain HTTP). It must listen on every interface (`0.0.0.0`):
   * nodes reach it at their link's host address, which it then names as its token realm.
   */
  readonly address: string;
  /** An account that may pull the node's images (a robot, for instance). */
  readonly username: string;
  readonly password: string;
  /** The pod sandbox image, under `name`, e.g. `berth.test/nodes/pause:1`. */
  readonly pauseImage: string;
}

/** Binaries a node runs besides the kubelet: Debian's containerd, runc and CNI plugins. */
export const NODE_HOST_BINARIES = ['/usr/bin/containerd', '/usr/bin/containerd-shim-runc-v2', '/usr/sbin/runc', '/usr/lib/cni/bridge',
  '/usr/lib/cni/host-local', '/usr/lib/cni/loopback', '/usr/lib/cni/portmap', '/usr/bin/nsenter'] as const;

const CNI_BIN_DIR = '/usr/lib/cni';
const PATH = `/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin${process.env.PATH === undefined ? '' : `:${process.env.PATH}`}`;

/**
 * Relays TCP connections from `host`:(a free port) to 127.0.0.1:`port`. The node's processes
 * cannot reach host loopback from their namespace; this is their way to the API server, and it
 * listens only on the node's link.
 */
async function relay(host: string, port: number): Promise<{ readonly port: number; readonly server: Server; readonly sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port });
    sockets.add(client).add(upstream);
    const drop = (): void => { client.destroy(); upstream.destroy(); sockets.delete(client); sockets.delete(upstream); };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  server.unref();
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('relay has no port');
  return { port: address.port, server, sockets };
}

function ipv4ToInt(address: string): number {
  return address.split('.').reduce((acc, o) => (acc * 256) + Number(o), 0);
}

function intToIpv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

/** The `index`-th subnet of size `/mask` in `cidr` (IPv4), e.g. (10.244.0.0/16, 24, 3) → 10.244.3.0/24. */
export function nthSubnet(cidr: string, mask: number, index: number): string {
  const [base, bits] = cidr.split('/');
  const size = 2 ** (32 - mask);
  if (index < 0 || (index + 1) * size > 2 ** (32 - Number(bits))) throw new Error(`${cidr} has no subnet /${mask} number ${index}`);
  return `${intToIpv4(ipv4ToInt(base) + (index * size))}/${mask}`;
}

function containerdConfig(dir: string, registry: NodeRegistry, registryRelay: string): string {
  const c = join(dir, 'containerd');
  return `version = 2
root = "${c}/root"
state = "${c}/state"
# Other snapshotters probe devices or kernel features at start and only add noise here.
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs"]

[grpc]
  address = "${containerdSocket(dir)}"

[ttrpc]
  address = "${c}/containerd.sock.ttrpc"

[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "${c}/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${registry.pauseImage}"
  # This machine may not lower a process's oom_score_adj; without this every sandbox fails with
  # "runc create failed: unable to start container process: can't get final child's PID from pipe: EOF".
  restrict_oom_score_adj = true
  # Pod network namespaces under the node's folder instead of the machine's /run/netns.
  netns_mounts_under_state_dir = true
  disable_apparmor = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        # runc's state under the node's folder instead of the machine's /run/containerd/runc.
        Root = "${c}/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "${CNI_BIN_DIR}"
    conf_dir = "${dir}/cni/net.d"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "${c}/certs.d"
    [plugins."io.containerd.grpc.v1.cri".registry.configs."${registryRelay}".auth]
      username = ${JSON.stringify(registry.username)}
      password = ${JSON.stringify(registry.password)}
`;
}

function cniConflist(network: string, podCidr: string, dir: string): string {
  return JSON.stringify({
    cniVersion: '0.4.0', name: network,
    plugins: [
      {
        type: 'bridge', bridge: 'cni0', isGateway: true, ipMasq: false, hairpinMode: true,
        ipam: { type: 'host-local', ranges: [[{ subnet: podCidr }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: join(dir, 'cni', 'ipam') },
      },
      { type: 'portmap', capabilities: { portMappings: true } },
    ],
  }, null, 2);
}

function kubeletConfig(dir: string, link: NodeLink, caCert: string, cgroupRoot: string, clusterDns: string): string {
  return JSON.stringify({
    apiVersion: 'kubelet.config.k8s.io/v1beta1', kind: 'KubeletConfiguration',
    address: link.nodeIp, port: 10250, readOnlyPort: 0, healthzBindAddress: '127.0.0.1', healthzPort: 10248,
    // No systemd as PID 1 and cgroup v1 (hybrid) on this machine.
    cgroupDriver: 'cgroupfs', cgroupRoot, failCgroupV1: false, failSwapOn: false,
    containerRuntimeEndpoint: `unix://${containerdSocket(dir)}`,
    authentication: { anonymous: { enabled: false }, webhook: { enabled: true }, x509: { clientCAFile: caCert } },
    authorization: { mode: 'Webhook' },
    // Pods ask the cluster DNS (coredns.ts) and nothing else: no search path or server comes
    // from the host, since nothing outside the test's namespaces is theirs to reach.
    clusterDomain: CLUSTER_DOMAIN, clusterDNS: [clusterDns], resolvConf: '',
    podLogsDir: join(dir, 'pod-logs'),
    // A test node must not go to DiskPressure because the machine's disk is fuller than a real node's would be.
    evictionHard: { 'memory.available': '1Mi', 'nodefs.available': '1%', 'imagefs.available': '1%', 'nodefs.inodesFree': '1%' },
    imageGCHighThresholdPercent: 100, imageGCLowThresholdPercent: 99,
    serializeImagePulls: false,
    nodeStatusUpdateFrequency: '2s', nodeStatusReportFrequency: '10s',
    shutdownGracePeriod: '0s',
  }, null, 2);
}

interface NodeCondition { readonly type: string; readonly status: string; readonly reason?: string; readonly message?: string }
interface NodeObject {
  readonly spec?: { readonly taints?: readonly { readonly key: string; readonly effect: string }[]; readonly podCIDR?: string };
  readonly status?: { readonly conditions?: readonly NodeCondition[] };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** One running worker node. Start with {@link startNode}; {@link ClusterNode.stop} (or the cluster's stop) removes it. */
export class ClusterNode {
  /** The Node's name. */
  readonly name: string;
  /** The node's index in its cluster (`worker-<index>`). */
  readonly index: number;
  /** The node's folder: configuration, logs, containerd's and the kubelet's state. */
  readonly dir: string;
  readonly link: NodeLink;
  /** The node's pod CIDR; pods get addresses from it on the node's CNI bridge. */
  readonly podCidr: string;
  /**
   * Milliseconds from the start of {@link startNode} until the Node was Ready without the
   * not-ready taint, kube-proxy had written its rules and (first node) the cluster DNS was ready.
   */
  readyMs = 0;
  readonly #components: Component[] = [];
  readonly #relays: { readonly server: Server; readonly sockets: Set<Socket> }[] = [];
  /** What the node holds on the host: network namespace, cgroup root, CNI network name. */
  readonly host: NodeHostRecord;
  #stopped = false;

  constructor(init: { name: string; index: number; dir: string; link: NodeLink; podCidr: string; record: NodeHostRecord }) {
    this.name = init.name;
    this.index = init.index;
    this.dir = init.dir;
    this.link = init.link;
    this.podCidr = init.podCidr;
    this.host = init.record;
  }

  /** containerd and kubelet, as started. */
  get components(): readonly Component[] {
    return this.#components;
  }

  /** @internal */
  adopt(component: Component): void {
    this.#components.push(component);
  }

  /** @internal */
  adoptRelay(relayed: { readonly server: Server; readonly sockets: Set<Socket> }): void {
    this.#relays.push(relayed);
  }

  /**
   * Stops the kubelet (1 s grace), containerd, the pods and their shims, unmounts what they
   * mounted, deletes the network namespace, cgroups and CNI cache entries, closes the relays
   * and removes the folder. Idempotent. Throws only when something stays mounted.
   */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    try {
      await stopComponents(this.#components.filter((c) => c.name.endsWith('kubelet')), 1000);
      await stopComponents(this.#components, 1000);
    } finally {
      for (const r of this.#relays) {
        for (const s of r.sockets) s.destroy();
        r.server.close();
      }
      cleanupNodeHost(this.dir, this.host);
    }
  }

  /** Synchronous last-resort clean-up for the owner's `exit` hook. */
  stopNow(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    cleanupNodeHost(this.dir, this.host);
  }
}

/**
 * Starts worker node number `index` of `cluster` and resolves once its Node is `Ready` and has
 * lost the `node.kubernetes.io/not-ready` taint: a network namespace with a veth link to the
 * host, a relay to kube-apiserver on the host end (the registry is reached there directly), containerd with the CRI
 * plugin (sandbox image and pulls from `registry`), a CNI bridge on the node's pod CIDR (the
 * `index`-th subnet of the cluster CIDR, set on the Node before the kubelet registers), links
 * to the cluster's nodes started before it (see {@link linkNodes}), a kubelet with a client
 * certificate for `system:node:<name>` whose pods use the cluster DNS, kube-proxy (kube-proxy.ts),
 * and on the first node (`index` 0) CoreDNS published as `kube-system/kube-dns` (coredns.ts); it
 * also waits for kube-proxy's first sync and CoreDNS's readiness. The node belongs to the cluster from the moment its namespace exists, so the cluster's stop
 * (or exit hook) removes it whether or not it started. Throws when a component exits or the
 * node is not Ready within `timeoutMs`; the message ends with the node's logs.
 */
export async function startNode(cluster: Cluster, index: number, registry: NodeRegistry, timeoutMs = 60_000): Promise<ClusterNode> {
  const began = Date.now();
  const missing = NODE_HOST_BINARIES.filter((b) => !existsSync(b));
  if (missing.length > 0) {
    throw new Error(`test nodes need ${missing.join(', ')}: apt-get install containerd runc containernetworking-plugins util-linux (.ci/setup/00-apt.sh)`);
  }
  const kubelet = join(cluster.binDir, 'kubelet');
  for (const bin of [kubelet, join(cluster.binDir, 'kube-proxy')]) {
    if (!existsSync(bin)) throw new Error(`${bin} is missing: run test/clusters/build.sh`);
  }
  // Before anything is made: a node without the cluster DNS is of no use to the tests.
  if (index === 0) nodeTool('coredns');
  const name = `worker-${index}`;
  const dir = join(cluster.dir, 'nodes', name);
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const podCidr = nthSubnet(cluster.clusterCidr, cluster.nodeCidrMaskSize, index);
  let record: NodeHostRecord | undefined;
  const link = createNodeLink((netns) => {
    record = { netns, cgroupRoot: `/berth/${netns}`, cniNetwork: netns };
    writeFileSync(join(dir, NODE_RECORD), JSON.stringify(record));
  });
  if (record === undefined) throw new Error('node link recorded nothing');
  const node = new ClusterNode({ name, index, dir, link, podCidr, record });
  const peers = [...cluster.nodes];
  cluster.adoptNode(node);
  try {
    createCgroupRoot(record.cgroupRoot);
    for (const peer of peers) {
      linkNodes({ netns: record.netns, index, podCidr, nodeIp: link.nodeIp }, { netns: peer.host.netns, index: peer.index, podCidr: peer.podCidr, nodeIp: peer.link.nodeIp });
    }
    const apiRelay = await relay(link.hostIp, cluster.ports.apiserver);
    node.adoptRelay(apiRelay);
    // Berth listens on every interface, so the node reaches it at its link's host address with
    // no relay: Berth names the address a connection reached as its token realm (never the Host
    // header), and through a relay that would be loopback, which the node cannot reach.
    const registryRelay = `${link.hostIp}:${Number(registry.address.split(':').pop())}`;

    mkdirSync(join(dir, 'pki'));
    const cert = await writeClientCertificate(cluster.pki, join(dir, 'pki'), 'kubelet', `/O=system:nodes/CN=system:node:${name}`);
    const hostsDir = join(dir, 'containerd', 'certs.d', registry.name);
    mkdirSync(hostsDir, { recursive: true });
    // containerd 1.6 refuses a hosts.toml without a [host] table ("invalid `host` tree").
    writeFileSync(join(hostsDir, 'hosts.toml'),
      `server = "http://${registryRelay}"\n\n[host."http://${registryRelay}"]\n  capabilities = ["pull", "resolve"]\n`);
    writeFileSync(join(dir, 'containerd.toml'), containerdConfig(dir, registry, registryRelay));
    mkdirSync(join(dir, 'cni', 'net.d'), { recursive: true });
    writeFileSync(join(dir, 'cni', 'net.d', '10-berth.conflist'), cniConflist(record.cniNetwork, podCidr, dir));
    writeFileSync(join(dir, 'kubelet.json'), kubeletConfig(dir, link, cluster.pki.caCert, record.cgroupRoot, clusterDnsIp(cluster.serviceClusterIpRange)));
    writeFileSync(join(dir, 'kubelet.kubeconfig'), nodeKubeconfig(`https://${link.hostIp}:${apiRelay.port}`, cluster.pki.caCert, cert.cert, cert.key));

    // The Node exists before the kubelet registers so that its pod CIDR, and with it the CNI
    // configuration, are known before containerd starts.
    const created = await cluster.request('POST', '/api/v1/nodes', {
      apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name } }, spec: { podCIDR: podCidr, podCIDRs: [podCidr] },
    });
    if (created.status !== 201) throw new Error(`create Node ${name}: HTTP ${created.status} ${JSON.stringify(created.body)}`);
    // kube-proxy polls every second until its Node has addresses; the kubelet would post the same ones a few seconds later.
    const addressed = await cluster.request('PATCH', `/api/v1/nodes/${name}/status`,
      { status: { addresses: [{ type: 'InternalIP', address: link.nodeIp }, { type: 'Hostname', address: name }] } }, 'application/merge-patch+json');
    if (addressed.status !== 200) throw new Error(`set addresses of Node ${name}: HTTP ${addressed.status} ${JSON.stringify(addressed.body)}`);

    const netns = ['nsenter', `--net=/run/netns/${record.netns}`, '--'];
    const env = { PATH };
    node.adopt(startComponent(`${name}/containerd`, netns[0], [...netns.slice(1), '/usr/bin/containerd', '--config', join(dir, 'containerd.toml')],
      join(dir, 'logs', 'containerd.log'), env));
    // kube-proxy, and on the first node the cluster DNS, start while containerd does (their
    // certificates are made meanwhile), sync while the kubelet starts, and are waited for after
    // the Node is Ready.
    const apiServer = `https://${link.hostIp}:${apiRelay.port}`;
    const [proxy, dns] = await Promise.all([
      startKubeProxy(cluster, node, apiServer, netns, env),
      index === 0 ? startClusterDns(cluster, node, apiServer, netns, env) : undefined,
    ]);
    node.adopt(proxy);
    if (dns !== undefined) node.adopt(dns);
    const socket = containerdSocket(dir);
    while (!existsSync(socket)) {
      const dead = node.components.find((c) => c.exit !== undefined);
      if (dead !== undefined) throw new Error(`${dead.name} exited (${JSON.stringify(dead.exit)})`);
      if (Date.now() - began > timeoutMs) throw new Error(`containerd did not create ${socket} in time`);
      await sleep(50);
    }
    node.adopt(startComponent(`${name}/kubelet`, netns[0], [...netns.slice(1), kubelet,
      `--config=${join(dir, 'kubelet.json')}`, `--kubeconfig=${join(dir, 'kubelet.kubeconfig')}`,
      `--root-dir=${join(dir, 'kubelet')}`, `--cert-dir=${join(dir, 'kubelet', 'pki')}`,
      `--hostname-override=${name}`, `--node-ip=${link.nodeIp}`, '--v=1',
    ], join(dir, 'logs', 'kubelet.log'), env));

    let last = 'no Node status yet';
    for (;;) {
      const dead = node.components.find((c) => c.exit !== undefined);
      if (dead !== undefined) throw new Error(`${dead.name} exited (${JSON.stringify(dead.exit)})`);
      const res = await cluster.request('GET', `/api/v1/nodes/${name}`);
      const obj = res.body as NodeObject;
      const ready = obj.status?.conditions?.find((c) => c.type === 'Ready');
      const notReadyTaint = obj.spec?.taints?.some((t) => t.key === 'node.kubernetes.io/not-ready') ?? false;
      if (ready?.status === 'True' && !notReadyTaint) break;
      last = `Ready=${ready?.status ?? 'none'} (${ready?.reason ?? ''}: ${ready?.message ?? ''}), taints ${JSON.stringify(obj.spec?.taints ?? [])}`;
      if (Date.now() - began > timeoutMs) throw new Error(`Node ${name} not Ready after ${timeoutMs} ms: ${last}`);
      await sleep(200);
    }
    await waitForKubeProxy(node, proxy, Math.max(timeoutMs - (Date.now() - began), 1000));
    if (dns !== undefined) await waitForClusterDns(node, dns, Math.max(timeoutMs - (Date.now() - began), 1000));
    node.readyMs = Date.now() - began;
    return node;
  } catch (err) {
    throw new Error(`node ${name} did not start: ${(err as Error).message}\n${nodeLogTail(node, 40)}`, { cause: err });
  }
}

/** The last `lines` lines of the logs of the node's components (containerd, kubelet, kube-proxy, CoreDNS), each under a header. */
export function nodeLogTail(node: ClusterNode, lines = 40): string {
  return node.components.map((c) => `----- ${c.name} (${c.logFile}) -----\n${tailOf(c.logFile, lines)}`).join('\n');
}

function tailOf(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
