// Differential test: Berth's NodePort allocator (src/compute/nodeport.ts) against
// kube-apiserver's, on random sequences of explicit and automatic NodePort Services and deletions.
// kube-apiserver picks automatic ports at random, so an automatic port agrees when Berth's
// allocator, started at that same point, would hand out that same port: it must be free and in
// the band Berth would use (the upper band while it has a free port).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { NodePortAllocator, NodePortError, parsePortRange } from '../../src/compute/index.ts';
import { startCluster, uniqueName } from '../clusters/index.ts';
import type { Cluster, KubeObject } from '../clusters/index.ts';
import { formatFailure, runFamily } from './harness.ts';
import type { Disagreement, Family } from './harness.ts';
import type { Rng } from './random.ts';

/** One step: create a Service with a given or automatic nodePort, or delete one made earlier. */
type Step =
  | { readonly op: 'create'; readonly name: string; readonly nodePort?: number }
  | { readonly op: 'delete'; readonly name: string };

interface Scenario {
  readonly range: string;
  readonly steps: readonly Step[];
}

/** What one create answered: a port, or the kind of refusal and its words. */
type Answer = { readonly port: number } | { readonly failure: string; readonly message: string };

// Two clusters: one range with a lower band (size 32: lower and upper bands of 16 each), one
// too small for a band. Small ranges fill up within a few dozen steps.
const RANGES = ['30000-30031', '30100-30111'] as const;

function generate(rng: Rng, range: string): Scenario {
  const { base, size } = parsePortRange(range);
  const live: string[] = [];
  const ports: number[] = [];
  const steps: Step[] = [];
  const count = rng.int(1, size + 4);
  // Some scenarios mostly ask for automatic ports and never delete, so the range fills up.
  const deleteRate = rng.pick([0, 0.05, 0.15]);
  const autoRate = rng.pick([0.4, 0.6, 0.95]);
  for (let i = 0; i < count; i++) {
    if (rng.chance(deleteRate) && live.length > 0) {
      const name = live.splice(rng.int(0, live.length - 1), 1)[0];
      steps.push({ op: 'delete', name });
      continue;
    }
    const name = `s${i}`;
    live.push(name);
    if (rng.chance(autoRate)) {
      steps.push({ op: 'create', name });
    } else {
      // Explicit ports: mostly in range, some taken already, some just outside.
      const port = ports.length > 0 && rng.chance(0.25) ? rng.pick(ports) : rng.int(base - 3, base + size + 2);
      ports.push(port);
      steps.push({ op: 'create', name, nodePort: port });
    }
  }
  return { range, steps };
}

function classify(status: number, body: unknown): Answer {
  const message = String((body as { message?: string }).message ?? JSON.stringify(body));
  if (status === 422 && message.includes('provided port is already allocated')) return { failure: 'Allocated', message };
  if (status === 422 && message.includes('provided port is not in the valid range')) return { failure: 'NotInRange', message };
  if (message.includes('range is full')) return { failure: 'Full', message };
  return { failure: `HTTP ${status}`, message };
}

async function kubeCreate(cluster: Cluster, ns: string, step: Step & { op: 'create' }): Promise<Answer> {
  const res = await cluster.request('POST', `/api/v1/namespaces/${ns}/services`, {
    apiVersion: 'v1', kind: 'Service', metadata: { name: step.name },
    spec: { type: 'NodePort', selector: { app: step.name }, ports: [{ port: 80, ...(step.nodePort === undefined ? {} : { nodePort: step.nodePort }) }] },
  });
  if (res.status !== 201) return classify(res.status, res.body);
  return { port: ((res.body as KubeObject).spec as { ports: { nodePort: number }[] }).ports[0].nodePort };
}

function agree(kube: Answer, berth: Answer): boolean {
  if ('port' in kube || 'port' in berth) return 'port' in kube && 'port' in berth && kube.port === berth.port;
  // Berth words a refusal as the detail kube-apiserver puts after the field path.
  return kube.failure === berth.failure && kube.message.includes(berth.message);
}

/** How often each kind of answer came up, to show what the scenarios covered. */
type Tally = Map<string, number>;

function count(tally: Tally, step: Step & { op: 'create' }, answer: Answer): void {
  const key = `${step.nodePort === undefined ? 'auto' : 'explicit'} ${'port' in answer ? 'allocated' : answer.failure}`;
  tally.set(key, (tally.get(key) ?? 0) + 1);
}

async function play(cluster: Cluster, scenario: Scenario, tally: Tally): Promise<Disagreement | undefined> {
  const range = parsePortRange(scenario.range);
  // Berth's random start is steered to kube-apiserver's answer (see the file comment).
  let target = range.base;
  const offsetIn = (bandSize: number): number => {
    const i = target - range.base;
    const upperBase = range.size - bandSize;
    if (i >= upperBase && i - upperBase < bandSize) return i - upperBase;
    return Math.min(Math.max(i, 0), bandSize - 1);
  };
  const berth = new NodePortAllocator({ range, random: offsetIn });
  const ns = uniqueName('np');
  const created = await cluster.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const portOf = new Map<string, number>();
  try {
    for (const [i, step] of scenario.steps.entries()) {
      if (step.op === 'delete') {
        const res = await cluster.request('DELETE', `/api/v1/namespaces/${ns}/services/${step.name}`);
        const port = portOf.get(step.name);
        if (res.status === 200 && port !== undefined) berth.release(port);
        portOf.delete(step.name);
        continue;
      }
      const kube = await kubeCreate(cluster, ns, step);
      count(tally, step, kube);
      if ('port' in kube) {
        target = kube.port;
        portOf.set(step.name, kube.port);
      }
      let ours: Answer;
      try {
        ours = { port: step.nodePort === undefined ? berth.allocateNext() : (berth.allocate(step.nodePort), step.nodePort) };
      } catch (err) {
        if (!(err instanceof NodePortError)) throw err;
        ours = { failure: err.failure, message: err.message };
      }
      if (!agree(kube, ours)) return { step: i, kube, berth: ours };
    }
    return undefined;
  } finally {
    // Ports must be free for the next scenario: delete what this one made, synchronously.
    for (const name of portOf.keys()) await cluster.request('DELETE', `/api/v1/namespaces/${ns}/services/${name}`);
    await cluster.request('DELETE', `/api/v1/namespaces/${ns}`);
  }
}

function shrink(scenario: Scenario, step: number): readonly Scenario[] {
  const prefix = scenario.steps.slice(0, step + 1);
  const candidates: Scenario[] = [];
  if (prefix.length < scenario.steps.length) candidates.push({ ...scenario, steps: prefix });
  for (let j = 0; j < prefix.length - 1; j++) {
    const dropped = prefix[j];
    // Leaving out a create leaves out the later delete of the same Service.
    const steps = prefix.filter((s, k) => k !== j && !(dropped.op === 'create' && s.op === 'delete' && s.name === dropped.name));
    candidates.push({ ...scenario, steps });
  }
  return candidates;
}

let clusters: Cluster[] = [];
before(async () => {
  clusters = await Promise.all(RANGES.map((range, i) => startCluster({ name: `np${i}`, serviceNodePortRange: range })));
});
after(async () => {
  await Promise.all(clusters.map((c) => c.stop()));
});

for (const [i, range] of RANGES.entries()) {
  test(`NodePort allocation agrees with kube-apiserver (range ${range})`, async (t) => {
    const cluster = clusters[i];
    const tally: Tally = new Map();
    const family: Family<Scenario> = {
      generate: (rng) => generate(rng, range),
      play: (s) => play(cluster, s, tally),
      shrink,
    };
    const failures = await runFamily(t, `nodeport ${range}`, family, { fixedSeed: 0x4e50 + i, fixedCount: 300, freshCount: 30 });
    t.diagnostic(`answers: ${JSON.stringify(Object.fromEntries([...tally].sort()))}`);
    if (failures.length > 0) {
      process.stderr.write(`${cluster.logTail(20)}\n`);
      assert.fail(`${failures.length} disagreements; first:\n${formatFailure(failures[0])}`);
    }
  });
}
