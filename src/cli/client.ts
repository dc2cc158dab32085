// The CLI's side of the API: the stored login (server URL and token) and one request helper
// that turns transport failures and error bodies into clear messages.
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** What `berth login` stores. */
export interface StoredLogin {
  readonly server: string;
  readonly token: string;
  readonly username: string;
  readonly expiresAt?: string;
}

/** An error the CLI prints as one line and exits with `exitCode`. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** Path of the CLI's config file: BERTH_CONFIG, else the user's config folder. */
export function configPath(env = process.env): string {
  if (env.BERTH_CONFIG) return env.BERTH_CONFIG;
  const base = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'berth', 'config.json');
}

export function readLogin(env = process.env): StoredLogin | undefined {
  try {
    return JSON.parse(readFileSync(configPath(env), 'utf8')) as StoredLogin;
  } catch {
    return undefined;
  }
}

/** Stores the login readable by the user only. */
export function writeLogin(login: StoredLogin, env = process.env): void {
  const p = configPath(env);
  mkdirSync(dirname(p), { recursive: true, mode: 0o700 });
  writeFileSync(p, `${JSON.stringify(login, null, 2)}\n`, { mode: 0o600 });
  chmodSync(p, 0o600);
}

export function forgetLogin(env = process.env): void {
  rmSync(configPath(env), { force: true });
}

/** An API client bound to a server and (optionally) a token. */
export interface Client {
  readonly server: string;
  request<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  /** Like `request` but returns the raw response body as text. */
  text(method: string, path: string): Promise<string>;
}

/** Creates a client for `server`; `token` is sent as a bearer token when given. */
export function makeClient(server: string, token?: string): Client {
  const base = server.replace(/\/+$/, '');
  async function send(method: string, path: string, body?: unknown): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(base + path, {
        method,
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      throw new CliError(`cannot reach the Berth server at ${base} (${cause}); is it running, and is the URL right?`);
    }
    if (res.ok) return res;
    const text = await res.text();
    let message = text;
    try {
      const s = JSON.parse(text) as { message?: string; details?: { causes?: { field?: string; message: string }[] } };
      message = s.message ?? text;
      for (const c of s.details?.causes ?? []) message += `\n  ${c.field ?? ''}: ${c.message}`;
    } catch { /* not a Status body */ }
    if (res.status === 401 && token) {
      throw new CliError(`${message}\nyour stored login for ${base} is no longer valid (expired or revoked): run \`berth login\` again`);
    }
    throw new CliError(`${message} (HTTP ${res.status})`);
  }
  return {
    server: base,
    async request<T>(method: string, path: string, body?: unknown): Promise<T> {
      const res = await send(method, path, body);
      const text = await res.text();
      return (text ? JSON.parse(text) : undefined) as T;
    },
    async text(method: string, path: string): Promise<string> {
      return (await send(method, path)).text();
    },
  };
}

/** The client for the stored login; CliError when nobody is logged in. */
export function loadClient(env = process.env): Client {
  const login = readLogin(env);
  if (!login) throw new CliError('not logged in: run `berth login --server URL --username U --password-stdin` first');
  return makeClient(env.BERTH_SERVER ?? login.server, env.BERTH_TOKEN ?? login.token);
}
