// Pure helpers of the API client: query strings and Kubernetes Status errors. No I/O here.
import type { Status, StatusCause } from './model.ts';

/** An API call that the server refused; `message` is the Status message the server wrote. */
export class ApiError extends Error {
  /** HTTP status code. */
  readonly code: number;
  /** Status `reason`, e.g. `Unauthorized`, `Conflict`, `TooManyRequests`. */
  readonly reason: string;
  readonly causes: readonly StatusCause[];
  /** Seconds from a Retry-After header, when the server sent one. */
  readonly retryAfter?: number;

  constructor(code: number, reason: string, message: string, causes: readonly StatusCause[] = [], retryAfter?: number) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.reason = reason;
    this.causes = causes;
    this.retryAfter = retryAfter;
  }
}

/**
 * Builds `?a=1&b=2` from the given parameters, leaving out undefined, null and empty-string
 * values so that an unset filter never reaches the server. Returns '' when nothing is left.
 */
/** The text to show for a thrown value: an Error's message, else the value as a string. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function toQuery(params: Readonly<Record<string, string | number | undefined | null>>): string {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null) continue;
    const text = String(value).trim();
    if (text !== '') q.set(key, text);
  }
  const s = q.toString();
  return s === '' ? '' : `?${s}`;
}

function isStatus(value: unknown): value is Status {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return v.kind === 'Status' && typeof v.message === 'string';
}

/**
 * Turns a failed response into an ApiError. The body is used when it is a Kubernetes Status;
 * otherwise (a proxy's HTML page, an empty body) the message falls back to the HTTP status text,
 * so the user always sees something meaningful. `retryAfter` is a Retry-After header value.
 */
export function toApiError(code: number, statusText: string, body: string, retryAfter?: string | null): ApiError {
  const seconds = retryAfter != null && /^\d+$/.test(retryAfter.trim()) ? Number(retryAfter.trim()) : undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    parsed = undefined;
  }
  if (isStatus(parsed)) {
    return new ApiError(code, parsed.reason ?? '', parsed.message, parsed.details?.causes ?? [], seconds);
  }
  const fallback = statusText.trim() !== '' ? `${code} ${statusText}` : `HTTP ${code}`;
  return new ApiError(code, '', fallback, [], seconds);
}

/**
 * Extracts the file name from a Content-Disposition header (`attachment; filename="x.csv"`),
 * or returns `fallback` when there is none.
 */
export function fileNameFromDisposition(header: string | null, fallback: string): string {
  if (!header) return fallback;
  const star = /filename\*\s*=\s*(?:UTF-8'')?([^;]+)/i.exec(header);
  if (star) {
    try {
      return decodeURIComponent(star[1].trim().replace(/^"|"$/g, ''));
    } catch {
      // A malformed percent-encoding falls through to the plain filename parameter.
    }
  }
  const plain = /filename\s*=\s*"?([^";]+)"?/i.exec(header);
  return plain ? plain[1].trim() : fallback;
}
