// Real worker nodes end to end: images built from Debian's busybox-static and pushed to a
// Berth started here, a cluster with two nodes (kubelet, containerd, CNI bridge) that pull them
// from Berth with a robot's credentials, pods that become Ready, exec and logs through the API
// server, pods reaching another on the same node and across nodes, and a teardown that leaves nothing.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { adminPassword } from '../support/server.ts';
import { startRegistryServer, tool } from '../registry/support.ts';
import type { RegistryServer } from '../registry/support.ts';
import { spawnOrphan } from '../support/orphan.ts';
import {
  createNamespace, execInPod, expectOk, pushNodeImages, startCluster, waitForPodReady, withCluster,
} from './index.ts';
import type { Cluster, ClusterNode, KubeObject, NodeRegistry } from './index.ts';

/** The name pods use for the Berth registry; each node maps it to the Berth of the test. */
const REGISTRY = 'berth.test';

function pod(name: string, command: readonly string[], extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: name } },
    spec: {
      terminationGracePeriodSeconds: 0,
      containers: [{ name: 'main', image: `${REGISTRY}/nodes/busybox:1`, command, ...extra }],
    },
  };
}

async function podLog(cluster: Cluster, namespace: string, name: string): Promise<string> {
  const res = await cluster.request('GET', `/api/v1/namespaces/${namespace}/pods/${name}/log`);
  return String(expectOk(res, `log of ${namespace}/${name}`));
}

/** What a node leaves traces of: its folder, namespace, cgroups, and the containerd ids of its pods and containers. */
interface NodeTrace {
  readonly dir: string;
  readonly netns: string;
  readonly cgroupRoot: string;
  readonly ids: readonly string[];
}

/** The trace of a running node, its pods' sandboxes and containers included. */
function traceOf(node: ClusterNode): NodeTrace {
  const cri = join(node.dir, 'containerd', 'root', 'io.containerd.grpc.v1.cri');
  const ids = ['sandboxes', 'containers'].flatMap((d) => readdirSync(join(cri, d)));
  return { dir: node.dir, netns: node.host.netns, cgroupRoot: node.host.cgroupRoot, ids };
}

function entries(dir: string): string[] {
  try {
    return readdirSync(dir).map((f) => join(dir, f));
  } catch {
    return [];
  }
}

/**
 * Everything of the node still on the machine. Other nodes may run at the same time (another
 * clone's tests), so machine folders are searched for this node's ids only; a shim's socket is
 * named by a hash of containerd's socket, the namespace and the id (containerd 1.6).
 */
function leftovers(trace: NodeTrace): string[] {
  const found: string[] = [];
  if (existsSync(trace.dir)) found.push(`folder ${trace.dir}`);
  // Exact names: berth-10-200-24 is a prefix of berth-10-200-240, another test's node.
  const namespaces = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map((l) => l.split(' ')[0]);
  if (namespaces.includes(trace.netns)) found.push(`netns ${trace.netns}`);
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    if (line.split(' ')[4]?.startsWith(`${trace.dir}/`) === true) found.push(`mount ${line.split(' ')[4]}`);
  }
  for (const h of readdirSync('/sys/fs/cgroup')) if (existsSync(`/sys/fs/cgroup/${h}${trace.cgroupRoot}`)) found.push(`cgroup ${h}${trace.cgroupRoot}`);
  const kubeletRuns: boolean[] = [];
  for (const entry of readdirSync('/proc')) {
    try {
      if (/^\d+$/.test(entry) && readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(trace.dir)) found.push(`process ${entry}`);
      if (/^\d+$/.test(entry) && readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'kubelet') kubeletRuns.push(true);
    } catch {
      // Exited while we looked.
    }
  }
  const socket = join(trace.dir, 'containerd', 'containerd.sock');
  const shims = new Set(trace.ids.map((id) => join('/run/containerd/s', createHash('sha256').update(join(socket, 'k8s.io', id)).digest('hex'))));
  found.push(...entries('/run/containerd/s').filter((e) => shims.has(e)));
  for (const d of ['/var/lib/cni/results', '/var/log/containers', '/run/containerd/runc/k8s.io']) {
    found.push(...entries(d).filter((e) => basename(e).startsWith(`${trace.netns}-`) || trace.ids.some((id) => e.includes(id))));
  }
  if (kubeletRuns.length === 0 && existsSync('/var/lib/kubelet')) found.push('/var/lib/kubelet with no kubelet running');
  return found;
}

let berth: RegistryServer;
let registry: NodeRegistry;

before(async () => {
  berth = await startRegistryServer('sqlite', {}, { host: '0.0.0.0' });
  await berth.createProject('nodes');
  const robot = await berth.createRobot('nodes', 'node', [{ repositories: '**', actions: ['pull'] }]);
  const pushed = await pushNodeImages({ registry: berth.host, project: 'nodes', username: 'admin', password: adminPassword, crane: tool('crane') });
  assert.equal(pushed.pause, `${berth.host}/nodes/pause:1`);
  registry = { name: REGISTRY, address: berth.host, username: robot.username, password: robot.secret, pauseImage: `${REGISTRY}/nodes/pause:1` };
});

after(async () => {
  await berth.close();
});

test('real nodes run pods pulled from Berth: Ready, exec, logs, traffic on a node and across nodes; nothing left after', { timeout: 300_000 }, async (t) => {
  const seen: NodeTrace[] = [];
  await withCluster(async (cluster) => {
    const [first, second] = cluster.nodes;
    const ns = await createNamespace(cluster);
    const create = async (object: KubeObject, nodeName: string): Promise<void> => {
      expectOk(await cluster.request('POST', `/api/v1/namespaces/${ns}/pods`, { ...object, spec: { ...object.spec, nodeName } }), `create pod ${object.metadata?.name}`);
    };
    const began = Date.now();
    await create(pod('server', [
      'sh', '-c', 'mkdir -p /www && echo "hello from $(hostname)" > /www/index.html && echo serving && exec httpd -f -p 8080 -h /www',
    ], { readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 } }), first.name);
    const server = await waitForPodReady(cluster, ns, 'server');
    const firstPodMs = Date.now() - began;
    await create(pod('near', ['sleep', '3600']), first.name);
    await create(pod('far', ['sleep', '3600']), second.name);
    await waitForPodReady(cluster, ns, 'near');
    await waitForPodReady(cluster, ns, 'far');
    t.diagnostic(`control plane ${cluster.startMs} ms, nodes Ready ${first.readyMs} and ${second.readyMs} ms, first pod Ready ${firstPodMs} ms after its create`);

    const serverIp = (server.status as { podIP?: string }).podIP ?? '';
    assert.ok(serverIp.startsWith(first.podCidr.split('.').slice(0, 3).join('.')), `server pod IP ${serverIp} in its node's pod CIDR ${first.podCidr}`);
    const hostname = await execInPod(cluster, ns, 'server', ['hostname']);
    assert.deepEqual({ code: hostname.code, out: hostname.stdout.trim() }, { code: 0, out: 'server' }, hostname.stderr);
    for (const client of ['near', 'far']) {
      const fetched = await execInPod(cluster, ns, client, ['wget', '-q', '-O', '-', `http://${serverIp}:8080/`]);
      assert.deepEqual({ client, code: fetched.code, out: fetched.stdout }, { client, code: 0, out: 'hello from server\n' }, fetched.stderr);
    }
    const failing = await execInPod(cluster, ns, 'far', ['sh', '-c', 'exit 3']);
    assert.equal(failing.code, 3, 'the exit code of a command comes back through exec');
    assert.equal(await podLog(cluster, ns, 'server'), 'serving\n');
    seen.push(traceOf(first), traceOf(second));
    assert.ok(seen[0].ids.length >= 4 && seen[1].ids.length >= 2, `each pod has a sandbox and a container: ${JSON.stringify(seen.map((x) => x.ids))}`);
  }, { nodes: 2, nodeRegistry: registry })(t);

  assert.equal(seen.length, 2, 'the cluster had two nodes');
  assert.deepEqual(seen.flatMap(leftovers), [], 'the nodes left nothing behind');
});

test('a node with a running pod, left behind by a killed test process, is reaped by the next start', { timeout: 300_000 }, async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'berth-node-crash-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const index = fileURLToPath(new URL('./index.ts', import.meta.url));
  const { child, trace: orphan } = await spawnOrphan<NodeTrace>(`
    import { readdirSync } from 'node:fs';
    import { createNamespace, startCluster, waitForPodReady } from ${JSON.stringify(index)};
    const c = await startCluster({ name: 'crash', root: ${JSON.stringify(root)}, nodes: 1, nodeRegistry: ${JSON.stringify(registry)} });
    const ns = await createNamespace(c);
    await c.request('POST', '/api/v1/namespaces/' + ns + '/pods', ${JSON.stringify(pod('sleeper', ['sleep', '3600']))});
    await waitForPodReady(c, ns, 'sleeper');
    const [n] = c.nodes;
    const cri = n.dir + '/containerd/root/io.containerd.grpc.v1.cri/';
    const ids = [...readdirSync(cri + 'sandboxes'), ...readdirSync(cri + 'containers')];
    console.log(JSON.stringify({ dir: n.dir, netns: n.host.netns, cgroupRoot: n.host.cgroupRoot, ids }));
  `, 'its pod was Ready');
  const killed = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await killed;
  assert.ok(leftovers(orphan).length > 0, 'the killed test left its node running');

  const next = await startCluster({ name: 'next', root });
  try {
    assert.deepEqual(leftovers(orphan), [], 'the next start reaped the node');
  } finally {
    await next.stop();
  }
});
