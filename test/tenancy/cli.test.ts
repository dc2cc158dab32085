// The tenancy commands of `berth` against a real server holding two real clusters: clusters
// added from kubeconfig files and listed as scripts read them (DESIGN.md section 7), a tenant and
// namespaces with quotas, members and node selectors given as flags, `berth render` as a YAML
// stream `kubectl apply --server-side` takes as it is and as the JSON List, `berth usage` as a table, and the
// server's refusals printed from its Status with exit status 1 (2 for bad flags); adoption of an
// existing namespace and the forced deletions. The server runs the reconciler, so usage comes
// from pods the clusters' ResourceQuotas count.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadAll } from 'js-yaml';
import { createNamespace, createNode, eventually, expectOk, kubeBinDir, kubeVersion, withClusters } from '../clusters/index.ts';
import type { Cluster } from '../clusters/index.ts';
import { adminUser, kubeconfigFor } from '../kube/support.ts';
import { startTestServer, adminPassword, type TestServer } from '../support/server.ts';
import { adminKubeconfig } from './support.ts';

const main = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');

interface Run { readonly code: number; readonly stdout: string; readonly stderr: string }

function spawnRun(cmd: string, args: readonly string[], env: Record<string, string>, stdin = ''): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

/** Runs `berth ARGS` and asserts its exit status; returns what it printed. */
type Berth = (args: readonly string[], code?: number, stdin?: string) => Promise<Run>;

function berthAs(env: Record<string, string>): Berth {
  return async (args, code = 0, stdin) => {
    const r = await spawnRun(process.execPath, [main, ...args], env, stdin);
    assert.equal(r.code, code, `berth ${args.join(' ')} exited ${r.code}, not ${code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    return r;
  };
}

async function clusters(berth: Berth, dir: string, east: Cluster, west: Cluster): Promise<void> {
  writeFileSync(join(dir, 'east.json'), adminKubeconfig(east));
  writeFileSync(join(dir, 'west.yaml'), adminKubeconfig(west));
  const nowhere = `https://127.0.0.1:${await closedPort()}`;
  writeFileSync(join(dir, 'nowhere.json'), kubeconfigFor({ server: nowhere, pki: west.pki }, adminUser(west)));

  const added = await berth(['clusters', 'add', 'east', '--kubeconfig', join(dir, 'east.json'), '--label', 'site=berlin', '--label', 'region=eu', '--webhook-failure-policy', 'Ignore']);
  assert.equal(added.stdout, `cluster east added (Ready, Kubernetes ${kubeVersion()})\n`);
  const west1 = JSON.parse((await berth(['clusters', 'add', 'west', '--kubeconfig', join(dir, 'west.yaml'), '-o', 'json'])).stdout);
  assert.equal(west1.status, 'Ready');

  // A kubeconfig that cannot be used: the server's words, HTTP status, exit 1, nothing stored.
  const refused = await berth(['clusters', 'add', 'nowhere', '--kubeconfig', join(dir, 'nowhere.json')], 1);
  assert.match(refused.stderr, new RegExp(`^berth clusters: Cluster "nowhere" is invalid: kubeconfig: cluster "nowhere" at ${nowhere} .*ECONNREFUSED.*\\(HTTP 422\\)$`, 'ms'));
  const missing = await berth(['clusters', 'add', 'x', '--kubeconfig', join(dir, 'no-such-file')], 2);
  assert.match(missing.stderr, /cannot read --kubeconfig .*no-such-file: ENOENT/);
  const badLabel = await berth(['clusters', 'add', 'x', '--kubeconfig', join(dir, 'east.json'), '--label', 'site'], 2);
  assert.match(badLabel.stderr, /--label "site" must be KEY=VALUE/);

  // The contract scripts rely on: -o json lists objects with name and status.
  const list = JSON.parse((await berth(['clusters', 'list', '-o', 'json'])).stdout);
  assert.equal(list.kind, 'ClusterList');
  assert.deepEqual(list.items.map((c: any) => [c.name, c.status]), [['east', 'Ready'], ['west', 'Ready']]);
  const table = (await berth(['clusters', 'list'])).stdout;
  assert.match(table, /^NAME\s+STATUS\s+VERSION\s+NODES\s+CPU\s+MEMORY\s+LABELS\s+SERVER$/m);
  assert.match(table, new RegExp(`^east\\s+Ready\\s+${kubeVersion().replaceAll('.', '\\.')}\\s+1/1\\s+4\\s+8Gi\\s+region=eu,site=berlin\\s+${east.server}$`, 'm'));
  const get = (await berth(['clusters', 'get', 'east'])).stdout;
  assert.match(get, /^CONDITION\s+STATUS\s+REASON\s+SINCE\s+MESSAGE$/m);
  assert.match(get, /^Ready\s+True\s/m);
  assert.match(get, /^Degraded\s+False\s/m);
  assert.deepEqual(JSON.parse((await berth(['clusters', 'get', 'east', '-o', 'json'])).stdout).settings, { webhookFailurePolicy: 'Ignore' });

  // update replaces what it is given and nothing else.
  assert.equal((await berth(['clusters', 'update', 'west', '--webhook-failure-policy', 'Ignore', '--label', 'site=paris'])).stdout, 'cluster west updated\n');
  const west2 = JSON.parse((await berth(['clusters', 'get', 'west', '-o', 'json'])).stdout);
  assert.deepEqual([west2.settings, west2.labels, west2.server], [{ webhookFailurePolicy: 'Ignore' }, { site: 'paris' }, west1.server]);
  assert.deepEqual(JSON.parse((await berth(['clusters', 'update', 'west', '--webhook-failure-policy', 'Fail', '-o', 'json'])).stdout).labels, { site: 'paris' });
  assert.match((await berth(['clusters', 'update', 'west'], 2)).stderr, /nothing to update: give at least one flag/);
  assert.match((await berth(['clusters', 'update', 'west', '--webhook-failure-policy', 'Sometimes'], 1)).stderr, /settings\.webhookFailurePolicy|Fail.*Ignore/);
}

async function tenantsAndNamespaces(berth: Berth, dir: string): Promise<void> {
  writeFileSync(join(dir, 'limits.yaml'), 'container:\n  max: {cpu: "2"}\n  default: {cpu: 500m, memory: 256Mi}\n  defaultRequest: {cpu: 100m}\n');
  writeFileSync(join(dir, 'web-limits.json'), JSON.stringify({ container: { max: { cpu: '1' }, default: { cpu: '250m' }, defaultRequest: { cpu: '100m' } } }));
  writeFileSync(join(dir, 'list.yaml'), '- container\n');
  assert.match((await berth(['tenants', 'create', 'x', '--clusters', 'east', '--limit-range', join(dir, 'list.yaml')], 2)).stderr, /--limit-range .*list\.yaml must hold a mapping/);
  const created = await berth(['tenants', 'create', 'team-a', '--clusters', 'east,west', '--quota', 'requests.cpu=4,pods=20', '--quota', 'namespaces=3',
    '--display-name', 'Team A', '--member', 'User:vic=viewer', '--member', 'group:devs=member', '--node-selector', 'pool=a',
    '--limit-range', join(dir, 'limits.yaml')]);
  assert.equal(created.stdout, 'tenant team-a created on east, west\n');
  const t = JSON.parse((await berth(['tenants', 'get', 'team-a', '-o', 'json'])).stdout);
  assert.equal(t.displayName, 'Team A');
  assert.deepEqual(t.quota, { namespaces: '3', pods: '20', 'requests.cpu': '4' });
  assert.deepEqual(t.nodeSelector, { pool: 'a' });
  assert.deepEqual(t.defaultLimitRange, { container: { max: { cpu: '2' }, default: { cpu: '500m', memory: '256Mi' }, defaultRequest: { cpu: '100m' } } });
  assert.deepEqual(t.members.map((m: any) => `${m.kind}:${m.name}=${m.role}`).sort(), ['Group:devs=member', 'User:vic=viewer']);
  assert.match((await berth(['tenants', 'get', 'team-a'])).stdout, /^KIND\s+MEMBER\s+ROLE\nUser\s+vic\s+viewer\nGroup\s+devs\s+member\n$/m);

  const bad = await berth(['tenants', 'create', 'team-b', '--clusters', 'east,mars', '--quota', 'requests.cpu=lots'], 1);
  assert.match(bad.stderr, /mars/);
  assert.match(bad.stderr, /quota\[requests\.cpu\]|requests\.cpu/);
  assert.match(bad.stderr, /\(HTTP 422\)$/m);
  await berth(['tenants', 'create', 'team-b', '--clusters', 'east', '--member', 'alice=tenant-admin'], 2);
  assert.equal((await berth(['tenants', 'get', 'team-b'], 1)).code, 1, 'nothing was created');

  await berth(['namespaces', 'create', 'web', '--tenant', 'team-a', '--cluster', 'east', '--quota', 'requests.cpu=3,pods=10']);
  // The slices may not add up beyond the tenant quota: the refusal names the resource and the numbers.
  const over = await berth(['namespaces', 'create', 'api', '--tenant', 'team-a', '--cluster', 'west', '--quota', 'requests.cpu=2,pods=10'], 1);
  assert.match(over.stderr, /requests\.cpu/);
  assert.match(over.stderr, /\b4\b/);
  const made = await berth(['namespaces', 'create', 'api', '--tenant', 'team-a', '--cluster', 'west', '--quota', 'requests.cpu=1,pods=10']);
  assert.equal(made.stdout, 'namespace api created in cluster west for tenant team-a\n');
  // A namespace's own LimitRange inside the tenant's bounds, and back to the tenant's default.
  const own = ['namespaces', 'update', 'web', '--tenant', 'team-a', '--cluster', 'east'];
  assert.deepEqual(JSON.parse((await berth([...own, '--limit-range', join(dir, 'web-limits.json'), '-o', 'json'])).stdout).limitRange.container.default, { cpu: '250m' });
  assert.equal(JSON.parse((await berth([...own, '--tenant-limit-range', '-o', 'json'])).stdout).limitRange, null);
  await berth(own, 2);
  const all = JSON.parse((await berth(['namespaces', 'list', '--tenant', 'team-a', '-o', 'json'])).stdout);
  assert.deepEqual(all.items.map((n: any) => `${n.cluster}/${n.name}`), ['east/web', 'west/api']);
  const onWest = (await berth(['namespaces', 'list', '--tenant', 'team-a', '--cluster', 'west'])).stdout;
  assert.match(onWest, /^NAME\s+CLUSTER\s+TENANT\s+QUOTA/);
  assert.deepEqual(onWest.trim().split('\n').slice(1).map((l) => l.split(/\s+/).slice(0, 4)), [['api', 'west', 'team-a', 'pods=10,requests.cpu=1']]);
}

/** Creates `n` pods without resources in `namespace` (the LimitRange gives each requests.cpu 100m); no kubelet runs them, the quota counts them. */
async function createPods(cluster: Cluster, namespace: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    expectOk(await cluster.request('POST', `/api/v1/namespaces/${namespace}/pods`, {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: `app-${i}` },
      spec: { automountServiceAccountToken: false, containers: [{ name: 'app', image: 'busybox' }] },
    }), `create pod ${namespace}/app-${i}`);
  }
}

async function renderAndUsage(berth: Berth, east: Cluster, west: Cluster): Promise<void> {
  const list = JSON.parse((await berth(['render', '--tenant', 'team-a', '-o', 'json'])).stdout);
  assert.equal(list.kind, 'List');
  const namespaces = list.items.filter((o: any) => o.kind === 'Namespace').map((o: any) => o.metadata.name);
  assert.deepEqual(namespaces.sort(), ['api', 'web']);
  // The YAML stream holds the same objects, one document each, and kube-apiserver accepts it.
  const yaml = (await berth(['render', '--tenant', 'team-a', '--cluster', 'west'])).stdout;
  const docs = loadAll(yaml) as any[];
  const westItems = JSON.parse((await berth(['render', '--tenant', 'team-a', '--cluster', 'west', '-o', 'json'])).stdout).items;
  assert.deepEqual(docs, westItems);
  assert.ok(docs.every((o) => o.metadata.namespace === undefined ? o.metadata.name === 'api' : o.metadata.namespace === 'api'), 'only west objects');
  assert.deepEqual(docs.find((o) => o.kind === 'ResourceQuota').spec.hard, { pods: '10', 'requests.cpu': '1' });
  assert.equal(docs.find((o) => o.kind === 'LimitRange').spec.limits[0].default.cpu, '500m', "the tenant's default LimitRange");
  const kubectl = (args: readonly string[], input?: string) => spawnRun(join(kubeBinDir(), 'kubectl'), ['--kubeconfig', west.kubeconfigPath, ...args], {}, input);
  const applied = await kubectl(['apply', '--server-side', '-o', 'name', '-f', '-'], yaml);
  assert.equal(applied.code, 0, applied.stderr);
  assert.equal(applied.stdout.trim().split('\n').length, docs.length);
  const quota = await kubectl(['get', 'resourcequota', 'berth-quota', '-n', 'api', '-o', 'json']);
  assert.deepEqual(JSON.parse(quota.stdout).spec.hard, { pods: '10', 'requests.cpu': '1' });

  // Pods in both clusters: the clusters' ResourceQuota status, read by the reconciler's watchers,
  // is what `berth usage` adds up.
  await createPods(east, 'web', 4);
  await createPods(west, 'api', 1);
  const table = await eventually('berth usage to count the 5 pods', async () => {
    const out = (await berth(['usage', '--tenant', 'team-a'])).stdout;
    assert.match(out, /^pods\s+20\s+20\s+5\s+25%$/m);
    return out;
  }, 30_000, 500);
  const rows = table.trim().split('\n').map((l) => l.split(/\s{2,}/));
  assert.deepEqual(rows[0], ['RESOURCE', 'HARD', 'ALLOCATED', 'USED', 'PERCENT']);
  assert.deepEqual(rows.slice(1), [
    ['requests.cpu', '4', '4', '500m', '12%'], ['pods', '20', '20', '5', '25%'], ['namespaces', '3', '2', '2', '66%'],
  ]);
  const usage = JSON.parse((await berth(['usage', '--tenant', 'team-a', '-o', 'json'])).stdout);
  assert.deepEqual(usage.namespaces.map((n: any) => [n.cluster, n.name, n.used.pods, n.used['requests.cpu']]), [['east', 'web', '4', '400m'], ['west', 'api', '1', '100m']]);
}

async function refusals(berth: Berth): Promise<void> {
  const lowered = await berth(['tenants', 'update', 'team-a', '--quota', 'requests.cpu=2,pods=20,namespaces=3'], 1);
  assert.match(lowered.stderr, /requests\.cpu/);
  assert.match((await berth(['tenants', 'update', 'team-a', '--display-name', 'The A Team'])).stdout, /^tenant team-a updated$/m);
  assert.match((await berth(['tenants', 'delete', 'team-a'], 1)).stderr, /\(HTTP 409\)$/m);
  assert.match((await berth(['clusters', 'remove', 'west'], 1)).stderr, /\(HTTP 409\)$/m);
  assert.match((await berth(['tenants', 'get', 'nope'], 1)).stderr, /not found.*\(HTTP 404\)/i);
  assert.match((await berth(['usage', '--tenant', 'team-a', 'extra'], 2)).stderr, /unexpected argument "extra"/);
  assert.match((await berth(['render', '--tenant', 'team-a', '-o', 'table'], 2)).stderr, /use yaml or json/);
}

/** A namespace that exists in the cluster and is not Berth's is taken over only with --adopt; one that runs pods is deleted only with --force. */
async function adoptAndForce(berth: Berth, east: Cluster): Promise<void> {
  await createNamespace(east, { name: 'legacy' });
  expectOk(await east.request('POST', '/api/v1/namespaces/legacy/pods', {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'old-app' },
    spec: { automountServiceAccountToken: false, containers: [{ name: 'app', image: 'busybox', resources: { requests: { cpu: '100m' } } }] },
  }), 'create pod legacy/old-app');
  const quota = ['--quota', 'requests.cpu=1,pods=5'];
  const taken = await berth(['namespaces', 'create', 'legacy', '--tenant', 'team-a', '--cluster', 'east', ...quota], 1);
  assert.match(taken.stderr, /legacy.*not Berth's.*adopt.*\(HTTP 409\)$/ms);
  const adopted = await berth(['namespaces', 'create', 'legacy', '--tenant', 'team-a', '--cluster', 'east', ...quota, '--adopt']);
  assert.equal(adopted.stdout, 'namespace legacy created in cluster east for tenant team-a (adopted)\n');
  assert.match((await berth(['namespaces', 'get', 'legacy', '--tenant', 'team-a', '--cluster', 'east'])).stdout, /^legacy\s+east\s+team-a\s+pods=5,requests\.cpu=1\s+.+\s+true\s/m);
  const running = await berth(['namespaces', 'delete', 'legacy', '--tenant', 'team-a', '--cluster', 'east'], 1);
  assert.match(running.stderr, /pods still run in it on cluster "east" \(for example "old-app"\).*\(HTTP 409\)$/ms);
  assert.equal((await berth(['namespaces', 'delete', 'legacy', '--tenant', 'team-a', '--cluster', 'east', '--force'])).stdout, 'namespace legacy deleted from cluster east\n');
}

async function asViewer(s: TestServer, admin: Berth, dir: string): Promise<void> {
  const env = { BERTH_CONFIG: join(dir, 'vic.json') };
  const vic = berthAs(env);
  await vic(['login', '--server', s.url, '--username', 'vic', '--password-stdin'], 0, 'vic-password-1\n');
  const tenants = JSON.parse((await vic(['tenants', 'list', '-o', 'json'])).stdout);
  assert.deepEqual(tenants.items.map((t: any) => t.name), ['team-a']);
  await vic(['usage', '--tenant', 'team-a']);
  assert.match((await vic(['namespaces', 'create', 'x', '--tenant', 'team-a', '--cluster', 'east'], 1)).stderr, /\(HTTP 403\)$/m);
  assert.match((await vic(['clusters', 'list'], 1)).stderr, /\(HTTP 403\)$/m);
  assert.match((await admin(['namespaces', 'delete', 'web', '--tenant', 'team-a', '--cluster', 'east'], 1)).stderr, /pods still run in it.*\(HTTP 409\)$/ms);
  await admin(['namespaces', 'delete', 'web', '--tenant', 'team-a', '--cluster', 'east', '--force']);
}

test('berth clusters, tenants, namespaces, render and usage against real clusters', { timeout: 300_000 }, withClusters(2, async ([east, west]) => {
  await createNode(east, { capacity: { cpu: '4', memory: '8Gi' } });
  const s = await startTestServer('sqlite');
  const dir = mkdtempSync(join(tmpdir(), 'berth-tenancy-cli-'));
  try {
    const berth = berthAs({ BERTH_CONFIG: join(dir, 'admin.json') });
    await berth(['login', '--server', s.url, '--username', 'admin', '--password-stdin'], 0, `${adminPassword}\n`);
    // A Berth user named as a tenant member gets the tenant role in Berth as well.
    await berth(['users', 'create', 'vic', '--password-stdin'], 0, 'vic-password-1\n');
    await clusters(berth, dir, east, west);
    await tenantsAndNamespaces(berth, dir);
    await renderAndUsage(berth, east, west);
    await refusals(berth);
    await asViewer(s, berth, dir);
    await adoptAndForce(berth, east);
    // Removing a cluster that still holds a namespace takes --force (Berth's objects go first).
    assert.equal((await berth(['clusters', 'remove', 'west', '--force'])).stdout, 'cluster west removed\n');
    assert.deepEqual(JSON.parse((await berth(['clusters', 'list', '-o', 'json'])).stdout).items.map((c: any) => c.name), ['east']);
    assert.deepEqual(JSON.parse((await berth(['namespaces', 'list', '--tenant', 'team-a', '-o', 'json'])).stdout).items, []);
    assert.equal((await berth(['tenants', 'delete', 'team-a'])).stdout, 'tenant team-a deleted\n');
  } finally {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  }
}));
