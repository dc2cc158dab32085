// NodePorts enforced live by Berth's mutating webhook in two real clusters: the reconciler
// registers the webhook configuration; a NodePort Service created straight at the API server in a
// tenant namespace gets its port from Berth's map, never a reserved legacy port; an explicit
// reserved port is refused naming its owner; 50 Services created at once over both clusters all
// get ports outside the reserved ranges, which the API servers accept (a port handed out twice in
// one cluster would be refused there as already allocated); system namespaces are untouched.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventually, expectOk, uniqueName, withClusters } from '../clusters/index.ts';
import type { Cluster } from '../clusters/index.ts';
import { startTestServer } from '../support/server.ts';
import { must, registerCluster } from './support.ts';

// Reserved legacy ports: most of the upper band, so an allocator that ignored them would hit them.
const reserved = { from: 30100, to: 32700, owner: 'legacy billing (mainframe gateway)' };
const inReserved = (p: number) => p >= reserved.from && p <= reserved.to;

function service(name: string, nodePort?: number) {
  return {
    apiVersion: 'v1', kind: 'Service', metadata: { name },
    spec: { type: 'NodePort', selector: { app: name }, ports: [{ port: 80, ...(nodePort === undefined ? {} : { nodePort }) }] },
  };
}

async function createService(cluster: Cluster, ns: string, body: unknown) {
  return cluster.request('POST', `/api/v1/namespaces/${ns}/services`, body);
}

const portOf = (svc: any): number => svc.spec.ports[0].nodePort;

test('NodePort Services in tenant namespaces get their ports from Berth, live in two clusters', withClusters(2, async ([east, west], t) => {
  const s = await startTestServer('sqlite');
  t.after(() => s.close());
  const admin = await s.login();
  await registerCluster(s, admin, 'east', east);
  await registerCluster(s, admin, 'west', west);
  await must(s, admin, 'POST', '/api/v1/tenants', { name: 'acme', clusters: ['east', 'west'] });
  await must(s, admin, 'POST', '/api/v1/tenants/acme/namespaces', { name: 'acme-shop', cluster: 'east' });
  await must(s, admin, 'POST', '/api/v1/tenants/acme/namespaces', { name: 'acme-shop', cluster: 'west' });
  for (const c of ['east', 'west']) {
    await must(s, admin, 'POST', `/api/v1/clusters/${c}/nodeports/reservations`, { ports: `${reserved.from}-${reserved.to}`, owner: reserved.owner });
  }
  const started = Date.now();
  for (const c of [east, west]) {
    await eventually('the reconciler registers the webhook and the namespace', async () => {
      const hook = await c.request('GET', '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/berth-admission');
      const ns = await c.request('GET', '/api/v1/namespaces/acme-shop');
      return hook.status === 200 && ns.status === 200 ? true : undefined;
    }, 30_000);
  }
  t.diagnostic(`webhook configurations and namespaces in both clusters ${Date.now() - started} ms after the API calls`);

  await t.test('a Service without a nodePort gets a free port from Berth, recorded as the tenant\'s', async () => {
    const created = expectOk(await createService(east, 'acme-shop', service('web')), 'create web') as any;
    const port = portOf(created);
    assert.ok(!inReserved(port), `port ${port} is reserved`);
    const allocations = await must(s, admin, 'GET', '/api/v1/clusters/east/nodeports/allocations?tenant=acme');
    assert.ok(allocations.items.some((a: any) => a.port === port && a.service === 'acme-shop/web' && a.tenant === 'acme'), JSON.stringify(allocations.items));
  });

  await t.test('an explicit reserved port is refused naming its owner; a free explicit port is allocated as given', async () => {
    const refused = await createService(east, 'acme-shop', service('legacy', 30500));
    assert.equal(refused.status, 409, JSON.stringify(refused.body));
    assert.match((refused.body as any).message, /nodeports\.admission\.berth\.io.*legacy billing \(mainframe gateway\)/);
    assert.equal((await east.request('GET', '/api/v1/namespaces/acme-shop/services/legacy')).status, 404);
    const created = expectOk(await createService(east, 'acme-shop', service('pinned', 30050)), 'create pinned') as any;
    assert.equal(portOf(created), 30050);
    const map = await must(s, admin, 'GET', '/api/v1/clusters/east/nodeports');
    assert.ok(JSON.stringify(map).includes('acme-shop/pinned'), 'the pinned port is the tenant\'s in the map');
  });

  await t.test('a system namespace is never touched: its Service gets the API server\'s own port', async () => {
    const name = uniqueName('sys');
    const created = expectOk(await createService(east, 'kube-system', service(name)), 'create in kube-system') as any;
    const allocations = await must(s, admin, 'GET', '/api/v1/clusters/east/nodeports/allocations');
    assert.ok(!allocations.items.some((a: any) => a.port === portOf(created)), 'Berth allocated nothing for kube-system');
    expectOk(await east.request('DELETE', `/api/v1/namespaces/kube-system/services/${name}`), 'delete');
  });

  await t.test('a Service outside every tenant holds its port: the map shows it used, a reservation of it is refused naming the Service, and Berth never hands it out', async () => {
    const legacy = { ...service('legacy-gw', 30020), metadata: { name: 'legacy-gw' } };
    expectOk(await createService(west, 'default', legacy), 'create default/legacy-gw');
    await eventually('the watcher records the port as used', async () => {
      const map = await must(s, admin, 'GET', '/api/v1/clusters/west/nodeports');
      return map.used.some((u: any) => u.port === 30020 && u.namespace === 'default' && u.service === 'legacy-gw') ? true : undefined;
    }, 15_000);
    const r = await s.api('POST', '/api/v1/clusters/west/nodeports/reservations', { token: admin, body: { ports: '30015-30025', owner: 'someone' } });
    assert.equal(r.status, 409, JSON.stringify(r.body));
    assert.match(r.body.message, /default\/legacy-gw/);
    const explicit = await createService(west, 'acme-shop', service('clash', 30020));
    assert.notEqual(explicit.status, 201, 'the port of a live Service is not handed to a tenant');
  });

  await t.test('50 Services created at once over both clusters all get ports outside the reserved range', async () => {
    const t0 = Date.now();
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => createService(i % 2 === 0 ? east : west, 'acme-shop', service(`burst-${i}`))));
    const ms = Date.now() - t0;
    for (const r of results) assert.equal(r.status, 201, JSON.stringify(r.body));
    const byCluster = new Map<string, number[]>();
    results.forEach((r, i) => {
      const c = i % 2 === 0 ? 'east' : 'west';
      byCluster.set(c, [...(byCluster.get(c) ?? []), portOf(r.body)]);
    });
    for (const [c, ports] of byCluster) {
      assert.equal(new Set(ports).size, ports.length, `${c}: a port handed out twice`);
      assert.ok(!ports.some(inReserved), `${c}: a reserved port was handed out`);
    }
    t.diagnostic(`50 NodePort Services through the webhook in ${ms} ms`);
  });
}));
