// Berth's own webhooks (tenant-quota and nodeports, as the reconciler registers them) while the
// Berth process is gone, in one real cluster. With failurePolicy Fail: pod and NodePort Service
// creates in a tenant namespace are refused at once (connection refused, far under the webhook
// timeout), naming the webhook that could not be called; kube-system and a namespace Berth does
// not manage keep working. Berth started again on the same database, on the same webhook port
// after an orderly stop and on another port after kill -9: creates are decided by Berth again with
// no manual step (the reconciler moves the registered URL itself), and the tenant quota is
// enforced from the first answer on, also while Berth is starting. With Ignore, tenant-namespace
// creates go through unchecked while Berth is down. Two windows too short to hit from outside
// reliably (a server's first moments, a namespace newer than the policy's snapshot) are shown by
// asking the policy a server registers directly, on the same database.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { test, type TestContext } from 'node:test';
import { pino } from 'pino';
import { eventually, expectOk, uniqueName, withCluster } from '../clusters/index.ts';
import type { Cluster, KubeObject, KubeResponse } from '../clusters/index.ts';
import { freePort, spawnServer, spawnedApi, type SpawnedServer } from '../support/spawn.ts';
import type { AdmissionRequest } from '../../src/kube/index.ts';
import { openDatabase } from '../../src/platform/db/database.ts';
import { loadSecretKey } from '../../src/platform/secret-key.ts';
import { ClusterConnections, TenantQuota, WEBHOOK_TIMEOUT_SECONDS } from '../../src/tenancy/index.ts';
import { createPod, settle } from './live-support.ts';
import { adminKubeconfig, must } from './support.ts';

const password = 'admin-password-1';
const tenant = 'acme';
const ns = 'acme-app';
const quotaWebhook = 'tenant-quota.admission.berth.io';
const nodePortWebhook = 'nodeports.admission.berth.io';
const hooks = '/apis/admissionregistration.k8s.io/v1';

function nodePortService(name: string): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { type: 'NodePort', selector: { app: name }, ports: [{ port: 80 }] } };
}

const createService = (c: Cluster, namespace: string, name: string): Promise<KubeResponse> =>
  c.request('POST', `/api/v1/namespaces/${namespace}/services`, nodePortService(name));

const message = (r: KubeResponse): string => String((r.body as { message?: unknown }).message ?? JSON.stringify(r.body));

/** A running Berth process and an admin session on it. */
interface Berth {
  readonly proc: SpawnedServer;
  readonly api: ReturnType<typeof spawnedApi>;
  readonly token: string;
}

async function startBerth(dataDir: string, webhookPort: number): Promise<Berth> {
  const proc = await spawnServer({ dataDir, env: { BERTH_ADMIN_PASSWORD: password, BERTH_WEBHOOK_PORT: String(webhookPort) } });
  const api = spawnedApi(proc);
  const token = (await must(api, '', 'POST', '/api/v1/login', { username: 'admin', password })).token as string;
  return { proc, api, token };
}

async function stopBerth(b: Berth, signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
  b.proc.child.kill(signal);
  const exit = await b.proc.exited;
  if (signal === 'SIGKILL') assert.equal(exit.signal, 'SIGKILL');
  else assert.equal(exit.code, 0, `an orderly stop exits 0:\n${b.proc.output()}`);
}

/** The webhooks registered in `cluster`, by name: URL and failurePolicy. */
async function registered(cluster: Cluster): Promise<Map<string, { url: string; failurePolicy: string }>> {
  const out = new Map<string, { url: string; failurePolicy: string }>();
  for (const kind of ['validatingwebhookconfigurations', 'mutatingwebhookconfigurations']) {
    const r = await cluster.request('GET', `${hooks}/${kind}/berth-admission`);
    if (r.status !== 200) continue;
    for (const w of (r.body as { webhooks: { name: string; failurePolicy: string; clientConfig: { url: string } }[] }).webhooks) {
      out.set(w.name, { url: w.clientConfig.url, failurePolicy: w.failurePolicy });
    }
  }
  return out;
}

/** Whether `svc` got its nodePort from Berth: Berth records the port as the tenant's allocation for that Service. */
async function allocatedByBerth(b: Berth, svc: KubeObject): Promise<boolean> {
  const port = (svc.spec as { ports: { nodePort: number }[] }).ports[0].nodePort;
  const list = await must(b.api, b.token, 'GET', `/api/v1/clusters/c1/nodeports/allocations?tenant=${tenant}`);
  return (list.items as { port: number; service?: string }[]).some((a) => a.port === port && a.service === `${ns}/${svc.metadata?.name}`);
}

const exceeded = (name: string, used: number) => new RegExp(
  `admission webhook "tenant-quota\\.admission\\.berth\\.io" denied the request: pods "${name}" is forbidden: exceeded tenant quota: ${tenant}, requested: pods=1, used: pods=${used}, limited: pods=2`);

function stats(ms: readonly number[]): string {
  const sorted = [...ms].sort((a, b) => a - b);
  return `min ${sorted[0].toFixed(1)} ms, median ${sorted[Math.floor(sorted.length / 2)].toFixed(1)} ms, max ${sorted[sorted.length - 1].toFixed(1)} ms over ${sorted.length}`;
}

/** A tenant-quota policy as a server builds it, on the database in `dataDir`, not yet running. */
function newTenantQuota(dataDir: string): { quota: TenantQuota; close(): Promise<void> } {
  const db = openDatabase({ dataDir });
  const quota = new TenantQuota({ db, connections: new ClusterConnections({ db, secretKey: loadSecretKey(undefined, dataDir) }), logger: pino({ level: 'silent' }) });
  return { quota, close: async () => { await quota.usage.stop(); await db.close(); } };
}

/** The AdmissionRequest the webhook listener hands the policy for a pod create in `namespace`. */
function podReview(namespace: string, name: string): AdmissionRequest {
  return {
    uid: `uid-${name}`, kind: { group: '', version: 'v1', kind: 'Pod' }, resource: { group: '', version: 'v1', resource: 'pods' }, name, namespace,
    operation: 'CREATE', userInfo: { username: 'dev', groups: [] }, dryRun: false,
    object: { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace }, spec: { containers: [{ name: 'app', image: 'busybox' }] } },
  };
}

/** What {@link createUntilRefused} saw. */
interface Hammered {
  /** Names of the pods the API server admitted. */
  readonly admitted: readonly string[];
  /** Milliseconds from the start to Berth's quota refusal. */
  readonly refusedMs: number;
  /** Answers by kind. */
  readonly seen: ReadonlyMap<string, number>;
}

/**
 * Creates pods in the tenant namespace one after another (20 ms apart) until Berth refuses one in
 * its quota words, `until` ms at most; fails as soon as more than `room` are admitted: a create
 * let through while Berth does not know the tenant's usage yet is a breach of the quota.
 */
async function createUntilRefused(cluster: Cluster, prefix: string, room: number, until = 90_000, stop?: () => boolean): Promise<Hammered> {
  const began = performance.now();
  const admitted: string[] = [];
  const seen = new Map<string, number>();
  for (let i = 0; performance.now() - began < until && !(stop?.() ?? false); i++) {
    const name = `${prefix}-${i}`;
    const r = await createPod(cluster, ns, name);
    const text = message(r);
    const quota = r.status === 403 ? /exceeded tenant quota: acme, requested: pods=1, used: (pods=\d+), limited: pods=2/.exec(text) : null;
    const kind = r.status === 201 ? 'admitted'
      : quota !== null ? `refused by the tenant quota, used ${quota[1]}`
        : r.status === 500 && /connect: connection refused/.test(text) ? 'webhook not reachable'
          // A server starting on a loaded machine may take the connection and answer late, or 404 before its policies are registered.
          : r.status === 500 && /failed calling webhook "tenant-quota\.admission\.berth\.io"/.test(text) ? 'webhook not answering'
          : r.status === 503 && /is not known yet|Berth is starting/.test(text) ? 'usage not known yet'
            : `other: ${r.status} ${text.replaceAll(name, '<pod>')}`;
    seen.set(kind, (seen.get(kind) ?? 0) + 1);
    if (r.status === 201) admitted.push(name);
    assert.ok(admitted.length <= room, `${admitted.join(', ')} admitted with room for ${room} in the tenant quota; answers ${JSON.stringify(Object.fromEntries(seen))}`);
    if (quota !== null) {
      assert.match(text, exceeded(name, 2), `answers ${JSON.stringify(Object.fromEntries(seen))}`);
      return { admitted, refusedMs: performance.now() - began, seen };
    }
    await settle(20);
  }
  throw new Error(`no refusal by the tenant quota within ${until} ms; answers ${JSON.stringify(Object.fromEntries(seen))}`);
}

/**
 * Starts Berth on `webhookPort` while pods are created in the tenant's full namespace until Berth
 * refuses one: none may be admitted meanwhile, nor may any answer but the webhook being
 * unreachable, usage not known yet, and the quota's refusal. `started` gets the new Berth as soon
 * as it is ready (so the test stops it, whatever happens next).
 */
async function restartUnderLoad(t: TestContext, cluster: Cluster, dataDir: string, webhookPort: number, started: (b: Berth) => void): Promise<{ refusedMs: number; readyMs: number }> {
  const began = performance.now();
  let failed = false;
  const hammer = createUntilRefused(cluster, `during-${webhookPort}`, 0, 90_000, () => failed);
  hammer.catch(() => undefined);
  let readyMs: number;
  try {
    started(await startBerth(dataDir, webhookPort));
    readyMs = performance.now() - began;
  } catch (err) {
    failed = true;
    throw err;
  }
  const { refusedMs, seen } = await hammer;
  t.diagnostic(`answers while Berth started on port ${webhookPort}: ${JSON.stringify(Object.fromEntries(seen))}`);
  assert.deepEqual([...seen.keys()].filter((k) => k.startsWith('other')), [], 'every refusal while Berth starts says why');
  return { refusedMs, readyMs };
}

test('Berth\'s webhooks while Berth is down: Fail refuses in tenant namespaces only, fast; Berth back decides again unaided; Ignore lets creates through', { timeout: 300_000 }, withCluster(async (cluster, t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-down-'));
  const port = await freePort();
  let berth = await startBerth(dataDir, port);
  t.after(async () => {
    if (berth.proc.child.exitCode === null && berth.proc.child.signalCode === null) await stopBerth(berth, 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });
  await must(berth.api, berth.token, 'POST', '/api/v1/clusters', { name: 'c1', kubeconfig: adminKubeconfig(cluster) });
  await must(berth.api, berth.token, 'POST', '/api/v1/tenants', { name: tenant, clusters: ['c1'], quota: { pods: '2' } });
  await must(berth.api, berth.token, 'POST', `/api/v1/tenants/${tenant}/namespaces`, { name: ns, cluster: 'c1' });
  let firstPods: readonly string[] = [];

  await t.test('registered by the reconciler and answering: the quota holds from the first create, a NodePort Service gets its port from Berth', async () => {
    const from = performance.now();
    await eventually('the webhooks registered and the tenant namespace there', async () => {
      const hooksNow = await registered(cluster);
      return hooksNow.has(quotaWebhook) && hooksNow.has(nodePortWebhook) && (await cluster.request('GET', `/api/v1/namespaces/${ns}`)).status === 200 ? true : undefined;
    }, 30_000);
    for (const w of (await registered(cluster)).values()) {
      assert.equal(w.failurePolicy, 'Fail', 'Fail is the default');
      assert.equal(new URL(w.url).port, String(port));
    }
    // From the first create on, the quota holds: while Berth does not know the usage yet it refuses, never admits unchecked.
    const { admitted, refusedMs, seen } = await createUntilRefused(cluster, 'first', 2, 30_000);
    t.diagnostic(`answers until the tenant was full: ${JSON.stringify(Object.fromEntries(seen))}; full after ${refusedMs.toFixed(0)} ms`);
    assert.equal(admitted.length, 2);
    firstPods = admitted;
    const svc = expectOk(await createService(cluster, ns, 'web'), 'create web') as KubeObject;
    assert.ok(await allocatedByBerth(berth, svc), 'the nodePort is Berth\'s allocation');
    t.diagnostic(`webhooks answering ${(performance.now() - from).toFixed(0)} ms after the namespace was created`);
  });

  await t.test('Berth stopped, Fail: tenant-namespace creates are refused at once naming the webhook; other namespaces work', async () => {
    await stopBerth(berth, 'SIGTERM');
    const pods: number[] = [];
    const services: number[] = [];
    for (let i = 0; i < 5; i++) {
      let at = performance.now();
      const pod = await createPod(cluster, ns, `down-${i}`);
      pods.push(performance.now() - at);
      assert.equal(pod.status, 500, JSON.stringify(pod.body));
      assert.match(message(pod), new RegExp(`failed calling webhook "${quotaWebhook.replaceAll('.', '\\.')}": failed to call webhook: Post "https://127\\.0\\.0\\.1:${port}/admission/validate/tenant-quota/c1\\?timeout=${WEBHOOK_TIMEOUT_SECONDS}s": .*connect: connection refused`));
      at = performance.now();
      const svc = await createService(cluster, ns, `down-svc-${i}`);
      services.push(performance.now() - at);
      assert.equal(svc.status, 500, JSON.stringify(svc.body));
      assert.match(message(svc), new RegExp(`failed calling webhook "${nodePortWebhook.replaceAll('.', '\\.')}": .*connect: connection refused`));
      assert.equal((await cluster.request('GET', `/api/v1/namespaces/${ns}/pods/down-${i}`)).status, 404, 'nothing stored');
      if (i === 0) t.diagnostic(`as a user sees them: ${message(pod)} | ${message(svc)}`);
    }
    t.diagnostic(`refused pod creates: ${stats(pods)}; refused NodePort Service creates: ${stats(services)}`);
    // Measured 2-50 ms; the bound leaves room for a loaded CI machine and still tells a refused connection from a wait for the timeout.
    for (const ms of [...pods, ...services]) assert.ok(ms < 2000, `a refusal took ${ms} ms: a refused connection must not wait for the ${WEBHOOK_TIMEOUT_SECONDS} s timeout`);

    const system = uniqueName('sys');
    expectOk(await createPod(cluster, 'kube-system', system), 'a pod in kube-system');
    expectOk(await createService(cluster, 'kube-system', system), 'a NodePort Service in kube-system');
    const plain = uniqueName('plain');
    expectOk(await cluster.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: plain } }), 'a namespace Berth does not manage');
    expectOk(await createPod(cluster, plain, 'app'), 'a pod there');
    expectOk(await createService(cluster, plain, 'app'), 'a NodePort Service there');
    for (const path of [`/api/v1/namespaces/kube-system/pods/${system}`, `/api/v1/namespaces/kube-system/services/${system}`, `/api/v1/namespaces/${plain}`]) {
      expectOk(await cluster.request('DELETE', path), `delete ${path}`);
    }
  });

  await t.test('a Berth starting on the same database refuses before it watches the cluster, never admits unchecked', async () => {
    // The moment between a restarted server's listener taking requests and its first look at the
    // clusters is too short to hit from outside reliably, so the policy a server registers is
    // asked directly, as the listener asks it, on the stopped server's database.
    const fresh = newTenantQuota(dataDir);
    try {
      const verdict = await fresh.quota.policy().validate!(podReview(ns, 'early'), { cluster: 'c1' });
      assert.deepEqual({ ...verdict, message: undefined }, { allowed: false, code: 503, message: undefined });
      assert.match((verdict as { message: string }).message, new RegExp(`^the usage of tenant ${tenant} is not known yet: `));
    } finally {
      await fresh.close();
    }
  });

  await t.test('Berth started again on the same port: it decides from its first answer, quota enforced, with no manual step', async () => {
    const { refusedMs, readyMs } = await restartUnderLoad(t, cluster, dataDir, port, (b) => { berth = b; });
    expectOk(await cluster.request('DELETE', `/api/v1/namespaces/${ns}/pods/${firstPods[1]}?gracePeriodSeconds=0`), 'delete a pod');
    await eventually('the freed pod counted', async () => ((await createPod(cluster, ns, 'again')).status === 201 ? true : undefined), 30_000, 100);
    assert.match(message(await createPod(cluster, ns, 'over')), exceeded('over', 2));
    const svc = expectOk(await createService(cluster, ns, 'web-again'), 'create web-again') as KubeObject;
    assert.ok(await allocatedByBerth(berth, svc), 'the nodePort is Berth\'s allocation again');
    t.diagnostic(`same port: server ready ${readyMs.toFixed(0)} ms after the start began, first decision by Berth ${refusedMs.toFixed(0)} ms after it began`);
  });

  await t.test('a namespace created after the tenant quota last read the tenancy tables is looked up, not waved through', async () => {
    // A policy whose snapshot predates the namespace, held still (it is refreshed every 500 ms in a server).
    const fresh = newTenantQuota(dataDir);
    try {
      await fresh.quota.refresh();
      await fresh.quota.usage.synced();
      await must(berth.api, berth.token, 'POST', `/api/v1/tenants/${tenant}/namespaces`, { name: 'acme-late', cluster: 'c1' });
      const verdict = await fresh.quota.policy().validate!(podReview('acme-late', 'late'), { cluster: 'c1' });
      assert.equal(verdict.allowed, false, 'the tenant is full');
      assert.match((verdict as { message: string }).message, /exceeded tenant quota: acme, requested: pods=1, used: pods=2, limited: pods=2/);
    } finally {
      await fresh.close();
    }
  });

  await t.test('Berth killed and started on another webhook port: the reconciler moves the registered URL itself', async () => {
    await stopBerth(berth, 'SIGKILL');
    let other = await freePort();
    while (other === port) other = await freePort();
    const { refusedMs, readyMs } = await restartUnderLoad(t, cluster, dataDir, other, (b) => { berth = b; });
    for (const w of (await registered(cluster)).values()) assert.equal(new URL(w.url).port, String(other), 'the registered URL follows the new port');
    expectOk(await cluster.request('DELETE', `/api/v1/namespaces/${ns}/pods/again?gracePeriodSeconds=0`), 'delete a pod');
    await eventually('the freed pod counted', async () => ((await createPod(cluster, ns, 'moved')).status === 201 ? true : undefined), 30_000, 100);
    assert.match(message(await createPod(cluster, ns, 'over-moved')), exceeded('over-moved', 2));
    const svc = expectOk(await createService(cluster, ns, 'web-moved'), 'create web-moved') as KubeObject;
    assert.ok(await allocatedByBerth(berth, svc), 'the nodePort is Berth\'s allocation');
    t.diagnostic(`other port: server ready ${readyMs.toFixed(0)} ms after the start began, first decision by Berth ${refusedMs.toFixed(0)} ms after it began`);
  });

  await t.test('with Ignore, creates in the tenant namespace go through unchecked while Berth is down', async () => {
    await must(berth.api, berth.token, 'PATCH', '/api/v1/clusters/c1', { settings: { webhookFailurePolicy: 'Ignore' } });
    await eventually('the webhooks registered with Ignore', async () => {
      const now = [...(await registered(cluster)).values()];
      return now.length === 2 && now.every((w) => w.failurePolicy === 'Ignore') ? true : undefined;
    }, 30_000);
    await stopBerth(berth, 'SIGKILL');
    const at = performance.now();
    expectOk(await createPod(cluster, ns, 'unchecked'), 'a pod over the tenant quota, unchecked');
    const podMs = performance.now() - at;
    const svc = expectOk(await createService(cluster, ns, 'unchecked'), 'a NodePort Service, port from the API server') as KubeObject;
    assert.ok((svc.spec as { ports: { nodePort: number }[] }).ports[0].nodePort > 0);
    t.diagnostic(`Ignore: a pod create with Berth down took ${podMs.toFixed(1)} ms`);
  });
}));
