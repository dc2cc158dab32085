// `berth namespaces create|list|get|update|delete`: a tenant's namespaces on its clusters.
import { CliError, loadClient } from './client.ts';
import { flags, guarded } from './command.ts';
import { outputFormat, print, table, type Column } from './output.ts';
import { keyValues, limitRangeFile, listAll, mapText, need, seg } from './tenancy-args.ts';

const usage = `usage:
  berth namespaces create NAME --tenant T --cluster C [--quota RESOURCE=QUANTITY,...] [--limit-range FILE] [--adopt] [-o ...]
  berth namespaces list --tenant T [--cluster C] [-o table|json|yaml]
  berth namespaces get NAME --tenant T --cluster C [-o ...]
  berth namespaces update NAME --tenant T --cluster C [--quota RESOURCE=QUANTITY,...] [--limit-range FILE | --tenant-limit-range] [-o ...]
  berth namespaces delete NAME --tenant T --cluster C [--force]

--adopt takes over a namespace that already exists in the cluster and is not Berth's; without it
such a namespace is refused. delete is refused while pods run in the namespace, unless --force.
--limit-range names a YAML or JSON file with the namespace's own LimitRange (inside the tenant's
bounds); --tenant-limit-range goes back to the tenant's default.`;

interface ObjectStatus { kind: string; name: string; state: string; message: string; updatedAt: string }
interface Namespace {
  name: string; tenant: string; cluster: string; quota: Record<string, string>; adopted: boolean; createdAt: string;
  usage?: { hard: Record<string, string>; used: Record<string, string>; observedAt: string }; objects: ObjectStatus[];
}

/** `5 Applied` or `4 Applied, 1 Failed`: how the namespace's objects stand in the cluster. */
function objectSummary(objects: readonly ObjectStatus[] | undefined): string {
  const counts = new Map<string, number>();
  for (const o of objects ?? []) counts.set(o.state, (counts.get(o.state) ?? 0) + 1);
  return [...counts].sort(([a], [b]) => (a < b ? -1 : 1)).map(([state, n]) => `${n} ${state}`).join(', ');
}

const columns: Column<Namespace>[] = [
  { heading: 'NAME', get: (n) => n.name },
  { heading: 'CLUSTER', get: (n) => n.cluster },
  { heading: 'TENANT', get: (n) => n.tenant },
  { heading: 'QUOTA', get: (n) => mapText(n.quota) },
  { heading: 'OBJECTS', get: (n) => objectSummary(n.objects) },
  { heading: 'ADOPTED', get: (n) => n.adopted },
  { heading: 'CREATED', get: (n) => n.createdAt },
];
const objectColumns: Column<ObjectStatus>[] = [
  { heading: 'KIND', get: (o) => o.kind },
  { heading: 'OBJECT', get: (o) => o.name },
  { heading: 'STATE', get: (o) => o.state },
  { heading: 'UPDATED', get: (o) => o.updatedAt },
  { heading: 'MESSAGE', get: (o) => o.message },
];

/** Entry point of `berth namespaces`. */
export function run(args: readonly string[]): Promise<number> {
  return guarded('namespaces', async () => {
    const [verb, ...rest] = args;
    const { values, positionals: [name] } = flags(rest, {
      output: { type: 'string', short: 'o' }, tenant: { type: 'string' }, cluster: { type: 'string' },
      quota: { type: 'string', multiple: true }, adopt: { type: 'boolean' }, force: { type: 'boolean' },
      'limit-range': { type: 'string' }, 'tenant-limit-range': { type: 'boolean' },
    }, usage);
    const out = outputFormat(values.output);
    const tenant = () => `/api/v1/tenants/${seg(need(values.tenant, '--tenant T', usage))}/namespaces`;
    const one = () => `${tenant()}/${seg(need(values.cluster, '--cluster C', usage))}/${seg(need(name, 'a namespace NAME', usage))}`;
    switch (verb) {
      case 'create': {
        const body = {
          name: need(name, 'a namespace NAME', usage), cluster: need(values.cluster, '--cluster C', usage),
          ...(values.quota !== undefined ? { quota: keyValues(values.quota, '--quota') } : {}), ...(values.adopt ? { adopt: true } : {}),
          ...(values['limit-range'] !== undefined ? { limitRange: limitRangeFile(values['limit-range'], '--limit-range') } : {}),
        };
        const path = tenant();
        const n = await loadClient().request<Namespace>('POST', path, body);
        if (out === 'table') process.stdout.write(`namespace ${n.name} created in cluster ${n.cluster} for tenant ${n.tenant}${n.adopted ? ' (adopted)' : ''}\n`);
        else print(out, n, [n], columns);
        return;
      }
      case 'list': {
        const path = tenant();
        const items = (await listAll<Namespace>(loadClient(), path)).filter((n) => values.cluster === undefined || n.cluster === values.cluster);
        print(out, { kind: 'NamespaceList', items }, items, columns);
        return;
      }
      case 'get': {
        const n = await loadClient().request<Namespace>('GET', one());
        print(out, n, [n], columns);
        if (out === 'table' && n.objects.length > 0) process.stdout.write(`\n${table(n.objects, objectColumns)}`);
        return;
      }
      case 'update': {
        const path = one();
        if (values['limit-range'] !== undefined && values['tenant-limit-range']) throw new CliError(`give --limit-range or --tenant-limit-range, not both\n${usage}`, 2);
        const patch = {
          ...(values.quota !== undefined ? { quota: keyValues(values.quota, '--quota') } : {}),
          ...(values['limit-range'] !== undefined ? { limitRange: limitRangeFile(values['limit-range'], '--limit-range') } : {}),
          ...(values['tenant-limit-range'] ? { limitRange: null } : {}),
        };
        if (Object.keys(patch).length === 0) throw new CliError(`nothing to update: give --quota, --limit-range or --tenant-limit-range\n${usage}`, 2);
        const n = await loadClient().request<Namespace>('PATCH', path, patch);
        if (out === 'table') process.stdout.write(`namespace ${n.name} in cluster ${n.cluster} updated\n`);
        else print(out, n, [n], columns);
        return;
      }
      case 'delete': {
        const path = one();
        await loadClient().request('DELETE', `${path}${values.force ? '?force=true' : ''}`);
        process.stdout.write(`namespace ${name} deleted from cluster ${values.cluster}\n`);
        return;
      }
      default:
        throw new CliError(usage, 2);
    }
  });
}
