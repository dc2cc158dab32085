// How the tenancy pages read quotas: used against hard as a percentage, the rows of a usage
// table, and quantities written for people. Pure. Quantities are parsed by the server's own
// Kubernetes quantity module (bundled: it is pure), so "500m of 2" reads as the API server reads it.
import { parseQuantity, quantityMilliValue } from '../../src/objects/index.ts';
import { formatBytes } from './registry-format.ts';

/** A resource name → quantity string map (ResourceQuota `hard`/`used`, a tenant quota). */
export type QuantityMap = Readonly<Record<string, string>>;

/** The quota resources in the order the pages list them; others follow by name. */
const resourceOrder: readonly string[] = [
  'requests.cpu', 'limits.cpu', 'requests.memory', 'limits.memory', 'requests.storage', 'persistentvolumeclaims',
  'pods', 'services', 'services.nodeports', 'services.loadbalancers', 'namespaces',
];

function milli(text: string | undefined): bigint | undefined {
  if (text === undefined) return undefined;
  try {
    return quantityMilliValue(parseQuantity(text));
  } catch {
    return undefined;
  }
}

/**
 * `used` as a whole percentage of `hard`, rounded down (so 100 means the limit is reached), and
 * above 100 when a lowered quota is exceeded; undefined when either is absent or does not
 * parse. A hard limit of zero reads 0 when nothing is used and 100 otherwise.
 */
export function quotaPercent(used: string | undefined, hard: string | undefined): number | undefined {
  const u = milli(used);
  const h = milli(hard);
  if (u === undefined || h === undefined) return undefined;
  if (h === 0n) return u === 0n ? 0 : 100;
  return Number((u * 100n) / h);
}

/** True when `used` is strictly above 90% of `hard` (the console's attention threshold). */
export function nearLimit(used: string | undefined, hard: string | undefined): boolean {
  const u = milli(used);
  const h = milli(hard);
  if (u === undefined || h === undefined) return false;
  return h === 0n ? u > 0n : u * 10n > h * 9n;
}

/** One resource of a usage table. */
export interface UsageRow {
  readonly resource: string;
  readonly hard?: string;
  readonly allocated?: string;
  readonly used?: string;
  readonly percent?: number;
}

/** Sorts resource names: {@link resourceOrder} first, then the rest by name. */
export function compareResources(a: string, b: string): number {
  const rank = (r: string) => { const i = resourceOrder.indexOf(r); return i < 0 ? resourceOrder.length : i; };
  return rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0);
}

/** One row per resource named in any of the maps, in {@link compareResources} order, with used/hard. */
export function usageRows(hard: QuantityMap, used: QuantityMap = {}, allocated?: QuantityMap): readonly UsageRow[] {
  const names = new Set([...Object.keys(hard), ...Object.keys(used), ...Object.keys(allocated ?? {})]);
  return [...names].sort(compareResources).map((resource) => ({
    resource,
    ...(hard[resource] !== undefined ? { hard: hard[resource] } : {}),
    ...(allocated?.[resource] !== undefined ? { allocated: allocated[resource] } : {}),
    ...(used[resource] !== undefined ? { used: used[resource] } : {}),
    ...(quotaPercent(used[resource], hard[resource]) !== undefined ? { percent: quotaPercent(used[resource], hard[resource]) } : {}),
  }));
}

const byteResources = /(^|\.)(memory|storage|ephemeral-storage)$/;

/**
 * A quantity written for people: memory and storage in binary units (`17179869184` → `16 GiB`,
 * `512Mi` → `512 MiB`), CPU in cores with millicores kept (`500m` stays `500m`, `4000m` → `4`),
 * counts as given. A value that does not parse is shown as written.
 */
export function formatQuantity(resource: string, text: string | undefined): string {
  if (text === undefined) return '—';
  const m = milli(text);
  if (m === undefined) return text;
  if (byteResources.test(resource)) return formatBytes(Number((m + 999n) / 1000n));
  if (resource.endsWith('cpu') || resource === 'cpu') return m % 1000n === 0n ? String(m / 1000n) : `${m}m`;
  return text;
}
