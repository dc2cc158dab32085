// NodePorts given by an UPDATE, enforced live by Berth's mutating webhook in a real cluster: a
// ClusterIP Service retyped to NodePort or LoadBalancer (PUT and merge PATCH) gets a port from
// Berth's map, never a reserved legacy port, allocated to the tenant and bound once the watcher
// sees it; a retype or a changed nodePort asking for a reserved port is refused naming its owner;
// an update that leaves the ports alone (even one that omits the nodePorts, which kube-apiserver
// carries over after mutating admission) keeps the port and allocates nothing; a port added gets
// a second allocation; a dry run allocates nothing; kube-system is left to the API server; the
// tenant's services.nodeports counts an update by what it adds, so a port can be changed at the
// limit but not added.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventually, expectOk, uniqueName, withCluster } from '../clusters/index.ts';
import type { Cluster } from '../clusters/index.ts';
import { startTestServer } from '../support/server.ts';
import { must, registerCluster } from './support.ts';

// Most of the upper band is reserved, so kube-apiserver's own allocator would most likely land in it.
const reserved = { from: 30100, to: 32700, owner: 'legacy billing (mainframe gateway)' };
const inReserved = (p: number) => p >= reserved.from && p <= reserved.to;
const ns = 'acme-shop';
const merge = 'application/merge-patch+json';

function clusterIpService(name: string, ports: object[] = [{ name: 'http', port: 80 }]) {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { type: 'ClusterIP', selector: { app: name }, ports } };
}

const path = (namespace: string, name: string) => `/api/v1/namespaces/${namespace}/services/${name}`;
const nodePorts = (svc: any): number[] => svc.spec.ports.map((p: any) => p.nodePort);

async function create(cluster: Cluster, namespace: string, body: unknown): Promise<any> {
  return expectOk(await cluster.request('POST', `/api/v1/namespaces/${namespace}/services`, body), 'create');
}

/** The stored Service, as a client about to PUT it back would hold it, without its nodePorts. */
async function withoutNodePorts(cluster: Cluster, name: string): Promise<any> {
  const svc = expectOk(await cluster.request('GET', path(ns, name)), 'get') as any;
  for (const p of svc.spec.ports) delete p.nodePort;
  return svc;
}

test('an UPDATE that gives a Service node ports takes them from Berth, live', withCluster(async (east, t) => {
  const s = await startTestServer('sqlite');
  t.after(() => s.close());
  const admin = await s.login();
  await registerCluster(s, admin, 'east', east);
  await must(s, admin, 'POST', '/api/v1/tenants', { name: 'acme', clusters: ['east'] });
  await must(s, admin, 'POST', '/api/v1/tenants/acme/namespaces', { name: ns, cluster: 'east' });
  await must(s, admin, 'POST', '/api/v1/clusters/east/nodeports/reservations', { ports: `${reserved.from}-${reserved.to}`, owner: reserved.owner });
  await eventually('the reconciler registers the webhook and the namespace', async () => {
    const hook = await east.request('GET', '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/berth-admission');
    const namespace = await east.request('GET', `/api/v1/namespaces/${ns}`);
    return hook.status === 200 && namespace.status === 200 ? true : undefined;
  }, 30_000);

  const allocations = async (service: string): Promise<any[]> =>
    (await must(s, admin, 'GET', '/api/v1/clusters/east/nodeports/allocations?tenant=acme&limit=500')).items.filter((a: any) => a.service === `${ns}/${service}`);
  const boundTo = async (service: string, ports: number[]) => eventually(`${service}'s allocations bound`, async () => {
    const list = await allocations(service);
    return list.length === ports.length && list.every((a) => a.state === 'bound' && ports.includes(a.port)) ? list : undefined;
  }, 15_000);

  await t.test('a ClusterIP Service retyped to NodePort with PUT gets a port from Berth; a later update without nodePorts keeps it and allocates nothing', async () => {
    await create(east, ns, clusterIpService('web'));
    const body = expectOk(await east.request('GET', path(ns, 'web')), 'get') as any;
    body.spec.type = 'NodePort';
    const [port] = nodePorts(expectOk(await east.request('PUT', path(ns, 'web'), body), 'retype with PUT'));
    assert.ok(!inReserved(port), `port ${port} is reserved`);
    const [a] = await boundTo('web', [port]);
    assert.deepEqual([a.tenant, a.origin], ['acme', 'admission']);

    // kube-apiserver fills the omitted nodePort in after mutating admission: Berth must not pick a second one.
    const relabelled = await withoutNodePorts(east, 'web');
    relabelled.metadata.labels = { tier: 'front' };
    assert.deepEqual(nodePorts(expectOk(await east.request('PUT', path(ns, 'web'), relabelled), 'relabel with PUT')), [port]);
    assert.deepEqual(nodePorts(expectOk(await east.request('PATCH', path(ns, 'web'), { metadata: { labels: { tier: 'back' } } }, merge), 'relabel with PATCH')), [port]);
    assert.deepEqual((await allocations('web')).map((x) => x.port), [port], 'no new allocation');

    // The same retype in kube-system is never sent to Berth.
    const sys = uniqueName('sys');
    await create(east, 'kube-system', clusterIpService(sys));
    const [sysPort] = nodePorts(expectOk(await east.request('PATCH', path('kube-system', sys), { spec: { type: 'NodePort' } }, merge), 'retype in kube-system'));
    const all = (await must(s, admin, 'GET', '/api/v1/clusters/east/nodeports/allocations?limit=500')).items;
    assert.ok(!all.some((x: any) => x.port === sysPort || x.service === `kube-system/${sys}`), 'Berth allocated nothing for kube-system');
    expectOk(await east.request('DELETE', path('kube-system', sys)), 'delete');
  });

  await t.test('a ClusterIP Service retyped to NodePort or LoadBalancer with a merge PATCH gets its ports from Berth; a dry run allocates nothing', async () => {
    await create(east, ns, clusterIpService('api'));
    const dry = expectOk(await east.request('PATCH', `${path(ns, 'api')}?dryRun=All`, { spec: { type: 'NodePort' } }, merge), 'dry-run retype') as any;
    assert.equal(dry.spec.type, 'NodePort');
    assert.deepEqual(await allocations('api'), [], 'a dry run allocates nothing');
    const [port] = nodePorts(expectOk(await east.request('PATCH', path(ns, 'api'), { spec: { type: 'NodePort' } }, merge), 'retype with PATCH'));
    assert.ok(!inReserved(port), `port ${port} is reserved`);
    await boundTo('api', [port]);

    await create(east, ns, clusterIpService('lb', [{ name: 'http', port: 80 }, { name: 'https', port: 443 }]));
    const lbPorts = nodePorts(expectOk(await east.request('PATCH', path(ns, 'lb'), { spec: { type: 'LoadBalancer' } }, merge), 'retype to LoadBalancer'));
    assert.equal(new Set(lbPorts).size, 2);
    assert.ok(!lbPorts.some(inReserved), `ports ${lbPorts} are reserved`);
    await boundTo('lb', lbPorts);
  });

  await t.test('a retype or a changed nodePort asking for a reserved port is refused naming its owner; a free one is allocated as given', async () => {
    await create(east, ns, clusterIpService('legacy'));
    const refused = await east.request('PATCH', path(ns, 'legacy'), { spec: { type: 'NodePort', ports: [{ name: 'http', port: 80, nodePort: 30500 }] } }, merge);
    assert.equal(refused.status, 409, JSON.stringify(refused.body));
    assert.match((refused.body as any).message, /nodeports\.admission\.berth\.io.*legacy billing \(mainframe gateway\)/);
    assert.equal(((expectOk(await east.request('GET', path(ns, 'legacy')), 'get') as any).spec.type), 'ClusterIP');

    const [pinned] = nodePorts(expectOk(await east.request('PATCH', path(ns, 'legacy'), { spec: { type: 'NodePort', ports: [{ name: 'http', port: 80, nodePort: 30050 }] } }, merge), 'retype with a free port'));
    assert.equal(pinned, 30050);
    await boundTo('legacy', [30050]);
    const moved = await east.request('PATCH', path(ns, 'legacy'), { spec: { ports: [{ name: 'http', port: 80, nodePort: 31000 }] } }, merge);
    assert.equal(moved.status, 409, JSON.stringify(moved.body));
    assert.match((moved.body as any).message, /legacy billing \(mainframe gateway\)/);
    assert.deepEqual(nodePorts(expectOk(await east.request('GET', path(ns, 'legacy')), 'get')), [30050]);
  });

  await t.test('a port added to a NodePort Service gets a second allocation, the first port kept', async () => {
    await create(east, ns, { ...clusterIpService('multi'), spec: { ...clusterIpService('multi').spec, type: 'NodePort' } });
    const [first] = nodePorts(expectOk(await east.request('GET', path(ns, 'multi')), 'get'));
    await boundTo('multi', [first]);
    // PUT back without nodePorts: kube-apiserver carries `http`'s over, Berth gives `https` one.
    const body = await withoutNodePorts(east, 'multi');
    body.spec.ports.push({ name: 'https', port: 443 });
    const after = nodePorts(expectOk(await east.request('PUT', path(ns, 'multi'), body), 'add a port'));
    assert.equal(after[0], first);
    assert.ok(after[1] !== first && !inReserved(after[1]), `second port ${after[1]}`);
    await boundTo('multi', after);
  });

  await t.test('services.nodeports counts what an update adds: at the limit a port may be changed, not added, and no Service retyped', async () => {
    await must(s, admin, 'POST', '/api/v1/tenants', { name: 'capped', clusters: ['east'], quota: { 'services.nodeports': '1' } });
    await must(s, admin, 'POST', '/api/v1/tenants/capped/namespaces', { name: 'capped-ns', cluster: 'east' });
    await eventually('the namespace exists', async () => ((await east.request('GET', '/api/v1/namespaces/capped-ns')).status === 200 ? true : undefined), 30_000);
    const cappedPath = (name: string) => path('capped-ns', name);
    const capped = async (): Promise<any[]> => (await must(s, admin, 'GET', '/api/v1/clusters/east/nodeports/allocations?tenant=capped&limit=500')).items;
    await create(east, 'capped-ns', { ...clusterIpService('one'), spec: { ...clusterIpService('one').spec, type: 'NodePort' } });
    await eventually('the first port is bound', async () => ((await capped())[0]?.state === 'bound' ? true : undefined), 15_000);

    const changed = nodePorts(expectOk(await east.request('PATCH', cappedPath('one'), { spec: { ports: [{ name: 'http', port: 80, nodePort: 30060 }] } }, merge), 'change the port at the limit'));
    assert.deepEqual(changed, [30060]);
    await eventually('the new port is the tenant\'s, the old one released', async () => {
      const list = await capped();
      return list.length === 1 && list[0].port === 30060 && list[0].state === 'bound' ? true : undefined;
    }, 15_000);

    const words = /services "one" is forbidden: exceeded tenant quota: capped, requested: services\.nodeports=1, used: services\.nodeports=1, limited: services\.nodeports=1/;
    const added = await east.request('PATCH', cappedPath('one'), { spec: { ports: [{ name: 'http', port: 80, nodePort: 30060 }, { name: 'https', port: 443 }] } }, merge);
    assert.equal(added.status, 403, JSON.stringify(added.body));
    assert.match((added.body as any).message, words);
    await create(east, 'capped-ns', clusterIpService('two'));
    const retyped = await east.request('PATCH', cappedPath('two'), { spec: { type: 'NodePort' } }, merge);
    assert.equal(retyped.status, 403, JSON.stringify(retyped.body));
    assert.match((retyped.body as any).message, /services "two" is forbidden: exceeded tenant quota: capped/);
    assert.deepEqual((await capped()).map((a) => a.port), [30060]);
  });
}));
