// One catalog of typed errors, mapped to HTTP once (http/errors.ts). Services throw these;
// routes never build error bodies by hand.

/** One field-level cause, as in a Kubernetes `Status.details.causes` entry. */
export interface Cause {
  readonly field?: string;
  readonly message: string;
  readonly reason?: string;
}

/** The Kubernetes `StatusReason` values Berth uses, each tied to one HTTP status. */
export const reasons = {
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  MethodNotAllowed: 405,
  Conflict: 409,
  AlreadyExists: 409,
  Gone: 410,
  RequestEntityTooLarge: 413,
  UnsupportedMediaType: 415,
  Invalid: 422,
  TooManyRequests: 429,
  InternalError: 500,
  ServiceUnavailable: 503,
  Timeout: 504,
} as const;

export type Reason = keyof typeof reasons;

/** Base of every error Berth raises on purpose. `reason` fixes the HTTP status. */
export class BerthError extends Error {
  readonly reason: Reason;
  readonly causes: readonly Cause[];
  /** Seconds the client should wait before retrying (429, 503). */
  readonly retryAfter?: number;
  /** Kubernetes `details.kind` / `details.name` of the object concerned. */
  readonly kind?: string;
  readonly objectName?: string;

  constructor(reason: Reason, message: string, opts: { causes?: readonly Cause[]; retryAfter?: number; kind?: string; name?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = reason;
    this.reason = reason;
    this.causes = opts.causes ?? [];
    this.retryAfter = opts.retryAfter;
    this.kind = opts.kind;
    this.objectName = opts.name;
  }

  /** The HTTP status code for this error. */
  get code(): number {
    return reasons[this.reason];
  }
}

/** `<kind> "<name>" not found`, worded as Kubernetes words it. */
export function notFound(kind: string, name: string): BerthError {
  return new BerthError('NotFound', `${kind} "${name}" not found`, { kind, name });
}

/** `<kind> "<name>" already exists`. */
export function alreadyExists(kind: string, name: string): BerthError {
  return new BerthError('AlreadyExists', `${kind} "${name}" already exists`, { kind, name });
}

/** A stale `resourceVersion` or another optimistic-concurrency conflict. */
export function conflict(kind: string, name: string, message: string): BerthError {
  return new BerthError('Conflict', `Operation cannot be fulfilled on ${kind} "${name}": ${message}`, { kind, name });
}

/** The caller is known but may not do this. */
export function forbidden(message: string): BerthError {
  return new BerthError('Forbidden', message);
}

/** The caller is not known (no, bad or expired credentials). */
export function unauthorized(message = 'Unauthorized'): BerthError {
  return new BerthError('Unauthorized', message);
}

/** Field validation failed: `<kind> "<name>" is invalid: <field>: <message>`, one cause per field. */
export function invalid(kind: string, name: string, causes: readonly Cause[]): BerthError {
  const summary = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message)).join(', ');
  return new BerthError('Invalid', `${kind} "${name}" is invalid: ${summary}`, { kind, name, causes });
}

/** A quota would be exceeded; the message names the quota and the limit. */
export function quotaExceeded(message: string): BerthError {
  return new BerthError('Forbidden', message);
}

/** Too many requests; `retryAfter` in seconds. */
export function tooManyRequests(message: string, retryAfter: number): BerthError {
  return new BerthError('TooManyRequests', message, { retryAfter });
}

/** A dependency (the database) is not reachable right now. */
export function unavailable(message: string, cause?: unknown): BerthError {
  return new BerthError('ServiceUnavailable', message, { retryAfter: 1, cause });
}
