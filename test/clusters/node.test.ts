// A real worker node end to end: images built from Debian's busybox-static and pushed to a
// Berth started here, a cluster with one node (kubelet, containerd, CNI bridge) that pulls them
// from Berth with a robot's credentials, pods that become Ready, exec and logs through the API
// server, one pod reaching another over the pod network, and a teardown that leaves nothing.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { adminPassword } from '../support/server.ts';
import { startRegistryServer, tool } from '../registry/support.ts';
import type { RegistryServer } from '../registry/support.ts';
import {
  createNamespace, execInPod, expectOk, pushNodeImages, startCluster, waitForPodReady, withCluster,
} from './index.ts';
import type { Cluster, KubeObject, NodeRegistry } from './index.ts';

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

/** Machine folders where a node's components put files outside the node's own folder. */
const MACHINE_DIRS = ['/run/containerd/s', '/run/containerd/runc/k8s.io', '/var/lib/cni/results', '/var/log/containers', '/var/lib/kubelet', '/run/netns'];

function machineEntries(): Set<string> {
  return new Set(MACHINE_DIRS.flatMap((d) => {
    try {
      return readdirSync(d).map((f) => join(d, f));
    } catch {
      return [];
    }
  }));
}

function leftovers(dir: string, netns: string, cgroupRoot: string, before: ReadonlySet<string>): string[] {
  const found: string[] = [...machineEntries()].filter((e) => !before.has(e));
  if (existsSync(dir)) found.push(`folder ${dir}`);
  if (execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).includes(netns)) found.push(`netns ${netns}`);
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    if (line.split(' ')[4]?.startsWith(`${dir}/`) === true) found.push(`mount ${line.split(' ')[4]}`);
  }
  for (const h of readdirSync('/sys/fs/cgroup')) if (existsSync(`/sys/fs/cgroup/${h}${cgroupRoot}`)) found.push(`cgroup ${h}${cgroupRoot}`);
  for (const entry of readdirSync('/proc')) {
    try {
      if (/^\d+$/.test(entry) && readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(dir)) found.push(`process ${entry}`);
    } catch {
      // Exited while we looked.
    }
  }
  return found;
}

let berth: RegistryServer;
let registry: NodeRegistry;

before(async () => {
  berth = await startRegistryServer();
  await berth.createProject('nodes');
  const robot = await berth.createRobot('nodes', 'node', [{ repositories: '**', actions: ['pull'] }]);
  const pushed = await pushNodeImages({ registry: berth.host, project: 'nodes', username: 'admin', password: adminPassword, crane: tool('crane') });
  assert.equal(pushed.pause, `${berth.host}/nodes/pause:1`);
  registry = { name: REGISTRY, address: berth.host, username: robot.username, password: robot.secret, pauseImage: `${REGISTRY}/nodes/pause:1` };
});

after(async () => {
  await berth.close();
});

test('a real node runs pods pulled from Berth: Ready, exec, logs, pod-to-pod traffic; nothing left after', { timeout: 300_000 }, async (t) => {
  let seen: { dir: string; netns: string; cgroupRoot: string } | undefined;
  const before = machineEntries();
  await withCluster(async (cluster) => {
    const [node] = cluster.nodes;
    seen = { dir: node.dir, netns: node.host.netns, cgroupRoot: node.host.cgroupRoot };
    const ns = await createNamespace(cluster);
    const began = Date.now();
    expectOk(await cluster.request('POST', `/api/v1/namespaces/${ns}/pods`, pod('server', [
      'sh', '-c', 'mkdir -p /www && echo "hello from $(hostname)" > /www/index.html && echo serving && exec httpd -f -p 8080 -h /www',
    ], { readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 } })), 'create server pod');
    const server = await waitForPodReady(cluster, ns, 'server');
    const firstPodMs = Date.now() - began;
    expectOk(await cluster.request('POST', `/api/v1/namespaces/${ns}/pods`, pod('client', ['sleep', '3600'])), 'create client pod');
    await waitForPodReady(cluster, ns, 'client');
    t.diagnostic(`control plane ${cluster.startMs} ms, node Ready ${node.readyMs} ms, first pod Ready ${firstPodMs} ms after its create`);

    const serverIp = (server.status as { podIP?: string }).podIP ?? '';
    assert.ok(serverIp.startsWith(node.podCidr.split('.').slice(0, 3).join('.')), `server pod IP ${serverIp} in the node's pod CIDR ${node.podCidr}`);
    const hostname = await execInPod(cluster, ns, 'server', ['hostname']);
    assert.deepEqual({ code: hostname.code, out: hostname.stdout.trim() }, { code: 0, out: 'server' }, hostname.stderr);
    const fetched = await execInPod(cluster, ns, 'client', ['wget', '-q', '-O', '-', `http://${serverIp}:8080/`]);
    assert.deepEqual({ code: fetched.code, out: fetched.stdout }, { code: 0, out: 'hello from server\n' }, fetched.stderr);
    const failing = await execInPod(cluster, ns, 'client', ['sh', '-c', 'exit 3']);
    assert.equal(failing.code, 3, 'the exit code of a command comes back through exec');
    assert.equal(await podLog(cluster, ns, 'server'), 'serving\n');
  }, { nodes: 1, nodeRegistry: registry })(t);

  assert.ok(seen !== undefined, 'the cluster had a node');
  assert.deepEqual(leftovers(seen.dir, seen.netns, seen.cgroupRoot, before), [], 'the node left nothing behind');
});

test('a node with a running pod, left behind by a killed test process, is reaped by the next start', { timeout: 300_000 }, async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'berth-node-crash-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const before = machineEntries();
  const index = fileURLToPath(new URL('./index.ts', import.meta.url));
  const child = spawn(process.execPath, ['--input-type=module', '-e', `
    import { createNamespace, startCluster, waitForPodReady } from ${JSON.stringify(index)};
    const c = await startCluster({ name: 'crash', root: ${JSON.stringify(root)}, nodes: 1, nodeRegistry: ${JSON.stringify(registry)} });
    const ns = await createNamespace(c);
    await c.request('POST', '/api/v1/namespaces/' + ns + '/pods', ${JSON.stringify(pod('sleeper', ['sleep', '3600']))});
    await waitForPodReady(c, ns, 'sleeper');
    const [n] = c.nodes;
    console.log(JSON.stringify({ dir: n.dir, netns: n.host.netns, cgroupRoot: n.host.cgroupRoot }));
    setInterval(() => {}, 1 << 30);
  `], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0]);
    });
    child.once('exit', (code) => reject(new Error(`child exited with ${code} before its pod was Ready`)));
  });
  const orphan = JSON.parse(line) as { dir: string; netns: string; cgroupRoot: string };
  const killed = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await killed;
  assert.ok(leftovers(orphan.dir, orphan.netns, orphan.cgroupRoot, before).length > 0, 'the killed test left its node running');

  const next = await startCluster({ name: 'next', root });
  try {
    assert.deepEqual(leftovers(orphan.dir, orphan.netns, orphan.cgroupRoot, before), [], 'the next start reaped the node');
  } finally {
    await next.stop();
  }
});
