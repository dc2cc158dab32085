// The paced pod creates of bench/admission.ts, in a worker thread of their own so that the load
// generator does not share the event loop of the Berth server it measures (in production the API
// server's callers are elsewhere). One keep-alive agent with the cluster's admin certificate.
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
  readonly namespace: string;
  /** Put before each pod's number, so rounds do not collide. */
  readonly prefix: string;
  readonly rate: number;
  readonly seconds: number;
}

/** What it answers: each create's latency (ms, in schedule order) and how many were not 201. */
export interface PacedResult {
  readonly latencies: number[];
  readonly failed: number;
  readonly firstFailure?: string;
}

const load = workerData as PacedLoad;
const agent = new Agent({ keepAlive: true, ca: readFileSync(load.caCert), cert: readFileSync(load.adminCert), key: readFileSync(load.adminKey) });

function create(name: string): Promise<{ status: number; body: string }> {
  const payload = JSON.stringify({
    apiVersion: 'v1', kind: 'Pod', metadata: { name },
    spec: { automountServiceAccountToken: false, containers: [{ name: 'app', image: 'busybox', resources: { requests: { cpu: '1m', memory: '1Mi' }, limits: { cpu: '1m', memory: '1Mi' } } }] },
  });
  return new Promise((resolve, reject) => {
    const req = request(`${load.server}/api/v1/namespaces/${load.namespace}/pods`, {
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
const latencies: number[] = new Array<number>(count);
let failed = 0;
let firstFailure: string | undefined;
const t0 = performance.now();
const runs: Promise<void>[] = [];
for (let i = 0; i < count; i++) {
  const wait = t0 + (i * 1000) / load.rate - performance.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  runs.push((async () => {
    const start = performance.now();
    const r = await create(`${load.prefix}-${i}`);
    latencies[i] = performance.now() - start;
    if (r.status !== 201) {
      failed++;
      firstFailure ??= `${r.status} ${r.body.slice(0, 300)}`;
    }
  })());
}
await Promise.all(runs);
agent.destroy();
parentPort?.postMessage({ latencies, failed, firstFailure } satisfies PacedResult);
