// The tenant-wide quota's engine against two real control planes and both database backends:
// the watchers (TenantUsage) over the clusters' pods, services and claims, the reservations in
// Berth's database, and TenantQuotaAdmission.admit() as the admission webhook will call it. The
// requests are what a validating webhook is shown; the objects admitted are then created for
// real (they stay Pending: the clusters have no nodes). The admit() calls carry no uid, so a
// reservation is matched to its object by name, as for a request whose uid is not known.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Kysely } from 'kysely';
import { EvaluatorRegistry } from '../../src/compute/index.ts';
import { ClusterClient } from '../../src/kube/index.ts';
import { decodeResourceList, encodeResourceList } from '../../src/objects/index.ts';
import { openDatabase, type Database } from '../../src/platform/db/database.ts';
import { migrate } from '../../src/platform/db/migrations.ts';
import { listReservations, quotaReservationMigrations, TenantQuotaAdmission, TenantUsage } from '../../src/tenancy/index.ts';
import type { TenantQuotaAnswer, TenantQuotaReview } from '../../src/tenancy/index.ts';
import { createNamespace, eventually, expectOk, startClusters, uniqueName } from '../clusters/index.ts';
import type { Cluster } from '../clusters/index.ts';
import { adminUser, kubeconfigFor } from '../kube/support.ts';
import { backends, databaseFor, type Backend } from '../support/pg.ts';

const CLUSTERS = ['east', 'west'] as const;
let clusters: readonly Cluster[] = [];

before(async () => {
  clusters = await startClusters(2);
});

after(async () => {
  await Promise.all(clusters.map((c) => c.stop()));
});

const pod = (name: string): Record<string, unknown> => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name },
  spec: { containers: [{ name: 'app', image: 'registry.invalid/app:1', resources: { requests: { cpu: '100m' } } }] },
});

/** One tenant's world: a namespace in each cluster, one of no tenant, the watchers and the engine on `backend`. */
interface World {
  readonly tenant: string;
  /** The tenant's namespace in each cluster, by cluster name. */
  readonly namespaces: Record<string, string>;
  readonly untenanted: string;
  readonly db: Database;
  readonly usage: TenantUsage;
  readonly admission: TenantQuotaAdmission;
  /** Milliseconds added to the engine's clock. */
  skew: number;
  /** Another replica's engine on the same database, with its own watchers (already synced and started). */
  replica(): Promise<Engine>;
  close(): Promise<void>;
}

/** One replica's watchers and decision engine. */
interface Engine {
  readonly usage: TenantUsage;
  readonly admission: TenantQuotaAdmission;
  stop(): Promise<void>;
}

async function world(backend: Backend, quota: Record<string, string>): Promise<World> {
  const tenant = uniqueName(`t-${backend.slice(0, 2)}`);
  const namespaces: Record<string, string> = {};
  for (const [i, c] of clusters.entries()) namespaces[CLUSTERS[i]] = await createNamespace(c, { prefix: tenant });
  const untenanted = await createNamespace(clusters[0], { prefix: 'plain' });
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-tq-'));
  const target = await databaseFor(backend);
  const db = openDatabase({ url: target.url, dataDir });
  await migrate(db.kysely as unknown as Kysely<unknown>, db.dialect, quotaReservationMigrations);
  const tenantOf = (cluster: string, ns: string): string | undefined => (namespaces[cluster] === ns ? tenant : undefined);
  const namespacesOf = (t: string) => (t === tenant ? Object.entries(namespaces).map(([cluster, namespace]) => ({ cluster, namespace })) : []);
  const engine = async (): Promise<Engine> => {
    const registry = new EvaluatorRegistry();
    const usage = new TenantUsage({ registry, tenantOf, namespacesOf });
    for (const [i, c] of clusters.entries()) {
      await usage.addCluster(CLUSTERS[i], new ClusterClient({ name: CLUSTERS[i], kubeconfig: kubeconfigFor(c, adminUser(c)) }));
    }
    await usage.synced();
    const admission = new TenantQuotaAdmission({ db, registry, usage, tenantOf, quotaOf: (t) => (t === tenant ? quota : undefined), now: () => new Date(Date.now() + w.skew) });
    admission.start();
    return { usage, admission, stop: async () => { await admission.stop(); await usage.stop(); } };
  };
  const first = await engine();
  const replicas: Engine[] = [first];
  const w: World = {
    tenant, namespaces, untenanted, db, usage: first.usage, admission: first.admission, skew: 0,
    async replica() {
      const e = await engine();
      replicas.push(e);
      return e;
    },
    async close() {
      for (const e of replicas) await e.stop();
      await db.close();
      await target.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return w;
}

const review = (cluster: string, namespace: string, name: string, dryRun = false): TenantQuotaReview =>
  ({ cluster, namespace, operation: 'CREATE', object: pod(name), dryRun });

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

/** Admits `reviews` all at once, each by the engine of `by` for its cluster (default `w`'s); returns the answers in order and the latencies in ms. */
async function admitAll(
  w: World, reviews: readonly TenantQuotaReview[], by: Readonly<Record<string, TenantQuotaAdmission>> = {},
): Promise<{ answers: TenantQuotaAnswer[]; ms: number[] }> {
  const ms: number[] = [];
  const answers = await Promise.all(reviews.map(async (r) => {
    const t0 = performance.now();
    const a = await (by[r.cluster] ?? w.admission).admit(r);
    ms.push(performance.now() - t0);
    return a;
  }));
  return { answers, ms: ms.sort((a, b) => a - b) };
}

async function createPods(w: World, names: readonly { cluster: string; name: string }[]): Promise<void> {
  await Promise.all(names.map(async ({ cluster, name }) => {
    const c = clusters[CLUSTERS.indexOf(cluster as typeof CLUSTERS[number])];
    const ns = w.namespaces[cluster];
    expectOk(await c.request('POST', `/api/v1/namespaces/${ns}/pods`, pod(name)), `create pod ${ns}/${name}`);
  }));
}

async function deletePods(w: World, names: readonly { cluster: string; name: string }[]): Promise<void> {
  for (const { cluster, name } of names) {
    const c = clusters[CLUSTERS.indexOf(cluster as typeof CLUSTERS[number])];
    expectOk(await c.request('DELETE', `/api/v1/namespaces/${w.namespaces[cluster]}/pods/${name}`), `delete pod ${name}`);
  }
}

const watchedPods = (w: World): string | undefined => encodeResourceList(w.usage.usage(w.tenant, decodeResourceList({ pods: '1' }, 'hard') ?? {})).pods;

for (const backend of backends) {
  test(`${backend}: 200 concurrent pod creates over two clusters and two replicas admit exactly the tenant quota of 10`, async (t) => {
    const w = await world(backend, { pods: '10', [`requests.cpu`]: '100' });
    try {
      // Each cluster's webhook calls reach a different replica, with its own watchers.
      const byCluster = { east: w.admission, west: (await w.replica()).admission };
      const reviews = Array.from({ length: 200 }, (_, i) => review(CLUSTERS[i % 2], w.namespaces[CLUSTERS[i % 2]], `p-${i}`));
      const { answers, ms } = await admitAll(w, reviews, byCluster);
      t.diagnostic(`${backend}: 200 concurrent admit(): p50 ${percentile(ms, 0.5).toFixed(1)} ms, p99 ${percentile(ms, 0.99).toFixed(1)} ms`);
      const admitted = reviews.filter((_, i) => answers[i].allowed);
      assert.equal(admitted.length, 10);
      for (const a of answers) {
        if (a.allowed) continue;
        assert.equal(a.code, 403);
        assert.match(a.message, new RegExp(`^pods "p-\\d+" is forbidden: exceeded tenant quota: ${w.tenant}, requested: pods=1, used: pods=10, limited: pods=10$`));
      }
      assert.equal((await listReservations(w.db.kysely, w.tenant)).length, 10);

      const made = admitted.map((r) => ({ cluster: r.cluster, name: (r.object.metadata as { name: string }).name }));
      await createPods(w, made);
      await eventually('reservations released as the watchers see the pods', async () =>
        ((await listReservations(w.db.kysely, w.tenant)).length === 0 ? true : undefined));
      assert.equal(watchedPods(w), '10');
      const more = await admitAll(w, [review('east', w.namespaces.east, 'late-1'), review('west', w.namespaces.west, 'late-2')], byCluster);
      for (const a of more.answers) assert.deepEqual(a, { allowed: false, code: 403, message: a.allowed ? '' : a.message });
      assert.match((more.answers[0] as { message: string }).message, /used: pods=10, limited: pods=10$/);

      await deletePods(w, made.slice(0, 3));
      await eventually('the watchers see the deletions', async () => (watchedPods(w) === '7' ? true : undefined));
      const again = await admitAll(w, Array.from({ length: 8 }, (_, i) => review(CLUSTERS[i % 2], w.namespaces[CLUSTERS[i % 2]], `again-${i}`)), byCluster);
      assert.equal(again.answers.filter((a) => a.allowed).length, 3);
    } finally {
      await w.close();
    }
  });

  test(`${backend}: dry runs reserve nothing, unreadable objects and unknown usage are refused, expired reservations stop counting and are swept, other namespaces are never touched`, async () => {
    const w = await world(backend, { pods: '2' });
    try {
      for (let i = 0; i < 5; i++) assert.deepEqual(await w.admission.admit(review('east', w.namespaces.east, `dry-${i}`, true)), { allowed: true });
      assert.equal((await listReservations(w.db.kysely, w.tenant)).length, 0);

      assert.deepEqual(await w.admission.admit(review('east', w.namespaces.east, 'a')), { allowed: true });
      assert.deepEqual(await w.admission.admit(review('west', w.namespaces.west, 'b')), { allowed: true });
      const full = await w.admission.admit(review('west', w.namespaces.west, 'c', true));
      assert.equal(full.allowed, false);
      assert.match((full as { message: string }).message, new RegExp(`exceeded tenant quota: ${w.tenant}, requested: pods=1, used: pods=2, limited: pods=2`));
      for (let i = 0; i < 5; i++) assert.deepEqual(await w.admission.admit(review('east', w.untenanted, `free-${i}`)), { allowed: true });
      assert.equal((await listReservations(w.db.kysely, w.tenant)).length, 2);

      const bad = pod('bad');
      (bad.spec as { containers: { resources: unknown }[] }).containers[0].resources = { requests: { cpu: 'lots' } };
      const unreadable = await w.admission.admit({ ...review('east', w.namespaces.east, 'bad'), object: bad });
      assert.equal(unreadable.allowed, false);
      assert.equal((unreadable as { code: number }).code, 400);

      // A cluster whose watchers have not listed yet leaves unknown the usage of the tenants with
      // a namespace there, and only theirs.
      await w.usage.addCluster('gone', new ClusterClient({ name: 'gone', kubeconfig: kubeconfigFor({ server: 'https://127.0.0.1:1' }, { token: 'x' }) }));
      const elsewhere = await w.admission.admit(review('east', w.namespaces.east, 'e'));
      assert.equal((elsewhere as { code: number }).code, 403, 'a tenant with no namespace in the cluster being listed is decided');
      w.namespaces.gone = 'ns-there';
      const unknown = await w.admission.admit(review('east', w.namespaces.east, 'e'));
      assert.deepEqual(unknown, { allowed: false, code: 503, message: `the usage of tenant ${w.tenant} is not known yet: Berth is still listing cluster gone` });
      delete w.namespaces.gone;
      // So is a cluster where the tenant has a namespace but that is not watched at all: not added
      // yet (a server starting, a snapshot published before its watch) or its watch never started.
      w.namespaces.unwatched = 'ns-there';
      assert.deepEqual(await w.admission.admit(review('east', w.namespaces.east, 'e')),
        { allowed: false, code: 503, message: `the usage of tenant ${w.tenant} is not known yet: Berth is still listing cluster unwatched` });
      delete w.namespaces.unwatched;
      await w.usage.removeCluster('gone');

      assert.equal(await w.admission.sweep(), 0);
      w.skew = 31_000; // a and b never appeared: their reservations expired
      assert.deepEqual(await w.admission.admit(review('west', w.namespaces.west, 'c')), { allowed: true });
      assert.equal(await w.admission.sweep(), 2);
      assert.deepEqual((await listReservations(w.db.kysely, w.tenant)).map((r) => r.name), ['c']);
    } finally {
      await w.close();
    }
  });

  test(`${backend}: admit() one at a time, for the record`, async (t) => {
    const w = await world(backend, { pods: '1000' });
    try {
      const ms: number[] = [];
      for (let i = 0; i < 100; i++) {
        const t0 = performance.now();
        assert.deepEqual(await w.admission.admit(review(CLUSTERS[i % 2], w.namespaces[CLUSTERS[i % 2]], `s-${i}`)), { allowed: true });
        ms.push(performance.now() - t0);
      }
      ms.sort((a, b) => a - b);
      t.diagnostic(`${backend}: 100 sequential admit() that reserve: p50 ${percentile(ms, 0.5).toFixed(2)} ms, p99 ${percentile(ms, 0.99).toFixed(2)} ms`);
      assert.equal((await listReservations(w.db.kysely, w.tenant)).length, 100);
    } finally {
      await w.close();
    }
  });

  test(`${backend}: an update is charged by what it adds, and its reservation holds until the watchers see the new version`, async () => {
    const w = await world(backend, { 'services.nodeports': '1' });
    try {
      const live: Record<string, Record<string, unknown>> = {};
      for (const [cluster, name] of [['east', 'svc-a'], ['west', 'svc-c']] as const) {
        const c = clusters[CLUSTERS.indexOf(cluster)];
        const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { ports: [{ port: 80 }] } };
        live[name] = { apiVersion: 'v1', kind: 'Service', ...expectOk(await c.request('POST', `/api/v1/namespaces/${w.namespaces[cluster]}/services`, svc), `create ${name}`) as object };
      }
      const toNodePort = (cluster: string, name: string): TenantQuotaReview => ({
        cluster, namespace: w.namespaces[cluster], operation: 'UPDATE', dryRun: false, oldObject: live[name],
        object: { ...live[name], spec: { ...(live[name].spec as object), type: 'NodePort' } },
      });
      assert.deepEqual(await w.admission.admit(toNodePort('east', 'svc-a')), { allowed: true });
      const refused = { allowed: false, code: 403, message: `services "svc-c" is forbidden: exceeded tenant quota: ${w.tenant}, requested: services.nodeports=1, used: services.nodeports=1, limited: services.nodeports=1` };
      assert.deepEqual(await w.admission.admit(toNodePort('west', 'svc-c')), refused);
      assert.equal((await listReservations(w.db.kysely, w.tenant)).length, 1);

      const updated = toNodePort('east', 'svc-a').object;
      expectOk(await clusters[0].request('PUT', `/api/v1/namespaces/${w.namespaces.east}/services/svc-a`, updated), 'update svc-a');
      await eventually('the reservation released once the watchers hold the updated Service', async () =>
        ((await listReservations(w.db.kysely, w.tenant)).length === 0 ? true : undefined));
      assert.deepEqual(await w.admission.admit(toNodePort('west', 'svc-c')), refused);
    } finally {
      await w.close();
    }
  });

  test(`${backend}: another replica counts a reservation once its own watchers hold the object, and releases it`, async () => {
    const w = await world(backend, { pods: '3' });
    try {
      const made = [{ cluster: 'east', name: 'a' }, { cluster: 'west', name: 'b' }];
      for (const m of made) assert.deepEqual(await w.admission.admit(review(m.cluster, w.namespaces[m.cluster], m.name)), { allowed: true });
      // The replica that took the reservations goes away before their pods appear.
      await w.admission.stop();
      const other = await w.replica();
      await createPods(w, made);
      await eventually('the other replica sees both pods', async () =>
        (encodeResourceList(other.usage.usage(w.tenant, decodeResourceList({ pods: '1' }, 'hard') ?? {})).pods === '2' ? true : undefined));
      assert.equal((await listReservations(w.db.kysely, w.tenant)).length, 2);
      assert.deepEqual(await other.admission.admit(review('east', w.namespaces.east, 'c')), { allowed: true });
      assert.deepEqual((await listReservations(w.db.kysely, w.tenant)).map((r) => r.name), ['c']);
      const refused = await other.admission.admit(review('west', w.namespaces.west, 'd'));
      assert.match((refused as { message: string }).message, /used: pods=3, limited: pods=3$/);
    } finally {
      await w.close();
    }
  });
}
