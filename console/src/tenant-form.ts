// The tenant form's values, read from a tenant and written as the body of
// `POST /api/v1/tenants` or `PATCH /api/v1/tenants/{tenant}`, checked by the server's own tenancy
// rules before they are sent, and the server's causes placed on the form's fields. Pure.
//
// The rules are imported from their own pure modules, not from src/tenancy/index.ts: the index
// also exports the server's services, which the browser bundle must not pull in.
import { NAMESPACES_RESOURCE, quotaResources, type LimitRangeSpec, type Tenant, type TenantMember } from '../../src/tenancy/model.ts';
import { limitRangeResources, validateLimitRange } from '../../src/tenancy/limit-range.ts';
import { validateQuota, validateTenant } from '../../src/tenancy/rules.ts';
import type { FieldPath } from './form-causes.ts';
import type { StatusCause, TenantCreate } from './model.ts';
import { parseKeyValues } from './tenancy-format.ts';

/** The resources a tenant quota may hold, in the order the form lists them. */
export const tenantQuotaResources: readonly string[] = [...quotaResources, NAMESPACES_RESOURCE];

/** The resources the default LimitRange may bound: the form's columns. */
export const limitResources: readonly string[] = limitRangeResources;

/** A LimitRange item type as the API names it. */
export type LimitItem = 'container' | 'pod';

/** A bound of a LimitRange item. */
export type LimitBound = 'min' | 'max' | 'defaultRequest' | 'default' | 'maxLimitRequestRatio';

/** The rows of the LimitRange grid: the Pod item takes no default or default request (Kubernetes refuses them). */
export const limitRows: readonly { readonly item: LimitItem; readonly bound: LimitBound }[] = [
  ...(['min', 'max', 'defaultRequest', 'default', 'maxLimitRequestRatio'] as const).map((bound) => ({ item: 'container' as const, bound })),
  ...(['min', 'max', 'maxLimitRequestRatio'] as const).map((bound) => ({ item: 'pod' as const, bound })),
];

type Grid = Partial<Record<LimitItem, Partial<Record<LimitBound, Record<string, string | undefined>>>>>;

/** What the tenant form holds: text as typed; an empty quantity means "not set". */
export interface TenantFormValues {
  readonly name: string;
  readonly displayName?: string;
  readonly members?: readonly Partial<TenantMember>[];
  readonly clusters?: readonly string[];
  readonly quota?: Readonly<Record<string, string | undefined>>;
  readonly defaultLimitRange?: Grid;
  /** `KEY=VALUE, …` */
  readonly nodeSelector?: string;
}

/** The form's values for `tenant` (editing), or for a new tenant. */
export function tenantFormValues(tenant?: Tenant): TenantFormValues {
  if (tenant === undefined) return { name: '', displayName: '', members: [], clusters: [], quota: {}, defaultLimitRange: {}, nodeSelector: '' };
  const grid: Grid = {};
  for (const item of ['container', 'pod'] as const) {
    const bounds = tenant.defaultLimitRange[item];
    if (bounds !== undefined) grid[item] = Object.fromEntries(Object.entries(bounds).map(([b, m]) => [b, { ...m }]));
  }
  return {
    name: tenant.name,
    displayName: tenant.displayName,
    members: tenant.members.map((m) => ({ ...m })),
    clusters: [...tenant.clusters],
    quota: { ...tenant.quota },
    defaultLimitRange: grid,
    nodeSelector: Object.entries(tenant.nodeSelector).map(([k, v]) => `${k}=${v}`).join(', '),
  };
}

function quantities(map: Readonly<Record<string, string | undefined>> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(map ?? {})) {
    const text = v?.trim() ?? '';
    if (text !== '') out[k] = text;
  }
  return out;
}

function limitRange(grid: Grid | undefined): LimitRangeSpec {
  const spec: Record<string, Record<string, Record<string, string>>> = {};
  for (const item of ['container', 'pod'] as const) {
    for (const [bound, map] of Object.entries(grid?.[item] ?? {})) {
      const values = quantities(map);
      if (Object.keys(values).length > 0) (spec[item] ??= {})[bound] = values;
    }
  }
  return spec as LimitRangeSpec;
}

/**
 * The request body of the form's values: quantities trimmed, empty ones left out, members with
 * their names trimmed, the node selector parsed (`{}` when it does not parse: the field's own
 * rule refuses that text first).
 */
export function tenantBody(values: TenantFormValues): TenantCreate {
  return {
    name: values.name.trim(),
    displayName: values.displayName?.trim() ?? '',
    members: (values.members ?? []).map((m) => ({ kind: m.kind ?? 'User', name: m.name?.trim() ?? '', role: m.role ?? 'member' })),
    clusters: [...(values.clusters ?? [])],
    quota: quantities(values.quota),
    defaultLimitRange: limitRange(values.defaultLimitRange),
    nodeSelector: parseKeyValues(values.nodeSelector ?? '') ?? {},
  };
}

/**
 * The whole form checked by the server's own rules (validateTenant) against `knownClusters`;
 * what they cannot know — the tenant's namespaces, names taken meanwhile — the server answers.
 */
export function checkTenant(body: TenantCreate, knownClusters: readonly string[]): readonly StatusCause[] {
  return validateTenant({
    name: body.name, displayName: body.displayName ?? '', members: body.members ?? [], clusters: body.clusters,
    quota: body.quota ?? {}, defaultLimitRange: body.defaultLimitRange ?? {}, nodeSelector: body.nodeSelector ?? {},
  }, knownClusters);
}

/** The server's words for one quota entry, when it would refuse it (undefined when empty or valid). */
export function quotaProblem(resource: string, text: string | undefined): string | undefined {
  const value = text?.trim() ?? '';
  if (value === '') return undefined;
  return validateQuota({ [resource]: value }, 'quota', true)[0]?.message;
}

/** The server's words for one LimitRange cell on its own (bounds against each other are checked with the whole form). */
export function limitProblem(item: LimitItem, bound: LimitBound, resource: string, text: string | undefined): string | undefined {
  const value = text?.trim() ?? '';
  if (value === '') return undefined;
  return validateLimitRange({ [item]: { [bound]: { [resource]: value } } }, 'defaultLimitRange')[0]?.message;
}

/**
 * The form field a cause's path belongs to, given the form's `values` (for the member rows):
 * `quota[r]` (or the schema's `quota.r`) → that quota field, a LimitRange cell → that cell,
 * `members[i].x` → that member's field, `clusters…` and `nodeSelector…` → the whole field;
 * undefined for what the form shows no field for (the cause then stands above the form).
 */
export function tenantFieldOf(path: FieldPath, values: TenantFormValues): FieldPath | undefined {
  const [head, ...tail] = path;
  switch (head) {
    case 'name':
    case 'displayName':
      return tail.length === 0 ? [head] : undefined;
    case 'clusters':
    case 'nodeSelector':
      return [head];
    case 'quota': {
      const resource = tail.join('.');
      return tenantQuotaResources.includes(resource) ? ['quota', resource] : undefined;
    }
    case 'members': {
      const [index, field] = tail;
      const rows = values.members?.length ?? 0;
      return typeof index === 'number' && index < rows && (field === 'kind' || field === 'name' || field === 'role') ? ['members', index, field] : undefined;
    }
    case 'defaultLimitRange': {
      const [item, bound, resource] = tail;
      const row = limitRows.some((r) => r.item === item && r.bound === bound);
      return row && typeof resource === 'string' && limitResources.includes(resource) ? ['defaultLimitRange', item, bound, resource] : undefined;
    }
    default:
      return undefined;
  }
}
