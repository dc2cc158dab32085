// Differential test: Berth's admission core (AdmissionState in src/compute/admission.ts, what
// `berth check` runs) against kube-apiserver's LimitRanger and ResourceQuota admission and the
// quota controller. Each scenario makes a namespace with random LimitRanges and ResourceQuotas,
// then creates random Pods (containers, init containers, sidecars, requests and limits or none),
// PVCs, Services, ConfigMaps and Secrets one by one. Compared: allowed or refused, the refusal's
// words, the LimitRange-defaulted requests and limits and the limit-ranger annotation, the QoS
// class, and every quota's `used` after the sequence.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { AdmissionState, decodeObject } from '../../src/compute/index.ts';
import type { AdmissionResult } from '../../src/compute/index.ts';
import { eventually, expectOk, startCluster, uniqueName, waitForQuotaUsed } from '../clusters/index.ts';
import type { Cluster, KubeObject } from '../clusters/index.ts';
import { formatFailure, runFamily } from './harness.ts';
import type { Disagreement, Family } from './harness.ts';
import type { Rng } from './random.ts';

type Json = Record<string, unknown>;

interface Scenario {
  readonly limitRanges: readonly Json[];
  readonly quotas: readonly Json[];
  readonly objects: readonly Json[];
}

const CPU = ['50m', '100m', '250m', '500m', '1', '1500m', '2'];
const MEMORY = ['32Mi', '64Mi', '128Mi', '256Mi', '500M', '1Gi', '2Gi'];
const STORAGE = ['500Mi', '1Gi', '2Gi', '5Gi', '10Gi'];
const COMPUTE = ['cpu', 'memory', 'requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory'];
const UNSCOPED = [
  ...COMPUTE, 'pods', 'requests.storage', 'persistentvolumeclaims', 'gold.storageclass.storage.k8s.io/requests.storage',
  'gold.storageclass.storage.k8s.io/persistentvolumeclaims', 'services', 'services.nodeports', 'services.loadbalancers',
  'configmaps', 'secrets', 'count/pods', 'count/services', 'requests.ephemeral-storage', 'limits.ephemeral-storage',
];

/** Non-decreasing picks from a ladder, so min <= defaultRequest <= default <= max holds. */
function ladder(rng: Rng, values: readonly string[], n: number): string[] {
  return Array.from({ length: n }, () => rng.int(0, values.length - 1)).sort((a, b) => a - b).map((i) => values[i]);
}

function limitRange(rng: Rng, index: number): Json {
  const limits: Json[] = [];
  // Container items only in the first LimitRange: API defaulting gives every Container item
  // defaults (from max and min too), and kube-apiserver applies two LimitRanges' defaults in a
  // random order (see Variant), so two Container items would make it nondeterministic.
  if (index === 0 && rng.chance(0.8)) {
    const item: Record<string, Json> = {};
    for (const [resource, values] of [['cpu', CPU], ['memory', MEMORY]] as const) {
      if (!rng.chance(0.7)) continue;
      const [min, defaultRequest, def, max] = ladder(rng, values, 4);
      for (const [key, value] of [['min', min], ['defaultRequest', defaultRequest], ['default', def], ['max', max]] as const) {
        if (rng.chance(0.5)) item[key] = { ...item[key], [resource]: value };
      }
      if (rng.chance(0.2)) item.maxLimitRequestRatio = { ...item.maxLimitRequestRatio, [resource]: rng.pick(['1', '2', '4']) };
    }
    limits.push({ type: 'Container', ...item });
  }
  if (rng.chance(0.3)) {
    const [min, max] = ladder(rng, CPU, 2);
    limits.push({ type: 'Pod', ...(rng.chance(0.5) ? { min: { cpu: min } } : {}), max: { cpu: rng.pick([max, '2', '4']) } });
  }
  if (rng.chance(0.3)) {
    const [min, max] = ladder(rng, STORAGE, 2);
    limits.push({ type: 'PersistentVolumeClaim', ...(rng.chance(0.5) ? { min: { storage: min } } : {}), max: { storage: max } });
  }
  return { apiVersion: 'v1', kind: 'LimitRange', metadata: { name: `limits-${index}` }, spec: { limits } };
}

function quantityFor(rng: Rng, resource: string): string {
  if (resource.includes('cpu')) return rng.pick(['500m', '1', '2', '3']);
  if (resource.includes('memory')) return rng.pick(['256Mi', '512Mi', '1Gi', '2G']);
  if (resource.includes('storage')) return rng.pick(['1Gi', '3Gi', '10Gi']);
  return String(rng.int(0, 4));
}

function quota(rng: Rng, index: number): Json {
  const scope = rng.pick([undefined, undefined, undefined, 'Terminating', 'NotTerminating', 'BestEffort', 'NotBestEffort']);
  // Which resources each scope may track (kube-apiserver refuses others).
  const allowed = scope === 'BestEffort' ? ['pods'] : scope !== undefined ? [...COMPUTE, 'pods'] : UNSCOPED;
  const hard: Record<string, string> = {};
  const count = rng.int(1, 4);
  for (let i = 0; i < count; i++) {
    const resource = rng.pick(allowed);
    hard[resource] = quantityFor(rng, resource);
  }
  return {
    apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: `quota-${index}` },
    spec: { hard, ...(scope === undefined ? {} : { scopes: [scope] }) },
  };
}

function resources(rng: Rng): Json {
  const requests: Record<string, string> = {};
  const limits: Record<string, string> = {};
  for (const [resource, values] of [['cpu', CPU], ['memory', MEMORY]] as const) {
    const roll = rng.next();
    if (roll < 0.3) continue;
    if (roll < 0.55) requests[resource] = rng.pick(values);
    else if (roll < 0.75) limits[resource] = rng.pick(values);
    else {
      // Mostly request <= limit; now and then the other way round, which validation refuses.
      const [low, high] = ladder(rng, values, 2);
      const swap = rng.chance(0.1);
      requests[resource] = swap ? high : low;
      limits[resource] = swap ? low : high;
    }
  }
  if (rng.chance(0.1)) requests['ephemeral-storage'] = rng.pick(['1Gi', '2Gi']);
  return {
    ...(Object.keys(requests).length > 0 ? { requests } : {}),
    ...(Object.keys(limits).length > 0 ? { limits } : {}),
  };
}

function pod(rng: Rng, name: string): Json {
  const containers = Array.from({ length: rng.int(1, 3) }, (_, i) => ({ name: `c${i}`, image: 'registry.example/app:1', resources: resources(rng) }));
  const initContainers = Array.from({ length: rng.pick([0, 0, 1, 2]) }, (_, i) => ({
    name: `i${i}`, image: 'registry.example/init:1', resources: resources(rng), ...(rng.chance(0.4) ? { restartPolicy: 'Always' } : {}),
  }));
  return {
    apiVersion: 'v1', kind: 'Pod', metadata: { name },
    spec: {
      containers, ...(initContainers.length > 0 ? { initContainers } : {}),
      ...(rng.chance(0.3) ? { activeDeadlineSeconds: 600 } : {}),
    },
  };
}

function object(rng: Rng, i: number): Json {
  const name = `o${i}`;
  const roll = rng.next();
  if (roll < 0.55) return pod(rng, name);
  if (roll < 0.7) {
    return {
      apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name },
      spec: {
        accessModes: ['ReadWriteOnce'], resources: { requests: { storage: rng.pick(STORAGE) } },
        ...(rng.chance(0.5) ? { storageClassName: rng.pick(['gold', 'silver']) } : {}),
      },
    };
  }
  if (roll < 0.85) {
    const type = rng.pick(['ClusterIP', 'NodePort', 'LoadBalancer']);
    const ports = Array.from({ length: rng.int(1, 2) }, (_, p) => ({ name: `p${p}`, port: 80 + p }));
    return { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { type, ports, selector: { app: name } } };
  }
  if (roll < 0.93) return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { k: 'v' } };
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name }, stringData: { k: 'v' } };
}

function generate(rng: Rng): Scenario {
  return {
    limitRanges: Array.from({ length: rng.pick([0, 1, 1, 2]) }, (_, i) => limitRange(rng, i)),
    quotas: Array.from({ length: rng.pick([0, 1, 1, 2]) }, (_, i) => quota(rng, i)),
    objects: Array.from({ length: rng.int(1, 8) }, (_, i) => object(rng, i)),
  };
}

const PATHS: Record<string, string> = {
  Pod: 'pods', PersistentVolumeClaim: 'persistentvolumeclaims', Service: 'services', ConfigMap: 'configmaps',
  Secret: 'secrets', LimitRange: 'limitranges', ResourceQuota: 'resourcequotas',
};

function path(ns: string, obj: Json): string {
  return `/api/v1/namespaces/${ns}/${PATHS[String(obj.kind)]}`;
}

/** What a side says about one created object; fields absent where they do not apply. */
interface Verdict {
  readonly allowed: boolean;
  readonly reason?: string;
  readonly qosClass?: string;
  readonly resources?: unknown;
  readonly limitRangerAnnotation?: string;
}

function podFacts(obj: Json): Pick<Verdict, 'resources' | 'limitRangerAnnotation'> {
  const spec = (obj.spec ?? {}) as { containers?: Json[]; initContainers?: Json[] };
  const res = (list: Json[] | undefined): unknown => (list ?? []).map((c) => ({ name: c.name, ...(c.resources as Json) }));
  const annotations = ((obj.metadata ?? {}) as { annotations?: Record<string, string> }).annotations ?? {};
  return {
    resources: { containers: res(spec.containers), initContainers: res(spec.initContainers) },
    ...(annotations['kubernetes.io/limit-ranger'] === undefined ? {} : { limitRangerAnnotation: annotations['kubernetes.io/limit-ranger'] }),
  };
}

function kubeVerdict(status: number, body: unknown): Verdict {
  const obj = body as Json;
  if (status !== 201) return { allowed: false, reason: String(obj.message ?? JSON.stringify(body)) };
  if (obj.kind !== 'Pod') return { allowed: true };
  return { allowed: true, qosClass: String((obj.status as Json | undefined)?.qosClass), ...podFacts(obj) };
}

function berthVerdict(result: AdmissionResult): Verdict {
  if (!result.allowed) return { allowed: false, reason: result.reason };
  if (result.kind !== 'Pod') return { allowed: true };
  return { allowed: true, qosClass: result.qosClass, ...podFacts(result.object as Json) };
}

/** A scenario's namespace with its LimitRanges and quotas in place and visible to admission. */
interface Setup {
  readonly ns: string;
  /** What exists before the scenario's objects: the CA ConfigMap every namespace gets. */
  readonly base: readonly Json[];
  /** The LimitRanges and quotas kube-apiserver accepted (an invalid one is left out on both sides). */
  readonly limitRanges: readonly Json[];
  readonly quotas: readonly Json[];
  /** When the set-up was complete. */
  readonly at: number;
}

async function setUp(cluster: Cluster, scenario: Scenario, tally: Tally): Promise<Setup> {
  const ns = uniqueName('adm');
  expectOk(await cluster.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }), 'namespace');
  // Both exist in every real namespace and count against quotas (configmaps) or gate pods (the ServiceAccount);
  // a quota made before the ConfigMap could see it counted or not, depending on timing.
  await eventually(`namespace ${ns} ready`, async () => {
    const sa = await cluster.request('GET', `/api/v1/namespaces/${ns}/serviceaccounts/default`);
    const ca = await cluster.request('GET', `/api/v1/namespaces/${ns}/configmaps/kube-root-ca.crt`);
    return sa.status === 200 && ca.status === 200 ? true : undefined;
  }, 30_000, 50);
  let lastVersion = '0';
  const limitRanges: Json[] = [];
  for (const lr of scenario.limitRanges) {
    const res = await cluster.request('POST', path(ns, lr), lr);
    if (res.status === 201) {
      limitRanges.push(lr);
      lastVersion = String(((res.body as KubeObject).metadata as Json).resourceVersion);
    } else count(tally, 'invalid LimitRange');
  }
  const quotas: Json[] = [];
  for (const q of scenario.quotas) {
    const res = await cluster.request('POST', path(ns, q), q);
    if (res.status === 201) quotas.push(q);
    else count(tally, `invalid ResourceQuota: ${JSON.stringify(res.body).slice(0, 200)}`);
  }
  // Until the quota controller has written status.hard, admission refuses everything it covers.
  for (const q of quotas) {
    const name = String((q.metadata as Json).name);
    await waitForQuotaUsed(cluster, ns, name);
    const res = await cluster.request('GET', `/api/v1/namespaces/${ns}/resourcequotas/${name}`);
    lastVersion = String(((res.body as KubeObject).metadata as Json).resourceVersion);
  }
  await admissionCaughtUp(cluster, lastVersion);
  const ca = await cluster.request('GET', `/api/v1/namespaces/${ns}/configmaps/kube-root-ca.crt`);
  return { ns, base: [ca.body as Json], limitRanges, quotas, at: Date.now() };
}

/**
 * Waits until kube-apiserver's admission plugins can see the LimitRanges and quota statuses
 * just written. They read informers fed from the API server's watch cache: a list at
 * `resourceVersion` with `NotOlderThan` returns once that cache has caught up, and the informers
 * trail it by the time one watch event takes on loopback, for which SETTLE_MS leaves ample room.
 * Without this, a pod admitted right after two LimitRanges may be checked against only one.
 */
async function admissionCaughtUp(cluster: Cluster, resourceVersion: string): Promise<void> {
  if (resourceVersion === '0') return;
  const query = `resourceVersion=${resourceVersion}&resourceVersionMatch=NotOlderThan`;
  expectOk(await cluster.request('GET', `/api/v1/limitranges?${query}`), 'list limitranges');
  expectOk(await cluster.request('GET', `/api/v1/resourcequotas?${query}`), 'list resourcequotas');
}

/** Counts of outcomes, to show what the scenarios covered. */
type Tally = Map<string, number>;

function count(tally: Tally, key: string): void {
  tally.set(key, (tally.get(key) ?? 0) + 1);
}

/** Swaps two names everywhere in a text (through a placeholder, so each is replaced once). */
function swapNames(text: string, a: string, b: string): string {
  return text.split(a).map((part) => part.split(b).join(a)).join(b);
}

/**
 * kube-apiserver takes LimitRanges and quotas in its informer's order, which is a Go map's:
 * random on every admission. Which LimitRange refuses first (only the first one's violations
 * are reported) and which quota a refusal names may therefore differ between two identical
 * requests (the generator keeps Container items, hence defaults, to one LimitRange). Berth
 * takes name order. Each variant here renames the objects (swapping the two names) so that
 * Berth sees the other order; kube's answer agrees when it equals Berth's under some variant.
 */
interface Variant {
  readonly swapLimitRanges: boolean;
  readonly swapQuotas: boolean;
}

const VARIANTS: readonly Variant[] = [
  { swapLimitRanges: false, swapQuotas: false }, { swapLimitRanges: true, swapQuotas: false },
  { swapLimitRanges: false, swapQuotas: true }, { swapLimitRanges: true, swapQuotas: true },
];

function renamed(obj: Json, swap: boolean, a: string, b: string): Json {
  if (!swap) return obj;
  const name = String((obj.metadata as Json).name);
  const other = name === a ? b : name === b ? a : name;
  return { ...obj, metadata: { ...(obj.metadata as Json), name: other } };
}

/**
 * Berth's state for a variant: what exists in the namespace (the CA ConfigMap, the LimitRanges
 * and quotas kube accepted, the objects kube admitted, as kube stored them).
 */
function berthState(ns: string, base: readonly Json[], limitRanges: readonly Json[], quotas: readonly Json[], admitted: readonly Json[], v: Variant): AdmissionState {
  const state = new AdmissionState();
  const inNs = (o: Json): Json => ({ ...o, metadata: { ...(o.metadata as Json), namespace: ns } });
  for (const o of base) state.addExisting(decodeObject(o));
  for (const lr of limitRanges) state.addExisting(decodeObject(inNs(renamed(lr, v.swapLimitRanges, 'limits-0', 'limits-1'))));
  for (const q of quotas) state.addExisting(decodeObject(inNs(renamed(q, v.swapQuotas, 'quota-0', 'quota-1'))));
  for (const o of admitted) state.addExisting(decodeObject(o));
  return state;
}

/**
 * A refusal listing several violations, of a LimitRange or of resource validation: kube
 * iterates a container's resources as a Go map, so their order varies; compare them sorted.
 */
function normalized(verdict: Verdict): Verdict {
  if (verdict.reason === undefined) return verdict;
  const invalid = /^Pod "([^"]*)" is invalid: \[(.*)\]$/.exec(verdict.reason);
  if (invalid !== null) {
    const parts = invalid[2].split(/, (?=spec\.)/).sort();
    return { ...verdict, reason: `Pod "${invalid[1]}" is invalid: [${parts.join(', ')}]` };
  }
  const match = /^(pods|persistentvolumeclaims) "([^"]*)" is forbidden: \[(.*)\]$/.exec(verdict.reason);
  if (match === null || match[3].startsWith('failed quota') || match[3].startsWith('exceeded quota')) return verdict;
  const parts = match[3].split(/, (?=minimum |maximum |[\w./-]+ max limit to request ratio )/).sort();
  return { ...verdict, reason: `${match[1]} "${match[2]}" is forbidden: [${parts.join(', ')}]` };
}

/** How long set-up must have been complete before a scenario runs; see admissionCaughtUp. */
const SETTLE_MS = 1000;

async function play(cluster: Cluster, prepared: Map<Scenario, Promise<Setup>>, scenario: Scenario, tally: Tally): Promise<Disagreement | undefined> {
  const setup = await (prepared.get(scenario) ?? setUp(cluster, scenario, tally));
  prepared.delete(scenario);
  const { ns, base, limitRanges, quotas } = setup;
  const quotaNames = quotas.map((q) => String((q.metadata as Json).name));
  const settle = setup.at + SETTLE_MS - Date.now();
  if (settle > 0) await new Promise((resolve) => setTimeout(resolve, settle));
  try {
    const variants = VARIANTS.filter((v) => (!v.swapLimitRanges || limitRanges.length === 2) && (!v.swapQuotas || quotas.length === 2));
    const admitted: Json[] = [];
    for (const [i, obj] of scenario.objects.entries()) {
      const res = await cluster.request('POST', path(ns, obj), obj);
      const kube = kubeVerdict(res.status, res.body);
      const input = decodeObject({ ...obj, metadata: { ...(obj.metadata as Json), namespace: ns } });
      const answers = variants.map((v) => {
        const verdict = berthVerdict(berthState(ns, base, limitRanges, quotas, admitted, v).admit(input));
        return v.swapQuotas && verdict.reason !== undefined ? { ...verdict, reason: swapNames(verdict.reason, 'quota-0', 'quota-1') } : verdict;
      });
      const reason = kube.reason ?? '';
      count(tally, `${String(obj.kind)} ${kube.allowed ? 'allowed' : reason.includes('exceeded quota') ? 'over quota' : reason.includes('must specify') ? 'must specify' : reason.includes('is invalid') ? 'invalid' : 'refused by LimitRange'}`);
      if (!answers.some((b) => isDeepStrictEqual(normalized(kube), normalized(b)))) {
        return { step: i, kube, berth: answers.length === 1 ? answers[0] : answers };
      }
      if (kube.allowed) admitted.push(res.body as Json);
    }

    const reports = berthState(ns, base, limitRanges, quotas, admitted, VARIANTS[0]).quotaReports();
    for (const name of quotaNames) {
      const berthUsed = reports.find((r) => r.name === name)?.used ?? {};
      let kubeUsed: Record<string, string> = {};
      try {
        // The admission plugin updates used as it admits; the controller then recounts.
        kubeUsed = (await waitForQuotaUsed(cluster, ns, name, berthUsed, 3000)).used;
      } catch {
        const res = await cluster.request('GET', `/api/v1/namespaces/${ns}/resourcequotas/${name}`);
        kubeUsed = ((res.body as KubeObject).status as { used?: Record<string, string> } | undefined)?.used ?? {};
      }
      if (!isDeepStrictEqual(kubeUsed, berthUsed)) {
        return { step: scenario.objects.length, kube: { quota: name, used: kubeUsed }, berth: { quota: name, used: berthUsed } };
      }
    }
    return undefined;
  } finally {
    await cluster.request('DELETE', `/api/v1/namespaces/${ns}`);
  }
}

function shrink(scenario: Scenario, step: number): readonly Scenario[] {
  const objects = scenario.objects.slice(0, step + 1);
  const out: Scenario[] = [];
  if (objects.length < scenario.objects.length) out.push({ ...scenario, objects });
  for (let j = 0; j < objects.length - 1; j++) out.push({ ...scenario, objects: objects.filter((_, k) => k !== j) });
  for (let j = 0; j < scenario.quotas.length; j++) out.push({ ...scenario, objects, quotas: scenario.quotas.filter((_, k) => k !== j) });
  for (let j = 0; j < scenario.limitRanges.length; j++) out.push({ ...scenario, objects, limitRanges: scenario.limitRanges.filter((_, k) => k !== j) });
  return out;
}

let cluster: Cluster;
before(async () => {
  cluster = await startCluster({ name: 'adm' });
});
after(async () => {
  await cluster?.stop();
});

test('LimitRange and ResourceQuota admission agree with kube-apiserver', async (t) => {
  const tally: Tally = new Map();
  const prepared = new Map<Scenario, Promise<Setup>>();
  const family: Family<Scenario> = {
    generate,
    prepare: (s) => {
      const setup = setUp(cluster, s, tally);
      // A set-up still running when the test ends fails with the cluster; nobody waits for it.
      setup.catch(() => undefined);
      prepared.set(s, setup);
    },
    play: (s) => play(cluster, prepared, s, tally),
    shrink,
  };
  const failures = await runFamily(t, 'admission', family, { fixedSeed: 0x41444d31, fixedCount: 300, freshCount: 30 });
  t.diagnostic(`outcomes: ${JSON.stringify(Object.fromEntries([...tally].sort()))}`);
  if (failures.length > 0) assert.fail(`${failures.length} disagreements; first:\n${formatFailure(failures[0])}`);
});
