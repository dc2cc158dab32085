// A cluster removed with force while the reconciler is busy with it: namespaces were just adopted
// and the reconciler's pass, which read the desired state before the removal, is applying
// Berth's objects in them when the removal comes (and puts back what the removal's first sweep
// deletes there: an adopted namespace is not deleted, so what is applied in it stays). None of
// that pass's writes may land after Berth's last sweep of the cluster. The race is one of
// timing: each round (BERTH_REMOVAL_ROUNDS, default 6) waits a different moment between
// adopting the namespaces and removing the cluster, so the rounds cover the removal coming
// before, during and after the pass; and two tenants hold the namespaces, so that the reconciler
// (tenant by tenant) and a sweep (name by name) go through them in opposite orders. An object of
// Berth's that stays (or comes back) once the tenants' objects were gone is a leak; at the end
// nothing of Berth's may be left, the webhook configurations it registered there included.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventually, expectOk, uniqueName, withClusters } from '../clusters/index.ts';
import type { Cluster, KubeObject } from '../clusters/index.ts';
import { startTestServer } from '../support/server.ts';
import { managedKeys, settle } from './live-support.ts';
import { must, registerCluster } from './support.ts';

const namespacesPerTenant = 20;

/** Names of the objects of `resource` (a collection path) with Berth's label, not being deleted. */
async function labelled(cluster: Cluster, resource: string): Promise<string[]> {
  const selector = encodeURIComponent('app.kubernetes.io/managed-by=berth');
  const list = expectOk(await cluster.request('GET', `${resource}?labelSelector=${selector}`), `list ${resource}`) as { items: KubeObject[] };
  return list.items.filter((o) => o.metadata?.deletionTimestamp === undefined).map((o) => `${resource.slice(resource.lastIndexOf('/') + 1)}/${o.metadata?.name}`);
}

test('a cluster removed with force while the reconciler applies to it is left with none of Berth\'s objects', { timeout: 900_000 }, withClusters(1, async ([cluster], t) => {
  const s = await startTestServer('sqlite');
  const rounds = Number(process.env.BERTH_REMOVAL_ROUNDS ?? 6);
  const leaks: string[][] = [];
  const tenants: string[] = [];
  const foreign: string[] = [];
  try {
    const admin = await s.login();
    for (let round = 0; round < rounds; round++) {
      const name = `race-${round}`;
      const prefix = uniqueName('race');
      await registerCluster(s, admin, name, cluster);
      // Tenant "…-a" adopts the namespaces named "…-z-i", tenant "…-b" those named "…-a-i".
      const placed = [[`${prefix}-a`, `${prefix}-z`], [`${prefix}-b`, `${prefix}-a`]] as const;
      const owned: [string, string][] = [];
      for (const [tenant, ns] of placed) {
        await must(s, admin, 'POST', '/api/v1/tenants', { name: tenant, clusters: [name] });
        tenants.push(tenant);
        for (let i = 0; i < namespacesPerTenant; i++) owned.push([tenant, `${ns}-${i}`]);
      }
      await Promise.all(owned.map(async ([, ns]) => expectOk(await cluster.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }), `create ${ns}`)));
      foreign.push(...owned.map(([, ns]) => ns));
      await Promise.all(owned.map(([tenant, ns]) => must(s, admin, 'POST', `/api/v1/tenants/${tenant}/namespaces`, { name: ns, cluster: name, adopt: true })));
      const delay = (round * 150) % 900;
      await settle(delay);
      const from = Date.now();
      await must(s, admin, 'DELETE', `/api/v1/clusters/${name}?force=true`);
      const answered = Date.now() - from;
      const held = async (): Promise<string[]> => (await Promise.all(placed.map(([tenant]) => managedKeys(cluster, tenant)))).flat();
      const cleared = await eventually('the tenants\' objects gone', async () => ((await held()).length === 0 ? Date.now() - from : undefined), 20_000, 100)
        .catch(() => undefined);
      await settle(2000);
      const leaked = await held();
      leaks.push(leaked);
      t.diagnostic(`round ${round}: removal ${delay} ms after the adoptions, answered in ${answered} ms, `
        + `${cleared === undefined ? 'objects still there after 20 s' : `objects gone ${cleared} ms after the request`}; `
        + `left 2 s later: ${leaked.length === 0 ? 'none' : `${leaked.length} (${leaked.slice(0, 3).join(' ')} ...)`}`);
    }
    let left: string[] = [];
    await eventually('Berth\'s objects gone', async () => {
      left = [
        ...(await Promise.all(tenants.map((tenant) => managedKeys(cluster, tenant)))).flat(),
        ...await labelled(cluster, '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations'),
        ...await labelled(cluster, '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations'),
      ];
      return left.length === 0 ? true : undefined;
    }, 10_000, 500).catch(() => undefined);
    t.diagnostic(`left at the end: ${left.length === 0 ? 'nothing' : left.join(' ')}`);
    assert.deepEqual(leaks.map((l) => l.length), leaks.map(() => 0), `rounds that left objects of Berth's: ${leaks.map((l, i) => (l.length > 0 ? i : -1)).filter((i) => i >= 0).join(', ')}`);
    assert.deepEqual(left, [], 'nothing of Berth\'s is left in the cluster');
  } finally {
    await s.close();
    await Promise.all(foreign.map((ns) => cluster.request('DELETE', `/api/v1/namespaces/${ns}`)));
  }
}));
