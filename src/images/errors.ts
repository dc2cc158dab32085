// The registry's domain errors: what a distribution use case refused, in the registry's own
// terms and with no HTTP in them. Each is a platform BerthError (its reason fixes a Status, should
// one reach the REST API); the /v2 plugin answers each problem with its OCI error in one place,
// v2/oci-errors.ts.
import { BerthError, type Reason } from '../platform/errors.ts';

/** Each problem a distribution use case can refuse with, and the platform reason it stands for. */
export const registryProblems = {
  /** The blob is not in the repository (or its file is gone). */
  'blob-unknown': 'NotFound',
  /** The upload session does not exist in the repository (anymore). */
  'upload-unknown': 'NotFound',
  /** A chunk does not start where the upload ends; the upload stays, to be resumed at `uploadSize`. */
  'upload-offset': 'BadRequest',
  /** The blob was removed by garbage collection as its upload was committed; upload it again. */
  'upload-lost': 'Conflict',
  /** A digest is malformed, missing, or does not match the content. */
  'digest-invalid': 'BadRequest',
  /** A digest algorithm or a manifest feature the registry does not support. */
  unsupported: 'BadRequest',
  /** A Content-Range that is not `<start>-<end>` with start ≤ end. */
  'range-invalid': 'BadRequest',
  /** A body whose length disagrees with its Content-Length. */
  'size-invalid': 'BadRequest',
  /** A blob past the per-upload cap, or a manifest past its size limit. */
  'too-large': 'RequestEntityTooLarge',
  /** A project's or tenant's storage or artifact quota would be exceeded. */
  'quota-exceeded': 'Forbidden',
  /** An immutability rule protects the tag. */
  immutable: 'Forbidden',
  /** The caller or the project holds as many open uploads as allowed. */
  'too-many-uploads': 'TooManyRequests',
  /** A manifest (or a tag pushed with it) that cannot be stored. */
  'manifest-invalid': 'BadRequest',
  /** A manifest reference on a read that cannot name anything: not a valid tag. */
  'reference-invalid': 'NotFound',
  /** No manifest under that tag or digest in the repository. */
  'manifest-unknown': 'NotFound',
  /** A manifest references a blob or a manifest the repository does not hold. */
  'manifest-blob-unknown': 'BadRequest',
  /** The repository has never been pushed to. */
  'name-unknown': 'NotFound',
  /** A concurrent push of the same manifest committed first. */
  'concurrent-push': 'Conflict',
} as const satisfies Record<string, Reason>;

export type RegistryProblem = keyof typeof registryProblems;

/**
 * A refusal of a distribution use case. `message` names the object and the limit; `detail` is
 * structured data a client may read (the OCI `detail`); `uploadSize` is set for `upload-offset`.
 */
export class RegistryError extends BerthError {
  readonly problem: RegistryProblem;
  readonly detail: unknown;
  readonly uploadSize?: number;

  constructor(problem: RegistryProblem, message: string, opts: { detail?: unknown; uploadSize?: number } = {}) {
    super(registryProblems[problem], message);
    this.name = 'RegistryError';
    this.problem = problem;
    this.detail = opts.detail;
    this.uploadSize = opts.uploadSize;
  }
}
