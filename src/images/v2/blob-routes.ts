// Blobs: GET and HEAD (whole or a byte range, written straight from the blob store), DELETE.
import { OciError } from './oci-errors.ts';
import { actorOf, type V2Deps } from './gate-routes.ts';
import { parseRange } from './paths.ts';
import type { Call, RepoFamily } from './family-routes.ts';
import type { Granted } from './gate-routes.ts';
import type { Op } from './paths.ts';

type BlobCall = Call<Extract<Op, { kind: 'blob' }>, Granted>;

/** The blob endpoints `/v2/<name>/blobs/<digest>`. */
export function blobRoutes(deps: V2Deps): RepoFamily<'blob'> {
  return {
    action(method) {
      if (method === 'DELETE') return 'delete';
      if (method !== 'GET' && method !== 'HEAD') throw new OciError('UNSUPPORTED', `${method} is not supported on blobs`);
      return 'pull';
    },
    async handle(call) {
      const { req, reply, op, who } = call;
      if (req.method === 'DELETE') {
        await deps.registry.deleteBlob(who.ref, op.digest, actorOf(req.ctx, who.caller));
        return reply.code(202).header('content-length', '0').send();
      }
      return download(deps, call);
    },
  };
}

async function download(deps: V2Deps, { req, reply, op, who }: BlobCall): Promise<unknown> {
  const info = await deps.registry.statBlob(who.ref, op.digest);
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
  const body = await deps.registry.openBlob(who.ref, info.digest, range);
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
}
