// The filesystem blob store: blobs at <root>/blobs/<algorithm>/<2 hex>/<encoded>, uploads at
// <root>/uploads/<id>. An upload is the temporary file; commit hashes (or reuses the hash taken
// while appending), fsyncs, and renames it into place, so a blob path only ever names whole,
// verified content. rename(2) replaces atomically, so racing commits of one digest both succeed.
import { close as closeFd, createReadStream, createWriteStream, fdatasync, fstat, open as openFd, read as readFd } from 'node:fs';
import { mkdir, open, opendir, rename, rm, stat, truncate, utimes } from 'node:fs/promises';
import { once } from 'node:events';
import { join } from 'node:path';
import type { Hash } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import { newHasher, parseDigest, type Digest } from '../../digest.ts';
import { BlobStoreNotFoundError, DigestMismatchError, UploadOffsetError, type BlobInfo, type BlobStore, type ByteRange, type OpenedBlob, type UploadInfo } from '../types.ts';

const uploadIdPattern = /^[A-Za-z0-9-]{8,64}$/;
// Bytes written between background flushes of an upload.
const syncEvery = 64 * 1024 * 1024;
// Sending a blob reads into a few buffers that are reused once the socket has taken them:
// a fresh buffer per read (as a file ReadStream makes) costs page faults and garbage
// collection that halved pull throughput. Half a MiB per read kept the copies in the CPU's
// cache better than 1-8 MiB did (bench/registry.ts); three let two writes queue behind a read.
const sendChunk = 512 * 1024;
const sendBuffers = 3;

function missing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === 'ENOENT';
}

/** A blob store on a local filesystem. One instance per root; uploads are per-process hash state plus files. */
export class FilesystemBlobStore implements BlobStore {
  readonly #root: string;
  // The sha256 state of uploads appended by this process: commit then need not re-read the file.
  // Lost on restart; commit re-hashes the file then.
  readonly #hashes = new Map<string, { hash: Hash; size: number }>();
  // One append at a time per upload, so offsets cannot interleave.
  readonly #busy = new Set<string>();

  constructor(root: string) {
    this.#root = root;
  }

  #blobPath(d: Digest): string {
    return join(this.#root, 'blobs', d.algorithm, d.encoded.slice(0, 2), d.encoded);
  }

  #uploadPath(id: string): string {
    if (!uploadIdPattern.test(id)) throw new BlobStoreNotFoundError(`upload "${id}"`);
    return join(this.#root, 'uploads', id);
  }

  #parse(digest: string): Digest | undefined {
    return parseDigest(digest);
  }

  async stat(digest: string): Promise<BlobInfo | undefined> {
    const d = this.#parse(digest);
    if (!d) return undefined;
    try {
      const s = await stat(this.#blobPath(d));
      return { digest, size: s.size, modifiedAt: s.mtime };
    } catch (err) {
      if (missing(err)) return undefined;
      throw err;
    }
  }

  async read(digest: string, range?: ByteRange): Promise<Readable> {
    const d = this.#parse(digest);
    if (!d) throw new BlobStoreNotFoundError(`blob ${digest}`);
    // A numeric descriptor, not a FileHandle: the stream then reads with plain fs.read calls,
    // which moves big blobs about twice as fast as FileHandle's promise-based reads.
    const fd = await new Promise<number>((resolve, reject) => openFd(this.#blobPath(d), 'r', (err, n) => {
      if (err) reject(missing(err) ? new BlobStoreNotFoundError(`blob ${digest}`) : err);
      else resolve(n);
    }));
    return createReadStream('', { fd, ...(range ? { start: range.start, end: range.end } : {}), highWaterMark: 1024 * 1024 });
  }

  async open(digest: string, range?: ByteRange): Promise<OpenedBlob> {
    const d = this.#parse(digest);
    if (!d) throw new BlobStoreNotFoundError(`blob ${digest}`);
    const fd = await new Promise<number>((resolve, reject) => openFd(this.#blobPath(d), 'r', (err, n) => {
      if (err) reject(missing(err) ? new BlobStoreNotFoundError(`blob ${digest}`) : err);
      else resolve(n);
    }));
    if (range) return new FileBlob(fd, range.start, range.end - range.start + 1);
    try {
      const size = await new Promise<number>((resolve, reject) => fstat(fd, (err, s) => (err ? reject(err) : resolve(s.size))));
      return new FileBlob(fd, 0, size);
    } catch (err) {
      closeFd(fd, () => undefined);
      throw err;
    }
  }

  async delete(digest: string): Promise<boolean> {
    const d = this.#parse(digest);
    if (!d) return false;
    try {
      await rm(this.#blobPath(d));
      return true;
    } catch (err) {
      if (missing(err)) return false;
      throw err;
    }
  }

  async *list(): AsyncIterable<BlobInfo> {
    for (const algorithm of ['sha256', 'sha512']) {
      const base = join(this.#root, 'blobs', algorithm);
      for (const prefix of await listDir(base)) {
        for (const encoded of await listDir(join(base, prefix))) {
          try {
            const s = await stat(join(base, prefix, encoded));
            yield { digest: `${algorithm}:${encoded}`, size: s.size, modifiedAt: s.mtime };
          } catch (err) {
            if (!missing(err)) throw err;
          }
        }
      }
    }
  }

  async startUpload(id: string): Promise<void> {
    const path = this.#uploadPath(id);
    await mkdir(join(this.#root, 'uploads'), { recursive: true });
    const fh = await open(path, 'wx');
    await fh.close();
    this.#hashes.set(id, { hash: newHasher('sha256'), size: 0 });
  }

  async uploadSize(id: string): Promise<number | undefined> {
    try {
      return (await stat(this.#uploadPath(id))).size;
    } catch (err) {
      if (missing(err) || err instanceof BlobStoreNotFoundError) return undefined;
      throw err;
    }
  }

  async append(id: string, offset: number, body: AsyncIterable<Uint8Array>, limit = Number.MAX_SAFE_INTEGER): Promise<number> {
    const path = this.#uploadPath(id);
    if (this.#busy.has(id)) throw new UploadOffsetError(await this.uploadSize(id) ?? 0, offset);
    this.#busy.add(id);
    try {
      const size = await this.uploadSize(id);
      if (size === undefined) throw new BlobStoreNotFoundError(`upload "${id}"`);
      if (size !== offset) throw new UploadOffsetError(size, offset);
      const state = this.#hashes.get(id);
      const hash = state && state.size === size ? state.hash : undefined;
      this.#hashes.delete(id);
      // Numeric descriptors (not FileHandles) keep writes on the fast callback path.
      const fd = await new Promise<number>((resolve, reject) => openFd(path, 'r+', (err, n) => (err ? reject(err) : resolve(n))));
      const out = createWriteStream('', { fd, start: offset, highWaterMark: 1024 * 1024 });
      let written = 0;
      let unsynced = 0;
      let syncing: Promise<void> = Promise.resolve();
      try {
        for await (const chunk of body) {
          written += chunk.length;
          if (written > limit) throw new RangeError(`the upload exceeds ${limit} bytes`);
          hash?.update(chunk);
          // once() rejects on 'error' and removes both its listeners when it settles: a
          // separate wait for 'error' per drain would leave one listener behind per wait.
          if (!out.write(chunk)) await once(out, 'drain');
          unsynced += chunk.length;
          // Flushing as the bytes arrive overlaps the disk with the network, so the fsync
          // at commit has little left to do. One flush at a time.
          if (unsynced >= syncEvery) {
            unsynced = 0;
            syncing = syncing.then(() => new Promise<void>((resolve) => fdatasync(fd, () => resolve())));
          }
        }
        await syncing;
        out.end();
        await once(out, 'finish');
      } catch (err) {
        await syncing;
        out.destroy();
        await once(out, 'close').catch(() => undefined);
        await truncate(path, offset).catch(() => undefined);
        throw err;
      }
      if (hash) this.#hashes.set(id, { hash, size: offset + written });
      return offset + written;
    } finally {
      this.#busy.delete(id);
    }
  }

  async commit(id: string, digest: Digest): Promise<BlobInfo> {
    const path = this.#uploadPath(id);
    const state = this.#hashes.get(id);
    this.#hashes.delete(id);
    const fh = await open(path, 'r').catch((err: unknown) => {
      if (missing(err)) throw new BlobStoreNotFoundError(`upload "${id}"`);
      throw err;
    });
    let size: number;
    let actual: string;
    try {
      size = (await fh.stat()).size;
      if (digest.algorithm === 'sha256' && state && state.size === size) {
        actual = state.hash.digest('hex');
      } else {
        const h = newHasher(digest.algorithm);
        for await (const chunk of fh.createReadStream({ autoClose: false, highWaterMark: 1024 * 1024 })) h.update(chunk as Buffer);
        actual = h.digest('hex');
      }
      if (actual === digest.encoded) await fh.sync();
    } finally {
      await fh.close();
    }
    if (actual !== digest.encoded) {
      await rm(path, { force: true });
      throw new DigestMismatchError(digest.value, `${digest.algorithm}:${actual}`);
    }
    const target = this.#blobPath(digest);
    const dir = join(target, '..');
    await mkdir(dir, { recursive: true });
    // A blob's time is when it became visible: garbage collection keeps young blobs, and an
    // upload that sat idle for long must not arrive looking old.
    const now = new Date();
    await utimes(path, now, now);
    await rename(path, target);
    await syncDir(dir);
    const s = await stat(target);
    return { digest: digest.value, size, modifiedAt: s.mtime };
  }

  async cancel(id: string): Promise<void> {
    this.#hashes.delete(id);
    try {
      await rm(this.#uploadPath(id), { force: true });
    } catch (err) {
      if (!(err instanceof BlobStoreNotFoundError)) throw err;
    }
  }

  async *listUploads(): AsyncIterable<UploadInfo> {
    const base = join(this.#root, 'uploads');
    for (const id of await listDir(base)) {
      try {
        const s = await stat(join(base, id));
        yield { id, size: s.size, modifiedAt: s.mtime };
      } catch (err) {
        if (!missing(err)) throw err;
      }
    }
  }
}

/** An open blob file sent with reused buffers (see sendChunk). */
class FileBlob implements OpenedBlob {
  readonly length: number;
  readonly #start: number;
  #fd: number | undefined;

  constructor(fd: number, start: number, length: number) {
    this.#fd = fd;
    this.#start = start;
    this.length = length;
  }

  async writeTo(out: Writable): Promise<void> {
    const fd = this.#fd;
    if (fd === undefined) throw new Error('the blob was already sent or closed');
    try {
      await sendFile(fd, this.#start, this.length, out);
    } finally {
      this.close();
    }
  }

  close(): void {
    if (this.#fd === undefined) return;
    closeFd(this.#fd, () => undefined);
    this.#fd = undefined;
  }
}

function readAt(fd: number, buffer: Buffer, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => readFd(fd, buffer, 0, length, position, (err, n) => (err ? reject(err) : resolve(n))));
}

// A buffer is read into again only after `out` has flushed what was last written from it:
// until then the socket still holds it. Those write callbacks are also the backpressure.
async function sendFile(fd: number, start: number, length: number, out: Writable): Promise<void> {
  const size = Math.min(sendChunk, length);
  const buffers = Array.from({ length: length > size ? sendBuffers : 1 }, () => Buffer.allocUnsafe(size));
  const flushed: Promise<Error | null | undefined>[] = buffers.map(() => Promise.resolve(undefined));
  // A destroyed receiver may drop its pending write callbacks: its error or close ends the wait.
  let onEnd: (err?: Error) => void = () => undefined;
  const ended = new Promise<Error>((resolve) => {
    onEnd = (err) => resolve(err ?? new Error('the receiver closed before the blob was sent'));
    out.once('error', onEnd);
    out.once('close', onEnd);
  });
  try {
    let sent = 0;
    for (let k = 0; sent < length; k = (k + 1) % buffers.length) {
      const failed = await Promise.race([flushed[k], ended]);
      if (failed) throw failed;
      const want = Math.min(size, length - sent);
      const n = await readAt(fd, buffers[k], want, start + sent);
      if (n === 0) throw new Error(`the blob file ended after ${sent} of ${length} bytes`);
      sent += n;
      flushed[k] = new Promise((resolve) => out.write(n === size ? buffers[k] : buffers[k].subarray(0, n), resolve));
    }
    for (const f of flushed) {
      const failed = await Promise.race([f, ended]);
      if (failed) throw failed;
    }
  } finally {
    out.removeListener('error', onEnd);
    out.removeListener('close', onEnd);
  }
}

async function listDir(path: string): Promise<string[]> {
  try {
    const out: string[] = [];
    for await (const e of await opendir(path)) out.push(e.name);
    return out;
  } catch (err) {
    if (missing(err)) return [];
    throw err;
  }
}

// The rename is durable only once the directory entry is on disk.
async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
