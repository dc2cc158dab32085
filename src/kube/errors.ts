// Maps what an API server (or the network in front of it) answers to Berth's typed errors, once,
// so callers branch on `reason` and never on HTTP codes or socket error strings.
import { BerthError, reasons } from '../platform/errors.ts';
import type { Cause, Reason } from '../platform/errors.ts';

/** The fields of a Kubernetes `Status` that Berth reads. */
export interface KubeStatus {
  readonly kind?: string;
  readonly status?: string;
  readonly message?: string;
  readonly reason?: string;
  readonly code?: number;
  readonly details?: {
    readonly name?: string;
    readonly kind?: string;
    readonly group?: string;
    readonly causes?: readonly { readonly reason?: string; readonly message?: string; readonly field?: string }[];
    readonly retryAfterSeconds?: number;
  };
}

/** One field that server-side apply refused to take over: who owns it. */
export interface FieldConflict {
  /** The field path as the API server names it, e.g. `.spec.hard.pods`. */
  readonly field: string;
  /** The field manager that owns it, e.g. `kubectl`. */
  readonly manager: string;
  /** The API server's words for this conflict. */
  readonly message: string;
}

/**
 * An error answered by (or on the way to) a cluster's API server. `reason` is Berth's typed
 * reason; `httpStatus` is what the API server sent (0 when no answer came); `status` its
 * `Status` body when it sent one. The message keeps the API server's own words, prefixed
 * with the cluster's name, and never contains credentials.
 */
export class KubeError extends BerthError {
  /** Name of the cluster the request went to. */
  readonly cluster: string;
  /** HTTP status the API server answered, 0 when the request got no answer. */
  readonly httpStatus: number;
  /** The API server's `Status`, when it answered with one. */
  readonly status?: KubeStatus;
  /** For a server-side apply conflict: the fields and their owners (empty otherwise). */
  readonly conflicts: readonly FieldConflict[];

  constructor(reason: Reason, message: string, init: {
    cluster: string; httpStatus: number; status?: KubeStatus; causes?: readonly Cause[];
    conflicts?: readonly FieldConflict[]; kind?: string; name?: string; retryAfter?: number; cause?: unknown;
  }) {
    super(reason, message, { causes: init.causes, kind: init.kind, name: init.name, retryAfter: init.retryAfter, cause: init.cause });
    this.cluster = init.cluster;
    this.httpStatus = init.httpStatus;
    this.status = init.status;
    this.conflicts = init.conflicts ?? [];
  }
}

const knownReasons = new Set<string>(Object.keys(reasons));

function reasonFor(httpStatus: number, statusReason: string | undefined): Reason {
  // The API server's own reason wins where Berth knows it (AlreadyExists and Conflict share 409).
  if (statusReason !== undefined && knownReasons.has(statusReason)) return statusReason as Reason;
  switch (statusReason) {
    case 'ServerTimeout': return 'Timeout';
    case 'Expired': return 'Gone';
    default: break;
  }
  switch (httpStatus) {
    case 400: return 'BadRequest';
    case 401: return 'Unauthorized';
    case 403: return 'Forbidden';
    case 404: return 'NotFound';
    case 405: return 'MethodNotAllowed';
    case 409: return 'Conflict';
    case 410: return 'Gone';
    case 413: return 'RequestEntityTooLarge';
    case 415: return 'UnsupportedMediaType';
    case 422: return 'Invalid';
    case 429: return 'TooManyRequests';
    case 503: return 'ServiceUnavailable';
    case 504: return 'Timeout';
    default: return httpStatus >= 500 ? 'InternalError' : 'BadRequest';
  }
}

const managerConflict = /^conflict with "([^"]*)"/;

/** Reads `Status.details.causes` of a server-side apply conflict into fields and managers. */
export function fieldConflicts(status: KubeStatus | undefined): FieldConflict[] {
  return (status?.details?.causes ?? [])
    .filter((c) => c.reason === 'FieldManagerConflict')
    .map((c) => ({
      field: c.field ?? '',
      manager: managerConflict.exec(c.message ?? '')?.[1] ?? '',
      message: c.message ?? '',
    }));
}

function isStatus(body: unknown): body is KubeStatus {
  return typeof body === 'object' && body !== null && (body as KubeStatus).kind === 'Status';
}

/**
 * The typed error for an API server's non-2xx answer. `body` is the parsed answer (a `Status`
 * in every case kube-apiserver itself answers) or its raw text; `what` names the request
 * (e.g. `PATCH /api/v1/namespaces/a`) for answers that carry no message of their own.
 */
export function errorFromResponse(cluster: string, httpStatus: number, body: unknown, what: string): KubeError {
  const status = isStatus(body) ? body : undefined;
  const reason = reasonFor(httpStatus, status?.reason);
  const text = status?.message ?? (typeof body === 'string' && body.length > 0 ? body.slice(0, 500) : `HTTP ${httpStatus}`);
  const causes: Cause[] = (status?.details?.causes ?? []).map((c) => ({
    message: c.message ?? '', ...(c.field === undefined ? {} : { field: c.field }), ...(c.reason === undefined ? {} : { reason: c.reason }),
  }));
  return new KubeError(reason, `cluster ${cluster}: ${status === undefined ? `${what}: ` : ''}${text}`, {
    cluster, httpStatus, status, causes, conflicts: fieldConflicts(status),
    kind: status?.details?.kind, name: status?.details?.name, retryAfter: status?.details?.retryAfterSeconds,
  });
}

const tlsCodes = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|SELF_SIGNED_|DEPTH_ZERO_|HOSTNAME_MISMATCH|ERR_OSSL_)/;

/**
 * The typed error for a request that got no answer: a TLS failure (certificate not trusted,
 * wrong host name) is `ServiceUnavailable` with a `TLSVerificationFailed` cause naming the TLS
 * problem; refused or unreachable connections are `ServiceUnavailable`; a deadline is `Timeout`.
 */
export function errorFromNetwork(cluster: string, err: unknown, what: string, timedOut: boolean): KubeError {
  const e = err as NodeJS.ErrnoException;
  const code = typeof e?.code === 'string' ? e.code : undefined;
  if (timedOut) {
    return new KubeError('Timeout', `cluster ${cluster}: ${what}: no answer in time`, { cluster, httpStatus: 0, cause: err, retryAfter: 1 });
  }
  if (code !== undefined && tlsCodes.test(code)) {
    return new KubeError('ServiceUnavailable', `cluster ${cluster}: ${what}: TLS verification of the API server failed (${code}): ${e.message}`, {
      cluster, httpStatus: 0, cause: err, causes: [{ reason: 'TLSVerificationFailed', message: `${code}: ${e.message}` }],
    });
  }
  const detail = code === undefined ? String(e?.message ?? err) : `${code}: ${e.message}`;
  return new KubeError('ServiceUnavailable', `cluster ${cluster}: ${what}: API server unreachable (${detail})`, {
    cluster, httpStatus: 0, cause: err, retryAfter: 1,
  });
}
