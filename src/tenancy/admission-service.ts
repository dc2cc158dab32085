// The `nodeports` mutating admission policy: every NodePort or LoadBalancer Service created or
// updated in a tenant namespace of a member cluster gets its new node ports from Berth's NodePort
// map, so it never takes a reserved legacy port or one held by someone else. A port that needs a
// node port and has none is allocated to the tenant and patched in; an explicit port the Service
// does not hold yet is allocated as given, or the request is refused naming whoever holds it. The
// API server's own allocator then finds the ports already set and only records them.
import { jsonPointer, type AdmissionOrigin, type AdmissionPolicy, type AdmissionRequest, type JsonPatchOperation, type MutationVerdict } from '../kube/index.ts';
import { BerthError } from '../platform/errors.ts';
import type { RequestContext } from '../platform/context.ts';
import type { NodePortService } from './port-service.ts';
import { nodePortNeeds, type ServicePortsSpec } from './ports.ts';

/** Which tenant owns `namespace` in `cluster`, if any (from the tenancy store). */
export type NamespaceOwner = (cluster: string, namespace: string) => Promise<string | undefined>;

// kube-apiserver keeps the first 58 characters of a generateName (63, less its 5 random ones).
const maxGenerateName = 58;

/** The admission identity: the system acting for the cluster, with the platform's rights over the map. */
function systemContext(cluster: string, uid: string): RequestContext {
  return {
    principal: { type: 'user', name: `system:admission:${cluster}`, platformRoles: ['platform-admin'], tenantRoles: [] },
    sourceIp: `cluster/${cluster}`, requestId: uid,
  };
}

/**
 * The policy. `owner` maps a namespace to its tenant; namespaces of no tenant, other kinds,
 * subresources and Services without node ports pass untouched. On a create every port gets its
 * node port from Berth; on an update only the ports that need a new one (the Service retyped to
 * NodePort or LoadBalancer, a port added, an explicit nodePort changed: {@link nodePortNeeds}),
 * so an update that gives no port a new node port passes without any database work. Dry runs
 * allocate nothing (the API server's own allocator then picks for the dry-run answer). The ports
 * one request needs are allocated all or none, pending until the used-ports watcher sees the
 * Service hold them: the request may still be refused after this webhook (by another webhook,
 * by validation, by a timeout), and then its allocations are released when their wait ends. A
 * Service created with generateName has no name yet: its allocations wait under the prefix and
 * bind to the Service of the namespace that shows up with that prefix and port.
 */
export function nodePortAdmission(allocator: NodePortService, owner: NamespaceOwner): AdmissionPolicy {
  return {
    async mutate(req: AdmissionRequest, origin: AdmissionOrigin): Promise<MutationVerdict> {
      const cluster = origin.cluster;
      const update = req.operation === 'UPDATE';
      if (cluster === undefined || req.kind.kind !== 'Service' || req.namespace === undefined || req.subResource !== undefined) return { allowed: true };
      if (req.operation !== 'CREATE' && !update) return { allowed: true };
      const { needs, released } = nodePortNeeds(specOf(req.object), update ? specOf(req.oldObject) : undefined);
      const asked = [...needs.keys()].filter((i) => needs[i] !== 'keep');
      if (asked.length === 0 || req.dryRun) return { allowed: true };
      const tenant = await owner(cluster, req.namespace);
      if (tenant === undefined) return { allowed: true };
      const ctx = systemContext(cluster, req.uid);
      const meta = (req.object?.metadata ?? {}) as { name?: string; generateName?: string };
      const prefix = !update && !req.name && !meta.name && typeof meta.generateName === 'string' && meta.generateName !== '' ? meta.generateName.slice(0, maxGenerateName) : undefined;
      const wanted = asked.map((i) => (needs[i] === 'choose' ? undefined : needs[i] as number));
      let ports: readonly number[];
      try {
        ports = await allocator.allocateForService(ctx, cluster, {
          tenant, namespace: req.namespace, name: prefix ?? (req.name || meta.name || ''), generateName: prefix !== undefined, ports: wanted, released,
        });
      } catch (err) {
        if (err instanceof BerthError && err.code < 500) return { allowed: false, code: err.code, message: err.message };
        throw err;
      }
      const patch: JsonPatchOperation[] = [];
      for (const [k, i] of asked.entries()) {
        if (wanted[k] === undefined) patch.push({ op: 'add', path: jsonPointer('spec', 'ports', i, 'nodePort'), value: ports[k] });
      }
      return { allowed: true, patch };
    },
  };
}

function specOf(object: Readonly<Record<string, unknown>> | undefined): ServicePortsSpec {
  const spec = object?.spec;
  return typeof spec === 'object' && spec !== null ? spec as ServicePortsSpec : {};
}
