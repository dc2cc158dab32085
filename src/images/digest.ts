// OCI content digests (`<algorithm>:<encoded>`): parsing, the algorithms Berth verifies, and
// streaming hashers. Pure apart from node:crypto.
import { createHash, type Hash } from 'node:crypto';

/** The digest algorithms the registry verifies (OCI image-spec registered algorithms). */
export const digestAlgorithms = { sha256: 64, sha512: 128 } as const;
export type DigestAlgorithm = keyof typeof digestAlgorithms;

/** A parsed, verified-shape digest. */
export interface Digest {
  readonly algorithm: DigestAlgorithm;
  readonly encoded: string;
  /** `<algorithm>:<encoded>` */
  readonly value: string;
}

// The OCI grammar (image-spec descriptor.md): algorithm components and an encoded part.
const grammar = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

/** True when `s` is a syntactically valid digest of any algorithm (the OCI grammar). */
export function isDigestSyntax(s: string): boolean {
  return grammar.test(s);
}

/**
 * Parses a digest of a supported algorithm with a lower-case hex encoding of the right length.
 * Returns undefined for anything else (the caller answers DIGEST_INVALID or UNSUPPORTED).
 */
export function parseDigest(s: string): Digest | undefined {
  const i = s.indexOf(':');
  if (i < 0) return undefined;
  const algorithm = s.slice(0, i);
  const encoded = s.slice(i + 1);
  if (!Object.hasOwn(digestAlgorithms, algorithm)) return undefined;
  const length = digestAlgorithms[algorithm as DigestAlgorithm];
  if (encoded.length !== length || !/^[a-f0-9]+$/.test(encoded)) return undefined;
  return { algorithm: algorithm as DigestAlgorithm, encoded, value: s };
}

/** Starts a streaming hash for `algorithm`. */
export function newHasher(algorithm: DigestAlgorithm): Hash {
  return createHash(algorithm);
}

/** The digest of `bytes` with `algorithm` (sha256 by default). */
export function digestOf(bytes: Uint8Array, algorithm: DigestAlgorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}
