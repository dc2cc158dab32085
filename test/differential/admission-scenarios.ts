// Random, valid LimitRange/ResourceQuota admission scenarios for the differential test against
// kube-apiserver: a namespace's LimitRanges and ResourceQuotas, then Pods, PVCs, Services,
// ConfigMaps and Secrets created one by one. A pure function of the random source.
//
// One restriction keeps kube-apiserver's defaulted values a function of the scenario: each
// resource (cpu, memory, ephemeral-storage) appears in the Container items of one LimitRange at
// most (Container items are the only ones that default, and API defaulting turns their max and
// min into defaults). kube-apiserver mutates with the LimitRanges in its informer's order (a Go
// map's, random per request), so two LimitRanges defaulting the same resource would give a random
// value. What still depends on that order (which LimitRange writes the `kubernetes.io/limit-ranger`
// annotation last, which refusal is reported) is handled where answers are compared
// (admission-verdicts.ts).
import type { Rng } from './random.ts';

/** A Kubernetes object as JSON. */
export type Json = Readonly<Record<string, unknown>>;

/** One scenario: what a namespace holds before the sequence, then the objects created in order. */
export interface AdmissionScenario {
  readonly limitRanges: readonly Json[];
  readonly quotas: readonly Json[];
  readonly objects: readonly Json[];
  /**
   * One more object, admitted after the sequence against a state read back from the cluster
   * (every object of the namespace as kube-apiserver serves it, quotas with their status), as
   * `berth check --state` would be given an export.
   */
  readonly probe: Json;
  /**
   * Status changes (objects by index in `objects`) made before the read-back, as a kubelet or a
   * volume resizer would: pods reaching a terminal phase (quota stops charging their compute),
   * claims with status.allocatedResources (quota charges the larger of it and the request).
   */
  readonly changes: readonly { readonly index: number; readonly status: Json }[];
  /** Whether the read-back keeps each quota's status; without it Berth measures usage from the objects, as the controller does. */
  readonly quotaStatus: boolean;
}

/** The PriorityClasses the scenarios refer to; the test creates them once per cluster. */
export const PRIORITY_CLASSES: readonly Json[] = [
  { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'high' }, value: 1000 },
  { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'low' }, value: 10, preemptionPolicy: 'Never' },
];

/**
 * Made cluster-wide defaults for the last batch of scenarios: pods naming no PriorityClass get
 * the global default one, which PriorityClass quota scopes see; claims naming no StorageClass
 * get the default one, which per-class quotas charge.
 */
export const CLUSTER_DEFAULTS: readonly Json[] = [
  { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'fallback' }, value: 5, globalDefault: true },
  // WaitForFirstConsumer: the volume controller leaves the claims alone (no pod consumes them), so
  // it never updates one and sets off a quota recount that could race the next create.
  {
    apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', provisioner: 'example.com/none', volumeBindingMode: 'WaitForFirstConsumer',
    metadata: { name: 'gold', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
  },
];

/**
 * The RuntimeClasses the scenarios refer to (one with pod overhead, which quota charges and
 * LimitRanger ignores); the test creates them once per cluster, and they are part of Berth's state.
 */
export const RUNTIME_CLASSES: readonly Json[] = [
  { apiVersion: 'node.k8s.io/v1', kind: 'RuntimeClass', metadata: { name: 'kata' }, handler: 'kata', overhead: { podFixed: { cpu: '250m', memory: '120Mi' } } },
  { apiVersion: 'node.k8s.io/v1', kind: 'RuntimeClass', metadata: { name: 'runc' }, handler: 'runc' },
];

// Ladders in increasing order; some spellings are not canonical (0.5, 1000m, 1024Mi, 2e9), so
// the echo of quantities in messages and defaulted fields is exercised too.
const CPU = ['50m', '0.1', '100500u', '250m', '0.5', '1000m', '1.5', '2'];
const MEMORY = ['32Mi', '64Mi', '128974848', '129e6', '256Mi', '500M', '1024Mi', '1.5Gi', '2e9'];
const EPHEMERAL = ['500Mi', '1Gi', '1.5Gi', '2Gi', '4G'];
const STORAGE = ['500Mi', '1Gi', '2Gi', '5Gi', '10Gi'];
/** An extended resource: requests must equal limits, and quota counts it as requests.<name>. */
const WIDGET = 'example.com/widget';

const HUGEPAGES = 'hugepages-2Mi';
const COMPUTE = ['cpu', 'memory', 'requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory', `requests.${WIDGET}`];
const POD_COUNTS = ['pods', 'count/pods'];
const UNSCOPED = [
  ...COMPUTE, ...POD_COUNTS, 'requests.ephemeral-storage', 'limits.ephemeral-storage', 'ephemeral-storage',
  'requests.storage', 'persistentvolumeclaims', 'count/persistentvolumeclaims',
  'gold.storageclass.storage.k8s.io/requests.storage', 'gold.storageclass.storage.k8s.io/persistentvolumeclaims',
  'silver.storageclass.storage.k8s.io/requests.storage',
  'services', 'count/services', 'services.nodeports', 'services.loadbalancers', 'configmaps', 'secrets', 'count/configmaps', 'count/limitranges',
  HUGEPAGES, `requests.${HUGEPAGES}`, 'count/deployments.apps', 'count/jobs.batch',
];

/** Non-decreasing picks from a ladder, so that min <= defaultRequest <= default <= max holds. */
function ladder(rng: Rng, values: readonly string[], n: number): string[] {
  return Array.from({ length: n }, () => rng.int(0, values.length - 1)).sort((a, b) => a - b).map((i) => values[i]);
}

function merge(item: Record<string, Record<string, string>>, key: string, resource: string, value: string): void {
  item[key] = { ...item[key], [resource]: value };
}

const CONTAINER_RESOURCES = [['cpu', CPU], ['memory', MEMORY], ['ephemeral-storage', EPHEMERAL]] as const;

function containerItem(rng: Rng, held: readonly string[]): Json | undefined {
  const item: Record<string, Record<string, string>> = {};
  for (const [resource, values] of CONTAINER_RESOURCES) {
    if (!held.includes(resource)) continue;
    if (resource === 'ephemeral-storage' && rng.chance(0.6)) continue;
    if (!rng.chance(0.7)) continue;
    const [min, defaultRequest, def, max] = ladder(rng, values, 4);
    if (rng.chance(0.35)) merge(item, 'min', resource, min);
    if (rng.chance(0.5)) merge(item, 'defaultRequest', resource, defaultRequest);
    if (rng.chance(0.5)) merge(item, 'default', resource, def);
    if (rng.chance(0.4)) merge(item, 'max', resource, max);
    if (rng.chance(0.2)) merge(item, 'maxLimitRequestRatio', resource, rng.pick(['1', '1.5', '2', '4']));
  }
  return Object.keys(item).length === 0 ? undefined : { type: 'Container', ...item };
}

function podItem(rng: Rng): Json {
  const item: Record<string, Record<string, string>> = {};
  for (const [resource, values] of [['cpu', CPU], ['memory', MEMORY], ['ephemeral-storage', EPHEMERAL]] as const) {
    if (!rng.chance(resource === 'ephemeral-storage' ? 0.2 : 0.6)) continue;
    const [min, max] = ladder(rng, [...values, values.at(-1) as string], 2);
    if (rng.chance(0.4)) merge(item, 'min', resource, min);
    if (rng.chance(0.7)) merge(item, 'max', resource, rng.pick([max, resource === 'cpu' ? '4' : '4Gi']));
    if (rng.chance(0.15)) merge(item, 'maxLimitRequestRatio', resource, rng.pick(['2', '2.5', '4']));
  }
  return { type: 'Pod', ...item };
}

function pvcItem(rng: Rng): Json {
  const [min, max] = ladder(rng, STORAGE, 2);
  // Validation wants at least one of min and max.
  const both = rng.chance(0.4);
  return { type: 'PersistentVolumeClaim', ...(both || rng.chance(0.5) ? { min: { storage: min } } : { max: { storage: max } }), ...(both ? { max: { storage: max } } : {}) };
}

function limitRanges(rng: Rng): Json[] {
  const count = rng.pick([0, 1, 1, 1, 2]);
  const holders = CONTAINER_RESOURCES.map(([resource]) => [resource, rng.int(0, Math.max(0, count - 1))] as const);
  return Array.from({ length: count }, (_, i) => {
    const limits: Json[] = [];
    const c = containerItem(rng, holders.filter(([, holder]) => holder === i).map(([resource]) => resource));
    if (c !== undefined) limits.push(c);
    if (rng.chance(0.35)) limits.push(podItem(rng));
    if (rng.chance(0.3)) limits.push(pvcItem(rng));
    if (limits.length === 0) limits.push(pvcItem(rng));
    return { apiVersion: 'v1', kind: 'LimitRange', metadata: { name: `limits-${i}` }, spec: { limits } };
  });
}

function hardValue(rng: Rng, resource: string): string {
  if (resource.includes('cpu')) return rng.pick(['500m', '1', '1.5', '2', '3', '0', '2500m']);
  if (resource.includes('memory')) return rng.pick(['256Mi', '512Mi', '1Gi', '2G', '3Gi', '0.5Gi', '1e9']);
  if (resource.includes('storage')) return rng.pick(['1Gi', '3Gi', '10Gi', '2500Mi', '3e9']);
  return rng.pick(['0', '1', '2', '2', '3', '4', '6', '1e1']);
}

/** A scope set kube-apiserver accepts, and the hard resources it may track (validation refuses others). */
function scoping(rng: Rng): { readonly spec: Json; readonly resources: readonly string[] } {
  const roll = rng.int(0, 12);
  const podScoped = [...COMPUTE, ...POD_COUNTS];
  if (roll <= 3) return { spec: {}, resources: UNSCOPED };
  if (roll === 10) {
    const scopeName = rng.pick(['BestEffort', 'NotBestEffort', 'Terminating', 'NotTerminating']);
    return { spec: { scopeSelector: { matchExpressions: [{ scopeName, operator: 'Exists' }] } }, resources: scopeName === 'BestEffort' ? POD_COUNTS : podScoped };
  }
  if (roll === 11) return { spec: { scopes: ['CrossNamespacePodAffinity'] }, resources: podScoped };
  if (roll === 12) {
    const operator = rng.pick(['In', 'NotIn', 'Exists', 'DoesNotExist']);
    const values = operator === 'In' || operator === 'NotIn' ? [rng.pick(['fast', 'slow'])] : undefined;
    return {
      spec: { scopeSelector: { matchExpressions: [{ scopeName: 'VolumeAttributesClass', operator, ...(values ? { values } : {}) }] } },
      resources: ['persistentvolumeclaims', 'requests.storage', 'count/persistentvolumeclaims', 'gold.storageclass.storage.k8s.io/requests.storage'],
    };
  }
  if (roll === 4) return { spec: { scopes: ['BestEffort'] }, resources: POD_COUNTS };
  if (roll === 5) return { spec: { scopes: [rng.pick(['Terminating', 'NotTerminating'])] }, resources: podScoped };
  if (roll === 6) return { spec: { scopes: ['NotBestEffort', rng.pick(['Terminating', 'NotTerminating'])] }, resources: podScoped };
  const operator = rng.pick(['In', 'In', 'NotIn', 'Exists', 'DoesNotExist']);
  const values = operator === 'In' || operator === 'NotIn' ? [rng.pick(['high', 'low', 'fallback'])] : undefined;
  const selector = { scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator, ...(values ? { values } : {}) }] } };
  if (roll === 9) return { spec: { ...selector, scopes: [rng.pick(['Terminating', 'NotTerminating', 'NotBestEffort'])] }, resources: podScoped };
  return { spec: selector, resources: podScoped };
}

function quotas(rng: Rng): Json[] {
  const count = rng.pick([0, 1, 1, 2, 2, 3]);
  return Array.from({ length: count }, (_, i) => {
    const { spec, resources } = scoping(rng);
    const hard: Record<string, string> = {};
    for (let k = rng.int(1, 4); k > 0; k--) {
      const resource = rng.pick(resources);
      hard[resource] = hardValue(rng, resource);
    }
    // Counting quotas only in the last one made: a quota made while another counts them would
    // race that one's first status ("status unknown for quota").
    if (i === count - 1 && resources === UNSCOPED && rng.chance(0.3)) hard.resourcequotas = rng.pick([String(count), String(count + 1)]);
    return { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: `quota-${i}` }, spec: { hard, ...spec } };
  });
}

function requirements(rng: Rng): Json {
  return requirementsOf(rng, ['cpu', 'memory'], true);
}

function requirementsOf(rng: Rng, resources: readonly ('cpu' | 'memory')[], extra = false): Json {
  const requests: Record<string, string> = {};
  const limits: Record<string, string> = {};
  for (const resource of resources) {
    const values = resource === 'cpu' ? CPU : MEMORY;
    const roll = rng.next();
    if (roll < 0.3) continue;
    if (roll < 0.5) requests[resource] = rng.pick(values);
    else if (roll < 0.7) limits[resource] = rng.pick(values);
    else {
      // Mostly request <= limit; now and then the other way round, which validation refuses.
      const [low, high] = ladder(rng, values, 2);
      const swap = rng.chance(0.04);
      requests[resource] = swap ? high : low;
      limits[resource] = swap ? low : high;
    }
  }
  if (extra && rng.chance(0.1)) requests['ephemeral-storage'] = rng.pick(EPHEMERAL);
  if (extra && rng.chance(0.05)) limits['ephemeral-storage'] = '2Gi';
  if (extra && rng.chance(0.08)) {
    requests[WIDGET] = rng.pick(['1', '2']);
    limits[WIDGET] = rng.chance(0.9) ? requests[WIDGET] : '3';
  }
  // Hugepages cannot be overcommitted and need cpu or memory beside them.
  if (extra && rng.chance(0.06) && (requests.cpu ?? requests.memory ?? limits.cpu ?? limits.memory) !== undefined) {
    requests[HUGEPAGES] = rng.pick(['2Mi', '4Mi']);
    limits[HUGEPAGES] = requests[HUGEPAGES];
  }
  return {
    ...(Object.keys(requests).length > 0 ? { requests } : {}),
    ...(Object.keys(limits).length > 0 ? { limits } : {}),
  };
}

function pod(rng: Rng, name: string): Json {
  const containers = Array.from({ length: rng.int(1, 3) }, (_, i) => ({ name: `c${i}`, image: 'registry.example/app:1', resources: requirements(rng) }));
  const initContainers = Array.from({ length: rng.pick([0, 0, 0, 1, 2]) }, (_, i) => ({
    name: `i${i}`, image: 'registry.example/init:1', resources: requirements(rng), ...(rng.chance(0.4) ? { restartPolicy: 'Always' } : {}),
  }));
  // The Priority plugin resolves the class (system classes always exist) or refuses the pod.
  const priorityClassName = rng.pick([undefined, undefined, undefined, 'high', 'low', 'low', 'system-cluster-critical', 'missing']);
  const priority = rng.chance(0.04) ? { priority: rng.pick([0, 10, 1000]) } : {};
  // A RuntimeClass with overhead, one without, one that does not exist; now and then an overhead written in the pod.
  const runtimeClassName = rng.chance(0.15) ? rng.pick(['kata', 'kata', 'runc', 'missing']) : undefined;
  const overhead = rng.chance(0.04) ? { overhead: rng.pick([{ cpu: '250m', memory: '120Mi' }, { cpu: '100m' }]) } : {};
  // Pod-level resources (KEP-2837): only cpu and memory.
  const podLevel = rng.chance(0.12) ? requirementsOf(rng, ['cpu', 'memory']) : undefined;
  const term = { labelSelector: { matchLabels: { app: 'x' } }, topologyKey: 'kubernetes.io/hostname' };
  const affinity = rng.chance(0.08)
    ? { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [rng.chance(0.5) ? { ...term, namespaces: ['other'] } : { ...term, namespaceSelector: {} }] } }
    : undefined;
  return {
    apiVersion: 'v1', kind: 'Pod', metadata: { name },
    spec: {
      containers, ...(initContainers.length > 0 ? { initContainers } : {}),
      ...(podLevel === undefined || Object.keys(podLevel).length === 0 ? {} : { resources: podLevel }),
      ...(affinity === undefined ? {} : { affinity }),
      ...(rng.chance(0.3) ? { activeDeadlineSeconds: rng.pick([1, 600]) } : {}),
      ...(priorityClassName === undefined ? {} : { priorityClassName }),
      ...priority,
      ...(runtimeClassName === undefined ? {} : { runtimeClassName }),
      ...overhead,
    },
  };
}

function object(rng: Rng, i: number): Json {
  const made = anyObject(rng, i);
  // Some objects get only a generateName; kube-apiserver completes it.
  if (!rng.chance(0.06)) return made;
  const { name: _, ...metadata } = made.metadata as Json;
  return { ...made, metadata: { ...metadata, generateName: `g${i}-` } };
}

function anyObject(rng: Rng, i: number): Json {
  // Now and then the name of an earlier object: a create of a name taken by the same kind fails.
  const name = i > 0 && rng.chance(0.1) ? `o${rng.int(0, i - 1)}` : `o${i}`;
  const roll = rng.next();
  if (roll < 0.6) return pod(rng, name);
  if (roll < 0.75) {
    return {
      apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name },
      spec: {
        accessModes: ['ReadWriteOnce'], resources: { requests: { storage: rng.pick([...STORAGE, '1500Mi', '0.5Gi']) } },
        ...(rng.chance(0.6) ? { storageClassName: rng.pick(['gold', 'silver']) } : {}),
        ...(rng.chance(0.4) ? { volumeAttributesClassName: rng.pick(['fast', 'slow']) } : {}),
      },
      // The beta annotation still names the class, and wins over the field.
      ...(rng.chance(0.1) ? { metadata: { name, annotations: { 'volume.beta.kubernetes.io/storage-class': rng.pick(['gold', 'silver']) } } } : {}),
    };
  }
  if (roll < 0.88) {
    if (rng.chance(0.1)) return { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { type: 'ExternalName', externalName: 'db.example.com' } };
    const type = rng.pick(['ClusterIP', 'NodePort', 'LoadBalancer']);
    const ports = Array.from({ length: rng.int(1, 2) }, (_, p) => ({ name: `p${p}`, port: 80 + p }));
    const noNodePorts = type === 'LoadBalancer' && rng.chance(0.3) ? { allocateLoadBalancerNodePorts: false } : {};
    return { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { type, ports, selector: { app: name }, ...noNodePorts } };
  }
  if (roll < 0.92) return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { k: 'v' } };
  if (roll < 0.96) return { apiVersion: 'v1', kind: 'Secret', metadata: { name }, stringData: { k: 'v' } };
  // Workloads that make no pods (no replicas, suspended), so that only their count changes.
  const template = { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'registry.example/app:1' }], restartPolicy: 'Never' } };
  if (roll < 0.98) {
    return {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name },
      spec: { replicas: 0, selector: { matchLabels: { app: name } }, template: { ...template, spec: { ...template.spec, restartPolicy: 'Always' } } },
    };
  }
  return { apiVersion: 'batch/v1', kind: 'Job', metadata: { name }, spec: { suspend: true, template } };
}

/** A random valid scenario: up to 2 LimitRanges, up to 3 quotas, 3 to 8 objects, then the probe. */
export function generateScenario(rng: Rng): AdmissionScenario {
  const lrs = limitRanges(rng);
  const qs = quotas(rng);
  const objects = Array.from({ length: rng.int(3, 8) }, (_, i) => object(rng, i));
  // The probe is now and then a quota or a LimitRange, which quotas count too.
  const probe = rng.chance(0.85) ? object(rng, objects.length)
    : rng.chance(0.5) ? { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'probe' }, spec: { hard: { pods: '9', 'requests.storage': '20Gi' } } }
      : { apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'probe' }, spec: { limits: [pvcItem(rng)] } };
  const changes = objects.flatMap((o, index): { index: number; status: Json }[] => {
    if (!rng.chance(0.3)) return [];
    if (o.kind === 'Pod') return [{ index, status: { phase: rng.pick(['Succeeded', 'Failed']) } }];
    if (o.kind === 'PersistentVolumeClaim') return [{ index, status: { allocatedResources: { storage: rng.pick(['100Mi', '3Gi', '20Gi']) } } }];
    return [];
  });
  return { limitRanges: lrs, quotas: qs, objects, probe, changes, quotaStatus: rng.chance(0.5) };
}

/**
 * Smaller scenarios to try after a disagreement at object `step`: the prefix up to it, then that
 * prefix without one earlier object, one quota, one LimitRange, or one LimitRange item.
 */
export function shrinkScenario(scenario: AdmissionScenario, step: number): readonly AdmissionScenario[] {
  if (step < scenario.objects.length) scenario = { ...scenario, changes: [] };
  const objects = scenario.objects.slice(0, step + 1);
  const out: AdmissionScenario[] = [];
  if (objects.length < scenario.objects.length) out.push({ ...scenario, objects });
  const without = <T>(list: readonly T[], j: number): T[] => list.filter((_, k) => k !== j);
  for (let j = 0; j < objects.length - 1; j++) {
    const changes = scenario.changes.filter((f) => f.index !== j).map((f) => (f.index > j ? { ...f, index: f.index - 1 } : f));
    out.push({ ...scenario, objects: without(objects, j), changes });
  }
  for (let j = 0; j < scenario.changes.length; j++) out.push({ ...scenario, objects, changes: without(scenario.changes, j) });
  for (let j = 0; j < scenario.quotas.length; j++) out.push({ ...scenario, objects, quotas: without(scenario.quotas, j) });
  for (let j = 0; j < scenario.limitRanges.length; j++) out.push({ ...scenario, objects, limitRanges: without(scenario.limitRanges, j) });
  for (const [j, lr] of scenario.limitRanges.entries()) {
    const items = (lr.spec as { limits: Json[] }).limits;
    if (items.length < 2) continue;
    for (let k = 0; k < items.length; k++) {
      const smaller = { ...lr, spec: { limits: without(items, k) } };
      out.push({ ...scenario, objects, limitRanges: scenario.limitRanges.map((x, m) => (m === j ? smaller : x)) });
    }
  }
  return out;
}
