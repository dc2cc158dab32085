// `berth ports …`: a cluster's NodePort map — reserve legacy business ports (one range, or an
// import from CSV or JSON), allocate ports to tenants, release both, and list the map.
import { closeSync, openSync, readSync } from 'node:fs';
import { extname } from 'node:path';
import { CliError, loadClient } from './client.ts';
import { flags, guarded } from './command.ts';
import { outputFormat, print, type Column } from './output.ts';

const usage = `usage:
  berth ports list --cluster C [-o table|json|yaml]
  berth ports reserve --cluster C PORT[-PORT] --owner TEXT [--note TEXT] [-o ...]
  berth ports import --cluster C --file F [--format csv|json]
  berth ports import --from-cluster C [--dry-run] [-o ...]   (also: --cluster C --from-cluster)
  berth ports allocate --cluster C --tenant T [--service NAMESPACE/NAME] [--port PORT] [-o ...]
  berth ports release --cluster C PORT[-PORT]            (a reservation, by its exact ports)
  berth ports release --cluster C PORT --allocation      (a port allocated to a tenant)

import files: CSV lines "port[-port],owner[,note]" (quoted as RFC 4180; a header line is
allowed), or JSON: a list of {"ports", "owner", "note"} objects. The format comes from the file's
extension (.csv, .json), else from its first character.
--from-cluster reserves every node port that a Service outside Berth's tenant namespaces of C
uses, as C's API server lists them now, each for its Service ("Service namespace/name").`;

/** Largest import file read, in bytes (the server accepts at most 512 Ki characters). */
const maxFileBytes = 512 * 1024;

interface Reservation { cluster: string; ports: string; from: number; to: number; owner: string; note: string }
interface Allocation { cluster: string; port: number; tenant: string; service?: string; state?: 'held' | 'pending' | 'bound'; expiresAt?: string }
interface Use { port: number; namespace: string; service: string }
interface Conflict { port: number; ports: string; owner: string; service: string }
interface ImportedPort { port: number; service: string; status: string }
interface ClusterImport { cluster: string; created: Reservation[]; unchanged: number; imported: ImportedPort[]; tenantPorts: number; dryRun: boolean }
interface PortMap { cluster: string; range: string; size: number; free: number; used: Use[]; reserved: Reservation[]; allocated: Allocation[]; conflicts: Conflict[] }

/** One row of the table form of the map. */
interface Row { ports: string; from: number; state: string; owner: string; detail: string }

const columns: Column<Row>[] = [
  { heading: 'PORTS', get: (r) => r.ports },
  { heading: 'STATE', get: (r) => r.state },
  { heading: 'OWNER', get: (r) => r.owner },
  { heading: 'DETAIL', get: (r) => r.detail },
];
const importColumns: Column<ImportedPort>[] = [
  { heading: 'PORT', get: (p) => p.port },
  { heading: 'SERVICE', get: (p) => p.service },
  { heading: 'STATUS', get: (p) => p.status },
];
const allocationColumns: Column<Allocation>[] = [
  { heading: 'PORT', get: (a) => a.port },
  { heading: 'TENANT', get: (a) => a.tenant },
  { heading: 'SERVICE', get: (a) => a.service },
  { heading: 'STATE', get: (a) => a.state },
];

/** `allocated` for a port held through the API; the webhook's show whether their Service was seen yet (`allocated/pending`, `allocated/bound`). */
function allocationState(a: Allocation): string {
  return a.state === undefined || a.state === 'held' ? 'allocated' : `allocated/${a.state}`;
}

function rowsOf(map: PortMap): Row[] {
  const rows: Row[] = [
    ...map.reserved.map((r) => ({ ports: r.ports, from: r.from, state: 'reserved', owner: r.owner, detail: r.note })),
    ...map.allocated.map((a) => ({
      ports: String(a.port), from: a.port, state: allocationState(a), owner: `tenant ${a.tenant}`,
      detail: `${a.service ?? ''}${a.expiresAt ? ` (released at ${a.expiresAt} unless the Service shows up)` : ''}`,
    })),
    ...map.used.map((u) => ({ ports: String(u.port), from: u.port, state: 'used', owner: `service ${u.namespace}/${u.service}`, detail: '' })),
    ...map.conflicts.map((c) => ({ ports: String(c.port), from: c.port, state: 'conflict', owner: c.owner, detail: `reserved (${c.ports}) but Service ${c.service} uses it` })),
  ];
  return rows.sort((a, b) => a.from - b.from);
}

/**
 * `--from-cluster` takes the cluster's name, but may also stand alone after `--cluster C`: a bare
 * one (last, or before another flag) is given the empty value, which means "the --cluster".
 */
function bareFromCluster(args: readonly string[]): string[] {
  return args.map((arg, k) => (arg === '--from-cluster' && (k === args.length - 1 || args[k + 1].startsWith('-')) ? '--from-cluster=' : arg));
}

/** The cluster of an import from a cluster; --cluster and --from-cluster must agree, and --file is not for it. */
function importCluster(cluster: string | undefined, from: string, file: string | undefined): string {
  if (file !== undefined) throw new CliError(`--from-cluster and --file are mutually exclusive\n${usage}`, 2);
  if (from !== '' && cluster !== undefined && from !== cluster) {
    throw new CliError(`--from-cluster ${from} and --cluster ${cluster} differ: the ports of a cluster are reserved in that cluster\n${usage}`, 2);
  }
  return need(from || cluster, '--cluster');
}

function need(v: string | undefined, what: string): string {
  if (!v) throw new CliError(`${what} is required\n${usage}`, 2);
  return v;
}

function readImport(file: string, format: string | undefined): { format: 'csv' | 'json'; data: string } {
  let data: string;
  try {
    const fd = openSync(file, 'r');
    try {
      const buf = Buffer.alloc(maxFileBytes + 1);
      const n = readSync(fd, buf, 0, buf.length, 0);
      if (n > maxFileBytes) throw new CliError(`${file} is larger than ${maxFileBytes} bytes; split it into several imports`);
      data = buf.subarray(0, n).toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`);
  }
  const chosen = format ?? ({ '.csv': 'csv', '.json': 'json' } as Record<string, string>)[extname(file).toLowerCase()] ?? (/^\s*[[{]/.test(data) ? 'json' : 'csv');
  if (chosen !== 'csv' && chosen !== 'json') throw new CliError(`--format must be csv or json, got "${chosen}"`, 2);
  return { format: chosen, data };
}

/** Entry point of `berth ports`. */
export function run(args: readonly string[]): Promise<number> {
  return guarded('ports', async () => {
    const [verb, ...rest] = args;
    const { values, positionals: [a] } = flags(bareFromCluster(rest), {
      'from-cluster': { type: 'string' }, 'dry-run': { type: 'boolean' }, cluster: { type: 'string' }, owner: { type: 'string' }, note: { type: 'string' }, file: { type: 'string' }, format: { type: 'string' },
      tenant: { type: 'string' }, service: { type: 'string' }, port: { type: 'string' }, allocation: { type: 'boolean' },
      output: { type: 'string', short: 'o' },
    }, usage);
    const out = outputFormat(values.output);
    if (!['list', 'reserve', 'import', 'allocate', 'release'].includes(verb ?? '')) throw new CliError(usage, 2);
    const fromCluster = values['from-cluster'];
    if (fromCluster !== undefined && verb !== 'import') throw new CliError(`--from-cluster is only for import\n${usage}`, 2);
    const cluster = fromCluster === undefined ? need(values.cluster, '--cluster') : importCluster(values.cluster, fromCluster, values.file);
    const base = `/api/v1/clusters/${encodeURIComponent(cluster)}/nodeports`;
    const client = loadClient();
    switch (verb) {
      case 'list': {
        const map = await client.request<PortMap>('GET', base);
        print(out, map, rowsOf(map), columns);
        if (out === 'table') process.stdout.write(`${map.free} of ${map.size} ports free in ${map.range}\n`);
        return;
      }
      case 'reserve': {
        const r = await client.request<Reservation>('POST', `${base}/reservations`, {
          ports: need(a, 'PORT or PORT-PORT'), owner: need(values.owner, '--owner'), ...(values.note !== undefined ? { note: values.note } : {}),
        });
        if (out === 'table') process.stdout.write(`reserved ${r.ports} on cluster ${r.cluster} for ${r.owner}\n`);
        else print(out, r, [], []);
        return;
      }
      case 'import': {
        if (fromCluster !== undefined) {
          const result = await client.request<ClusterImport>('POST', `${base}/reservations/import`, { from: 'cluster', ...(values['dry-run'] ? { dryRun: true } : {}) });
          print(out, result, result.imported, importColumns);
          if (out === 'table') {
            const n = result.created.length;
            process.stdout.write(`${result.dryRun ? 'would reserve' : 'reserved'} ${n} port${n === 1 ? '' : 's'} on cluster ${cluster} (${result.unchanged} already reserved so; ${result.tenantPorts} in tenant namespaces left alone)\n`);
          }
          return;
        }
        if (values['dry-run']) throw new CliError(`--dry-run is only for --from-cluster\n${usage}`, 2);
        const result = await client.request<{ created: Reservation[]; unchanged: number }>('POST', `${base}/reservations/import`, readImport(need(values.file, '--file'), values.format));
        if (out === 'table') process.stdout.write(`reserved ${result.created.length} port ranges on cluster ${cluster} (${result.unchanged} already reserved so)\n`);
        else print(out, result, [], []);
        return;
      }
      case 'allocate': {
        const port = values.port === undefined ? undefined : Number(values.port);
        if (port !== undefined && !Number.isInteger(port)) throw new CliError(`--port must be a port number, got "${values.port}"`, 2);
        const r = await client.request<Allocation>('POST', `${base}/allocations`, {
          tenant: need(values.tenant, '--tenant'), ...(values.service ? { service: values.service } : {}), ...(port !== undefined ? { port } : {}),
        });
        if (out === 'table') process.stdout.write(`allocated port ${r.port} on cluster ${r.cluster} to tenant ${r.tenant}${r.service ? ` for ${r.service}` : ''}\n`);
        else print(out, r, [r], allocationColumns);
        return;
      }
      default: {
        const ports = need(a, 'PORT or PORT-PORT');
        await client.request('DELETE', `${base}/${values.allocation ? 'allocations' : 'reservations'}/${encodeURIComponent(ports)}`);
        process.stdout.write(`released ${values.allocation ? 'allocated port' : 'reserved ports'} ${ports} on cluster ${cluster}\n`);
      }
    }
  });
}
