// Tenants and their namespaces through Berth's API against two real clusters, on both backends:
// refusals that name resource, sum and limit (slices beyond the tenant quota, a quota lowered
// below what namespaces hold), unknown clusters and invalid names; a tenant admin who sees and
// changes only their tenant, a viewer who only reads, roles that follow the members; namespaces
// that exist in a cluster and are not Berth's refused unless adopted; deletions refused while
// pods run, namespaces exist or a tenant holds them; render and usage; audit and outbox.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { createNamespace, eventually, expectOk, uniqueName, withClusters } from '../clusters/index.ts';
import type { Cluster } from '../clusters/index.ts';
import { backends } from '../support/pg.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { startTcpProxy } from '../support/tcp-proxy.ts';
import { adminUser, kubeconfigFor, kubectl } from '../kube/support.ts';
import { addQuantities, formatQuantity, parseQuantity } from '../../src/objects/index.ts';
import { auditOf, must, registerCluster } from './support.ts';

interface Tokens { admin: string; alice: string; victor: string; bob: string }

const acme = {
  name: 'acme', displayName: 'ACME Corp', clusters: ['east', 'west'],
  members: [
    { kind: 'User', name: 'alice', role: 'tenant-admin' }, { kind: 'User', name: 'victor', role: 'viewer' },
    { kind: 'Group', name: 'acme-devs', role: 'member' }, { kind: 'User', name: 'ghost', role: 'member' },
  ],
  quota: { 'requests.cpu': '4', 'requests.memory': '8Gi', pods: '20', namespaces: '5' },
  defaultLimitRange: { container: { max: { cpu: '2' }, default: { cpu: '500m' } } },
  nodeSelector: { pool: 'acme' },
};

const slice = (cpu: string, memory = '1Gi', pods = '2') => ({ 'requests.cpu': cpu, 'requests.memory': memory, pods });
const nsPath = (cluster: string, name: string) => `/api/v1/tenants/acme/namespaces/${cluster}/${name}`;

async function causesOf(s: TestServer, token: string, method: string, path: string, body: unknown, status: number): Promise<any> {
  const r = await s.api(method, path, { token, body });
  assert.equal(r.status, status, `${method} ${path}: ${JSON.stringify(r.body)}`);
  assert.equal(r.body.kind, 'Status');
  return r.body;
}

async function setUp(s: TestServer, east: Cluster, west: Cluster): Promise<Tokens> {
  const admin = await s.login();
  await registerCluster(s, admin, 'east', east);
  await registerCluster(s, admin, 'west', west);
  for (const user of ['alice', 'victor', 'bob']) await must(s, admin, 'POST', '/api/v1/users', { name: user, password: `${user}-password-1` });
  const created = await must(s, admin, 'POST', '/api/v1/tenants', acme);
  for (const field of ['name', 'displayName', 'clusters', 'members', 'quota', 'defaultLimitRange', 'nodeSelector'] as const) {
    assert.deepEqual(created[field], acme[field], field);
  }
  assert.equal(created.resourceVersion, '1');
  await must(s, admin, 'POST', '/api/v1/tenants', { name: 'globex', clusters: ['east'], members: [{ kind: 'User', name: 'bob', role: 'tenant-admin' }] });
  const login = (u: string) => s.login(u, `${u}-password-1`);
  return { admin, alice: await login('alice'), victor: await login('victor'), bob: await login('bob') };
}

async function tenantRefusals(s: TestServer, admin: string): Promise<void> {
  let b = await causesOf(s, admin, 'POST', '/api/v1/tenants', { name: 'initech', clusters: ['east', 'nowhere'] }, 422);
  assert.deepEqual(b.details.causes.map((c: any) => [c.field, c.reason]), [['clusters[1]', 'FieldValueNotFound']]);
  b = await causesOf(s, admin, 'POST', '/api/v1/tenants', { name: 'Init_Tech', clusters: [], quota: { 'requests.cpu': 'lots', gpus: '1' } }, 422);
  assert.deepEqual(b.details.causes.map((c: any) => c.field), ['name', 'quota[gpus]', 'quota[requests.cpu]']);
  b = await causesOf(s, admin, 'POST', '/api/v1/tenants', { name: 'acme', clusters: [] }, 409);
  assert.equal(b.reason, 'AlreadyExists');
  b = await causesOf(s, admin, 'POST', '/api/v1/tenants', { name: 'x', clusters: [], members: [{ kind: 'Robot', name: 'r', role: 'viewer' }] }, 422);
  assert.equal(b.details.causes[0].field, 'members[0].kind');
  assert.equal((await s.api('GET', '/api/v1/tenants/initech', { token: admin })).status, 404, 'nothing stored by a refusal');
}

async function namespaceRules(s: TestServer, t: Tokens): Promise<void> {
  const a = await must(s, t.alice, 'POST', '/api/v1/tenants/acme/namespaces', { name: 'acme-a', cluster: 'east', quota: slice('3', '4Gi', '10') });
  assert.deepEqual([a.name, a.tenant, a.cluster, a.adopted, a.limitRange, a.objects], ['acme-a', 'acme', 'east', false, null, []]);
  assert.deepEqual(a.quota, slice('3', '4Gi', '10'));

  let b = await causesOf(s, t.alice, 'POST', '/api/v1/tenants/acme/namespaces', { name: 'acme-w', cluster: 'west', quota: slice('2') }, 422);
  assert.equal(b.details.causes[0].field, 'quota[requests.cpu]');
  assert.match(b.message, /requests\.cpu: namespaces would hold 5, tenant quota is 4/);
  b = await causesOf(s, t.alice, 'POST', '/api/v1/tenants/acme/namespaces', { name: 'acme-w', cluster: 'west', quota: { 'requests.cpu': '1', pods: '11' } }, 422);
  assert.deepEqual(b.details.causes.map((c: any) => [c.field, c.reason]), [['quota[pods]', 'FieldValueForbidden']]);
  assert.match(b.message, /pods: namespaces would hold 21, tenant quota is 20/);
  b = await causesOf(s, t.alice, 'POST', '/api/v1/tenants/acme/namespaces', { name: 'acme-n', cluster: 'nowhere', quota: slice('1') }, 422);
  assert.deepEqual(b.details.causes.map((c: any) => [c.field, c.reason]), [['cluster', 'FieldValueNotFound']]);
  b = await causesOf(s, t.bob, 'POST', '/api/v1/tenants/globex/namespaces', { name: 'globex-w', cluster: 'west' }, 422);
  assert.match(b.message, /tenant "globex" may not use cluster "west"/);
  b = await causesOf(s, t.alice, 'POST', '/api/v1/tenants/acme/namespaces', { name: 'Bad_Name', cluster: 'east', quota: slice('1') }, 422);
  assert.equal(b.details.causes[0].field, 'name');
  b = await causesOf(s, t.alice, 'POST', '/api/v1/tenants/acme/namespaces', { name: 'kube-acme', cluster: 'east', quota: slice('1') }, 422);
  assert.equal(b.details.causes[0].reason, 'FieldValueForbidden');
  b = await causesOf(s, t.alice, 'POST', '/api/v1/tenants/acme/namespaces', {
    name: 'acme-big', cluster: 'east', quota: slice('1'), limitRange: { container: { max: { cpu: '4' } } },
  }, 422);
  assert.match(b.details.causes[0].field, /^limitRange/);
  b = await causesOf(s, t.alice, 'POST', '/api/v1/tenants/acme/namespaces', { name: 'acme-a', cluster: 'east', quota: slice('0') }, 409);
  assert.equal(b.reason, 'AlreadyExists');

  // The tenant quota cannot drop below what the namespaces hold, nor leave a cluster that holds one.
  b = await causesOf(s, t.admin, 'PATCH', '/api/v1/tenants/acme', { quota: { ...acme.quota, 'requests.cpu': '2' } }, 422);
  assert.match(b.message, /requests\.cpu: namespaces already hold 3, tenant quota would be 2/);
  b = await causesOf(s, t.admin, 'PATCH', '/api/v1/tenants/acme', { clusters: ['west'] }, 422);
  assert.match(b.message, /cluster "east" still holds namespaces "east\/acme-a"/);
  b = await causesOf(s, t.admin, 'PATCH', '/api/v1/tenants/acme', { quota: acme.quota, resourceVersion: '99' }, 409);
  assert.equal(b.reason, 'Conflict');
  const raised = await must(s, t.admin, 'PATCH', '/api/v1/tenants/acme', { quota: { ...acme.quota, 'requests.cpu': '6' }, resourceVersion: '1' });
  assert.equal(raised.resourceVersion, '2');
  const w = await must(s, t.alice, 'POST', '/api/v1/tenants/acme/namespaces', { name: 'acme-w', cluster: 'west', quota: slice('2') });
  assert.equal(w.cluster, 'west');
  b = await causesOf(s, t.alice, 'PATCH', nsPath('west', 'acme-w'), { quota: slice('4') }, 422);
  assert.match(b.message, /requests\.cpu: namespaces would hold 7, tenant quota is 6/);
  const changed = await must(s, t.alice, 'PATCH', nsPath('west', 'acme-w'), { quota: slice('1'), limitRange: { container: { max: { cpu: '1' } } } });
  assert.deepEqual(changed.limitRange, { container: { max: { cpu: '1' } } });
  const reset = await must(s, t.alice, 'PATCH', nsPath('west', 'acme-w'), { limitRange: null, resourceVersion: changed.resourceVersion });
  assert.equal(reset.limitRange, null);
}

async function permissions(s: TestServer, t: Tokens): Promise<void> {
  const names = async (token: string) => (await must(s, token, 'GET', '/api/v1/tenants')).items.map((x: any) => x.name);
  assert.deepEqual(await names(t.admin), ['acme', 'globex']);
  assert.deepEqual(await names(t.alice), ['acme']);
  assert.deepEqual(await names(t.bob), ['globex']);
  assert.deepEqual(await names(t.victor), ['acme']);
  const status = async (token: string, method: string, path: string, body?: unknown) => (await s.api(method, path, { token, body })).status;
  // A tenant admin: their tenant's namespaces only, and not the tenant itself nor the clusters.
  assert.equal(await status(t.alice, 'GET', '/api/v1/tenants/globex'), 403);
  assert.equal(await status(t.alice, 'GET', '/api/v1/tenants/globex/namespaces'), 403);
  assert.equal(await status(t.alice, 'POST', '/api/v1/tenants/globex/namespaces', { name: 'sneak', cluster: 'east' }), 403);
  assert.equal(await status(t.alice, 'PATCH', '/api/v1/tenants/acme', { quota: { 'requests.cpu': '100' } }), 403);
  assert.equal(await status(t.alice, 'GET', '/api/v1/clusters'), 403);
  assert.equal(await status(t.bob, 'GET', nsPath('east', 'acme-a')), 403);
  // A viewer reads and changes nothing.
  assert.equal(await status(t.victor, 'GET', '/api/v1/tenants/acme'), 200);
  assert.equal((await must(s, t.victor, 'GET', '/api/v1/tenants/acme/namespaces')).items.length, 2);
  assert.equal(await status(t.victor, 'GET', '/api/v1/tenants/acme/render'), 200);
  assert.equal(await status(t.victor, 'POST', '/api/v1/tenants/acme/namespaces', { name: 'v', cluster: 'east', quota: slice('0') }), 403);
  assert.equal(await status(t.victor, 'PATCH', nsPath('east', 'acme-a'), { quota: slice('0') }), 403);
  assert.equal(await status(t.victor, 'DELETE', nsPath('east', 'acme-a')), 403);
  // Tenant roles are kept in step with the members, for Berth users only.
  const bindings = async () => (await sql<{ user_name: string; role: string }>`select user_name, role from role_bindings where tenant = 'acme' order by user_name`
    .execute(s.server.deps.db.kysely)).rows.map((r) => `${r.user_name}:${r.role}`);
  assert.deepEqual(await bindings(), ['alice:tenant-admin', 'victor:tenant-viewer']);
  await must(s, t.admin, 'PATCH', '/api/v1/tenants/acme', { members: [acme.members[0], { kind: 'User', name: 'victor', role: 'member' }] });
  assert.deepEqual(await bindings(), ['alice:tenant-admin', 'victor:tenant-member']);
  await must(s, t.admin, 'PATCH', '/api/v1/tenants/acme', { members: acme.members });
  // A member named before they were a Berth user gets the role when the user is created.
  assert.deepEqual(await bindings(), ['alice:tenant-admin', 'victor:tenant-viewer']);
  await must(s, t.admin, 'POST', '/api/v1/users', { name: 'ghost', password: 'ghost-password-1' });
  assert.deepEqual(await bindings(), ['alice:tenant-admin', 'ghost:tenant-member', 'victor:tenant-viewer']);
  assert.equal(await status(await s.login('ghost', 'ghost-password-1'), 'GET', '/api/v1/tenants/acme/namespaces'), 200);
  const refusals = (await auditOf(s, t.admin, 'namespaces')).filter((r) => r.outcome === 'failure' && r.code === 403);
  assert.ok(refusals.some((r) => r.actor === 'victor'), 'refused changes are audited');
}

async function adoption(s: TestServer, t: Tokens, east: Cluster, west: Cluster): Promise<{ foreign: string; labelled: string }> {
  const foreign = await createNamespace(east, { prefix: 'foreign' });
  let b = await causesOf(s, t.alice, 'POST', '/api/v1/tenants/acme/namespaces', { name: foreign, cluster: 'east', quota: slice('500m') }, 409);
  assert.equal(b.reason, 'AlreadyExists');
  assert.match(b.message, /already exists on cluster "east" and is not Berth's; send "adopt": true/);
  const adopted = await must(s, t.alice, 'POST', '/api/v1/tenants/acme/namespaces', { name: foreign, cluster: 'east', quota: slice('500m'), adopt: true });
  assert.equal(adopted.adopted, true);

  // Berth's labels written by someone else (no field-manager entry of Berth's) make a namespace
  // no more Berth's than any other: refused with the adopt hint, as the reconciler would refuse it.
  const labelled = await createNamespace(west, { prefix: 'labelled', labels: { 'app.kubernetes.io/managed-by': 'berth', 'berth.io/tenant': 'acme' } });
  b = await causesOf(s, t.alice, 'POST', '/api/v1/tenants/acme/namespaces', { name: labelled, cluster: 'west', quota: slice('500m') }, 409);
  assert.equal(b.reason, 'AlreadyExists');
  assert.match(b.message, /already exists on cluster "west" and is not Berth's \(it carries Berth's labels, but Berth did not apply it\); send "adopt": true/);
  assert.equal((await s.api('GET', nsPath('west', labelled), { token: t.alice })).status, 404, 'nothing recorded by the refusal');
  const other = await createNamespace(east, { prefix: 'globexs', labels: { 'app.kubernetes.io/managed-by': 'berth', 'berth.io/tenant': 'globex' } });
  b = await causesOf(s, t.alice, 'POST', '/api/v1/tenants/acme/namespaces', { name: other, cluster: 'east', quota: slice('500m') }, 409);
  assert.match(b.message, /is not Berth's \(it carries Berth's labels, but Berth did not apply it\); send "adopt": true/);
  await east.request('DELETE', `/api/v1/namespaces/${other}`);
  // Adopted, the labelled namespace is taken over and reconciled like any adopted one.
  const took = await must(s, t.alice, 'POST', '/api/v1/tenants/acme/namespaces', { name: labelled, cluster: 'west', quota: slice('500m'), adopt: true });
  assert.equal(took.adopted, true, 'a namespace labelled as Berth\'s by someone else is adopted');
  await eventually(`${labelled} reconciled`, async () => {
    const objects = (await must(s, t.alice, 'GET', nsPath('west', labelled))).objects;
    return objects.length > 1 && objects.every((o: any) => o.state === 'Applied') ? true : undefined;
  }, 30_000, 100);
  const managers = ((expectOk(await west.request('GET', `/api/v1/namespaces/${labelled}`), 'the adopted namespace') as any).metadata.managedFields as { manager: string }[]).map((f) => f.manager);
  assert.ok(managers.includes('berth'), `Berth applied the adopted namespace: ${managers}`);
  return { foreign, labelled };
}

/**
 * A namespace Berth applied earlier (its field manager, its labels) whose row Berth no longer
 * holds is Berth's: its tenant places it again without adopting; another tenant may not take it
 * even by adopting.
 */
async function appliedEarlier(s: TestServer, t: Tokens, east: Cluster): Promise<void> {
  const name = uniqueName('restored');
  const manifest = { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'app.kubernetes.io/managed-by': 'berth', 'berth.io/tenant': 'globex' } } };
  await must(s, t.admin, 'POST', '/api/v1/tenants', { name: 'umbrella', clusters: ['east'] });
  await kubectl(east, ['apply', '--server-side', '--field-manager=berth', '-f', '-'], JSON.stringify(manifest));
  const b = await causesOf(s, t.admin, 'POST', '/api/v1/tenants/umbrella/namespaces', { name, cluster: 'east', adopt: true }, 409);
  assert.match(b.message, /already exists on cluster "east" as a namespace of tenant "globex"/);
  // Berth's reconciler, holding no row for it, may already be deleting it: still Berth's, placed
  // again, and created anew once the deletion completes.
  const placed = await must(s, t.bob, 'POST', '/api/v1/tenants/globex/namespaces', { name, cluster: 'east' });
  assert.equal(placed.adopted, false, 'a namespace Berth applied is its own, not adopted');
  await eventually(`${name} reconciled`, async () => {
    const objects = (await must(s, t.bob, 'GET', `/api/v1/tenants/globex/namespaces/east/${name}`)).objects;
    return objects.length > 0 && objects.every((o: any) => o.state === 'Applied') ? true : undefined;
  }, 90_000, 200);
  await must(s, t.bob, 'DELETE', `/api/v1/tenants/globex/namespaces/east/${name}`);
}

async function renderAndUsage(s: TestServer, t: Tokens, foreign: string, eastCluster: Cluster, westCluster: Cluster): Promise<void> {
  const east = await must(s, t.alice, 'GET', '/api/v1/tenants/acme/render?cluster=east');
  assert.equal(east.kind, 'List');
  const ids = east.items.map((o: any) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`);
  for (const id of ['Namespace//acme-a', 'ResourceQuota/acme-a/berth-quota', 'LimitRange/acme-a/berth-limits', `Namespace//${foreign}`]) assert.ok(ids.includes(id), `${id} in ${ids}`);
  const ns = east.items.find((o: any) => o.kind === 'Namespace' && o.metadata.name === 'acme-a');
  assert.equal(ns.metadata.labels['berth.io/tenant'], 'acme');
  assert.equal(ns.metadata.annotations['scheduler.alpha.kubernetes.io/node-selector'], 'pool=acme');
  assert.ok(!ids.some((id: string) => id.includes('acme-w')), 'only the cluster asked for');
  const all = await must(s, t.alice, 'GET', '/api/v1/tenants/acme/render');
  assert.ok(all.items.length > east.items.length);
  assert.equal((await s.api('GET', '/api/v1/tenants/acme/render?cluster=nowhere', { token: t.alice })).status, 404);

  // Usage as the reconciler records it from each namespace's ResourceQuota status in its cluster.
  const clusterOf: Record<string, Cluster> = { east: eastCluster, west: westCluster };
  const sorted = (m: Record<string, string>) => JSON.stringify(Object.keys(m).sort().map((k) => [k, m[k]]));
  const usage = await eventually('the usage of every namespace with a quota, as its cluster counts it', async () => {
    const u = await must(s, t.victor, 'GET', '/api/v1/tenants/acme/usage');
    for (const n of u.namespaces) {
      const rq = await clusterOf[n.cluster].request('GET', `/api/v1/namespaces/${n.name}/resourcequotas/berth-quota`);
      if (rq.status === 404 && n.observedAt === undefined) continue;
      if (rq.status !== 200 || n.observedAt === undefined || sorted(n.used) !== sorted((rq.body as any).status?.used ?? {})) return undefined;
    }
    return u;
  }, 30_000, 200);
  assert.equal(usage.tenant, 'acme');
  assert.deepEqual(usage.hard, { ...acme.quota, 'requests.cpu': '6' });
  assert.deepEqual(usage.allocated, { namespaces: '4', pods: '16', 'requests.cpu': '5', 'requests.memory': '7Gi' });
  const total = (name: string) => formatQuantity(usage.namespaces.reduce((sum: any, n: any) => (n.used[name] === undefined ? sum : addQuantities(sum, parseQuantity(n.used[name]))), parseQuantity('0')));
  for (const name of ['pods', 'requests.cpu', 'requests.memory']) assert.equal(usage.used[name] ?? '0', total(name), name);
  assert.equal(usage.used.namespaces, '4');
  assert.equal(usage.namespaces.length, 4);
  assert.deepEqual(usage.clusters.map((c: any) => c.cluster), ['east', 'west']);
  const a = await must(s, t.victor, 'GET', nsPath('east', 'acme-a'));
  assert.deepEqual(a.usage.used, usage.namespaces.find((n: any) => n.cluster === 'east' && n.name === 'acme-a').used);
  // On clusters an earlier run used, acme-a may still be terminating from it: Failed until it is gone, then Applied.
  await eventually('acme-a applied', async () => {
    const now = await must(s, t.victor, 'GET', nsPath('east', 'acme-a'));
    return now.objects.length > 0 && now.objects.every((o: any) => o.state === 'Applied') ? true : undefined;
  }, 60_000, 200);
  // Listed page by page, each namespace with its own objects.
  const seen: any[] = [];
  let next = '';
  do {
    const page = await must(s, t.victor, 'GET', `/api/v1/tenants/acme/namespaces?limit=3${next ? `&continue=${next}` : ''}`);
    seen.push(...page.items);
    next = page.continue ?? '';
  } while (next !== '');
  assert.deepEqual(seen.map((n) => `${n.cluster}/${n.name}`), usage.namespaces.map((n: any) => `${n.cluster}/${n.name}`));
  assert.equal((await s.api('GET', '/api/v1/tenants/acme/namespaces?continue=bm90LWEtdG9rZW4', { token: t.victor })).status, 400);
}

async function deletions(s: TestServer, t: Tokens, east: Cluster, west: Cluster, foreign: string, labelled: string): Promise<void> {
  expectOk(await east.request('POST', `/api/v1/namespaces/${foreign}/pods`, {
    // The tenant quota bounds requests.memory, so its webhook, like a ResourceQuota, wants every container to state one.
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web' }, spec: { containers: [{ name: 'c', image: 'busybox', resources: { requests: { memory: '64Mi' } } }] },
  }), 'create pod');
  let b = await causesOf(s, t.alice, 'DELETE', nsPath('east', foreign), undefined, 409);
  assert.match(b.message, /pods still run in it on cluster "east" \(for example "web"\)/);
  b = await causesOf(s, t.admin, 'DELETE', '/api/v1/tenants/acme', undefined, 409);
  assert.match(b.message, /it still has namespaces "east\/acme-a", "east\/foreign-/);
  b = await causesOf(s, t.admin, 'DELETE', '/api/v1/clusters/east', undefined, 409);
  assert.match(b.message, /tenants still have namespaces there: "acme\/acme-a"/);
  await must(s, t.alice, 'DELETE', `${nsPath('east', foreign)}?force=true`);
  await must(s, t.alice, 'DELETE', nsPath('east', 'acme-a'));
  assert.equal((await s.api('GET', nsPath('east', 'acme-a'), { token: t.alice })).status, 404);
  assert.equal((await east.request('GET', `/api/v1/namespaces/${foreign}`)).status, 200, 'an adopted namespace stays in the cluster');

  // Forced, a cluster goes with Berth's namespaces there, deleted from the cluster; an adopted one is given back.
  await must(s, t.admin, 'DELETE', '/api/v1/clusters/west?force=true');
  await eventually('namespace acme-w deleted', async () => {
    const r = await west.request('GET', '/api/v1/namespaces/acme-w');
    return r.status === 404 || (r.body as any).metadata?.deletionTimestamp !== undefined ? true : undefined;
  });
  await eventually(`Berth's quota gone from ${labelled}`, async () => ((await west.request('GET', `/api/v1/namespaces/${labelled}/resourcequotas/berth-quota`)).status === 404 ? true : undefined));
  const kept = expectOk(await west.request('GET', `/api/v1/namespaces/${labelled}`), 'the adopted namespace') as any;
  assert.equal(kept.metadata.deletionTimestamp, undefined, 'an adopted namespace stays');
  await west.request('DELETE', `/api/v1/namespaces/${labelled}`);
  const left = await must(s, t.admin, 'GET', '/api/v1/tenants/acme');
  assert.deepEqual(left.clusters, ['east']);
  assert.deepEqual((await must(s, t.alice, 'GET', '/api/v1/tenants/acme/namespaces')).items, []);
  await must(s, t.admin, 'DELETE', '/api/v1/tenants/acme');
  assert.equal((await sql`select * from role_bindings where tenant = 'acme'`.execute(s.server.deps.db.kysely)).rows.length, 0, 'the tenant roles go with it');
}

async function auditAndEvents(s: TestServer, admin: string): Promise<void> {
  const done = async (resource: string) => (await auditOf(s, admin, resource)).filter((r) => r.outcome === 'success').map((r) => `${r.action} ${r.name} ${r.tenant}`).sort();
  assert.deepEqual(await done('tenants'), [
    'create acme acme', 'create globex globex', 'delete acme acme', 'update acme acme', 'update acme acme', 'update acme acme',
  ]);
  const namespaces = await done('namespaces');
  assert.equal(namespaces.filter((n) => n.startsWith('create')).length, 4);
  assert.equal(namespaces.filter((n) => n.startsWith('update')).length, 2);
  assert.equal(namespaces.filter((n) => n.startsWith('delete')).length, 2);
  assert.ok(namespaces.every((n) => n.endsWith(' acme')), 'namespace changes are recorded in their tenant');
  assert.ok((await done('clusters')).includes('delete west '));
  const events = (await sql<{ topic: string; key: string; n: number }>`select topic, key, count(*) as n from outbox_events where topic like 'tenancy.%' group by topic, key order by topic, key`
    .execute(s.server.deps.db.kysely)).rows.map((r) => `${r.topic} ${r.key} ${Number(r.n)}`);
  // acme: create, 3 updates, delete; 4 namespace creates, 2 updates, 2 deletes.
  assert.deepEqual(events, ['tenancy.cluster east 1', 'tenancy.cluster west 2', 'tenancy.tenant acme 13', 'tenancy.tenant globex 1']);
}

/**
 * A cluster that cannot be reached: a namespace is still recorded (the reconciler applies it when
 * the cluster is back; the audit says the cluster was not asked); deleting one needs force;
 * removing the cluster by force fails, nothing removed, until it answers, and then deletes only
 * what carries Berth's labels.
 */
async function outage(s: TestServer, admin: string, west: Cluster): Promise<void> {
  const proxy = await startTcpProxy({ host: '127.0.0.1', port: Number(new URL(west.server).port) });
  try {
    const kubeconfig = kubeconfigFor({ server: `https://127.0.0.1:${proxy.port}`, pki: west.pki }, adminUser(west));
    await must(s, admin, 'POST', '/api/v1/clusters', { name: 'relay', kubeconfig });
    await must(s, admin, 'POST', '/api/v1/tenants', { name: 'initech', clusters: ['relay'] });
    proxy.cut();
    const ns = await must(s, admin, 'POST', '/api/v1/tenants/initech/namespaces', { name: 'initech-a', cluster: 'relay', quota: { pods: '5' } });
    assert.equal(ns.adopted, false);
    const created = (await auditOf(s, admin, 'namespaces')).find((r) => r.name === 'relay/initech-a' && r.action === 'create');
    assert.match(created.detail.clusterUnchecked, /relay/);
    const b = await causesOf(s, admin, 'DELETE', '/api/v1/tenants/initech/namespaces/relay/initech-a', undefined, 503);
    assert.match(b.message, /cannot tell whether namespace "initech-a" on cluster "relay" still runs pods/);
    // Someone else's namespace, recorded while the cluster could not be asked, is never deleted by Berth.
    const theirs = await createNamespace(west, { prefix: 'theirs' });
    assert.equal((await must(s, admin, 'POST', '/api/v1/tenants/initech/namespaces', { name: theirs, cluster: 'relay', quota: { pods: '1' } })).adopted, false);
    const gone = await s.api('DELETE', '/api/v1/clusters/relay?force=true', { token: admin });
    assert.equal(gone.status, 503, JSON.stringify(gone.body));
    assert.equal((await s.api('GET', '/api/v1/clusters/relay', { token: admin })).status, 200, 'nothing removed');
    proxy.restore();
    await must(s, admin, 'DELETE', '/api/v1/clusters/relay?force=true');
    const kept = expectOk(await west.request('GET', `/api/v1/namespaces/${theirs}`), 'get namespace') as any;
    assert.equal(kept.metadata.deletionTimestamp, undefined, 'a namespace that is not Berth\'s is left alone');
    assert.deepEqual((await must(s, admin, 'GET', '/api/v1/tenants/initech/namespaces')).items, []);
  } finally {
    await proxy.close();
  }
}

/** Namespaces created at once never add up beyond the tenant quota together: each is decided on the others' outcome. */
async function concurrentSlices(s: TestServer, admin: string): Promise<void> {
  await must(s, admin, 'POST', '/api/v1/tenants', { name: 'hooli', clusters: ['east'], quota: { 'requests.cpu': '3' } });
  const answers = await Promise.all(Array.from({ length: 6 }, (_, i) =>
    s.api('POST', '/api/v1/tenants/hooli/namespaces', { token: admin, body: { name: `hooli-${i}`, cluster: 'east', quota: { 'requests.cpu': '1' } } })));
  assert.deepEqual(answers.map((a) => a.status).sort(), [201, 201, 201, 422, 422, 422], JSON.stringify(answers.map((a) => a.body.message)));
  const usage = await must(s, admin, 'GET', '/api/v1/tenants/hooli/usage');
  assert.deepEqual(usage.allocated, { 'requests.cpu': '3' });
}

test('tenants and namespaces through the API, against two clusters', withClusters(2, async ([east, west], t) => {
  for (const backend of backends) {
    await t.test(backend, async () => {
      const s = await startTestServer(backend);
      try {
        const tokens = await setUp(s, east, west);
        await tenantRefusals(s, tokens.admin);
        await namespaceRules(s, tokens);
        await permissions(s, tokens);
        const { foreign, labelled } = await adoption(s, tokens, east, west);
        await renderAndUsage(s, tokens, foreign, east, west);
        await deletions(s, tokens, east, west, foreign, labelled);
        await auditAndEvents(s, tokens.admin);
        await outage(s, tokens.admin, west);
        await concurrentSlices(s, tokens.admin);
        await appliedEarlier(s, tokens, east);
      } finally {
        await s.close();
      }
    });
  }
}));

