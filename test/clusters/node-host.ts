// The host side of a test node: its network namespace and veth link, its cgroups, and the
// clean-up that leaves nothing behind (processes, mounts, namespaces, cgroups, CNI files) both
// for a node stopped normally and for one whose test process died (the reaper).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, readlinkSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** What a node's folder records so that anyone can clean up after it: `<node folder>/node.json`. */
export interface NodeHostRecord {
  /** The node's network namespace (`ip netns` name). */
  readonly netns: string;
  /** The kubelet's `cgroupRoot`, relative to each cgroup v1 hierarchy, e.g. `/berth/n-10-200-7`. */
  readonly cgroupRoot: string;
  /** The CNI network name, which prefixes the node's files in the CNI cache (`/var/lib/cni/results`). */
  readonly cniNetwork: string;
}

/** The file in a node folder holding its {@link NodeHostRecord}. */
export const NODE_RECORD = 'node.json';

/** Addresses of a node's link to the host: a /24 of {@link NODE_NETWORK_PREFIX}. */
export interface NodeLink {
  readonly netns: string;
  /** The host end of the veth pair (in the host namespace). */
  readonly hostIf: string;
  /** Address of the host end: the node's gateway and where the host forwards the API server and Berth. */
  readonly hostIp: string;
  /** Address of the node (eth0 inside its namespace): the Node's InternalIP. */
  readonly nodeIp: string;
}

/** Nodes take a /24 each from 10.200.0.0/16; the third octet is picked at random and reserved by the netns name. */
export const NODE_NETWORK_PREFIX = '10.200';

const CNI_CACHE = '/var/lib/cni/results';
/** The kubelet links every container's log here whatever its podLogsDir. */
const CONTAINER_LOG_LINKS = '/var/log/containers';
/** The kubelet's device-plugin socket: a fixed path, not under its root folder. */
const DEVICE_PLUGIN_SOCKET = '/var/lib/kubelet/device-plugins/kubelet.sock';

function removeMachinePaths(nodeDir: string): void {
  try {
    for (const f of readdirSync(CONTAINER_LOG_LINKS)) {
      const link = join(CONTAINER_LOG_LINKS, f);
      try {
        if (readlinkSync(link).startsWith(`${nodeDir}/`)) rmSync(link, { force: true });
      } catch {
        // Not a link, or gone.
      }
    }
  } catch {
    // No kubelet ever ran here.
  }
  // Every kubelet on the machine shares the socket's path: it goes with the last one.
  const kubeletRuns = readdirSync('/proc').some((pid) => {
    try {
      return /^\d+$/.test(pid) && readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'kubelet' && !dead(Number(pid));
    } catch {
      return false;
    }
  });
  if (!kubeletRuns) {
    rmSync(DEVICE_PLUGIN_SOCKET, { force: true });
    for (const d of ['/var/lib/kubelet/device-plugins', '/var/lib/kubelet']) {
      try {
        rmdirSync(d);
      } catch {
        // Not empty (something else's) or gone.
      }
    }
  }
}

/** containerd's gRPC socket in a node folder. */
export function containerdSocket(nodeDir: string): string {
  return join(nodeDir, 'containerd', 'containerd.sock');
}

/** Where containerd 1.6 puts a shim's socket whatever its configuration: a hash under /run/containerd/s. */
function shimSocket(nodeDir: string, id: string): string {
  return join('/run/containerd/s', createHash('sha256').update(join(containerdSocket(nodeDir), 'k8s.io', id)).digest('hex'));
}

/** The CRI plugin's pod sandbox ids of a node, from containerd's root folder. */
function sandboxIds(nodeDir: string): string[] {
  try {
    return readdirSync(join(nodeDir, 'containerd', 'root', 'io.containerd.grpc.v1.cri', 'sandboxes'));
  } catch {
    return [];
  }
}

function ip(args: readonly string[]): void {
  execFileSync('ip', [...args], { stdio: ['ignore', 'ignore', 'pipe'] });
}

/**
 * Creates a network namespace and a veth pair for a node: `eth0` at .2 inside, the host end
 * at .1, loopback up, default route via the host end. The namespace name carries the /24, so
 * `ip netns add` failing for an existing name is what keeps two nodes off one subnet; it tries
 * up to 20 random subnets. `record` is called with the namespace name as soon as it exists, so
 * a crash after that leaves something the reaper finds. Throws with `ip`'s message on failure.
 */
export function createNodeLink(record: (netns: string) => void): NodeLink {
  let lastError: unknown;
  for (let attempt = 0; attempt < 20; attempt++) {
    const octet = Math.floor(Math.random() * 256);
    const netns = `berth-${NODE_NETWORK_PREFIX.replace('.', '-')}-${octet}`;
    try {
      ip(['netns', 'add', netns]);
    } catch (err) {
      lastError = err;
      continue;
    }
    record(netns);
    const link: NodeLink = {
      netns, hostIf: `bh-${NODE_NETWORK_PREFIX.split('.')[1]}-${octet}`,
      hostIp: `${NODE_NETWORK_PREFIX}.${octet}.1`, nodeIp: `${NODE_NETWORK_PREFIX}.${octet}.2`,
    };
    ip(['link', 'add', link.hostIf, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns]);
    ip(['addr', 'add', `${link.hostIp}/24`, 'dev', link.hostIf]);
    ip(['link', 'set', link.hostIf, 'up']);
    ip(['-n', netns, 'addr', 'add', `${link.nodeIp}/24`, 'dev', 'eth0']);
    ip(['-n', netns, 'link', 'set', 'lo', 'up']);
    ip(['-n', netns, 'link', 'set', 'eth0', 'up']);
    ip(['-n', netns, 'route', 'add', 'default', 'via', link.hostIp]);
    return link;
  }
  throw new Error(`could not create a node network namespace: ${(lastError as { stderr?: Buffer }).stderr?.toString().trim() ?? String(lastError)}`);
}

/** One node as a peer on the links between the nodes of a cluster. */
export interface MeshEnd {
  readonly netns: string;
  /** The node's index in its cluster: its link names and address derive from it. */
  readonly index: number;
  readonly podCidr: string;
  /** The node's address on its link to the host: peers reach it over the pair too (the cluster DNS listens there on the first node). */
  readonly nodeIp: string;
}

/** The address a node holds on its links to the other nodes of its cluster; it exists only inside node namespaces. */
function meshIp(index: number): string {
  return `172.30.0.${index + 1}`;
}

/**
 * Joins two nodes of a cluster with a veth pair between their namespaces (`m<peer index>` on
 * each side) and routes each one's pod CIDR and node address to the other over it, so that pods
 * on different nodes reach each other, and each other's node (NodePorts, the cluster DNS),
 * without any route or forwarding on the host. The pair goes when either
 * namespace is deleted. Throws with `ip`'s message on failure.
 */
export function linkNodes(a: MeshEnd, b: MeshEnd): void {
  ip(['link', 'add', 'name', `m${b.index}`, 'netns', a.netns, 'type', 'veth', 'peer', 'name', `m${a.index}`, 'netns', b.netns]);
  for (const [end, other] of [[a, b], [b, a]] as const) {
    const dev = `m${other.index}`;
    ip(['-n', end.netns, 'addr', 'add', `${meshIp(end.index)}/32`, 'dev', dev]);
    ip(['-n', end.netns, 'link', 'set', dev, 'up']);
    ip(['-n', end.netns, 'route', 'add', `${meshIp(other.index)}/32`, 'dev', dev]);
    ip(['-n', end.netns, 'route', 'add', other.podCidr, 'via', meshIp(other.index), 'dev', dev]);
    ip(['-n', end.netns, 'route', 'add', `${other.nodeIp}/32`, 'via', meshIp(other.index), 'dev', dev]);
  }
}

/**
 * The cgroup hierarchies under /sys/fs/cgroup: the v1 ones (the kubelet needs its cgroupRoot
 * in each) and, with `unified`, the hybrid layout's cgroup2 tree too, where runc also puts the
 * pods' processes.
 */
function hierarchies(unified: boolean): string[] {
  const root = '/sys/fs/cgroup';
  return readdirSync(root).filter((d) => (unified || d !== 'unified') && existsSync(join(root, d, 'cgroup.procs'))).map((d) => join(root, d));
}

/**
 * Creates `cgroupRoot` (and its parents) in every cgroup v1 hierarchy. In the cpuset hierarchy a
 * new cgroup starts with no CPUs and no memory nodes, so each level copies its parent's.
 */
export function createCgroupRoot(cgroupRoot: string): void {
  const parts = cgroupRoot.split('/').filter((p) => p !== '');
  for (const h of hierarchies(false)) {
    let dir = h;
    for (const part of parts) {
      const parent = dir;
      dir = join(dir, part);
      if (existsSync(dir)) continue;
      execFileSync('mkdir', [dir]);
      if (h.endsWith('/cpuset')) {
        for (const f of ['cpuset.cpus', 'cpuset.mems']) writeFileSync(join(dir, f), readFileSync(join(parent, f)));
      }
    }
  }
}

function cgroupDirsDeepestFirst(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const children = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => join(dir, e.name));
  return [...children.flatMap(cgroupDirsDeepestFirst), dir];
}

function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Kills every process in `cgroupRoot` (the node's pods) and removes its cgroups, deepest first,
 * in every hierarchy, and the shared parent `/berth` when no other node has cgroups there. Waits up to 5 s for
 * the processes to die. Idempotent.
 */
function removeCgroupRoot(cgroupRoot: string): void {
  const dirs = hierarchies(true).flatMap((h) => cgroupDirsDeepestFirst(join(h, cgroupRoot)));
  const deadline = Date.now() + 5000;
  for (;;) {
    const pids = dirs.flatMap((d) => {
      try {
        return readFileSync(join(d, 'cgroup.procs'), 'utf8').split('\n').filter((l) => l !== '').map(Number);
      } catch {
        return [];
      }
    });
    if (pids.length === 0 || Date.now() > deadline) break;
    for (const pid of pids) kill(pid);
    sleepSync(50);
  }
  // The shared parents (`/berth`) go too once no other node uses them; rmdir refuses otherwise.
  const parents = cgroupRoot.split('/').filter((p) => p !== '').slice(0, -1)
    .map((_p, i, all) => `/${all.slice(0, all.length - i).join('/')}`);
  for (const d of [...dirs, ...hierarchies(true).flatMap((h) => parents.map((p) => join(h, p)))]) {
    try {
      rmdirSync(d);
    } catch {
      // Gone already, still used by another node, or a process outlived the wait.
    }
  }
}

function dead(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return true;
  }
}

/**
 * Kills every process whose command line names `dir` (containerd's shims name their socket
 * there, and they leave containerd's process group) and waits up to 5 s until they are gone.
 */
function killProcessesNaming(dir: string): void {
  const killed: number[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir)) {
        kill(pid);
        killed.push(pid);
      }
    } catch {
      // Exited while we looked.
    }
  }
  const deadline = Date.now() + 5000;
  while (killed.some((pid) => !dead(pid)) && Date.now() < deadline) sleepSync(20);
}

function mountpointsUnder(dir: string): string[] {
  const prefix = `${dir}/`;
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    // Field 5 is the mount point, with spaces and the like escaped as \ooo.
    .map((line) => line.split(' ')[4]?.replace(/\\(\d{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((m): m is string => m !== undefined && m.startsWith(prefix));
}

/**
 * Unmounts everything mounted under `dir` (container root filesystems, pod volumes, pod
 * network namespaces), deepest first, detaching busy ones. Throws when something stays
 * mounted: removing the folder then could reach through a bind mount into the host.
 */
function unmountUnder(dir: string): void {
  for (const m of mountpointsUnder(dir).sort((a, b) => b.length - a.length)) {
    try {
      execFileSync('umount', ['-l', m], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch {
      // Already unmounted along with a parent.
    }
  }
  const left = mountpointsUnder(dir);
  if (left.length > 0) throw new Error(`still mounted under ${dir}: ${left.join(', ')}`);
}

/**
 * Removes everything a node left on the host, in an order that works whether its processes
 * are running or long dead: processes naming the folder, the shims' sockets, the pods' cgroups,
 * mounts under the folder, the network namespace (which takes the veth pair with it), the CNI
 * cache entries, the kubelet's links and socket at fixed machine paths, then the folder. Idempotent; never throws for something already gone.
 */
export function cleanupNodeHost(nodeDir: string, record: NodeHostRecord | undefined): void {
  killProcessesNaming(nodeDir);
  // Killed shims leave their sockets, and the CNI cache its loopback results, outside the folder;
  // both are named after the pod sandbox.
  const sandboxes = sandboxIds(nodeDir);
  for (const id of sandboxes) rmSync(shimSocket(nodeDir, id), { force: true });
  if (record !== undefined) removeCgroupRoot(record.cgroupRoot);
  unmountUnder(nodeDir);
  if (record !== undefined) {
    try {
      ip(['netns', 'delete', record.netns]);
    } catch {
      // Never created, or deleted already.
    }
    try {
      for (const f of readdirSync(CNI_CACHE)) {
        if (f.startsWith(`${record.cniNetwork}-`) || sandboxes.some((id) => f.includes(`-${id}-`))) rmSync(join(CNI_CACHE, f), { force: true });
      }
    } catch {
      // No CNI cache on this machine.
    }
  }
  removeMachinePaths(nodeDir);
  rmSync(nodeDir, { recursive: true, force: true });
}

/** Reads a node folder's record; `undefined` when the node never got that far. */
function readNodeRecord(nodeDir: string): NodeHostRecord | undefined {
  try {
    return JSON.parse(readFileSync(join(nodeDir, NODE_RECORD), 'utf8')) as NodeHostRecord;
  } catch {
    return undefined;
  }
}

/** Cleans up every node folder under `<clusterDir>/nodes` (see {@link cleanupNodeHost}). */
export function cleanupNodesIn(clusterDir: string): void {
  const nodesDir = join(clusterDir, 'nodes');
  let entries: string[];
  try {
    entries = readdirSync(nodesDir);
  } catch {
    return;
  }
  for (const entry of entries) cleanupNodeHost(join(nodesDir, entry), readNodeRecord(join(nodesDir, entry)));
}
