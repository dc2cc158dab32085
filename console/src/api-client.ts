// The one way the console talks to the server: bearer token in, Kubernetes Status errors out.
import { fileNameFromDisposition, toApiError, toQuery } from './http.ts';
import type {
  AuditFilter, AuditList, AuditVerifyResult, CreatedToken, LoginResponse, TokenList, User, UserCreate, UserList,
  UserPatch, WhoAmI,
} from './model.ts';

/** What the client needs from its host page. */
export interface ApiClientOptions {
  /** The current bearer token, or null when logged out. */
  readonly getToken: () => string | null;
  /** Called when an authenticated call answers 401: the session is over. */
  readonly onUnauthorized: () => void;
  /** Base URL of the server; '' means the page's own origin. */
  readonly baseUrl?: string;
  readonly fetch?: typeof fetch;
}

/** A downloaded file: its contents and the name the server suggested. */
export interface Download {
  readonly blob: Blob;
  readonly fileName: string;
}

/**
 * Typed client of /api/v1. Every method rejects with ApiError when the server refuses; a 401 on
 * any call but login also triggers `onUnauthorized` before rejecting.
 */
export class ApiClient {
  readonly #options: ApiClientOptions;

  constructor(options: ApiClientOptions) {
    this.#options = options;
  }

  async #send(method: string, path: string, body?: unknown, authenticated = true): Promise<Response> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const token = this.#options.getToken();
    if (authenticated && token) headers.Authorization = `Bearer ${token}`;
    const doFetch = this.#options.fetch ?? globalThis.fetch.bind(globalThis);
    const res = await doFetch(`${this.#options.baseUrl ?? ''}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (res.ok) return res;
    const error = toApiError(res.status, res.statusText, await res.text(), res.headers.get('Retry-After'));
    if (authenticated && res.status === 401) this.#options.onUnauthorized();
    throw error;
  }

  async #json<T>(method: string, path: string, body?: unknown, authenticated = true): Promise<T> {
    const res = await this.#send(method, path, body, authenticated);
    const text = await res.text();
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  /** Exchanges a username and password for a session token; 401 and 429 reject with ApiError. */
  login(username: string, password: string): Promise<LoginResponse> {
    return this.#json('POST', '/api/v1/login', { username, password }, false);
  }

  /** Who the token belongs to and what it may do. */
  whoami(): Promise<WhoAmI> {
    return this.#json('GET', '/api/v1/whoami');
  }

  /** One page of users; pass the previous page's `metadata.continue` to get the next. */
  listUsers(limit: number, cont?: string): Promise<UserList> {
    return this.#json('GET', `/api/v1/users${toQuery({ limit, continue: cont })}`);
  }

  /** Creates a user; a taken name rejects with a 409 ApiError, an invalid one with 422. */
  createUser(user: UserCreate): Promise<User> {
    return this.#json('POST', '/api/v1/users', user);
  }

  /** Partial update; rejects with a 409 ApiError when `resourceVersion` is stale. */
  patchUser(name: string, patch: UserPatch): Promise<User> {
    return this.#json('PATCH', `/api/v1/users/${encodeURIComponent(name)}`, patch);
  }

  /** Deletes a user; rejects with a 404 ApiError when there is none. */
  async deleteUser(name: string): Promise<void> {
    await this.#send('DELETE', `/api/v1/users/${encodeURIComponent(name)}`);
  }

  /** The caller's own tokens. */
  listTokens(): Promise<TokenList> {
    return this.#json('GET', '/api/v1/tokens');
  }

  /** Creates a token; the answer holds the secret, which the server never shows again. */
  createToken(name: string, expiresInDays?: number): Promise<CreatedToken> {
    return this.#json('POST', '/api/v1/tokens', expiresInDays === undefined ? { name } : { name, expiresInDays });
  }

  /** Revokes one of the caller's tokens; it stops authenticating at once. */
  async revokeToken(id: string): Promise<void> {
    await this.#send('DELETE', `/api/v1/tokens/${encodeURIComponent(id)}`);
  }

  /** One page of audit records, newest first. */
  listAudit(filter: AuditFilter, limit: number, cont?: string): Promise<AuditList> {
    return this.#json('GET', `/api/v1/audit${toQuery({ ...filter, limit, continue: cont })}`);
  }

  /**
   * The whole filtered audit log as a file (JSON Lines or CSV), named as the server's
   * Content-Disposition says, else `fallbackName`.
   */
  async exportAudit(filter: AuditFilter, format: 'jsonl' | 'csv', fallbackName: string): Promise<Download> {
    const res = await this.#send('GET', `/api/v1/audit/export${toQuery({ format, ...filter })}`);
    const blob = await res.blob();
    return { blob, fileName: fileNameFromDisposition(res.headers.get('Content-Disposition'), fallbackName) };
  }

  /** Walks the hash chain on the server and reports the first broken link, if any. */
  verifyAudit(): Promise<AuditVerifyResult> {
    return this.#json('GET', '/api/v1/audit/verify');
  }
}
