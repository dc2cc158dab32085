// Process bookkeeping for test clusters: every component runs in its own process group, and
// each cluster folder records who owns it, so a later run can reap what a crashed run left.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupNodesIn } from './node-host.ts';

/** The file in a cluster folder that names its owner process and component process groups. */
export const OWNER_FILE = 'owner.json';

/** Contents of {@link OWNER_FILE}. */
export interface OwnerRecord {
  readonly ownerPid: number;
  /** Start time of the owner in clock ticks since boot (/proc/PID/stat field 22): tells a reused pid apart. */
  readonly ownerStart: string;
  readonly pids: readonly number[];
}

/** A running component of a cluster. */
export interface Component {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  readonly child: ChildProcess;
  /** Set once the process has exited; `undefined` while it runs. */
  exit: { readonly code: number | null; readonly signal: string | null } | undefined;
}

/** Start time of a process, or `undefined` when no such process exists (Linux /proc). */
export function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses; fields after it are plain.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19];
  } catch {
    return undefined;
  }
}

/** Writes the owner record of a cluster folder, replacing any earlier one. */
export function writeOwner(dir: string, pids: readonly number[]): void {
  const record: OwnerRecord = { ownerPid: process.pid, ownerStart: processStart(process.pid) ?? '', pids };
  writeFileSync(join(dir, OWNER_FILE), JSON.stringify(record));
}

/**
 * Spawns `bin` as the leader of a new process group with stdout and stderr appended to
 * `logFile` (and `env` on top of this process's environment). The child is unref'd: a test
 * file that forgets to stop its cluster still exits, and the owner's exit hook kills the group.
 */
export function startComponent(name: string, bin: string, args: readonly string[], logFile: string, env: Readonly<Record<string, string>> = {}): Component {
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(bin, args, { detached: true, stdio: ['ignore', fd, fd], env: { ...process.env, ...env } });
    if (child.pid === undefined) throw new Error(`could not start ${name} (${bin})`);
    const component: Component = { name, pid: child.pid, logFile, child, exit: undefined };
    child.on('exit', (code, signal) => { component.exit = { code, signal }; });
    child.on('error', () => { component.exit ??= { code: null, signal: null }; });
    child.unref();
    return component;
  } finally {
    closeSync(fd);
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

/**
 * Stops components: SIGTERM to each process group, then SIGKILL to groups still alive after
 * `graceMs`. Resolves when every leader has exited. Idempotent.
 */
export async function stopComponents(components: readonly Component[], graceMs: number): Promise<void> {
  const running = components.filter((c) => c.exit === undefined);
  // The children are unref'd; waiting for their exit must still keep the event loop alive.
  for (const c of running) c.child.ref();
  const exited = running.map((c) => new Promise<void>((resolve) => {
    if (c.exit !== undefined) resolve();
    else c.child.once('exit', () => resolve());
  }));
  for (const c of running) signalGroup(c.pid, 'SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const graceOver = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), graceMs); });
  const outcome = await Promise.race([Promise.all(exited).then(() => 'done' as const), graceOver]);
  clearTimeout(timer);
  if (outcome === 'timeout') {
    for (const c of running) if (c.exit === undefined) signalGroup(c.pid, 'SIGKILL');
    await Promise.all(exited);
  }
  // A component may have forked helpers into its group; none must outlive the cluster.
  for (const c of components) signalGroup(c.pid, 'SIGKILL');
}

/** Kills every component group at once, synchronously: for the owner's `exit` hook. */
export function killComponentsNow(components: readonly Component[]): void {
  for (const c of components) signalGroup(c.pid, 'SIGKILL');
}

function isOurs(pid: number, dir: string): boolean {
  // Every component's command line names its cluster folder, so a reused pid is never killed.
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir);
  } catch {
    return false;
  }
}

/** Folders without an owner record younger than this are being created right now. */
const ORPHAN_AGE_MS = 10 * 60 * 1000;

/**
 * Reaps the cluster folders under `root` whose owner process is dead: kills their component
 * process groups, cleans up after their worker nodes (pods, mounts, network namespaces, cgroups)
 * and removes the folders. Folders of live owners are left alone. Returns the
 * folders it removed. Never throws for a folder it cannot read.
 */
export function reapStaleClusters(root: string): readonly string[] {
  let entries: string[];
  try {
    entries = readdirSync(root);
  } catch {
    return [];
  }
  const reaped: string[] = [];
  for (const entry of entries) {
    const dir = join(root, entry);
    let record: OwnerRecord | undefined;
    try {
      record = JSON.parse(readFileSync(join(dir, OWNER_FILE), 'utf8')) as OwnerRecord;
    } catch {
      record = undefined;
    }
    if (record === undefined) {
      let age = 0;
      try {
        age = Date.now() - statSync(dir).mtimeMs;
      } catch {
        continue;
      }
      if (age < ORPHAN_AGE_MS) continue;
    } else {
      const start = processStart(record.ownerPid);
      if (start !== undefined && start === record.ownerStart) continue;
      for (const pid of record.pids) if (isOurs(pid, dir)) signalGroup(pid, 'SIGKILL');
    }
    try {
      cleanupNodesIn(dir);
    } catch {
      // Something stays mounted under a node: leave the folder rather than reach through the mount.
      continue;
    }
    rmSync(dir, { recursive: true, force: true });
    reaped.push(dir);
  }
  return reaped;
}
