// The test-cluster starter against the real binaries: start, use, stop, two at once, and
// clean-up after the test process is killed. Needs test/clusters/build.sh to have run.
import { CoreV1Api } from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { spawnOrphan } from '../support/orphan.ts';
import {
  createNamespace, createNode, eventually, startCluster, waitForQuotaUsed, withCluster, withClusters,
} from './index.ts';
import type { Cluster, KubeObject } from './index.ts';

function alive(pid: number): boolean {
  try {
    // A killed component whose parent died is a zombie until init reaps it: dead all the same.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

async function expectStopped(dir: string, pids: readonly number[], port: number): Promise<void> {
  assert.equal(existsSync(dir), false, `cluster folder ${dir} removed`);
  await eventually('component processes gone', async () => (pids.every((p) => !alive(p)) ? true : undefined), 10_000);
  assert.equal(await portOpen(port), false, 'kube-apiserver port closed');
}

function pod(name: string, cpu: string): KubeObject {
  return {
    apiVersion: 'v1', kind: 'Pod', metadata: { name },
    spec: { containers: [{ name: 'app', image: 'registry.example/app:1', resources: { requests: { cpu }, limits: { cpu } } }] },
  };
}

test('a cluster starts ready, schedules, enforces quota and service ranges, and stops cleanly', async (t) => {
  let seen: Cluster | undefined;
  await withCluster(async (cluster) => {
    seen = cluster;
    t.diagnostic(`cluster ready in ${cluster.startMs} ms`);
    assert.ok(cluster.startMs < 15_000, `ready in under 15 s (issue 4's target), took ${cluster.startMs} ms`);
    assert.equal(cluster.components.length, 4);

    const ns = await createNamespace(cluster, { prefix: 'starter' });
    const quota = await cluster.request('POST', `/api/v1/namespaces/${ns}/resourcequotas`, {
      apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'compute' },
      spec: { hard: { pods: '2', 'requests.cpu': '1' } },
    });
    assert.equal(quota.status, 201, JSON.stringify(quota.body));
    assert.deepEqual((await waitForQuotaUsed(cluster, ns, 'compute')).used, { pods: '0', 'requests.cpu': '0' });

    const node = await createNode(cluster, { capacity: { cpu: '4', memory: '8Gi' }, labels: { 'berth.io/pool': 'a' } });
    const nodeName = node.metadata?.name ?? '';
    assert.equal((await cluster.request('POST', `/api/v1/namespaces/${ns}/pods`, pod('web-1', '250m'))).status, 201);
    const scheduledOn = await eventually('pod web-1 bound to the node', async () => {
      const res = await cluster.request('GET', `/api/v1/namespaces/${ns}/pods/web-1`);
      return ((res.body as KubeObject).spec?.nodeName as string | undefined);
    });
    assert.equal(scheduledOn, nodeName);
    await waitForQuotaUsed(cluster, ns, 'compute', { pods: '1', 'requests.cpu': '250m' });

    const refused = await cluster.request('POST', `/api/v1/namespaces/${ns}/pods`, pod('web-2', '1'));
    assert.equal(refused.status, 403);
    assert.match((refused.body as { message: string }).message,
      /^pods "web-2" is forbidden: exceeded quota: compute, requested: requests.cpu=1, used: requests.cpu=250m, limited: requests.cpu=1$/);

    const cidr = await eventually('nodeipam gives the node a podCIDR', async () => {
      const res = await cluster.request('GET', `/api/v1/nodes/${nodeName}`);
      return (res.body as KubeObject).spec?.podCIDR as string | undefined;
    });
    assert.match(cidr, /^10\.200\.\d+\.0\/24$/);

    const outOfRange = await cluster.request('POST', `/api/v1/namespaces/${ns}/services`, {
      apiVersion: 'v1', kind: 'Service', metadata: { name: 'np' },
      spec: { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] },
    });
    assert.equal(outOfRange.status, 422);
    assert.match(JSON.stringify(outOfRange.body), /valid ports is 31000-31009/);
    const auto = await cluster.request('POST', `/api/v1/namespaces/${ns}/services`, {
      apiVersion: 'v1', kind: 'Service', metadata: { name: 'np' }, spec: { type: 'NodePort', ports: [{ port: 80 }] },
    });
    assert.equal(auto.status, 201, JSON.stringify(auto.body));
    const svc = (auto.body as KubeObject).spec as { clusterIP: string; ports: { nodePort: number }[] };
    assert.ok(svc.ports[0].nodePort >= 31000 && svc.ports[0].nodePort <= 31009, `nodePort ${svc.ports[0].nodePort}`);
    assert.match(svc.clusterIP, /^10\.123\.0\.\d+$/);

    const core = cluster.kubeConfig().makeApiClient(CoreV1Api);
    const names = (await core.listNamespace()).items.map((n) => n.metadata?.name);
    assert.ok(names.includes(ns), 'client-node sees the namespace');
  }, {
    name: 'starter', serviceNodePortRange: '31000-31009', serviceClusterIpRange: '10.123.0.0/24', clusterCidr: '10.200.0.0/16',
  })(t);
  assert.ok(seen !== undefined);
  await expectStopped(seen.dir, seen.components.map((c) => c.pid), seen.ports.apiserver);
});

test('two clusters run at once, independent of each other', withClusters(2, async ([a, b], t) => {
  t.diagnostic(`ready in ${a.startMs} ms and ${b.startMs} ms`);
  assert.notEqual(a.server, b.server);
  assert.notEqual(a.dir, b.dir);
  const ns = await createNamespace(a, { prefix: 'only-in-a' });
  assert.equal((await a.request('GET', `/api/v1/namespaces/${ns}`)).status, 200);
  assert.equal((await b.request('GET', `/api/v1/namespaces/${ns}`)).status, 404);
  // Each cluster has its own CA: b's admin credentials mean nothing to a.
  const foreign = b.kubeConfig();
  foreign.clusters[0] = { ...foreign.clusters[0], server: a.server, skipTLSVerify: true, caFile: undefined };
  await assert.rejects(foreign.makeApiClient(CoreV1Api).listNamespace(), /401|Unauthorized/);
}));

test('a cluster left behind by a killed test process is reaped by the next start', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'berth-crash-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const clusterModule = fileURLToPath(new URL('./cluster.ts', import.meta.url));
  const { child, trace: orphan } = await spawnOrphan<{ dir: string; pids: number[]; port: number }>(`
    import { startCluster } from ${JSON.stringify(clusterModule)};
    const c = await startCluster({ name: 'crash', root: ${JSON.stringify(root)} });
    console.log(JSON.stringify({ dir: c.dir, pids: c.components.map((x) => x.pid), port: c.ports.apiserver }));
  `, 'its cluster was ready');
  const killed = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await killed;
  assert.ok(orphan.pids.every(alive), 'components outlive the killed test process');
  assert.ok(existsSync(orphan.dir));

  const next = await startCluster({ name: 'next', root });
  try {
    await expectStopped(orphan.dir, orphan.pids, orphan.port);
    assert.equal((await next.request('GET', '/readyz')).status, 200);
  } finally {
    await next.stop();
  }
});
