// Decoding manifests (plain JSON values) into the typed model and encoding them back. Decoding
// checks the fields admission reads and names the offending field; it is the API server's
// decoding step, not its full validation.
import { formatQuantity, QuantityError, quantityFromJson, roundUpToMilli } from './quantity.ts';
import { parseTimestamp } from './time.ts';
import type { LabelSelector, LabelSelectorRequirement } from './labels.ts';
import type {
  ClaimReference, Container, JsonObject, KubeObject, LimitRange, LimitRangeItem, NodeSelectorRequirement, NodeSelectorTerm, ObjectMeta,
  ObjectType, PersistentVolume, PersistentVolumeClaim, Pod, QosClass, ResourceList, ResourceRequirements, ScopedResourceSelectorRequirement,
  ServicePort,
} from './model.ts';

/** A field of a manifest that cannot be decoded. `field` is a path such as `spec.containers[0].name`. */
export class DecodeError extends Error {
  readonly field: string;
  readonly reason: string;
  constructor(field: string, reason: string) {
    super(`${field}: ${reason}`);
    this.name = 'DecodeError';
    this.field = field;
    this.reason = reason;
  }
}

const builtinTypes: ReadonlyArray<readonly [string, string, string, boolean]> = [
  ['', 'Pod', 'pods', true],
  ['', 'Service', 'services', true],
  ['', 'PersistentVolumeClaim', 'persistentvolumeclaims', true],
  ['', 'ConfigMap', 'configmaps', true],
  ['', 'Secret', 'secrets', true],
  ['', 'ReplicationController', 'replicationcontrollers', true],
  ['', 'ResourceQuota', 'resourcequotas', true],
  ['', 'LimitRange', 'limitranges', true],
  ['', 'ServiceAccount', 'serviceaccounts', true],
  ['', 'Endpoints', 'endpoints', true],
  ['', 'Event', 'events', true],
  ['', 'PodTemplate', 'podtemplates', true],
  ['', 'Namespace', 'namespaces', false],
  ['', 'Node', 'nodes', false],
  ['', 'PersistentVolume', 'persistentvolumes', false],
  ['apps', 'Deployment', 'deployments', true],
  ['apps', 'StatefulSet', 'statefulsets', true],
  ['apps', 'DaemonSet', 'daemonsets', true],
  ['apps', 'ReplicaSet', 'replicasets', true],
  ['batch', 'Job', 'jobs', true],
  ['batch', 'CronJob', 'cronjobs', true],
  ['networking.k8s.io', 'Ingress', 'ingresses', true],
  ['networking.k8s.io', 'NetworkPolicy', 'networkpolicies', true],
  ['policy', 'PodDisruptionBudget', 'poddisruptionbudgets', true],
  ['autoscaling', 'HorizontalPodAutoscaler', 'horizontalpodautoscalers', true],
  ['rbac.authorization.k8s.io', 'Role', 'roles', true],
  ['rbac.authorization.k8s.io', 'RoleBinding', 'rolebindings', true],
  ['rbac.authorization.k8s.io', 'ClusterRole', 'clusterroles', false],
  ['rbac.authorization.k8s.io', 'ClusterRoleBinding', 'clusterrolebindings', false],
  ['storage.k8s.io', 'StorageClass', 'storageclasses', false],
  ['scheduling.k8s.io', 'PriorityClass', 'priorityclasses', false],
  ['node.k8s.io', 'RuntimeClass', 'runtimeclasses', false],
];
const typeByGroupKind: ReadonlyMap<string, ObjectType> = new Map(
  builtinTypes.map(([group, kind, resource, namespaced]) => [`${group}/${kind}`, { group, kind, resource, namespaced }]),
);

/** The plural a kind gets when it is not a built-in one, as the REST mapper's guess does. */
function guessPlural(kind: string): string {
  const lower = kind.toLowerCase();
  if (lower.endsWith('s')) return `${lower}es`;
  if (lower.endsWith('y') && !/[aeiou]y$/.test(lower)) return `${lower.slice(0, -1)}ies`;
  return `${lower}s`;
}

/** The group, kind and plural resource of an apiVersion/kind pair. */
export function objectTypeOf(apiVersion: string, kind: string): ObjectType {
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  return typeByGroupKind.get(`${group}/${kind}`) ?? { group, kind, resource: guessPlural(kind), namespaced: true };
}

/** `<resource>` or `<resource>.<group>`, as schema.GroupResource prints. */
export function groupResourceString(type: ObjectType): string {
  return type.group === '' ? type.resource : `${type.resource}.${type.group}`;
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function objectAt(v: unknown, field: string): JsonObject | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw new DecodeError(field, 'must be an object');
  return v;
}

function arrayAt(v: unknown, field: string): readonly unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new DecodeError(field, 'must be a list');
  return v;
}

function stringAt(v: unknown, field: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new DecodeError(field, 'must be a string');
  return v;
}

function integerAt(v: unknown, field: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new DecodeError(field, 'must be an integer');
  return v;
}

function stringMapAt(v: unknown, field: string): Readonly<Record<string, string>> | undefined {
  const o = objectAt(v, field);
  if (!o) return undefined;
  for (const [k, value] of Object.entries(o)) {
    if (typeof value !== 'string') throw new DecodeError(`${field}.${k}`, 'must be a string');
  }
  return o as Readonly<Record<string, string>>;
}

/**
 * Decodes a ResourceList field as the API server stores it: every quantity rounded up to a
 * milli-unit (SetDefaults_ResourceList runs on each v1 ResourceList), so `100500u` is `101m`.
 * Undefined when absent. @throws DecodeError naming the bad entry.
 */
export function decodeResourceList(v: unknown, field: string): ResourceList | undefined {
  const o = objectAt(v, field);
  if (!o) return undefined;
  const out: Record<string, ReturnType<typeof quantityFromJson>> = {};
  for (const [name, value] of Object.entries(o)) {
    try {
      out[name] = roundUpToMilli(quantityFromJson(value));
    } catch (err) {
      if (err instanceof QuantityError) throw new DecodeError(`${field}.${name}`, err.message);
      throw err;
    }
  }
  return out;
}

/** The JSON form of a ResourceList, each quantity as the API server prints it. */
export function encodeResourceList(list: ResourceList): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, q] of Object.entries(list)) out[name] = formatQuantity(q);
  return out;
}

function decodeRequirements(v: unknown, field: string): ResourceRequirements {
  const o = objectAt(v, field);
  if (!o) return {};
  return { requests: decodeResourceList(o.requests, `${field}.requests`), limits: decodeResourceList(o.limits, `${field}.limits`) };
}

function decodeContainers(v: unknown, field: string): Container[] {
  return arrayAt(v, field).map((c, i) => {
    const path = `${field}[${i}]`;
    const o = objectAt(c, path);
    if (!o) throw new DecodeError(path, 'must be an object');
    const name = stringAt(o.name, `${path}.name`);
    if (!name) throw new DecodeError(`${path}.name`, 'Required value');
    return { name, resources: decodeRequirements(o.resources, `${path}.resources`), restartPolicy: stringAt(o.restartPolicy, `${path}.restartPolicy`) };
  });
}

function stringsAt(v: unknown, field: string): string[] {
  return arrayAt(v, field).map((s, i) => stringAt(s, `${field}[${i}]`) ?? '');
}

/** A metav1.Time field: RFC 3339 text or absent, as its JSON decoder accepts (anything else fails to decode). */
function timestampAt(v: unknown, field: string): string | undefined {
  const text = stringAt(v, field);
  if (text === undefined) return undefined;
  if (parseTimestamp(text) === undefined) throw new DecodeError(field, `must be an RFC 3339 time, not "${text}"`);
  return text;
}

function decodeMeta(raw: JsonObject): ObjectMeta {
  const m = objectAt(raw.metadata, 'metadata') ?? {};
  const name = stringAt(m.name, 'metadata.name') ?? '';
  const generateName = stringAt(m.generateName, 'metadata.generateName');
  if (!name && !generateName) throw new DecodeError('metadata.name', 'Required value: name or generateName is required');
  return {
    name,
    generateName,
    namespace: stringAt(m.namespace, 'metadata.namespace'),
    uid: stringAt(m.uid, 'metadata.uid'),
    labels: stringMapAt(m.labels, 'metadata.labels'),
    annotations: stringMapAt(m.annotations, 'metadata.annotations'),
    creationTimestamp: timestampAt(m.creationTimestamp, 'metadata.creationTimestamp'),
    deletionTimestamp: timestampAt(m.deletionTimestamp, 'metadata.deletionTimestamp'),
  };
}

/** matchExpressions of a label or node selector: the two requirement types have one shape. */
function decodeRequirementList(v: unknown, field: string): (LabelSelectorRequirement & NodeSelectorRequirement)[] {
  return arrayAt(v, field).map((e, i) => {
    const path = `${field}[${i}]`;
    const o = objectAt(e, path) ?? {};
    return { key: stringAt(o.key, `${path}.key`) ?? '', operator: stringAt(o.operator, `${path}.operator`) ?? '', values: stringsAt(o.values, `${path}.values`) };
  });
}

function decodeLabelSelector(v: unknown, field: string): LabelSelector | undefined {
  const o = objectAt(v, field);
  if (!o) return undefined;
  return {
    matchLabels: stringMapAt(o.matchLabels, `${field}.matchLabels`),
    matchExpressions: decodeRequirementList(o.matchExpressions, `${field}.matchExpressions`),
  };
}

/**
 * The spec fields a claim and a volume share. The class is spec.storageClassName under the legacy
 * beta annotation, which wins when present (GetPersistentVolume(Claim)Class).
 */
function volumeSpecFields(metadata: ObjectMeta, spec: JsonObject) {
  return {
    storageClassName: metadata.annotations?.['volume.beta.kubernetes.io/storage-class'] ?? stringAt(spec.storageClassName, 'spec.storageClassName'),
    accessModes: stringsAt(spec.accessModes, 'spec.accessModes'),
    volumeMode: stringAt(spec.volumeMode, 'spec.volumeMode'),
    volumeAttributesClassName: stringAt(spec.volumeAttributesClassName, 'spec.volumeAttributesClassName'),
  };
}

function decodeClaim(raw: JsonObject, type: ObjectType, metadata: ObjectMeta): PersistentVolumeClaim {
  const spec = objectAt(raw.spec, 'spec') ?? {};
  const resources = objectAt(spec.resources, 'spec.resources') ?? {};
  const status = objectAt(raw.status, 'status') ?? {};
  const shared = volumeSpecFields(metadata, spec);
  return {
    kind: 'PersistentVolumeClaim', type, metadata, raw, ...shared,
    requests: decodeResourceList(resources.requests, 'spec.resources.requests'),
    limits: decodeResourceList(resources.limits, 'spec.resources.limits'),
    selector: decodeLabelSelector(spec.selector, 'spec.selector'),
    volumeName: stringAt(spec.volumeName, 'spec.volumeName') || undefined,
    allocatedResources: decodeResourceList(status.allocatedResources, 'status.allocatedResources'),
    volumeAttributesClassNames: [
      shared.volumeAttributesClassName,
      stringAt(status.currentVolumeAttributesClassName, 'status.currentVolumeAttributesClassName'),
      stringAt((objectAt(status.modifyVolumeStatus, 'status.modifyVolumeStatus') ?? {}).targetVolumeAttributesClassName,
        'status.modifyVolumeStatus.targetVolumeAttributesClassName'),
    ].filter((n): n is string => n !== undefined && n !== ''),
  };
}

function decodeNodeAffinity(v: unknown): NodeSelectorTerm[] | undefined {
  const required = objectAt((objectAt(v, 'spec.nodeAffinity') ?? {}).required, 'spec.nodeAffinity.required');
  if (!required) return undefined;
  const field = 'spec.nodeAffinity.required.nodeSelectorTerms';
  return arrayAt(required.nodeSelectorTerms, field).map((t, i) => {
    const term = objectAt(t, `${field}[${i}]`) ?? {};
    return {
      matchExpressions: decodeRequirementList(term.matchExpressions, `${field}[${i}].matchExpressions`),
      matchFields: decodeRequirementList(term.matchFields, `${field}[${i}].matchFields`),
    };
  });
}

function decodeVolume(raw: JsonObject, type: ObjectType, metadata: ObjectMeta): PersistentVolume {
  const spec = objectAt(raw.spec, 'spec') ?? {};
  const ref = objectAt(spec.claimRef, 'spec.claimRef');
  const claimRef: ClaimReference | undefined = ref && {
    kind: stringAt(ref.kind, 'spec.claimRef.kind'),
    apiVersion: stringAt(ref.apiVersion, 'spec.claimRef.apiVersion'),
    namespace: stringAt(ref.namespace, 'spec.claimRef.namespace'),
    name: stringAt(ref.name, 'spec.claimRef.name'),
    uid: stringAt(ref.uid, 'spec.claimRef.uid'),
  };
  return {
    kind: 'PersistentVolume', type, metadata, raw, ...volumeSpecFields(metadata, spec),
    capacity: decodeResourceList(spec.capacity, 'spec.capacity'),
    claimRef,
    nodeAffinity: decodeNodeAffinity(spec.nodeAffinity),
    phase: stringAt((objectAt(raw.status, 'status') ?? {}).phase, 'status.phase'),
  };
}

function hasCrossNamespaceTerm(terms: readonly unknown[]): boolean {
  return terms.some((t) => {
    if (!isObject(t)) return false;
    const term = isObject(t.podAffinityTerm) ? t.podAffinityTerm : t;
    return (Array.isArray(term.namespaces) && term.namespaces.length > 0) || (term.namespaceSelector !== undefined && term.namespaceSelector !== null);
  });
}

function usesCrossNamespaceAffinity(affinity: JsonObject | undefined): boolean {
  if (!affinity) return false;
  return [affinity.podAffinity, affinity.podAntiAffinity].some((a) => isObject(a)
    && (hasCrossNamespaceTerm(arrayAt(a.requiredDuringSchedulingIgnoredDuringExecution, 'spec.affinity'))
      || hasCrossNamespaceTerm(arrayAt(a.preferredDuringSchedulingIgnoredDuringExecution, 'spec.affinity'))));
}

const qosClasses: ReadonlySet<string> = new Set(['Guaranteed', 'Burstable', 'BestEffort']);

function decodePod(raw: JsonObject, type: ObjectType, metadata: ObjectMeta): Pod {
  const spec = objectAt(raw.spec, 'spec');
  if (!spec) throw new DecodeError('spec', 'Required value');
  const status = objectAt(raw.status, 'status') ?? {};
  const containers = decodeContainers(spec.containers, 'spec.containers');
  if (containers.length === 0) throw new DecodeError('spec.containers', 'Required value');
  const qos = stringAt(status.qosClass, 'status.qosClass');
  const resources = spec.resources === undefined || spec.resources === null ? undefined : decodeRequirements(spec.resources, 'spec.resources');
  return {
    kind: 'Pod', type, metadata, raw, containers,
    initContainers: decodeContainers(spec.initContainers, 'spec.initContainers'),
    resources,
    overhead: decodeResourceList(spec.overhead, 'spec.overhead'),
    priorityClassName: stringAt(spec.priorityClassName, 'spec.priorityClassName') || undefined,
    priority: integerAt(spec.priority, 'spec.priority'),
    preemptionPolicy: stringAt(spec.preemptionPolicy, 'spec.preemptionPolicy'),
    runtimeClassName: stringAt(spec.runtimeClassName, 'spec.runtimeClassName') || undefined,
    activeDeadlineSeconds: integerAt(spec.activeDeadlineSeconds, 'spec.activeDeadlineSeconds'),
    crossNamespaceAffinity: usesCrossNamespaceAffinity(objectAt(spec.affinity, 'spec.affinity')),
    phase: stringAt(status.phase, 'status.phase'),
    statusQosClass: qos && qosClasses.has(qos) ? (qos as QosClass) : undefined,
  };
}

function decodeLimitItems(v: unknown): LimitRangeItem[] {
  return arrayAt(v, 'spec.limits').map((item, i) => {
    const path = `spec.limits[${i}]`;
    const o = objectAt(item, path) ?? {};
    const type = stringAt(o.type, `${path}.type`);
    if (!type) throw new DecodeError(`${path}.type`, 'Required value');
    return {
      type,
      max: decodeResourceList(o.max, `${path}.max`),
      min: decodeResourceList(o.min, `${path}.min`),
      default: decodeResourceList(o.default, `${path}.default`),
      defaultRequest: decodeResourceList(o.defaultRequest, `${path}.defaultRequest`),
      maxLimitRequestRatio: decodeResourceList(o.maxLimitRequestRatio, `${path}.maxLimitRequestRatio`),
    };
  });
}

function decodeScopeSelector(v: unknown): ScopedResourceSelectorRequirement[] {
  const o = objectAt(v, 'spec.scopeSelector');
  if (!o) return [];
  return arrayAt(o.matchExpressions, 'spec.scopeSelector.matchExpressions').map((e, i) => {
    const path = `spec.scopeSelector.matchExpressions[${i}]`;
    const x = objectAt(e, path) ?? {};
    const values = arrayAt(x.values, `${path}.values`).map((s, j) => stringAt(s, `${path}.values[${j}]`) ?? '');
    return {
      scopeName: stringAt(x.scopeName, `${path}.scopeName`) ?? '',
      operator: stringAt(x.operator, `${path}.operator`) ?? '',
      values,
    };
  });
}

/**
 * Decodes one manifest object. `apiVersion`, `kind` and a name (or generateName) are required;
 * the fields admission reads must have the right types and quantities must parse.
 * @throws DecodeError naming the field.
 */
export function decodeObject(raw: JsonObject): KubeObject {
  const apiVersion = stringAt(raw.apiVersion, 'apiVersion');
  if (!apiVersion) throw new DecodeError('apiVersion', 'Required value');
  const kind = stringAt(raw.kind, 'kind');
  if (!kind) throw new DecodeError('kind', 'Required value');
  const type = objectTypeOf(apiVersion, kind);
  const metadata = decodeMeta(raw);
  if (type.group === 'node.k8s.io' && kind === 'RuntimeClass') {
    return { kind, type, metadata, raw, overhead: decodeResourceList((objectAt(raw.overhead, 'overhead') ?? {}).podFixed, 'overhead.podFixed') };
  }
  if (type.group === 'storage.k8s.io' && kind === 'StorageClass') {
    return {
      kind, type, metadata, raw,
      provisioner: stringAt(raw.provisioner, 'provisioner'),
      volumeBindingMode: stringAt(raw.volumeBindingMode, 'volumeBindingMode'),
    };
  }
  if (type.group === 'scheduling.k8s.io' && kind === 'PriorityClass') {
    const globalDefault = raw.globalDefault;
    if (globalDefault !== undefined && globalDefault !== null && typeof globalDefault !== 'boolean') throw new DecodeError('globalDefault', 'must be a boolean');
    return {
      kind, type, metadata, raw,
      value: integerAt(raw.value, 'value') ?? 0,
      globalDefault: globalDefault === true,
      preemptionPolicy: stringAt(raw.preemptionPolicy, 'preemptionPolicy'),
    };
  }
  if (type.group !== '') return { kind: 'Other', type, metadata, raw };
  switch (kind) {
    case 'Pod':
      return decodePod(raw, type, metadata);
    case 'PersistentVolumeClaim':
      return decodeClaim(raw, type, metadata);
    case 'PersistentVolume':
      return decodeVolume(raw, type, metadata);
    case 'Service': {
      const spec = objectAt(raw.spec, 'spec') ?? {};
      const ports: ServicePort[] = arrayAt(spec.ports, 'spec.ports').map((p, i) => ({
        nodePort: integerAt((objectAt(p, `spec.ports[${i}]`) ?? {}).nodePort, `spec.ports[${i}].nodePort`),
      }));
      const allocate = spec.allocateLoadBalancerNodePorts;
      if (allocate !== undefined && allocate !== null && typeof allocate !== 'boolean') {
        throw new DecodeError('spec.allocateLoadBalancerNodePorts', 'must be a boolean');
      }
      return {
        kind, type, metadata, raw, ports,
        serviceType: stringAt(spec.type, 'spec.type') ?? 'ClusterIP',
        allocateLoadBalancerNodePorts: typeof allocate === 'boolean' ? allocate : undefined,
      };
    }
    case 'LimitRange':
      return { kind, type, metadata, raw, limits: decodeLimitItems((objectAt(raw.spec, 'spec') ?? {}).limits) };
    case 'ResourceQuota': {
      const spec = objectAt(raw.spec, 'spec') ?? {};
      const status = objectAt(raw.status, 'status') ?? {};
      return {
        kind, type, metadata, raw,
        hard: decodeResourceList(spec.hard, 'spec.hard') ?? decodeResourceList(status.hard, 'status.hard') ?? {},
        scopes: arrayAt(spec.scopes, 'spec.scopes').map((s, i) => stringAt(s, `spec.scopes[${i}]`) ?? ''),
        scopeSelector: decodeScopeSelector(spec.scopeSelector),
        statusUsed: decodeResourceList(status.used, 'status.used'),
      };
    }
    case 'Namespace':
      return { kind, type, metadata, raw };
    default:
      return { kind: 'Other', type, metadata, raw };
  }
}

function encodeRequirements(r: ResourceRequirements, original: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = isObject(original) ? { ...original } : {};
  if (r.requests && Object.keys(r.requests).length > 0) out.requests = encodeResourceList(r.requests);
  else delete out.requests;
  if (r.limits && Object.keys(r.limits).length > 0) out.limits = encodeResourceList(r.limits);
  else delete out.limits;
  return out;
}

function encodeContainers(containers: readonly Container[], original: unknown): unknown[] {
  const originals = Array.isArray(original) ? original : [];
  return containers.map((c, i) => ({ ...(isObject(originals[i]) ? originals[i] : {}), resources: encodeRequirements(c.resources, (originals[i] as JsonObject | undefined)?.resources) }));
}

/**
 * The manifest of a pod after admission changed it: resources printed as the API server prints
 * them, annotations from metadata. Everything else is the original manifest.
 */
export function encodePod(pod: Pod): JsonObject {
  const spec = (pod.raw.spec ?? {}) as JsonObject;
  const newSpec: Record<string, unknown> = { ...spec, containers: encodeContainers(pod.containers, spec.containers) };
  if (pod.initContainers.length > 0) newSpec.initContainers = encodeContainers(pod.initContainers, spec.initContainers);
  if (pod.resources) newSpec.resources = encodeRequirements(pod.resources, spec.resources);
  if (pod.overhead) newSpec.overhead = encodeResourceList(pod.overhead);
  if (pod.priorityClassName !== undefined) newSpec.priorityClassName = pod.priorityClassName;
  if (pod.priority !== undefined) newSpec.priority = pod.priority;
  if (pod.preemptionPolicy !== undefined) newSpec.preemptionPolicy = pod.preemptionPolicy;
  const metadata: Record<string, unknown> = { ...((pod.raw.metadata ?? {}) as JsonObject) };
  if (pod.metadata.annotations && Object.keys(pod.metadata.annotations).length > 0) metadata.annotations = { ...pod.metadata.annotations };
  if (pod.metadata.namespace !== undefined) metadata.namespace = pod.metadata.namespace;
  return { ...pod.raw, metadata, spec: newSpec };
}

/** The manifest of a LimitRange as stored after API defaulting. */
export function encodeLimitRange(lr: LimitRange): JsonObject {
  const spec = (lr.raw.spec ?? {}) as JsonObject;
  const originals = Array.isArray(spec.limits) ? spec.limits : [];
  const limits = lr.limits.map((item, i) => {
    const out: Record<string, unknown> = { ...(isObject(originals[i]) ? originals[i] : {}), type: item.type };
    for (const key of ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio'] as const) {
      const list = item[key];
      if (list && Object.keys(list).length > 0) out[key] = encodeResourceList(list);
    }
    return out;
  });
  return { ...lr.raw, spec: { ...spec, limits } };
}

/** The manifest of any object with its namespace set. */
export function withNamespace(raw: JsonObject, namespace: string | undefined): JsonObject {
  if (namespace === undefined) return raw;
  return { ...raw, metadata: { ...((raw.metadata ?? {}) as JsonObject), namespace } };
}
