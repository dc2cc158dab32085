// Composes the Fastify application: request ids, logs, the guard, errors in the Status shape,
// metrics, health, OpenAPI, the console's static files, the platform's routes and each area's.
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import fastifyStatic from '@fastify/static';
import type { PlatformDeps, AreaInstance } from '../area.ts';
import { appliedMigrations } from '../db/migrations.ts';
import { BerthError, forbidden, unauthorized } from '../errors.ts';
import { can } from '../identity/rbac.ts';
import { auditEntry, refusedChange } from '../usecase.ts';
import { status, toStatus } from './errors.ts';
import { serverTimeoutOptions, watchBodies } from './slow-clients.ts';
import { identityRoutes } from '../identity/routes.ts';
import { auditRoutes } from '../audit/routes.ts';
import type { RouteAccess } from './types.ts';
import './types.ts';

const requestIdPattern = /^[A-Za-z0-9._-]{1,64}$/;
const mutating = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const apiPrefixes = ['/api/', '/v2', '/auth/', '/admission/', '/metrics', '/healthz', '/readyz'];

export interface AppOptions {
  readonly deps: PlatformDeps;
  /** This server's area instances, registered in order as encapsulated plugins. */
  readonly areas: readonly AreaInstance[];
  /** Every migration name the server expects to be applied (for /readyz). */
  readonly expectedMigrations: readonly string[];
  readonly version: string;
  readonly consoleDir: string;
}

function bearer(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (!h) return undefined;
  const m = /^Bearer\s+(\S+)$/i.exec(h);
  return m ? m[1] : undefined;
}

/** Whether the request's body stream failed or was destroyed before its end arrived. */
function bodyCutShort(req: FastifyRequest): boolean {
  return !req.raw.complete && (req.raw.destroyed || req.raw.errored !== null);
}

function defaultAuditResource(url: string): string {
  const parts = url.split('?')[0].split('/').filter((p) => p && !p.startsWith(':'));
  return parts[parts.length - 1] ?? '';
}

/** Builds the application (not listening). Throws at start-up if a route declares no access rule. */
export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  const { deps } = opts;
  const hasConsole = existsSync(join(opts.consoleDir, 'index.html'));
  const app = createFastify(deps);
  // First of the onRequest hooks: a body is timed from the end of its headers, not from after authentication.
  watchBodies(app, deps.config.timeouts, deps.config.bodyLimit, (req, reason) => req.log.info({ reason }, 'slow request closed with 408'));
  app.decorateRequest('ctx', null as never);
  requireAccessRules(app);
  app.addHook('onRequest', guard(deps));
  closeConnectionsOnShutdown(app);
  recordDurations(app, deps);
  app.setErrorHandler(errorHandler(deps));
  // Paths the console's router owns are answered with its index page (single-page app).
  const indexHtml = hasConsole ? readFileSync(join(opts.consoleDir, 'index.html')) : undefined;
  app.setNotFoundHandler(async (req, reply) => {
    const isApi = apiPrefixes.some((p) => req.url.startsWith(p));
    if (!isApi && req.method === 'GET' && indexHtml) {
      return reply.type('text/html; charset=utf-8').send(indexHtml);
    }
    return reply.code(404).send(status('NotFound', `the server could not find the requested resource: ${req.method} ${req.url.split('?')[0]}`));
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Berth API', version: opts.version, description: 'Multi-tenant resource manager for Kubernetes container clouds' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  operationalRoutes(app, opts);
  await app.register(async (api) => {
    await identityRoutes(api, deps);
    await auditRoutes(api, deps);
  }, { prefix: '/api/v1' });
  for (const area of opts.areas) await app.register(area.plugin);
  await consoleRoutes(app, opts.consoleDir, hasConsole);
  return app;
}

function createFastify(deps: PlatformDeps): FastifyInstance {
  return Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: deps.config.bodyLimit,
    trustProxy: deps.config.trustProxy,
    genReqId: (req) => {
      const h = req.headers['x-request-id'];
      return typeof h === 'string' && requestIdPattern.test(h) ? h : randomUUID();
    },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: true, useDefaults: true } },
    routerOptions: { ignoreTrailingSlash: true },
    return503OnClosing: true,
    ...serverTimeoutOptions(deps.config.timeouts),
  });
}

/**
 * Every route must say how it is authorized; a forgotten one fails at start-up, not in production.
 * The routes and their rules stay readable as `app.routeAccess` (the authorization matrix test
 * checks that every one has a row).
 */
function requireAccessRules(app: FastifyInstance): void {
  const routes: { method: string; url: string; opts: { config?: RouteAccess } }[] = [];
  app.decorate('routeAccess', () => routes.map((r) => ({ method: r.method, url: r.url, access: r.opts.config ?? {} })));
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method: String(method), url: route.url, opts: route });
  });
  app.addHook('onReady', async () => {
    for (const r of routes) {
      const c = r.opts.config;
      if (!c || (c.permission === undefined) === (c.auth === undefined)) {
        throw new Error(`route ${r.method} ${r.url} must declare exactly one of config.permission or config.auth`);
      }
    }
  });
}

/** The onRequest hook that authenticates the caller and checks the route's platform permission. */
function guard(deps: PlatformDeps) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    reply.header('x-request-id', req.id);
    // A client gone before this hook runs leaves its socket without a remote address.
    req.ctx = { sourceIp: req.ip ?? 'unknown', requestId: String(req.id) };
    const access = req.routeOptions.config;
    if (!access || access.auth === 'public' || access.auth === 'custom' || (!access.permission && !access.auth)) return;
    const secret = bearer(req);
    if (!secret) throw unauthorized('authentication required: send "Authorization: Bearer <token>"');
    const principal = await deps.identity.authenticate(secret);
    req.ctx = { ...req.ctx, principal };
    if (access.permission) {
      const tenant = access.tenantParam ? (req.params as Record<string, string>)[access.tenantParam] : undefined;
      if (!can(principal, access.permission, tenant)) {
        const [resource, verb] = access.permission.split(':');
        throw forbidden(`user "${principal.name}" cannot ${verb} ${resource}${tenant ? ` in tenant "${tenant}"` : ''}`);
      }
    }
  };
}

/**
 * On shutdown, requests already received finish; their connections then close instead of
 * idling until the keep-alive timeout holds the process open.
 */
function closeConnectionsOnShutdown(app: FastifyInstance): void {
  let closing = false;
  app.addHook('preClose', async () => { closing = true; });
  app.addHook('onSend', async (_req, reply) => { if (closing) reply.header('connection', 'close'); });
  app.addHook('onResponse', async () => { if (closing) app.server.closeIdleConnections(); });
}

function recordDurations(app: FastifyInstance, deps: PlatformDeps): void {
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    deps.metrics.requestDuration.observe({ method: req.method, route, status_code: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
}

/** Answers every error in the Status shape, auditing refused changes. */
function errorHandler(deps: PlatformDeps) {
  return async (err: unknown, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    if (bodyCutShort(req)) {
      // The client went away (or was cut off) before its body was complete: its own doing, not a fault here.
      req.log.info({ err: { message: (err as Error).message, code: (err as { code?: unknown }).code } }, 'client aborted the request');
      return reply.code(400).type('application/json').send(status('BadRequest', 'the request body ended before it was complete'));
    }
    const { status: body, retryAfter, unexpected } = toStatus(err);
    if (unexpected) req.log.error({ err }, 'unexpected error');
    else if (body.code >= 500) req.log.warn({ err: { message: (err as Error).message } }, body.message);
    if (retryAfter) reply.header('retry-after', String(retryAfter));
    const refused = body.code === 401 || body.code === 403 || body.code === 422;
    if (refused && (mutating.has(req.method) || body.code !== 422) && req.routeOptions.config?.auth !== 'public') {
      await auditRefusal(deps, err, req, body);
    }
    return reply.code(body.code).type('application/json').send(body);
  };
}

async function auditRefusal(deps: PlatformDeps, err: unknown, req: FastifyRequest, body: { code: number; reason: string; message: string }): Promise<void> {
  const params = (req.params ?? {}) as Record<string, string>;
  const about = refusedChange(err) ?? {
    resource: req.routeOptions.config?.auditResource ?? defaultAuditResource(req.routeOptions.url ?? req.url),
    name: params.name ?? params.id ?? '', tenant: params.tenant ?? '',
  };
  try {
    const actor = { name: req.ctx?.principal?.name ?? 'anonymous', sourceIp: req.ctx?.sourceIp ?? req.ip ?? 'unknown', requestId: String(req.id) };
    await deps.audit.recordAlone(auditEntry(actor, about.tenant, {
      action: `${req.method} ${req.routeOptions.url ?? req.url}`, resource: about.resource, name: about.name,
      outcome: 'failure', code: body.code, detail: { reason: body.reason, message: body.message },
    }));
  } catch (auditErr) {
    deps.metrics.auditFailures.inc();
    req.log.warn({ err: auditErr }, 'could not audit a refused request');
  }
}

/** Health, readiness, metrics and the OpenAPI document. */
function operationalRoutes(app: FastifyInstance, opts: AppOptions): void {
  const { deps } = opts;
  app.get('/healthz', { config: { auth: 'public' }, schema: { hide: true } }, async () => ({ status: 'ok' }));
  let migrated = false;
  app.get('/readyz', { config: { auth: 'public' }, schema: { hide: true } }, async (_req, reply) => {
    try {
      await deps.db.ping();
      if (!migrated) {
        const applied = await appliedMigrations(deps.db.kysely as never);
        const missing = opts.expectedMigrations.filter((m) => !applied.has(m));
        if (missing.length) return reply.code(503).send(status('ServiceUnavailable', `migrations not applied: ${missing.join(', ')}`));
        migrated = true;
      }
      return { status: 'ready', leader: deps.leader.status() };
    } catch (err) {
      const msg = err instanceof BerthError ? err.message : 'the database is not reachable';
      return reply.code(503).header('retry-after', '1').send(status('ServiceUnavailable', msg));
    }
  });
  app.get('/metrics', { config: { auth: 'public' }, schema: { hide: true } }, async (_req, reply) => {
    reply.type(deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });
  app.get('/api/openapi.json', { config: { auth: 'public' }, schema: { hide: true } }, async () => app.swagger());
}

/** The console's static files, or a 503 at / saying how to build them. */
async function consoleRoutes(app: FastifyInstance, consoleDir: string, hasConsole: boolean): Promise<void> {
  if (hasConsole) {
    await app.register(async (web) => {
      web.addHook('onRoute', (route) => { route.config = { ...route.config, auth: 'public' }; });
      await web.register(fastifyStatic, { root: consoleDir, prefix: '/', wildcard: false, index: ['index.html'], schemaHide: true });
    });
  } else {
    app.get('/', { config: { auth: 'public' }, schema: { hide: true } }, async (_req, reply) =>
      reply.code(503).send(status('ServiceUnavailable', 'the console is not built: run `npm run build:console` (npm start does it)')));
  }
}
