// Berth as a separate process (`berth server`), for tests that kill it or send it signals.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { TestServer } from './server.ts';

const root = join(import.meta.dirname, '..', '..');

/** A free loopback TCP port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface SpawnedServer {
  readonly url: string;
  readonly child: ChildProcess;
  /** Everything the process wrote so far. */
  output(): string;
  /** Resolves with the exit code (or signal) when the process ends. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Whether a server's output says its port was taken (between freePort and its listen). */
function portTaken(output: string): boolean {
  return /EADDRINUSE|address already in use/.test(output);
}

/**
 * Runs `berth server` on a free port and waits until /readyz answers 200. A port picked here can
 * be taken by another process before the server listens on it (other tests start clusters at the
 * same time); then it starts again on another free port, up to five times. A given `port` is used
 * as it is.
 */
export async function spawnServer(opts: { dataDir: string; env?: Record<string, string>; port?: number; nodeArgs?: readonly string[] }): Promise<SpawnedServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await spawnOnce({ ...opts, port: opts.port ?? await freePort() });
    } catch (err) {
      if (opts.port !== undefined || attempt >= 5 || !(err instanceof PortTakenError)) throw err;
    }
  }
}

class PortTakenError extends Error {}

async function spawnOnce(opts: { dataDir: string; env?: Record<string, string>; port: number; nodeArgs?: readonly string[] }): Promise<SpawnedServer> {
  const port = opts.port;
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), join(root, 'src', 'cli', 'main.ts'), 'server', '--host', '127.0.0.1', '--port', String(port), '--data-dir', opts.dataDir], {
    // Several servers run at once: each takes a free webhook port unless the test names one.
    env: { ...process.env, BERTH_LOG_LEVEL: 'warn', BERTH_WEBHOOK_PORT: '0', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { out += d; });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) {
      await exited;
      const message = `berth server exited early (${child.exitCode}):\n${out}`;
      throw portTaken(out) ? new PortTakenError(message) : new Error(message);
    }
    try {
      const r = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) });
      if (r.status === 200) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`berth server not ready after 30 s:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, child, exited, output: () => out };
}

/** The slice of TestServer the HTTP helpers use (`api`), over a spawned process. */
export function spawnedApi(p: Pick<SpawnedServer, 'url'>): Pick<TestServer, 'api'> {
  return {
    async api(method, path, opts = {}) {
      const headers: Record<string, string> = { ...(opts.headers ?? {}) };
      if (opts.token) headers.authorization = `Bearer ${opts.token}`;
      if (opts.body !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(p.url + path, { method, headers, body: opts.body === undefined ? opts.raw : JSON.stringify(opts.body) });
      const text = await res.text();
      let body: unknown = text;
      try { body = JSON.parse(text); } catch { /* not JSON: keep the text */ }
      return { status: res.status, body, headers: res.headers };
    },
  };
}
