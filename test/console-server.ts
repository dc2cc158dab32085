// Starts a real `berth server` (child process, loopback, temporary data directory) serving a
// freshly built console, for the console's integration and browser tests.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, portTaken } from './support/spawn.ts';

const repo = fileURLToPath(new URL('..', import.meta.url));

/** A running server; `stop` ends it and removes its data. */
export interface BerthUnderTest {
  readonly url: string;
  readonly adminPassword: string;
  /** A session token of the admin, from one login (logins are rate-limited per address). */
  readonly adminToken: string;
  stop(): Promise<void>;
}

async function waitReady(url: string, child: ChildProcess, log: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`berth server exited with ${child.exitCode} before it was ready:\n${log()}`);
    try {
      const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) return;
      last = `readyz answered ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`berth server not ready after ${timeoutMs} ms (${last}):\n${log()}`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/**
 * Builds the console into a private folder (so the test runs the current sources and never races
 * another test serving console/dist), then starts `berth server --port P --data-dir D` with
 * BERTH_ADMIN_PASSWORD set, waits for /readyz and logs the admin in. Throws with the server's
 * output when it does not come up.
 */
export async function startBerth(): Promise<BerthUnderTest> {
  const work = await mkdtemp(join(tmpdir(), 'berth-console-'));
  const consoleDir = join(work, 'console');
  const build = spawnSync(process.execPath, [join(repo, 'node_modules/vite/bin/vite.js'), 'build', 'console', '--outDir', consoleDir, '--emptyOutDir', '--logLevel', 'warn'],
    { cwd: repo, encoding: 'utf8' });
  if (build.status !== 0) {
    await rm(work, { recursive: true, force: true });
    throw new Error(`console build failed:\n${build.stdout}\n${build.stderr}`);
  }
  const adminPassword = `e2e-${crypto.randomUUID()}`;
  // A picked port can be taken before the server listens (other tests start clusters at the
  // same time): then it starts again on another one.
  let url = '';
  let log = '';
  let server: ChildProcess;
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    log = '';
    const started = spawn(process.execPath, [join(repo, 'src/cli/main.ts'), 'server', '--port', String(port), '--data-dir', join(work, 'data')], {
      cwd: repo,
      env: { ...process.env, BERTH_ADMIN_PASSWORD: adminPassword, BERTH_HOST: '127.0.0.1', BERTH_CONSOLE_DIR: consoleDir, BERTH_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    started.stdout?.on('data', (d: Buffer) => { log += d.toString(); });
    started.stderr?.on('data', (d: Buffer) => { log += d.toString(); });
    try {
      await waitReady(url, started, () => log, 60_000);
      server = started;
      break;
    } catch (err) {
      await stopChild(started);
      if (attempt < 5 && portTaken(log)) continue;
      await rm(work, { recursive: true, force: true });
      throw err;
    }
  }
  const stop = async () => {
    await stopChild(server);
    await rm(work, { recursive: true, force: true });
  };
  try {
    const res = await fetch(`${url}/api/v1/login`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: adminPassword }),
    });
    if (res.status !== 200) throw new Error(`admin login answered ${res.status}: ${await res.text()}`);
    const { token } = (await res.json()) as { token: string };
    return { url, adminPassword, adminToken: token, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
