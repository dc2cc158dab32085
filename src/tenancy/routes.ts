// HTTP for tenancy: /clusters, /tenants, /tenants/{tenant}/namespaces, render and usage. Every
// body and query has a bounded schema with unknown fields refused; the response schemas list
// what is shown (a cluster's credentials are in none of them) and feed the OpenAPI document.
import type { FastifyInstance } from 'fastify';
import { BerthError } from '../platform/errors.ts';
import { decodeContinue, encodeContinue, listQuerySchema, pageSize } from '../platform/http/paging.ts';
import { maxKubeconfigBytes } from '../kube/index.ts';
import { quotaResources, NAMESPACES_RESOURCE } from './model.ts';
import { MAX_DISPLAY_NAME, MAX_MEMBER_NAME } from './rules.ts';
import type { ClusterInput, ClusterPatch, NamespaceInput, NamespacePatch, Page, TenancyService, TenantInput, TenantPatch } from './service.ts';

const name = { type: 'string', minLength: 1, maxLength: 253 } as const;
const resourceVersion = { type: 'string', pattern: '^[0-9]{1,15}$', description: 'the version read; the change is refused (409) if the object changed since' } as const;
const stringMap = {
  type: 'object', maxProperties: 64, propertyNames: { maxLength: 317 }, additionalProperties: { type: 'string', maxLength: 63 },
} as const;
const quotaMap = {
  type: 'object', maxProperties: quotaResources.length + 1, propertyNames: { maxLength: 63 }, additionalProperties: { type: 'string', maxLength: 64 },
  description: `resource name → quantity: ${[...quotaResources, NAMESPACES_RESOURCE].join(', ')}`,
} as const;
const limitBounds = {
  type: 'object', additionalProperties: false,
  properties: { min: quotaMap, max: quotaMap, default: quotaMap, defaultRequest: quotaMap, maxLimitRequestRatio: quotaMap },
} as const;
const limitRange = { type: 'object', additionalProperties: false, properties: { container: limitBounds, pod: limitBounds } } as const;
const settings = {
  type: 'object', additionalProperties: false, properties: { webhookFailurePolicy: { type: 'string', enum: ['Fail', 'Ignore'] } },
} as const;
const member = {
  type: 'object', additionalProperties: false, required: ['kind', 'name', 'role'],
  properties: {
    kind: { type: 'string', enum: ['User', 'Group'] }, name: { type: 'string', minLength: 1, maxLength: MAX_MEMBER_NAME },
    role: { type: 'string', enum: ['tenant-admin', 'member', 'viewer'] },
  },
} as const;
const kubeconfig = { type: 'string', minLength: 1, maxLength: maxKubeconfigBytes, description: 'kubeconfig (YAML or JSON) with inline credentials; stored encrypted, never returned' } as const;

const meta = { createdAt: { type: 'string' }, updatedAt: { type: 'string' }, resourceVersion: { type: 'string' } } as const;
const clusterSchema = {
  type: 'object',
  properties: {
    name: { type: 'string' }, server: { type: 'string' }, labels: stringMap, settings, ...meta,
    status: { type: 'string', enum: ['Ready', 'Degraded'] },
    conditions: {
      type: 'array',
      items: {
        type: 'object',
        properties: { type: { type: 'string' }, status: { type: 'string' }, reason: { type: 'string' }, message: { type: 'string' }, lastTransitionTime: { type: 'string' } },
      },
    },
    version: { type: 'string' },
    nodes: { type: 'object', properties: { total: { type: 'integer' }, ready: { type: 'integer' } } },
    capacity: { type: 'object', properties: { cpu: { type: 'string' }, memory: { type: 'string' }, pods: { type: 'string' } } },
    probedAt: { type: 'string' },
  },
} as const;
const tenantSchema = {
  type: 'object',
  properties: {
    name: { type: 'string' }, displayName: { type: 'string' }, members: { type: 'array', items: member }, clusters: { type: 'array', items: { type: 'string' } },
    quota: quotaMap, defaultLimitRange: limitRange, nodeSelector: stringMap, ...meta,
  },
} as const;
const namespaceSchema = {
  type: 'object',
  properties: {
    name: { type: 'string' }, tenant: { type: 'string' }, cluster: { type: 'string' }, quota: quotaMap,
    limitRange: { anyOf: [limitRange, { type: 'null' }] }, adopted: { type: 'boolean' }, ...meta,
    usage: { type: 'object', properties: { hard: quotaMap, used: quotaMap, observedAt: { type: 'string' } } },
    objects: {
      type: 'array',
      items: { type: 'object', properties: { kind: { type: 'string' }, name: { type: 'string' }, state: { type: 'string' }, message: { type: 'string' }, updatedAt: { type: 'string' } } },
    },
  },
} as const;
const usageSchema = {
  type: 'object',
  properties: {
    tenant: { type: 'string' }, hard: quotaMap, allocated: quotaMap, used: quotaMap,
    clusters: { type: 'array', items: { type: 'object', properties: { cluster: { type: 'string' }, used: quotaMap } } },
    namespaces: {
      type: 'array',
      items: { type: 'object', properties: { cluster: { type: 'string' }, name: { type: 'string' }, hard: quotaMap, used: quotaMap, observedAt: { type: 'string' } } },
    },
  },
} as const;

const listOf = (schema: object) => ({ type: 'object', properties: { kind: { type: 'string' }, items: { type: 'array', items: schema }, continue: { type: 'string' } } });
const success = { type: 'object', properties: { kind: { type: 'string' }, apiVersion: { type: 'string' }, status: { type: 'string' } } } as const;
const listQuery = { type: 'object', additionalProperties: false, properties: listQuerySchema } as const;
const forceQuery = {
  type: 'object', additionalProperties: false,
  properties: { force: { type: 'string', enum: ['true', 'false'], description: 'true: remove even so (see the operation)' } },
} as const;
const clusterParams = { type: 'object', required: ['name'], properties: { name } } as const;
const tenantParams = { type: 'object', required: ['tenant'], properties: { tenant: name } } as const;
const namespaceParams = { type: 'object', required: ['tenant', 'cluster', 'name'], properties: { tenant: name, cluster: name, name } } as const;

function list<T>(kind: string, page: Page<T>): { kind: string; items: readonly T[]; continue?: string } {
  return { kind, items: page.items, ...(page.next === undefined ? {} : { continue: encodeContinue(page.next) }) };
}

const deleted = { kind: 'Status', apiVersion: 'v1', status: 'Success' } as const;

/** Registers the tenancy routes (mount under /api/v1). */
export async function tenancyRoutes(app: FastifyInstance, service: TenancyService): Promise<void> {
  clusterRoutes(app, service);
  tenantRoutes(app, service);
  namespaceRoutes(app, service);
}

function clusterRoutes(app: FastifyInstance, service: TenancyService): void {
  app.get('/clusters', {
    config: { permission: 'clusters:list' },
    schema: { tags: ['clusters'], summary: 'List registered clusters', querystring: listQuery, response: { 200: listOf(clusterSchema) } },
  }, async (req) => {
    const q = req.query as { limit?: string; continue?: string };
    return list('ClusterList', await service.listClusters(req.ctx, pageSize(q.limit), decodeContinue(q.continue, 'string')));
  });

  app.post('/clusters', {
    config: { permission: 'clusters:create' },
    schema: {
      tags: ['clusters'], summary: 'Register a cluster by kubeconfig; it is probed first and refused (nothing stored) when it cannot be used',
      body: {
        type: 'object', additionalProperties: false, required: ['name', 'kubeconfig'],
        properties: { name, kubeconfig, labels: stringMap, settings },
      },
      response: { 201: clusterSchema },
    },
  }, async (req, reply) => reply.code(201).send(await service.createCluster(req.ctx, req.body as ClusterInput)));

  app.get('/clusters/:name', {
    config: { permission: 'clusters:get' },
    schema: { tags: ['clusters'], summary: 'Get a cluster with its status', params: clusterParams, response: { 200: clusterSchema } },
  }, async (req) => service.getCluster(req.ctx, (req.params as { name: string }).name));

  app.patch('/clusters/:name', {
    config: { permission: 'clusters:update' },
    schema: {
      tags: ['clusters'], summary: 'Change a cluster\'s labels, settings or kubeconfig (a new kubeconfig is probed first)', params: clusterParams,
      body: { type: 'object', additionalProperties: false, properties: { labels: stringMap, settings, kubeconfig, resourceVersion } },
      response: { 200: clusterSchema },
    },
  }, async (req) => service.updateCluster(req.ctx, (req.params as { name: string }).name, req.body as ClusterPatch));

  app.delete('/clusters/:name', {
    config: { permission: 'clusters:delete' },
    schema: {
      tags: ['clusters'], summary: 'Remove a cluster; refused while tenants have namespaces there, unless force=true (Berth\'s objects are deleted from the cluster first)',
      params: clusterParams, querystring: forceQuery, response: { 200: success },
    },
  }, async (req) => {
    await service.deleteCluster(req.ctx, (req.params as { name: string }).name, (req.query as { force?: string }).force === 'true');
    return deleted;
  });
}

const tenantFields = {
  displayName: { type: 'string', maxLength: MAX_DISPLAY_NAME }, members: { type: 'array', maxItems: 256, items: member },
  clusters: { type: 'array', maxItems: 64, items: name }, quota: quotaMap, defaultLimitRange: limitRange, nodeSelector: stringMap,
} as const;

function tenantRoutes(app: FastifyInstance, service: TenancyService): void {
  app.get('/tenants', {
    config: { auth: 'authenticated' },
    schema: {
      tags: ['tenants'], summary: 'List the tenants the caller may see (all, for platform admins)', querystring: listQuery,
      response: { 200: listOf(tenantSchema) },
    },
  }, async (req) => {
    const q = req.query as { limit?: string; continue?: string };
    return list('TenantList', await service.listTenants(req.ctx, pageSize(q.limit), decodeContinue(q.continue, 'string')));
  });

  app.post('/tenants', {
    config: { permission: 'tenants:create' },
    schema: {
      tags: ['tenants'], summary: 'Create a tenant',
      body: { type: 'object', additionalProperties: false, required: ['name', 'clusters'], properties: { name, ...tenantFields } },
      response: { 201: tenantSchema },
    },
  }, async (req, reply) => reply.code(201).send(await service.createTenant(req.ctx, req.body as TenantInput)));

  app.get('/tenants/:tenant', {
    config: { permission: 'tenants:get', tenantParam: 'tenant' },
    schema: { tags: ['tenants'], summary: 'Get a tenant', params: tenantParams, response: { 200: tenantSchema } },
  }, async (req) => service.getTenant(req.ctx, (req.params as { tenant: string }).tenant));

  app.patch('/tenants/:tenant', {
    config: { permission: 'tenants:update', tenantParam: 'tenant' },
    schema: {
      tags: ['tenants'], summary: 'Change a tenant; a quota below what its namespaces hold is refused', params: tenantParams,
      body: { type: 'object', additionalProperties: false, properties: { ...tenantFields, resourceVersion } },
      response: { 200: tenantSchema },
    },
  }, async (req) => service.updateTenant(req.ctx, (req.params as { tenant: string }).tenant, req.body as TenantPatch));

  app.delete('/tenants/:tenant', {
    config: { permission: 'tenants:delete', tenantParam: 'tenant' },
    schema: { tags: ['tenants'], summary: 'Delete a tenant that has no namespaces', params: tenantParams, response: { 200: success } },
  }, async (req) => {
    await service.deleteTenant(req.ctx, (req.params as { tenant: string }).tenant);
    return deleted;
  });

  app.get('/tenants/:tenant/render', {
    config: { permission: 'tenants:get', tenantParam: 'tenant' },
    schema: {
      tags: ['tenants'], summary: 'The objects the reconciler applies for the tenant, as a List', params: tenantParams,
      querystring: { type: 'object', additionalProperties: false, properties: { cluster: name } },
      response: { 200: { type: 'object', properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, items: { type: 'array', items: { type: 'object', additionalProperties: true } } } } },
    },
  }, async (req) => {
    const items = await service.render(req.ctx, (req.params as { tenant: string }).tenant, (req.query as { cluster?: string }).cluster);
    return { apiVersion: 'v1', kind: 'List', items };
  });

  app.get('/tenants/:tenant/usage', {
    config: { permission: 'tenants:get', tenantParam: 'tenant' },
    schema: { tags: ['tenants'], summary: 'The tenant quota against allocated slices and use, per cluster and namespace', params: tenantParams, response: { 200: usageSchema } },
  }, async (req) => service.usage(req.ctx, (req.params as { tenant: string }).tenant));
}

/** Splits a namespace list position `cluster/name`; BadRequest as any foreign continue token. */
function namespacePosition(token: string | undefined): { cluster: string; name: string } | undefined {
  const p = decodeContinue(token, 'string');
  if (p === undefined) return undefined;
  const slash = p.indexOf('/');
  if (slash < 0) {
    throw new BerthError('BadRequest', 'invalid continue token: continue key is not valid; list again without it to start from the beginning', {
      causes: [{ field: 'continue', reason: 'FieldValueInvalid', message: 'continue key is not valid: it is not a token this list handed out' }],
    });
  }
  return { cluster: p.slice(0, slash), name: p.slice(slash + 1) };
}

function namespaceRoutes(app: FastifyInstance, service: TenancyService): void {
  type Params = { tenant: string; cluster: string; name: string };
  app.get('/tenants/:tenant/namespaces', {
    config: { permission: 'namespaces:list', tenantParam: 'tenant' },
    schema: { tags: ['namespaces'], summary: 'List the tenant\'s namespaces', params: tenantParams, querystring: listQuery, response: { 200: listOf(namespaceSchema) } },
  }, async (req) => {
    const q = req.query as { limit?: string; continue?: string };
    return list('NamespaceList', await service.listNamespaces(req.ctx, (req.params as { tenant: string }).tenant, pageSize(q.limit), namespacePosition(q.continue)));
  });

  app.post('/tenants/:tenant/namespaces', {
    config: { permission: 'namespaces:create', tenantParam: 'tenant' },
    schema: {
      tags: ['namespaces'], summary: 'Create a namespace of the tenant on one of its clusters, with its quota slice; adopt: true takes over an existing namespace that is not Berth\'s',
      params: tenantParams,
      body: {
        type: 'object', additionalProperties: false, required: ['name', 'cluster'],
        properties: { name, cluster: name, quota: quotaMap, limitRange, adopt: { type: 'boolean' } },
      },
      response: { 201: namespaceSchema },
    },
  }, async (req, reply) => reply.code(201).send(await service.createNamespace(req.ctx, (req.params as { tenant: string }).tenant, req.body as NamespaceInput)));

  app.get('/tenants/:tenant/namespaces/:cluster/:name', {
    config: { permission: 'namespaces:get', tenantParam: 'tenant' },
    schema: { tags: ['namespaces'], summary: 'Get a namespace with its usage and per-object status', params: namespaceParams, response: { 200: namespaceSchema } },
  }, async (req) => {
    const p = req.params as Params;
    return service.getNamespace(req.ctx, p.tenant, p.cluster, p.name);
  });

  app.patch('/tenants/:tenant/namespaces/:cluster/:name', {
    config: { permission: 'namespaces:update', tenantParam: 'tenant' },
    schema: {
      tags: ['namespaces'], summary: 'Change a namespace\'s quota slice or LimitRange (null: the tenant\'s default)', params: namespaceParams,
      body: { type: 'object', additionalProperties: false, properties: { quota: quotaMap, limitRange: { anyOf: [limitRange, { type: 'null' }] }, resourceVersion } },
      response: { 200: namespaceSchema },
    },
  }, async (req) => {
    const p = req.params as Params;
    return service.updateNamespace(req.ctx, p.tenant, p.cluster, p.name, req.body as NamespacePatch);
  });

  app.delete('/tenants/:tenant/namespaces/:cluster/:name', {
    config: { permission: 'namespaces:delete', tenantParam: 'tenant' },
    schema: {
      tags: ['namespaces'], summary: 'Delete a namespace; refused while pods run there, unless force=true', params: namespaceParams, querystring: forceQuery,
      response: { 200: success },
    },
  }, async (req) => {
    const p = req.params as Params;
    await service.deleteNamespace(req.ctx, p.tenant, p.cluster, p.name, (req.query as { force?: string }).force === 'true');
    return deleted;
  });
}
