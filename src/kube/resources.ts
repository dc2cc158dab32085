// Where each kind lives in the API: a static table for the kinds Berth itself manages (no
// discovery round trip on the hot path), discovery for anything else.

/** An object as the API server sends and takes it; only the fields Berth's kube layer reads are typed. */
export interface KubeObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata?: {
    readonly name?: string;
    readonly namespace?: string;
    readonly resourceVersion?: string;
    readonly uid?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
    readonly managedFields?: readonly Readonly<Record<string, unknown>>[];
    readonly [k: string]: unknown;
  };
  readonly [k: string]: unknown;
}

/** A kind, as written in an object: `apiVersion` (`v1`, `rbac.authorization.k8s.io/v1`) and `kind`. */
export interface KindRef {
  readonly apiVersion: string;
  readonly kind: string;
}

/** Where a kind is served: its group, version, plural resource name and scope. */
export interface ResourceInfo extends KindRef {
  readonly group: string;
  readonly version: string;
  /** The plural resource name in URLs, e.g. `resourcequotas`. */
  readonly resource: string;
  readonly namespaced: boolean;
}

function info(apiVersion: string, kind: string, resource: string, namespaced: boolean): ResourceInfo {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  return { apiVersion, kind, group, version, resource, namespaced };
}

/** The kinds Berth's tenancy and its tests use, resolved without discovery. */
export const knownResources: readonly ResourceInfo[] = [
  info('v1', 'Namespace', 'namespaces', false),
  info('v1', 'Node', 'nodes', false),
  info('v1', 'ResourceQuota', 'resourcequotas', true),
  info('v1', 'LimitRange', 'limitranges', true),
  info('v1', 'Service', 'services', true),
  info('v1', 'Pod', 'pods', true),
  info('v1', 'ConfigMap', 'configmaps', true),
  info('v1', 'Secret', 'secrets', true),
  info('v1', 'ServiceAccount', 'serviceaccounts', true),
  info('v1', 'PersistentVolume', 'persistentvolumes', false),
  info('v1', 'PersistentVolumeClaim', 'persistentvolumeclaims', true),
  info('rbac.authorization.k8s.io/v1', 'RoleBinding', 'rolebindings', true),
  info('rbac.authorization.k8s.io/v1', 'Role', 'roles', true),
  info('rbac.authorization.k8s.io/v1', 'ClusterRole', 'clusterroles', false),
  info('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', 'clusterrolebindings', false),
  info('networking.k8s.io/v1', 'NetworkPolicy', 'networkpolicies', true),
  info('admissionregistration.k8s.io/v1', 'ValidatingWebhookConfiguration', 'validatingwebhookconfigurations', false),
  info('admissionregistration.k8s.io/v1', 'MutatingWebhookConfiguration', 'mutatingwebhookconfigurations', false),
  info('admissionregistration.k8s.io/v1', 'ValidatingAdmissionPolicy', 'validatingadmissionpolicies', false),
  info('admissionregistration.k8s.io/v1', 'ValidatingAdmissionPolicyBinding', 'validatingadmissionpolicybindings', false),
  info('storage.k8s.io/v1', 'StorageClass', 'storageclasses', false),
];

const known = new Map(knownResources.map((r) => [`${r.apiVersion}/${r.kind}`, r]));

/** The static entry for a kind, or undefined when only discovery knows it. */
export function knownResource(ref: KindRef): ResourceInfo | undefined {
  return known.get(`${ref.apiVersion}/${ref.kind}`);
}

/** The discovery document that lists a group version's resources: `/api/v1` or `/apis/<group>/<version>`. */
export function discoveryPath(apiVersion: string): string {
  return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}

/** Reads an `APIResourceList` into entries (subresources such as `pods/status` left out). */
export function resourcesFromDiscovery(apiVersion: string, list: unknown): ResourceInfo[] {
  const resources = (list as { resources?: unknown } | null)?.resources;
  if (!Array.isArray(resources)) return [];
  return resources
    .filter((r): r is { name: string; kind: string; namespaced: boolean } =>
      typeof r?.name === 'string' && !r.name.includes('/') && typeof r.kind === 'string')
    .map((r) => info(apiVersion, r.kind, r.name, r.namespaced === true));
}

const enc = encodeURIComponent;

/**
 * The URL path of a collection (`name` undefined) or of one object. A namespaced kind with no
 * `namespace` gives the all-namespaces collection (valid for list and watch only).
 */
export function resourcePath(r: ResourceInfo, namespace?: string, name?: string): string {
  const root = r.group === '' ? `/api/${r.version}` : `/apis/${r.group}/${r.version}`;
  const ns = r.namespaced && namespace !== undefined ? `/namespaces/${enc(namespace)}` : '';
  return `${root}${ns}/${r.resource}${name === undefined ? '' : `/${enc(name)}`}`;
}
