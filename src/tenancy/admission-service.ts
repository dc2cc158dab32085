// The `nodeports` mutating admission policy: every NodePort or LoadBalancer Service created in a
// tenant namespace of a member cluster gets its node ports from Berth's NodePort map, so it never
// takes a reserved legacy port or one held by someone else. A port the Service leaves empty is
// allocated to the tenant and patched in; an explicit port is allocated as given, or the Service
// is refused naming whoever holds it. The API server's own allocator then finds the ports already
// set and only records them.
import { jsonPointer, type AdmissionOrigin, type AdmissionPolicy, type AdmissionRequest, type JsonPatchOperation, type MutationVerdict } from '../kube/index.ts';
import { BerthError } from '../platform/errors.ts';
import type { RequestContext } from '../platform/context.ts';
import type { NodePortService } from './port-service.ts';

/** Which tenant owns `namespace` in `cluster`, if any (from the tenancy store). */
export type NamespaceOwner = (cluster: string, namespace: string) => Promise<string | undefined>;

interface ServicePort { readonly nodePort?: number }

// kube-apiserver keeps the first 58 characters of a generateName (63, less its 5 random ones).
const maxGenerateName = 58;

// Service types that get node ports (a LoadBalancer may opt out with allocateLoadBalancerNodePorts: false).
function wantsNodePorts(spec: Record<string, unknown>): boolean {
  if (spec.type === 'NodePort') return true;
  return spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts !== false;
}

/** The admission identity: the system acting for the cluster, with the platform's rights over the map. */
function systemContext(cluster: string, uid: string): RequestContext {
  return {
    principal: { type: 'user', name: `system:admission:${cluster}`, platformRoles: ['platform-admin'], tenantRoles: [] },
    sourceIp: `cluster/${cluster}`, requestId: uid,
  };
}

/**
 * The policy. `owner` maps a namespace to its tenant; namespaces of no tenant, other kinds,
 * updates and Services without node ports pass untouched. Dry runs allocate nothing (the API
 * server's own allocator then picks for the dry-run answer). A Service's ports are allocated
 * all or none, pending until the used-ports watcher sees the Service hold them: the Service may
 * still be refused after this webhook (by another webhook, by validation, by a timeout), and
 * then its allocations are released when their wait ends. A Service created with generateName
 * has no name yet: its allocations wait under the prefix and bind to the Service of the
 * namespace that shows up with that prefix and port.
 */
export function nodePortAdmission(allocator: NodePortService, owner: NamespaceOwner): AdmissionPolicy {
  return {
    async mutate(req: AdmissionRequest, origin: AdmissionOrigin): Promise<MutationVerdict> {
      const cluster = origin.cluster;
      if (cluster === undefined || req.kind.kind !== 'Service' || req.operation !== 'CREATE' || req.namespace === undefined) return { allowed: true };
      const spec = (req.object?.spec ?? {}) as Record<string, unknown>;
      const list = Array.isArray(spec.ports) ? (spec.ports as ServicePort[]) : [];
      if (!wantsNodePorts(spec) || list.length === 0 || req.dryRun) return { allowed: true };
      const tenant = await owner(cluster, req.namespace);
      if (tenant === undefined) return { allowed: true };
      const ctx = systemContext(cluster, req.uid);
      const meta = (req.object?.metadata ?? {}) as { name?: string; generateName?: string };
      const prefix = !req.name && !meta.name && typeof meta.generateName === 'string' && meta.generateName !== '' ? meta.generateName.slice(0, maxGenerateName) : undefined;
      const wanted = list.map((p) => (typeof p.nodePort === 'number' && p.nodePort !== 0 ? p.nodePort : undefined));
      let ports: readonly number[];
      try {
        ports = await allocator.allocateForService(ctx, cluster, {
          tenant, namespace: req.namespace, name: prefix ?? (req.name || meta.name || ''), generateName: prefix !== undefined, ports: wanted,
        });
      } catch (err) {
        if (err instanceof BerthError && err.code < 500) return { allowed: false, code: err.code, message: err.message };
        throw err;
      }
      const patch: JsonPatchOperation[] = [];
      for (const [i, p] of wanted.entries()) {
        if (p === undefined) patch.push({ op: 'add', path: jsonPointer('spec', 'ports', i, 'nodePort'), value: ports[i] });
      }
      return { allowed: true, patch };
    },
  };
}
