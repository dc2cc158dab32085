// Small readings and writings of the tenancy pages: `K=V` text typed into a form (labels,
// quotas), a namespace's objects counted by state, a LimitRange as table rows, and who manages a
// tenant. Pure.
import type { LimitRangeSpec, ObjectState, ObjectStatus, WhoAmI } from './model.ts';

/**
 * `site=east, region=eu` → `{ site: 'east', region: 'eu' }` (labels, or a quota such as
 * `requests.cpu=2, pods=10`); empty text → `{}`. Returns undefined
 * when a pair has no `=` or an empty key, or a key comes twice (the form then says how to write it).
 * Whether keys and values are valid Kubernetes labels is the server's to say.
 */
export function parseKeyValues(text: string): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const raw of text.split(',')) {
    const pair = raw.trim();
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    if (eq <= 0) return undefined;
    const key = pair.slice(0, eq).trim();
    if (key === '' || Object.hasOwn(out, key)) return undefined;
    out[key] = pair.slice(eq + 1).trim();
  }
  return out;
}

/** The states in the order they are shown: what needs a look first. */
const objectStates: readonly ObjectState[] = ['Failed', 'Drifted', 'Pending', 'Applied'];

/** How many of `objects` are in each state, for states that occur, in {@link objectStates} order. */
export function countStates(objects: readonly ObjectStatus[]): readonly { readonly state: ObjectState; readonly count: number }[] {
  return objectStates
    .map((state) => ({ state, count: objects.filter((o) => o.state === state).length }))
    .filter((c) => c.count > 0);
}

/** One bound of one LimitRange item, as a table row: resource → quantity. */
export interface LimitRow {
  readonly type: 'Container' | 'Pod';
  readonly bound: 'min' | 'max' | 'default' | 'defaultRequest' | 'maxLimitRequestRatio';
  readonly values: Readonly<Record<string, string>>;
}

const bounds = ['min', 'max', 'defaultRequest', 'default', 'maxLimitRequestRatio'] as const;

/** The rows of a LimitRange, Container then Pod, bounds from the smallest to the ratio; empty bounds left out. */
export function limitRangeRows(spec: LimitRangeSpec | null | undefined): readonly LimitRow[] {
  const rows: LimitRow[] = [];
  for (const [type, item] of [['Container', spec?.container], ['Pod', spec?.pod]] as const) {
    for (const bound of bounds) {
      const values = item?.[bound];
      if (values !== undefined && Object.keys(values).length > 0) rows.push({ type, bound, values });
    }
  }
  return rows;
}

/**
 * True when `user` may create and delete the tenant's namespaces: a platform admin, or a
 * tenant-admin of this tenant. whoami merges the permissions of every binding, so the tenant is
 * read from `tenantRoles`. The server decides for real; this only hides controls it would refuse.
 */
export function managesTenant(user: WhoAmI, tenant: string): boolean {
  return user.platformRoles.includes('platform-admin') || user.tenantRoles.some((b) => b.tenant === tenant && b.role === 'tenant-admin');
}
