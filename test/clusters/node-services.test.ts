// Services, DNS and volumes on real nodes, one cluster of two nodes for the file: a Deployment
// of the responder pulled from a private Berth project with a robot's credentials, its ClusterIP
// and NodePort reached from a pod and from the host through kube-proxy, its DNS name resolved by
// the cluster's CoreDNS inside pods, and hostPath and emptyDir volumes across a pod's deletion.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { adminPassword } from '../support/server.ts';
import { startRegistryServer, tool } from '../registry/support.ts';
import type { RegistryServer } from '../registry/support.ts';
import {
  CLUSTER_DOMAIN, clusterDnsIp, connect, createNamespace, eventually, execInPod, expectOk, firstPodReadyAt, pushNodeImages, startCluster,
  waitForPodReady, waitForPodsReady,
} from './index.ts';
import type { Cluster, KubeObject } from './index.ts';

/** The name pods use for the Berth registry; each node maps it to the Berth of the test. */
const REGISTRY = 'berth.test';
const RESPONDER = `${REGISTRY}/nodes/responder:1`;

let berth: RegistryServer;
let cluster: Cluster;
let robot: { readonly username: string; readonly secret: string };
let failed = false;
let clusterBegan = 0;

/** Marks the file failed when `fn` throws, so that `after` keeps the cluster's logs. */
function keepingLogs(fn: () => Promise<void>): () => Promise<void> {
  return async () => {
    try {
      await fn();
    } catch (err) {
      failed = true;
      throw err;
    }
  };
}

before(async () => {
  berth = await startRegistryServer('sqlite', {}, { host: '0.0.0.0' });
  await berth.createProject('nodes');
  robot = await berth.createRobot('nodes', 'node', [{ repositories: '**', actions: ['pull'] }]);
  await pushNodeImages({ registry: berth.host, project: 'nodes', username: 'admin', password: adminPassword, crane: tool('crane') });
  clusterBegan = Date.now();
  cluster = await startCluster({
    name: 'svc', nodes: 2,
    nodeRegistry: { name: REGISTRY, address: berth.host, username: robot.username, password: robot.secret, pauseImage: `${REGISTRY}/nodes/pause:1` },
  });
});

after(async () => {
  if (failed && cluster !== undefined) {
    const logs = cluster.logTail(40);
    const kept = await cluster.stop({ keepLogs: true });
    process.stderr.write(`cluster ${cluster.name} logs kept in ${kept}\n${logs}\n`);
  }
  await cluster?.stop();
  await berth?.close();
});

/** GET http://`address`/ from the test process; the status and body, or status 0 when nothing answered within 3 s. */
function httpGet(address: string): Promise<{ readonly status: number; readonly body: string }> {
  return new Promise((resolve) => {
    const req = request(`http://${address}/`, { timeout: 3000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', () => resolve({ status: 0, body: '' }));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.end();
  });
}

function responderPod(name: string, nodeName: string): KubeObject {
  return {
    apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: name } },
    spec: { terminationGracePeriodSeconds: 0, nodeName, containers: [{ name: 'main', image: RESPONDER }] },
  };
}

test('every node runs kube-proxy, and the first one the cluster DNS (start times printed)', () => {
  const [first, second] = cluster.nodes;
  // For the README's figures; no bound is asserted, since the machine is shared with other work.
  process.stdout.write(`# control plane ${cluster.startMs} ms, ${first.name} Ready ${first.readyMs} ms, ${second.name} Ready ${second.readyMs} ms\n`);
  assert.deepEqual(first.components.map((c) => c.name.split('/')[1]).sort(), ['containerd', 'coredns', 'kube-proxy', 'kubelet']);
  assert.deepEqual(second.components.map((c) => c.name.split('/')[1]).sort(), ['containerd', 'kube-proxy', 'kubelet']);
});

test('a Deployment of the responder pulled from a private project with a robot: Ready; its ClusterIP and NodePort answer from a pod and from the host; its DNS name resolves and answers in a pod', { timeout: 240_000 }, keepingLogs(async () => {
  const pull = async (credentials?: string): Promise<number> => {
    const scope = 'repository:nodes/responder:pull';
    const token = await fetch(`${berth.url}/auth/token?service=berth&scope=${scope}`,
      { headers: credentials === undefined ? {} : { authorization: `Basic ${Buffer.from(credentials).toString('base64')}` } });
    const { token: bearer } = (await token.json()) as { token: string };
    const manifest = await fetch(`${berth.url}/v2/nodes/responder/manifests/1`,
      { headers: { authorization: `Bearer ${bearer}`, accept: 'application/vnd.oci.image.manifest.v1+json' } });
    await manifest.arrayBuffer();
    return manifest.status;
  };
  assert.notEqual(await pull(), 200, 'the project is private: no anonymous pull');
  assert.equal(await pull(`${robot.username}:${robot.secret}`), 200, 'the robot the nodes hold may pull');

  const ns = await createNamespace(cluster);
  const began = Date.now();
  expectOk(await cluster.request('POST', `/apis/apps/v1/namespaces/${ns}/deployments`, {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' },
    spec: {
      replicas: 3, selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          terminationGracePeriodSeconds: 0,
          containers: [{
            name: 'responder', image: RESPONDER, args: ['serve', '--tcp', '8080', '--udp', '8053'],
            readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 },
          }],
        },
      },
    },
  }), 'create Deployment web');
  const service = expectOk(await cluster.request('POST', `/api/v1/namespaces/${ns}/services`, {
    apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' },
    spec: {
      type: 'NodePort', selector: { app: 'web' },
      ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 8080 }, { name: 'echo', protocol: 'UDP', port: 53, targetPort: 8053 }],
    },
  }), 'create Service web') as { spec: { clusterIP: string; ports: { name: string; nodePort: number }[] } };
  // The client runs on the second node, away from CoreDNS: its lookups cross the link between the nodes.
  expectOk(await cluster.request('POST', `/api/v1/namespaces/${ns}/pods`, responderPod('client', cluster.nodes[1].name)), 'create pod client');

  const pods = await waitForPodsReady(cluster, ns, 'app=web', 3);
  process.stdout.write(`# 3 replicas Ready ${Date.now() - began} ms after the Deployment's create, `
    + `the first ${(firstPodReadyAt(cluster) ?? Number.NaN) - clusterBegan} ms after the cluster's start\n`);
  await waitForPodReady(cluster, ns, 'client');
  const names = new Set(pods.map((p) => p.metadata?.name));
  const deployment = expectOk(await cluster.request('GET', `/apis/apps/v1/namespaces/${ns}/deployments/web`), 'get Deployment') as KubeObject;
  assert.equal((deployment.status as { readyReplicas?: number }).readyReplicas, 3);

  const { clusterIP } = service.spec;
  const nodePort = service.spec.ports.find((p) => p.name === 'http')?.nodePort;
  assert.ok(nodePort !== undefined);
  // kube-proxy writes the Service's rules once the EndpointSlice has the three ready pods.
  const viaClusterIp = await eventually('the ClusterIP to answer from a pod', async () => {
    const r = await connect(cluster, ns, 'client', 'tcp', `${clusterIP}:80`);
    return r.ok ? r : undefined;
  }, 30_000, 500);
  assert.ok(names.has(viaClusterIp.answer.trim()), `${viaClusterIp.answer} is one of ${[...names].join(', ')}`);

  // Every replica, on either node, gets traffic through the ClusterIP. The first answer can come
  // while kube-proxy's rules hold only part of the EndpointSlice (it fills as pods turn ready):
  // rounds of 40 requests until all three have answered, each answer one of the three.
  const answered = new Set<string>();
  await eventually('the ClusterIP to balance over all three replicas', async () => {
    const spread = await execInPod(cluster, ns, 'client', ['sh', '-c', `for i in $(seq 1 40); do responder probe tcp ${clusterIP}:80 2; done`],
      { timeoutMs: 120_000 });
    assert.equal(spread.code, 0, spread.stderr);
    for (const a of spread.stdout.trim().split('\n')) answered.add(a);
    return answered.size >= names.size ? true : undefined;
  }, 60_000, 500);
  assert.deepEqual(answered, names, 'the ClusterIP balances over all three replicas');
  const udp = await connect(cluster, ns, 'client', 'udp', `${clusterIP}:53`);
  assert.ok(udp.ok && names.has(udp.answer.trim()), `UDP through the ClusterIP: ${JSON.stringify(udp)}`);

  for (const node of cluster.nodes) {
    const fromPod = await connect(cluster, ns, 'client', 'tcp', `${node.link.nodeIp}:${nodePort}`);
    assert.ok(fromPod.ok && names.has(fromPod.answer.trim()), `NodePort of ${node.name} from a pod: ${JSON.stringify(fromPod)}`);
    const fromHost = await httpGet(`${node.link.nodeIp}:${nodePort}`);
    assert.equal(fromHost.status, 200, `NodePort of ${node.name} from the host`);
    assert.ok(names.has(fromHost.body.trim()), `NodePort of ${node.name} from the host answered ${fromHost.body}`);
  }

  const fqdn = `web.${ns}.svc.${CLUSTER_DOMAIN}`;
  const resolvConf = await execInPod(cluster, ns, 'client', ['cat', '/etc/resolv.conf']);
  assert.match(resolvConf.stdout, new RegExp(`^nameserver ${clusterDnsIp(cluster.serviceClusterIpRange).replaceAll('.', '\\.')}$`, 'm'));
  const lookup = await execInPod(cluster, ns, 'client', ['nslookup', fqdn]);
  assert.equal(lookup.code, 0, `${lookup.stdout}${lookup.stderr}`);
  assert.match(lookup.stdout, new RegExp(`Address:\\s+${clusterIP.replaceAll('.', '\\.')}\\b`), `nslookup ${fqdn}:\n${lookup.stdout}`);
  for (const [protocol, target] of [['tcp', `${fqdn}:80`], ['tcp', 'web:80'], ['udp', `${fqdn}:53`]] as const) {
    const r = await connect(cluster, ns, 'client', protocol, target);
    assert.ok(r.ok && names.has(r.answer.trim()), `${protocol} ${target} from a pod: ${JSON.stringify(r)}`);
  }
  const missing = await execInPod(cluster, ns, 'client', ['nslookup', `nothing.${ns}.svc.${CLUSTER_DOMAIN}`]);
  assert.notEqual(missing.code, 0, 'a Service that does not exist does not resolve');
}));

test('a pod deleted and created again finds its hostPath file and a fresh emptyDir', { timeout: 180_000 }, keepingLogs(async () => {
  const ns = await createNamespace(cluster);
  const [node] = cluster.nodes;
  const hostDir = join(node.dir, 'host-data', ns);
  const writer = (command: string): KubeObject => ({
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'writer' },
    spec: {
      nodeName: node.name, terminationGracePeriodSeconds: 0,
      containers: [{
        name: 'main', image: `${REGISTRY}/nodes/busybox:1`, command: ['sh', '-c', command],
        volumeMounts: [{ name: 'host', mountPath: '/host' }, { name: 'scratch', mountPath: '/scratch' }],
      }],
      volumes: [{ name: 'host', hostPath: { path: hostDir, type: 'DirectoryOrCreate' } }, { name: 'scratch', emptyDir: {} }],
    },
  });
  const create = async (command: string): Promise<void> => {
    expectOk(await cluster.request('POST', `/api/v1/namespaces/${ns}/pods`, writer(command)), 'create pod writer');
    await waitForPodReady(cluster, ns, 'writer');
  };
  await create('echo kept > /host/f && echo lost > /scratch/f && exec sleep 3600');
  const first = await execInPod(cluster, ns, 'writer', ['cat', '/host/f', '/scratch/f']);
  assert.deepEqual({ code: first.code, out: first.stdout }, { code: 0, out: 'kept\nlost\n' }, first.stderr);
  assert.equal(readFileSync(join(hostDir, 'f'), 'utf8'), 'kept\n', 'the hostPath is the node\'s folder');

  expectOk(await cluster.request('DELETE', `/api/v1/namespaces/${ns}/pods/writer`, { gracePeriodSeconds: 0 }), 'delete pod writer');
  await eventually('pod writer gone', async () => ((await cluster.request('GET', `/api/v1/namespaces/${ns}/pods/writer`)).status === 404 ? true : undefined), 60_000, 250);
  await create('exec sleep 3600');
  const host = await execInPod(cluster, ns, 'writer', ['cat', '/host/f']);
  assert.deepEqual({ code: host.code, out: host.stdout }, { code: 0, out: 'kept\n' }, host.stderr);
  const scratch = await execInPod(cluster, ns, 'writer', ['sh', '-c', 'ls -A /scratch']);
  assert.deepEqual({ code: scratch.code, out: scratch.stdout }, { code: 0, out: '' }, 'the new pod\'s emptyDir starts empty');
  assert.ok(existsSync(join(hostDir, 'f')));
}));
