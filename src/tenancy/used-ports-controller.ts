// The "used" side of each cluster's NodePort map: on the leader, one watch of every Service in
// every registered cluster, and after each change (coalesced) the cluster's full set of node
// ports in use written with replaceUsedPorts. That is what refuses a reservation of a port a live
// Service holds, naming the Service, and what the map shows as used or in conflict.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { watchKind, type Informer, type KubeObject } from '../kube/index.ts';
import type { Term } from '../platform/leader.ts';
import type { Database } from '../platform/db/database.ts';
import type { ClusterConnections } from './connections.ts';
import { replaceUsedPorts } from './port-store.ts';
import type { UsedPort } from './ports.ts';
import * as store from './store.ts';

interface ServicePort { readonly nodePort?: number }

/** The node ports the Services hold, each with its Service. Pure. */
export function usedNodePorts(services: readonly KubeObject[]): UsedPort[] {
  const out: UsedPort[] = [];
  for (const s of services) {
    const ports = ((s.spec as { ports?: ServicePort[] } | undefined)?.ports ?? []);
    for (const p of ports) {
      if (typeof p.nodePort === 'number' && p.nodePort > 0) out.push({ port: p.nodePort, namespace: s.metadata?.namespace ?? '', service: s.metadata?.name ?? '' });
    }
  }
  return out.sort((a, b) => a.port - b.port);
}

/** What the controller needs. */
export interface UsedPortsDeps {
  readonly db: Database;
  readonly connections: ClusterConnections;
  readonly logger: Logger;
  /** How often the set of registered clusters is read again; default 2 s. */
  readonly clustersEveryMs?: number;
}

/** Keeps every registered cluster's used NodePorts in the store for one leader term; resolves when the term ends. */
export async function runUsedPorts(deps: UsedPortsDeps, term: Pick<Term, 'signal' | 'fenced'>): Promise<void> {
  const watches = new Map<string, Informer>();
  const write = async (cluster: string, informer: Informer): Promise<void> => {
    const used = usedNodePorts(informer.store.list());
    await term.fenced((tx) => replaceUsedPorts(tx, cluster, used, new Date()))
      .catch((err: unknown) => { if (!term.signal.aborted) deps.logger.warn({ err, cluster }, 'recording used NodePorts failed'); });
  };
  try {
    while (!term.signal.aborted) {
      const wanted = new Set(await store.clusterNames(deps.db.kysely).catch(() => [...watches.keys()]));
      for (const cluster of wanted) {
        if (watches.has(cluster)) continue;
        const client = await deps.connections.clientFor(cluster).catch(() => undefined);
        if (client === undefined) continue;
        let pending: Promise<void> = Promise.resolve();
        const informer: Informer = watchKind(client, { apiVersion: 'v1', kind: 'Service' }, {
          onError: (err) => deps.logger.debug({ err, cluster }, 'Service watch failed; retrying'),
        }, async (event) => {
          if (event.type === 'resync' && event.reason === 'periodic') return;
          pending = pending.then(() => write(cluster, informer));
          await pending;
        });
        watches.set(cluster, informer);
      }
      for (const [cluster, informer] of watches) {
        if (wanted.has(cluster)) continue;
        await informer.stop();
        watches.delete(cluster);
      }
      await sleep(deps.clustersEveryMs ?? 2_000, undefined, { signal: term.signal }).catch(() => undefined);
    }
  } finally {
    await Promise.all([...watches.values()].map((i) => i.stop()));
  }
}
