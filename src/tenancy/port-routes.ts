// The NodePort map's REST API, under /api/v1/clusters/{cluster}/nodeports. Reservations are the
// platform's (the guard checks `nodeports:*` platform-wide); allocations belong to a tenant named
// in the body or found from the port, so those routes ask only for an authenticated caller and
// the service checks the permission in that tenant.
import type { FastifyInstance } from 'fastify';
import { invalid, type Cause } from '../platform/errors.ts';
import { listQuerySchema, pageSize } from '../platform/http/paging.ts';
import { MAX_IMPORT_CHARS, MAX_NOTE, MAX_OWNER } from './ports.ts';
import type { NodePortService } from './port-service.ts';

const clusterName = { type: 'string', minLength: 1, maxLength: 253, pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$' } as const;
const clusterParams = { type: 'object', required: ['cluster'], additionalProperties: false, properties: { cluster: clusterName } } as const;
const portsText = { type: 'string', minLength: 1, maxLength: 11 } as const;
const tags = ['nodeports'];

interface ClusterParams { cluster: string }
interface ListQuery { limit?: string; continue?: string }
interface ImportBody { format?: 'csv' | 'json'; data?: string; from?: 'cluster'; dryRun?: boolean }

/**
 * Registers the NodePort routes on `api`, which must be mounted under `/api/v1`. The routes:
 * GET `clusters/:cluster/nodeports` (the map), GET/POST `…/reservations`, POST
 * `…/reservations/import` (CSV or JSON, or `{ "from": "cluster" }`), DELETE `…/reservations/:ports`, GET/POST `…/allocations`, DELETE
 * `…/allocations/:port`.
 */
export async function nodePortRoutes(api: FastifyInstance, ports: NodePortService): Promise<void> {
  api.get<{ Params: ClusterParams }>('/clusters/:cluster/nodeports', {
    config: { permission: 'nodeports:list' },
    schema: { tags, summary: 'The NodePort map of a cluster: range, used, reserved and allocated ports with owners, conflicts, free count and strip', params: clusterParams },
  }, async (req) => ports.map(req.ctx, req.params.cluster));
  reservationRoutes(api, ports);
  allocationRoutes(api, ports);
}

/** Reserved legacy business ports: the platform's. */
function reservationRoutes(api: FastifyInstance, ports: NodePortService): void {

  api.get<{ Params: ClusterParams; Querystring: ListQuery }>('/clusters/:cluster/nodeports/reservations', {
    config: { permission: 'nodeports:list' },
    schema: { tags, summary: 'Reserved legacy business ports of a cluster', params: clusterParams, querystring: { type: 'object', additionalProperties: false, properties: listQuerySchema } },
  }, async (req) => ports.listReservations(req.ctx, req.params.cluster, pageSize(req.query.limit), req.query.continue));

  api.post<{ Params: ClusterParams; Body: { ports: string; owner: string; note?: string } }>('/clusters/:cluster/nodeports/reservations', {
    config: { permission: 'nodeports:create', auditResource: 'nodeports' },
    schema: {
      tags, summary: 'Reserve a legacy business port or range of ports, so that Berth never hands them out', params: clusterParams,
      body: {
        type: 'object', required: ['ports', 'owner'], additionalProperties: false,
        properties: { ports: portsText, owner: { type: 'string', minLength: 1, maxLength: MAX_OWNER }, note: { type: 'string', maxLength: MAX_NOTE } },
      },
    },
  }, async (req, reply) => reply.code(201).send(await ports.reserve(req.ctx, req.params.cluster, req.body)));

  api.post<{ Params: ClusterParams; Body: ImportBody }>('/clusters/:cluster/nodeports/reservations/import', {
    config: { permission: 'nodeports:create', auditResource: 'nodeports' },
    schema: {
      tags, params: clusterParams,
      summary: 'Reserve many ports, all or nothing: from CSV (port[-port],owner[,note]) or JSON given as format and data, or, with from "cluster", '
        + 'every node port that a Service outside the tenant namespaces uses, as the cluster\'s API server lists them now (owner "Service namespace/name")',
      body: {
        type: 'object', additionalProperties: false,
        properties: {
          format: { type: 'string', enum: ['csv', 'json'] }, data: { type: 'string', maxLength: MAX_IMPORT_CHARS },
          from: { type: 'string', enum: ['cluster'], description: 'import the node ports of the cluster\'s Services outside the tenant namespaces, instead of format and data' },
          dryRun: { type: 'boolean', description: 'with from "cluster": answer what would be reserved, write nothing' },
        },
      },
    },
  }, async (req) => {
    const { format, data, from, dryRun } = req.body;
    const causes: Cause[] = [];
    if (from === 'cluster') {
      for (const [field, v] of [['format', format], ['data', data]] as const) {
        if (v !== undefined) causes.push({ field, reason: 'FieldValueForbidden', message: 'Forbidden: not with from "cluster"' });
      }
    } else {
      if (format === undefined) causes.push({ field: 'format', reason: 'FieldValueRequired', message: 'Required value' });
      if (data === undefined) causes.push({ field: 'data', reason: 'FieldValueRequired', message: 'Required value' });
      if (dryRun !== undefined) causes.push({ field: 'dryRun', reason: 'FieldValueForbidden', message: 'Forbidden: only with from "cluster"' });
    }
    if (causes.length) throw invalid('NodePortImport', req.params.cluster, causes);
    if (from === 'cluster') return ports.importFromCluster(req.ctx, req.params.cluster, { dryRun });
    return ports.importReservations(req.ctx, req.params.cluster, format as 'csv' | 'json', data as string);
  });

  api.delete<{ Params: ClusterParams & { ports: string } }>('/clusters/:cluster/nodeports/reservations/:ports', {
    config: { permission: 'nodeports:delete', auditResource: 'nodeports' },
    schema: { tags, summary: 'Delete the reservation of exactly these ports', params: { type: 'object', required: ['cluster', 'ports'], additionalProperties: false, properties: { cluster: clusterName, ports: portsText } } },
  }, async (req) => {
    await ports.deleteReservation(req.ctx, req.params.cluster, req.params.ports);
    return { kind: 'Status', apiVersion: 'v1', status: 'Success', details: { name: `${req.params.cluster}/${req.params.ports}`, kind: 'NodePortReservation' } };
  });

}

/** Ports allocated to tenants: the service checks the permission in the tenant concerned. */
function allocationRoutes(api: FastifyInstance, ports: NodePortService): void {
  api.get<{ Params: ClusterParams; Querystring: ListQuery & { tenant?: string } }>('/clusters/:cluster/nodeports/allocations', {
    config: { auth: 'authenticated' },
    schema: {
      tags, summary: 'Ports of a cluster allocated to tenants (of one tenant with ?tenant=)', params: clusterParams,
      querystring: { type: 'object', additionalProperties: false, properties: { ...listQuerySchema, tenant: { type: 'string', maxLength: 63 } } },
    },
  }, async (req) => ports.listAllocations(req.ctx, req.params.cluster, req.query.tenant, pageSize(req.query.limit), req.query.continue));

  api.post<{ Params: ClusterParams; Body: { tenant: string; service?: string; port?: number } }>('/clusters/:cluster/nodeports/allocations', {
    config: { auth: 'authenticated', auditResource: 'nodeports' },
    schema: {
      tags, summary: 'Allocate a NodePort to a tenant: a free one, or the port asked for', params: clusterParams,
      body: {
        type: 'object', required: ['tenant'], additionalProperties: false,
        properties: { tenant: { type: 'string', minLength: 1, maxLength: 63 }, service: { type: 'string', maxLength: 127 }, port: { type: 'integer', minimum: 1, maximum: 65535 } },
      },
    },
  }, async (req, reply) => reply.code(201).send(await ports.allocate(req.ctx, req.params.cluster, req.body)));

  api.delete<{ Params: ClusterParams & { port: string } }>('/clusters/:cluster/nodeports/allocations/:port', {
    config: { auth: 'authenticated', auditResource: 'nodeports' },
    schema: {
      tags, summary: 'Release a port allocated to a tenant',
      params: { type: 'object', required: ['cluster', 'port'], additionalProperties: false, properties: { cluster: clusterName, port: { type: 'string', pattern: '^[1-9][0-9]{0,4}$' } } },
    },
  }, async (req) => {
    await ports.release(req.ctx, req.params.cluster, Number(req.params.port));
    return { kind: 'Status', apiVersion: 'v1', status: 'Success', details: { name: `${req.params.cluster}/${req.params.port}`, kind: 'NodePortAllocation' } };
  });
}
