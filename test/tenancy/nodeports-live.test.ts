// NodePorts enforced live by Berth's mutating webhook in two real clusters: the reconciler
// registers the webhook configuration; a NodePort Service created straight at the API server in a
// tenant namespace gets its port from Berth's map, never a reserved legacy port; an explicit
// reserved port is refused naming its owner; 50 Services created at once over both clusters all
// get ports outside the reserved ranges, which the API servers accept (a port handed out twice in
// one cluster would be refused there as already allocated); system namespaces are untouched.
// The allocations the webhook takes follow their Service: bound once the watcher sees it, released
// when it is deleted or retyped, released after the (here shortened) wait when the API server
// refuses the Service after the webhook; a generateName Service binds under its final name; and
// the tenant's `services.nodeports` bounds allocations and Services alike.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventually, expectOk, uniqueName, withClusters } from '../clusters/index.ts';
import type { Cluster } from '../clusters/index.ts';
import { areas } from '../../src/platform/areas.ts';
import { createTenancyArea } from '../../src/tenancy/index.ts';
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
  // A short wait for pending allocations, so that the test sees one released.
  const pendingMs = 4_000;
  const s = await startTestServer('sqlite', {}, { areas: areas.map((a) => (a.name === 'tenancy' ? createTenancyArea({ nodePortPendingMs: pendingMs }) : a)) });
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

  const allocation = async (cluster: string, port: number): Promise<any> =>
    (await must(s, admin, 'GET', `/api/v1/clusters/${cluster}/nodeports/allocations?tenant=acme&limit=500`)).items.find((a: any) => a.port === port);

  await t.test('the webhook\'s allocation is bound once its Service shows up, and released when the Service is deleted or no longer of type NodePort', async () => {
    const port = portOf(expectOk(await createService(east, 'acme-shop', service('follow')), 'create follow'));
    const bound = await eventually('the allocation is bound', async () => {
      const a = await allocation('east', port);
      return a?.state === 'bound' ? a : undefined;
    }, 15_000);
    assert.deepEqual([bound.origin, bound.service, bound.expiresAt], ['admission', 'acme-shop/follow', undefined]);
    expectOk(await east.request('DELETE', '/api/v1/namespaces/acme-shop/services/follow'), 'delete follow');
    const t0 = Date.now();
    await eventually('the allocation is released', async () => ((await allocation('east', port)) === undefined ? true : undefined), 15_000);
    t.diagnostic(`allocation released ${Date.now() - t0} ms after the Service was deleted`);
    const audit = await must(s, admin, 'GET', '/api/v1/audit?resource=nodeports&limit=500');
    assert.ok(audit.items.some((i: any) => i.name === `east/${port}` && i.action === 'delete' && i.actor === 'system:nodeports-controller' && i.tenant === 'acme'), 'the release is audited');

    const retyped = portOf(expectOk(await createService(east, 'acme-shop', service('retype')), 'create retype'));
    await eventually('bound', async () => ((await allocation('east', retyped))?.state === 'bound' ? true : undefined), 15_000);
    expectOk(await east.request('PATCH', '/api/v1/namespaces/acme-shop/services/retype', { spec: { type: 'ClusterIP' } }, 'application/merge-patch+json'), 'retype to ClusterIP');
    await eventually('the retyped Service\'s allocation is released', async () => ((await allocation('east', retyped)) === undefined ? true : undefined), 15_000);
  });

  await t.test('a Service the API server refuses after the webhook leaves a pending allocation, released once its wait is over', async () => {
    const bad = service('refused');
    // Valid JSON the webhook admits, but no valid Service: a port name must be a DNS label (kube validation runs after mutating admission).
    bad.spec.ports = [{ port: 80, name: 'Not_A_Label' } as any];
    const r = await createService(east, 'acme-shop', bad);
    assert.equal(r.status, 422, JSON.stringify(r.body));
    assert.equal((await east.request('GET', '/api/v1/namespaces/acme-shop/services/refused')).status, 404);
    const list = (await must(s, admin, 'GET', '/api/v1/clusters/east/nodeports/allocations?tenant=acme&limit=500')).items;
    const pending = list.find((a: any) => a.service === 'acme-shop/refused');
    assert.ok(pending, `the webhook allocated a port for the refused Service: ${JSON.stringify(list)}`);
    assert.equal(pending.state, 'pending');
    const t0 = Date.now();
    await eventually('the pending allocation is released', async () => ((await allocation('east', pending.port)) === undefined ? true : undefined), pendingMs + 15_000);
    const waited = Date.now() - t0;
    t.diagnostic(`pending allocation released ${waited} ms after the refusal (wait ${pendingMs} ms)`);
    assert.ok(Date.parse(pending.expiresAt) - Date.parse(pending.createdAt) === pendingMs, 'it waited the configured time');
  });

  await t.test('a Service created with generateName binds its allocation under its final name, also when the API server shortens the prefix', async () => {
    const long = expectOk(await createService(east, 'acme-shop', { ...service('unused'), metadata: { generateName: `gen-${'x'.repeat(57)}-` } }), 'create with a long generateName') as any;
    assert.equal(long.metadata.name.length, 63);
    await eventually('bound under the final name', async () => ((await allocation('east', portOf(long)))?.service === `acme-shop/${long.metadata.name}` ? true : undefined), 15_000);
    expectOk(await east.request('DELETE', `/api/v1/namespaces/acme-shop/services/${long.metadata.name}`), 'delete');
    const body = { ...service('unused'), metadata: { generateName: 'gen-' } };
    const created = expectOk(await createService(east, 'acme-shop', body), 'create with generateName') as any;
    const name = created.metadata.name as string;
    assert.match(name, /^gen-/);
    const a = await eventually('bound under the final name', async () => {
      const x = await allocation('east', portOf(created));
      return x?.state === 'bound' ? x : undefined;
    }, 15_000);
    assert.equal(a.service, `acme-shop/${name}`);
    assert.equal(a.generateName, undefined);
    expectOk(await east.request('DELETE', `/api/v1/namespaces/acme-shop/services/${name}`), 'delete');
    await eventually('released', async () => ((await allocation('east', portOf(created))) === undefined ? true : undefined), 15_000);
  });

  await t.test('services.nodeports bounds the tenant\'s NodePorts: allocations and live Services count, beyond it is 403 in the ResourceQuota admission\'s words', async () => {
    await must(s, admin, 'POST', '/api/v1/tenants', { name: 'capped', clusters: ['east'], quota: { 'services.nodeports': '2' } });
    await must(s, admin, 'POST', '/api/v1/tenants/capped/namespaces', { name: 'capped-ns', cluster: 'east' });
    await eventually('the namespace exists', async () => ((await east.request('GET', '/api/v1/namespaces/capped-ns')).status === 200 ? true : undefined), 30_000);
    const live = portOf(expectOk(await createService(east, 'capped-ns', service('live')), 'create live'));
    const api = await must(s, admin, 'POST', '/api/v1/clusters/east/nodeports/allocations', { tenant: 'capped' });
    const words = 'exceeded tenant quota: capped, requested: services.nodeports=1, used: services.nodeports=2, limited: services.nodeports=2';
    const third = await s.api('POST', '/api/v1/clusters/east/nodeports/allocations', { token: admin, body: { tenant: 'capped', service: 'capped-ns/extra' } });
    assert.equal(third.status, 403, JSON.stringify(third.body));
    assert.equal(third.body.message, `services "extra" is forbidden: ${words}`);
    const refusedService = await createService(east, 'capped-ns', service('extra'));
    assert.equal(refusedService.status, 403, JSON.stringify(refusedService.body));
    assert.match((refusedService.body as any).message, new RegExp(`nodeports\\.admission\\.berth\\.io.*services "extra" is forbidden: ${words.replace(/\./g, '\\.')}`));

    // The live Service counts by itself: without its allocation it still holds its port.
    await eventually('the live Service\'s port is recorded as used', async () => {
      const map = await must(s, admin, 'GET', '/api/v1/clusters/east/nodeports');
      return map.used.some((u: any) => u.port === live && u.namespace === 'capped-ns') ? true : undefined;
    }, 15_000);
    await must(s, admin, 'DELETE', `/api/v1/clusters/east/nodeports/allocations/${live}`);
    const still = await s.api('POST', '/api/v1/clusters/east/nodeports/allocations', { token: admin, body: { tenant: 'capped' } });
    assert.equal(still.status, 403, JSON.stringify(still.body));
    expectOk(await east.request('DELETE', '/api/v1/namespaces/capped-ns/services/live'), 'delete live');
    await eventually('room again once the Service is gone', async () => {
      const r = await s.api('POST', '/api/v1/clusters/east/nodeports/allocations', { token: admin, body: { tenant: 'capped' } });
      return r.status === 201 ? true : undefined;
    }, 15_000);
    await must(s, admin, 'DELETE', `/api/v1/clusters/east/nodeports/allocations/${api.port}`);
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
