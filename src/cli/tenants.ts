// `berth tenants create|list|get|update|delete`.
import { CliError, loadClient } from './client.ts';
import { flags, guarded } from './command.ts';
import { outputFormat, print, table, type Column } from './output.ts';
import { commaList, keyValues, limitRangeFile, listAll, mapText, memberOf, need, seg, type MemberArg } from './tenancy-args.ts';

const usage = `usage:
  berth tenants create NAME --clusters C1,C2 [--quota RESOURCE=QUANTITY,...] [--display-name TEXT]
                      [--member KIND:NAME=ROLE]... [--node-selector KEY=VALUE,...] [--limit-range FILE] [-o ...]
  berth tenants list [-o table|json|yaml]
  berth tenants get NAME [-o ...]
  berth tenants update NAME [--clusters C1,C2] [--quota ...] [--display-name TEXT] [--member ...]... [--node-selector ...]
                      [--limit-range FILE] [-o ...]
  berth tenants delete NAME

Quota resources are named as in ResourceQuota (requests.cpu, limits.memory, pods, services.nodeports …)
plus "namespaces". Members: KIND is User or Group, ROLE tenant-admin, member or viewer.
--limit-range names a YAML or JSON file with the default LimitRange of the tenant's namespaces:
{container: {min, max, default, defaultRequest, maxLimitRequestRatio}, pod: {min, max, maxLimitRequestRatio}}.
On update, each flag given replaces that field whole (all members, the whole quota).`;

interface Tenant {
  name: string; displayName: string; members: MemberArg[]; clusters: string[]; quota: Record<string, string>;
  nodeSelector: Record<string, string>; createdAt: string;
}

const columns: Column<Tenant>[] = [
  { heading: 'NAME', get: (t) => t.name },
  { heading: 'DISPLAY NAME', get: (t) => t.displayName },
  { heading: 'CLUSTERS', get: (t) => t.clusters },
  { heading: 'MEMBERS', get: (t) => t.members.length },
  { heading: 'QUOTA', get: (t) => mapText(t.quota) },
  { heading: 'CREATED', get: (t) => t.createdAt },
];
const memberColumns: Column<MemberArg>[] = [
  { heading: 'KIND', get: (m) => m.kind },
  { heading: 'MEMBER', get: (m) => m.name },
  { heading: 'ROLE', get: (m) => m.role },
];

function parse(rest: readonly string[]) {
  return flags(rest, {
    output: { type: 'string', short: 'o' }, clusters: { type: 'string' }, quota: { type: 'string', multiple: true },
    'display-name': { type: 'string' }, member: { type: 'string', multiple: true }, 'node-selector': { type: 'string', multiple: true },
    'limit-range': { type: 'string' },
  }, usage);
}

/** The fields the flags set; only those given, so an update leaves the rest alone. */
function fieldsOf(values: ReturnType<typeof parse>['values']): Record<string, unknown> {
  return {
    ...(values['display-name'] !== undefined ? { displayName: values['display-name'] } : {}),
    ...(values.clusters !== undefined ? { clusters: commaList(values.clusters) } : {}),
    ...(values.quota !== undefined ? { quota: keyValues(values.quota, '--quota') } : {}),
    ...(values.member !== undefined ? { members: values.member.map(memberOf) } : {}),
    ...(values['node-selector'] !== undefined ? { nodeSelector: keyValues(values['node-selector'], '--node-selector') } : {}),
    ...(values['limit-range'] !== undefined ? { defaultLimitRange: limitRangeFile(values['limit-range'], '--limit-range') } : {}),
  };
}

/** Entry point of `berth tenants`. */
export function run(args: readonly string[]): Promise<number> {
  return guarded('tenants', async () => {
    const [verb, ...rest] = args;
    const { values, positionals: [name] } = parse(rest);
    const out = outputFormat(values.output);
    const path = () => `/api/v1/tenants/${seg(need(name, 'a tenant NAME', usage))}`;
    switch (verb) {
      case 'create': {
        const n = need(name, 'a tenant NAME', usage);
        need(values.clusters, '--clusters C1,C2', usage);
        const body = { name: n, ...fieldsOf(values) };
        const t = await loadClient().request<Tenant>('POST', '/api/v1/tenants', body);
        if (out === 'table') process.stdout.write(`tenant ${t.name} created on ${t.clusters.join(', ')}\n`);
        else print(out, t, [t], columns);
        return;
      }
      case 'list': {
        const items = await listAll<Tenant>(loadClient(), '/api/v1/tenants');
        print(out, { kind: 'TenantList', items }, items, columns);
        return;
      }
      case 'get': {
        const t = await loadClient().request<Tenant>('GET', path());
        print(out, t, [t], columns);
        if (out === 'table' && t.members.length > 0) process.stdout.write(`\n${table(t.members, memberColumns)}`);
        return;
      }
      case 'update': {
        const patch = fieldsOf(values);
        if (Object.keys(patch).length === 0) throw new CliError(`nothing to update: give at least one flag\n${usage}`, 2);
        const t = await loadClient().request<Tenant>('PATCH', path(), patch);
        if (out === 'table') process.stdout.write(`tenant ${t.name} updated\n`);
        else print(out, t, [t], columns);
        return;
      }
      case 'delete':
        await loadClient().request('DELETE', path());
        process.stdout.write(`tenant ${name} deleted\n`);
        return;
      default:
        throw new CliError(usage, 2);
    }
  });
}
