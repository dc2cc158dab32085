// The rendered objects mean what they should, checked by a real kube-apiserver: a tenant with two
// namespaces is rendered, the whole stream is accepted by `kubectl apply --server-side
// --dry-run=server`, then applied for real; a second apply writes nothing (the rendered form is
// what the server stores); a pod without resources gets the LimitRange defaults, a pod beyond the
// namespace's slice is refused by the ResourceQuota admission, and the RoleBindings give each
// tenant role what it should (checked by impersonation).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { eventually, expectOk, kubeBinDir, uniqueName, waitForQuotaUsed, withCluster } from '../clusters/index.ts';
import type { Cluster as TestCluster, KubeObject } from '../clusters/index.ts';
import { renderTenant, validateNamespace, validateTenant } from '../../src/tenancy/index.ts';
import type { Cluster, Manifest, Tenant, TenantNamespace } from '../../src/tenancy/index.ts';

interface Run { readonly code: number; readonly stdout: string; readonly stderr: string }

function kubectl(cluster: TestCluster, args: readonly string[], input?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(kubeBinDir(), 'kubectl'), ['--kubeconfig', cluster.kubeconfigPath, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

async function apply(cluster: TestCluster, objects: readonly Manifest[], dryRun: boolean): Promise<string> {
  const args = ['apply', '--server-side', '--field-manager=berth', ...(dryRun ? ['--dry-run=server'] : []), '-o', 'name', '-f', '-'];
  const r = await kubectl(cluster, args, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));
  assert.equal(r.code, 0, `kubectl ${args.join(' ')} refused: ${r.stderr}`);
  return r.stdout;
}

function pathOf(o: Manifest): string {
  const ns = o.metadata.namespace;
  const base: Record<string, string> = {
    Namespace: '/api/v1/namespaces', ResourceQuota: `/api/v1/namespaces/${ns}/resourcequotas`, LimitRange: `/api/v1/namespaces/${ns}/limitranges`,
    RoleBinding: `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`, NetworkPolicy: `/apis/networking.k8s.io/v1/namespaces/${ns}/networkpolicies`,
  };
  return `${base[o.kind]}/${o.metadata.name}`;
}

async function readBack(cluster: TestCluster, objects: readonly Manifest[]): Promise<KubeObject[]> {
  return Promise.all(objects.map(async (o) => expectOk(await cluster.request('GET', pathOf(o)), `get ${pathOf(o)}`) as KubeObject));
}

async function createPod(cluster: TestCluster, namespace: string, name: string, resources?: Record<string, unknown>) {
  return cluster.request('POST', `/api/v1/namespaces/${namespace}/pods`, {
    apiVersion: 'v1', kind: 'Pod', metadata: { name },
    spec: { automountServiceAccountToken: false, containers: [{ name: 'app', image: 'busybox', ...(resources ? { resources } : {}) }] },
  });
}

test('rendered tenant objects are accepted by kube-apiserver and enforce what they say', { timeout: 180_000 }, withCluster(async (cluster) => {
  const t = uniqueName('t');
  const tenant: Tenant = {
    name: t, displayName: 'Render test',
    members: [
      { kind: 'User', name: 'alice', role: 'tenant-admin' },
      { kind: 'Group', name: 'devs', role: 'member' },
      { kind: 'User', name: 'bob', role: 'viewer' },
    ],
    clusters: ['c1'],
    quota: { 'requests.cpu': '4', 'limits.cpu': '8', 'requests.memory': '4Gi', 'limits.memory': '8Gi', pods: '20', services: '10', namespaces: '2' },
    defaultLimitRange: {
      container: {
        min: { cpu: '10m' }, max: { cpu: '1', memory: '1Gi' }, default: { cpu: '500m', memory: '256Mi' },
        defaultRequest: { cpu: '100m', memory: '128Mi' }, maxLimitRequestRatio: { cpu: '10' },
      },
      pod: { max: { cpu: '2' } },
    },
    nodeSelector: { 'berth.io/pool': 'general' },
  };
  const slice = { 'requests.cpu': '1', 'limits.cpu': '2000m', 'requests.memory': '1Gi', 'limits.memory': '2Gi', pods: '3', services: '2' };
  const web: TenantNamespace = { name: uniqueName(`${t}-web`), tenant: t, cluster: 'c1', quota: slice, adopted: false };
  const batch: TenantNamespace = {
    name: uniqueName(`${t}-batch`), tenant: t, cluster: 'c1', quota: slice, adopted: false,
    limitRange: { container: { min: { cpu: '10m' }, max: { cpu: '500m', memory: '512Mi' }, maxLimitRequestRatio: { cpu: '5' }, defaultRequest: { cpu: '250m' } }, pod: { max: { cpu: '1' } } },
  };
  const clusters: Cluster[] = [{ name: 'c1', labels: {}, settings: {} }];
  assert.deepEqual(validateTenant(tenant, ['c1']), []);
  assert.deepEqual(validateNamespace(web, tenant, [], ['c1']), []);
  assert.deepEqual(validateNamespace(batch, tenant, [web], ['c1']), []);

  const objects = renderTenant(tenant, [web, batch], clusters).get('c1') ?? [];
  assert.equal(objects.length, 2 * 7);
  const namespaces = objects.filter((o) => o.kind === 'Namespace');

  // A fresh cluster has no namespaces, so only they can be dry-run before they exist.
  await apply(cluster, namespaces, true);
  await apply(cluster, namespaces, false);
  const accepted = await apply(cluster, objects, true);
  assert.equal(accepted.trim().split('\n').length, objects.length, accepted);
  await apply(cluster, objects, false);

  const stored = await readBack(cluster, objects);
  for (const [i, o] of objects.entries()) {
    const s = stored[i];
    assert.deepEqual({ ...s.metadata?.labels }, { ...o.metadata.labels, ...(o.kind === 'Namespace' ? { 'kubernetes.io/metadata.name': o.metadata.name } : {}) }, pathOf(o));
    for (const field of ['spec', 'roleRef', 'subjects'] as const) {
      if (o[field] !== undefined) assert.deepEqual(s[field], o[field], `${pathOf(o)} ${field} as stored`);
    }
  }
  assert.equal((stored[0].metadata?.annotations as Record<string, string>)['scheduler.alpha.kubernetes.io/node-selector'], 'berth.io/pool=general');

  // A second apply of the same objects writes nothing: what Berth renders is what the server keeps.
  await apply(cluster, objects, false);
  const again = await readBack(cluster, objects);
  assert.deepEqual(again.map((o) => o.metadata?.resourceVersion), stored.map((o) => o.metadata?.resourceVersion));

  await waitForQuotaUsed(cluster, web.name, 'berth-quota');
  await waitForQuotaUsed(cluster, batch.name, 'berth-quota');
  for (const ns of [web.name, batch.name]) {
    await eventually(`ServiceAccount ${ns}/default`, async () => ((await cluster.request('GET', `/api/v1/namespaces/${ns}/serviceaccounts/default`)).status === 200 ? true : undefined));
  }

  const plain = expectOk(await createPod(cluster, web.name, 'plain'), 'create a pod without resources') as KubeObject;
  assert.deepEqual((plain.spec as any).containers[0].resources, {
    requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' },
  });
  const overridden = expectOk(await createPod(cluster, batch.name, 'plain'), 'create a pod without resources under the override') as KubeObject;
  assert.deepEqual((overridden.spec as any).containers[0].resources, {
    requests: { cpu: '250m', memory: '512Mi' }, limits: { cpu: '500m', memory: '512Mi' },
  });

  const big = await createPod(cluster, web.name, 'big', { requests: { cpu: '1' }, limits: { cpu: '1' } });
  assert.equal(big.status, 403, JSON.stringify(big.body));
  assert.equal((big.body as any).message,
    'pods "big" is forbidden: exceeded quota: berth-quota, requested: requests.cpu=1, used: requests.cpu=100m, limited: requests.cpu=1');
  const huge = await createPod(cluster, web.name, 'huge', { requests: { cpu: '2' }, limits: { cpu: '2' } });
  assert.equal(huge.status, 403, JSON.stringify(huge.body));
  assert.match((huge.body as any).message, /maximum cpu usage per Container is 1, but limit is 2/);

  const can = async (verb: string, resource: string, ns: string, ...as: string[]) => {
    const r = await kubectl(cluster, ['auth', 'can-i', verb, resource, '-n', ns, ...as]);
    return r.stdout.trim();
  };
  // admin, edit and view are aggregated by a controller; wait until admin has its rules.
  await eventually('ClusterRole admin aggregated', async () => ((await can('create', 'rolebindings', web.name, '--as', 'alice')) === 'yes' ? true : undefined));
  assert.equal(await can('create', 'deployments', batch.name, '--as', 'carol', '--as-group', 'devs'), 'yes');
  assert.equal(await can('create', 'rolebindings', batch.name, '--as', 'carol', '--as-group', 'devs'), 'no');
  assert.equal(await can('list', 'pods', web.name, '--as', 'bob'), 'yes');
  assert.equal(await can('create', 'pods', web.name, '--as', 'bob'), 'no');
  assert.equal(await can('list', 'pods', 'default', '--as', 'alice'), 'no');
}));
