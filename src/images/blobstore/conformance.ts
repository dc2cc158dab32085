// The shared conformance suite every blob-store driver runs (as CNCF Distribution does for its
// storage drivers): call `blobStoreConformance(name, factory)` from the driver's test file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { Writable, type Readable } from 'node:stream';
import { digestOf, parseDigest, type Digest } from '../digest.ts';
import { BlobStoreNotFoundError, DigestMismatchError, UploadOffsetError, type BlobStore } from './types.ts';

/** A fresh, empty store and how to dispose of it. */
export interface StoreFixture {
  readonly store: BlobStore;
  /** A second handle on the same storage, as a restarted process would open it. */
  reopen(): BlobStore;
  dispose(): Promise<void>;
}

function d(bytes: Uint8Array, algorithm: 'sha256' | 'sha512' = 'sha256'): Digest {
  const parsed = parseDigest(digestOf(bytes, algorithm));
  assert.ok(parsed);
  return parsed;
}

async function readAll(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/**
 * A receiver that takes each chunk only a moment after it is written, copying it then: a driver
 * that reused a buffer before the write's callback would show up as corrupted bytes.
 */
class SlowReceiver extends Writable {
  readonly parts: Buffer[] = [];
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    setImmediate(() => {
      this.parts.push(Buffer.from(chunk));
      callback();
    });
  }
}

/** A receiver that fails on its `failAt`-th chunk. */
class FailingReceiver extends Writable {
  #left: number;
  constructor(failAt: number) {
    super();
    this.#left = failAt;
  }
  override _write(_chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    this.#left -= 1;
    callback(this.#left <= 0 ? new Error('receiver failed') : null);
  }
}

async function* chunks(...parts: Uint8Array[]): AsyncIterable<Uint8Array> {
  for (const p of parts) yield p;
}

async function* failingAfter(part: Uint8Array): AsyncIterable<Uint8Array> {
  yield part;
  throw new Error('client went away');
}

async function put(store: BlobStore, bytes: Uint8Array, algorithm: 'sha256' | 'sha512' = 'sha256'): Promise<string> {
  const id = randomUUID();
  await store.startUpload(id);
  await store.append(id, 0, chunks(bytes));
  return (await store.commit(id, d(bytes, algorithm))).digest;
}

/** Registers one test of the suite against a fresh store. */
type WithStore = (title: string, fn: (f: StoreFixture) => Promise<void>) => void;

/** Registers the suite for the driver `name`; `factory` makes an empty store per test. */
export function blobStoreConformance(name: string, factory: () => Promise<StoreFixture>): void {
  const withStore: WithStore = (title, fn) =>
    test(`${name} blob store: ${title}`, async () => {
      const f = await factory();
      try {
        await fn(f);
      } finally {
        await f.dispose();
      }
    });
  blobCases(withStore);
  uploadCases(withStore);
  listingCases(withStore);
  openedBlobCases(withStore);
}

/** Committed blobs read back whole and by range, whatever their digest algorithm or size. */
function blobCases(withStore: WithStore): void {
  withStore('a committed blob reads back whole and by range, and stat reports its size', async ({ store }) => {
    const bytes = randomBytes(300_000);
    const digest = await put(store, bytes);
    assert.equal(digest, digestOf(bytes));
    assert.equal((await store.stat(digest))?.size, bytes.length);
    assert.deepEqual(await readAll(await store.read(digest)), bytes);
    assert.deepEqual(await readAll(await store.read(digest, { start: 10, end: 19 })), bytes.subarray(10, 20));
  });

  withStore('sha512 and the empty blob are stored like any other', async ({ store }) => {
    const bytes = randomBytes(1000);
    const digest = await put(store, bytes, 'sha512');
    assert.match(digest, /^sha512:[a-f0-9]{128}$/);
    assert.deepEqual(await readAll(await store.read(digest)), bytes);
    const empty = await put(store, new Uint8Array(0));
    assert.equal((await store.stat(empty))?.size, 0);
  });
}

/** Uploads: chunk offsets, digest mismatches, failing bodies, restarts, concurrent commits, the size limit. */
function uploadCases(withStore: WithStore): void {
  withStore('chunks append in order; a chunk at the wrong offset is refused and writes nothing', async ({ store }) => {
    const a = randomBytes(5000);
    const b = randomBytes(7000);
    const id = randomUUID();
    await store.startUpload(id);
    assert.equal(await store.append(id, 0, chunks(a)), a.length);
    await assert.rejects(store.append(id, 1, chunks(b)), UploadOffsetError);
    assert.equal(await store.uploadSize(id), a.length);
    assert.equal(await store.append(id, a.length, chunks(b)), a.length + b.length);
    const all = Buffer.concat([a, b]);
    assert.equal((await store.commit(id, d(all))).size, all.length);
    assert.deepEqual(await readAll(await store.read(digestOf(all))), all);
    assert.equal(await store.uploadSize(id), undefined);
  });

  withStore('a digest mismatch stores nothing and removes the upload', async ({ store }) => {
    const bytes = randomBytes(2000);
    const other = randomBytes(2000);
    const id = randomUUID();
    await store.startUpload(id);
    await store.append(id, 0, chunks(bytes));
    await assert.rejects(store.commit(id, d(other)), DigestMismatchError);
    assert.equal(await store.stat(digestOf(other)), undefined);
    assert.equal(await store.stat(digestOf(bytes)), undefined);
    assert.equal(await store.uploadSize(id), undefined);
  });

  withStore('a body that fails midway leaves the upload as it was and no blob', async ({ store }) => {
    const a = randomBytes(4000);
    const id = randomUUID();
    await store.startUpload(id);
    await store.append(id, 0, chunks(a));
    await assert.rejects(store.append(id, a.length, failingAfter(randomBytes(9000))), /client went away/);
    assert.equal(await store.uploadSize(id), a.length);
    const b = randomBytes(100);
    await store.append(id, a.length, chunks(b));
    const all = Buffer.concat([a, b]);
    assert.equal((await store.commit(id, d(all))).digest, digestOf(all));
  });

  withStore('an upload survives a restart and commits from the reopened store', async (f) => {
    const a = randomBytes(3000);
    const b = randomBytes(3000);
    const id = randomUUID();
    await f.store.startUpload(id);
    await f.store.append(id, 0, chunks(a));
    const again = f.reopen();
    assert.equal(await again.uploadSize(id), a.length);
    await again.append(id, a.length, chunks(b));
    const all = Buffer.concat([a, b]);
    assert.equal((await again.commit(id, d(all))).digest, digestOf(all));
    assert.deepEqual(await readAll(await f.store.read(digestOf(all))), all);
  });

  withStore('two uploads of the same content commit concurrently and both succeed', async ({ store }) => {
    const bytes = randomBytes(200_000);
    const results = await Promise.all([put(store, bytes), put(store, bytes), put(store, bytes)]);
    assert.deepEqual(results, [digestOf(bytes), digestOf(bytes), digestOf(bytes)]);
    assert.deepEqual(await readAll(await store.read(digestOf(bytes))), bytes);
  });

  withStore('append past the limit is refused and leaves the upload unchanged', async ({ store }) => {
    const id = randomUUID();
    await store.startUpload(id);
    await assert.rejects(store.append(id, 0, chunks(randomBytes(600), randomBytes(600)), 1000), RangeError);
    assert.equal(await store.uploadSize(id), 0);
  });
}

/** Listing and deleting blobs and uploads. */
function listingCases(withStore: WithStore): void {
  withStore('delete is idempotent; list shows blobs and listUploads shows uploads', async ({ store }) => {
    const x = await put(store, randomBytes(10));
    const y = await put(store, randomBytes(20));
    const id = randomUUID();
    await store.startUpload(id);
    const listed: string[] = [];
    for await (const b of store.list()) listed.push(b.digest);
    assert.deepEqual(listed.sort(), [x, y].sort());
    const uploads: string[] = [];
    for await (const u of store.listUploads()) uploads.push(u.id);
    assert.deepEqual(uploads, [id]);
    assert.equal(await store.delete(x), true);
    assert.equal(await store.delete(x), false);
    assert.equal(await store.stat(x), undefined);
    await assert.rejects(store.read(x), BlobStoreNotFoundError);
    await store.cancel(id);
    await store.cancel(id);
    assert.equal(await store.uploadSize(id), undefined);
  });
}

/** Opened blobs sent to slow, failing and closed receivers. */
function openedBlobCases(withStore: WithStore): void {
  withStore('an opened blob is sent whole or by range to a slow receiver, every byte intact', async ({ store }) => {
    // Several MiB and an odd size, so that a driver's buffers are reused and the last one is short.
    const bytes = randomBytes(5 * 1024 * 1024 + 12_345);
    const digest = await put(store, bytes);
    const whole = await store.open(digest);
    assert.equal(whole.length, bytes.length);
    const out = new SlowReceiver();
    await whole.writeTo(out);
    assert.ok(Buffer.concat(out.parts).equals(bytes), 'the whole blob arrives unchanged');
    assert.equal(out.writableEnded, false, 'writeTo leaves the receiver open');
    const part = await store.open(digest, { start: 1_000_001, end: 3_500_000 });
    assert.equal(part.length, 2_500_000);
    const partOut = new SlowReceiver();
    await part.writeTo(partOut);
    assert.ok(Buffer.concat(partOut.parts).equals(bytes.subarray(1_000_001, 3_500_001)), 'the range arrives unchanged');
    const empty = await store.open(await put(store, new Uint8Array(0)));
    assert.equal(empty.length, 0);
    const emptyOut = new SlowReceiver();
    await empty.writeTo(emptyOut);
    assert.deepEqual(emptyOut.parts, []);
  });

  withStore('opening a missing blob throws not found; a failing or closed receiver rejects writeTo', async ({ store }) => {
    await assert.rejects(store.open(digestOf(randomBytes(10))), BlobStoreNotFoundError);
    const digest = await put(store, randomBytes(4 * 1024 * 1024));
    const failing = await store.open(digest);
    await assert.rejects(failing.writeTo(new FailingReceiver(2)), /receiver failed/);
    failing.close();
    const closing = await store.open(digest);
    const out = new SlowReceiver();
    setImmediate(() => out.destroy());
    await assert.rejects(closing.writeTo(out));
    const unused = await store.open(digest);
    unused.close();
    unused.close();
    await assert.rejects(unused.writeTo(new SlowReceiver()));
  });
}
