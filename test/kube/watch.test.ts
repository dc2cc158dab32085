// watchKind against a real control plane: list then watch, reconnects, bookmarks, and a real
// 410 Gone. ConfigMaps bypass kube-apiserver's watch cache in this cluster (watch cache size 0),
// so a watch resumes straight from etcd, and compacting etcd's history makes the informer's
// resume point too old exactly as a long outage would.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createNamespace, eventually, expectOk, startCluster, uniqueName } from '../clusters/index.ts';
import type { Cluster } from '../clusters/index.ts';
import { startTcpProxy } from '../support/tcp-proxy.ts';
import { ClusterClient, watchKind } from '../../src/kube/index.ts';
import type { InformerEvent, KubeObject } from '../../src/kube/index.ts';
import { adminUser, kubeconfigFor } from './support.ts';

const ConfigMap = { apiVersion: 'v1', kind: 'ConfigMap' } as const;

let cluster: Cluster;
let client: ClusterClient;

before(async () => {
  cluster = await startCluster({ name: 'kube-watch', apiserverArgs: ['--watch-cache-sizes=configmaps#0'] });
  client = new ClusterClient({ name: 'w1', kubeconfig: kubeconfigFor(cluster, adminUser(cluster)) });
});

after(async () => {
  client?.close();
  await cluster?.stop();
});

function configMap(ns: string, name: string, data: Record<string, string> = {}, labels: Record<string, string> = { watched: 'yes' }): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns, labels }, data };
}

/** Events in a compact form: `added:a`, `updated:a`, `deleted:a`, `resync(initial):a,b`. */
function describe(e: InformerEvent): string {
  if (e.type === 'resync') return `resync(${e.reason}):${e.objects.map((o) => o.metadata?.name).sort().join(',')}`;
  return `${e.type}:${e.object.metadata?.name}`;
}

test('watchKind lists, then delivers added, updated and deleted, keeps the store, and resumes after the server closes the watch', async () => {
  const ns = await createNamespace(cluster, { prefix: 'watch' });
  await client.apply(configMap(ns, 'a', { v: '1' }));
  await client.apply(configMap(ns, 'ignored', {}, { watched: 'no' }));
  const events: InformerEvent[] = [];
  const informer = watchKind(client, ConfigMap, { namespace: ns, labelSelector: 'watched=yes', watchTimeoutSeconds: 1 }, (e) => {
    events.push(e);
  });
  try {
    await informer.synced;
    assert.deepEqual(events.map(describe), ['resync(initial):a']);
    await client.apply(configMap(ns, 'b', { v: '1' }));
    await client.apply(configMap(ns, 'a', { v: '2' }));
    await client.delete(ConfigMap, 'b', ns);
    await eventually('three events', async () => (events.length >= 4 ? true : undefined), 10_000, 20);
    assert.deepEqual(events.map(describe), ['resync(initial):a', 'added:b', 'updated:a', 'deleted:b']);
    const updated = events[2] as Extract<InformerEvent, { type: 'updated' }>;
    assert.deepEqual([updated.old.data, updated.object.data], [{ v: '1' }, { v: '2' }]);
    assert.deepEqual(informer.store.list().map((o) => o.metadata?.name), ['a']);
    assert.deepEqual(informer.store.get('a', ns)?.data, { v: '2' });
    assert.equal(informer.store.get('ignored', ns), undefined);

    // The server closes each watch after a second; the informer resumes from the last resourceVersion,
    // so the next change arrives once, with no relist and no repeated events.
    await eventually('two reconnections', async () => (informer.stats.watches >= 3 ? true : undefined), 10_000, 50);
    await client.apply(configMap(ns, 'c'));
    await eventually('added:c', async () => (events.some((e) => describe(e) === 'added:c') ? true : undefined), 10_000, 20);
    assert.deepEqual(events.map(describe), ['resync(initial):a', 'added:b', 'updated:a', 'deleted:b', 'added:c']);
    assert.equal(informer.stats.lists, 1);
    assert.equal(informer.stats.errors, 0);
  } finally {
    await informer.stop();
  }
  const count = events.length;
  await client.apply(configMap(ns, 'd'));
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(events.length, count, 'nothing is delivered after stop()');
});

test('a resourceVersion compacted away (410 Gone) makes the informer list again and deliver a full resync', async () => {
  const ns = await createNamespace(cluster, { prefix: 'gone' });
  const other = await createNamespace(cluster, { prefix: 'gone-other' });
  await client.apply(configMap(ns, 'a'));
  const events: InformerEvent[] = [];
  const informer = watchKind(client, ConfigMap, { namespace: ns, labelSelector: 'watched=yes', watchTimeoutSeconds: 1 }, (e) => {
    events.push(e);
  });
  try {
    await informer.synced;
    // Writes elsewhere move etcd's revision past the informer's resume point, which nothing in
    // its namespace advances; then etcd forgets every revision before the newest.
    for (let i = 0; i < 3; i++) await client.apply(configMap(other, `filler-${i}`));
    const { resourceVersion } = await client.list(ConfigMap, { namespace: other });
    const res = await fetch(`http://127.0.0.1:${cluster.ports.etcdClient}/v3/kv/compaction`, {
      method: 'POST', body: JSON.stringify({ revision: resourceVersion, physical: true }),
    });
    assert.equal(res.status, 200, await res.text());
    await eventually('a relist', async () => (events.some((e) => e.type === 'resync' && e.reason === 'relist') ? true : undefined), 15_000, 50);
    assert.ok(informer.stats.gone >= 1);
    assert.equal(informer.stats.lists, 2);
    assert.equal(informer.stats.errors, 0, 'a 410 is not a failure');
    assert.deepEqual(events.map(describe), ['resync(initial):a', 'resync(relist):a']);
    // Watching goes on from the new list.
    await client.apply(configMap(ns, 'b'));
    await eventually('added:b', async () => (events.some((e) => describe(e) === 'added:b') ? true : undefined), 10_000, 20);
  } finally {
    await informer.stop();
  }
});

test('an outage is retried with backoff, and the changes made meanwhile arrive when the cluster is back', async () => {
  const ns = await createNamespace(cluster, { prefix: 'outage' });
  await client.apply(configMap(ns, 'a'));
  await client.apply(configMap(ns, 'b'));
  const proxy = await startTcpProxy({ host: '127.0.0.1', port: cluster.ports.apiserver });
  const viaProxy = new ClusterClient({
    name: 'w1-proxied', timeoutMs: 2000, kubeconfig: kubeconfigFor({ server: `https://127.0.0.1:${proxy.port}`, pki: cluster.pki }, adminUser(cluster)),
  });
  const errors: unknown[] = [];
  const events: InformerEvent[] = [];
  const informer = watchKind(viaProxy, ConfigMap, { namespace: ns, labelSelector: 'watched=yes', backoff: { initialMs: 50, maxMs: 200 }, onError: (err) => errors.push(err) }, (e) => {
    events.push(e);
  });
  try {
    await informer.synced;
    proxy.cut();
    await eventually('failures seen', async () => (informer.stats.errors >= 3 ? true : undefined), 10_000, 20);
    assert.equal((errors[0] as { reason?: string }).reason, 'ServiceUnavailable');
    assert.equal((informer.lastError as { reason?: string }).reason, 'ServiceUnavailable');
    // Changes the informer cannot see while cut off.
    await client.delete(ConfigMap, 'a', ns);
    await client.apply(configMap(ns, 'c'));
    proxy.restore();
    await eventually('caught up', async () => (informer.store.size === 2 && informer.store.get('c', ns) !== undefined ? true : undefined), 15_000, 20);
    assert.deepEqual(events.map(describe), ['resync(initial):a,b', 'deleted:a', 'added:c']);
    assert.equal(informer.lastError, undefined);
  } finally {
    await informer.stop();
    viaProxy.close();
    await proxy.close();
  }
});

test('bookmarks advance the resume point; a periodic resync comes from the cache without a request', async () => {
  const label = uniqueName('bm');
  // Namespaces go through the watch cache, which sends a bookmark ahead of the watch's timeout.
  expectOk(await cluster.request('POST', '/api/v1/namespaces', { metadata: { name: label, labels: { bm: label } } }), 'create ns');
  const events: InformerEvent[] = [];
  const informer = watchKind(client, { apiVersion: 'v1', kind: 'Namespace' }, {
    labelSelector: `bm=${label}`, watchTimeoutSeconds: 3, resyncIntervalMs: 150,
  }, (e) => {
    events.push(e);
  });
  try {
    await informer.synced;
    const listed = Number(informer.resourceVersion);
    const periodic = (): number => events.filter((e) => e.type === 'resync' && e.reason === 'periodic').length;
    // By the first periodic resync the watch is open; count requests from there.
    await eventually('a periodic resync', async () => (periodic() >= 1 ? true : undefined), 5_000, 20);
    const sent = client.requestCount;
    await eventually('periodic resyncs', async () => (periodic() >= 4 ? true : undefined), 5_000, 20);
    assert.equal(client.requestCount, sent, 'periodic resyncs send nothing');
    for (const e of events.filter((x) => x.type === 'resync')) {
      assert.deepEqual((e as Extract<InformerEvent, { type: 'resync' }>).objects.map((o) => o.metadata?.name), [label]);
    }
    // A bookmark carries progress the watcher has not seen: namespaces its selector filters out.
    await createNamespace(cluster, { prefix: 'bm-other' });
    await eventually('a bookmark', async () => (informer.stats.bookmarks >= 1 ? true : undefined), 10_000, 50);
    assert.ok(!events.some((e) => e.type !== 'resync'), 'a bookmark is not an event for the handler');
    // resourceVersions are opaque to clients; on etcd they are its revisions, so they order.
    assert.ok(Number(informer.resourceVersion) > listed, `resumes from ${informer.resourceVersion}, past the list's ${listed}`);
  } finally {
    await informer.stop();
  }
});

test('a transform shapes every object before it is cached or delivered, listed or watched', async () => {
  const ns = await createNamespace(cluster, { prefix: 'watch' });
  expectOk(await cluster.request('POST', `/api/v1/namespaces/${ns}/configmaps`, configMap(ns, 'before', { k: 'v' })), 'create before');
  const seen: KubeObject[] = [];
  const informer = watchKind(client, ConfigMap, {
    namespace: ns, labelSelector: 'watched=yes',
    transform: (o) => ({ ...o, metadata: { ...o.metadata, managedFields: undefined, labels: { shaped: 'yes' } } }),
  }, (e) => {
    if (e.type === 'resync') seen.push(...e.objects);
    else seen.push(e.object);
  });
  try {
    await informer.synced;
    expectOk(await cluster.request('POST', `/api/v1/namespaces/${ns}/configmaps`, configMap(ns, 'after', { k: 'v' })), 'create after');
    await eventually('the watched ConfigMap', async () => (informer.store.get('after', ns) !== undefined ? true : undefined));
    for (const o of [...seen, ...informer.store.list()]) {
      assert.equal(o.metadata?.managedFields, undefined, `${o.metadata?.name} keeps no managedFields`);
      assert.deepEqual(o.metadata?.labels, { shaped: 'yes' });
      assert.ok(o.metadata?.resourceVersion, 'the resourceVersion stays');
    }
    assert.deepEqual(seen.map((o) => o.metadata?.name).sort(), ['after', 'before']);
  } finally {
    await informer.stop();
  }
});
