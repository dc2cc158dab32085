// HTTP for identity: login/logout, whoami, personal tokens, users.
import type { FastifyInstance } from 'fastify';
import type { PlatformDeps } from '../area.ts';
import { decodeContinue, encodeContinue, listQuerySchema, pageSize } from '../http/paging.ts';

const userSchema = {
  type: 'object',
  properties: {
    name: { type: 'string' }, email: { type: 'string' }, platformRoles: { type: 'array', items: { type: 'string' } },
    disabled: { type: 'boolean' }, createdAt: { type: 'string', format: 'date-time' }, resourceVersion: { type: 'string' },
  },
} as const;

const tokenSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' }, name: { type: 'string' }, createdAt: { type: 'string' }, expiresAt: { type: 'string' },
    lastUsedAt: { type: 'string' }, revoked: { type: 'boolean' },
  },
} as const;

const nameParam = { type: 'object', required: ['name'], properties: { name: { type: 'string', maxLength: 253 } } } as const;
const roles = { type: 'array', maxItems: 3, items: { type: 'string', maxLength: 32 } } as const;

/** Registers identity routes under the API prefix. */
export async function identityRoutes(app: FastifyInstance, deps: PlatformDeps): Promise<void> {
  sessionRoutes(app, deps.identity);
  tokenRoutes(app, deps.identity);
  userRoutes(app, deps.identity);
}

/** Logging in and out, and who the caller is. */
function sessionRoutes(app: FastifyInstance, identity: PlatformDeps['identity']): void {
  app.post('/login', {
    config: { auth: 'public' },
    schema: {
      tags: ['identity'], summary: 'Log in with a username and password; returns a session token', security: [],
      body: {
        type: 'object', additionalProperties: false, required: ['username', 'password'],
        properties: { username: { type: 'string', minLength: 1, maxLength: 253 }, password: { type: 'string', minLength: 1, maxLength: 1024 } },
      },
      response: { 200: { type: 'object', properties: { token: { type: 'string' }, expiresAt: { type: 'string' }, user: userSchema } } },
    },
  }, async (req) => {
    const body = req.body as { username: string; password: string };
    return identity.login(body.username, body.password, req.ctx);
  });

  app.post('/logout', {
    config: { auth: 'authenticated' },
    schema: { tags: ['identity'], summary: 'End the session of the token used' },
  }, async (req) => {
    await identity.logout(req.ctx);
    return { status: 'Success' };
  });

  app.get('/whoami', {
    config: { auth: 'authenticated' },
    schema: {
      tags: ['identity'], summary: 'Who the caller is, with roles and effective permissions',
      response: { 200: { type: 'object', properties: { name: { type: 'string' }, platformRoles: { type: 'array', items: { type: 'string' } }, tenantRoles: { type: 'array', items: { type: 'object', properties: { tenant: { type: 'string' }, role: { type: 'string' } } } }, permissions: { type: 'array', items: { type: 'string' } } } } },
    },
  }, async (req) => identity.whoami(req.ctx.principal!));
}

/** The caller's personal API tokens. */
function tokenRoutes(app: FastifyInstance, identity: PlatformDeps['identity']): void {
  app.get('/tokens', {
    config: { permission: 'tokens:list' },
    schema: { tags: ['tokens'], summary: "The caller's personal API tokens", response: { 200: { type: 'object', properties: { kind: { type: 'string' }, items: { type: 'array', items: tokenSchema } } } } },
  }, async (req) => ({ kind: 'TokenList', items: await identity.listTokens(req.ctx) }));

  app.post('/tokens', {
    config: { permission: 'tokens:create' },
    schema: {
      tags: ['tokens'], summary: 'Create a personal API token; the secret is in this answer only',
      body: {
        type: 'object', additionalProperties: false, required: ['name'],
        properties: { name: { type: 'string', minLength: 1, maxLength: 100 }, expiresInDays: { type: 'integer', minimum: 1, maximum: 366 } },
      },
      response: { 201: { type: 'object', properties: { ...tokenSchema.properties, token: { type: 'string' } } } },
    },
  }, async (req, reply) => {
    const body = req.body as { name: string; expiresInDays?: number };
    return reply.code(201).send(await identity.createToken(req.ctx, body.name, body.expiresInDays));
  });

  app.delete('/tokens/:id', {
    config: { permission: 'tokens:delete' },
    schema: { tags: ['tokens'], summary: 'Revoke one of your tokens', params: { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 64 } } } },
  }, async (req) => {
    await identity.revokeToken(req.ctx, (req.params as { id: string }).id);
    return { kind: 'Status', apiVersion: 'v1', status: 'Success' };
  });
}

/** Users, managed by platform admins. */
function userRoutes(app: FastifyInstance, identity: PlatformDeps['identity']): void {
  app.get('/users', {
    config: { permission: 'users:list' },
    schema: {
      tags: ['users'], summary: 'List users', querystring: { type: 'object', additionalProperties: false, properties: listQuerySchema },
      response: { 200: { type: 'object', properties: { kind: { type: 'string' }, items: { type: 'array', items: userSchema }, metadata: { type: 'object', properties: { continue: { type: 'string' } } } } } },
    },
  }, async (req) => {
    const q = req.query as { limit?: string; continue?: string };
    const page = await identity.listUsers(pageSize(q.limit), decodeContinue(q.continue, 'string'));
    return { kind: 'UserList', items: page.items, metadata: page.next ? { continue: encodeContinue(page.next) } : {} };
  });

  app.get('/users/:name', {
    config: { permission: 'users:get' },
    schema: { tags: ['users'], summary: 'Get a user', params: nameParam, response: { 200: userSchema } },
  }, async (req) => identity.getUser((req.params as { name: string }).name));

  app.post('/users', {
    config: { permission: 'users:create' },
    schema: {
      tags: ['users'], summary: 'Create a user',
      body: {
        type: 'object', additionalProperties: false, required: ['name', 'password'],
        properties: { name: { type: 'string', minLength: 1, maxLength: 253 }, password: { type: 'string', maxLength: 1024 }, email: { type: 'string', maxLength: 254 }, platformRoles: roles },
      },
      response: { 201: userSchema },
    },
  }, async (req, reply) => reply.code(201).send(await identity.createUser(req.ctx, req.body as { name: string; password: string })));

  app.patch('/users/:name', {
    config: { permission: 'users:update' },
    schema: {
      tags: ['users'], summary: 'Update a user (optimistic concurrency with resourceVersion)', params: nameParam,
      body: {
        type: 'object', additionalProperties: false,
        properties: { resourceVersion: { type: 'string', maxLength: 20 }, disabled: { type: 'boolean' }, platformRoles: roles, password: { type: 'string', maxLength: 1024 }, email: { type: 'string', maxLength: 254 } },
      },
      response: { 200: userSchema },
    },
  }, async (req) => identity.updateUser(req.ctx, (req.params as { name: string }).name, req.body as object));

  app.delete('/users/:name', {
    config: { permission: 'users:delete' },
    schema: { tags: ['users'], summary: 'Delete a user', params: nameParam },
  }, async (req) => {
    await identity.deleteUser(req.ctx, (req.params as { name: string }).name);
    return { kind: 'Status', apiVersion: 'v1', status: 'Success' };
  });
}
