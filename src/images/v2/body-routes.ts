// Request bodies of the /v2 plugin: streamed as they arrive, bounded, and drained for a while
// when refused so that the client reads the refusal.
import type { IncomingMessage } from 'node:http';
import type { FastifyRequest } from 'fastify';
import { OciError } from './oci-errors.ts';
import { maxManifestBytes } from '../manifest.ts';

/**
 * The request's body as it arrives. Unlike the stream's own iterator, stopping early leaves the
 * request as it is, not destroyed: the rest of a refused body can then be drained
 * ({@link lingerThenClose}) rather than left in the socket. Rejects when the client goes away
 * before the body's end.
 */
export async function* bodyOf(req: IncomingMessage): AsyncGenerator<Uint8Array> {
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

// How long the rest of a refused body is read and dropped before the refusal is sent, and again
// after it before the connection is cut.
const lingerMs = 2000;

// How much of a refused body is read and dropped before the refusal is sent: a client's last
// chunk in flight, not a stream that goes on (that one is answered at once, then cut).
const drainBeforeAnswerBytes = 16 * 1024 * 1024;

/**
 * Reads and drops the rest of a body refused before its end, until it ends, `lingerMs` pass or
 * 16 MiB more arrive; true when the body ended. Answering first would race the client's last
 * writes: a client still writing when the answer comes may see its connection reset and report
 * a broken pipe, not the refusal.
 */
export function drainRefusedBody(req: IncomingMessage): Promise<boolean> {
  if (req.complete) return Promise.resolve(true);
  return new Promise((resolve) => {
    let dropped = 0;
    const count = (chunk: Buffer): void => {
      dropped += chunk.length;
      if (dropped > drainBeforeAnswerBytes) settle();
    };
    const settle = (): void => {
      clearTimeout(timer);
      req.off('data', count).off('end', settle).off('close', settle);
      resolve(req.complete);
    };
    const timer = setTimeout(settle, lingerMs);
    req.on('data', count).once('end', settle).once('close', settle);
  });
}

/**
 * For a body still coming after {@link drainRefusedBody}: reads and drops it for at most
 * `lingerMs` more while the refusal goes out, then cuts the connection. Closing a socket with unread bytes in it resets the
 * connection, and a reset can make the client's system drop the answer before the client read
 * it (skopeo then reports a broken pipe instead of the refusal); reading on without end would
 * let a refused client send for as long as it likes. A body that ends in time keeps its
 * connection alive.
 */
export function lingerThenClose(req: IncomingMessage): void {
  const timer = setTimeout(() => req.socket.destroy(), lingerMs).unref();
  // Not on 'close': a request emits it once its answer is sent, with the body still coming.
  req.once('end', () => clearTimeout(timer));
  req.resume();
}

/** The request's Content-Length; undefined without one. Throws SIZE_INVALID when it is not a byte count. */
export function contentLength(req: FastifyRequest): number | undefined {
  const h = req.headers['content-length'];
  if (h === undefined) return undefined;
  const n = Number(h);
  if (!Number.isSafeInteger(n) || n < 0) throw new OciError('SIZE_INVALID', `Content-Length "${h}" is not a byte count`);
  return n;
}

/** The whole body of a manifest, refused with 413 as soon as it passes the manifest size limit. */
export async function readBounded(req: FastifyRequest): Promise<Buffer> {
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
