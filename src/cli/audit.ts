// `berth audit list|export|verify`.
import { CliError, loadClient } from './client.ts';
import { flags, guarded } from './command.ts';
import { outputFormat, print, type Column } from './output.ts';

const usage = `usage:
  berth audit list [--actor A] [--tenant T] [--resource R] [--action X] [--outcome success|failure] [--since TIME] [--until TIME] [--limit N] [-o ...]
  berth audit export [filters] [--format jsonl|csv]
  berth audit verify [-o ...]`;

interface Rec { seq: number; time: string; actor: string; action: string; resource: string; name: string; tenant: string; outcome: string; code: number; sourceIp: string }

const columns: Column<Rec>[] = [
  { heading: 'SEQ', get: (r) => r.seq },
  { heading: 'TIME', get: (r) => r.time },
  { heading: 'ACTOR', get: (r) => r.actor },
  { heading: 'ACTION', get: (r) => r.action },
  { heading: 'RESOURCE', get: (r) => r.resource },
  { heading: 'NAME', get: (r) => r.name },
  { heading: 'TENANT', get: (r) => r.tenant },
  { heading: 'OUTCOME', get: (r) => `${r.outcome} (${r.code})` },
  { heading: 'FROM', get: (r) => r.sourceIp },
];

/** Entry point of `berth audit`. Exit status of `verify`: 0 intact, 1 broken. */
export function run(args: readonly string[]): Promise<number> {
  return guarded('audit', async () => {
    const [verb, ...rest] = args;
    const { values } = flags(rest, {
      output: { type: 'string', short: 'o' }, actor: { type: 'string' }, tenant: { type: 'string' }, resource: { type: 'string' },
      action: { type: 'string' }, outcome: { type: 'string' }, since: { type: 'string' }, until: { type: 'string' },
      limit: { type: 'string' }, format: { type: 'string' },
    }, usage);
    const out = outputFormat(values.output);
    const client = loadClient();
    const q = new URLSearchParams();
    for (const k of ['actor', 'tenant', 'resource', 'action', 'outcome', 'since', 'until'] as const) if (values[k]) q.set(k, values[k]!);
    switch (verb) {
      case 'list': {
        q.set('limit', values.limit ?? '50');
        const page = await client.request<{ items: Rec[] }>('GET', `/api/v1/audit?${q}`);
        print(out, page, page.items, columns);
        return;
      }
      case 'export': {
        const format = values.format ?? 'jsonl';
        if (format !== 'jsonl' && format !== 'csv') throw new CliError('--format must be jsonl or csv', 2);
        q.set('format', format);
        process.stdout.write(await client.text('GET', `/api/v1/audit/export?${q}`));
        return;
      }
      case 'verify': {
        const r = await client.request<{ ok: boolean; checked: number; firstBad?: { seq: number; problem: string; message: string } }>('GET', '/api/v1/audit/verify');
        if (out !== 'table') print(out, r, [], []);
        else if (r.ok) process.stdout.write(`audit log intact: ${r.checked} records verified\n`);
        else process.stdout.write(`audit log BROKEN at record ${r.firstBad!.seq} (${r.firstBad!.problem}): ${r.firstBad!.message}\n${r.checked} records verified before it\n`);
        return r.ok ? 0 : 1;
      }
      default:
        throw new CliError(usage, 2);
    }
  });
}
