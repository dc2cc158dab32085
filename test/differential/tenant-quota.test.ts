// Differential test: Berth's tenant-quota decision (decideTenantQuota, namespaceUsage in
// src/compute/tenant-quota.ts) against kube-apiserver's ResourceQuota admission and the quota
// controller, with a single namespace standing for the whole tenant. The scenarios are the
// admission family's (admission-scenarios.ts) with their quotas merged into one unscoped
// ResourceQuota named after the tenant (the first value of each hard resource; a scenario with no
// quota gets a fixed one), whose hard limits are the tenant's; then each admitted Service is
// updated (type and number of ports changed) so that updates are charged by their delta.
//
// Berth's side of a create: the admission steps before ResourceQuota (LimitRanger, Priority,
// RuntimeClass, validation: AdmissionState without quotas, what a validating webhook would be
// shown), then the tenant decision on the mutated object with the tenant's usage, which starts
// as namespaceUsage of what the namespace holds and grows by each decision's reservation, as
// kube-apiserver's status.used does (a create refused after ResourceQuota, for a taken name,
// keeps its charge on both sides). Compared at each step: allowed or refused and the refusal's
// words, so the same requested/used/limited numbers. Then each quota's used (admission's, then
// the controller's recount against namespaceUsage of the objects read back, after status
// changes: terminal pods, resized claims), the Service updates, and the scenario's probe.
//
// Normalizations: those of admission-verdicts.ts (items of aggregated messages sorted, LimitRange
// order, generated names), and one of our own: Berth's refusals say `tenant quota: <tenant>`
// where kube-apiserver's say `quota: <quota>`, the quota being named after the tenant. An update
// kube-apiserver refuses as invalid is counted and not compared (validation of Services is not
// Berth's decision). The waits are admission-play.ts's; after an update that changes a Service's
// quota type the controller recounts, so the next step waits for that recount.
// 100 scenarios from a fixed seed and 10 from a fresh printed one share one cluster
// (BERTH_DIFF_SCENARIOS, BERTH_DIFF_FRESH, BERTH_DIFF_SEED, BERTH_DIFF_ONLY).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { AdmissionState, decideTenantQuota, EvaluatorRegistry, namespaceUsage, sumUsage } from '../../src/compute/index.ts';
import { decodeObject, decodeResourceList, encodeResourceList, groupResourceString, type ResourceList } from '../../src/objects/index.ts';
import { expectOk, startCluster, waitForQuotaUsed } from '../clusters/index.ts';
import type { Cluster } from '../clusters/index.ts';
import { generateScenario, PRIORITY_CLASSES, RUNTIME_CLASSES } from './admission-scenarios.ts';
import type { AdmissionScenario, Json } from './admission-scenarios.ts';
import {
  collection, controllerUsed, inParallel, NamespacePool, nameOf, outcome, pick, quotaStatus, settleInitialUsed,
} from './admission-play.ts';
import {
  agreesInSomeOrder, berthVerdict, inNamespace, kubeVerdict, normalizeReason, withoutGeneratedSuffix,
} from './admission-verdicts.ts';
import type { StepContext, Verdict } from './admission-verdicts.ts';
import { count, formatFailure } from './harness.ts';
import type { Disagreement, Failure, Tally } from './harness.ts';
import { Rng, scenarioSeeds, seedPlan } from './random.ts';

const TENANT = 'tenant-a';
const WIDTH = 4;
const registry = new EvaluatorRegistry();

/** A Service update: the Service created at `index` gets `type` and `ports` ports. */
interface ServiceUpdate {
  readonly index: number;
  readonly type: string;
  readonly ports: number;
}

interface TenantScenario {
  readonly base: AdmissionScenario;
  /** The tenant's hard limits, which the namespace's one ResourceQuota also holds. */
  readonly hard: Readonly<Record<string, string>>;
  readonly updates: readonly ServiceUpdate[];
}

function generate(rng: Rng): TenantScenario {
  const base = generateScenario(rng);
  const hard: Record<string, string> = {};
  for (const q of base.quotas) {
    for (const [k, v] of Object.entries((q.spec as { hard: Record<string, string> }).hard)) hard[k] ??= v;
  }
  if (Object.keys(hard).length === 0) Object.assign(hard, { pods: '3', 'services.nodeports': '2', 'requests.storage': '3Gi' });
  const updates = base.objects.flatMap((o, index): ServiceUpdate[] => {
    const spec = (o.spec ?? {}) as Json;
    if (o.kind !== 'Service' || spec.type === 'ExternalName' || spec.allocateLoadBalancerNodePorts === false || !rng.chance(0.8)) return [];
    return [{ index, type: rng.pick(['ClusterIP', 'NodePort', 'LoadBalancer']), ports: rng.int(1, 3) }];
  });
  return { base, hard, updates };
}

const tenantQuota = (hard: Readonly<Record<string, string>>): Json => ({ apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: TENANT }, spec: { hard } });

/** The one normalization of this family: Berth's noun for the tenant's limits. */
const asQuotaWords = (message: string): string => message.replace(`tenant quota: ${TENANT}`, `quota: ${TENANT}`);

const READ_BACK: readonly (readonly [string, string])[] = [
  ['v1', 'LimitRange'], ['v1', 'ResourceQuota'], ['v1', 'Pod'], ['v1', 'PersistentVolumeClaim'], ['v1', 'Service'],
  ['v1', 'ConfigMap'], ['v1', 'Secret'], ['apps/v1', 'Deployment'], ['batch/v1', 'Job'],
];

/** Every object of the namespace as kube-apiserver serves it (list items get their kind back). */
async function readBack(cluster: Cluster, ns: string): Promise<Json[]> {
  const out: Json[] = [];
  for (const [apiVersion, kind] of READ_BACK) {
    const list = expectOk(await cluster.request('GET', collection(ns, { apiVersion, kind })), `list ${kind}`) as { items: Json[] };
    for (const item of list.items) out.push({ apiVersion, kind, ...item });
  }
  return out;
}

const usageOf = (hard: ResourceList, objects: readonly Json[]): ResourceList => namespaceUsage(registry, hard, objects.map((o) => decodeObject(o)));

/**
 * Berth's answer to a create: the admission steps before ResourceQuota on a state holding
 * `existing`, then the tenant decision on the object they produced. `reserve` is set when the
 * tenant quota admitted it (even if the create then fails for a taken name).
 */
function berthCreate(existing: readonly Json[], obj: Json, ns: string, hard: ResourceList, used: ResourceList): { verdict: Verdict; reserve?: ResourceList } {
  const state = new AdmissionState(registry);
  for (const o of existing) state.addExisting(decodeObject(o));
  const input = decodeObject(inNamespace(obj, ns));
  const result = state.admit(input);
  const name = input.metadata.name;
  const taken = name !== '' && existing.some((o) => o.kind === obj.kind && nameOf(o) === name);
  const passed = result.allowed || (taken && result.reason === `${groupResourceString(input.type)} "${name}" already exists`);
  if (!passed) return { verdict: berthVerdict(result) };
  const decision = decideTenantQuota(registry, { tenant: TENANT, hard, used, object: decodeObject(result.object) });
  if (!decision.allowed) return { verdict: { allowed: false, reason: normalizeReason(asQuotaWords(decision.message)) } };
  return { verdict: berthVerdict(result), reserve: decision.reserve };
}

const isQuotaWords = (v: Verdict): boolean => v.reason?.includes('quota') ?? false;

const plus = (used: ResourceList, reserve: ResourceList | undefined): ResourceList => (reserve === undefined ? used : sumUsage([used, reserve]));

const quotaType = (svc: Json): string => String((svc.spec as Json).type ?? 'ClusterIP');

async function play(cluster: Cluster, pool: NamespacePool, clusterObjects: readonly Json[], s: TenantScenario, tally: Tally): Promise<Disagreement | undefined> {
  const ns = await pool.take();
  try {
    const ca = expectOk(await cluster.request('GET', `/api/v1/namespaces/${ns}/configmaps/kube-root-ca.crt`), 'CA ConfigMap') as Json;
    const limitRanges: Json[] = [];
    for (const lr of s.base.limitRanges) {
      const res = await cluster.request('POST', collection(ns, lr), lr);
      if (res.status === 201) limitRanges.push(inNamespace(lr, ns));
      else count(tally, 'invalid LimitRange');
    }
    const quota = tenantQuota(s.hard);
    const created = await cluster.request('POST', collection(ns, quota), quota);
    if (created.status !== 201) {
      count(tally, `invalid tenant quota: ${String((created.body as Json).message).slice(0, 120)}`);
      return undefined;
    }
    await waitForQuotaUsed(cluster, ns, TENANT);
    let hard = decodeResourceList(s.hard, 'hard') ?? {};
    const hardKeys = Object.keys(s.hard);
    const printed = (u: ResourceList): Record<string, string> => pick(encodeResourceList(u), hardKeys);
    let used = usageOf(hard, [ca, ...limitRanges, inNamespace(quota, ns)]);
    if (await settleInitialUsed(cluster, ns, quota, printed(used))) count(tally, 'initial quota used recounted');
    expectOk(await cluster.request('GET', `/api/v1/namespaces/${ns}/limitranges`), 'list limitranges');
    expectOk(await cluster.request('GET', `/api/v1/namespaces/${ns}/resourcequotas`), 'list resourcequotas');
    await new Promise((resolve) => setTimeout(resolve, 100));

    // Creates.
    const admitted = new Map<number, Json>();
    for (const [i, obj] of s.base.objects.entries()) {
      const existing = [...clusterObjects, ca, ...limitRanges, ...admitted.values()];
      const res = await cluster.request('POST', collection(ns, obj), obj);
      const kube = withoutGeneratedSuffix(kubeVerdict(res.status, res.body), (obj.metadata as Json).generateName as string | undefined);
      const berth = berthCreate(existing, obj, ns, hard, used);
      if (!isDeepStrictEqual(kube, berth.verdict)) {
        const ctx: StepContext = { namespace: ns, preexisting: [...clusterObjects, ca], limitRanges, quotas: [], admitted: [...admitted.values()] };
        if (kube.allowed !== berth.verdict.allowed || isQuotaWords(kube) || isQuotaWords(berth.verdict) || !agreesInSomeOrder(ctx, obj, kube)) {
          return { step: i, kube, berth: berth.verdict };
        }
        count(tally, 'agreed in another LimitRange order');
      }
      count(tally, outcome(obj, kube.allowed, kube.reason));
      used = plus(used, berth.reserve);
      if (kube.allowed) admitted.set(i, res.body as Json);
    }
    let step = s.base.objects.length;
    const admissionUsed = pick((await quotaStatus(cluster, ns, TENANT)).used, hardKeys);
    if (!isDeepStrictEqual(admissionUsed, printed(used))) return { step, kube: { usedByAdmission: admissionUsed }, berth: { used: printed(used) } };

    // Status changes, then the controller's count against namespaceUsage of what is stored.
    for (const { index, status } of s.base.changes) {
      const obj = admitted.get(index);
      if (obj === undefined) continue;
      expectOk(await cluster.request('PATCH', `${collection(ns, obj)}/${nameOf(obj)}/status`, { status }, 'application/merge-patch+json'), 'status change');
      count(tally, `${String(obj.kind)} status ${JSON.stringify(status)}`);
    }
    const measured = printed(usageOf(hard, await readBack(cluster, ns)));
    const recount = await controllerUsed(cluster, ns, quota, measured);
    if (!isDeepStrictEqual(recount, measured)) return { step, kube: { usedByController: recount }, berth: { namespaceUsage: measured } };
    // The recount changed one hard limit; the tenant's follows.
    hard = decodeResourceList((await quotaStatus(cluster, ns, TENANT)).hard, 'hard') ?? {};
    used = usageOf(hard, await readBack(cluster, ns));
    count(tally, 'controller count agreed with namespaceUsage');

    // Service updates: only what an update adds is charged.
    for (const u of s.updates) {
      step++;
      const old = admitted.get(u.index);
      if (old === undefined) continue;
      const ports = Array.from({ length: u.ports }, (_, p) => ({ name: `p${p}`, port: 80 + p }));
      const patch = { spec: { type: u.type, ports } };
      const res = await cluster.request('PATCH', `${collection(ns, old)}/${nameOf(old)}`, patch, 'application/merge-patch+json');
      const kube: Verdict = res.status === 200 ? { allowed: true } : { allowed: false, reason: normalizeReason(String((res.body as Json).message)) };
      if (!kube.allowed && kube.reason?.includes('is invalid')) {
        count(tally, 'Service update invalid (not compared)');
        continue;
      }
      const next = { ...old, spec: { ...(old.spec as Json), ...patch.spec } };
      const decision = decideTenantQuota(registry, { tenant: TENANT, hard, used, object: decodeObject(next), old: decodeObject(old) });
      const berth: Verdict = decision.allowed ? { allowed: true } : { allowed: false, reason: normalizeReason(asQuotaWords(decision.message)) };
      if (!isDeepStrictEqual(kube, berth)) return { step, kube: { update: u, ...kube }, berth: { update: u, ...berth } };
      count(tally, `Service update ${quotaType(old)} -> ${u.type}: ${kube.allowed ? 'allowed' : 'exceeded quota'}`);
      if (!decision.allowed) continue;
      used = plus(used, decision.reserve);
      admitted.set(u.index, res.body as Json);
      const admissionAfter = pick((await quotaStatus(cluster, ns, TENANT)).used, hardKeys);
      if (quotaType(old) !== u.type) {
        // The controller recounts a Service whose quota type changed: wait for its count.
        used = usageOf(hard, await readBack(cluster, ns));
        try {
          await waitForQuotaUsed(cluster, ns, TENANT, printed(used));
        } catch {
          return { step, kube: { usedAfterRecount: pick((await quotaStatus(cluster, ns, TENANT)).used, hardKeys) }, berth: { namespaceUsage: printed(used) } };
        }
      } else if (!isDeepStrictEqual(admissionAfter, printed(used))) {
        return { step, kube: { usedByAdmission: admissionAfter }, berth: { used: printed(used) } };
      }
    }

    // The probe, admitted against what was read back, as a webhook sees the tenant's objects.
    step++;
    const stored = (await readBack(cluster, ns)).filter((o) => o.kind !== 'ResourceQuota');
    const probe = s.base.probe;
    const res = await cluster.request('POST', collection(ns, probe), probe);
    const kube = withoutGeneratedSuffix(kubeVerdict(res.status, res.body), (probe.metadata as Json).generateName as string | undefined);
    const berth = berthCreate([...clusterObjects, ...stored], probe, ns, hard, used);
    if (!isDeepStrictEqual(kube, berth.verdict)) {
      const ctx: StepContext = {
        namespace: ns, preexisting: [...clusterObjects, ...stored.filter((o) => o.kind !== 'LimitRange')],
        limitRanges: stored.filter((o) => o.kind === 'LimitRange'), quotas: [], admitted: [],
      };
      if (kube.allowed !== berth.verdict.allowed || isQuotaWords(kube) || isQuotaWords(berth.verdict) || !agreesInSomeOrder(ctx, probe, kube)) {
        return { step, kube: { probe: kube }, berth: { probe: berth.verdict } };
      }
      count(tally, 'agreed in another LimitRange order');
    }
    count(tally, `probe: ${outcome(probe, kube.allowed, kube.reason)}`);
    used = plus(used, berth.reserve);
    const final = pick((await quotaStatus(cluster, ns, TENANT)).used, hardKeys);
    if (!isDeepStrictEqual(final, printed(used))) return { step, kube: { usedAfterProbe: final }, berth: { used: printed(used) } };
    return undefined;
  } finally {
    await cluster.request('DELETE', `/api/v1/namespaces/${ns}`);
  }
}

let cluster: Cluster;
before(async () => {
  cluster = await startCluster({ name: 'tq' });
  for (const pc of PRIORITY_CLASSES) expectOk(await cluster.request('POST', '/apis/scheduling.k8s.io/v1/priorityclasses', pc), 'PriorityClass');
  for (const rc of RUNTIME_CLASSES) expectOk(await cluster.request('POST', '/apis/node.k8s.io/v1/runtimeclasses', rc), 'RuntimeClass');
});
after(async () => {
  await cluster?.stop();
});

test('the tenant quota decision agrees with ResourceQuota admission for a one-namespace tenant', async (t) => {
  const pool = new NamespacePool(cluster, WIDTH + 2);
  const tally: Tally = new Map();
  const failures: Failure<TenantScenario>[] = [];
  const clusterObjects: Json[] = [...PRIORITY_CLASSES, ...RUNTIME_CLASSES];
  let scenarios = 0;
  const began = Date.now();
  for (const batch of seedPlan(0x54514431, 100, 10)) {
    const seeds = scenarioSeeds(batch);
    const start = Date.now();
    t.diagnostic(`${batch.label} run seed ${batch.runSeed} (BERTH_DIFF_SEED=${batch.runSeed} replays it), ${seeds.length} scenarios`);
    const found = await inParallel(seeds, WIDTH, async (seed) => {
      const scenario = generate(new Rng(seed));
      return { seed, scenario, d: await play(cluster, pool, clusterObjects, scenario, tally) };
    });
    scenarios += seeds.length;
    t.diagnostic(`${batch.label} batch took ${Date.now() - start} ms`);
    for (const { seed, scenario, d } of found) {
      if (d === undefined) continue;
      const failure = { seed, scenario, disagreement: d };
      failures.push(failure);
      process.stderr.write(`tenant quota: DISAGREEMENT, scenario seed ${seed} (BERTH_DIFF_ONLY=${seed} replays it)\n${formatFailure(failure)}\n`);
    }
  }
  t.diagnostic(`${scenarios} scenarios in ${Date.now() - began} ms; outcomes: ${JSON.stringify(Object.fromEntries([...tally].sort()))}`);
  assert.ok(scenarios >= 1);
  if (failures.length > 0) {
    assert.fail(`${failures.length} of ${scenarios} scenarios disagree (seeds ${failures.map((f) => f.seed).join(', ')}); first:\n${formatFailure(failures[0])}`);
  }
});
