// The tenant-quota admission webhook, on a real test control plane with Berth in this process.
//
// 1. Added latency: pods created through kube-apiserver at a steady rate (100 creates/s for
//    10 s, from a worker thread), in a plain namespace that Berth's webhooks do not cover and in
//    a tenant namespace they do, taking turns for BENCH_ROUNDS rounds (default 3) so that both
//    see the same moments of a 2-core machine shared with the API server and etcd. The plain
//    namespace gets copies of the tenant namespace's ResourceQuota and LimitRange first, so that
//    the API server's own admission does the same work in both and the difference is the
//    webhook round trips. Goal: p99 added < 10 ms (the median over rounds). Also printed: how
//    long Berth's event loop was held up and this process's CPU time per create.
// 2. Handler throughput: one fixed AdmissionReview (a dry-run pod create in the tenant
//    namespace: the whole decision runs, tenant found and quota checked, but a dry run reserves
//    nothing, so every request does the same work) posted straight to Berth's admission listener
//    with autocannon. Peer, in the same run and the same process: a bare Fastify HTTPS route with
//    the same serving certificate and key answering the AdmissionReview response Berth gave.
//    autocannon runs in a worker thread so it does not share the servers' event loop.
//    Goal: Berth reaches at least half the bare route's requests/s.
//
// Run: node bench/admission.ts   (BENCH_SECONDS=5 for the throughput part)
import { request as httpsRequest } from 'node:https';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import autocannon from 'autocannon';
import Fastify from 'fastify';
import { eventually, expectOk, startClusters, type Cluster } from '../test/clusters/index.ts';
import { startTestServer } from '../test/support/server.ts';
import { must, registerCluster } from '../test/tenancy/support.ts';
import { listReservations } from '../src/tenancy/index.ts';
import type { PacedLoad, PacedResult } from './admission-load.ts';

const rate = 100;
const paceSeconds = 10;
const paceRounds = Number(process.env.BENCH_ROUNDS ?? 3);
const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const connections = 20;
const tenantNs = 'bench-jobs';
const plainNs = 'bench-plain';

const pod = (name: string) => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name },
  spec: { automountServiceAccountToken: false, containers: [{ name: 'app', image: 'busybox', resources: { requests: { cpu: '1m', memory: '1Mi' }, limits: { cpu: '1m', memory: '1Mi' } } }] },
});

const quantile = (sorted: readonly number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

interface Paced { readonly p50: number; readonly p99: number; readonly failed: number; readonly loopP99: number; readonly loopMax: number; readonly cpuPerCreate: number }

/** Creates rate×paceSeconds pods in `ns` on a fixed schedule, from a worker thread, not waiting for one to start the next. */
async function paced(cluster: Cluster, ns: string, round: number): Promise<Paced> {
  const data: PacedLoad = {
    server: cluster.server, caCert: cluster.pki.caCert, adminCert: cluster.pki.adminCert, adminKey: cluster.pki.adminKey,
    namespace: ns, prefix: `r${round}`, rate, seconds: paceSeconds,
  };
  // How long this process's event loop (Berth's) was held up meanwhile: a blocked loop delays every answer.
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const cpu = process.cpuUsage();
  const worker = new Worker(new URL('./admission-load.ts', import.meta.url), { workerData: data });
  const result = await new Promise<PacedResult>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  const used = process.cpuUsage(cpu);
  await worker.terminate();
  loop.disable();
  if (result.firstFailure !== undefined) console.error(`${ns}: ${result.failed} creates failed, the first: ${result.firstFailure}`);
  const latencies = [...result.latencies].sort((a, b) => a - b);
  return { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), failed: result.failed, loopP99: loop.percentile(99) / 1e6, loopMax: loop.max / 1e6, cpuPerCreate: (used.user + used.system) / 1000 / result.latencies.length };
}

async function load(url: string, body: string, ca: string): Promise<{ rps: number; p99: number; errors: number }> {
  const r = await autocannon({
    url, connections, duration: seconds, method: 'POST', workers: 1,
    headers: { 'content-type': 'application/json' }, body, tlsOptions: { ca },
  });
  return { rps: r.requests.average, p99: r.latency.p99, errors: r.errors + r.timeouts + r.non2xx };
}

/** One POST over HTTPS trusting `ca` (fetch has no per-request CA); returns the body. */
function postOnce(url: string, body: string, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { method: 'POST', ca, headers: { 'content-type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const [cluster] = await startClusters(1);
const s = await startTestServer('sqlite');
try {
  const admin = await s.login();
  await registerCluster(s, admin, 'bench', cluster);
  await must(s, admin, 'POST', '/api/v1/tenants', { name: 'bench', clusters: ['bench'], quota: { pods: '100000' } });
  await must(s, admin, 'POST', '/api/v1/tenants/bench/namespaces', { name: tenantNs, cluster: 'bench' });
  await eventually('the webhook answers for the tenant namespace', async () => {
    const hook = await cluster.request('GET', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/berth-admission');
    if (hook.status !== 200) return undefined;
    return (await cluster.request('POST', `/api/v1/namespaces/${tenantNs}/pods?dryRun=All`, pod('probe'))).status === 201 ? true : undefined;
  }, 60_000);

  expectOk(await cluster.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: plainNs } }), 'plain namespace');
  for (const kind of ['resourcequotas', 'limitranges']) {
    const items = (expectOk(await cluster.request('GET', `/api/v1/namespaces/${tenantNs}/${kind}`), kind) as { items: { kind?: string; metadata: { name: string }; spec: unknown }[] }).items;
    for (const o of items) {
      expectOk(await cluster.request('POST', `/api/v1/namespaces/${plainNs}/${kind}`, { apiVersion: 'v1', kind: kind === 'resourcequotas' ? 'ResourceQuota' : 'LimitRange', metadata: { name: o.metadata.name }, spec: o.spec }), `copy ${kind}`);
    }
  }

  // The two namespaces take turns, several rounds, so both see the same moments of a machine
  // whose other tenants (the API server, etcd, the load generator) share its two cores.
  const rounds: { without: Paced; withHooks: Paced }[] = [];
  for (let r = 0; r < paceRounds; r++) rounds.push({ without: await paced(cluster, plainNs, r), withHooks: await paced(cluster, tenantNs, r) });
  const outstanding = (await listReservations(s.server.deps.db.kysely, 'bench')).length;
  console.error(`reservations outstanding right after the paced run: ${outstanding}`);

  const admission = s.server.deps.admission;
  const review = JSON.stringify({
    apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview',
    request: {
      uid: '00000000-0000-0000-0000-00000000be17', kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' }, requestKind: { group: '', version: 'v1', kind: 'Pod' },
      requestResource: { group: '', version: 'v1', resource: 'pods' }, name: 'bench-pod', namespace: tenantNs, operation: 'CREATE',
      userInfo: { username: 'bench', groups: ['system:authenticated'] }, object: { ...pod('bench-pod'), metadata: { name: 'bench-pod', namespace: tenantNs } },
      oldObject: null, dryRun: true, options: { apiVersion: 'meta.k8s.io/v1', kind: 'CreateOptions' },
    },
  });
  const hookUrl = `${admission.url}/admission/validate/tenant-quota/bench`;
  const answerBody = await postOnce(hookUrl, review, admission.caPem);
  if (!(JSON.parse(answerBody) as { response?: { allowed?: boolean } }).response?.allowed) throw new Error(`the review was not allowed: ${answerBody}`);

  const cert = admission.certificate();
  const bare = Fastify({ logger: false, https: { cert: cert.certPem, key: cert.keyPem, minVersion: 'TLSv1.2' } });
  bare.post('/admission/validate/bare', async (_req, reply) => reply.type('application/json; charset=utf-8').send(answerBody));
  await bare.listen({ host: '127.0.0.1', port: 0 });
  const addr = bare.server.address();
  const bareUrl = `https://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/admission/validate/bare`;
  let peer;
  let berth;
  try {
    peer = await load(bareUrl, review, admission.caPem);
    berth = await load(hookUrl, review, admission.caPem);
  } finally {
    await bare.close();
  }

  console.log(`\nAdmission benchmark: one test control plane, Berth in process (SQLite)\n`);
  console.log(`pod creates at ${rate}/s for ${paceSeconds} s through kube-apiserver, ${paceRounds} rounds, the namespaces taking turns:`);
  const row = (name: string, p: Paced) => console.log(`${name.padEnd(34)} ${p.p50.toFixed(1).padStart(8)} ${p.p99.toFixed(1).padStart(8)} ${String(p.failed).padStart(7)} ${p.loopP99.toFixed(1).padStart(10)} ${p.loopMax.toFixed(1).padStart(10)} ${p.cpuPerCreate.toFixed(2).padStart(9)}`);
  console.log(`${'namespace'.padEnd(34)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'failed'.padStart(7)} ${'loop p99'.padStart(10)} ${'loop max'.padStart(10)} ${'cpu ms'.padStart(9)}`);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  for (const [r, { without, withHooks }] of rounds.entries()) {
    row(`round ${r + 1}: plain (no webhooks, peer)`, without);
    row(`round ${r + 1}: tenant (Berth webhooks)`, withHooks);
  }
  console.log('(loop: how long Berth\'s event loop was held up during the run, ms; cpu: this process\'s CPU time per create, the load generator\'s thread included in both rows)');
  console.log(`Berth's own CPU per admitted create (median of rounds): ${median(rounds.map((x) => x.withHooks.cpuPerCreate - x.without.cpuPerCreate)).toFixed(2)} ms`);
  console.log(`added per round: p50 ${rounds.map((x) => (x.withHooks.p50 - x.without.p50).toFixed(1)).join(', ')} ms; p99 ${rounds.map((x) => (x.withHooks.p99 - x.without.p99).toFixed(1)).join(', ')} ms`);
  const added = median(rounds.map((x) => x.withHooks.p99 - x.without.p99));
  console.log(`added (median of rounds): p50 ${median(rounds.map((x) => x.withHooks.p50 - x.without.p50)).toFixed(1)} ms, p99 ${added.toFixed(1)} ms`);
  console.log(`goal: p99 added < 10 ms at ${rate} creates/s: ${added < 10 ? 'MET' : 'NOT MET'}\n`);
  console.log(`webhook handler, one dry-run AdmissionReview, HTTPS, concurrency ${connections}, ${seconds} s each:`);
  console.log(`${'case'.padEnd(34)} ${'req/s'.padStart(9)} ${'p99 ms'.padStart(8)} ${'errors'.padStart(7)}`);
  console.log(`${'bare Fastify HTTPS route (peer)'.padEnd(34)} ${peer.rps.toFixed(0).padStart(9)} ${peer.p99.toFixed(1).padStart(8)} ${String(peer.errors).padStart(7)}`);
  console.log(`${'Berth tenant-quota webhook'.padEnd(34)} ${berth.rps.toFixed(0).padStart(9)} ${berth.p99.toFixed(1).padStart(8)} ${String(berth.errors).padStart(7)}`);
  const ratio = berth.rps / peer.rps;
  console.log(`goal: at least 0.50 of the bare route: ${ratio.toFixed(2)} ${ratio >= 0.5 ? 'MET' : 'NOT MET'}`);
} finally {
  await s.close();
  await cluster.stop();
}
