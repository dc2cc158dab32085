// Berth's admission webhooks against a real kube-apiserver: the webhook configurations Berth
// renders are applied to a test cluster, a test policy is registered through the real
// AdmissionPolicies interface, and pods and services are created with the API server deciding.
// Shown: refusals carry the policy's words; namespaces without the tenant label and kube-system
// are never sent to Berth; a mutating patch lands; a dry run reaches the policy marked as such
// and stores nothing; Berth down with failurePolicy Fail refuses in tenant namespaces only, and
// Berth back is used again with no manual step; short-lived serving certificates are rotated
// under a working API server that keeps opening new connections.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { eventually, expectOk, createNamespace, startCluster, uniqueName, type Cluster } from '../clusters/index.ts';
import { kubectl } from './support.ts';
import { loadConfig } from '../../src/platform/config.ts';
import { startServer, type RunningServer } from '../../src/platform/server.ts';
import { jsonPointer, type AdmissionOrigin, type AdmissionPolicy, type AdmissionRequest } from '../../src/kube/index.ts';
import { berthWebhooks, renderWebhookConfigurations, TENANT_LABEL } from '../../src/tenancy/index.ts';

const REFUSE_LABEL = 'test-policy';
const MUTATED = 'test.berth.io/mutated';

// The test policy: refuses pods labelled test-policy=refuse, annotates every Service it is
// shown, and records every request it sees.
class TestPolicy implements AdmissionPolicy {
  readonly seen: AdmissionRequest[] = [];
  /** The cluster each review came from, by the object's name. */
  readonly origins = new Map<string, string | undefined>();
  async validate(req: AdmissionRequest, origin: AdmissionOrigin) {
    this.seen.push(req);
    this.origins.set(req.name ?? '', origin.cluster);
    const labels = (req.object?.metadata as { labels?: Record<string, string> } | undefined)?.labels ?? {};
    if (req.kind.kind === 'Pod' && labels[REFUSE_LABEL] === 'refuse') {
      return { allowed: false as const, message: `the test policy refuses pod ${req.name} in ${req.namespace}` };
    }
    return { allowed: true as const };
  }
  async mutate(req: AdmissionRequest) {
    this.seen.push(req);
    const annotations = (req.object?.metadata as { annotations?: Record<string, string> } | undefined)?.annotations;
    return {
      allowed: true as const,
      patch: annotations === undefined
        ? [{ op: 'add' as const, path: jsonPointer('metadata', 'annotations'), value: { [MUTATED]: 'true' } }]
        : [{ op: 'add' as const, path: jsonPointer('metadata', 'annotations', MUTATED), value: 'true' }],
    };
  }
}

// The default webhooks' rules, served by the test policy.
const testWebhooks = berthWebhooks.map((w) => ({ ...w, policy: 'test-policy' }));

function startBerth(dataDir: string, env: Record<string, string> = {}): Promise<RunningServer> {
  return startServer(loadConfig(['--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir], {
    BERTH_ADMIN_PASSWORD: 'admin-password-1', BERTH_WEBHOOK_PORT: '0', ...env,
  }), { logger: pino({ level: process.env.BERTH_TEST_LOG ?? 'silent' }) });
}

async function register(cluster: Cluster, berth: RunningServer): Promise<void> {
  const objects = renderWebhookConfigurations({
    url: berth.deps.admission.url, caPem: berth.deps.admission.caPem, cluster: 'test-cluster', settings: {}, webhooks: testWebhooks,
  });
  await kubectl(cluster, ['apply', '--server-side', '--field-manager=berth', '--force-conflicts', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));
}

function pod(name: string, labels: Record<string, string> = {}) {
  return {
    apiVersion: 'v1', kind: 'Pod', metadata: { name, labels },
    spec: { automountServiceAccountToken: false, containers: [{ name: 'app', image: 'busybox' }] },
  };
}

function service(name: string) {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { ports: [{ port: 80 }] } };
}

const createPod = (cluster: Cluster, ns: string, name: string, labels?: Record<string, string>) =>
  cluster.request('POST', `/api/v1/namespaces/${ns}/pods`, pod(name, labels));

describe('admission webhooks served by Berth, called by a real kube-apiserver', { timeout: 240_000 }, () => {
  let cluster: Cluster;
  let dataDir: string;
  let berth: RunningServer;
  let policy: TestPolicy;
  let tenantNs: string;
  let plainNs: string;

  before(async () => {
    cluster = await startCluster();
    dataDir = mkdtempSync(join(tmpdir(), 'berth-admission-'));
    berth = await startBerth(dataDir);
    policy = new TestPolicy();
    berth.deps.admission.policies.register('test-policy', policy);
    await register(cluster, berth);
    tenantNs = await createNamespace(cluster, { prefix: 'tenant', labels: { [TENANT_LABEL]: 'team-a' } });
    plainNs = await createNamespace(cluster, { prefix: 'plain' });
    // The API server loads webhook configurations from its informer: wait until it uses ours.
    await eventually('the webhooks in force', async () => {
      const r = await createPod(cluster, tenantNs, uniqueName('probe'), { [REFUSE_LABEL]: 'refuse' });
      return r.status === 403 ? true : undefined;
    });
  });
  after(async () => {
    await berth?.close();
    await cluster?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses a pod in a tenant namespace with the policy\'s words, and lets an allowed one through', async () => {
    const name = uniqueName('refused');
    const r = await createPod(cluster, tenantNs, name, { [REFUSE_LABEL]: 'refuse' });
    assert.equal(r.status, 403, JSON.stringify(r.body));
    assert.equal((r.body as any).message,
      `admission webhook "test-policy.admission.berth.io" denied the request: the test policy refuses pod ${name} in ${tenantNs}`);
    assert.ok(policy.seen.some((s) => s.name === name && s.operation === 'CREATE' && s.namespace === tenantNs && !s.dryRun));
    assert.equal(policy.origins.get(name), 'test-cluster', 'the webhook URL names the cluster that asks');
    expectOk(await createPod(cluster, tenantNs, uniqueName('allowed')), 'create an allowed pod');
  });

  it('never sends namespaces without the tenant label, nor kube-system, to Berth', async () => {
    const inPlain = uniqueName('plain');
    const inSystem = uniqueName('system');
    expectOk(await createPod(cluster, plainNs, inPlain, { [REFUSE_LABEL]: 'refuse' }), 'create in an unlabelled namespace');
    expectOk(await createPod(cluster, 'kube-system', inSystem, { [REFUSE_LABEL]: 'refuse' }), 'create in kube-system');
    // Even labelled as a tenant's, kube-system is exempt: a webhook outage must never stop the control plane.
    await kubectl(cluster, ['label', 'namespace', 'kube-system', `${TENANT_LABEL}=team-a`]);
    const labelledSystem = uniqueName('system');
    try {
      expectOk(await createPod(cluster, 'kube-system', labelledSystem, { [REFUSE_LABEL]: 'refuse' }), 'create in a labelled kube-system');
    } finally {
      await kubectl(cluster, ['label', 'namespace', 'kube-system', `${TENANT_LABEL}-`]);
    }
    assert.ok(!policy.seen.some((s) => [inPlain, inSystem, labelledSystem].includes(s.name ?? '')), 'the policy saw a request it should not have');
    for (const name of [inSystem, labelledSystem]) await cluster.request('DELETE', `/api/v1/namespaces/kube-system/pods/${name}`);
  });

  it('applies a mutating patch in tenant namespaces only', async () => {
    const mutated = expectOk(await cluster.request('POST', `/api/v1/namespaces/${tenantNs}/services`, service(uniqueName('svc'))), 'create a Service') as any;
    assert.equal(mutated.metadata.annotations?.[MUTATED], 'true');
    const plain = expectOk(await cluster.request('POST', `/api/v1/namespaces/${plainNs}/services`, service(uniqueName('svc'))), 'create a Service') as any;
    assert.equal(plain.metadata.annotations?.[MUTATED], undefined);
  });

  it('passes a dry run to the policy as one, and nothing is stored', async () => {
    const name = uniqueName('dry');
    await kubectl(cluster, ['create', '--dry-run=server', '-n', tenantNs, '-o', 'name', '-f', '-'], JSON.stringify(pod(name)));
    const seen = policy.seen.filter((s) => s.name === name);
    assert.equal(seen.length, 1, 'the dry run reached the policy once');
    assert.equal(seen[0].dryRun, true);
    assert.equal((await cluster.request('GET', `/api/v1/namespaces/${tenantNs}/pods/${name}`)).status, 404);
  });

  it('with Berth down and failurePolicy Fail, tenant namespaces refuse and kube-system works; Berth back is used again unaided', async () => {
    const port = new URL(berth.deps.admission.url).port;
    await berth.close();
    const down = await createPod(cluster, tenantNs, uniqueName('down'));
    assert.equal(down.status, 500, JSON.stringify(down.body));
    const message = String((down.body as any).message);
    assert.match(message, /failed calling webhook "test-policy\.admission\.berth\.io"/);
    assert.match(message, /connection refused/);
    const inSystem = uniqueName('system');
    expectOk(await createPod(cluster, 'kube-system', inSystem), 'create in kube-system while Berth is down');
    await cluster.request('DELETE', `/api/v1/namespaces/kube-system/pods/${inSystem}`);

    // Same data folder (so the same CA) and the same port: the registered webhooks stay valid.
    berth = await startBerth(dataDir, { BERTH_WEBHOOK_PORT: port });
    berth.deps.admission.policies.register('test-policy', policy);
    const back = uniqueName('back');
    expectOk(await createPod(cluster, tenantNs, back), 'create once Berth is back');
    assert.ok(policy.seen.some((s) => s.name === back), 'the restarted Berth decided');
  });

  it('keeps answering across serving-certificate rotations', async () => {
    await berth.close();
    // Certificates live 6 s (renewed after 4: a 2 s margin for a loaded machine); idle keep-alive connections are closed after 1 s
    // (plus Node's 1 s keepAliveTimeoutBuffer) and creates come 2.5 s apart, so the API server
    // makes a new TLS handshake for each of them.
    berth = await startBerth(dataDir, { BERTH_WEBHOOK_CERT_LIFETIME: '6', BERTH_KEEPALIVE_TIMEOUT: '1' });
    berth.deps.admission.policies.register('test-policy', policy);
    await register(cluster, berth);
    await eventually('the new URL in force', async () => {
      const r = await createPod(cluster, tenantNs, uniqueName('probe'), { [REFUSE_LABEL]: 'refuse' });
      return r.status === 403 ? true : undefined;
    });
    const serials = new Set<string>();
    const until = Date.now() + 14_000;
    while (Date.now() < until) {
      serials.add(berth.deps.admission.certificate().serial);
      const name = uniqueName('rot');
      const r = await createPod(cluster, tenantNs, name, { [REFUSE_LABEL]: 'refuse' });
      assert.equal(r.status, 403, `during rotation, serving ${berth.deps.admission.certificate().serial} until ${berth.deps.admission.certificate().validity.notAfter.toISOString()}: ${JSON.stringify(r.body)}`);
      assert.match(String((r.body as any).message), /denied the request: the test policy refuses/);
      await sleep(2_500);
    }
    assert.ok(serials.size >= 3, `expected at least 3 serving certificates in 14 s, saw ${serials.size}`);
  });
});
