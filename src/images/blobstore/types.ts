// The blob store contract: content-addressable bytes and resumable uploads. Every driver
// (drivers/: filesystem now, S3 later) implements it and runs the shared suite in conformance.ts.
import type { Readable, Writable } from 'node:stream';
import type { Digest } from '../digest.ts';

/** A stored blob. */
export interface BlobInfo {
  readonly digest: string;
  readonly size: number;
  /** When the blob was written (garbage collection keeps young blobs). */
  readonly modifiedAt: Date;
}

/** An upload in progress. */
export interface UploadInfo {
  readonly id: string;
  readonly size: number;
  readonly modifiedAt: Date;
}

/** An inclusive byte range. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/**
 * A blob opened for sending: it was found, so an answer's headers can be written before its bytes.
 * Holds an open resource until writeTo or close.
 */
export interface OpenedBlob {
  /** How many bytes writeTo sends: the range's length, or the blob's size. */
  readonly length: number;
  /**
   * Writes the bytes to `out` as fast as `out` takes them, and resolves once `out` has flushed
   * the last one; does not end `out`. Rejects when a read fails, the blob ends early, or `out`
   * fails or closes first. Releases the blob either way. Call it at most once.
   */
  writeTo(out: Writable): Promise<void>;
  /** Releases the blob without sending it. Idempotent; a no-op after writeTo. */
  close(): void;
}

/** The stored bytes do not hash to the digest the client named. The upload is gone. */
export class DigestMismatchError extends Error {
  readonly expected: string;
  readonly actual: string;
  constructor(expected: string, actual: string) {
    super(`the content hashes to ${actual}, not ${expected}`);
    this.name = 'DigestMismatchError';
    this.expected = expected;
    this.actual = actual;
  }
}

/** A chunk did not start where the upload ends. Nothing was written. */
export class UploadOffsetError extends Error {
  readonly size: number;
  constructor(size: number, offset: number) {
    super(`the upload holds ${size} bytes; a chunk must start at ${size}, not ${offset}`);
    this.name = 'UploadOffsetError';
    this.size = size;
  }
}

/** No upload or blob by that name. */
export class BlobStoreNotFoundError extends Error {
  constructor(what: string) {
    super(`${what} not found`);
    this.name = 'BlobStoreNotFoundError';
  }
}

/**
 * A content-addressable blob store. A blob becomes visible only once it is whole and its digest
 * verified; readers never see a partial blob. Safe for concurrent use: two uploads of the same
 * content both commit. Drivers hold no global state besides their root.
 */
export interface BlobStore {
  /** The blob's size and time, or undefined when it is not stored. */
  stat(digest: string): Promise<BlobInfo | undefined>;
  /** The blob's bytes, or the inclusive `range` of them. Throws BlobStoreNotFoundError. */
  read(digest: string, range?: ByteRange): Promise<Readable>;
  /**
   * Opens the blob (or the inclusive `range` of it) for sending to a network peer: the fast path
   * for serving pulls. Throws BlobStoreNotFoundError.
   */
  open(digest: string, range?: ByteRange): Promise<OpenedBlob>;
  /** Removes a blob. Idempotent: true when it was there. */
  delete(digest: string): Promise<boolean>;
  /** Every stored blob, in no particular order. */
  list(): AsyncIterable<BlobInfo>;

  /** Starts an empty upload named `id` (a fresh unique id). */
  startUpload(id: string): Promise<void>;
  /** The upload's size, or undefined when there is no such upload. */
  uploadSize(id: string): Promise<number | undefined>;
  /**
   * Appends `body` at `offset`, which must equal the upload's size (else UploadOffsetError,
   * nothing written). When `body` fails midway the upload is left as it was before the call,
   * and the error is rethrown. `limit` bounds the bytes accepted (RangeError past it). Returns the new size.
   */
  append(id: string, offset: number, body: AsyncIterable<Uint8Array>, limit?: number): Promise<number>;
  /**
   * Verifies the upload against `digest` and makes it the blob `digest` (durably, atomically).
   * On mismatch the upload is removed and DigestMismatchError thrown. Throws BlobStoreNotFoundError.
   */
  commit(id: string, digest: Digest): Promise<BlobInfo>;
  /** Removes an upload. Idempotent. */
  cancel(id: string): Promise<void>;
  /** Every upload in progress (for cleaning up abandoned ones). */
  listUploads(): AsyncIterable<UploadInfo>;
}
