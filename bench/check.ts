// `berth check` throughput: 10,000 pods admitted into one namespace that has three
// ResourceQuotas (one scoped to NotBestEffort with a PriorityClass selector) and a LimitRange,
// through the same function `berth check` runs (file reading, YAML parsing, decoding,
// defaulting, LimitRanger, QoS, ResourceQuota). There is no peer for this one: the figure is
// compared with the goal of 50,000 pods/s.
//
// Run: node bench/check.ts [pods]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { check } from '../src/cli/check.ts';
import { AdmissionState, parseManifests } from '../src/compute/index.ts';

const podCount = Number(process.argv[2] ?? 10_000);
const GOAL = 50_000;

const state = `apiVersion: v1
kind: ResourceQuota
metadata: {name: compute, namespace: bench}
spec:
  hard: {requests.cpu: "100000", requests.memory: 10000Gi, limits.cpu: "200000", limits.memory: 20000Gi}
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: objects, namespace: bench}
spec:
  hard: {pods: "${podCount}", count/pods: "${podCount}", services: "10"}
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: high-priority, namespace: bench}
spec:
  hard: {pods: "${Math.floor(podCount / 4)}", requests.cpu: "5000"}
  scopes: [NotBestEffort]
  scopeSelector:
    matchExpressions: [{scopeName: PriorityClass, operator: In, values: [high]}]
---
apiVersion: v1
kind: LimitRange
metadata: {name: defaults, namespace: bench}
spec:
  limits:
  - type: Container
    default: {cpu: 500m, memory: 256Mi}
    defaultRequest: {cpu: 100m, memory: 128Mi}
    max: {cpu: "4", memory: 8Gi}
    maxLimitRequestRatio: {cpu: "10"}
  - type: Pod
    max: {cpu: "8", memory: 16Gi}
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: high}
value: 1000
`;

function pod(i: number): string {
  // A mix: defaulted containers, explicit Guaranteed pods, sidecars, and high-priority pods.
  const priority = i % 3 === 0 ? '\n  priorityClassName: high' : '';
  const explicit = i % 2 === 0
    ? '\n    resources: {requests: {cpu: 250m, memory: 256Mi}, limits: {cpu: 250m, memory: 256Mi}}'
    : '';
  const sidecar = i % 5 === 0
    ? `\n  initContainers:\n  - name: proxy\n    restartPolicy: Always\n    resources: {requests: {cpu: 50m, memory: 64Mi}}`
    : '';
  return `apiVersion: v1
kind: Pod
metadata: {name: pod-${i}, namespace: bench, labels: {app: bench}}
spec:${priority}
  containers:
  - name: app
    image: registry.example/app:1${explicit}${sidecar}
`;
}

const dir = mkdtempSync(join(tmpdir(), 'berth-bench-check-'));
try {
  const statePath = join(dir, 'state.yaml');
  const podsPath = join(dir, 'pods.yaml');
  writeFileSync(statePath, state);
  const podsText = Array.from({ length: podCount }, (_, i) => pod(i)).join('---\n');
  writeFileSync(podsPath, podsText);

  // Warm-up so the JIT has seen the path once; then the measured runs.
  check({ state: [statePath], files: [podsPath], output: 'json' });
  const runs = 5;
  const totals: number[] = [];
  let allowed = 0;
  let refused = 0;
  for (let r = 0; r < runs; r++) {
    const t0 = process.hrtime.bigint();
    const { results } = check({ state: [statePath], files: [podsPath], output: 'json' });
    totals.push(Number(process.hrtime.bigint() - t0) / 1e6);
    allowed = results.filter((x) => x.allowed).length;
    refused = results.length - allowed;
  }

  // The same objects as one JSON List, which the JSON decoder reads instead of the YAML one.
  const jsonPath = join(dir, 'pods.json');
  writeFileSync(jsonPath, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: parseManifests(podsText, 'pods.yaml').map((m) => m.object.raw) }));
  check({ state: [statePath], files: [jsonPath], output: 'json' });
  const jsonTimes: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = process.hrtime.bigint();
    check({ state: [statePath], files: [jsonPath], output: 'json' });
    jsonTimes.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }

  // The admission part alone, parsing done beforehand.
  const stateObjects = parseManifests(state, 'state.yaml');
  const podObjects = parseManifests(podsText, 'pods.yaml');
  const admitTimes: number[] = [];
  for (let r = 0; r < runs; r++) {
    const admission = new AdmissionState();
    for (const m of stateObjects) admission.addExisting(m.object);
    const t0 = process.hrtime.bigint();
    for (const m of podObjects) admission.admit(m.object);
    admitTimes.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }

  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const full = median(totals);
  const admitOnly = median(admitTimes);
  const fullRate = podCount / (full / 1000);
  const admitRate = podCount / (admitOnly / 1000);
  const jsonFull = median(jsonTimes);
  const jsonRate = podCount / (jsonFull / 1000);
  console.log(`berth check bench: ${podCount} pods, 3 ResourceQuotas (1 scoped), 1 LimitRange; median of ${runs} runs`);
  console.log(`  results: ${allowed} allowed, ${refused} refused`);
  console.log(`  berth check path (read + parse + admit): ${full.toFixed(1)} ms  ${Math.round(fullRate).toLocaleString('en-US')} pods/s`);
  console.log(`  berth check path, JSON manifest:         ${jsonFull.toFixed(1)} ms  ${Math.round(jsonRate).toLocaleString('en-US')} pods/s`);
  console.log(`  admission only (decoded objects):        ${admitOnly.toFixed(1)} ms  ${Math.round(admitRate).toLocaleString('en-US')} pods/s`);
  console.log(`  goal ${GOAL.toLocaleString('en-US')} pods/s: ratio ${(fullRate / GOAL).toFixed(2)}x (YAML), ${(jsonRate / GOAL).toFixed(2)}x (JSON), ${(admitRate / GOAL).toFixed(2)}x (admission only)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
