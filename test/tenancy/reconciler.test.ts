// The reconciler against two real control planes. The source is plain data (tenants and
// namespaces rendered with renderTenant, exactly as Berth's store would hand them over) and the
// sink records what it is told; everything in between is the real Reconciler, the real
// ClusterClient and real API servers, checked through the API servers' own answers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { pino } from 'pino';
import { eventually, expectOk, uniqueName, waitForQuotaUsed, withClusters } from '../clusters/index.ts';
import type { Cluster as TestCluster, KubeObject } from '../clusters/index.ts';
import { ClusterClient } from '../../src/kube/index.ts';
import { Reconciler, renderTenant } from '../../src/tenancy/index.ts';
import type {
  Cluster, DesiredState, Manifest, ObjectStatusRow, ReconcileSink, ReconcileSource, Tenant, TenantNamespace,
} from '../../src/tenancy/index.ts';
import { adminUser, kubeconfigFor } from '../kube/support.ts';

const logger = pino({ level: process.env.BERTH_TEST_LOG ?? 'silent' });

/** The desired state as data: what Berth's store would hold. */
class World implements ReconcileSource {
  readonly tenants = new Map<string, Tenant>();
  namespaces: TenantNamespace[] = [];
  readonly registered: Cluster[];
  readonly clients: ReadonlyMap<string, ClusterClient>;
  /** The clusters registered right now. */
  readonly present: Set<string>;

  constructor(clients: ReadonlyMap<string, ClusterClient>) {
    this.clients = clients;
    this.present = new Set(clients.keys());
    this.registered = [...clients.keys()].map((name) => ({ name, labels: {}, settings: {} }));
  }

  async clusters(): Promise<readonly string[]> {
    return [...this.present];
  }

  async client(cluster: string): Promise<ClusterClient> {
    const c = this.clients.get(cluster);
    if (c === undefined) throw new Error(`no cluster ${cluster}`);
    return c;
  }

  /** What renderTenant wants in `cluster` for every tenant. */
  rendered(cluster: string): Manifest[] {
    return [...this.tenants.values()].flatMap((t) =>
      renderTenant(t, this.namespaces.filter((n) => n.tenant === t.name), this.registered).get(cluster) ?? []);
  }

  async desired(cluster: string): Promise<DesiredState> {
    const adopted = new Set(this.namespaces.filter((n) => n.cluster === cluster && n.adopted).map((n) => n.name));
    return { manifests: this.rendered(cluster), adopted };
  }

  // A cluster leaving this world is only unregistered: nothing is swept.
  async removals(): Promise<readonly string[]> {
    return [];
  }

  async removedClient(): Promise<undefined> {
    return undefined;
  }
}

interface Condition { readonly cluster: string; readonly ready: boolean; readonly reason: string; readonly message: string }
interface Usage { readonly cluster: string; readonly namespace: string; readonly hard: Record<string, string>; readonly used: Record<string, string> }

/** Records what the reconciler reports. */
class Recorder implements ReconcileSink {
  readonly rows = new Map<string, readonly ObjectStatusRow[]>();
  readonly conditions: Condition[] = [];
  readonly usage: Usage[] = [];
  /** Calls of objects(): each is a write of a cluster's status set in Berth's store. */
  objectCalls = 0;

  async objects(cluster: string, rows: readonly ObjectStatusRow[]): Promise<void> {
    this.objectCalls++;
    this.rows.set(cluster, rows);
  }

  async condition(cluster: string, cond: { ready: boolean; reason: string; message: string }): Promise<void> {
    this.conditions.push({ cluster, ...cond });
  }

  async quotaUsage(cluster: string, namespace: string, hard: Record<string, string>, used: Record<string, string>): Promise<void> {
    this.usage.push({ cluster, namespace, hard, used });
  }

  async swept(): Promise<void> {}

  rowsIn(cluster: string, namespace: string): ObjectStatusRow[] {
    return (this.rows.get(cluster) ?? []).filter((r) => r.namespace === namespace);
  }
}

const plural: Record<string, string> = {
  Namespace: 'namespaces', ResourceQuota: 'resourcequotas', LimitRange: 'limitranges', RoleBinding: 'rolebindings',
  NetworkPolicy: 'networkpolicies', ConfigMap: 'configmaps',
};

function pathOf(o: { readonly apiVersion: string; readonly kind: string; readonly metadata: { readonly name: string; readonly namespace?: string } }): string {
  const root = o.apiVersion === 'v1' ? '/api/v1' : `/apis/${o.apiVersion}`;
  const ns = o.metadata.namespace === undefined ? '' : `/namespaces/${o.metadata.namespace}`;
  return `${root}${ns}/${plural[o.kind]}/${o.metadata.name}`;
}

/** The object as the API server holds it, or undefined when it does not exist. */
async function read(cluster: TestCluster, o: Parameters<typeof pathOf>[0]): Promise<KubeObject | undefined> {
  const res = await cluster.request('GET', pathOf(o));
  if (res.status === 404) return undefined;
  return expectOk(res, `GET ${pathOf(o)}`) as KubeObject;
}

function tenantOf(name: string, clusters: readonly string[], members: Tenant['members'] = [{ kind: 'User', name: 'alice', role: 'tenant-admin' }, { kind: 'Group', name: 'devs', role: 'member' }]): Tenant {
  return {
    name, displayName: name, members, clusters, quota: {}, nodeSelector: { zone: 'a' },
    defaultLimitRange: { container: { max: { cpu: '2', memory: '1Gi' }, defaultRequest: { cpu: '100m' } } },
  };
}

function namespaceOf(name: string, tenant: string, cluster: string, extra: Partial<TenantNamespace> = {}): TenantNamespace {
  return { name, tenant, cluster, quota: { 'requests.cpu': '1500m', 'limits.memory': '2Gi', pods: '10' }, adopted: false, ...extra };
}

/** Waits until every object desired in `namespace` of `cluster` is reported Applied; returns the rows. */
async function applied(world: World, sink: Recorder, cluster: string, namespace: string, timeoutMs = 15_000): Promise<ObjectStatusRow[]> {
  const want = world.rendered(cluster).filter((m) => (m.metadata.namespace ?? m.metadata.name) === namespace).length;
  return eventually(`${cluster}/${namespace} Applied`, async () => {
    const rows = sink.rowsIn(cluster, namespace);
    return rows.length === want && rows.every((r) => r.state === 'Applied') ? rows : undefined;
  }, timeoutMs, 20);
}

/** Resolves after `cluster` completed a pass that started after this call. */
async function nextPass(reconciler: Reconciler, cluster: string): Promise<void> {
  const { passes } = reconciler.stats(cluster);
  // A pass already running when the first notify() came may be the one that ends first; the pass
  // that ends after a second notify() started after the first.
  for (const n of [1, 2]) {
    reconciler.notify(cluster);
    await eventually(`a pass in ${cluster}`, async () => (reconciler.stats(cluster).passes >= passes + n ? true : undefined), 15_000, 20);
  }
}

interface Fixture {
  readonly east: TestCluster;
  readonly west: TestCluster;
  readonly world: World;
  readonly sink: Recorder;
  readonly reconciler: Reconciler;
}

async function assertHoldsRendered(f: Fixture, cluster: TestCluster, name: string, namespace: string): Promise<void> {
  for (const m of f.world.rendered(name).filter((o) => (o.metadata.namespace ?? o.metadata.name) === namespace)) {
    const live = await read(cluster, m);
    assert.ok(live !== undefined, `${m.kind} ${namespace}/${m.metadata.name} exists in ${name}`);
    const { status: _s, metadata, ...fields } = live;
    assert.deepEqual(metadata?.labels, { ...m.metadata.labels, ...(m.kind === 'Namespace' ? { 'kubernetes.io/metadata.name': namespace } : {}) });
    assert.deepEqual(metadata?.annotations, m.metadata.annotations);
    const { metadata: _m, ...want } = m;
    for (const [k, v] of Object.entries(want)) {
      if (k === 'spec' && m.kind === 'Namespace') continue;
      assert.deepEqual(fields[k], v, `${m.kind} ${namespace}/${m.metadata.name}: ${k}`);
    }
    assert.ok((metadata?.managedFields as { manager?: string; operation?: string }[] | undefined)?.some((e) => e.manager === 'berth' && e.operation === 'Apply'), 'applied by field manager berth');
  }
  // Nothing else of Berth's labelled for this namespace's tenant.
  const res = expectOk(await cluster.request('GET', `/api/v1/namespaces/${namespace}/resourcequotas?labelSelector=app.kubernetes.io/managed-by=berth`), 'list') as { items: unknown[] };
  assert.equal(res.items.length, 1);
}

test('the reconciler keeps two real clusters holding what renderTenant wants', withClusters(2, async ([east, west], t) => {
  const clients = new Map([east, west].map((c, i) => [i === 0 ? 'east' : 'west', new ClusterClient({ name: i === 0 ? 'east' : 'west', kubeconfig: kubeconfigFor(c, adminUser(c)) })]));
  const world = new World(clients);
  const sink = new Recorder();
  const reconciler = new Reconciler({ source: world, sink, logger, backoff: { initialMs: 100, maxMs: 1000 }, debounceMs: 20 });
  const stop = new AbortController();
  const running = reconciler.run(stop.signal);
  const f: Fixture = { east, west, world, sink, reconciler };
  try {
    await scenarios(f, t);
  } finally {
    stop.abort();
    await running;
    for (const c of clients.values()) c.close();
  }
}));

async function scenarios(f: Fixture, t: TestContext): Promise<void> {
  const tenant = uniqueName('team');
  const web = uniqueName('web');
  const api = uniqueName('api');
  f.world.tenants.set(tenant, tenantOf(tenant, ['east', 'west']));
  f.world.namespaces.push(namespaceOf(web, tenant, 'east'), namespaceOf(api, tenant, 'west'));
  f.reconciler.notify();

  await t.test('applies exactly the rendered objects in both clusters', async () => {
    await applied(f.world, f.sink, 'east', web);
    await applied(f.world, f.sink, 'west', api);
    await assertHoldsRendered(f, f.east, 'east', web);
    await assertHoldsRendered(f, f.west, 'west', api);
    assert.deepEqual(f.sink.conditions.filter((c) => c.cluster === 'east').map((c) => c.ready), [true]);
  });

  await t.test('a second pass writes nothing, neither to the clusters nor to the status sink', async () => {
    // The quota controller writes the quota's status once; only Berth's writes count here.
    await waitForQuotaUsed(f.east, web, 'berth-quota');
    const before = f.reconciler.stats();
    const statusWrites = f.sink.objectCalls;
    const versions = await Promise.all(f.world.rendered('east').map(async (m) => (await read(f.east, m))?.metadata?.resourceVersion));
    await nextPass(f.reconciler, 'east');
    await nextPass(f.reconciler, 'west');
    const after = f.reconciler.stats();
    assert.equal(after.applies, before.applies);
    assert.equal(after.prunes, before.prunes);
    assert.equal(f.sink.objectCalls, statusWrites);
    assert.deepEqual(await Promise.all(f.world.rendered('east').map(async (m) => (await read(f.east, m))?.metadata?.resourceVersion)), versions);
  });

  await t.test('a managed ResourceQuota deleted or edited through the API is restored within 10 s', async () => {
    const quota = { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'berth-quota', namespace: web } };
    const want = f.world.rendered('east').find((m) => m.kind === 'ResourceQuota' && m.metadata.namespace === web)?.spec;
    let began = Date.now();
    expectOk(await f.east.request('DELETE', pathOf(quota)), 'delete quota');
    await eventually('quota recreated', async () => ((await read(f.east, quota))?.metadata?.uid === undefined ? undefined : true), 10_000, 20);
    t.diagnostic(`deleted ResourceQuota restored in ${Date.now() - began} ms`);
    began = Date.now();
    expectOk(await f.east.request('PATCH', pathOf(quota), { spec: { hard: { pods: '1', 'requests.cpu': '99' } } }, 'application/merge-patch+json'), 'edit quota');
    await eventually('quota restored', async () => {
      const live = await read(f.east, quota);
      return JSON.stringify(live?.spec) === JSON.stringify(want) ? true : undefined;
    }, 10_000, 20);
    t.diagnostic(`edited ResourceQuota restored in ${Date.now() - began} ms`);
    assert.deepEqual((await read(f.east, quota))?.spec, want);
  });

  await t.test('never touches an object with Berth\'s label that Berth did not apply, nor an unlabelled one', async () => {
    const labels = { 'app.kubernetes.io/managed-by': 'berth', 'berth.io/tenant': tenant };
    const impostor = { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'copied-label', namespace: web, labels }, spec: { hard: { pods: '5' } } };
    const plain = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'someone-elses', namespace: web }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' }, subjects: [{ kind: 'User', name: 'eve', apiGroup: 'rbac.authorization.k8s.io' }] };
    const lookalike = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: uniqueName('lookalike'), labels } };
    for (const o of [impostor, plain, lookalike]) {
      expectOk(await f.east.request('POST', pathOf({ ...o, metadata: { ...o.metadata, name: '' } }).replace(/\/$/, ''), o), `create ${o.kind}`);
    }
    const versions = await Promise.all([impostor, plain, lookalike].map(async (o) => (await read(f.east, o))?.metadata?.resourceVersion));
    const before = f.reconciler.stats('east');
    await nextPass(f.reconciler, 'east');
    await nextPass(f.reconciler, 'east');
    assert.deepEqual(await Promise.all([impostor, plain, lookalike].map(async (o) => (await read(f.east, o))?.metadata?.resourceVersion)), versions);
    assert.equal(f.reconciler.stats('east').prunes, before.prunes);
    assert.equal(f.reconciler.stats('east').applies, before.applies);
  });

  await t.test('what is no longer desired is pruned: a RoleBinding of a role left empty, a namespace removed', async () => {
    const extra = uniqueName('gone');
    f.world.namespaces.push(namespaceOf(extra, tenant, 'east'));
    f.reconciler.notify('east');
    await applied(f.world, f.sink, 'east', extra);
    const prunesBefore = f.reconciler.stats('east').prunes;
    f.world.tenants.set(tenant, tenantOf(tenant, ['east', 'west'], [{ kind: 'User', name: 'alice', role: 'tenant-admin' }]));
    f.world.namespaces = f.world.namespaces.filter((n) => n.name !== extra);
    f.reconciler.notify('east');
    const member = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'berth-member', namespace: web } };
    await eventually('berth-member deleted', async () => ((await read(f.east, member)) === undefined ? true : undefined), 10_000, 20);
    await eventually(`namespace ${extra} deleted`, async () => {
      const ns = await read(f.east, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: extra } });
      return ns === undefined || ns.metadata?.deletionTimestamp !== undefined ? true : undefined;
    }, 10_000, 20);
    await applied(f.world, f.sink, 'east', web);
    assert.deepEqual(f.sink.rowsIn('east', extra), []);
    await nextPass(f.reconciler, 'east');
    assert.equal(f.reconciler.stats('east').prunes - prunesBefore, 2, 'the RoleBinding and the Namespace; what the Namespace holds goes with it');
    assert.ok(await read(f.east, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'berth-tenant-admin', namespace: web } }));
  });

  await t.test('a namespace that exists without Berth is reported Failed and left alone; adopted, it is managed; dropped, it is given back', async () => {
    const legacy = uniqueName('legacy');
    expectOk(await f.east.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: legacy, labels: { owner: 'ops' } } }), 'create legacy');
    const nsRef = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: legacy } };
    const before = await read(f.east, nsRef);
    f.world.namespaces.push(namespaceOf(legacy, tenant, 'east'));
    f.reconciler.notify('east');
    const rows = await eventually('legacy reported', async () => {
      const r = f.sink.rowsIn('east', legacy);
      return r.length > 0 ? r : undefined;
    }, 10_000, 20);
    assert.ok(rows.every((r) => r.state === 'Failed'), JSON.stringify(rows));
    assert.match(rows.find((r) => r.kind === 'Namespace')?.message ?? '', /exists in the cluster and is not managed by Berth/);
    await nextPass(f.reconciler, 'east');
    assert.equal((await read(f.east, nsRef))?.metadata?.resourceVersion, before?.metadata?.resourceVersion);
    assert.equal(await read(f.east, { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'berth-quota', namespace: legacy } }), undefined);

    f.world.namespaces = f.world.namespaces.map((n) => (n.name === legacy ? { ...n, adopted: true } : n));
    f.reconciler.notify('east');
    await applied(f.world, f.sink, 'east', legacy);
    assert.equal((await read(f.east, nsRef))?.metadata?.labels?.owner, 'ops');

    f.world.namespaces = f.world.namespaces.filter((n) => n.name !== legacy);
    f.reconciler.notify('east');
    const given = await eventually('legacy given back', async () => {
      const ns = await read(f.east, nsRef);
      return ns?.metadata?.labels?.['app.kubernetes.io/managed-by'] === undefined ? ns : undefined;
    }, 10_000, 20);
    assert.equal(given.metadata?.deletionTimestamp, undefined);
    assert.deepEqual(given.metadata?.labels, { owner: 'ops', 'kubernetes.io/metadata.name': legacy });
    assert.equal(given.metadata?.annotations, undefined);
    await eventually('legacy quota pruned', async () =>
      ((await read(f.east, { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'berth-quota', namespace: legacy } })) === undefined ? true : undefined), 10_000, 20);
  });

  await t.test('quota usage reaches the sink from the ResourceQuota status', async () => {
    const counted = uniqueName('counted');
    f.world.namespaces.push(namespaceOf(counted, tenant, 'west', { quota: { 'count/configmaps': '5', pods: '4' } }));
    f.reconciler.notify('west');
    await applied(f.world, f.sink, 'west', counted);
    expectOk(await f.west.request('POST', `/api/v1/namespaces/${counted}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'one' }, data: {} }), 'configmap');
    // Other ConfigMaps may appear (the root CA publisher's): the reported count must reach what the namespace holds.
    const seen = await eventually('usage counting the ConfigMaps', async () => {
      const list = expectOk(await f.west.request('GET', `/api/v1/namespaces/${counted}/configmaps`), 'list') as { items: unknown[] };
      const last = f.sink.usage.findLast((u) => u.cluster === 'west' && u.namespace === counted);
      return last !== undefined && last.used['count/configmaps'] === String(list.items.length) ? last : undefined;
    }, 60_000, 50); // the quota controller's recount, not Berth, takes the time: under load it has taken over 15 s
    assert.deepEqual(seen.hard, { 'count/configmaps': '5', pods: '4' });
    const live = await read(f.west, { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'berth-quota', namespace: counted } });
    assert.deepEqual((live?.status as { used?: unknown } | undefined)?.used, seen.used);
  });

  await t.test('a cluster leaving the source stops its worker; coming back starts one that catches up', async () => {
    f.world.present.delete('west');
    f.reconciler.notify();
    await eventually('west worker stopped', async () => (f.reconciler.stats('west').passes === 0 ? true : undefined), 10_000, 20);
    const meanwhile = uniqueName('meanwhile');
    f.world.namespaces.push(namespaceOf(meanwhile, tenant, 'west'));
    f.reconciler.notify('west');
    await nextPass(f.reconciler, 'east');
    assert.equal(await read(f.west, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: meanwhile } }), undefined);
    f.world.present.add('west');
    f.reconciler.notify();
    await applied(f.world, f.sink, 'west', meanwhile);
    await assertHoldsRendered(f, f.west, 'west', meanwhile);
  });

  await t.test('a cluster whose API server stops is reported not ready, then caught up once it is back, each missing object applied once', async () => {
    const later = uniqueName('later');
    const alsoEast = uniqueName('east-too');
    const before = f.reconciler.stats('west');
    const start = await f.west.stopApiserver();
    let restarted = false;
    try {
      await eventually('west not ready', async () => (f.sink.conditions.filter((c) => c.cluster === 'west').at(-1)?.ready === false ? true : undefined), 15_000, 20);
      const down = f.sink.conditions.filter((c) => c.cluster === 'west').at(-1);
      assert.equal(down?.reason, 'ServiceUnavailable');
      assert.match(down?.message ?? '', /cluster west: .*unreachable/);
      f.world.namespaces.push(namespaceOf(later, tenant, 'west'), namespaceOf(alsoEast, tenant, 'east'));
      f.reconciler.notify();
      await applied(f.world, f.sink, 'east', alsoEast);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      assert.equal(f.reconciler.stats('west').applies, before.applies);
      await start();
      restarted = true;
    } finally {
      if (!restarted) await start();
    }
    await applied(f.world, f.sink, 'west', later, 30_000);
    assert.deepEqual(f.sink.conditions.filter((c) => c.cluster === 'west').map((c) => c.ready).slice(-2), [false, true]);
    await assertHoldsRendered(f, f.west, 'west', later);
    await nextPass(f.reconciler, 'west');
    const objects = f.world.rendered('west').filter((m) => (m.metadata.namespace ?? m.metadata.name) === later).length;
    assert.equal(f.reconciler.stats('west').applies - before.applies, objects, 'each missing object applied exactly once');
  });
}
