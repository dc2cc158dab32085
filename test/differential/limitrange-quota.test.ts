// Differential test: Berth's admission core (AdmissionState in src/compute, what `berth check`
// runs) against kube-apiserver's admission plugins (LimitRanger, Priority, DefaultStorageClass,
// RuntimeClass, ResourceQuota) and the quota controller, on random scenarios
// (admission-scenarios.ts): LimitRanges (Container, Pod, PersistentVolumeClaim items),
// ResourceQuotas (compute, extended resources, hugepages, storage, per-class storage, object
// counts; BestEffort, NotBestEffort, Terminating, NotTerminating, PriorityClass,
// CrossNamespacePodAffinity and VolumeAttributesClass scopes), then Pods (init containers,
// sidecars, pod-level resources, requests and limits or none, activeDeadlineSeconds, priority and
// runtime classes), PVCs, Services, ConfigMaps, Secrets, Deployments and Jobs created one by one,
// some by generateName, some reusing a taken name. Compared at each create: allowed or refused,
// the refusal's words (normalized only as admission-verdicts.ts says), the defaulted requests and
// limits and the limit-ranger annotation, the QoS class; after the sequence, each quota's used
// (admission's, and the controller's recount); then one more create through `berth check` given
// the namespace read back from the cluster. A last batch runs with a default PriorityClass and a
// default StorageClass. Waits that keep kube-apiserver's answers deterministic are described in
// admission-play.ts. 300 scenarios from a fixed seed, 30 from a fresh printed one, 60 with the
// cluster defaults (BERTH_DIFF_SCENARIOS, BERTH_DIFF_FRESH, BERTH_DIFF_SEED, BERTH_DIFF_ONLY).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { expectOk, startCluster } from '../clusters/index.ts';
import type { Cluster } from '../clusters/index.ts';
import { CLUSTER_DEFAULTS, generateScenario, PRIORITY_CLASSES, RUNTIME_CLASSES, shrinkScenario } from './admission-scenarios.ts';
import type { AdmissionScenario, Json } from './admission-scenarios.ts';
import { inParallel, NamespacePool, playScenario } from './admission-play.ts';
import type { Tally } from './harness.ts';
import { formatFailure } from './harness.ts';
import type { Disagreement, Failure } from './harness.ts';
import { Rng, scenarioSeeds, seedPlan } from './random.ts';
import type { SeedPlan } from './random.ts';

/** Scenarios in flight at once: they wait on the cluster far more than they compute. */
const WIDTH = 4;
/** Disagreements shrunk to a minimal reproduction (each costs up to SHRINK_BUDGET replays). */
const SHRINK_MAX = 3;
const SHRINK_BUDGET = 120;

let cluster: Cluster;
before(async () => {
  cluster = await startCluster({ name: 'lrq' });
  for (const pc of PRIORITY_CLASSES) expectOk(await cluster.request('POST', '/apis/scheduling.k8s.io/v1/priorityclasses', pc), 'PriorityClass');
  for (const rc of RUNTIME_CLASSES) expectOk(await cluster.request('POST', '/apis/node.k8s.io/v1/runtimeclasses', rc), 'RuntimeClass');
});
after(async () => {
  await cluster?.stop();
});

async function minimize(
  play: (s: AdmissionScenario) => Promise<Disagreement | undefined>,
  scenario: AdmissionScenario,
  found: Disagreement,
): Promise<{ scenario: AdmissionScenario; disagreement: Disagreement }> {
  let best = { scenario, disagreement: found };
  let budget = SHRINK_BUDGET;
  for (let improved = true; improved && budget > 0;) {
    improved = false;
    for (const candidate of shrinkScenario(best.scenario, best.disagreement.step)) {
      if (--budget <= 0) break;
      const d = await play(candidate);
      if (d !== undefined) {
        best = { scenario: candidate, disagreement: d };
        improved = true;
        break;
      }
    }
  }
  return best;
}

/** A batch of scenarios: its seeds, and whether the cluster has default Priority- and StorageClasses. */
interface Batch extends SeedPlan {
  readonly globalDefault: boolean;
}

/**
 * The seed plan (fixed seed, fresh printed seed), then a fifth as many scenarios again with a
 * default PriorityClass and a default StorageClass in the cluster, which cannot be undone while
 * scenarios share the cluster. `BERTH_DIFF_ONLY=<seed>` replays one scenario; with
 * `BERTH_DIFF_GLOBAL_DEFAULT=1` in that last batch.
 */
function batches(): readonly Batch[] {
  const plan = seedPlan(0x4c525131, 300, 30);
  if (plan[0].label === 'only') return [{ ...plan[0], globalDefault: process.env.BERTH_DIFF_GLOBAL_DEFAULT === '1' }];
  const fixed = plan[0];
  return [
    ...plan.map((b) => ({ ...b, globalDefault: false })),
    { label: 'cluster defaults', runSeed: (fixed.runSeed ^ 0x47440000) >>> 0, count: Math.ceil(fixed.count / 5), globalDefault: true },
  ];
}

test('LimitRanger and ResourceQuota admission agree with kube-apiserver', async (t) => {
  const pool = new NamespacePool(cluster, WIDTH + 2);
  const tally: Tally = new Map();
  const failures: Failure<AdmissionScenario>[] = [];
  let scenarios = 0;
  for (const batch of batches()) {
    const clusterObjects: Json[] = [...PRIORITY_CLASSES, ...RUNTIME_CLASSES];
    if (batch.globalDefault) {
      for (const obj of CLUSTER_DEFAULTS) {
        const plural = obj.kind === 'PriorityClass' ? 'scheduling.k8s.io/v1/priorityclasses' : 'storage.k8s.io/v1/storageclasses';
        const res = await cluster.request('POST', `/apis/${plural}`, obj);
        if (res.status !== 409) expectOk(res, `default ${String(obj.kind)}`);
        clusterObjects.push(res.status === 201 ? res.body as Json : obj);
      }
    }
    const play = (s: AdmissionScenario): Promise<Disagreement | undefined> => playScenario(cluster, pool, clusterObjects, s, tally);
    const replay = batch.globalDefault ? ' BERTH_DIFF_GLOBAL_DEFAULT=1' : '';
    const began = Date.now();
    const seeds = scenarioSeeds(batch);
    const origin = batch.globalDefault ? 'derived from the fixed seed' : `BERTH_DIFF_SEED=${batch.runSeed} replays it`;
    t.diagnostic(`${batch.label} run seed ${batch.runSeed} (${origin}), ${seeds.length} scenarios`);
    const found = await inParallel(seeds, WIDTH, async (seed) => {
      const scenario = generateScenario(new Rng(seed));
      return { seed, scenario, d: await play(scenario) };
    });
    scenarios += seeds.length;
    t.diagnostic(`${batch.label} batch took ${Date.now() - began} ms`);
    for (const { seed, scenario, d } of found) {
      if (d === undefined) continue;
      const minimal = failures.length < SHRINK_MAX ? await minimize(play, scenario, d) : { scenario, disagreement: d };
      const failure = { seed, ...minimal };
      failures.push(failure);
      process.stderr.write(`admission: DISAGREEMENT, scenario seed ${seed} (BERTH_DIFF_ONLY=${seed}${replay} replays it)\n${formatFailure(failure)}\n`);
    }
  }
  t.diagnostic(`outcomes: ${JSON.stringify(Object.fromEntries([...tally].sort()))}`);
  assert.ok(scenarios >= 1);
  if (failures.length > 0) {
    assert.fail(`${failures.length} of ${scenarios} scenarios disagree (seeds ${failures.map((f) => f.seed).join(', ')}); first:\n${formatFailure(failures[0])}`);
  }
});
