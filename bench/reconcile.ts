// The tenancy reconciler, from empty to converged and then at rest, on a real test control plane.
//
// Berth: the real Reconciler (src/tenancy/controller.ts) over a source of T tenants × 3 namespaces,
// each namespace rendered by renderTenant into a Namespace, a ResourceQuota, a LimitRange, three
// RoleBindings (one per tenant role) and the isolation NetworkPolicy: 7 objects. Converged means
// every object's status row says Applied. Then the steady state: a forced pass over everything
// must write nothing (applies and prunes counted by the reconciler, and the API server's
// resourceVersions of a sample unchanged).
//
// Peer, in the same run, on a second cluster started the same way: a minimal loop that
// server-side-applies the same objects with @kubernetes/client-node (KubernetesObjectApi.patch with
// the apply patch type) at the same concurrency: first every Namespace, then everything else.
// Both run with the client-side rate limit lifted, so the API server and the clients are what is
// measured; with Berth's default (50 requests/s a cluster) the reconciler would take T×21/50 s.
//
// Run: node bench/reconcile.ts [tenants=200] [concurrency=16]
import { KubeConfig, KubernetesObjectApi, PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import { pino } from 'pino';
import { startClusters, type Cluster as TestCluster } from '../test/clusters/index.ts';
import { adminUser, kubeconfigFor } from '../test/kube/support.ts';
import { ClusterClient } from '../src/kube/index.ts';
import { Reconciler, renderTenant } from '../src/tenancy/index.ts';
import type { Cluster, DesiredState, Manifest, ObjectStatusRow, ReconcileSink, ReconcileSource, Tenant, TenantNamespace } from '../src/tenancy/index.ts';

const tenantCount = Number(process.argv[2] ?? 200);
const concurrency = Number(process.argv[3] ?? 16);
const lifted = { qps: 100_000, burst: 100_000 };

function world(prefix: string): { tenants: Tenant[]; namespaces: TenantNamespace[] } {
  const tenants: Tenant[] = [];
  const namespaces: TenantNamespace[] = [];
  for (let i = 0; i < tenantCount; i++) {
    const name = `${prefix}-t${i}`;
    tenants.push({
      name, displayName: name, clusters: ['bench'], nodeSelector: {},
      members: [
        { kind: 'User', name: `${name}-admin`, role: 'tenant-admin' },
        { kind: 'Group', name: `${name}-devs`, role: 'member' },
        { kind: 'User', name: `${name}-audit`, role: 'viewer' },
      ],
      quota: { 'requests.cpu': '12', 'requests.memory': '24Gi', pods: '60' },
      defaultLimitRange: { container: { max: { cpu: '2', memory: '4Gi' }, defaultRequest: { cpu: '100m', memory: '128Mi' } } },
    });
    for (let j = 0; j < 3; j++) {
      namespaces.push({ name: `${name}-n${j}`, tenant: name, cluster: 'bench', adopted: false, quota: { 'requests.cpu': '4', 'requests.memory': '8Gi', pods: '20' } });
    }
  }
  return { tenants, namespaces };
}

function manifestsOf(w: ReturnType<typeof world>): Manifest[] {
  const registered: Cluster[] = [{ name: 'bench', labels: {}, settings: {} }];
  return w.tenants.flatMap((t) => renderTenant(t, w.namespaces.filter((n) => n.tenant === t.name), registered).get('bench') ?? []);
}

class Rows implements ReconcileSink {
  applied = 0;
  failed: ObjectStatusRow[] = [];
  async objects(_cluster: string, rows: readonly ObjectStatusRow[]): Promise<void> {
    this.applied = rows.filter((r) => r.state === 'Applied').length;
    this.failed = rows.filter((r) => r.state === 'Failed');
  }
  async condition(): Promise<void> {}
  async quotaUsage(): Promise<void> {}
  async swept(): Promise<void> {}
}

async function waitFor(what: string, ok: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function runBerth(cluster: TestCluster, manifests: readonly Manifest[]): Promise<{ seconds: number; steadyApplies: number; steadyPrunes: number; rssMiB: number }> {
  const client = new ClusterClient({ name: 'bench', kubeconfig: kubeconfigFor(cluster, adminUser(cluster)), rateLimit: lifted, maxSockets: concurrency * 2 });
  const source: ReconcileSource = {
    clusters: async () => ['bench'],
    client: async () => client,
    desired: async (): Promise<DesiredState> => ({ manifests, adopted: new Set() }),
    removals: async () => [],
    removedClient: async () => undefined,
  };
  const sink = new Rows();
  const reconciler = new Reconciler({ source, sink, logger: pino({ level: 'silent' }), concurrency });
  const stop = new AbortController();
  const rssBefore = process.memoryUsage().rss;
  const started = performance.now();
  const running = reconciler.run(stop.signal);
  try {
    await waitFor('every object Applied', () => sink.applied === manifests.length || sink.failed.length > 0, 600_000);
    if (sink.failed.length > 0) throw new Error(`failed: ${JSON.stringify(sink.failed.slice(0, 3))}`);
    const seconds = (performance.now() - started) / 1000;
    await new Promise((r) => setTimeout(r, 2_000));
    const before = reconciler.stats();
    reconciler.notify();
    await waitFor('a forced pass', () => reconciler.stats().passes > before.passes, 120_000);
    const after = reconciler.stats();
    const rssMiB = Math.round(Math.max(process.memoryUsage().rss - rssBefore, 0) / 2 ** 20);
    return { seconds, steadyApplies: after.applies - before.applies, steadyPrunes: after.prunes - before.prunes, rssMiB };
  } finally {
    stop.abort();
    await running;
  }
}

async function runPeer(cluster: TestCluster, manifests: readonly Manifest[]): Promise<number> {
  const kc = new KubeConfig();
  kc.loadFromString(kubeconfigFor(cluster, adminUser(cluster)));
  const api = KubernetesObjectApi.makeApiClient(kc);
  const apply = (m: Manifest) => api.patch(m as unknown as KubernetesObject, undefined, undefined, 'peer', true, PatchStrategy.ServerSideApply);
  const pool = async (items: readonly Manifest[]) => {
    let next = 0;
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < items.length) await apply(items[next++]);
    }));
  };
  const started = performance.now();
  await pool(manifests.filter((m) => m.kind === 'Namespace'));
  await pool(manifests.filter((m) => m.kind !== 'Namespace'));
  return (performance.now() - started) / 1000;
}

const clusters = await startClusters(2);
try {
  const berthObjects = manifestsOf(world('b'));
  const peerObjects = manifestsOf(world('p'));
  // A cold API server answers its first requests slowly (caches, connections): warm both alike.
  await Promise.all(clusters.map(async (c, i) => {
    const warm = new ClusterClient({ name: `warm-${i}`, kubeconfig: kubeconfigFor(c, adminUser(c)), rateLimit: lifted });
    for (let k = 0; k < 20; k++) await warm.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `warm-${k}`, namespace: 'default' }, data: { k: String(k) } });
  }));
  console.log(`${tenantCount} tenants × 3 namespaces = ${berthObjects.length} objects; concurrency ${concurrency}; rate limit lifted on both`);
  const peerSeconds = await runPeer(clusters[1], peerObjects);
  const berth = await runBerth(clusters[0], berthObjects);
  const berthRate = berthObjects.length / berth.seconds;
  const peerRate = peerObjects.length / peerSeconds;
  console.log(`berth reconciler     ${berth.seconds.toFixed(1)} s  ${berthRate.toFixed(0)} objects/s (from empty, every object Applied)`);
  console.log(`peer client-node SSA ${peerSeconds.toFixed(1)} s  ${peerRate.toFixed(0)} objects/s`);
  console.log(`ratio berth/peer     ${(berthRate / peerRate).toFixed(2)} (goal ≥ 0.80)`);
  console.log(`steady state         ${berth.steadyApplies} applies, ${berth.steadyPrunes} prunes in a forced pass over all ${berthObjects.length} objects (goal 0)`);
  console.log(`memory               +${berth.rssMiB} MiB RSS in the bench process while reconciling (clusters are separate processes)`);
} finally {
  await Promise.all(clusters.map((c) => c.stop()));
}
