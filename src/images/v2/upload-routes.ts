// Uploads: start (or mount, or push in one request), status, chunks, finish, cancel. Every
// method needs push; the upload offset and the limits are the service's to check.
import { OciError, rangeHeader } from './oci-errors.ts';
import { isRepositoryName } from '../names.ts';
import { bodyOf, contentLength } from './body-routes.ts';
import { actorOf, type Gate, type Granted, type V2Deps } from './gate-routes.ts';
import { scopeOf, type Op } from './paths.ts';
import type { Call, RepoFamily } from './family-routes.ts';

type UploadCall = Call<Extract<Op, { kind: 'uploads' }>, Granted>;

/** The upload endpoints `/v2/<name>/blobs/uploads/[<id>]`. */
export function uploadRoutes(deps: V2Deps, gate: Gate): RepoFamily<'uploads'> {
  return {
    action: () => 'push',
    async handle(call) {
      const length = contentLength(call.req);
      if (call.req.method === 'POST' && call.op.id === '') return start(deps, gate, call, length);
      if (call.op.id === '') throw new OciError('UNSUPPORTED', `${call.req.method} needs an upload id`);
      return resume(deps, call, length);
    },
  };
}

function created(call: UploadCall, digest: string): unknown {
  return call.reply.code(201).header('location', `/v2/${call.op.name}/blobs/${digest}`).header('docker-content-digest', digest).header('content-length', '0').send();
}

/** POST without an id: a cross-repository mount, a monolithic push (`?digest=`) or a new upload. */
async function start(deps: V2Deps, gate: Gate, call: UploadCall, length: number | undefined): Promise<unknown> {
  const { req, reply, op, query, who } = call;
  const mount = query.get('mount');
  const from = query.get('from');
  if (mount && from && isRepositoryName(from) && !who.asked(from)) {
    // The token predates the mount: ask for one that covers the source repository too
    // (it may come back without it, and then the blob is uploaded instead).
    throw gate.challenge(req, `${who.scope} ${scopeOf(from, 'pull')}`);
  }
  if (mount && from && isRepositoryName(from) && (await who.may('pull', from))) {
    const mounted = await deps.registry.mountBlob(who.ref, mount, from);
    if (mounted) return created(call, mounted.digest);
  }
  const actor = actorOf(req.ctx, who.caller);
  const digest = query.get('digest');
  if (digest) {
    const done = await deps.registry.pushBlob(who.ref, actor, digest, bodyOf(req.raw), length);
    return created(call, done.digest);
  }
  const up = await deps.registry.startUpload(who.ref, actor);
  return reply.code(202).header('location', `/v2/${op.name}/blobs/uploads/${up.id}`).header('range', rangeHeader(0)).header('docker-upload-uuid', up.id)
    .header('oci-chunk-min-length', '0').header('content-length', '0').send();
}

/** The methods on an upload id: GET status, PATCH a chunk, PUT to finish, DELETE to cancel. */
async function resume(deps: V2Deps, call: UploadCall, length: number | undefined): Promise<unknown> {
  const { req, reply, op, query, who } = call;
  const location = `/v2/${op.name}/blobs/uploads/${op.id}`;
  switch (req.method) {
    case 'GET': {
      const up = await deps.registry.uploadStatus(who.ref, op.id);
      return reply.code(204).header('location', location).header('range', rangeHeader(up.size)).header('docker-upload-uuid', op.id).send();
    }
    case 'PATCH': {
      const up = await deps.registry.appendChunk(who.ref, op.id, req.headers['content-range'], bodyOf(req.raw), length);
      return reply.code(202).header('location', location).header('range', rangeHeader(up.size)).header('docker-upload-uuid', op.id).header('content-length', '0').send();
    }
    case 'PUT': {
      const hasBody = (length ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
      const done = await deps.registry.finishUpload(who.ref, op.id, query.get('digest') ?? undefined, req.headers['content-range'], hasBody ? bodyOf(req.raw) : undefined, hasBody ? length : undefined);
      return created(call, done.digest);
    }
    case 'DELETE':
      await deps.registry.cancelUpload(who.ref, op.id);
      return reply.code(204).send();
  }
  throw new OciError('UNSUPPORTED', `${req.method} is not supported on uploads`);
}
