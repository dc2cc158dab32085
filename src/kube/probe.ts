// What Berth records about a cluster's health and size: can it be reached, which Kubernetes,
// how many nodes and how much they offer to pods.
import { addQuantities, formatQuantity, parseQuantity, quantityMilliValue, quantityValue, zeroQuantity } from '../objects/index.ts';
import type { Quantity } from '../objects/index.ts';
import { BerthError } from '../platform/errors.ts';
import type { ClusterClient, RequestOptions, ServerVersion } from './client.ts';
import type { KubeObject } from './resources.ts';

/** Nodes and their summed allocatable resources. */
export interface NodeCapacity {
  /** Number of Node objects. */
  readonly count: number;
  /** Nodes whose `Ready` condition is `True`. */
  readonly ready: number;
  /** Sum of `status.allocatable` over all nodes, per resource, in canonical quantity form (`cpu: "12"`, `memory: "24Gi"`). */
  readonly allocatable: Readonly<Record<string, string>>;
  /** The same sums for the three resources status pages show, as numbers. */
  readonly cpuMillis: number;
  readonly memoryBytes: number;
  readonly pods: number;
}

/** The outcome of {@link probeCluster}. */
export interface ClusterProbe {
  /** True when `/version` and the node list were both answered. */
  readonly reachable: boolean;
  /** When the probe started (UTC ISO 8601). */
  readonly checkedAt: string;
  /** Milliseconds the probe took. */
  readonly latencyMs: number;
  readonly version?: ServerVersion;
  readonly nodes?: NodeCapacity;
  /** Why it is not reachable (or nodes could not be listed): the typed reason and the message. */
  readonly error?: { readonly reason: string; readonly message: string };
}

interface NodeObject extends KubeObject {
  readonly status?: {
    readonly allocatable?: Readonly<Record<string, string>>;
    readonly conditions?: readonly { readonly type?: string; readonly status?: string }[];
  };
}

/** Sums allocatable resources of `nodes` (pure). Unparseable quantities are skipped. */
export function sumNodes(nodes: readonly NodeObject[]): NodeCapacity {
  const sums = new Map<string, Quantity>();
  let ready = 0;
  for (const node of nodes) {
    if (node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true) ready++;
    for (const [name, value] of Object.entries(node.status?.allocatable ?? {})) {
      let q: Quantity;
      try {
        q = parseQuantity(value);
      } catch {
        continue;
      }
      sums.set(name, addQuantities(sums.get(name) ?? zeroQuantity(), q));
    }
  }
  const total = (name: string): Quantity => sums.get(name) ?? zeroQuantity();
  return {
    count: nodes.length,
    ready,
    allocatable: Object.fromEntries([...sums.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, q]) => [k, formatQuantity(q)])),
    cpuMillis: Number(quantityMilliValue(total('cpu'))),
    memoryBytes: Number(quantityValue(total('memory'))),
    pods: Number(quantityValue(total('pods'))),
  };
}

/**
 * Probes a cluster: `/version`, then a list of Nodes. Never throws for the cluster's sake: an
 * unreachable or refusing cluster gives `reachable: false` (or, when only the node list was
 * refused, `reachable: true` without `nodes`) and the typed error's reason and message.
 * Rejects only with the caller's signal's reason when it aborts. Costs two requests or more
 * (one per 500 nodes) against the client's rate limit.
 */
export async function probeCluster(client: ClusterClient, options: RequestOptions = {}): Promise<ClusterProbe> {
  const started = performance.now();
  const checkedAt = new Date().toISOString();
  const done = (rest: Omit<ClusterProbe, 'checkedAt' | 'latencyMs'>): ClusterProbe => ({
    checkedAt, latencyMs: Math.round(performance.now() - started), ...rest,
  });
  const described = (err: unknown): { reason: string; message: string } => {
    if (options.signal?.aborted === true) throw options.signal.reason;
    if (err instanceof BerthError) return { reason: err.reason, message: err.message };
    throw err;
  };
  let version: ServerVersion;
  try {
    version = await client.version(options);
  } catch (err) {
    return done({ reachable: false, error: described(err) });
  }
  try {
    const { items } = await client.list<NodeObject>({ apiVersion: 'v1', kind: 'Node' }, options);
    return done({ reachable: true, version, nodes: sumNodes(items) });
  } catch (err) {
    return done({ reachable: true, version, error: described(err) });
  }
}
