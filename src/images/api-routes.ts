// The registry's REST API under /api/v1/registry: projects, members, robots, repositories and
// artifacts. Project-level roles are not platform permissions, so routes ask only for an
// authenticated caller and the service decides (a project the caller cannot see is NotFound).
import type { FastifyInstance } from 'fastify';
import { projectRoles, repositoryActions } from './model.ts';
import type { ProjectService } from './project-service.ts';
import type { GarbageCollector } from './gc-service.ts';
import type { PolicyService } from './policy-service.ts';

const limit = { type: 'integer', minimum: -1 } as const;
const nameParam = { type: 'object', required: ['project'], properties: { project: { type: 'string', maxLength: 63 } } } as const;
const authenticated = { auth: 'authenticated' as const };

/** Registers the registry API on `api` (mounted under /api/v1/registry). */
export async function apiRoutes(api: FastifyInstance, projects: ProjectService, gc: GarbageCollector, policies: PolicyService): Promise<void> {
  projectRoutes(api, projects);
  memberRoutes(api, projects);
  robotRoutes(api, projects);
  repositoryRoutes(api, projects);
  gcRoutes(api, gc);
  policyRoutes(api, policies);
  quotaRoutes(api, projects);
}

/** The project resource: create, list, read, change, delete. */
function projectRoutes(api: FastifyInstance, projects: ProjectService): void {
  api.post<{ Body: { name: string; tenant?: string; public?: boolean; storageLimit?: number; artifactLimit?: number; rateLimit?: number } }>('/projects', {
    config: authenticated,
    schema: {
      tags: ['registry'], summary: 'Create a registry project',
      body: {
        type: 'object', required: ['name'], additionalProperties: false,
        properties: { name: { type: 'string', maxLength: 63 }, tenant: { type: 'string', maxLength: 63 }, public: { type: 'boolean' }, storageLimit: limit, artifactLimit: limit, rateLimit: limit },
      },
    },
  }, async (req, reply) => reply.code(201).send(await projects.createProject(req.ctx, req.body)));

  api.get('/projects', { config: { permission: 'projects:list' }, schema: { tags: ['registry'], summary: 'List the registry projects the caller may see' } },
    async (req) => ({ items: await projects.listProjects(req.ctx) }));

  api.get<{ Params: { project: string } }>('/projects/:project', { config: authenticated, schema: { tags: ['registry'], params: nameParam } },
    async (req) => projects.getProject(req.ctx, req.params.project));

  api.patch<{ Params: { project: string }; Body: { public?: boolean; storageLimit?: number; artifactLimit?: number; rateLimit?: number } }>('/projects/:project', {
    config: authenticated,
    schema: {
      tags: ['registry'], summary: 'Change a project\'s visibility and quotas (its tenant\'s admins and platform admins)', params: nameParam,
      body: { type: 'object', additionalProperties: false, properties: { public: { type: 'boolean' }, storageLimit: limit, artifactLimit: limit, rateLimit: limit } },
    },
  }, async (req) => projects.updateProject(req.ctx, req.params.project, req.body));

  api.delete<{ Params: { project: string } }>('/projects/:project', { config: authenticated, schema: { tags: ['registry'], params: nameParam } },
    async (req, reply) => {
      await projects.deleteProject(req.ctx, req.params.project);
      return reply.code(200).send({ kind: 'Status', apiVersion: 'v1', status: 'Success', details: { name: req.params.project, kind: 'Project' } });
    });
}

/** A project's members and their grants. */
function memberRoutes(api: FastifyInstance, projects: ProjectService): void {
  api.get<{ Params: { project: string } }>('/projects/:project/members', { config: authenticated, schema: { tags: ['registry'], params: nameParam } },
    async (req) => ({ items: await projects.listMembers(req.ctx, req.params.project) }));

  api.put<{ Params: { project: string; user: string }; Body: { role: string; repositories?: string } }>('/projects/:project/members/:user', {
    config: authenticated,
    schema: {
      tags: ['registry'], summary: 'Grant a role on the project, or on repositories matching a pattern',
      params: { type: 'object', required: ['project', 'user'], properties: { project: { type: 'string' }, user: { type: 'string', maxLength: 253 } } },
      body: { type: 'object', required: ['role'], additionalProperties: false, properties: { role: { type: 'string', enum: [...projectRoles] }, repositories: { type: 'string', maxLength: 255 } } },
    },
  }, async (req) => projects.setMember(req.ctx, req.params.project, req.params.user, req.body.role, req.body.repositories ?? ''));

  api.delete<{ Params: { project: string; user: string }; Querystring: { repositories?: string } }>('/projects/:project/members/:user', {
    config: authenticated,
    schema: {
      tags: ['registry'],
      params: { type: 'object', required: ['project', 'user'], properties: { project: { type: 'string' }, user: { type: 'string' } } },
      querystring: { type: 'object', additionalProperties: false, properties: { repositories: { type: 'string', maxLength: 255 } } },
    },
  }, async (req, reply) => {
    await projects.removeMember(req.ctx, req.params.project, req.params.user, req.query.repositories ?? '');
    return reply.code(204).send();
  });
}

/** A project's robot accounts. */
function robotRoutes(api: FastifyInstance, projects: ProjectService): void {
  api.get<{ Params: { project: string } }>('/projects/:project/robots', { config: authenticated, schema: { tags: ['registry'], params: nameParam } },
    async (req) => ({ items: await projects.listRobots(req.ctx, req.params.project) }));

  api.post<{ Params: { project: string }; Body: { name: string; description?: string; expiresInDays?: number; permissions: { repositories: string; actions: ('pull' | 'push' | 'delete')[] }[] } }>('/projects/:project/robots', {
    config: authenticated,
    schema: {
      tags: ['registry'], summary: 'Create a robot account; its secret is in this answer only', params: nameParam,
      body: {
        type: 'object', required: ['name', 'permissions'], additionalProperties: false,
        properties: {
          name: { type: 'string', maxLength: 64 }, description: { type: 'string', maxLength: 1024 }, expiresInDays: { type: 'integer' },
          permissions: {
            type: 'array', maxItems: 100,
            items: {
              type: 'object', required: ['repositories', 'actions'], additionalProperties: false,
              properties: { repositories: { type: 'string', maxLength: 255 }, actions: { type: 'array', items: { type: 'string', enum: [...repositoryActions] }, maxItems: 3 } },
            },
          },
        },
      },
    },
  }, async (req, reply) => reply.code(201).send(await projects.createRobot(req.ctx, req.params.project, req.body)));

  api.delete<{ Params: { project: string; name: string } }>('/projects/:project/robots/:name', {
    config: authenticated,
    schema: { tags: ['registry'], params: { type: 'object', required: ['project', 'name'], properties: { project: { type: 'string' }, name: { type: 'string' } } } },
  }, async (req, reply) => {
    await projects.deleteRobot(req.ctx, req.params.project, req.params.name);
    return reply.code(204).send();
  });
}

/** Repositories and their artifacts. */
function repositoryRoutes(api: FastifyInstance, projects: ProjectService): void {
  api.get<{ Params: { project: string } }>('/projects/:project/repositories', { config: authenticated, schema: { tags: ['registry'], params: nameParam } },
    async (req) => ({ items: await projects.listRepositories(req.ctx, req.params.project) }));

  api.delete<{ Querystring: { name: string } }>('/repositories', {
    config: authenticated,
    schema: {
      tags: ['registry'], summary: 'Delete a repository with its artifacts (garbage collection frees the bytes)',
      querystring: { type: 'object', required: ['name'], additionalProperties: false, properties: { name: { type: 'string', maxLength: 255 } } },
    },
  }, async (req, reply) => {
    await projects.deleteRepository(req.ctx, req.query.name);
    return reply.code(204).send();
  });

  api.get<{ Querystring: { repository: string } }>('/artifacts', {
    config: authenticated,
    schema: {
      tags: ['registry'], summary: 'The artifacts of a repository (tags, digest, size, media type, pushed and pulled times, subject)',
      querystring: { type: 'object', required: ['repository'], additionalProperties: false, properties: { repository: { type: 'string', maxLength: 255 } } },
    },
  }, async (req) => ({ items: await projects.listArtifacts(req.ctx, req.query.repository) }));
}

/** Garbage collection runs. */
function gcRoutes(api: FastifyInstance, gc: GarbageCollector): void {
  api.post<{ Body: { dryRun?: boolean } }>('/gc', {
    config: { permission: 'gc:create' },
    schema: {
      tags: ['registry'], summary: 'Run garbage collection now (a dry run lists what would go); answers when it is done',
      body: { type: 'object', additionalProperties: false, properties: { dryRun: { type: 'boolean' } } },
    },
  }, async (req, reply) => reply.code(201).send(await gc.run({ dryRun: req.body?.dryRun ?? false, triggeredBy: req.ctx.principal?.name ?? 'unknown', requestId: req.ctx.requestId, sourceIp: req.ctx.sourceIp })));

  api.get('/gc', { config: { permission: 'gc:list' }, schema: { tags: ['registry'], summary: 'Garbage collection runs, newest first' } },
    async () => ({ items: await gc.list() }));
}

/** Immutability rules, retention policies and retention runs of a project. */
function policyRoutes(api: FastifyInstance, policies: PolicyService): void {
  api.get<{ Params: { project: string } }>('/projects/:project/policies', { config: authenticated, schema: { tags: ['registry'], summary: 'Immutability rules and retention policies of a project', params: nameParam } },
    async (req) => ({ items: await policies.list(req.ctx, req.params.project) }));

  api.post<{ Params: { project: string }; Body: { repositories?: string; tags?: string } }>('/projects/:project/immutability', {
    config: authenticated,
    schema: {
      tags: ['registry'], summary: 'Make tags matching a pattern immutable in repositories matching a pattern', params: nameParam,
      body: { type: 'object', additionalProperties: false, properties: { repositories: { type: 'string', maxLength: 255 }, tags: { type: 'string', maxLength: 255 } } },
    },
  }, async (req, reply) => reply.code(201).send(await policies.create(req.ctx, req.params.project, 'immutability', req.body ?? {})));

  api.post<{ Params: { project: string }; Body: { repositories?: string; keepLatest?: number; keepTags?: string[]; keepPulledWithinDays?: number } }>('/projects/:project/retention', {
    config: authenticated,
    schema: {
      tags: ['registry'], summary: 'Add a retention policy (keep the newest N, tags matching patterns, pulled within N days)', params: nameParam,
      body: {
        type: 'object', additionalProperties: false,
        properties: { repositories: { type: 'string', maxLength: 255 }, keepLatest: { type: 'integer' }, keepTags: { type: 'array', maxItems: 50, items: { type: 'string', maxLength: 255 } }, keepPulledWithinDays: { type: 'integer' } },
      },
    },
  }, async (req, reply) => reply.code(201).send(await policies.create(req.ctx, req.params.project, 'retention', req.body ?? {})));

  api.delete<{ Params: { project: string; id: string } }>('/projects/:project/policies/:id', {
    config: authenticated,
    schema: { tags: ['registry'], params: { type: 'object', required: ['project', 'id'], properties: { project: { type: 'string' }, id: { type: 'string', maxLength: 64 } } } },
  }, async (req, reply) => {
    await policies.delete(req.ctx, req.params.project, req.params.id);
    return reply.code(204).send();
  });

  api.post<{ Params: { project: string }; Body: { dryRun?: boolean } }>('/projects/:project/retention/run', {
    config: authenticated,
    schema: {
      tags: ['registry'], summary: 'Run the project\'s retention now; a dry run lists what would go', params: nameParam,
      body: { type: 'object', additionalProperties: false, properties: { dryRun: { type: 'boolean' } } },
    },
  }, async (req) => policies.runRetention(req.ctx, req.params.project, req.body?.dryRun ?? false));

  api.get<{ Params: { project: string } }>('/projects/:project/retention/runs', { config: authenticated, schema: { tags: ['registry'], summary: 'The project\'s retention runs, newest first', params: nameParam } },
    async (req) => ({ items: await policies.runs(req.ctx, req.params.project) }));
}

/** A tenant's registry quota. */
function quotaRoutes(api: FastifyInstance, projects: ProjectService): void {
  const tenantParam = { type: 'object', required: ['tenant'], properties: { tenant: { type: 'string', maxLength: 63 } } } as const;
  api.get<{ Params: { tenant: string } }>('/tenants/:tenant/quota', {
    config: { permission: 'quotas:get', tenantParam: 'tenant' },
    schema: { tags: ['registry'], summary: 'A tenant\'s registry quota and usage', params: tenantParam },
  }, async (req) => projects.getTenantQuota(req.params.tenant));

  api.put<{ Params: { tenant: string }; Body: { storageLimit: number; artifactLimit: number } }>('/tenants/:tenant/quota', {
    config: { permission: 'quotas:update' },
    schema: {
      tags: ['registry'], summary: 'Set a tenant\'s registry quota (stored bytes, each blob once; artifacts); -1 for none', params: tenantParam,
      body: { type: 'object', required: ['storageLimit', 'artifactLimit'], additionalProperties: false, properties: { storageLimit: limit, artifactLimit: limit } },
    },
  }, async (req) => projects.setTenantQuota(req.ctx, req.params.tenant, req.body));
}
