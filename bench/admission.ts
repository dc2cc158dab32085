// The tenant-quota admission webhook, on a real test control plane with Berth as its own
// process (`berth server`, SQLite, as `npm start` runs it), configured through its API.
//
// 1. Added latency: pods created through kube-apiserver at a steady 100 creates/s from a worker
//    thread, in a plain namespace that Berth's webhooks do not cover and in a tenant namespace
//    they do, taking turns of one second, so that both see the same moments of a 2-core machine
//    shared with the API server and etcd; BENCH_ROUNDS rounds (default 5) of 20 s after a
//    warm-up. The plain namespace gets copies of the tenant namespace's ResourceQuota and
//    LimitRange first, so that the API server's own admission does the same work in both and
//    the difference is the webhook round trips. The pods name a scheduler that does not run, so
//    no scheduler writes conditions on them (there are no nodes): that would be load on the API
//    server and etcd that has nothing to do with admission. Goal: p99 added < 10 ms (the median
//    over rounds). Also printed: how long Berth's event loop was held up (its own /metrics) and
//    Berth's CPU time per create (/proc), with and without its webhooks.
// 2. Handler throughput: one fixed AdmissionReview (a dry-run pod create in the tenant
//    namespace: the whole decision runs, tenant found and quota checked, but a dry run reserves
//    nothing, so every request does the same work) posted straight to Berth's admission listener
//    with autocannon. Peer, in the same run: a bare Fastify HTTPS route (admission-peer.ts, a
//    process of its own like Berth) with a serving certificate of the same kind (ECDSA P-256,
//    issued by the same code) answering the AdmissionReview response Berth gave. autocannon
//    runs in a worker thread of this process.
//    Goal: Berth reaches at least half the bare route's requests/s.
//
// Run: node bench/admission.ts   (BENCH_ROUNDS=5 latency rounds, BENCH_SECONDS=5 a throughput run,
// BENCH_PARTS=latency,throughput; for profiling: BENCH_SERVER_NODE_ARGS and BENCH_PEER_NODE_ARGS
// pass node flags to Berth and the peer, BENCH_SERVER_LOG=FILE keeps Berth's output)
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { Worker } from 'node:worker_threads';
import autocannon from 'autocannon';
import { eventually, expectOk, startClusters, type Cluster } from '../test/clusters/index.ts';
import { spawnServer, spawnedApi } from '../test/support/spawn.ts';
import { adminKubeconfig, must } from '../test/tenancy/support.ts';
import { issueCa, issueServing } from '../src/platform/tls/certificates.ts';
import { caValidity, servingValidity } from '../src/platform/tls/validity.ts';
import type { PacedLoad, PacedResult } from './admission-load.ts';

const rate = 100;
const paceSeconds = 10;
const paceRounds = Number(process.env.BENCH_ROUNDS ?? 5);
const warmSeconds = 3;
const slotSeconds = 1;
const cpuSeconds = 5;
const throughputRuns = 3;
const loopResolutionMs = 10;
const seconds = Number(process.env.BENCH_SECONDS ?? 5);
/** Which parts run (BENCH_PARTS, comma-separated): latency, throughput. */
const parts = new Set((process.env.BENCH_PARTS ?? 'latency,throughput').split(','));
const connections = 20;
const tenantNs = 'bench-jobs';
const plainNs = 'bench-plain';

const pod = (name: string) => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name },
  spec: { automountServiceAccountToken: false, schedulerName: 'bench-unscheduled', containers: [{ name: 'app', image: 'busybox', resources: { requests: { cpu: '1m', memory: '1Mi' }, limits: { cpu: '1m', memory: '1Mi' } } }] },
});

const quantile = (sorted: readonly number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

/** One namespace's creates in a paced run. */
interface Latency { readonly p50: number; readonly p99: number; readonly failed: number }

/** A paced run: each namespace's latencies, how long Berth's event loop was held up, Berth's CPU per create (ms). */
interface Paced { readonly byNamespace: Record<string, Latency>; readonly loopP99: number; readonly loopMax: number; readonly cpuPerCreate: number }

/** The Berth process under test: its pid (for /proc) and base URL (for /metrics). */
interface Target { readonly pid: number; readonly url: string }

/** CPU time (user + system) the process `pid` has used so far, ms. */
function cpuMs(pid: number): number {
  // /proc/<pid>/stat: utime and stime are fields 14 and 15, in clock ticks (100 per second here);
  // the command name (field 2) is in parentheses and may hold spaces, so count from after it.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Reads gauges off Berth's /metrics. prom-client starts its event-loop delay histogram afresh after each scrape. */
async function scrape(url: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^(berth_nodejs_eventloop_lag_(?:p99|max)_seconds) ([0-9.e+-]+)$/.exec(line);
    if (m) out.set(m[1], Number(m[2]));
  }
  return out;
}

/**
 * Creates `rate` pods a second for `seconds` on a fixed schedule from a worker thread, not
 * waiting for one to start the next, the namespaces taking turns of `slotSeconds`.
 */
async function paced(cluster: Cluster, target: Target, namespaces: readonly string[], prefix: string, seconds: number, slotSeconds = seconds): Promise<Paced> {
  const data: PacedLoad = {
    server: cluster.server, caCert: cluster.pki.caCert, adminCert: cluster.pki.adminCert, adminKey: cluster.pki.adminKey,
    namespaces, prefix, rate, seconds, slotSeconds,
  };
  await scrape(target.url);
  const cpu = cpuMs(target.pid);
  const worker = new Worker(new URL('./admission-load.ts', import.meta.url), { workerData: data });
  const result = await new Promise<PacedResult>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  const used = cpuMs(target.pid) - cpu;
  // How long Berth's event loop was held up meanwhile: a blocked loop delays every answer.
  const loop = await scrape(target.url);
  await worker.terminate();
  const byNamespace: Record<string, Latency> = {};
  for (const [ns, r] of Object.entries(result.byNamespace)) {
    if (r.firstFailure !== undefined) console.error(`${ns}: ${r.failed} creates failed, the first: ${r.firstFailure}`);
    const sorted = [...r.latencies].sort((x, y) => x - y);
    byNamespace[ns] = { p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), failed: r.failed };
  }
  return {
    byNamespace,
    // prom-client samples the loop every 10 ms and records each whole interval: the delay is what exceeds it.
    loopP99: (loop.get('berth_nodejs_eventloop_lag_p99_seconds') ?? NaN) * 1000 - loopResolutionMs,
    loopMax: (loop.get('berth_nodejs_eventloop_lag_max_seconds') ?? NaN) * 1000 - loopResolutionMs,
    cpuPerCreate: used / (rate * seconds),
  };
}

interface Throughput { readonly rps: number; readonly p99: number; readonly errors: number; readonly cpuUs: number }

/** Loads `url` for `seconds` and measures the server process `pid`'s CPU time per answer. */
async function load(url: string, body: string, ca: string, pid: number, duration = seconds): Promise<Throughput> {
  const cpu = cpuMs(pid);
  const r = await autocannon({
    url, connections, duration, method: 'POST', workers: 1,
    headers: { 'content-type': 'application/json' }, body, tlsOptions: { ca },
  });
  return { rps: r.requests.average, p99: r.latency.p99, errors: r.errors + r.timeouts + r.non2xx, cpuUs: (cpuMs(pid) - cpu) * 1000 / r.requests.total };
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

const password = 'bench-admin-password';
const [cluster] = await startClusters(1);
const dataDir = await mkdtemp(join(tmpdir(), 'berth-bench-admission-'));
const proc = await spawnServer({ dataDir, env: { BERTH_ADMIN_PASSWORD: password }, nodeArgs: process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) });
const target: Target = { pid: proc.child.pid!, url: proc.url };
try {
  const s = spawnedApi(proc);
  const admin = (await must(s, '', 'POST', '/api/v1/login', { username: 'admin', password })).token as string;
  await must(s, admin, 'POST', '/api/v1/clusters', { name: 'bench', kubeconfig: adminKubeconfig(cluster) });
  await must(s, admin, 'POST', '/api/v1/tenants', { name: 'bench', clusters: ['bench'], quota: { pods: '100000' } });
  await must(s, admin, 'POST', '/api/v1/tenants/bench/namespaces', { name: tenantNs, cluster: 'bench' });
  const hook = await eventually('the webhook answers for the tenant namespace', async () => {
    const r = await cluster.request('GET', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/berth-admission');
    if (r.status !== 200) return undefined;
    if ((await cluster.request('POST', `/api/v1/namespaces/${tenantNs}/pods?dryRun=All`, pod('probe'))).status !== 201) return undefined;
    const quota = (r.body as { webhooks: { name: string; clientConfig: { url: string; caBundle: string } }[] }).webhooks.find((w) => w.name.startsWith('tenant-quota.'));
    return quota && { url: quota.clientConfig.url, caPem: Buffer.from(quota.clientConfig.caBundle, 'base64').toString('utf8') };
  }, 60_000);

  expectOk(await cluster.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: plainNs } }), 'plain namespace');
  for (const kind of ['resourcequotas', 'limitranges']) {
    const items = (expectOk(await cluster.request('GET', `/api/v1/namespaces/${tenantNs}/${kind}`), kind) as { items: { kind?: string; metadata: { name: string }; spec: unknown }[] }).items;
    for (const o of items) {
      expectOk(await cluster.request('POST', `/api/v1/namespaces/${plainNs}/${kind}`, { apiVersion: 'v1', kind: kind === 'resourcequotas' ? 'ResourceQuota' : 'LimitRange', metadata: { name: o.metadata.name }, spec: o.spec }), `copy ${kind}`);
    }
  }

  const rounds: Paced[] = [];
  let cpuPlain = NaN;
  let cpuTenant = NaN;
  if (parts.has('latency')) {
    // First a warm-up, not counted, so that no round pays for compiling hot code, preparing
    // statements or opening the API server's connections to Berth.
    await paced(cluster, target, [plainNs, tenantNs], 'warm', 2 * warmSeconds, warmSeconds);
    // The rounds: the namespaces take turns of a second, so both see the same moments of a machine
    // whose other tenants (the API server, etcd, the load generator) share its two cores.
    for (let r = 0; r < paceRounds; r++) {
      rounds.push(await paced(cluster, target, r % 2 === 0 ? [plainNs, tenantNs] : [tenantNs, plainNs], `r${r}`, 2 * paceSeconds, slotSeconds));
    }
    // Berth's CPU per create, each namespace alone: a plain pod costs Berth only its watch events.
    cpuPlain = (await paced(cluster, target, [plainNs], 'cpu', cpuSeconds)).cpuPerCreate;
    cpuTenant = (await paced(cluster, target, [tenantNs], 'cpu', cpuSeconds)).cpuPerCreate;
    // Every create reserved; the watchers release each reservation when they see its pod.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const db = new DatabaseSync(join(dataDir, 'berth.db'), { readOnly: true });
    const outstanding = (db.prepare('SELECT count(*) AS n FROM tenancy_quota_reservations').get() as { n: number }).n;
    db.close();
    console.error(`reservations outstanding 2 s after the paced run: ${outstanding}`);
  }

  const peerRuns: Throughput[] = [];
  const berthRuns: Throughput[] = [];
  if (parts.has('throughput')) {
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
    const answerBody = await postOnce(hook.url, review, hook.caPem);
    if (!(JSON.parse(answerBody) as { response?: { allowed?: boolean } }).response?.allowed) throw new Error(`the review was not allowed: ${answerBody}`);

    const now = new Date();
    const ca = await issueCa('bench peer CA', caValidity(now));
    const cert = await issueServing(ca, { dns: [], ips: ['127.0.0.1'] }, servingValidity(now, 24 * 3600 * 1000, ca.validity.notAfter));
    const bare = spawn(process.execPath, [...(process.env.BENCH_PEER_NODE_ARGS?.split(' ').filter(Boolean) ?? []), new URL('./admission-peer.ts', import.meta.url).pathname], {
      stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, BENCH_PEER: JSON.stringify({ certPem: cert.certPem, keyPem: cert.keyPem, body: answerBody }) },
    });
    const [line] = await once(bare.stdout, 'data') as [Buffer];
    const bareUrl = `https://127.0.0.1:${Number(line.toString('utf8').trim())}/admission/validate/bare`;
    // A warm-up run of each, not counted (the first seconds compile the hot code), then three runs
    // each, taking turns, so that a busier moment of the machine does not fall on one only; the
    // median run counts.
    try {
      await load(bareUrl, review, ca.certPem, bare.pid!);
      await load(hook.url, review, hook.caPem, target.pid);
      for (let i = 0; i < throughputRuns; i++) {
        peerRuns.push(await load(bareUrl, review, ca.certPem, bare.pid!));
        berthRuns.push(await load(hook.url, review, hook.caPem, target.pid));
      }
    } finally {
      bare.kill('SIGTERM');
      await once(bare, 'exit');
    }
  }

  console.log(`\nAdmission benchmark: one test control plane, Berth as its own process (SQLite)\n`);
  if (parts.has('latency')) {
    console.log(`pod creates at ${rate}/s through kube-apiserver, ${paceRounds} rounds of ${2 * paceSeconds} s, the namespaces taking turns of ${slotSeconds} s:`);
    console.log(`${'round'.padEnd(6)} ${'plain p50'.padStart(10)} ${'p99'.padStart(7)} ${'tenant p50'.padStart(11)} ${'p99'.padStart(7)} ${'added p50'.padStart(10)} ${'p99'.padStart(7)} ${'failed'.padStart(7)} ${'loop p99'.padStart(9)} ${'max'.padStart(7)} ${'cpu ms'.padStart(7)}`);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const addedP50 = rounds.map((x) => x.byNamespace[tenantNs].p50 - x.byNamespace[plainNs].p50);
    const addedP99 = rounds.map((x) => x.byNamespace[tenantNs].p99 - x.byNamespace[plainNs].p99);
    for (const [r, x] of rounds.entries()) {
      const [p, t] = [x.byNamespace[plainNs], x.byNamespace[tenantNs]];
      const f = (v: number, w: number) => v.toFixed(1).padStart(w);
      console.log(`${String(r + 1).padEnd(6)} ${f(p.p50, 10)} ${f(p.p99, 7)} ${f(t.p50, 11)} ${f(t.p99, 7)} ${f(addedP50[r], 10)} ${f(addedP99[r], 7)} ${String(p.failed + t.failed).padStart(7)} ${f(x.loopP99, 9)} ${f(x.loopMax, 7)} ${x.cpuPerCreate.toFixed(2).padStart(7)}`);
  }
  console.log('(ms; plain: a namespace Berth\'s webhooks do not cover, the peer; loop: how long Berth\'s event loop was held up; cpu: Berth\'s CPU time per create of either namespace)');
  console.log(`Berth's CPU per create, each namespace alone for ${cpuSeconds} s: plain ${cpuPlain.toFixed(2)} ms (its watch events), tenant ${cpuTenant.toFixed(2)} ms, the webhook's share ${(cpuTenant - cpuPlain).toFixed(2)} ms`);
  const added = median(addedP99);
  console.log(`added (median of rounds): p50 ${median(addedP50).toFixed(1)} ms, p99 ${added.toFixed(1)} ms`);
  console.log(`goal: p99 added < 10 ms at ${rate} creates/s: ${added < 10 ? 'MET' : 'NOT MET'}\n`);
  }
  if (parts.has('throughput')) {
    console.log(`webhook handler, one dry-run AdmissionReview, HTTPS, concurrency ${connections}, ${seconds} s a run, ${throughputRuns} runs each taking turns after a warm-up, the median run (cpu: the server process's CPU time per answer):`);
    console.log(`${'case'.padEnd(34)} ${'req/s'.padStart(9)} ${'runs'.padStart(21)} ${'p99 ms'.padStart(8)} ${'errors'.padStart(7)} ${'cpu µs/req'.padStart(11)}`);
    const row = (name: string, xs: readonly Throughput[]) => {
      const m = [...xs].sort((a, b) => a.rps - b.rps)[Math.floor(xs.length / 2)];
      console.log(`${name.padEnd(34)} ${m.rps.toFixed(0).padStart(9)} ${xs.map((x) => x.rps.toFixed(0)).join(', ').padStart(21)} ${m.p99.toFixed(1).padStart(8)} ${String(xs.reduce((a, x) => a + x.errors, 0)).padStart(7)} ${m.cpuUs.toFixed(0).padStart(11)}`);
      return m.rps;
    };
    const ratio = row('Berth tenant-quota webhook', berthRuns) / row('bare Fastify HTTPS route (peer)', peerRuns);
    console.log(`goal: at least 0.50 of the bare route: ${ratio.toFixed(2)} ${ratio >= 0.5 ? 'MET' : 'NOT MET'}`);
  }
} finally {
  proc.child.kill('SIGTERM');
  await proc.exited;
  if (process.env.BENCH_SERVER_LOG) writeFileSync(process.env.BENCH_SERVER_LOG, proc.output());
  await cluster.stop();
  await rm(dataDir, { recursive: true, force: true });
}
