// The tenant-wide quota enforced live by Berth's validating webhook in two real clusters: the
// reconciler registers the webhook; 200 pods created at once straight at the two API servers, in
// namespaces whose own quota is roomy, are admitted exactly up to the tenant's 10 pods in total;
// the refusals come from the clusters themselves, in the ResourceQuota admission's words with the
// tenant named; deleting pods makes room again.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventually, expectOk, withClusters } from '../clusters/index.ts';
import type { Cluster } from '../clusters/index.ts';
import { adminUser, kubeconfigFor } from '../kube/support.ts';
import { startTestServer } from '../support/server.ts';
import { startTcpProxy } from '../support/tcp-proxy.ts';
import { adminKubeconfig, must, registerCluster } from './support.ts';

const pod = (name: string) => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name },
  spec: { automountServiceAccountToken: false, containers: [{ name: 'app', image: 'busybox', resources: { requests: { cpu: '10m' }, limits: { cpu: '10m' } } }] },
});

const createPod = (c: Cluster, ns: string, name: string, dryRun = false) =>
  c.request('POST', `/api/v1/namespaces/${ns}/pods${dryRun ? '?dryRun=All' : ''}`, pod(name));

test('a tenant quota of 10 pods holds across two clusters under 200 concurrent creates', withClusters(2, async ([east, west], t) => {
  const s = await startTestServer('sqlite');
  t.after(() => s.close());
  const admin = await s.login();
  // East is first reached through a relay, so that its first credentials can be made useless later.
  const relay = await startTcpProxy({ host: '127.0.0.1', port: Number(new URL(east.server).port) });
  t.after(() => relay.close());
  await must(s, admin, 'POST', '/api/v1/clusters', { name: 'east', kubeconfig: kubeconfigFor({ server: `https://127.0.0.1:${relay.port}`, pki: east.pki }, adminUser(east)) });
  await registerCluster(s, admin, 'west', west);
  await must(s, admin, 'POST', '/api/v1/tenants', { name: 'acme', clusters: ['east', 'west'], quota: { pods: '10', services: '0' } });
  for (const c of ['east', 'west']) await must(s, admin, 'POST', '/api/v1/tenants/acme/namespaces', { name: 'acme-jobs', cluster: c });
  // Registered, namespaces there, and the watchers listed: a dry run goes through the whole path and stores nothing.
  for (const c of [east, west]) {
    await eventually('the webhook answers for the tenant namespace', async () => {
      const hook = await c.request('GET', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/berth-admission');
      if (hook.status !== 200) return undefined;
      return (await createPod(c, 'acme-jobs', 'probe', true)).status === 201 ? true : undefined;
    }, 30_000);
  }

  const t0 = Date.now();
  const results = await Promise.all(Array.from({ length: 200 }, (_, i) => createPod(i % 2 === 0 ? east : west, 'acme-jobs', `p-${i}`)));
  t.diagnostic(`200 pod creates over two clusters through the webhook in ${Date.now() - t0} ms`);
  const admitted = results.filter((r) => r.status === 201);
  assert.equal(admitted.length, 10, `admitted ${admitted.length}: ${JSON.stringify(results.filter((r) => r.status !== 201 && r.status !== 403).slice(0, 2).map((r) => r.body))}`);
  for (const r of results.filter((x) => x.status !== 201)) {
    assert.equal(r.status, 403, JSON.stringify(r.body));
    assert.match((r.body as any).message, /admission webhook "tenant-quota\.admission\.berth\.io" denied the request: pods "p-\d+" is forbidden: exceeded tenant quota: acme, requested: pods=1, used: pods=10, limited: pods=10/);
  }
  const live = async () => ((expectOk(await east.request('GET', '/api/v1/namespaces/acme-jobs/pods'), 'list') as any).items.length
    + (expectOk(await west.request('GET', '/api/v1/namespaces/acme-jobs/pods'), 'list') as any).items.length);
  assert.equal(await live(), 10, 'the clusters hold exactly 10 pods of the tenant');

  await t.test('deleting 3 pods makes room for exactly 3 more', async () => {
    const names = results.map((r, i) => ({ r, i })).filter((x) => x.r.status === 201).slice(0, 3);
    for (const { i } of names) expectOk(await (i % 2 === 0 ? east : west).request('DELETE', `/api/v1/namespaces/acme-jobs/pods/p-${i}?gracePeriodSeconds=0`), 'delete');
    let made = 0;
    await eventually('room for 3 more', async () => {
      const r = await createPod(made % 2 === 0 ? west : east, 'acme-jobs', `again-${made}`);
      if (r.status === 201) made++;
      return made === 3 ? true : undefined;
    }, 30_000, 200);
    const extra = await Promise.all([createPod(east, 'acme-jobs', 'over-1'), createPod(west, 'acme-jobs', 'over-2')]);
    assert.deepEqual(extra.map((r) => r.status), [403, 403]);
    assert.equal(await live(), 10);
  });

  await t.test('a namespace given to the tenant counts from the moment it exists in the cluster', async () => {
    await must(s, admin, 'POST', '/api/v1/tenants/acme/namespaces', { name: 'acme-new', cluster: 'east' });
    // Services are sent one after the other from the namespace's first moment (before it: 404),
    // each with its own name; the tenant may hold none.
    let tries = 0;
    const first = await eventually('a Service create the cluster decides', async () => {
      const r = await east.request('POST', '/api/v1/namespaces/acme-new/services', { apiVersion: 'v1', kind: 'Service', metadata: { name: `first-${tries++}` }, spec: { ports: [{ port: 80 }] } });
      return r.status === 404 ? undefined : r;
    }, 30_000, 1);
    assert.equal(first.status, 403, JSON.stringify(first.body));
    assert.match((first.body as any).message, /exceeded tenant quota: acme, requested: services=1, used: services=0, limited: services=0/);
  });

  await t.test('new credentials for a cluster: the quota watches the cluster with them', async () => {
    await must(s, admin, 'PATCH', '/api/v1/clusters/east', { kubeconfig: adminKubeconfig(east) });
    relay.cut(); // the first credentials' address is gone
    const pods = (expectOk(await east.request('GET', '/api/v1/namespaces/acme-jobs/pods'), 'list') as any).items as { metadata: { name: string } }[];
    expectOk(await east.request('DELETE', `/api/v1/namespaces/acme-jobs/pods/${pods[0].metadata.name}?gracePeriodSeconds=0`), 'delete');
    await eventually('room for the pod deleted', async () => ((await createPod(east, 'acme-jobs', 'after-swap')).status === 201 ? true : undefined), 30_000, 200);
    assert.equal((await createPod(east, 'acme-jobs', 'after-swap-2')).status, 403);
    assert.equal(await live(), 10);
  });

  await t.test('a namespace of no tenant is never asked about', async () => {
    expectOk(await east.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'plain-ns' } }), 'namespace');
    const made = await Promise.all(Array.from({ length: 12 }, (_, i) => createPod(east, 'plain-ns', `free-${i}`)));
    assert.deepEqual(made.map((r) => r.status), Array(12).fill(201));
  });
}));
