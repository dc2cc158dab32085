// `berth check --state PATH... -f PATH... [-o json|table]`: offline admission preflight
// (DESIGN.md section 7). Reads manifests, admits the -f objects in order against the state as
// kube-apiserver with LimitRanger and ResourceQuota would, prints results and quota usage.
// Exit status: 0 all allowed, 1 some refused, 2 bad input.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { AdmissionState, ManifestError, parseManifests, type AdmissionResult, type ManifestObject, type QuotaReport } from '../compute/index.ts';
import { table } from './output.ts';

const USAGE = 'usage: berth check --state PATH... -f PATH... [-o json|table]';
const MANIFEST_EXTENSIONS = ['.yaml', '.yml', '.json'];

class BadInput extends Error {}

interface CheckArgs {
  readonly state: readonly string[];
  readonly files: readonly string[];
  readonly output: 'json' | 'table';
}

/** Parses the flags; each of --state and -f takes one or more paths and may repeat. */
export function parseCheckArgs(args: readonly string[], isTty: boolean): CheckArgs | 'help' {
  const state: string[] = [];
  const files: string[] = [];
  let output: string | undefined;
  let target: string[] | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const inline = eq > 0 ? arg.slice(eq + 1) : undefined;
    switch (flag) {
      case '-h':
      case '--help':
        return 'help';
      case '--state':
        target = state;
        if (inline !== undefined) state.push(inline);
        break;
      case '-f':
      case '--filename':
        target = files;
        if (inline !== undefined) files.push(inline);
        break;
      case '-o':
      case '--output':
        output = inline ?? args[++i];
        target = undefined;
        if (output === undefined) throw new BadInput(`-o needs a value\n${USAGE}`);
        break;
      default:
        if (arg.startsWith('-') && arg !== '-') throw new BadInput(`unknown flag ${arg}\n${USAGE}`);
        if (!target) throw new BadInput(`unexpected argument ${arg}\n${USAGE}`);
        target.push(arg);
    }
  }
  if (files.length === 0) throw new BadInput(`-f is required\n${USAGE}`);
  const format = output ?? (isTty ? 'table' : 'json');
  if (format !== 'json' && format !== 'table') throw new BadInput(`unknown output format "${format}": use json or table`);
  return { state, files, output: format };
}

/** Every manifest file under a path: the file itself, or a folder's files recursively in sorted order. */
function manifestFiles(path: string): string[] {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    throw new BadInput(`${path}: no such file or directory`);
  }
  if (!stat.isDirectory()) return [path];
  return readdirSync(path).sort().flatMap((entry) => {
    const full = join(path, entry);
    if (statSync(full).isDirectory()) return manifestFiles(full);
    return MANIFEST_EXTENSIONS.some((ext) => entry.endsWith(ext)) ? [full] : [];
  });
}

function load(paths: readonly string[]): ManifestObject[] {
  return paths.flatMap(manifestFiles).flatMap((file) => {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new BadInput(`${file}: ${(err as Error).message}`);
    }
    return parseManifests(text, file);
  });
}

/** The whole check: admits the -f objects against the state. Throws BadInput or ManifestError for bad input. */
export function check(args: CheckArgs): { results: AdmissionResult[]; quotas: QuotaReport[] } {
  const state = load(args.state);
  const incoming = load(args.files);
  const admission = new AdmissionState();
  for (const m of state) admission.addExisting(m.object);
  const results = incoming.map((m) => admission.admit(m.object));
  return { results, quotas: admission.quotaReports() };
}

function printTable(results: readonly AdmissionResult[], quotas: readonly QuotaReport[]): string {
  const out = [table(results, [
    { heading: 'KIND', get: (r) => r.kind },
    { heading: 'NAMESPACE', get: (r) => r.namespace },
    { heading: 'NAME', get: (r) => r.name },
    { heading: 'ALLOWED', get: (r) => (r.allowed ? 'yes' : 'no') },
    { heading: 'QOS', get: (r) => r.qosClass },
    { heading: 'REASON', get: (r) => r.reason },
  ])];
  if (quotas.length > 0) {
    const rows = quotas.flatMap((q) => Object.keys(q.hard).sort().map((resource) => ({ ...q, resource })));
    out.push('\n', table(rows, [
      { heading: 'NAMESPACE', get: (r) => r.namespace },
      { heading: 'QUOTA', get: (r) => r.name },
      { heading: 'RESOURCE', get: (r) => r.resource },
      { heading: 'USED', get: (r) => r.used[r.resource] ?? '-' },
      { heading: 'HARD', get: (r) => r.hard[r.resource] },
    ]));
  }
  return out.join('');
}

/** Entry point of `berth check`; resolves to the exit status. */
export async function run(args: readonly string[]): Promise<number> {
  try {
    const parsed = parseCheckArgs(args, process.stdout.isTTY === true);
    if (parsed === 'help') {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const { results, quotas } = check(parsed);
    process.stdout.write(parsed.output === 'json' ? `${JSON.stringify({ results, quotas })}\n` : printTable(results, quotas));
    return results.every((r) => r.allowed) ? 0 : 1;
  } catch (err) {
    if (err instanceof BadInput || err instanceof ManifestError) {
      process.stderr.write(`berth check: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}
