// Manifests: PUT (with OCI tags and subjects), DELETE, GET and HEAD by tag or digest; a GET
// of a manifest is recorded in the pull log.
import { callerName } from '../access.ts';
import { OciError } from './oci-errors.ts';
import { accepts } from '../manifest.ts';
import { readBounded } from './body-routes.ts';
import { actorOf, type Granted, type V2Deps } from './gate-routes.ts';
import type { Op } from './paths.ts';
import type { Call, RepoFamily } from './family-routes.ts';

type ManifestCall = Call<Extract<Op, { kind: 'manifest' }>, Granted>;

/** The manifest endpoints `/v2/<name>/manifests/<reference>`. */
export function manifestRoutes(deps: V2Deps): RepoFamily<'manifest'> {
  return {
    action(method) {
      if (method === 'PUT') return 'push';
      if (method === 'DELETE') return 'delete';
      if (method !== 'GET' && method !== 'HEAD') throw new OciError('UNSUPPORTED', `${method} is not supported on manifests`);
      return 'pull';
    },
    async handle(call) {
      if (call.req.method === 'PUT') return put(deps, call);
      if (call.req.method === 'DELETE') {
        await deps.registry.deleteManifest(call.who.ref, call.op.reference, actorOf(call.req.ctx, call.who.caller));
        return call.reply.code(202).header('content-length', '0').send();
      }
      return get(deps, call);
    },
  };
}

async function put(deps: V2Deps, { req, reply, op, query, who }: ManifestCall): Promise<unknown> {
  const body = await readBounded(req);
  const tags = query.getAll('tag');
  const done = await deps.registry.putManifest(who.ref, op.reference, body, String(req.headers['content-type'] ?? ''), actorOf(req.ctx, who.caller), tags);
  reply.code(201).header('location', `/v2/${op.name}/manifests/${done.digest}`).header('docker-content-digest', done.digest).header('content-length', '0');
  if (done.subject) reply.header('oci-subject', done.subject);
  if (tags.length) reply.header('oci-tag', tags.join(', '));
  return reply.send();
}

async function get(deps: V2Deps, { req, reply, op, who }: ManifestCall): Promise<unknown> {
  const { ref } = who;
  const m = await deps.registry.getManifest(ref, op.reference);
  const accept = Array.isArray(req.headers.accept) ? req.headers.accept.join(',') : req.headers.accept;
  if (!accepts(accept, m.mediaType)) {
    throw new OciError('MANIFEST_UNKNOWN', `manifest "${op.reference}" is a ${m.mediaType}, which the request's Accept header does not list`, { detail: { mediaType: m.mediaType } });
  }
  reply.code(200).type(m.mediaType).header('docker-content-digest', m.digest).header('etag', `"${m.digest}"`).header('content-length', String(m.content.length));
  if (req.method === 'HEAD') return reply.send();
  deps.pulls.record({
    actor: callerName(who.caller), sourceIp: req.ctx.sourceIp, requestId: req.ctx.requestId, repository: ref.repository, project: ref.project.name,
    tenant: ref.project.tenant, reference: op.reference, digest: m.digest,
  });
  return reply.send(m.content);
}
