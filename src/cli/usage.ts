// `berth usage --tenant T [-o table|json|yaml]`: a tenant's quota, what its namespaces were given
// (allocated) and what they use, per resource, as the clusters' ResourceQuota status reports it.
import { parseQuantity, quantityMilliValue } from '../objects/index.ts';
import { NAMESPACES_RESOURCE, quotaResources } from '../tenancy/index.ts';
import { CliError, loadClient } from './client.ts';
import { flags, guarded } from './command.ts';
import { outputFormat, print, type Column } from './output.ts';
import { need, seg } from './tenancy-args.ts';

const usage = `usage: berth usage --tenant T [-o table|json|yaml]

The table has one row per quota resource: the tenant's hard limit, the sum of its namespaces'
slices (allocated), the sum of what they use, and used as a percentage of hard. JSON and YAML
also hold the figures per cluster and per namespace.`;

type QuantityMap = Record<string, string>;
interface Usage { tenant: string; hard: QuantityMap; allocated: QuantityMap; used: QuantityMap }
interface Row { resource: string; hard?: string; allocated?: string; used?: string; percent?: string }

const columns: Column<Row>[] = [
  { heading: 'RESOURCE', get: (r) => r.resource },
  { heading: 'HARD', get: (r) => r.hard },
  { heading: 'ALLOCATED', get: (r) => r.allocated },
  { heading: 'USED', get: (r) => r.used },
  { heading: 'PERCENT', get: (r) => r.percent },
];

/** `used` as a whole percentage of `hard` (rounded down, so 100% means at or over the limit), or undefined when either is missing or unreadable. */
function percent(used: string | undefined, hard: string | undefined): string | undefined {
  if (used === undefined || hard === undefined) return undefined;
  try {
    const h = quantityMilliValue(parseQuantity(hard));
    const u = quantityMilliValue(parseQuantity(used));
    if (h === 0n) return u === 0n ? '0%' : '100%';
    return `${(u * 100n) / h}%`;
  } catch {
    return undefined;
  }
}

/** Resources in ResourceQuota order, then `namespaces`, then any others by name. */
function order(a: string, b: string): number {
  const rank = (r: string) => { const i = quotaResources.indexOf(r); return i >= 0 ? i : r === NAMESPACES_RESOURCE ? quotaResources.length : quotaResources.length + 1; };
  return rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0);
}

/** Entry point of `berth usage`. */
export function run(args: readonly string[]): Promise<number> {
  return guarded('usage', async () => {
    const { values, positionals } = flags(args, { output: { type: 'string', short: 'o' }, tenant: { type: 'string' } }, usage);
    if (positionals.length > 0) throw new CliError(`unexpected argument "${positionals[0]}"\n${usage}`, 2);
    const out = outputFormat(values.output);
    const path = `/api/v1/tenants/${seg(need(values.tenant, '--tenant T', usage))}/usage`;
    const u = await loadClient().request<Usage>('GET', path);
    const resources = [...new Set([...Object.keys(u.hard), ...Object.keys(u.allocated), ...Object.keys(u.used)])].sort(order);
    const rows = resources.map((r) => ({ resource: r, hard: u.hard[r], allocated: u.allocated[r], used: u.used[r], percent: percent(u.used[r], u.hard[r]) }));
    print(out, u, rows, columns);
  });
}
