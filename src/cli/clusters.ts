// `berth clusters add|list|get|update|remove`: the Kubernetes clusters Berth manages.
import { readFileSync } from 'node:fs';
import { CliError, loadClient } from './client.ts';
import { flags, guarded } from './command.ts';
import { outputFormat, print, table, type Column } from './output.ts';
import { keyValues, listAll, mapText, need, seg } from './tenancy-args.ts';

const usage = `usage:
  berth clusters add NAME --kubeconfig FILE [--label KEY=VALUE]... [--webhook-failure-policy Fail|Ignore] [-o ...]
  berth clusters list [-o table|json|yaml]
  berth clusters get NAME [-o ...]
  berth clusters update NAME [--webhook-failure-policy Fail|Ignore] [--label KEY=VALUE]... [--kubeconfig FILE] [-o ...]
  berth clusters remove NAME [--force]

The kubeconfig must carry its credentials inline (token or client certificate data); Berth stores
them encrypted and never shows them again. remove is refused while tenants have namespaces on the
cluster; --force first deletes Berth's objects from the cluster. update replaces what it is given:
the labels (all of them) when --label is, the credentials when --kubeconfig is; the reconciler
then registers Berth's webhooks with the new failure policy (Ignore lets creates in tenant
namespaces through unchecked while Berth cannot be reached; Fail refuses them).`;

interface Condition { type: string; status: string; reason: string; message: string; lastTransitionTime: string }
interface Cluster {
  name: string; server: string; labels: Record<string, string>; settings: { webhookFailurePolicy?: string };
  status: 'Ready' | 'Degraded'; conditions: Condition[]; version?: string; nodes?: { total: number; ready: number };
  capacity?: { cpu: string; memory: string; pods: string }; probedAt?: string; createdAt: string;
}

const columns: Column<Cluster>[] = [
  { heading: 'NAME', get: (c) => c.name },
  { heading: 'STATUS', get: (c) => c.status },
  { heading: 'VERSION', get: (c) => c.version },
  { heading: 'NODES', get: (c) => (c.nodes ? `${c.nodes.ready}/${c.nodes.total}` : undefined) },
  { heading: 'CPU', get: (c) => c.capacity?.cpu },
  { heading: 'MEMORY', get: (c) => c.capacity?.memory },
  { heading: 'LABELS', get: (c) => mapText(c.labels) },
  { heading: 'SERVER', get: (c) => c.server },
];
const conditionColumns: Column<Condition>[] = [
  { heading: 'CONDITION', get: (c) => c.type },
  { heading: 'STATUS', get: (c) => c.status },
  { heading: 'REASON', get: (c) => c.reason },
  { heading: 'SINCE', get: (c) => c.lastTransitionTime },
  { heading: 'MESSAGE', get: (c) => c.message },
];

function readKubeconfig(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read --kubeconfig ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 2);
  }
}

/** Entry point of `berth clusters`. */
export function run(args: readonly string[]): Promise<number> {
  return guarded('clusters', async () => {
    const [verb, ...rest] = args;
    const { values, positionals: [name] } = flags(rest, {
      output: { type: 'string', short: 'o' }, kubeconfig: { type: 'string' }, label: { type: 'string', multiple: true },
      'webhook-failure-policy': { type: 'string' }, force: { type: 'boolean' },
    }, usage);
    const out = outputFormat(values.output);
    switch (verb) {
      case 'add': {
        const body = {
          name: need(name, 'a cluster NAME', usage), kubeconfig: readKubeconfig(need(values.kubeconfig, '--kubeconfig FILE', usage)),
          labels: keyValues(values.label, '--label'),
          ...(values['webhook-failure-policy'] ? { settings: { webhookFailurePolicy: values['webhook-failure-policy'] } } : {}),
        };
        const c = await loadClient().request<Cluster>('POST', '/api/v1/clusters', body);
        if (out === 'table') process.stdout.write(`cluster ${c.name} added (${c.status}${c.version ? `, Kubernetes ${c.version}` : ''})\n`);
        else print(out, c, [c], columns);
        return;
      }
      case 'list': {
        const items = await listAll<Cluster>(loadClient(), '/api/v1/clusters');
        print(out, { kind: 'ClusterList', items }, items, columns);
        return;
      }
      case 'get': {
        const c = await loadClient().request<Cluster>('GET', `/api/v1/clusters/${seg(need(name, 'a cluster NAME', usage))}`);
        print(out, c, [c], columns);
        if (out === 'table' && c.conditions.length > 0) process.stdout.write(`\n${table(c.conditions, conditionColumns)}`);
        return;
      }
      case 'update': {
        const policy = values['webhook-failure-policy'];
        const patch = {
          ...(values.label === undefined ? {} : { labels: keyValues(values.label, '--label') }),
          ...(policy === undefined ? {} : { settings: { webhookFailurePolicy: policy } }),
          ...(values.kubeconfig === undefined ? {} : { kubeconfig: readKubeconfig(values.kubeconfig) }),
        };
        if (Object.keys(patch).length === 0) throw new CliError(`nothing to update: give at least one flag\n${usage}`, 2);
        const c = await loadClient().request<Cluster>('PATCH', `/api/v1/clusters/${seg(need(name, 'a cluster NAME', usage))}`, patch);
        if (out === 'table') process.stdout.write(`cluster ${c.name} updated\n`);
        else print(out, c, [c], columns);
        return;
      }
      case 'remove': {
        const n = need(name, 'a cluster NAME', usage);
        await loadClient().request('DELETE', `/api/v1/clusters/${seg(n)}${values.force ? '?force=true' : ''}`);
        process.stdout.write(`cluster ${n} removed\n`);
        return;
      }
      default:
        throw new CliError(usage, 2);
    }
  });
}
