// The OCI Distribution API under /v2/ as one encapsulated Fastify plugin: its own routing of
// multi-segment repository names, raw streaming bodies, and hooks that run before every
// handler: the operation the path names, the caller's authentication and authorization, the
// project's request rate. Handlers live in one module per endpoint family. Errors become OCI
// error bodies in one place, the plugin's error handler.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { RegistryError } from '../errors.ts';
import { ociErrorBody, ociErrorOf, OciError } from './oci-errors.ts';
import { blobRoutes } from './blob-routes.ts';
import { drainRefusedBody, lingerThenClose } from './body-routes.ts';
import { catalogRoutes } from './catalog-routes.ts';
import { Gate, type Authenticated, type Granted, type V2Deps } from './gate-routes.ts';
import type { Call, RepoFamily } from './family-routes.ts';
import { manifestRoutes } from './manifest-routes.ts';
import { routeOf, type Op, type RepoOp } from './paths.ts';
import { referrerRoutes } from './referrer-routes.ts';
import { tagRoutes } from './tag-routes.ts';
import { uploadRoutes } from './upload-routes.ts';

export type { V2Deps } from './gate-routes.ts';

/** What the hooks learn about a request, for its handler. */
interface Parsed {
  readonly op: Op;
  readonly query: URLSearchParams;
  who?: Authenticated;
  granted?: Granted;
}

type Families = { readonly [K in RepoOp['kind']]: RepoFamily<K> };

/** Registers /v2/ on `app` (encapsulated: its own parsers, hooks and error handler). */
export async function v2Routes(app: FastifyInstance, deps: V2Deps): Promise<void> {
  await app.register(async (v2) => {
    const gate = new Gate(deps);
    const families: Families = {
      uploads: uploadRoutes(deps, gate), blob: blobRoutes(deps), manifest: manifestRoutes(deps),
      tags: tagRoutes(deps), referrers: referrerRoutes(deps),
    };
    const catalog = catalogRoutes(deps);
    const parsed = new WeakMap<FastifyRequest, Parsed>();
    v2.removeAllContentTypeParsers();
    // Bodies reach the handlers as the raw request stream: blobs are streamed to disk, never buffered.
    v2.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));
    v2.setErrorHandler(answerError(deps));

    // The synchronous hooks take a callback: an async hook would cost a promise per request.
    v2.addHook('onRequest', (req, reply, done) => {
      const [rawPath, rawQuery = ''] = req.url.split('?', 2);
      let op: Op;
      try {
        op = routeOf(rawPath);
      } catch (err) {
        return done(err as Error);
      }
      reply.header('docker-distribution-api-version', 'registry/2.0');
      parsed.set(req, { op, query: new URLSearchParams(rawQuery) });
      done();
    });
    // Authentication and authorization: the handler runs only for a caller allowed its action.
    v2.addHook('preHandler', async (req) => {
      const p = parsed.get(req) as Parsed;
      if (p.op.kind === 'base') p.who = await gate.admitAny(req);
      else if (p.op.kind === 'catalog') p.who = await gate.admitCatalog(req);
      else p.granted = await gate.authorize(req, p.op.name, families[p.op.kind].action(req.method));
    });
    v2.addHook('preHandler', (req, _reply, done) => {
      const granted = parsed.get(req)?.granted;
      try {
        if (granted) gate.limit(granted.ref.project);
      } catch (err) {
        return done(err as Error);
      }
      done();
    });

    const handler = async (req: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
      const { op, query, who, granted } = parsed.get(req) as Parsed;
      if (op.kind === 'base') return reply.code(200).type('application/json').send('{}');
      if (op.kind === 'catalog') return catalog({ req, reply, op, query, who: who as Authenticated });
      return dispatch(families, { req, reply, op, query, who: granted as Granted });
    };
    const config = { auth: 'custom' as const };
    const methods = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];
    v2.route({ method: methods, url: '/v2/', config, schema: { hide: true }, exposeHeadRoute: false, handler });
    v2.route({ method: methods, url: '/v2/*', config, schema: { hide: true }, exposeHeadRoute: false, handler });
  });
}

/** Hands a request on a repository to its family (a switch, so that each family gets its own operation type). */
function dispatch(families: Families, call: Call<RepoOp, Granted>): Promise<unknown> {
  const { op } = call;
  switch (op.kind) {
    case 'uploads': return families.uploads.handle({ ...call, op });
    case 'blob': return families.blob.handle({ ...call, op });
    case 'manifest': return families.manifest.handle({ ...call, op });
    case 'tags': return families.tags.handle({ ...call, op });
    case 'referrers': return families.referrers.handle({ ...call, op });
  }
}

/**
 * The plugin's one mapping from errors to answers: a registry domain error as its OCI error, and
 * an OciError as its OCI body, status and headers (a 403 audited); a client gone mid-request as
 * nothing; Fastify's own client errors as UNSUPPORTED; anything else as a 500 that shows nothing
 * of the cause.
 */
function answerError(deps: V2Deps): (err: FastifyError, req: FastifyRequest, reply: FastifyReply) => Promise<unknown> {
  return async (thrown, req, reply) => {
    const err = thrown instanceof RegistryError ? ociErrorOf(thrown) : thrown;
    if (!req.raw.complete && !req.raw.destroyed && !(await drainRefusedBody(req.raw)) && !req.raw.destroyed) lingerThenClose(req.raw);
    if (err instanceof OciError) {
      for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
      if (err.status === 403) {
        await deps.auth.auditDenied(req.ctx, err.message, req.method, req.url).catch((e: unknown) => req.log.warn({ err: e }, 'could not audit a refusal'));
      }
      return reply.code(err.status).type('application/json').send(ociErrorBody(err.code, err.message, err.detail));
    }
    if (req.raw.destroyed || reply.raw.destroyed) {
      // The client went away mid-request (an upload cut short): nothing to answer, nothing broken.
      req.log.info({ err: { message: (err as Error).message } }, 'registry client disconnected');
      return reply.code(400).send();
    }
    const fe = err as { statusCode?: number; message?: string };
    if (typeof fe.statusCode === 'number' && fe.statusCode < 500) {
      return reply.code(fe.statusCode).type('application/json').send(ociErrorBody('UNSUPPORTED', fe.message ?? 'bad request'));
    }
    req.log.error({ err }, 'registry request failed');
    return reply.code(500).type('application/json').send({ errors: [{ code: 'UNKNOWN', message: 'an internal error occurred; the server log has the details' }] });
  };
}
