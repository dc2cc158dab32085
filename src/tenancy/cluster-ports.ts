// What an import from a live cluster reserves: every node port of every Service outside Berth's
// tenant namespaces is a legacy business port, reserved for that Service. Ports in tenant
// namespaces are not: they are Berth's own allocations. Pure: the service lists the Services.
import type { PortRange } from '../compute/index.ts';
import type { Cause } from '../platform/errors.ts';
import { MAX_IMPORT_CAUSES, MAX_IMPORT_ROWS, checkReservation, type ImportedReservation } from './ports.ts';

/** The fields of a listed Service an import reads. */
export interface ListedService {
  readonly metadata?: { readonly namespace?: string; readonly name?: string };
  readonly spec?: {
    readonly ports?: readonly { readonly nodePort?: number }[];
    /** Also taken from the NodePort range (a LoadBalancer Service with `externalTrafficPolicy: Local`). */
    readonly healthCheckNodePort?: number;
  };
}

/** What an import from a cluster would reserve. */
export interface ClusterImportPlan {
  /** One single-port reservation per port, ascending, each naming its Service. */
  readonly reservations: readonly ImportedReservation[];
  /** Node ports of Services in tenant namespaces, left alone. */
  readonly tenantPorts: number;
}

/** The owner a reservation imported from a cluster names: `Service namespace/name`. */
export function serviceOwner(namespace: string, name: string): string {
  return `Service ${namespace}/${name}`;
}

/**
 * The reservations an import from cluster `cluster` makes of `services` (listed at `at`): each
 * node port (and health-check node port) of each Service whose namespace is not one of
 * `tenantNamespaces`, owner {@link serviceOwner}, note naming the cluster and the time. A port
 * listed twice (one Service holding it on TCP and UDP) is reserved once. Returns causes naming
 * the Service (`namespace/name.ports`) when a port is outside `range` (Berth's view of the range
 * differs from the API server's), or when there are more than {@link MAX_IMPORT_ROWS} ports.
 */
export function clusterReservations(
  cluster: string, services: readonly ListedService[], tenantNamespaces: ReadonlySet<string>, range: PortRange, at: Date,
): ClusterImportPlan | Cause[] {
  const seen = new Set<number>();
  const out: ImportedReservation[] = [];
  const causes: Cause[] = [];
  let tenantPorts = 0;
  for (const s of services) {
    const namespace = s.metadata?.namespace ?? '';
    const name = s.metadata?.name ?? '';
    const ports = [
      ...(s.spec?.ports ?? []).map((p) => ({ port: p.nodePort, what: '' })),
      { port: s.spec?.healthCheckNodePort, what: 'healthCheckNodePort, ' },
    ].filter((p): p is { port: number; what: string } => Number.isInteger(p.port) && (p.port as number) > 0);
    if (tenantNamespaces.has(namespace)) {
      tenantPorts += new Set(ports.map((p) => p.port)).size;
      continue;
    }
    for (const { port, what } of ports) {
      if (seen.has(port)) continue;
      seen.add(port);
      const ref = `${namespace}/${name}`;
      const spec = checkReservation({ ports: String(port), owner: serviceOwner(namespace, name), note: `${what}imported from cluster ${cluster} at ${at.toISOString()}` }, range, ref);
      if (Array.isArray(spec)) causes.push(...spec);
      else out.push({ ...spec, at: ref, service: ref });
    }
  }
  if (out.length > MAX_IMPORT_ROWS) {
    return [{ field: '<cluster>', reason: 'FieldValueTooMany', message: `Too many: cluster ${cluster} has ${out.length} node ports outside tenant namespaces; one import reserves at most ${MAX_IMPORT_ROWS}` }];
  }
  if (causes.length) return causes.slice(0, MAX_IMPORT_CAUSES);
  return { reservations: out.sort((a, b) => a.from - b.from), tenantPorts };
}
