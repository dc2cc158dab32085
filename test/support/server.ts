// A real Berth server for HTTP tests, in this process, on a free port, on either backend.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../../src/platform/config.ts';
import type { AreaModule } from '../../src/platform/area.ts';
import { startServer, type RunningServer } from '../../src/platform/server.ts';
import { databaseFor, type Backend } from './pg.ts';

export const adminPassword = 'admin-password-1';

export interface TestServer {
  readonly url: string;
  readonly server: RunningServer;
  readonly dataDir: string;
  readonly databaseUrl?: string;
  /** Calls the API; returns status, parsed body and headers. */
  api(method: string, path: string, opts?: { token?: string; body?: unknown; headers?: Record<string, string>; raw?: string }): Promise<{ status: number; body: any; headers: Headers }>;
  /** Logs in and returns the session token. */
  login(username?: string, password?: string): Promise<string>;
  close(): Promise<void>;
}

/** Where a test server listens: loopback (the default), or every interface for clients in network namespaces. */
export interface TestServerOptions {
  /** `0.0.0.0` for nodes in their own network namespaces; `url` still names loopback. */
  readonly host?: '127.0.0.1' | '0.0.0.0';
  /** The areas to serve instead of the default list (a test adds a piece the lead has not wired yet). */
  readonly areas?: readonly AreaModule[];
}

/** Starts a server with a fresh data folder and database; `close()` removes both. */
export async function startTestServer(backend: Backend = 'sqlite', env: Record<string, string> = {}, opts: TestServerOptions = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-test-'));
  const db = await databaseFor(backend);
  const config = loadConfig(['--port', '0', '--host', opts.host ?? '127.0.0.1', '--data-dir', dataDir], {
    // Tests run in parallel: each server takes a free admission-webhook port unless the test names one.
    BERTH_ADMIN_PASSWORD: adminPassword, BERTH_WEBHOOK_PORT: '0', ...(db.url ? { BERTH_DATABASE_URL: db.url } : {}), ...env,
  });
  const server = await startServer(config, { logger: pino({ level: process.env.BERTH_TEST_LOG ?? 'silent' }), areas: opts.areas });
  const url = server.url.replace('//0.0.0.0:', '//127.0.0.1:');
  const api: TestServer['api'] = async (method, path, opts = {}) => {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    let body: string | undefined = opts.raw;
    if (opts.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(opts.body);
    }
    const res = await fetch(url + path, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    try { parsed = JSON.parse(text); } catch { /* not JSON: keep the text */ }
    return { status: res.status, body: parsed, headers: res.headers };
  };
  return {
    url, server, dataDir, databaseUrl: db.url, api,
    async login(username = 'admin', password = adminPassword) {
      const r = await api('POST', '/api/v1/login', { body: { username, password } });
      if (r.status !== 200) throw new Error(`login ${username} failed: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body.token as string;
    },
    async close() {
      await server.close();
      await db.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
