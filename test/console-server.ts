// Starts a real `berth server` (child process, loopback, temporary data directory) serving a
// freshly built console, for the console's integration and browser tests.
import { spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnServer, type SpawnedServer } from './support/spawn.ts';

const repo = fileURLToPath(new URL('..', import.meta.url));

/** A running server; `stop` ends it and removes its data. */
export interface BerthUnderTest {
  readonly url: string;
  readonly adminPassword: string;
  /** A session token of the admin, from one login (logins are rate-limited per address). */
  readonly adminToken: string;
  stop(): Promise<void>;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/**
 * Builds the current console sources into `outDir` (a private folder, so a test never races
 * another one serving console/dist). Throws with Vite's output when the build fails.
 */
export function buildConsole(outDir: string): void {
  const build = spawnSync(process.execPath, [join(repo, 'node_modules/vite/bin/vite.js'), 'build', 'console', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'],
    { cwd: repo, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`console build failed:\n${build.stdout}\n${build.stderr}`);
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
  try {
    buildConsole(consoleDir);
  } catch (err) {
    await rm(work, { recursive: true, force: true });
    throw err;
  }
  const adminPassword = `e2e-${crypto.randomUUID()}`;
  let server: SpawnedServer;
  try {
    server = await spawnServer({ dataDir: join(work, 'data'), env: { BERTH_ADMIN_PASSWORD: adminPassword, BERTH_CONSOLE_DIR: consoleDir } });
  } catch (err) {
    await rm(work, { recursive: true, force: true });
    throw err;
  }
  const url = server.url;
  const stop = async () => {
    await stopChild(server.child);
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
