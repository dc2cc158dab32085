// The paced pod creates of bench/admission.ts, in a worker thread of their own so that the load
// generator does not share the event loop of the process that measures (in production the API
// server's callers are elsewhere). One keep-alive agent with the cluster's admin certificate.
//
// The creates go to the namespaces in turn, a slot of `slotSeconds` each, at `rate` per second
// throughout: both namespaces see the same moments of the machine (its other tenants, the API
// server's and etcd's garbage collection), which longer turns would give to one of them only.
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';

/** What the worker is given. */
export interface PacedLoad {
  readonly server: string;
  readonly caCert: string;
  readonly adminCert: string;
  readonly adminKey: string;
  /** The namespaces, taking turns in this order. */
  readonly namespaces: readonly string[];
  /** Put before each pod's number, so rounds do not collide. */
  readonly prefix: string;
  readonly rate: number;
  /** How long the whole run lasts. */
  readonly seconds: number;
  /** How long each namespace's turn lasts. */
  readonly slotSeconds: number;
}

/** What it answers, per namespace: each create's latency (ms, in schedule order) and how many were not 201. */
export interface PacedResult {
  readonly byNamespace: Record<string, { readonly latencies: number[]; failed: number; firstFailure?: string }>;
}

const load = workerData as PacedLoad;
const agent = new Agent({ keepAlive: true, ca: readFileSync(load.caCert), cert: readFileSync(load.adminCert), key: readFileSync(load.adminKey) });

function create(namespace: string, name: string): Promise<{ status: number; body: string }> {
  const payload = JSON.stringify({
    apiVersion: 'v1', kind: 'Pod', metadata: { name },
    // No scheduler serves this name, so the pods stay pending untouched: without nodes the
    // default scheduler would write an Unschedulable condition on every pod, work for the API
    // server and etcd that has nothing to do with admission.
    spec: { automountServiceAccountToken: false, schedulerName: 'bench-unscheduled', containers: [{ name: 'app', image: 'busybox', resources: { requests: { cpu: '1m', memory: '1Mi' }, limits: { cpu: '1m', memory: '1Mi' } } }] },
  });
  return new Promise((resolve, reject) => {
    const req = request(`${load.server}/api/v1/namespaces/${namespace}/pods`, {
      method: 'POST', agent, headers: { accept: 'application/json', 'content-type': 'application/json' },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

const count = load.rate * load.seconds;
const perSlot = load.rate * load.slotSeconds;
const byNamespace: PacedResult['byNamespace'] = {};
for (const ns of load.namespaces) byNamespace[ns] = { latencies: [], failed: 0 };
const t0 = performance.now();
const runs: Promise<void>[] = [];
for (let i = 0; i < count; i++) {
  const wait = t0 + (i * 1000) / load.rate - performance.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  const ns = load.namespaces[Math.floor(i / perSlot) % load.namespaces.length];
  const out = byNamespace[ns];
  runs.push((async () => {
    const start = performance.now();
    const r = await create(ns, `${load.prefix}-${i}`);
    out.latencies.push(performance.now() - start);
    if (r.status !== 201) {
      out.failed++;
      out.firstFailure ??= `${r.status} ${r.body.slice(0, 300)}`;
    }
  })());
}
await Promise.all(runs);
agent.destroy();
parentPort?.postMessage({ byNamespace } satisfies PacedResult);
