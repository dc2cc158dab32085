// The OCI Distribution error codes and the error the registry's handlers throw. One mapping to
// HTTP: the /v2 plugin's error handler turns an OciError into `{"errors":[{code,message,detail}]}`.

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
