// Plays one LimitRange/ResourceQuota scenario against a real cluster and Berth's admission core
// (AdmissionState, the path `berth check` takes), and runs many scenarios a few at a time.
//
// Waits that make kube-apiserver's answer deterministic:
// - a namespace is used only once its `default` ServiceAccount (which pods need) and its
//   `kube-root-ca.crt` ConfigMap (which a `configmaps` quota counts) exist;
// - after the quotas are created, the quota controller's first status (status.hard and a
//   status.used for every hard resource) must be written: until then admission refuses whatever
//   the quota covers ("status unknown for quota");
// - then a consistent list, which the watch cache answers only once it has caught up, and a short
//   pause: the LimitRanger and ResourceQuota plugins read informers fed from that cache, and a pod
//   checked against one of two LimitRanges would be a race, not a disagreement.
// Between creates nothing needs waiting: the ResourceQuota plugin writes status.used itself
// before it admits an object and reads its own writes back, and nothing in a sequence makes the
// quota controller recount (that takes a change of spec.hard, a deletion, a pod turning terminal,
// a claim's size changing, or the 5-minute resync); a recount racing a create could otherwise
// write a count that misses it. At the end, each quota is compared twice: status.used as
// admission left it (which keeps the charge of a create refused after ResourceQuota, for a taken
// name), with the state that admitted the sequence; then after a change of spec.hard makes the
// controller recount (status.hard showing the new value means the recount has been written),
// with Berth measuring the stored objects. Then the read-back: status changes (terminal pods,
// resized claims) and a recount, the namespace exported to `berth check`, one more create.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { dump } from 'js-yaml';
import { check } from '../../src/cli/check.ts';
import { AdmissionState } from '../../src/compute/index.ts';
import { decodeObject } from '../../src/objects/index.ts';
import { eventually, expectOk, uniqueName, waitForQuotaUsed } from '../clusters/index.ts';
import type { Cluster, KubeObject } from '../clusters/index.ts';
import { agreesInSomeOrder, berthVerdict, inNamespace, kubeVerdict, withoutGeneratedSuffix } from './admission-verdicts.ts';
import type { StepContext } from './admission-verdicts.ts';
import type { AdmissionScenario, Json } from './admission-scenarios.ts';
import { count } from './harness.ts';
import type { Disagreement, Tally } from './harness.ts';

const PATHS: Readonly<Record<string, string>> = {
  Pod: 'pods', PersistentVolumeClaim: 'persistentvolumeclaims', Service: 'services', ConfigMap: 'configmaps',
  Secret: 'secrets', LimitRange: 'limitranges', ResourceQuota: 'resourcequotas', Deployment: 'deployments', Job: 'jobs',
};

export function collection(ns: string, obj: Json): string {
  const apiVersion = String(obj.apiVersion);
  const root = apiVersion === 'v1' ? '/api/v1' : `/apis/${apiVersion}`;
  return `${root}/namespaces/${ns}/${PATHS[String(obj.kind)]}`;
}

export function nameOf(obj: Json): string {
  return String((obj.metadata as Json).name);
}


export function outcome(obj: Json, allowed: boolean, reason: string | undefined): string {
  if (allowed) return `${String(obj.kind)} allowed`;
  const r = reason ?? '';
  const why = r.includes('exceeded quota') ? 'exceeded quota' : r.includes('failed quota') ? 'failed quota (must specify)'
    : r.includes('is invalid') ? 'invalid' : r.includes('usage per') || r.includes('ratio per') ? 'refused by LimitRange' : r;
  return `${String(obj.kind)} refused: ${why}`;
}

/** Namespaces made ahead of the scenarios, each ready for pods and with its CA ConfigMap. */
export class NamespacePool {
  readonly #cluster: Cluster;
  readonly #ready: Promise<string>[] = [];
  readonly #depth: number;

  constructor(cluster: Cluster, depth: number) {
    this.#cluster = cluster;
    this.#depth = depth;
  }

  /** A ready namespace that nobody else uses. */
  take(): Promise<string> {
    while (this.#ready.length < this.#depth) this.#ready.push(this.#make());
    const next = this.#ready.shift() as Promise<string>;
    this.#ready.push(this.#make());
    return next;
  }

  #make(): Promise<string> {
    const made = this.#create();
    // Namespaces still being made when the cluster stops fail; nobody waits for them.
    made.catch(() => undefined);
    return made;
  }

  async #create(): Promise<string> {
    const ns = uniqueName('lrq');
    expectOk(await this.#cluster.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }), 'namespace');
    await eventually(`namespace ${ns} ready`, async () => {
      const sa = await this.#cluster.request('GET', `/api/v1/namespaces/${ns}/serviceaccounts/default`);
      const ca = await this.#cluster.request('GET', `/api/v1/namespaces/${ns}/configmaps/kube-root-ca.crt`);
      return sa.status === 200 && ca.status === 200 ? true : undefined;
    }, 30_000, 50);
    return ns;
  }
}

export async function quotaStatus(cluster: Cluster, ns: string, name: string): Promise<{ hard: Record<string, string>; used: Record<string, string> }> {
  const q = expectOk(await cluster.request('GET', `/api/v1/namespaces/${ns}/resourcequotas/${name}`), `get quota ${name}`) as KubeObject;
  const status = (q.status ?? {}) as { hard?: Record<string, string>; used?: Record<string, string> };
  return { hard: status.hard ?? {}, used: status.used ?? {} };
}

/**
 * The quota controller's own count: changes one hard limit (which only the comparison of
 * status.used follows) and waits until status.hard shows it. Retries with another value when
 * the count differs from `expected`, since the controller counts from its informers, which may
 * trail the last create by a moment.
 */
export async function controllerUsed(
  cluster: Cluster, ns: string, quota: Json, expected: Readonly<Record<string, string>>, round = 0,
): Promise<Record<string, string>> {
  const hard = (quota.spec as { hard: Record<string, string> }).hard;
  const key = Object.keys(hard)[0];
  let used: Record<string, string> = {};
  // Each round sets values no earlier round set, or the change would not reach the controller.
  for (const bump of [0, 1, 2].map((k) => String(9999 - 3 * round - k))) {
    expectOk(await cluster.request('PATCH', `/api/v1/namespaces/${ns}/resourcequotas/${nameOf(quota)}`,
      { spec: { hard: { [key]: bump } } }, 'application/merge-patch+json'), 'bump quota');
    used = await eventually(`controller recount of ${ns}/${nameOf(quota)}`, async () => {
      const s = await quotaStatus(cluster, ns, nameOf(quota));
      return s.hard[key] === bump && Object.keys(hard).every((k) => s.used[k] !== undefined) ? s.used : undefined;
    }, 30_000, 50);
    if (isDeepStrictEqual(pick(used, Object.keys(hard)), expected)) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return pick(used, Object.keys(hard));
}

/**
 * Makes the controller count a quota again, when its used differs from `expected`, by changing
 * one hard limit and changing it back (no create happens meanwhile, so admission never sees the
 * passing value). Returns whether a recount was needed. A count that stays different is left
 * for the comparison after the sequence to report.
 */
export async function settleInitialUsed(cluster: Cluster, ns: string, quota: Json, expected: Readonly<Record<string, string>>): Promise<boolean> {
  const hard = (quota.spec as { hard: Record<string, string> }).hard;
  const keys = Object.keys(hard);
  const current = async () => pick((await quotaStatus(cluster, ns, nameOf(quota))).used, keys);
  if (isDeepStrictEqual(await current(), expected)) return false;
  const key = keys[0];
  const path = `/api/v1/namespaces/${ns}/resourcequotas/${nameOf(quota)}`;
  for (let round = 0; round < 3; round++) {
    const passing = String(9990 - round);
    for (const value of [passing, hard[key]]) {
      expectOk(await cluster.request('PATCH', path, { spec: { hard: { [key]: value } } }, 'application/merge-patch+json'), 'recount quota');
      await eventually(`controller recount of ${ns}/${nameOf(quota)}`, async () => {
        const s = await quotaStatus(cluster, ns, nameOf(quota));
        const seen = value === passing ? s.hard[key] === passing : s.hard[key] !== undefined && s.hard[key] !== passing;
        return seen && keys.every((k) => s.used[k] !== undefined) ? true : undefined;
      }, 30_000, 50);
    }
    if (isDeepStrictEqual(await current(), expected)) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return true;
}

export function pick(list: Readonly<Record<string, string>>, keys: readonly string[]): Record<string, string> {
  return Object.fromEntries(keys.filter((k) => list[k] !== undefined).map((k) => [k, list[k]]));
}

/**
 * Plays `scenario` in a fresh namespace of `cluster` and in a fresh AdmissionState that also
 * holds `clusterObjects` (the cluster-scoped objects admission reads: PriorityClasses,
 * RuntimeClasses). Returns the first disagreement: a create (`step` is the object's index) or a
 * quota's used after the sequence (`step` is the number of objects). Deletes the namespace.
 */
export async function playScenario(
  cluster: Cluster, pool: NamespacePool, clusterObjects: readonly Json[], scenario: AdmissionScenario, tally: Tally,
): Promise<Disagreement | undefined> {
  const ns = await pool.take();
  try {
    const ca = expectOk(await cluster.request('GET', `/api/v1/namespaces/${ns}/configmaps/kube-root-ca.crt`), 'CA ConfigMap') as Json;
    const main = new AdmissionState();
    for (const o of clusterObjects) main.addExisting(decodeObject(o));
    main.addExisting(decodeObject(ca));
    const limitRanges: Json[] = [];
    const quotas: Json[] = [];
    // Something kube-apiserver refuses as invalid is left out on both sides, and counted.
    for (const [list, accepted] of [[scenario.limitRanges, limitRanges], [scenario.quotas, quotas]] as const) {
      for (const obj of list) {
        const res = await cluster.request('POST', collection(ns, obj), obj);
        if (res.status !== 201) {
          count(tally, `invalid ${String(obj.kind)}: ${String((res.body as Json).message).replace(/"[a-z0-9-]+"/, '"…"').slice(0, 160)}`);
          continue;
        }
        accepted.push(obj);
        main.addExisting(decodeObject(inNamespace(obj, ns)));
      }
    }
    for (const q of quotas) await waitForQuotaUsed(cluster, ns, nameOf(q));
    // The controller's first count comes from its informers, which may not yet hold an object
    // created a moment before the quota (a LimitRange, for count/limitranges); nothing recounts
    // it until a change of spec.hard or the 5-minute resync. So the sequence starts only once
    // each quota's used is that of the objects that exist (as Berth counts them).
    const initial = main.quotaReports();
    for (const q of quotas) {
      const hardKeys = Object.keys((q.spec as { hard: Record<string, string> }).hard);
      const expected = pick(initial.find((r) => r.name === nameOf(q))?.used ?? {}, hardKeys);
      if (await settleInitialUsed(cluster, ns, q, expected)) count(tally, 'initial quota used recounted');
    }
    if (limitRanges.length + quotas.length > 0) {
      expectOk(await cluster.request('GET', `/api/v1/namespaces/${ns}/limitranges`), 'list limitranges');
      expectOk(await cluster.request('GET', `/api/v1/namespaces/${ns}/resourcequotas`), 'list resourcequotas');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    const admitted: Json[] = [];
    const admittedNames = new Map<number, string>();
    for (const [i, obj] of scenario.objects.entries()) {
      const ctx: StepContext = { namespace: ns, preexisting: [...clusterObjects, ca], limitRanges, quotas, admitted: [...admitted] };
      const res = await cluster.request('POST', collection(ns, obj), obj);
      const kube = withoutGeneratedSuffix(kubeVerdict(res.status, res.body), (obj.metadata as Json).generateName as string | undefined);
      const berth = berthVerdict(main.admit(decodeObject(inNamespace(obj, ns))));
      if (!isDeepStrictEqual(kube, berth)) {
        if (kube.allowed !== berth.allowed || !agreesInSomeOrder(ctx, obj, kube)) return { step: i, kube, berth };
        count(tally, 'agreed in another LimitRange/quota order');
      }
      count(tally, outcome(obj, kube.allowed, kube.reason));
      if (kube.allowed) {
        admitted.push(res.body as Json);
        admittedNames.set(i, nameOf(res.body as Json));
      }
    }

    // Admission's used counts every create that passed ResourceQuota, even one refused after it
    // (a taken name); the controller counts the objects. Berth answers both: the state that
    // admitted the sequence, and a state measuring the objects kube-apiserver stored.
    const reports = main.quotaReports();
    const measured = new AdmissionState();
    for (const o of [...clusterObjects, ca, ...limitRanges.map((x) => inNamespace(x, ns)), ...quotas.map((x) => inNamespace(x, ns)), ...admitted]) measured.addExisting(decodeObject(o));
    const measuredReports = measured.quotaReports();
    for (const q of quotas) {
      const hardKeys = Object.keys((q.spec as { hard: Record<string, string> }).hard);
      const berthUsed = pick(reports.find((r) => r.name === nameOf(q))?.used ?? {}, hardKeys);
      const admissionUsed = pick((await quotaStatus(cluster, ns, nameOf(q))).used, hardKeys);
      const step = scenario.objects.length;
      if (!isDeepStrictEqual(admissionUsed, berthUsed)) {
        return { step, kube: { quota: nameOf(q), usedByAdmission: admissionUsed }, berth: { quota: nameOf(q), used: berthUsed } };
      }
      const berthMeasured = pick(measuredReports.find((r) => r.name === nameOf(q))?.used ?? {}, hardKeys);
      const recount = await controllerUsed(cluster, ns, q, berthMeasured);
      if (!isDeepStrictEqual(recount, berthMeasured)) {
        return { step, kube: { quota: nameOf(q), usedByController: recount }, berth: { quota: nameOf(q), measured: berthMeasured } };
      }
      count(tally, 'quota used agreed');
    }
    return await playProbe(cluster, ns, clusterObjects, scenario, admittedNames, tally);
  } finally {
    await cluster.request('DELETE', `/api/v1/namespaces/${ns}`);
  }
}

const EXPORTED: readonly (readonly [string, string])[] = [
  ['v1', 'LimitRange'], ['v1', 'ResourceQuota'], ['v1', 'Pod'], ['v1', 'PersistentVolumeClaim'], ['v1', 'Service'],
  ['v1', 'ConfigMap'], ['v1', 'Secret'], ['apps/v1', 'Deployment'], ['batch/v1', 'Job'],
];

/**
 * `berth check` itself (its `check` function): the state written as one YAML file of many
 * documents, as `kubectl get -o yaml` would give it, and the object to create in another.
 */
function checkFiles(state: readonly Json[], obj: Json): ReturnType<typeof check> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-lrq-'));
  try {
    const statePath = join(dir, 'state.yaml');
    const inputPath = join(dir, 'input.yaml');
    writeFileSync(statePath, state.map((o) => dump(JSON.parse(JSON.stringify(o)))).join('---\n'));
    writeFileSync(inputPath, dump(obj));
    return check({ state: [statePath], files: [inputPath], output: 'json' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The probe: the namespace read back from the cluster (list items carry no kind, so it is set)
 * is given to `berth check` as its state, as an export would be; then one more create on both
 * sides, and each quota's used after it. `step` counts past the quota check.
 */
async function playProbe(
  cluster: Cluster, ns: string, clusterObjects: readonly Json[], scenario: AdmissionScenario, admitted: ReadonlyMap<number, string>, tally: Tally,
): Promise<Disagreement | undefined> {
  const changes = scenario.changes.filter((f) => admitted.has(f.index));
  for (const { index, status } of changes) {
    const obj = scenario.objects[index];
    expectOk(await cluster.request('PATCH', `${collection(ns, obj)}/${admitted.get(index)}/status`, { status }, 'application/merge-patch+json'),
      `status of ${String(obj.kind)} ${index}`);
    count(tally, `${String(obj.kind)} status ${JSON.stringify(status)} before the read-back`);
  }
  const exported: Json[] = [...clusterObjects];
  for (const [apiVersion, kind] of EXPORTED) {
    const list = expectOk(await cluster.request('GET', collection(ns, { apiVersion, kind })), `list ${kind}`) as { items: Json[] };
    for (const item of list.items) exported.push({ apiVersion, kind, ...(kind === 'ResourceQuota' && !scenario.quotaStatus ? { ...item, status: undefined } : item) });
  }
  if (changes.length > 0) {
    // The controller recounts on some of these changes, not all; a recount is made certain.
    const measured = new AdmissionState();
    for (const obj of exported) measured.addExisting(decodeObject(obj.kind === 'ResourceQuota' ? { ...obj, status: undefined } : obj));
    const reports = measured.quotaReports();
    for (const q of exported.filter((o) => o.kind === 'ResourceQuota')) {
      await controllerUsed(cluster, ns, q, reports.find((r) => r.name === nameOf(q))?.used ?? {}, 1);
    }
    // Read back again: status.used, and the hard limit the recount changed.
    return playProbe(cluster, ns, clusterObjects, { ...scenario, changes: [] }, admitted, tally);
  }
  const checked = checkFiles(exported, inNamespace(scenario.probe, ns));
  const res = await cluster.request('POST', collection(ns, scenario.probe), scenario.probe);
  const kube = withoutGeneratedSuffix(kubeVerdict(res.status, res.body), (scenario.probe.metadata as Json).generateName as string | undefined);
  const berth = berthVerdict(checked.results[0]);
  const step = scenario.objects.length + 1;
  if (!isDeepStrictEqual(kube, berth)) {
    const ctx: StepContext = {
      namespace: ns,
      preexisting: exported.filter((o) => o.kind !== 'LimitRange' && o.kind !== 'ResourceQuota'),
      limitRanges: exported.filter((o) => o.kind === 'LimitRange'),
      quotas: exported.filter((o) => o.kind === 'ResourceQuota'),
      admitted: [],
    };
    if (kube.allowed !== berth.allowed || !agreesInSomeOrder(ctx, scenario.probe, kube)) return { step, kube: { probe: kube }, berth: { probe: berth } };
    count(tally, 'agreed in another LimitRange/quota order');
  }
  count(tally, `probe: ${outcome(scenario.probe, kube.allowed, kube.reason)}`);
  for (const report of checked.quotas) {
    // A quota the probe made has a used only once the controller has counted.
    if (kube.allowed && scenario.probe.kind === 'ResourceQuota' && report.name === nameOf(scenario.probe)) await waitForQuotaUsed(cluster, ns, report.name);
    const used = pick((await quotaStatus(cluster, ns, report.name)).used, Object.keys(report.used));
    if (!isDeepStrictEqual(used, report.used)) return { step, kube: { quota: report.name, usedAfterProbe: used }, berth: { quota: report.name, used: report.used } };
  }
  return undefined;
}

/** Runs `play` over `items` with at most `width` at a time; results in input order. */
export async function inParallel<T, R>(items: readonly T[], width: number, play: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await play(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return results;
}
