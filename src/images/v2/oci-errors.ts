// The OCI Distribution error codes and the error the /v2 handlers throw; the one mapping of the
// registry's domain errors (../errors.ts) to them. The /v2 plugin's error handler turns an
// OciError into `{"errors":[{code,message,detail}]}` with its status and headers.
import type { RegistryError, RegistryProblem } from '../errors.ts';

/** Standard error codes of the OCI Distribution spec (plus Docker's TOOMANYREQUESTS and RANGE_INVALID). */
export const ociCodes = {
  BLOB_UNKNOWN: 404,
  BLOB_UPLOAD_INVALID: 400,
  BLOB_UPLOAD_UNKNOWN: 404,
  DIGEST_INVALID: 400,
  MANIFEST_BLOB_UNKNOWN: 400,
  MANIFEST_INVALID: 400,
  MANIFEST_UNKNOWN: 404,
  NAME_INVALID: 400,
  NAME_UNKNOWN: 404,
  SIZE_INVALID: 400,
  UNAUTHORIZED: 401,
  DENIED: 403,
  UNSUPPORTED: 405,
  TOOMANYREQUESTS: 429,
  RANGE_INVALID: 416,
} as const;

export type OciCode = keyof typeof ociCodes;

/** An error answered in the OCI shape. `status` overrides the code's usual HTTP status (416, 413 …). */
export class OciError extends Error {
  readonly code: OciCode;
  readonly status: number;
  readonly detail: unknown;
  readonly headers: Readonly<Record<string, string>>;

  constructor(code: OciCode, message: string, opts: { status?: number; detail?: unknown; headers?: Record<string, string> } = {}) {
    super(message);
    this.name = 'OciError';
    this.code = code;
    this.status = opts.status ?? ociCodes[code];
    this.detail = opts.detail;
    this.headers = opts.headers ?? {};
  }
}

/** The body the registry answers an error with. */
export function ociErrorBody(code: OciCode, message: string, detail?: unknown): { errors: { code: OciCode; message: string; detail?: unknown }[] } {
  return { errors: [{ code, message, ...(detail === undefined ? {} : { detail }) }] };
}

/** The `Range` header describing an upload of `size` bytes. */
export function rangeHeader(size: number): string {
  return `0-${Math.max(0, size - 1)}`;
}

// Each domain problem's OCI code, and its HTTP status where it is not the code's usual one.
const answers: { readonly [P in RegistryProblem]: readonly [OciCode, number?] } = {
  'blob-unknown': ['BLOB_UNKNOWN'],
  'upload-unknown': ['BLOB_UPLOAD_UNKNOWN'],
  'upload-offset': ['BLOB_UPLOAD_INVALID', 416],
  'upload-lost': ['BLOB_UPLOAD_INVALID', 409],
  'digest-invalid': ['DIGEST_INVALID'],
  unsupported: ['UNSUPPORTED', 400],
  'range-invalid': ['RANGE_INVALID'],
  'size-invalid': ['SIZE_INVALID'],
  'too-large': ['SIZE_INVALID', 413],
  'quota-exceeded': ['DENIED'],
  immutable: ['DENIED'],
  'too-many-uploads': ['TOOMANYREQUESTS'],
  'manifest-invalid': ['MANIFEST_INVALID'],
  'reference-invalid': ['MANIFEST_INVALID', 404],
  'manifest-unknown': ['MANIFEST_UNKNOWN'],
  'manifest-blob-unknown': ['MANIFEST_BLOB_UNKNOWN'],
  'name-unknown': ['NAME_UNKNOWN'],
  'concurrent-push': ['MANIFEST_INVALID', 409],
};

/**
 * The OCI answer to a registry domain error: its code, status, message and detail, and for a
 * chunk at the wrong offset the upload's `Range`, from which the client resumes.
 */
export function ociErrorOf(err: RegistryError): OciError {
  const [code, status] = answers[err.problem];
  const headers = err.uploadSize === undefined ? undefined : { range: rangeHeader(err.uploadSize) };
  return new OciError(code, err.message, { status, detail: err.detail, headers });
}
