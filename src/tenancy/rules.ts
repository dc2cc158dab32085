// The tenancy rules: what makes a tenant, a namespace, and a change to either acceptable. The
// allocation model: a tenant's quota is divided among its namespaces, each namespace's slice
// becomes its ResourceQuota, and the slices of one tenant never add up beyond the tenant's quota,
// so the clusters' own ResourceQuota admission enforces the tenant's total without Berth in the
// request path.
import {
  addQuantities, compareQuantities, dns1123LabelErrors, formatQuantity, labelValueErrors, parseQuantity, qualifiedNameErrors,
  zeroQuantity, type Quantity,
} from '../objects/index.ts';
import type { Cause } from '../platform/errors.ts';
import {
  duplicateValue, forbiddenValue, invalidValue, notFoundValue, requiredValue, tooLongValue, unsupportedValue,
} from './causes.ts';
import { limitRangeWithinErrors, parseField, validateLimitRange } from './limit-range.ts';
import {
  NAMESPACES_RESOURCE, quotaResources, tenantRoles, type QuotaMap, type Tenant, type TenantNamespace,
} from './model.ts';

/** The longest display name a tenant may have. */
export const MAX_DISPLAY_NAME = 256;
/** The longest user or group name a member may have. */
export const MAX_MEMBER_NAME = 512;

// Object-count resources: ValidateResourceQuantityValue refuses fractions of them.
const integerResources = new Set(['pods', 'services', 'services.nodeports', 'services.loadbalancers', 'persistentvolumeclaims', NAMESPACES_RESOURCE]);

function nameCauses(field: string, name: string): Cause[] {
  return dns1123LabelErrors(name).map((e) => invalidValue(field, name, e));
}

/**
 * The problems with a quota map at `path`: unknown resources, quantities that do not parse, are
 * negative, or are fractional for a count. `withNamespaces` admits the tenant-only `namespaces`
 * entry. Returns no causes when valid.
 */
export function validateQuota(quota: QuotaMap, path: string, withNamespaces: boolean): Cause[] {
  const causes: Cause[] = [];
  const supported = withNamespaces ? [...quotaResources, NAMESPACES_RESOURCE] : quotaResources;
  for (const name of Object.keys(quota).sort()) {
    const field = `${path}[${name}]`;
    if (!supported.includes(name)) {
      causes.push(unsupportedValue(field, name, supported));
      continue;
    }
    const q = parseField(field, quota[name], causes);
    if (q === undefined) continue;
    if (q.nanos < 0n) causes.push(invalidValue(field, quota[name], 'must be greater than or equal to 0'));
    else if (integerResources.has(name) && q.nanos % 1_000_000_000n !== 0n) causes.push(invalidValue(field, quota[name], 'must be an integer'));
  }
  return causes;
}

function parsed(text: string | undefined): Quantity | undefined {
  if (text === undefined) return undefined;
  try {
    return parseQuantity(text);
  } catch {
    return undefined;
  }
}

/** A quantity in kube-apiserver's canonical form (`1000m` → `1`), as it stores and returns it. */
export function canonicalQuantity(text: string): string {
  const q = parseQuantity(text);
  return formatQuantity({ nanos: q.nanos, format: q.format });
}

/**
 * The sum of the namespaces' slices per resource, canonical. Quantities that do not parse are
 * left out (the rules refuse them before they are stored).
 */
export function allocatedQuota(namespaces: readonly TenantNamespace[]): QuotaMap {
  const sums: Record<string, Quantity> = {};
  for (const ns of namespaces) {
    for (const [name, text] of Object.entries(ns.quota)) {
      const q = parsed(text);
      if (q !== undefined) sums[name] = addQuantities(sums[name] ?? zeroQuantity(), q);
    }
  }
  return Object.fromEntries(Object.keys(sums).sort().map((k) => [k, formatQuantity({ nanos: sums[k].nanos, format: sums[k].format })]));
}

/**
 * The problems with a tenant on its own: its name (DNS-1123 label), display name, members
 * (kind, role, non-empty unique names), clusters (known to Berth, `knownClusters`, and unique),
 * quota, default LimitRange and node selector (label keys and values). Returns no causes when
 * valid; the service refuses with `invalid('Tenant', name, causes)`.
 */
export function validateTenant(tenant: Tenant, knownClusters: readonly string[]): Cause[] {
  const causes: Cause[] = nameCauses('name', tenant.name);
  if (tenant.displayName.length > MAX_DISPLAY_NAME) causes.push(tooLongValue('displayName', MAX_DISPLAY_NAME));
  const seenMembers = new Set<string>();
  tenant.members.forEach((m, i) => {
    const path = `members[${i}]`;
    if (m.kind !== 'User' && m.kind !== 'Group') causes.push(unsupportedValue(`${path}.kind`, m.kind, ['Group', 'User']));
    if (!tenantRoles.includes(m.role)) causes.push(unsupportedValue(`${path}.role`, m.role, tenantRoles));
    if (m.name.length === 0) causes.push(requiredValue(`${path}.name`, 'a user or group name'));
    else if (m.name.length > MAX_MEMBER_NAME) causes.push(tooLongValue(`${path}.name`, MAX_MEMBER_NAME));
    const key = `${m.kind}/${m.name}`;
    if (seenMembers.has(key)) causes.push(duplicateValue(`${path}.name`, m.name));
    seenMembers.add(key);
  });
  const seenClusters = new Set<string>();
  tenant.clusters.forEach((c, i) => {
    if (seenClusters.has(c)) causes.push(duplicateValue(`clusters[${i}]`, c));
    else if (!knownClusters.includes(c)) causes.push(notFoundValue(`clusters[${i}]`, c));
    seenClusters.add(c);
  });
  causes.push(...validateQuota(tenant.quota, 'quota', true));
  causes.push(...validateLimitRange(tenant.defaultLimitRange, 'defaultLimitRange'));
  for (const key of Object.keys(tenant.nodeSelector).sort()) {
    for (const e of qualifiedNameErrors(key)) causes.push(invalidValue('nodeSelector', key, e));
    for (const e of labelValueErrors(tenant.nodeSelector[key])) causes.push(invalidValue(`nodeSelector[${key}]`, tenant.nodeSelector[key], e));
  }
  return causes;
}

/**
 * True for namespaces a tenant may never own, not even by adoption: `default` and the `kube-`
 * prefix that Kubernetes keeps for itself (kube-system, kube-public, kube-node-lease).
 */
export function reservedNamespace(name: string): boolean {
  return name === 'default' || name.startsWith('kube-');
}

function sameNamespace(a: TenantNamespace, b: TenantNamespace): boolean {
  return a.cluster === b.cluster && a.name === b.name;
}

function namespaceList(namespaces: readonly TenantNamespace[]): string {
  return namespaces.map((ns) => `"${ns.cluster}/${ns.name}"`).join(', ');
}

/**
 * The problems with creating or changing `ns` in `tenant`, whose namespaces are `existing` (a
 * previous version of `ns`, same cluster and name, is replaced, not counted twice): its name, the
 * tenant it names, the cluster (known to Berth and allowed to the tenant), its quota slice (the
 * slices of all the tenant's namespaces may not add up beyond the tenant quota; a resource a
 * namespace leaves out is bounded only by the tenant-wide quota, which the tenant-quota webhook
 * enforces at admission across all the tenant's namespaces and clusters), the tenant's namespace count, and a LimitRange override
 * (valid, and inside the tenant's default LimitRange). Returns no causes when valid.
 */
export function validateNamespace(
  ns: TenantNamespace, tenant: Tenant, existing: readonly TenantNamespace[], knownClusters: readonly string[],
): Cause[] {
  const causes: Cause[] = nameCauses('name', ns.name);
  if (reservedNamespace(ns.name)) causes.push(forbiddenValue('name', `namespace "${ns.name}" belongs to the cluster, not to a tenant`));
  if (ns.tenant !== tenant.name) causes.push(invalidValue('tenant', ns.tenant, `must be "${tenant.name}"`));
  if (!knownClusters.includes(ns.cluster)) causes.push(notFoundValue('cluster', ns.cluster));
  else if (!tenant.clusters.includes(ns.cluster)) causes.push(forbiddenValue('cluster', `tenant "${tenant.name}" may not use cluster "${ns.cluster}"`));

  const quotaCauses = validateQuota(ns.quota, 'quota', false);
  causes.push(...quotaCauses);
  const after = [...existing.filter((other) => !sameNamespace(other, ns)), ns];
  const allocated = allocatedQuota(after);
  for (const name of Object.keys(tenant.quota).sort()) {
    if (name === NAMESPACES_RESOURCE) continue;
    const limit = parsed(tenant.quota[name]);
    if (limit === undefined) continue;
    // A resource the namespace leaves unsliced is bounded by the tenant-wide quota alone, live, at admission.
    if (ns.quota[name] === undefined) continue;
    const sum = parsed(allocated[name]);
    if (sum !== undefined && parsed(ns.quota[name]) !== undefined && compareQuantities(sum, limit) > 0) {
      causes.push(forbiddenValue(`quota[${name}]`, `${name}: namespaces would hold ${formatQuantity(sum)}, tenant quota is ${formatQuantity(limit)}`));
    }
  }
  const maxNamespaces = parsed(tenant.quota[NAMESPACES_RESOURCE]);
  if (maxNamespaces !== undefined && BigInt(after.length) * 1_000_000_000n > maxNamespaces.nanos) {
    causes.push(forbiddenValue('name', `${NAMESPACES_RESOURCE}: tenant "${tenant.name}" would have ${after.length} namespaces, tenant quota is ${formatQuantity(maxNamespaces)}`));
  }
  if (ns.limitRange !== undefined) {
    causes.push(...validateLimitRange(ns.limitRange, 'limitRange'));
    causes.push(...limitRangeWithinErrors(ns.limitRange, tenant.defaultLimitRange, 'limitRange'));
  }
  return causes;
}

/**
 * The problems with changing a tenant to `next` while it has `namespaces`: a quota below what the
 * slices of the namespaces already hold (naming resource, sum and new limit), fewer namespaces allowed than exist, a cluster removed that still
 * holds namespaces, and a default LimitRange that namespaces' overrides no longer fit inside.
 * Call together with {@link validateTenant}. Returns no causes when the change is allowed.
 */
export function validateTenantUpdate(next: Tenant, namespaces: readonly TenantNamespace[]): Cause[] {
  const causes: Cause[] = [];
  const allocated = allocatedQuota(namespaces);
  for (const name of Object.keys(next.quota).sort()) {
    if (name === NAMESPACES_RESOURCE) continue;
    const limit = parsed(next.quota[name]);
    if (limit === undefined) continue;
    const sum = parsed(allocated[name]);
    if (sum !== undefined && compareQuantities(sum, limit) > 0) {
      causes.push(forbiddenValue(`quota[${name}]`, `${name}: namespaces already hold ${formatQuantity(sum)}, tenant quota would be ${formatQuantity(limit)}`));
    }
  }
  const maxNamespaces = parsed(next.quota[NAMESPACES_RESOURCE]);
  if (maxNamespaces !== undefined && BigInt(namespaces.length) * 1_000_000_000n > maxNamespaces.nanos) {
    causes.push(forbiddenValue(`quota[${NAMESPACES_RESOURCE}]`, `${NAMESPACES_RESOURCE}: tenant "${next.name}" has ${namespaces.length} namespaces, tenant quota would be ${formatQuantity(maxNamespaces)}`));
  }
  const stranded = namespaces.filter((ns) => !next.clusters.includes(ns.cluster));
  for (const cluster of [...new Set(stranded.map((ns) => ns.cluster))].sort()) {
    causes.push(forbiddenValue('clusters', `cluster "${cluster}" still holds namespaces ${namespaceList(stranded.filter((ns) => ns.cluster === cluster))}`));
  }
  for (const ns of namespaces) {
    if (ns.limitRange === undefined) continue;
    const outside = limitRangeWithinErrors(ns.limitRange, next.defaultLimitRange, 'limitRange');
    if (outside.length > 0) {
      causes.push(forbiddenValue('defaultLimitRange', `the LimitRange of namespace "${ns.cluster}/${ns.name}" would no longer fit: ${outside[0].field}: ${outside[0].message}`));
    }
  }
  return causes;
}
