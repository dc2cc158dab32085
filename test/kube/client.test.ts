// ClusterClient against a real control plane: server-side apply (idempotence, conflicts,
// dry-run), errors as typed errors, authentication modes, the rate limit, the probe.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createNamespace, createNode, eventually, expectOk, startCluster, uniqueName, waitForQuotaUsed } from '../clusters/index.ts';
import type { Cluster } from '../clusters/index.ts';
import { writeClusterPki } from '../clusters/pki.ts';
import { ClusterClient, inlineKubeconfigFile, probeCluster } from '../../src/kube/index.ts';
import type { KubeError } from '../../src/kube/index.ts';
import { BerthError } from '../../src/platform/errors.ts';
import type { KubeObject } from '../../src/kube/index.ts';
import { adminUser, kubeconfigFor, kubectl } from './support.ts';

let cluster: Cluster;
let client: ClusterClient;

before(async () => {
  cluster = await startCluster({ name: 'kube-client' });
  client = new ClusterClient({ name: 'c1', kubeconfig: await inlineKubeconfigFile(cluster.kubeconfigPath) });
});

after(async () => {
  client?.close();
  await cluster?.stop();
});

async function rejectsWith(p: Promise<unknown>, reason: string): Promise<KubeError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof BerthError, `expected a BerthError, got ${String(err)}`);
    assert.equal(err.reason, reason, err.message);
    return err as KubeError;
  }
  assert.fail(`expected ${reason}, got success`);
}

function tenancyObjects(ns: string, tag: string): KubeObject[] {
  const meta = (name: string): Record<string, unknown> => ({ name, namespace: ns, labels: { 'app.kubernetes.io/managed-by': 'berth' } });
  // Webhooks that can match nothing (an object label no object carries), so they never affect other requests.
  const webhook = (kind: string) => ({
    apiVersion: 'admissionregistration.k8s.io/v1', kind, metadata: { name: `${tag}-${kind.toLowerCase()}` },
    webhooks: [{
      name: `${tag}.berth.io`, admissionReviewVersions: ['v1'], sideEffects: 'None', failurePolicy: 'Ignore',
      clientConfig: { url: 'https://127.0.0.1:1/admission' }, objectSelector: { matchLabels: { 'berth.io/never': tag } },
      rules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['configmaps'] }],
    }],
  });
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { 'berth.io/tenant': tag } } },
    { apiVersion: 'v1', kind: 'ResourceQuota', metadata: meta('quota'), spec: { hard: { pods: '10', 'requests.cpu': '4' } } },
    { apiVersion: 'v1', kind: 'LimitRange', metadata: meta('limits'), spec: { limits: [{ type: 'Container', default: { cpu: '500m' }, defaultRequest: { cpu: '100m' } }] } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: meta('tenant-admins'),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'admin' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'alice' }],
    },
    {
      apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: meta('same-tenant'),
      spec: { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'berth.io/tenant': tag } } }] }] },
    },
    { apiVersion: 'v1', kind: 'Service', metadata: meta('web'), spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } },
    { apiVersion: 'v1', kind: 'Pod', metadata: meta('web-1'), spec: { containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '100m' } } }] } },
    webhook('ValidatingWebhookConfiguration'),
    webhook('MutatingWebhookConfiguration'),
  ];
}

test('apply creates every tenancy kind as field manager berth, and the same apply again writes nothing', async () => {
  const ns = uniqueName('apply');
  const objects = tenancyObjects(ns, ns);
  const first: KubeObject[] = [];
  for (const o of objects) {
    // The Pod waits for the namespace's default ServiceAccount, which the controller creates.
    if (o.kind === 'Pod') await eventually('default ServiceAccount', async () => (await cluster.request('GET', `/api/v1/namespaces/${ns}/serviceaccounts/default`)).status === 200 || undefined);
    first.push(await client.apply(o));
  }
  for (const [i, o] of first.entries()) {
    assert.equal(o.kind, objects[i].kind);
    const managers = (o.metadata?.managedFields ?? []).filter((f) => f.manager === 'berth' && f.operation === 'Apply');
    assert.equal(managers.length, 1, `${o.kind} is applied by berth`);
  }
  // Controllers write status after the first apply (quota usage, the pod's scheduling condition):
  // wait for those, then read what each object's resourceVersion is before applying again.
  await waitForQuotaUsed(cluster, ns, 'quota');
  await eventually('pod scheduling condition', async () => {
    const pod = expectOk(await cluster.request('GET', `/api/v1/namespaces/${ns}/pods/web-1`), 'get pod') as any;
    return pod.status?.conditions?.some((c: any) => c.type === 'PodScheduled') === true || undefined;
  });
  const before = await Promise.all(objects.map((o) => client.get({ apiVersion: o.apiVersion!, kind: o.kind! }, o.metadata!.name!, o.metadata!.namespace as string | undefined)));
  const sent = client.requestCount;
  for (const [i, o] of objects.entries()) {
    const again = await client.apply(o);
    assert.equal(again.metadata?.resourceVersion, before[i].metadata?.resourceVersion, `${o.kind} unchanged by the second apply`);
  }
  assert.equal(client.requestCount - sent, objects.length, 'one request per object, no discovery for these kinds');
  const quota = expectOk(await cluster.request('GET', `/api/v1/namespaces/${ns}/resourcequotas/quota`), 'get quota') as any;
  assert.deepEqual(quota.spec.hard, { pods: '10', 'requests.cpu': '4' });
  for (const o of objects.filter((x) => x.kind?.endsWith('WebhookConfiguration'))) {
    await client.delete({ apiVersion: o.apiVersion!, kind: o.kind! }, o.metadata!.name!);
  }
});

test('a field another manager owns is a Conflict naming the field and the manager; force takes it over', async () => {
  const ns = await createNamespace(cluster, { prefix: 'conflict' });
  await kubectl(cluster, ['apply', '--server-side', '-f', '-'], JSON.stringify({
    apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'q', namespace: ns }, spec: { hard: { pods: '10' } },
  }));
  const ours = { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'q', namespace: ns }, spec: { hard: { pods: '20', services: '5' } } };
  const err = await rejectsWith(client.apply(ours), 'Conflict');
  assert.equal(err.httpStatus, 409);
  assert.equal(err.code, 409);
  assert.deepEqual(err.conflicts.map((c) => [c.field, c.manager]), [['.spec.hard.pods', 'kubectl']]);
  assert.match(err.message, /^cluster c1: Apply failed with 1 conflict: conflict with "kubectl".*\.spec\.hard\.pods/);
  let quota = expectOk(await cluster.request('GET', `/api/v1/namespaces/${ns}/resourcequotas/q`), 'get') as any;
  assert.deepEqual(quota.spec.hard, { pods: '10' }, 'a refused apply changes nothing');

  const forced = await client.apply<any>(ours, { force: true });
  assert.deepEqual(forced.spec.hard, { pods: '20', services: '5' });
  quota = expectOk(await cluster.request('GET', `/api/v1/namespaces/${ns}/resourcequotas/q`), 'get') as any;
  const berth = quota.metadata.managedFields.find((f: any) => f.manager === 'berth');
  assert.ok(berth.fieldsV1['f:spec']['f:hard']['f:pods'] !== undefined, 'berth now owns .spec.hard.pods');
});

test('a dry-run apply is admitted and answered but persists nothing', async () => {
  const ns = await createNamespace(cluster, { prefix: 'dry' });
  const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dry', namespace: ns }, data: { a: '1' } };
  const answered = await client.apply<any>(cm, { dryRun: true });
  assert.deepEqual(answered.data, { a: '1' });
  await rejectsWith(client.get({ apiVersion: 'v1', kind: 'ConfigMap' }, 'dry', ns), 'NotFound');
  const nsDry = uniqueName('dry-ns');
  await client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: nsDry } }, { dryRun: true });
  assert.equal((await cluster.request('GET', `/api/v1/namespaces/${nsDry}`)).status, 404);
  // Admission still runs: a quota of zero pods refuses a dry-run pod.
  await client.apply({ apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'none', namespace: ns }, spec: { hard: { pods: '0' } } });
  await eventually('default ServiceAccount', async () => (await cluster.request('GET', `/api/v1/namespaces/${ns}/serviceaccounts/default`)).status === 200 || undefined);
  const err = await rejectsWith(client.apply({
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: ns }, spec: { containers: [{ name: 'c', image: 'busybox' }] },
  }, { dryRun: true }), 'Forbidden');
  assert.match(err.message, /exceeded quota: none/);
});

test('list reads every page and returns the snapshot\'s resourceVersion', async () => {
  const ns = await createNamespace(cluster, { prefix: 'pages' });
  for (let i = 0; i < 7; i++) await client.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}`, namespace: ns, labels: { page: 'yes' } } });
  const sent = client.requestCount;
  const listed = await client.list({ apiVersion: 'v1', kind: 'ConfigMap' }, { namespace: ns, labelSelector: 'page=yes', limit: 3 });
  assert.equal(client.requestCount - sent, 3, 'pages of 3, 3 and 1');
  assert.deepEqual(listed.items.map((o) => o.metadata?.name).sort(), ['cm-0', 'cm-1', 'cm-2', 'cm-3', 'cm-4', 'cm-5', 'cm-6']);
  assert.ok(listed.items.every((o) => o.apiVersion === 'v1' && o.kind === 'ConfigMap'), 'items carry their kind');
  assert.match(listed.resourceVersion, /^\d+$/);
});

test('the API server\'s refusals come back as typed errors with its own words', async () => {
  const ns = await createNamespace(cluster, { prefix: 'errors' });
  const missing = await rejectsWith(client.get({ apiVersion: 'v1', kind: 'ConfigMap' }, 'nope', ns), 'NotFound');
  assert.equal(missing.message, 'cluster c1: configmaps "nope" not found');
  assert.equal(missing.objectName, 'nope');
  const bad = await rejectsWith(client.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'Bad_Name', namespace: ns } }), 'Invalid');
  assert.ok(bad.causes.some((c) => c.field === 'metadata.name'), JSON.stringify(bad.causes));
  assert.equal(bad.httpStatus, 422);
  await rejectsWith(client.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: ns } }).then(() =>
    client.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'no-such-namespace' } })), 'NotFound');
  const noNs = await rejectsWith(client.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' } }), 'Invalid');
  assert.match(noNs.message, /metadata.namespace: is required/);
  const unknownKind = await rejectsWith(client.apply({ apiVersion: 'v1', kind: 'Gadget', metadata: { name: 'a' } }), 'NotFound');
  assert.match(unknownKind.message, /does not serve kind Gadget in v1/);
  await rejectsWith(client.apply({ apiVersion: 'nothing.example.com/v1', kind: 'Gadget', metadata: { name: 'a' } }), 'NotFound');

  // A kind outside the static table is found by discovery, once.
  const pc = uniqueName('prio');
  const sent = client.requestCount;
  await client.apply({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: pc }, value: 1000 });
  await client.apply({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: pc }, value: 1000 });
  assert.equal(client.requestCount - sent, 3, 'one discovery request, then two applies');
  await client.delete({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass' }, pc);
  await rejectsWith(client.get({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass' }, pc), 'NotFound');
});

test('token and client-certificate users authenticate; their refusals are Forbidden/Unauthorized without the secret', async () => {
  const ns = await createNamespace(cluster, { prefix: 'auth' });
  expectOk(await cluster.request('POST', `/api/v1/namespaces/${ns}/serviceaccounts`, { metadata: { name: 'reader' } }), 'create SA');
  const tr = expectOk(await cluster.request('POST', `/api/v1/namespaces/${ns}/serviceaccounts/reader/token`, {
    apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 },
  }), 'token') as any;
  const token: string = tr.status.token;
  const reader = new ClusterClient({ name: 'c1-reader', kubeconfig: kubeconfigFor(cluster, { token }) });
  try {
    assert.equal((await reader.version()).gitVersion, 'v1.37.2');
    const denied = await rejectsWith(reader.list({ apiVersion: 'v1', kind: 'Secret' }, { namespace: ns }), 'Forbidden');
    assert.match(denied.message, new RegExp(`system:serviceaccount:${ns}:reader.*cannot list resource "secrets"`));
    assert.ok(!denied.message.includes(token) && !JSON.stringify(denied.status).includes(token));
  } finally {
    reader.close();
  }
  // kube-apiserver has no basic-auth authenticator: the request counts as anonymous, which may not list.
  const basic = new ClusterClient({ name: 'c1-basic', kubeconfig: kubeconfigFor(cluster, { username: 'bob', password: 's3cret-pw' }) });
  try {
    const err = await rejectsWith(basic.list({ apiVersion: 'v1', kind: 'Namespace' }), 'Forbidden');
    assert.match(err.message, /User "system:anonymous" cannot list/);
    assert.ok(!err.message.includes('s3cret-pw'));
  } finally {
    basic.close();
  }
  const cert = new ClusterClient({ name: 'c1-cert', kubeconfig: kubeconfigFor(cluster, adminUser(cluster)) });
  try {
    assert.ok((await cert.list({ apiVersion: 'v1', kind: 'Namespace' })).items.some((n) => n.metadata?.name === ns));
  } finally {
    cert.close();
  }
});

test('unreachable, silent or untrusted API servers fail fast as ServiceUnavailable or Timeout', async (t) => {
  // A port nobody listens on: connection refused at once.
  const closed = await new Promise<number>((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
  const refused = new ClusterClient({ name: 'gone', kubeconfig: kubeconfigFor({ server: `https://127.0.0.1:${closed}` }, { token: 'secret-token-1' }) });
  let began = performance.now();
  const e1 = await rejectsWith(refused.version(), 'ServiceUnavailable');
  assert.ok(performance.now() - began < 2000);
  assert.match(e1.message, /^cluster gone: GET \/version: API server unreachable \(ECONNREFUSED/);
  assert.ok(!e1.message.includes('secret-token-1'));
  refused.close();

  // A server that accepts connections and never answers: the request deadline ends it.
  const sockets: Socket[] = [];
  const silent: Server = createServer((s) => sockets.push(s));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const s of sockets) s.destroy();
    silent.close();
  });
  const quiet = new ClusterClient({
    name: 'quiet', timeoutMs: 500,
    kubeconfig: kubeconfigFor({ server: `https://127.0.0.1:${(silent.address() as { port: number }).port}` }, { token: 't' }),
  });
  began = performance.now();
  const e2 = await rejectsWith(quiet.version(), 'Timeout');
  const took = performance.now() - began;
  assert.ok(took >= 450 && took < 2000, `timed out after ${took} ms`);
  assert.equal(e2.code, 504);
  quiet.close();

  // The real API server, verified against another certificate authority, or against none given.
  const otherDir = mkdtempSync(join(tmpdir(), 'berth-other-ca-'));
  t.after(() => rmSync(otherDir, { recursive: true, force: true }));
  const other = await writeClusterPki(otherDir, { kubernetesServiceIp: '10.96.0.1' });
  for (const [label, fields] of [
    ['another CA', { 'certificate-authority-data': readFileSync(other.caCert).toString('base64') }],
    ['the system CAs', {}],
  ] as const) {
    const untrusting = new ClusterClient({
      name: 'untrusted',
      kubeconfig: JSON.stringify({ ...JSON.parse(kubeconfigFor({ server: cluster.server }, adminUser(cluster), fields)) }),
    });
    const err = await rejectsWith(untrusting.version(), 'ServiceUnavailable');
    assert.match(err.message, /TLS verification of the API server failed/, label);
    assert.equal(err.causes[0]?.reason, 'TLSVerificationFailed');
    untrusting.close();
  }
  // A kubeconfig that would run a program is refused before anything is sent.
  assert.throws(() => new ClusterClient({ name: 'exec', kubeconfig: kubeconfigFor(cluster, { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'true' } }) }),
    { reason: 'Invalid', message: /exec credential plugins are not supported/ });
  // Only an explicit option lets a kubeconfig turn verification off.
  const insecureConfig = kubeconfigFor({ server: cluster.server }, adminUser(cluster), { 'insecure-skip-tls-verify': true });
  assert.throws(() => new ClusterClient({ name: 'insecure', kubeconfig: insecureConfig }), /insecure-skip-tls-verify: TLS verification may not be turned off/);
  const insecure = new ClusterClient({ name: 'insecure', kubeconfig: insecureConfig, allowInsecureSkipTlsVerify: true });
  assert.equal((await insecure.version()).gitVersion, 'v1.37.2');
  insecure.close();

  // A closed client refuses further requests.
  const closing = new ClusterClient({ name: 'c1-closed', kubeconfig: kubeconfigFor(cluster, adminUser(cluster)) });
  await closing.version();
  closing.close();
  await rejectsWith(closing.version(), 'ServiceUnavailable');
});

test('the rate limit bounds requests to burst, then qps; a waiting request can be aborted', async () => {
  let pacedMs = 0;
  const limited = new ClusterClient({ name: 'c1-slow', kubeconfig: kubeconfigFor(cluster, adminUser(cluster)), rateLimit: { qps: 20, burst: 5 } });
  try {
    const began = performance.now();
    const done: number[] = [];
    await Promise.all(Array.from({ length: 45 }, () => limited.version().then(() => done.push(performance.now() - began))));
    const elapsed = performance.now() - began;
    pacedMs = elapsed;
    // 5 at once, then 40 more at 20 a second: 2 s at least; the ceiling only guards against no pacing at all being mistaken.
    assert.ok(elapsed >= 1900 && elapsed < 6000, `45 requests took ${elapsed} ms`);
    // The k-th answer (from 1) cannot come before its token: (k - burst) / qps seconds (less 30 ms for timer slack).
    const sorted = done.sort((a, b) => a - b);
    for (const [i, ms] of sorted.entries()) {
      assert.ok(ms >= ((i + 1 - 5) / 20) * 1000 - 30, `answer ${i + 1} at ${Math.round(ms)} ms: ${sorted.map(Math.round).join(',')}`);
    }
    assert.equal(limited.requestCount, 45);

    // Queue a second of requests, then abort one waiting behind them: it is far from its token
    // when the abort comes, however late a loaded machine fires the timer.
    const sentBefore = limited.requestCount;
    const ahead = Array.from({ length: 20 }, () => limited.version());
    const ac = new AbortController();
    const waiting = limited.version({ signal: ac.signal });
    let abortedAt = 0;
    setTimeout(() => {
      abortedAt = performance.now();
      ac.abort();
    }, 20);
    await assert.rejects(waiting, { name: 'AbortError' });
    assert.ok(performance.now() - abortedAt < 150, 'abort ends the wait at once');
    await Promise.all(ahead);
    assert.equal(limited.requestCount, sentBefore + 20, 'the aborted request was never sent');
  } finally {
    limited.close();
  }
  // The default limit (50/100) lets the same 45 requests through in one burst.
  const fast = new ClusterClient({ name: 'c1-fast', kubeconfig: kubeconfigFor(cluster, adminUser(cluster)) });
  try {
    const began = performance.now();
    await Promise.all(Array.from({ length: 45 }, () => fast.version()));
    // Paced, the same requests took at least 2 s more than the machine's own time for them; unpaced, they do not (a loaded machine slows both alike).
    const fastMs = performance.now() - began;
    assert.ok(fastMs < pacedMs - 1000, `45 requests under the default limit took ${Math.round(fastMs)} ms, paced ones ${Math.round(pacedMs)} ms`);
  } finally {
    fast.close();
  }
});

test('probe reports the version and the nodes\' allocatable capacity as kubectl sees them', async () => {
  await createNode(cluster, { capacity: { cpu: '4', memory: '8Gi' } });
  await createNode(cluster, { capacity: { cpu: '2500m', memory: '3Gi', pods: '50' }, allocatable: { cpu: '2', memory: '2560Mi', pods: '40' } });
  const probe = await probeCluster(client);
  assert.equal(probe.reachable, true);
  const kv = JSON.parse(await kubectl(cluster, ['version', '-o', 'json']));
  assert.equal(probe.version?.gitVersion, kv.serverVersion.gitVersion);
  const nodes = JSON.parse(await kubectl(cluster, ['get', 'nodes', '-o', 'json'])).items;
  assert.equal(probe.nodes?.count, nodes.length);
  assert.equal(probe.nodes?.ready, nodes.length);
  const cpuMillis = nodes.reduce((s: number, n: any) => s + (n.status.allocatable.cpu.endsWith('m') ? Number.parseInt(n.status.allocatable.cpu, 10) : Number(n.status.allocatable.cpu) * 1000), 0);
  const unit: Record<string, number> = { Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 };
  const memory = nodes.reduce((s: number, n: any) => {
    const m = /^(\d+)(Ki|Mi|Gi)?$/.exec(n.status.allocatable.memory)!;
    return s + Number(m[1]) * (m[2] === undefined ? 1 : unit[m[2]]);
  }, 0);
  const pods = nodes.reduce((s: number, n: any) => s + Number(n.status.allocatable.pods), 0);
  assert.deepEqual([probe.nodes?.cpuMillis, probe.nodes?.memoryBytes, probe.nodes?.pods], [cpuMillis, memory, pods]);
  assert.deepEqual([cpuMillis, memory, pods], [6000, 8 * 1024 ** 3 + 2560 * 1024 ** 2, 150], 'the two nodes this test made');
  assert.deepEqual(probe.nodes?.allocatable, { cpu: '6', memory: '10752Mi', pods: '150' });

  const down = new ClusterClient({ name: 'down', kubeconfig: kubeconfigFor({ server: 'https://127.0.0.1:1' }, { token: 't' }) });
  const unreachable = await probeCluster(down);
  down.close();
  assert.equal(unreachable.reachable, false);
  assert.equal(unreachable.error?.reason, 'ServiceUnavailable');
  assert.equal(unreachable.nodes, undefined);
});
