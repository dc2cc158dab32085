// `berth render --tenant T [--cluster C] [-o yaml|json]`: the objects the reconciler applies for a
// tenant, from the server's own renderer, for GitOps and review.
import { dump } from 'js-yaml';
import { CliError, loadClient } from './client.ts';
import { flags, guarded } from './command.ts';
import { need, seg } from './tenancy-args.ts';

const usage = `usage: berth render --tenant T [--cluster C] [-o yaml|json]

Prints every object Berth applies for the tenant (on one cluster with --cluster): a YAML stream
(one document per object) or, with -o json, one JSON List.`;

/**
 * Entry point of `berth render`. YAML documents are separated by `---` and keep the server's
 * field order, so the output can go straight to `kubectl apply --server-side -f -`.
 */
export function run(args: readonly string[]): Promise<number> {
  return guarded('render', async () => {
    const { values, positionals } = flags(args, {
      output: { type: 'string', short: 'o' }, tenant: { type: 'string' }, cluster: { type: 'string' },
    }, usage);
    if (positionals.length > 0) throw new CliError(`unexpected argument "${positionals[0]}"\n${usage}`, 2);
    const format = values.output ?? 'yaml';
    if (format !== 'yaml' && format !== 'json') throw new CliError(`unknown output format "${format}": use yaml or json`, 2);
    const path = `/api/v1/tenants/${seg(need(values.tenant, '--tenant T', usage))}/render${values.cluster ? `?cluster=${seg(values.cluster)}` : ''}`;
    const list = await loadClient().request<{ apiVersion: string; kind: string; items: unknown[] }>('GET', path);
    if (format === 'json') process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
    else process.stdout.write(list.items.map((item) => dump(item, { noRefs: true })).join('---\n'));
  });
}
