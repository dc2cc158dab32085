// Admission of one object into a set of namespaces as kube-apiserver runs it for a create with
// its default admission plugins (LimitRanger and ResourceQuota foremost):
//   decode defaulting → LimitRanger, Priority, DefaultStorageClass, RuntimeClass (mutating)
//   → create defaulting (pod-level resources, QoS) → object validation
//   → LimitRanger and RuntimeClass (validating) → ResourceQuota.
// Each step is one call into the module that owns its rule, so a disagreement with a real API
// server is fixed where that rule lives. The state is an explicit object: admitted objects
// count against the quotas of everything admitted after them.
import { defaultLimitRange, defaultPodLevelResources, defaultPodResources } from './defaults.ts';
import {
  admitDefaultStorageClass, defaultStorageClass, encodeLimitRange, encodePod, encodeResourceList, groupResourceString, withNamespace,
  type JsonObject, type KubeObject, type LimitRange, type PriorityClass, type QosClass, type ResourceQuota, type RuntimeClass,
  type StorageClass,
} from '../objects/index.ts';
import { aggregateMessages, limitRangerMutatePod, limitRangerValidate } from './limitrange.ts';
import { computePodQos } from './qos.ts';
import { priorityAdmitPod } from './priority.ts';
import { runtimeClassMutatePod, runtimeClassValidatePod } from './runtimeclass.ts';
import { chargeExisting, checkQuotas, initialUsage, type QuotaUsage } from './quota.ts';
import { EvaluatorRegistry } from './quota-evaluators/registry.ts';
import { validatePodResources } from './validation.ts';

/** The outcome of admitting one object, in the shape `berth check` prints. */
export interface AdmissionResult {
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
  readonly allowed: boolean;
  /** Present when refused: the message kube-apiserver would return. */
  readonly reason?: string;
  /** The object after defaulting and LimitRange mutation. */
  readonly object: JsonObject;
  /** Present for Pods. */
  readonly qosClass?: QosClass;
}

/** A quota's hard limits and current usage, as printed quantities. */
export interface QuotaReport {
  readonly namespace: string;
  readonly name: string;
  readonly hard: Readonly<Record<string, string>>;
  readonly used: Readonly<Record<string, string>>;
}

interface NamespaceState {
  readonly objects: KubeObject[];
  readonly names: Set<string>;
  limitRanges: LimitRange[];
  quotas: QuotaUsage[];
}

/** The namespace admission puts an object in: its own, else `default`; none for cluster-scoped kinds. */
export function namespaceOf(obj: KubeObject): string | undefined {
  if (!obj.type.namespaced) return undefined;
  return obj.metadata.namespace || 'default';
}

function displayName(obj: KubeObject): string {
  return obj.metadata.name || obj.metadata.generateName || '';
}

function byName<T extends KubeObject>(list: readonly T[], item: T): T[] {
  return [...list.filter((x) => x.metadata.name !== item.metadata.name), item].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0));
}

function withNamespaceSet<T extends KubeObject>(obj: T, namespace: string | undefined): T {
  if (namespace === undefined || obj.metadata.namespace === namespace) return obj;
  return { ...obj, metadata: { ...obj.metadata, namespace } };
}

/**
 * What exists in the cluster, by namespace, and admission against it. Not thread-safe and not
 * idempotent: every successful {@link admit} changes what later calls see. Quotas and
 * LimitRanges are applied in name order (kube-apiserver takes its informer's order).
 */
export class AdmissionState {
  readonly #registry: EvaluatorRegistry;
  readonly #namespaces = new Map<string, NamespaceState>();

  constructor(registry: EvaluatorRegistry = new EvaluatorRegistry()) {
    this.#registry = registry;
  }

  #ns(namespace: string | undefined): NamespaceState {
    const key = namespace ?? '';
    let ns = this.#namespaces.get(key);
    if (!ns) {
      ns = { objects: [], names: new Set(), limitRanges: [], quotas: [] };
      this.#namespaces.set(key, ns);
    }
    return ns;
  }

  #record(ns: NamespaceState, obj: KubeObject, charged: boolean): void {
    const gr = groupResourceString(obj.type);
    if (obj.metadata.name) ns.names.add(`${gr}/${obj.metadata.name}`);
    const evaluator = this.#registry.get(gr);
    if (!charged) ns.quotas = ns.quotas.map((q) => chargeExisting(q, evaluator, obj));
    ns.objects.push(obj);
    if (obj.kind === 'LimitRange') ns.limitRanges = byName(ns.limitRanges, obj);
    if (obj.kind === 'ResourceQuota') this.#addQuota(ns, obj);
  }

  #addQuota(ns: NamespaceState, quota: ResourceQuota): void {
    let usage: QuotaUsage = { quota, used: initialUsage(quota, this.#registry) };
    for (const existing of ns.objects) {
      usage = chargeExisting(usage, this.#registry.get(groupResourceString(existing.type)), existing);
    }
    ns.quotas = [...ns.quotas.filter((q) => q.quota.metadata.name !== quota.metadata.name), usage]
      .sort((a, b) => (a.quota.metadata.name < b.quota.metadata.name ? -1 : 1));
  }

  /**
   * Records an object that already exists, without admission: it counts against quotas that do
   * not report status.used, and LimitRanges and ResourceQuotas take effect. API defaulting is
   * applied, as the stored object would carry it.
   */
  addExisting(obj: KubeObject): void {
    const namespace = namespaceOf(obj);
    let stored: KubeObject = withNamespaceSet(obj, namespace);
    if (stored.kind === 'Pod') stored = defaultPodLevelResources(defaultPodResources(stored));
    if (stored.kind === 'LimitRange') stored = defaultLimitRange(stored);
    this.#record(this.#ns(namespace), stored, false);
  }

  /** Admits one object as a create; on success it becomes part of the state. */
  admit(input: KubeObject): AdmissionResult {
    const namespace = namespaceOf(input);
    const ns = this.#ns(namespace);
    const gr = groupResourceString(input.type);
    const name = displayName(input);
    let obj: KubeObject = withoutStatus(withNamespaceSet(input, namespace));
    let qosClass: QosClass | undefined;
    const result = (allowed: boolean, reason?: string): AdmissionResult => ({
      kind: input.type.kind,
      ...(namespace !== undefined ? { namespace } : {}),
      name,
      allowed,
      ...(reason !== undefined ? { reason } : {}),
      object: encodeObject(obj, namespace, qosClass),
      ...(qosClass !== undefined ? { qosClass } : {}),
    });
    const forbidden = (message: string) => result(false, `${gr} "${name}" is forbidden: ${message}`);

    const runtimeClass = (n: string): RuntimeClass | undefined => this.#runtimeClass(n);
    if (obj.kind === 'Pod') {
      const prioritized = priorityAdmitPod(limitRangerMutatePod(defaultPodResources(obj), ns.limitRanges), this.#priorityClasses());
      if ('refusal' in prioritized) return forbidden(prioritized.refusal);
      const mutated = runtimeClassMutatePod(prioritized.pod, runtimeClass);
      if ('refusal' in mutated) return forbidden(mutated.refusal);
      obj = defaultPodLevelResources(mutated.pod);
      qosClass = computePodQos(obj);
      const invalid = validatePodResources(obj);
      if (invalid.length > 0) return result(false, `Pod "${name}" is invalid: ${aggregateMessages(invalid)}`);
    } else if (obj.kind === 'LimitRange') {
      obj = defaultLimitRange(obj);
    } else if (obj.kind === 'PersistentVolumeClaim') {
      const classes = this.#clusterObjects().filter((o): o is StorageClass => o.kind === 'StorageClass');
      obj = admitDefaultStorageClass(obj, defaultStorageClass(classes)?.metadata.name);
    }
    if (obj.kind === 'Pod' || obj.kind === 'PersistentVolumeClaim') {
      const refusal = limitRangerValidate(obj, ns.limitRanges) ?? (obj.kind === 'Pod' ? runtimeClassValidatePod(obj, runtimeClass) : undefined);
      if (refusal !== undefined) return forbidden(refusal);
    }
    if (namespace !== undefined) {
      const decision = checkQuotas(this.#registry.get(gr), ns.quotas, obj);
      if (!decision.allowed) return forbidden(decision.message);
      ns.quotas = [...decision.quotas];
    }
    // The name is checked only when the object is stored, after admission: a taken name is
    // refused after validation, LimitRanger and ResourceQuota, and the quota keeps the charge
    // (kube-apiserver has already written status.used) until its controller recounts.
    if (input.metadata.name && ns.names.has(`${gr}/${input.metadata.name}`)) return result(false, `${gr} "${name}" already exists`);
    this.#record(ns, obj, true);
    return result(true);
  }

  /** The cluster-scoped objects of the state (Namespaces, PriorityClasses, StorageClasses, …). */
  #clusterObjects(): readonly KubeObject[] {
    return this.#namespaces.get('')?.objects ?? [];
  }

  #priorityClasses(): PriorityClass[] {
    return this.#clusterObjects().filter((o): o is PriorityClass => o.kind === 'PriorityClass');
  }

  #runtimeClass(name: string): RuntimeClass | undefined {
    return this.#clusterObjects().find((o): o is RuntimeClass => o.kind === 'RuntimeClass' && o.metadata.name === name);
  }

  /** Every quota with its hard limits and usage, by namespace then name. */
  quotaReports(): QuotaReport[] {
    const reports: QuotaReport[] = [];
    for (const [namespace, ns] of [...this.#namespaces].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      for (const { quota, used } of ns.quotas) {
        reports.push({ namespace, name: quota.metadata.name, hard: encodeResourceList(quota.hard), used: encodeResourceList(used) });
      }
    }
    return reports;
  }
}

/** A create ignores the status a manifest carries (the registry's PrepareForCreate resets it). */
function withoutStatus(obj: KubeObject): KubeObject {
  switch (obj.kind) {
    case 'Pod': return { ...obj, phase: undefined, statusQosClass: undefined };
    case 'ResourceQuota': return { ...obj, statusUsed: undefined };
    case 'PersistentVolumeClaim': return { ...obj, allocatedResources: undefined };
    default: return obj;
  }
}

function encodeObject(obj: KubeObject, namespace: string | undefined, qosClass: QosClass | undefined): JsonObject {
  if (obj.kind === 'Pod') return { ...encodePod(obj), status: { phase: 'Pending', ...(qosClass ? { qosClass } : {}) } };
  if (obj.kind === 'LimitRange') return withNamespace(encodeLimitRange(obj), namespace);
  return withNamespace(obj.raw, namespace);
}
