// A child process that stands for a test process killed mid-test: it runs `script` (an ES
// module's text), prints one JSON line describing what it left running, and then waits to be
// killed. The crash tests of test/clusters use it to check that the next start reaps leftovers.
import { spawn } from 'node:child_process';
import type { ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';

/** The running child and the first line it printed, parsed as JSON. */
export interface Orphan<T> {
  readonly child: ChildProcessByStdio<null, Readable, null>;
  readonly trace: T;
}

/**
 * Starts `script`, which must print one JSON line once it is ready and then keep running.
 * Rejects, naming `what`, when the child exits before printing that line.
 */
export async function spawnOrphan<T>(script: string, what: string): Promise<Orphan<T>> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', `${script}\nsetInterval(() => {}, 1 << 30);`], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0]);
    });
    child.once('exit', (code) => reject(new Error(`child exited with ${code} before ${what}`)));
  });
  return { child, trace: JSON.parse(line) as T };
}
