// A Berth process killed with SIGKILL in the middle of reconciling 50 namespaces into a real
// cluster, then started again on the same data folder: it converges to exactly the rendered
// objects, nothing missing, and what was applied before the kill is not written again (same
// uid, creation time and version; one apply entry of field manager berth).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { eventually, withCluster } from '../clusters/index.ts';
import type { TestServer } from '../support/server.ts';
import { spawnServer, spawnedApi } from '../support/spawn.ts';
import { adminKubeconfig } from './support.ts';
import { appliedState, managedKeys, pathOf, renderOf, sameAsRendered, settle, type WriteState } from './live-support.ts';

const password = 'admin-password-1';
const count = 50;

async function call(s: Pick<TestServer, 'api'>, token: string, method: string, path: string, body?: unknown): Promise<any> {
  const r = await s.api(method, path, { token, body });
  if (r.status !== 200 && r.status !== 201) throw new Error(`${method} ${path}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

async function login(s: Pick<TestServer, 'api'>): Promise<string> {
  return (await call(s, '', 'POST', '/api/v1/login', { username: 'admin', password })).token;
}

test('kill -9 of Berth in the middle of a reconcile of 50 namespaces, restarted on the same data dir, converges once', { timeout: 600_000 }, withCluster(async (cluster, t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-crash-'));
  const env = { BERTH_ADMIN_PASSWORD: password, BERTH_REPLICA_ID: 'solo' };
  let proc = await spawnServer({ dataDir, env });
  try {
    let s = spawnedApi(proc);
    let token = await login(s);
    await call(s, token, 'POST', '/api/v1/clusters', { name: 'c1', kubeconfig: adminKubeconfig(cluster) });
    await call(s, token, 'POST', '/api/v1/tenants', {
      name: 'bulk', clusters: ['c1'], members: [{ kind: 'User', name: 'ann', role: 'tenant-admin' }, { kind: 'Group', name: 'bulk-devs', role: 'member' }, { kind: 'User', name: 'val', role: 'viewer' }],
      quota: { pods: String(2 * count), 'requests.cpu': String(count), namespaces: String(count) },
      defaultLimitRange: { container: { default: { cpu: '200m' }, defaultRequest: { cpu: '100m' } } },
    });
    const names = Array.from({ length: count }, (_, i) => `bulk-${String(i).padStart(2, '0')}`);
    const perNs = 7;
    // Created five at a time; the reconciler starts on the first while the others arrive.
    for (let i = 0; i < names.length; i += 5) {
      await Promise.all(names.slice(i, i + 5).map((name) =>
        call(s, token, 'POST', '/api/v1/tenants/bulk/namespaces', { name, cluster: 'c1', quota: { pods: '2', 'requests.cpu': '1' } })));
    }
    const seen = await eventually('part of the objects in the cluster', async () => {
      const n = (await managedKeys(cluster, 'bulk')).length;
      return n > 0 && n < count * perNs ? n : undefined;
    }, 60_000, 20);
    proc.child.kill('SIGKILL');
    const exit = await proc.exited;
    assert.equal(exit.signal, 'SIGKILL');
    // What the killed process had applied, as the cluster holds it once the kill has landed.
    const before = await appliedState(cluster, 'bulk');
    t.diagnostic(`killed with ${seen} of ${count * perNs} objects seen in the cluster (${before.size} once it died)`);
    assert.ok(before.size < count * perNs, 'the kill came before the reconcile finished');

    const restarted = Date.now();
    proc = await spawnServer({ dataDir, env });
    s = spawnedApi(proc);
    token = await login(s);
    const rendered = await renderOf(s as TestServer, token, 'bulk', 'c1');
    assert.equal(rendered.length, count * perNs);
    await eventually('every namespace Applied after the restart', async () => {
      const list = await call(s, token, 'GET', '/api/v1/tenants/bulk/namespaces?limit=100');
      return list.items.length === count && list.items.every((n: any) => n.objects.length === perNs && n.objects.every((o: any) => o.state === 'Applied')) ? true : undefined;
    }, 120_000, 100);
    t.diagnostic(`converged ${Date.now() - restarted} ms after the restart began`);
    assert.deepEqual(await managedKeys(cluster, 'bulk'), rendered.map(pathOf).sort(), 'the cluster holds exactly the rendered objects');
    await sameAsRendered(cluster, rendered);
    const after = await appliedState(cluster, 'bulk');
    for (const [key, o] of before) assert.deepEqual(after.get(key), o, `${key}: applied before the kill, not written again`);
    for (const [key, o] of after) {
      assert.equal(o.berthEntries, 'Apply', `${key}: one apply entry of berth`);
      if (o.generation !== undefined) assert.equal(o.generation, 1, `${key} written once`);
    }
    // Steady state: a later pass (a tenant change wakes one) writes nothing.
    await call(s, token, 'PATCH', '/api/v1/tenants/bulk', { displayName: 'Bulk' });
    await settle(2000);
    const steady: Map<string, WriteState> = await appliedState(cluster, 'bulk');
    assert.deepEqual(steady, after, 'a pass at steady state writes nothing');
  } finally {
    proc.child.kill('SIGKILL');
    await proc.exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
}));
