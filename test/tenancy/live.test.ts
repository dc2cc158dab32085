// The whole tenancy area through a running Berth server against real clusters: clusters and a
// tenant registered through the HTTP API, the leader's reconciler (store-fed, outbox-woken)
// putting the rendered objects into two API servers, checked with the API servers' own answers:
// exactly the rendered objects, quota and LimitRange enforced by the cluster, RoleBindings that
// let the tenant's users act (impersonation) and nobody else, drift corrected within 10 s while
// an object Berth did not create is never touched, an outage shown Degraded then Ready with the
// missed objects applied once, the render output accepted by a fresh API server's dry run and
// equal to what was applied, and bad input refused with nothing half-written.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { eventually, expectOk, withClusters } from '../clusters/index.ts';
import type { Cluster, KubeObject } from '../clusters/index.ts';
import { adminUser, kubeconfigFor, kubectl } from '../kube/support.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { must, registerCluster } from './support.ts';
import {
  applied, appliedState, createPod, dryRunRender, managedKeys, nsPath, objectsOf, pathOf, renderOf, sameAsRendered, settle, waitApplied,
} from './live-support.ts';

const tenantBody = (clusters: string[]) => ({
  name: 'acme', displayName: 'ACME', clusters,
  members: [
    { kind: 'User', name: 'alice', role: 'tenant-admin' }, { kind: 'Group', name: 'acme-devs', role: 'member' }, { kind: 'User', name: 'victor', role: 'viewer' },
  ],
  quota: { 'requests.cpu': '8', 'limits.cpu': '16', 'requests.memory': '8Gi', 'limits.memory': '16Gi', pods: '40', namespaces: '10' },
  defaultLimitRange: { container: { max: { cpu: '2', memory: '2Gi' }, default: { cpu: '500m', memory: '256Mi' }, defaultRequest: { cpu: '100m', memory: '128Mi' } } },
  nodeSelector: { pool: 'acme' },
});
const slice = { 'requests.cpu': '1', 'limits.cpu': '2', 'requests.memory': '1Gi', 'limits.memory': '2Gi', pods: '3' };

/** Creates namespace `name` of `tenant` on `cluster` through the API; returns when the API answered 201. */
async function createNs(s: TestServer, token: string, tenant: string, cluster: string, name: string, quota: Record<string, string> = slice): Promise<void> {
  await must(s, token, 'POST', `/api/v1/tenants/${tenant}/namespaces`, { name, cluster, quota }, [201]);
}

test('a tenant across two live clusters through a running Berth server', { timeout: 900_000 }, withClusters(3, async ([east, west, fresh], t: TestContext) => {
  const s = await startTestServer('sqlite');
  try {
    const admin = await s.login();
    await registerCluster(s, admin, 'east', east);
    await registerCluster(s, admin, 'west', west);
    await must(s, admin, 'POST', '/api/v1/tenants', tenantBody(['east', 'west']));
    await must(s, admin, 'POST', '/api/v1/tenants', { name: 'globex', clusters: ['east'], members: [{ kind: 'User', name: 'bob', role: 'tenant-admin' }], quota: { pods: '10', namespaces: '2' } });

    // 1. A namespace in each cluster: the cluster holds exactly the rendered objects, all Applied.
    const ready: number[] = [];
    for (const [tenant, cluster, name, quota, objects] of [
      ['acme', 'east', 'acme-web', slice, 7], ['acme', 'west', 'acme-api', slice, 7], ['globex', 'east', 'globex-app', { pods: '5' }, 4],
    ] as const) {
      await createNs(s, admin, tenant, cluster, name, quota);
      ready.push(await waitApplied(s, admin, tenant, cluster, name, 30_000, objects));
    }
    t.diagnostic(`namespace create (API 201) to all its objects Applied in the cluster: ${ready.map((ms) => `${ms} ms`).join(', ')}`);
    for (const [name, cluster] of [['east', east], ['west', west]] as const) {
      const rendered = await renderOf(s, admin, 'acme', name);
      assert.equal(rendered.length, 7, `acme renders 7 objects in ${name}`);
      assert.deepEqual(await managedKeys(cluster, 'acme'), rendered.map(pathOf).sort(), `${name} holds exactly acme's rendered objects`);
      await sameAsRendered(cluster, rendered);
    }
    const ns = await must(s, admin, 'GET', nsPath('acme', 'east', 'acme-web'));
    assert.deepEqual(ns.objects.map((o: any) => [o.kind, o.state]), [
      ['LimitRange', 'Applied'], ['Namespace', 'Applied'], ['NetworkPolicy', 'Applied'], ['ResourceQuota', 'Applied'],
      ['RoleBinding', 'Applied'], ['RoleBinding', 'Applied'], ['RoleBinding', 'Applied'],
    ].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));

    // The cluster itself enforces the slice and fills in the tenant's default limits.
    await eventually('ServiceAccount acme-web/default', async () => ((await east.request('GET', '/api/v1/namespaces/acme-web/serviceaccounts/default')).status === 200 ? true : undefined));
    const plain = expectOk(await createPod(east, 'acme-web', 'plain'), 'a pod without resources') as KubeObject;
    assert.deepEqual((plain.spec as any).containers[0].resources, { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } });
    const big = await createPod(east, 'acme-web', 'big', { requests: { cpu: '1' }, limits: { cpu: '1' } });
    assert.equal(big.status, 403, JSON.stringify(big.body));
    assert.match((big.body as any).message, /exceeded quota: berth-quota, requested: requests.cpu=1, used: requests.cpu=100m, limited: requests.cpu=1/);

    // 2. The tenant's users act through the RoleBindings, and only in their tenant's namespaces.
    const can = async (cluster: Cluster, verb: string, resource: string, ns: string, ...as: string[]) =>
      (await kubectl(cluster, ['auth', 'can-i', verb, resource, '-n', ns, ...as]).catch((e: { stdout?: string }) => e.stdout ?? '')).trim();
    await eventually('ClusterRole admin aggregated', async () => ((await can(east, 'create', 'rolebindings', 'acme-web', '--as', 'alice')) === 'yes' ? true : undefined));
    assert.equal(await can(west, 'create', 'deployments', 'acme-api', '--as', 'carol', '--as-group', 'acme-devs'), 'yes');
    assert.equal(await can(west, 'create', 'rolebindings', 'acme-api', '--as', 'carol', '--as-group', 'acme-devs'), 'no');
    assert.equal(await can(east, 'list', 'pods', 'acme-web', '--as', 'victor'), 'yes');
    assert.equal(await can(east, 'create', 'pods', 'acme-web', '--as', 'victor'), 'no');
    assert.equal(await can(east, 'list', 'pods', 'globex-app', '--as', 'alice'), 'no');
    assert.equal(await can(east, 'list', 'pods', 'acme-web', '--as', 'bob'), 'no');
    const cm = (name: string) => JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { a: '1' } });
    await kubectl(east, ['create', '-n', 'acme-web', '--as', 'alice', '-f', '-'], cm('by-alice'));
    await kubectl(west, ['create', '-n', 'acme-api', '--as', 'carol', '--as-group', 'acme-devs', '-f', '-'], cm('by-carol'));
    await assert.rejects(kubectl(east, ['create', '-n', 'globex-app', '--as', 'alice', '-f', '-'], cm('intruder')), /forbidden/);
    await assert.rejects(kubectl(east, ['create', '-n', 'acme-web', '--as', 'victor', '-f', '-'], cm('by-viewer')), /forbidden/);

    // 7. Refused input leaves nothing behind, in Berth or in the clusters; a kubeconfig that
    // cannot reach its cluster is refused and the one before it stays in use (the drift checks
    // below go through it).
    const keysBefore = await managedKeys(east, 'acme');
    for (const body of [
      { name: 'Acme_Bad', cluster: 'east', quota: slice }, { name: 'acme-huge', cluster: 'east', quota: { ...slice, 'requests.cpu': '100' } },
      { name: 'acme-nowhere', cluster: 'nowhere', quota: slice }, { name: 'acme-cpu', cluster: 'east', quota: { ...slice, 'requests.cpu': 'lots' } },
    ]) {
      const r = await s.api('POST', '/api/v1/tenants/acme/namespaces', { token: admin, body });
      assert.deepEqual([r.status, r.body.kind], [422, 'Status'], `${body.name}: ${JSON.stringify(r.body)}`);
    }
    const unreachable = await s.api('PATCH', '/api/v1/clusters/east', { token: admin, body: { kubeconfig: kubeconfigFor({ server: 'https://127.0.0.1:1', pki: east.pki }, adminUser(east)) } });
    assert.deepEqual([unreachable.status, unreachable.body.kind], [422, 'Status'], JSON.stringify(unreachable.body));
    assert.equal((await must(s, admin, 'GET', '/api/v1/clusters/east')).server, east.server);
    assert.deepEqual((await must(s, admin, 'GET', '/api/v1/tenants/acme/namespaces')).items.map((n: any) => n.name), ['acme-web', 'acme-api']);
    await settle(1000);
    assert.deepEqual(await managedKeys(east, 'acme'), keysBefore, 'nothing of a refused request reached the cluster');

    // 3. Drift: the managed quota deleted, then edited, is restored within 10 s; a foreign object is untouched.
    // Objects Berth did not create, in a namespace it manages: a quota of the team's own, and a
    // RoleBinding that even carries Berth's labels (made by kubectl, so not Berth's field manager).
    const foreignQuota = expectOk(await east.request('POST', '/api/v1/namespaces/acme-web/resourcequotas', {
      apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'team-own', labels: { team: 'web' } }, spec: { hard: { 'count/configmaps': '7' } },
    }), 'a quota Berth did not create') as KubeObject;
    const foreignBinding = expectOk(await east.request('POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/acme-web/rolebindings', {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding',
      metadata: { name: 'team-extra', labels: { 'app.kubernetes.io/managed-by': 'berth', 'berth.io/tenant': 'acme' } },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' }, subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'auditor' }],
    }), 'a RoleBinding Berth did not create') as KubeObject;
    const quotaPath = '/api/v1/namespaces/acme-web/resourcequotas/berth-quota';
    const want = (expectOk(await east.request('GET', quotaPath), 'berth-quota') as KubeObject).spec;
    const restored = async (what: string): Promise<number> => {
      const from = Date.now();
      await eventually(what, async () => {
        const r = await east.request('GET', quotaPath);
        return r.status === 200 && JSON.stringify((r.body as KubeObject).spec) === JSON.stringify(want) ? true : undefined;
      }, 10_000, 50);
      return Date.now() - from;
    };
    await kubectl(east, ['delete', 'resourcequota', 'berth-quota', '-n', 'acme-web']);
    const afterDelete = await restored('berth-quota restored after delete');
    await kubectl(east, ['patch', 'resourcequota', 'berth-quota', '-n', 'acme-web', '--type=merge', '-p', '{"spec":{"hard":{"pods":"99"}}}']);
    const afterEdit = await restored('berth-quota restored after edit');
    t.diagnostic(`drift restored: deleted quota in ${afterDelete} ms, edited quota in ${afterEdit} ms`);
    const stillQuota = expectOk(await east.request('GET', '/api/v1/namespaces/acme-web/resourcequotas/team-own'), 'the foreign quota') as KubeObject;
    assert.equal(stillQuota.metadata?.uid, foreignQuota.metadata?.uid);
    assert.deepEqual([stillQuota.metadata?.labels, stillQuota.spec], [{ team: 'web' }, foreignQuota.spec]);
    assert.ok(!(stillQuota.metadata?.managedFields as { manager: string }[]).some((f) => f.manager === 'berth'), 'Berth never wrote the foreign quota');
    const stillBinding = expectOk(await east.request('GET', '/apis/rbac.authorization.k8s.io/v1/namespaces/acme-web/rolebindings/team-extra'), 'the foreign RoleBinding') as KubeObject;
    assert.equal(stillBinding.metadata?.resourceVersion, foreignBinding.metadata?.resourceVersion, 'the foreign RoleBinding was never written');
    for (const who of ['by-alice']) {
      expectOk(await east.request('GET', `/api/v1/namespaces/acme-web/configmaps/${who}`), 'the tenant user\'s own object');
    }

    // 4. Outage: west's API server stops while namespaces are created in both clusters.
    const before = await appliedState(west, 'acme');
    const stopped = Date.now();
    const startWest = await west.stopApiserver();
    // Nothing changes yet: the reconciler's watches failing is what notices (the probe runs every 30 s).
    const degraded = await eventually('west Degraded', async () => {
      const c = await must(s, admin, 'GET', '/api/v1/clusters/west');
      return c.status === 'Degraded' ? c : undefined;
    }, 5_000, 100);
    t.diagnostic(`west Degraded ${Date.now() - stopped} ms after its API server was stopped`);
    await createNs(s, admin, 'acme', 'east', 'acme-east2');
    await createNs(s, admin, 'acme', 'west', 'acme-west2');
    const cond = degraded.conditions.find((c: any) => c.type === 'Degraded' || c.status === 'False' || c.type === 'Ready');
    t.diagnostic(`west while down: ${JSON.stringify(degraded.conditions)}`);
    assert.ok(cond?.lastTransitionTime, 'the condition says since when');
    assert.equal((await must(s, admin, 'GET', '/api/v1/clusters/east')).status, 'Ready');
    await waitApplied(s, admin, 'acme', 'east', 'acme-east2');
    const back = Date.now();
    await startWest();
    const answering = Date.now() - back;
    await eventually('west Ready', async () => ((await must(s, admin, 'GET', '/api/v1/clusters/west')).status === 'Ready' ? true : undefined), 90_000, 200);
    await waitApplied(s, admin, 'acme', 'west', 'acme-west2', 90_000);
    t.diagnostic(`west Ready and caught up ${Date.now() - back} ms after its API server was started (healthy after ${answering} ms)`);
    const rendered = await renderOf(s, admin, 'acme', 'west');
    assert.deepEqual(await managedKeys(west, 'acme'), rendered.map(pathOf).sort(), 'west holds exactly the rendered objects after the outage');
    await sameAsRendered(west, rendered);
    const after = await appliedState(west, 'acme');
    for (const [key, o] of before) assert.deepEqual(after.get(key), o, `${key} untouched by the catch-up`);
    for (const [key, o] of after) {
      assert.equal(o.berthEntries, 'Apply', `${key}: one field manager entry of berth, by apply`);
      if (o.generation !== undefined) assert.equal(o.generation, 1, `${key} written once`);
    }
    // A later pass (woken by a change of the tenant) writes nothing: every object keeps its version.
    await must(s, admin, 'PATCH', '/api/v1/tenants/acme', { displayName: 'ACME Corp' });
    await settle(2000);
    assert.deepEqual(await appliedState(west, 'acme'), after, 'a pass after the catch-up writes nothing');

    // A cluster removed with force while the reconciler runs: Berth's objects leave it, the
    // adopted namespace is given back, and nothing of Berth's comes back afterwards.
    await kubectl(west, ['create', 'namespace', 'legacy']);
    await must(s, admin, 'POST', '/api/v1/tenants/acme/namespaces', { name: 'legacy', cluster: 'west', quota: slice, adopt: true }, [201]);
    await waitApplied(s, admin, 'acme', 'west', 'legacy');
    await must(s, admin, 'DELETE', '/api/v1/clusters/west?force=true');
    // The namespaces Berth created terminate, taking their content with them.
    let left: string[] = [];
    await eventually('Berth\'s objects gone from west', async () => {
      left = await managedKeys(west, 'acme');
      return left.length === 0 ? true : undefined;
    }, 60_000, 200).catch((err: Error) => { throw new Error(`${err.message}; left: ${left.join(' ')}`); });
    await settle(2000);
    assert.deepEqual(await managedKeys(west, 'acme'), [], 'nothing of Berth came back to the removed cluster');
    const legacy = expectOk(await west.request('GET', '/api/v1/namespaces/legacy'), 'the adopted namespace stays') as KubeObject;
    assert.deepEqual(legacy.metadata?.labels, { 'kubernetes.io/metadata.name': 'legacy' }, 'the adopted namespace was given back');

    // 6. The render output is accepted by a fresh API server and equals what the reconciler applied.
    const out = await dryRunRender(fresh, await renderOf(s, admin, 'acme', 'east'));
    const inEast = await objectsOf(east, out.map((o) => o.path));
    for (const o of out) assert.deepEqual(o.applied, applied(inEast.get(o.path)!), `${o.path}: dry run equals what the reconciler applied`);
    t.diagnostic(`render of acme in east: ${out.length} objects accepted by a dry run on a fresh API server`);
    // The namespaces made for the dry run go, so that the cluster is fresh for the next server.
    await kubectl(fresh, ['delete', 'namespace', ...out.filter((o) => o.path.startsWith('/api/v1/namespaces/') && !o.path.includes('/', '/api/v1/namespaces/'.length)).map((o) => o.path.slice('/api/v1/namespaces/'.length)), '--wait=true', '--timeout=120s']);
  } finally {
    await s.close();
  }

  // The same on PostgreSQL, on the third cluster: a namespace applied exactly as rendered, its quota's drift restored.
  const p = await startTestServer('postgres');
  try {
    const admin = await p.login();
    await registerCluster(p, admin, 'solo', fresh);
    await must(p, admin, 'POST', '/api/v1/tenants', tenantBody(['solo']));
    await createNs(p, admin, 'acme', 'solo', 'acme-pg');
    const ms = await waitApplied(p, admin, 'acme', 'solo', 'acme-pg');
    const rendered = await renderOf(p, admin, 'acme', 'solo');
    assert.deepEqual(await managedKeys(fresh, 'acme'), rendered.map(pathOf).sort(), 'the cluster holds exactly the rendered objects');
    await sameAsRendered(fresh, rendered);
    const from = Date.now();
    await kubectl(fresh, ['delete', 'resourcequota', 'berth-quota', '-n', 'acme-pg']);
    await eventually('berth-quota restored', async () => ((await fresh.request('GET', '/api/v1/namespaces/acme-pg/resourcequotas/berth-quota')).status === 200 ? true : undefined), 10_000, 50);
    t.diagnostic(`PostgreSQL: namespace create to Applied ${ms} ms, deleted quota restored in ${Date.now() - from} ms`);
  } finally {
    await p.close();
  }
}));
