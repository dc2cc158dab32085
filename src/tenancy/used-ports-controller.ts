// The "used" side of each cluster's NodePort map, and what follows from it: on the leader, one
// watch of every Service in every registered cluster, and after each change (coalesced) the
// cluster's full set of node ports in use written with replaceUsedPorts. That is what refuses a
// reservation of a port a live Service holds, naming the Service, and what the map shows as used
// or in conflict. In the same transaction, under the cluster's ports lock, the allocations the
// `nodeports` webhook took are settled against that set: bound once their Service holds the
// port, released once it no longer does; and every few seconds the pending ones whose Service
// never showed up are released when their wait is over.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { watchKind, type Informer, type KubeObject } from '../kube/index.ts';
import type { AuditLog } from '../platform/audit/service.ts';
import type { Database } from '../platform/db/database.ts';
import type { Term } from '../platform/leader.ts';
import { publish } from '../platform/outbox/outbox.ts';
import { recordChange, type ChangeTx } from '../platform/usecase.ts';
import type { ClusterConnections } from './connections.ts';
import * as ports from './port-store.ts';
import { settleAdmissionAllocations, type UsedPort } from './ports.ts';
import * as store from './store.ts';

interface ServicePort { readonly nodePort?: number }

/** The node ports the Services hold, each with its Service. Pure. */
export function usedNodePorts(services: readonly KubeObject[]): UsedPort[] {
  const out: UsedPort[] = [];
  for (const s of services) {
    const list = ((s.spec as { ports?: ServicePort[] } | undefined)?.ports ?? []);
    for (const p of list) {
      if (typeof p.nodePort === 'number' && p.nodePort > 0) out.push({ port: p.nodePort, namespace: s.metadata?.namespace ?? '', service: s.metadata?.name ?? '' });
    }
  }
  return out.sort((a, b) => a.port - b.port);
}

/** What the controller needs. */
export interface UsedPortsDeps {
  readonly db: Database;
  readonly audit: AuditLog;
  readonly connections: ClusterConnections;
  readonly logger: Logger;
  /** How often the set of registered clusters is read again, and expired pending allocations looked for; default 2 s. */
  readonly clustersEveryMs?: number;
}

/**
 * In `tx`, which holds `cluster`'s ports lock ({@link ports.lockClusterPorts}), given `used`, the
 * cluster's full set of ports live Services hold: binds the webhook's pending allocations whose Service now
 * holds the port, releases the bound ones whose Service no longer holds it and the pending ones
 * past their deadline; each change audited (actor `system:nodeports-controller`, the
 * allocation's tenant) and, when anything changed, the `tenancy.nodeports` event published.
 */
export async function settleAllocations(tx: ChangeTx, audit: AuditLog, cluster: string, used: readonly UsedPort[], now: Date): Promise<void> {
  const allocations = await ports.admissionAllocations(tx, cluster);
  if (allocations.length === 0) return;
  const { bind, release } = settleAdmissionAllocations(allocations, used, now);
  const tenantOf = new Map(allocations.map((a) => [a.port, a.tenant]));
  const actor = { name: 'system:nodeports-controller', sourceIp: `cluster/${cluster}`, requestId: randomUUID() };
  for (const b of bind) {
    await ports.bindAllocation(tx, cluster, b.port, b.service);
    await recordChange(audit, tx, actor, tenantOf.get(b.port) ?? '', {
      action: 'update', resource: 'nodeports', name: `${cluster}/${b.port}`, detail: { cluster, kind: 'allocated', origin: 'admission', state: 'bound', service: b.service },
    });
  }
  for (const r of release) {
    await ports.deleteAdmissionAllocation(tx, cluster, r.port);
    await recordChange(audit, tx, actor, tenantOf.get(r.port) ?? '', {
      action: 'delete', resource: 'nodeports', name: `${cluster}/${r.port}`,
      detail: { cluster, kind: 'allocated', origin: 'admission', service: r.service, reason: r.why === 'gone' ? 'ServiceGone' : 'ServiceNeverSeen' },
    });
  }
  if (bind.length + release.length > 0) await publish(tx, 'tenancy.nodeports', cluster, {}, now);
}

/** Keeps every registered cluster's used NodePorts in the store, and the webhook's allocations settled, for one leader term; resolves when the term ends. */
export async function runUsedPorts(deps: UsedPortsDeps, term: Pick<Term, 'signal' | 'fenced'>): Promise<void> {
  const watches = new Map<string, { informer: Informer; queue: (replace: boolean) => Promise<void> }>();
  const write = async (cluster: string, informer: Informer, replace: boolean): Promise<void> => {
    const used = usedNodePorts(informer.store.list());
    const now = new Date();
    await term.fenced(async (tx) => {
      await ports.lockClusterPorts(tx, deps.db.dialect, cluster);
      if (replace) await ports.replaceUsedPorts(tx, cluster, used, now);
      await settleAllocations(tx, deps.audit, cluster, used, now);
    }).catch((err: unknown) => { if (!term.signal.aborted) deps.logger.warn({ err, cluster }, 'recording used NodePorts failed'); });
  };
  // Pending allocations expire with no Service event to notice it; the store is asked only while
  // the cluster's watch is healthy, so that an unreachable cluster's Services are not taken as gone.
  const sweep = async (): Promise<void> => {
    const now = new Date();
    for (const [cluster, w] of watches) {
      if (!w.informer.hasSynced || w.informer.lastError !== undefined) continue;
      if (await ports.hasExpiredPending(deps.db.kysely, cluster, now).catch(() => false)) await w.queue(false);
    }
  };
  try {
    while (!term.signal.aborted) {
      const wanted = new Set(await store.clusterNames(deps.db.kysely).catch(() => [...watches.keys()]));
      for (const cluster of wanted) {
        if (watches.has(cluster)) continue;
        const client = await deps.connections.clientFor(cluster).catch(() => undefined);
        if (client === undefined) continue;
        // One chain per cluster: writes and sweeps run in order, each on a view at least as new as the one before.
        let pending: Promise<void> = Promise.resolve();
        const queue = (replace: boolean): Promise<void> => (pending = pending.then(() => write(cluster, informer, replace)));
        const informer: Informer = watchKind(client, { apiVersion: 'v1', kind: 'Service' }, {
          onError: (err) => deps.logger.debug({ err, cluster }, 'Service watch failed; retrying'),
        }, async (event) => {
          if (event.type === 'resync' && event.reason === 'periodic') return;
          await queue(true);
        });
        watches.set(cluster, { informer, queue });
      }
      for (const [cluster, w] of watches) {
        if (wanted.has(cluster)) continue;
        await w.informer.stop();
        watches.delete(cluster);
      }
      await sweep();
      await sleep(deps.clustersEveryMs ?? 2_000, undefined, { signal: term.signal }).catch(() => undefined);
    }
  } finally {
    await Promise.all([...watches.values()].map((w) => w.informer.stop()));
  }
}
