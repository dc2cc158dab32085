// The OCI Distribution API under /v2/ as one encapsulated Fastify plugin: its own routing of
// multi-segment repository names, raw streaming bodies, authentication (bearer tokens from
// /auth/token, basic credentials, anonymous pulls of public projects) and OCI error bodies.
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RequestContext } from '../platform/context.ts';
import { actionsOn, allows, callerName, type Access, type RegistryCaller } from './access.ts';
import { BadCredentialsError, tokenService, type RegistryAuth } from './auth-service.ts';
import { OciError, ociErrorBody } from './errors.ts';
import { accepts, maxManifestBytes } from './manifest.ts';
import { isRepositoryName, projectOf } from './names.ts';
import type { Member, Project, RepositoryAction } from './model.ts';
import type { PullLog } from './pull-service.ts';
import { rangeHeader, type Actor, type Registry, type RepoRef } from './registry-service.ts';
import type { RateLimiter } from './rate-limit.ts';

/** What the /v2 plugin needs. */
export interface V2Deps {
  readonly registry: Registry;
  readonly auth: RegistryAuth;
  readonly pulls: PullLog;
  readonly limiter: RateLimiter;
  readonly publicUrl?: string;
}

type Op =
  | { readonly kind: 'base' }
  | { readonly kind: 'catalog' }
  | { readonly kind: 'uploads'; readonly name: string; readonly id: string }
  | { readonly kind: 'blob'; readonly name: string; readonly digest: string }
  | { readonly kind: 'manifest'; readonly name: string; readonly reference: string }
  | { readonly kind: 'tags'; readonly name: string }
  | { readonly kind: 'referrers'; readonly name: string; readonly digest: string };

const patterns: readonly [RegExp, (m: RegExpExecArray) => Op][] = [
  [/^\/v2\/(.+)\/blobs\/uploads\/([^/]*)$/, (m) => ({ kind: 'uploads', name: m[1], id: m[2] })],
  [/^\/v2\/(.+)\/blobs\/([^/]+)$/, (m) => ({ kind: 'blob', name: m[1], digest: m[2] })],
  [/^\/v2\/(.+)\/manifests\/([^/]+)$/, (m) => ({ kind: 'manifest', name: m[1], reference: m[2] })],
  [/^\/v2\/(.+)\/tags\/list$/, (m) => ({ kind: 'tags', name: m[1] })],
  [/^\/v2\/(.+)\/referrers\/([^/]+)$/, (m) => ({ kind: 'referrers', name: m[1], digest: m[2] })],
];

/** Splits a raw request path into the operation it names. Throws NAME_INVALID or 404. */
export function routeOf(rawPath: string): Op {
  if (rawPath === '/v2/' || rawPath === '/v2') return { kind: 'base' };
  if (rawPath === '/v2/_catalog') return { kind: 'catalog' };
  for (const [re, make] of patterns) {
    const m = re.exec(rawPath);
    if (!m) continue;
    const op = make(m);
    if ('name' in op && !isRepositoryName(op.name)) {
      throw new OciError('NAME_INVALID', `invalid repository name "${decodeSafe(op.name)}": names are lower-case path components separated by "/", with a project first`, { detail: { name: decodeSafe(op.name) } });
    }
    return op;
  }
  if (/%2f|%2e|\/\.\.?\//i.test(rawPath)) throw new OciError('NAME_INVALID', 'the repository name must not contain encoded characters or dot segments');
  throw new OciError('NAME_UNKNOWN', `no registry endpoint at ${rawPath}`, { status: 404 });
}

/**
 * The base URL of the address a connection reached (IPv4-mapped addresses as IPv4): where
 * clients are sent for tokens when no public URL is configured. Never the Host header, which
 * the client writes, so that nobody can point clients at another host for their credentials.
 */
export function ownBaseUrl(socket: { readonly localAddress?: string; readonly localPort?: number; readonly encrypted?: boolean }): string {
  const address = (socket.localAddress ?? '127.0.0.1').replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
  const host = address.includes(':') ? `[${address}]` : address;
  return `${socket.encrypted ? 'https' : 'http'}://${host}:${socket.localPort ?? 80}`;
}

function decodeSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function scopeOf(name: string, action: RepositoryAction): string {
  return `repository:${name}:${action === 'push' ? 'pull,push' : action}`;
}

/** Parses a `Range: bytes=…` header against a blob of `size`; undefined = whole, null = unsatisfiable. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | undefined | null {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null;
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0 || size === 0) return null;
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || start > end) return null;
  return { start, end };
}

interface Authorized {
  readonly caller: RegistryCaller;
  readonly access?: readonly Access[];
}

/** Registers /v2/ on `app` (encapsulated: its own parsers and error handler). */
export async function v2Routes(app: FastifyInstance, deps: V2Deps): Promise<void> {
  await app.register(async (v2) => {
    v2.removeAllContentTypeParsers();
    // Bodies reach the handlers as the raw request stream: blobs are streamed to disk, never buffered.
    v2.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));

    v2.setErrorHandler(async (err, req, reply) => {
      if (!req.raw.complete && !req.raw.destroyed) lingerThenClose(req.raw);
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
    });

    const challenge = (req: FastifyRequest, scope?: string, error?: string): OciError => {
      const base = deps.publicUrl ?? ownBaseUrl(req.socket);
      const header = `Bearer realm="${base.replace(/\/+$/, '')}/auth/token",service="${tokenService}"${scope ? `,scope="${scope}"` : ''}${error ? `,error="${error}"` : ''}`;
      return new OciError('UNAUTHORIZED', 'authentication required', { headers: { 'www-authenticate': header }, detail: scope ? [{ Type: 'repository', Action: scope }] : undefined });
    };

    const authenticate = async (req: FastifyRequest, scope?: string): Promise<Authorized | undefined> => {
      const h = req.headers.authorization;
      if (!h) return undefined;
      const bearer = /^Bearer\s+(\S+)$/i.exec(h);
      if (bearer) {
        const v = await deps.auth.verifyToken(bearer[1]);
        if (!v) throw challenge(req, scope, 'invalid_token');
        return { caller: v.caller, access: v.access };
      }
      const basic = /^Basic\s+(\S+)$/i.exec(h);
      if (!basic) throw challenge(req, scope);
      const text = Buffer.from(basic[1], 'base64').toString('utf8');
      const i = text.indexOf(':');
      if (i < 0) throw challenge(req, scope);
      try {
        return { caller: (await deps.auth.authenticateBasic(text.slice(0, i), text.slice(i + 1), req.ctx)).caller };
      } catch (err) {
        if (err instanceof BadCredentialsError) throw challenge(req, scope);
        throw err;
      }
    };

    /** Checks `action` on `name`; answers 401 (with the scope to ask for) or 403 as Distribution does. */
    const authorize = async (req: FastifyRequest, name: string, action: RepositoryAction): Promise<{ ref: RepoRef; caller: RegistryCaller; may: (a: RepositoryAction, other?: string) => Promise<boolean>; asked: (other: string) => boolean; scope: string }> => {
      const scope = scopeOf(name, action);
      const who = (await authenticate(req, scope)) ?? { caller: { kind: 'anonymous' } as RegistryCaller };
      // Refusals are audited under the caller's name.
      if (who.caller.kind === 'user') req.ctx = { ...req.ctx, principal: { type: 'user', ...who.caller.principal } };
      if (who.caller.kind === 'robot') req.ctx = { ...req.ctx, principal: { type: 'robot', name: who.caller.name, platformRoles: [], tenantRoles: [] } };
      // A token's grants are the most it allows: what the caller may do now (its membership and
      // roles as they stand, cached briefly) narrows them, so a removed member loses them at once.
      const held = await deps.auth.repositoryActions(who.caller, name);
      const may = async (a: RepositoryAction, other = name): Promise<boolean> => {
        if (who.access && !allows(who.access, 'repository', other, a)) return false;
        return (other === name ? held : await deps.auth.repositoryActions(who.caller, other)).has(a);
      };
      if (!(await may(action))) {
        // A bearer token may simply have been issued for another request's scope: ask for the
        // right one. Credentials checked here and now are final: refuse outright.
        if (!who.access && action !== 'pull' && (await may('pull'))) throw new OciError('DENIED', `${callerName(who.caller)} may not ${action} repository "${name}"`);
        throw challenge(req, scope, who.access ? 'insufficient_scope' : undefined);
      }
      const project = await deps.auth.project(projectOf(name));
      if (!project) throw new OciError('NAME_UNKNOWN', `repository "${name}" not found`);
      limit(project);
      const asked = (other: string): boolean => who.access === undefined || who.access.some((g) => g.type === 'repository' && g.name === other);
      return { ref: { repository: name, project }, caller: who.caller, may, asked, scope };
    };

    const limit = (project: Project): void => {
      if (project.rateLimit < 0) return;
      const wait = deps.limiter.take(project.name, project.rateLimit);
      if (wait > 0) throw new OciError('TOOMANYREQUESTS', `request rate quota of project "${project.name}" exceeded: ${project.rateLimit} requests per second`, { headers: { 'retry-after': String(Math.ceil(wait)) } });
    };

    const actorOf = (ctx: RequestContext, caller: RegistryCaller): Actor => ({ name: callerName(caller), sourceIp: ctx.sourceIp, requestId: ctx.requestId });

    const handle = async (req: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
      const [rawPath, rawQuery = ''] = req.url.split('?', 2);
      const query = new URLSearchParams(rawQuery);
      const op = routeOf(rawPath);
      reply.header('docker-distribution-api-version', 'registry/2.0');
      switch (op.kind) {
        case 'base': {
          const who = await authenticate(req);
          if (!who) throw challenge(req);
          return reply.code(200).type('application/json').send('{}');
        }
        case 'catalog':
          return catalog(req, reply, query);
        case 'uploads':
          return uploads(req, reply, op, query);
        case 'blob':
          return blob(req, reply, op);
        case 'manifest':
          return manifest(req, reply, op, query);
        case 'tags': {
          if (req.method !== 'GET' && req.method !== 'HEAD') throw new OciError('UNSUPPORTED', `${req.method} is not supported on tags`);
          const { ref } = await authorize(req, op.name, 'pull');
          const n = pageSize(query.get('n'));
          const last = query.get('last') ?? undefined;
          const page = await deps.registry.listTags(ref, n, last);
          if (page.more && n !== undefined) {
            reply.header('link', `</v2/${op.name}/tags/list?n=${n}&last=${encodeURIComponent(page.tags[page.tags.length - 1])}>; rel="next"`);
          }
          return reply.type('application/json').send({ name: op.name, tags: page.tags });
        }
        case 'referrers': {
          if (req.method !== 'GET') throw new OciError('UNSUPPORTED', `${req.method} is not supported on referrers`);
          const { ref } = await authorize(req, op.name, 'pull');
          const artifactType = query.get('artifactType') ?? undefined;
          const manifests = await deps.registry.referrers(ref, op.digest, artifactType);
          if (artifactType !== undefined) reply.header('oci-filters-applied', 'artifactType');
          // A Buffer, so that Fastify adds no charset to the media type.
          return reply.type('application/vnd.oci.image.index.v1+json')
            .send(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests })));
        }
      }
    };

    const pageSize = (raw: string | null): number | undefined => {
      if (raw === null || raw === '') return undefined;
      const n = Number(raw);
      if (!Number.isInteger(n) || n < 0) throw new OciError('UNSUPPORTED', `n must be a non-negative integer, got "${raw}"`, { status: 400 });
      return Math.min(n, 10_000);
    };

    const catalog = async (req: FastifyRequest, reply: FastifyReply, query: URLSearchParams): Promise<unknown> => {
      const scope = 'registry:catalog:*';
      const who = await authenticate(req, scope);
      if (!who || (who.access && !allows(who.access, 'registry', 'catalog', '*'))) throw challenge(req, scope);
      const n = pageSize(query.get('n')) ?? 1000;
      let last = query.get('last') ?? undefined;
      const facts = new Map<string, { project: Project; members: readonly Member[] } | undefined>();
      const out: string[] = [];
      let more = false;
      while (out.length < n) {
        const batch = await deps.registry.repositoryNames(last, 500);
        if (batch.length === 0) break;
        for (const r of batch) {
          last = r.name;
          if (!facts.has(r.project)) facts.set(r.project, await deps.auth.projectFacts(r.project));
          const f = facts.get(r.project);
          // Listed only when pullable: a member's or robot's repository pattern narrows the catalog as it narrows pulls.
          if (!f || !actionsOn(who.caller, f.project, f.members, r.name.slice(r.project.length + 1)).has('pull')) continue;
          if (out.length === n) {
            more = true;
            break;
          }
          out.push(r.name);
        }
        if (more) break;
      }
      if (more) reply.header('link', `</v2/_catalog?n=${n}&last=${encodeURIComponent(out[out.length - 1])}>; rel="next"`);
      return reply.type('application/json').send({ repositories: out });
    };

    const uploads = async (req: FastifyRequest, reply: FastifyReply, op: Extract<Op, { kind: 'uploads' }>, query: URLSearchParams): Promise<unknown> => {
      const { ref, caller, may, asked, scope } = await authorize(req, op.name, 'push');
      const actor = actorOf(req.ctx, caller);
      const location = (id: string) => `/v2/${op.name}/blobs/uploads/${id}`;
      const length = contentLength(req);
      if (req.method === 'POST' && op.id === '') {
        const mount = query.get('mount');
        const from = query.get('from');
        if (mount && from && isRepositoryName(from) && !asked(from)) {
          // The token predates the mount: ask for one that covers the source repository too
          // (it may come back without it, and then the blob is uploaded instead).
          throw challenge(req, `${scope} ${scopeOf(from, 'pull')}`);
        }
        if (mount && from && isRepositoryName(from) && (await may('pull', from))) {
          const mounted = await deps.registry.mountBlob(ref, mount, from);
          if (mounted) {
            return reply.code(201).header('location', `/v2/${op.name}/blobs/${mounted.digest}`).header('docker-content-digest', mounted.digest).header('content-length', '0').send();
          }
        }
        const digest = query.get('digest');
        if (digest) {
          const done = await deps.registry.pushBlob(ref, actor, digest, bodyOf(req.raw), length);
          return reply.code(201).header('location', `/v2/${op.name}/blobs/${done.digest}`).header('docker-content-digest', done.digest).header('content-length', '0').send();
        }
        const up = await deps.registry.startUpload(ref, actor);
        return reply.code(202).header('location', location(up.id)).header('range', rangeHeader(0)).header('docker-upload-uuid', up.id)
          .header('oci-chunk-min-length', '0').header('content-length', '0').send();
      }
      if (op.id === '') throw new OciError('UNSUPPORTED', `${req.method} needs an upload id`);
      switch (req.method) {
        case 'GET': {
          const up = await deps.registry.uploadStatus(ref, op.id);
          return reply.code(204).header('location', location(op.id)).header('range', rangeHeader(up.size)).header('docker-upload-uuid', op.id).send();
        }
        case 'PATCH': {
          const up = await deps.registry.appendChunk(ref, op.id, req.headers['content-range'], bodyOf(req.raw), length);
          return reply.code(202).header('location', location(op.id)).header('range', rangeHeader(up.size)).header('docker-upload-uuid', op.id).header('content-length', '0').send();
        }
        case 'PUT': {
          const hasBody = (length ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
          const done = await deps.registry.finishUpload(ref, op.id, query.get('digest') ?? undefined, req.headers['content-range'], hasBody ? bodyOf(req.raw) : undefined, hasBody ? length : undefined);
          return reply.code(201).header('location', `/v2/${op.name}/blobs/${done.digest}`).header('docker-content-digest', done.digest).header('content-length', '0').send();
        }
        case 'DELETE':
          await deps.registry.cancelUpload(ref, op.id);
          return reply.code(204).send();
      }
      throw new OciError('UNSUPPORTED', `${req.method} is not supported on uploads`);
    };

    const blob = async (req: FastifyRequest, reply: FastifyReply, op: Extract<Op, { kind: 'blob' }>): Promise<unknown> => {
      if (req.method === 'DELETE') {
        const { ref, caller } = await authorize(req, op.name, 'delete');
        await deps.registry.deleteBlob(ref, op.digest, actorOf(req.ctx, caller));
        return reply.code(202).header('content-length', '0').send();
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new OciError('UNSUPPORTED', `${req.method} is not supported on blobs`);
      const { ref } = await authorize(req, op.name, 'pull');
      const info = await deps.registry.statBlob(ref, op.digest);
      reply.header('docker-content-digest', info.digest).header('accept-ranges', 'bytes').header('etag', `"${info.digest}"`)
        .header('cache-control', 'max-age=31536000');
      const range = parseRange(req.headers.range, info.size);
      if (range === null) {
        throw new OciError('BLOB_UNKNOWN', `range "${req.headers.range}" is not satisfiable for a blob of ${info.size} bytes`, { status: 416, headers: { 'content-range': `bytes */${info.size}` } });
      }
      reply.type('application/octet-stream');
      if (range) reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${info.size}`);
      const length = range ? range.end - range.start + 1 : info.size;
      reply.header('content-length', String(length));
      if (req.method === 'HEAD' || length === 0) return reply.send();
      const body = await deps.registry.openBlob(ref, info.digest, range);
      // The bytes go straight to the response, not through a stream Fastify pipes: the blob
      // store then reuses its buffers (see OpenedBlob). onResponse hooks still run on finish.
      reply.hijack();
      const res = reply.raw;
      try {
        for (const [k, v] of Object.entries(reply.getHeaders())) if (v !== undefined) res.setHeader(k, v);
        res.writeHead(reply.statusCode);
        await body.writeTo(res);
        res.end();
      } catch (err) {
        body.close();
        req.log.info({ err: { message: (err as Error).message } }, 'blob download cut short');
        res.destroy();
      }
      return reply;
    };

    const manifest = async (req: FastifyRequest, reply: FastifyReply, op: Extract<Op, { kind: 'manifest' }>, query: URLSearchParams): Promise<unknown> => {
      if (req.method === 'PUT') {
        const { ref, caller } = await authorize(req, op.name, 'push');
        const body = await readBounded(req);
        const tags = query.getAll('tag');
        const done = await deps.registry.putManifest(ref, op.reference, body, String(req.headers['content-type'] ?? ''), actorOf(req.ctx, caller), tags);
        reply.code(201).header('location', `/v2/${op.name}/manifests/${done.digest}`).header('docker-content-digest', done.digest).header('content-length', '0');
        if (done.subject) reply.header('oci-subject', done.subject);
        if (tags.length) reply.header('oci-tag', tags.join(', '));
        return reply.send();
      }
      if (req.method === 'DELETE') {
        const { ref, caller } = await authorize(req, op.name, 'delete');
        await deps.registry.deleteManifest(ref, op.reference, actorOf(req.ctx, caller));
        return reply.code(202).header('content-length', '0').send();
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new OciError('UNSUPPORTED', `${req.method} is not supported on manifests`);
      const { ref, caller } = await authorize(req, op.name, 'pull');
      const m = await deps.registry.getManifest(ref, op.reference);
      const accept = Array.isArray(req.headers.accept) ? req.headers.accept.join(',') : req.headers.accept;
      if (!accepts(accept, m.mediaType)) {
        throw new OciError('MANIFEST_UNKNOWN', `manifest "${op.reference}" is a ${m.mediaType}, which the request's Accept header does not list`, { detail: { mediaType: m.mediaType } });
      }
      reply.code(200).type(m.mediaType).header('docker-content-digest', m.digest).header('etag', `"${m.digest}"`).header('content-length', String(m.content.length));
      if (req.method === 'HEAD') return reply.send();
      deps.pulls.record({
        actor: callerName(caller), sourceIp: req.ctx.sourceIp, requestId: req.ctx.requestId, repository: ref.repository, project: ref.project.name,
        tenant: ref.project.tenant, reference: op.reference, digest: m.digest, time: new Date().toISOString(),
      });
      return reply.send(m.content);
    };

    const config = { auth: 'custom' as const };
    const methods = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];
    v2.route({ method: methods, url: '/v2/', config, schema: { hide: true }, exposeHeadRoute: false, handler: handle });
    v2.route({ method: methods, url: '/v2/*', config, schema: { hide: true }, exposeHeadRoute: false, handler: handle });
  });
}

/**
 * The request's body as it arrives. Unlike the stream's own iterator, stopping early leaves the
 * request as it is, not destroyed: the rest of a refused body can then be drained
 * ({@link lingerThenClose}) rather than left in the socket. Rejects when the client goes away
 * before the body's end.
 */
async function* bodyOf(req: IncomingMessage): AsyncGenerator<Uint8Array> {
  for (;;) {
    const chunk = req.read() as Buffer | null;
    if (chunk !== null) {
      yield chunk;
      continue;
    }
    if (req.readableEnded) return;
    if (req.destroyed) throw new Error('the client went away before the end of the body');
    await new Promise<void>((resolve, reject) => {
      const settle = (err?: Error): void => {
        req.off('readable', onReady).off('end', onReady).off('close', onReady).off('error', settle);
        if (err) reject(err);
        else resolve();
      };
      const onReady = (): void => settle();
      req.once('readable', onReady).once('end', onReady).once('close', onReady).once('error', settle);
    });
  }
}

// How long the rest of a refused body is read and dropped before its connection is cut.
const lingerMs = 2000;

/**
 * Reads and drops the rest of a body refused before its end (a quota, a size), for at most
 * `lingerMs`, then cuts the connection. Closing a socket with unread bytes in it resets the
 * connection, and a reset can make the client's system drop the answer before the client read
 * it (skopeo then reports a broken pipe instead of the refusal); reading on without end would
 * let a refused client send for as long as it likes. A body that ends in time keeps its
 * connection alive.
 */
function lingerThenClose(req: IncomingMessage): void {
  const timer = setTimeout(() => req.socket.destroy(), lingerMs).unref();
  // Not on 'close': a request emits it once its answer is sent, with the body still coming.
  req.once('end', () => clearTimeout(timer));
  req.resume();
}

function contentLength(req: FastifyRequest): number | undefined {
  const h = req.headers['content-length'];
  if (h === undefined) return undefined;
  const n = Number(h);
  if (!Number.isSafeInteger(n) || n < 0) throw new OciError('SIZE_INVALID', `Content-Length "${h}" is not a byte count`);
  return n;
}

async function readBounded(req: FastifyRequest): Promise<Buffer> {
  const limit = maxManifestBytes;
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) throw new OciError('SIZE_INVALID', `the manifest is ${declared} bytes; the limit is ${limit}`, { status: 413 });
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const c of req.raw) {
    total += (c as Buffer).length;
    if (total > limit) throw new OciError('SIZE_INVALID', `the manifest is larger than the limit of ${limit} bytes`, { status: 413 });
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}
