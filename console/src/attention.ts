// What the overview page lists under "needs attention", decided from data the page already
// loaded: degraded clusters, quotas used above 90%, and objects that failed to apply. Pure.
import type { Cluster, Namespace, TenantUsage } from './model.ts';
import { compareResources, nearLimit, quotaPercent } from './quota.ts';

/** One thing a platform or tenant admin should look at. */
export type AttentionItem =
  | { readonly kind: 'clusterDegraded'; readonly cluster: string; readonly reason: string; readonly message: string; readonly since?: string }
  | {
    readonly kind: 'quotaHigh'; readonly tenant: string; readonly resource: string; readonly used: string; readonly hard: string;
    readonly percent: number;
    /** The namespace whose ResourceQuota is near its limit; absent for the tenant quota. */
    readonly namespace?: { readonly cluster: string; readonly name: string };
  }
  | {
    readonly kind: 'objectFailed'; readonly tenant: string; readonly cluster: string; readonly namespace: string;
    readonly objectKind: string; readonly name: string; readonly message: string;
  };

/** What the overview knows; each part may be missing when the user may not read it. */
export interface AttentionInput {
  readonly clusters?: readonly Cluster[];
  readonly usages?: readonly TenantUsage[];
  readonly namespaces?: readonly Namespace[];
}

function degraded(clusters: readonly Cluster[]): AttentionItem[] {
  return clusters.filter((c) => c.status === 'Degraded').map((c) => {
    const cond = c.conditions.find((x) => x.type === 'Degraded' && x.status === 'True')
      ?? c.conditions.find((x) => x.type === 'Ready' && x.status === 'False');
    return {
      kind: 'clusterDegraded', cluster: c.name, reason: cond?.reason ?? '', message: cond?.message ?? '',
      ...(cond?.lastTransitionTime ? { since: cond.lastTransitionTime } : {}),
    };
  });
}

function quotasHigh(usages: readonly TenantUsage[]): AttentionItem[] {
  const items: AttentionItem[] = [];
  const check = (tenant: string, hard: TenantUsage['hard'], used: TenantUsage['used'], namespace?: { cluster: string; name: string }) => {
    for (const resource of Object.keys(hard).sort(compareResources)) {
      if (!nearLimit(used[resource], hard[resource])) continue;
      const percent = quotaPercent(used[resource], hard[resource]) ?? 100;
      items.push({ kind: 'quotaHigh', tenant, resource, used: used[resource], hard: hard[resource], percent, ...(namespace ? { namespace } : {}) });
    }
  };
  for (const u of usages) {
    check(u.tenant, u.hard, u.used);
    for (const ns of u.namespaces) check(u.tenant, ns.hard, ns.used, { cluster: ns.cluster, name: ns.name });
  }
  return items.sort((a, b) => (b.kind === 'quotaHigh' && a.kind === 'quotaHigh' ? b.percent - a.percent : 0));
}

function failed(namespaces: readonly Namespace[]): AttentionItem[] {
  return namespaces.flatMap((ns) => ns.objects.filter((o) => o.state === 'Failed').map((o): AttentionItem => ({
    kind: 'objectFailed', tenant: ns.tenant, cluster: ns.cluster, namespace: ns.name, objectKind: o.kind, name: o.name, message: o.message,
  })));
}

/**
 * Everything that needs attention, most urgent first: degraded clusters (a whole cluster is
 * unmanaged), then objects that failed to apply, then quotas above 90% (highest first; a tenant
 * quota and a namespace's ResourceQuota each count). Nothing is listed twice for one cause.
 */
export function attentionItems(input: AttentionInput): readonly AttentionItem[] {
  return [...degraded(input.clusters ?? []), ...failed(input.namespaces ?? []), ...quotasHigh(input.usages ?? [])];
}
