// `import --from-cluster` against a real API server: Services created straight at the cluster in a
// namespace Berth does not manage and in kube-system have their node ports reserved for them, a
// tenant namespace's are left alone (they are the tenant's allocations); a repeat changes
// nothing; a port allocated to a tenant refuses the whole import naming the tenant; a cluster
// that does not answer refuses it naming the cluster; the CLI does the same, as a table or JSON.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createNamespace, eventually, expectOk, uniqueName, withCluster } from '../clusters/index.ts';
import type { Cluster } from '../clusters/index.ts';
import { adminUser, kubeconfigFor } from '../kube/support.ts';
import { adminPassword, startTestServer } from '../support/server.ts';
import { startTcpProxy } from '../support/tcp-proxy.ts';
import { auditOf, must, registerCluster } from './support.ts';

const main = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');

function berth(args: string[], env: Record<string, string>, stdin = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [main, ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.stdin.end(stdin);
    child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

function service(name: string, nodePorts: readonly number[]) {
  return {
    apiVersion: 'v1', kind: 'Service', metadata: { name },
    spec: { type: 'NodePort', selector: { app: name }, ports: nodePorts.map((nodePort, k) => ({ name: `p${k}`, port: 80 + k, nodePort })) },
  };
}

async function createService(cluster: Cluster, ns: string, name: string, nodePorts: readonly number[]): Promise<void> {
  expectOk(await cluster.request('POST', `/api/v1/namespaces/${ns}/services`, service(name, nodePorts)), `create Service ${ns}/${name}`);
}

/** The node ports the API server says Services outside `tenantNamespaces` hold, each with its Service, ascending. */
async function foreignPorts(cluster: Cluster, tenantNamespaces: readonly string[]): Promise<[number, string][]> {
  const list = expectOk(await cluster.request('GET', '/api/v1/services'), 'list Services') as any;
  const out: [number, string][] = [];
  for (const s of list.items) {
    if (tenantNamespaces.includes(s.metadata.namespace)) continue;
    for (const p of s.spec.ports ?? []) if (p.nodePort) out.push([p.nodePort, `${s.metadata.namespace}/${s.metadata.name}`]);
  }
  return out.sort((a, b) => a[0] - b[0]);
}

test('import --from-cluster reserves the node ports of Services outside the tenants, read live from the API server', withCluster(async (east, t) => {
  const s = await startTestServer('sqlite');
  t.after(() => s.close());
  const admin = await s.login();
  await registerCluster(s, admin, 'east', east);
  await must(s, admin, 'POST', '/api/v1/tenants', { name: 'acme', clusters: ['east'] });
  await must(s, admin, 'POST', '/api/v1/tenants/acme/namespaces', { name: 'acme-web', cluster: 'east' });
  await eventually('the reconciler creates the tenant namespace and registers the webhook', async () => {
    const hook = await east.request('GET', '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/berth-admission');
    const ns = await east.request('GET', '/api/v1/namespaces/acme-web/serviceaccounts/default');
    return hook.status === 200 && ns.status === 200 ? true : undefined;
  }, 30_000);

  const legacy = await createNamespace(east, { prefix: 'legacy' });
  const sys = uniqueName('dns-gw');
  await createService(east, legacy, 'billing', [30901, 30902]);
  await createService(east, 'kube-system', sys, [30903]);
  await createService(east, 'acme-web', 'shop', [30910]);
  // Taken right after the Services were created: what the API server holds now, not what the watcher recorded.
  const first = await s.api('POST', '/api/v1/clusters/east/nodeports/reservations/import', { token: admin, body: { from: 'cluster' } });

  await t.test('exactly the ports of Services outside tenant namespaces are reserved, each for its Service', async () => {
    assert.equal(first.status, 200, JSON.stringify(first.body));
    const expected = await foreignPorts(east, ['acme-web']);
    assert.ok(expected.some(([p]) => p === 30901) && expected.some(([p]) => p === 30903), JSON.stringify(expected));
    assert.deepEqual(first.body.imported.map((x: any) => [x.port, x.service]), expected);
    assert.ok(first.body.imported.every((x: any) => x.status === 'created'));
    assert.deepEqual([first.body.cluster, first.body.unchanged, first.body.tenantPorts, first.body.dryRun], ['east', 0, 1, false]);
    const map = await must(s, admin, 'GET', '/api/v1/clusters/east/nodeports');
    const byPort = new Map(map.reserved.map((r: any) => [r.from, r]));
    for (const [port, svc] of expected) {
      const r = byPort.get(port) as any;
      assert.ok(r, `port ${port} is reserved`);
      assert.equal(r.owner, `Service ${svc}`);
      assert.match(r.note, /^imported from cluster east at \d{4}-\d\d-\d\dT[\d:.]+Z$/);
    }
    assert.equal((byPort.get(30902) as any).owner, `Service ${legacy}/billing`);
    assert.equal((byPort.get(30903) as any).owner, `Service kube-system/${sys}`);
    assert.ok(!byPort.has(30910), 'the tenant\'s port is not reserved');
    assert.ok(map.allocated.some((a: any) => a.port === 30910 && a.tenant === 'acme'), 'the tenant\'s port stays its allocation');
    const audit = await auditOf(s, admin, 'nodeports');
    assert.ok(audit.some((e: any) => e.action === 'import' && e.name === 'east' && e.outcome === 'success'), JSON.stringify(audit.slice(0, 3)));
  });

  await t.test('a port reserved for the Service that uses it is no conflict in the map', async () => {
    const map = await eventually('the watcher records the imported ports as used', async () => {
      const m = await must(s, admin, 'GET', '/api/v1/clusters/east/nodeports');
      return m.used.some((u: any) => u.port === 30901) && m.used.some((u: any) => u.port === 30903) ? m : undefined;
    }, 15_000);
    assert.deepEqual(map.conflicts, []);
    assert.equal(map.strip.find((r: any) => r.from <= 30901 && 30901 <= r.to).state, 'reserved');
  });

  await t.test('a second import changes nothing', async () => {
    const again = await must(s, admin, 'POST', '/api/v1/clusters/east/nodeports/reservations/import', { from: 'cluster' });
    assert.deepEqual([again.created.length, again.unchanged], [0, first.body.imported.length]);
    assert.ok(again.imported.every((x: any) => x.status === 'unchanged'));
  });

  await t.test('a dry run says what would be reserved and writes nothing', async () => {
    await createService(east, legacy, 'late', [30905]);
    const dry = await must(s, admin, 'POST', '/api/v1/clusters/east/nodeports/reservations/import', { from: 'cluster', dryRun: true });
    assert.deepEqual(dry.created.map((r: any) => [r.ports, r.owner]), [['30905', `Service ${legacy}/late`]]);
    assert.equal(dry.dryRun, true);
    const map = await must(s, admin, 'GET', '/api/v1/clusters/east/nodeports');
    assert.ok(!map.reserved.some((r: any) => r.from === 30905));
  });

  await t.test('a port allocated to a tenant or reserved for another owner that a foreign Service uses refuses the whole import, naming the holder', async () => {
    await must(s, admin, 'POST', '/api/v1/clusters/east/nodeports/allocations', { tenant: 'acme', port: 30920 });
    await must(s, admin, 'POST', '/api/v1/clusters/east/nodeports/reservations', { ports: '30921', owner: 'billing team' });
    await createService(east, legacy, 'squatter', [30920]);
    await createService(east, legacy, 'squatter2', [30921]);
    const before = await must(s, admin, 'GET', '/api/v1/clusters/east/nodeports/reservations?limit=500');
    const r = await s.api('POST', '/api/v1/clusters/east/nodeports/reservations/import', { token: admin, body: { from: 'cluster' } });
    assert.equal(r.status, 409, JSON.stringify(r.body));
    assert.match(r.body.message, new RegExp(`${legacy}/squatter: port 30920 is taken: it is allocated to tenant "acme"`));
    assert.match(r.body.message, new RegExp(`${legacy}/squatter2: port 30921 is taken: it is reserved for legacy business use, owner "billing team"`));
    assert.deepEqual(await must(s, admin, 'GET', '/api/v1/clusters/east/nodeports/reservations?limit=500'), before, 'nothing written: 30905 is still not reserved');
    for (const name of ['squatter', 'squatter2']) expectOk(await east.request('DELETE', `/api/v1/namespaces/${legacy}/services/${name}`), `delete ${name}`);
    const ok = await must(s, admin, 'POST', '/api/v1/clusters/east/nodeports/reservations/import', { from: 'cluster' });
    assert.deepEqual(ok.created.map((x: any) => x.ports), ['30905']);
  });

  await t.test('a cluster that does not answer refuses the import naming the cluster, and nothing is written', async () => {
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: Number(new URL(east.server).port) });
    t.after(() => proxy.close());
    await must(s, admin, 'POST', '/api/v1/clusters', { name: 'relayed', kubeconfig: kubeconfigFor({ server: `https://127.0.0.1:${proxy.port}`, pki: east.pki }, adminUser(east)) });
    proxy.cut();
    const r = await s.api('POST', '/api/v1/clusters/relayed/nodeports/reservations/import', { token: admin, body: { from: 'cluster' } });
    assert.equal(r.status, 503, JSON.stringify(r.body));
    assert.equal(r.body.reason, 'ServiceUnavailable');
    assert.match(r.body.message, /Services of cluster "relayed", so nothing was imported/);
    const map = await must(s, admin, 'GET', '/api/v1/clusters/relayed/nodeports');
    assert.deepEqual(map.reserved, []);
  });

  await t.test('the CLI: berth ports import --from-cluster C prints what it reserved, as a table or JSON; --file is not with it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-ports-import-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const env = { BERTH_CONFIG: join(dir, 'config.json') };
    const login = await berth(['login', '--server', s.url, '--username', 'admin', '--password-stdin'], env, `${adminPassword}\n`);
    assert.equal(login.code, 0, login.stderr);
    await createService(east, legacy, 'cli', [30931]);
    const r = await berth(['ports', 'import', '--from-cluster', 'east'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^PORT\s+SERVICE\s+STATUS\n/);
    assert.match(r.stdout, new RegExp(`\\n30931\\s+${legacy}/cli\\s+created\\n`));
    assert.match(r.stdout, new RegExp(`\\n30901\\s+${legacy}/billing\\s+unchanged\\n`));
    assert.match(r.stdout, /\nreserved 1 port on cluster east \(\d+ already reserved so; 1 in tenant namespaces left alone\)\n$/);
    const json = await berth(['ports', 'import', '--cluster', 'east', '--from-cluster', '-o', 'json'], env);
    assert.equal(json.code, 0, json.stderr);
    const body = JSON.parse(json.stdout);
    assert.deepEqual([body.cluster, body.created.length], ['east', 0]);
    assert.ok(body.imported.some((x: any) => x.port === 30931 && x.status === 'unchanged'));
    const file = join(dir, 'x.csv');
    writeFileSync(file, '30950,someone\n');
    const both = await berth(['ports', 'import', '--from-cluster', 'east', '--file', file], env);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /--from-cluster and --file are mutually exclusive/);
    const down = await berth(['ports', 'import', '--from-cluster', 'relayed'], env);
    assert.equal(down.code, 1);
    assert.match(down.stderr, /cluster "relayed".*\(HTTP 503\)/);
  });
}));
