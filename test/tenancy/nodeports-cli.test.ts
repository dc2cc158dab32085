// `berth ports` against a real server: reserve, list (table and JSON, the contract scripts read),
// import from CSV and JSON files, allocate and release.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminPassword } from '../support/server.ts';
import { tenancyOf } from '../../src/tenancy/index.ts';
import { startPortsServer, type PortsServer } from './nodeports-support.ts';

const main = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');

function berth(args: string[], env: Record<string, string>, stdin = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [main, ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.stdin.end(stdin);
    child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe('berth ports', () => {
  let s: PortsServer;
  let dir: string;
  let env: Record<string, string>;
  before(async () => {
    s = await startPortsServer('sqlite');
    s.directory.clusters.set('east', { nodePortRange: { base: 30000, size: 2768 } });
    s.directory.tenants.set('acme', { clusters: ['east'], namespaces: [{ cluster: 'east', name: 'shop' }] });
    dir = mkdtempSync(join(tmpdir(), 'berth-ports-cli-'));
    env = { BERTH_CONFIG: join(dir, 'config.json') };
    const login = await berth(['login', '--server', s.url, '--username', 'admin', '--password-stdin'], env, `${adminPassword}\n`);
    assert.equal(login.code, 0, login.stderr);
  });
  after(async () => {
    await s?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reserves a range and lists the map as a table and as JSON', async () => {
    const r = await berth(['ports', 'reserve', '--cluster', 'east', '30080-30090', '--owner', 'billing team', '--note', 'mainframe'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /reserved 30080-30090 on cluster east for billing team/);
    const table = await berth(['ports', 'list', '--cluster', 'east'], env);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^PORTS\s+STATE\s+OWNER\s+DETAIL\n30080-30090\s+reserved\s+billing team\s+mainframe\n/);
    assert.match(table.stdout, /2757 of 2768 ports free in 30000-32767\n$/);
    const json = await berth(['ports', 'list', '--cluster', 'east', '-o', 'json'], env);
    const map = JSON.parse(json.stdout);
    assert.equal(map.range, '30000-32767');
    assert.deepEqual(map.reserved.map((x: any) => [x.ports, x.owner, x.note]), [['30080-30090', 'billing team', 'mainframe']]);
    assert.equal(map.free, 2757);
  });

  it('refuses a port a reservation holds, naming its owner, with exit status 1', async () => {
    const r = await berth(['ports', 'allocate', '--cluster', 'east', '--tenant', 'acme', '--port', '30085'], env);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /owner "billing team".*\(HTTP 409\)/);
  });

  it('imports CSV and JSON files, refusing a bad line with its number and writing nothing', async () => {
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'port,owner,note\n30200,"ops, nights"\n302o1,typo\n');
    const refused = await berth(['ports', 'import', '--cluster', 'east', '--file', bad], env);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /line 3\.ports: Invalid value: "302o1"/);
    const good = join(dir, 'good.csv');
    writeFileSync(good, 'port,owner,note\n30200,"ops, nights"\n30201-30203,dns,"say ""hi"""\n');
    const ok = await berth(['ports', 'import', '--cluster', 'east', '--file', good], env);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /reserved 2 port ranges on cluster east \(0 already reserved so\)/);
    // A JSON file without an extension: the format comes from its first character.
    const asJson = join(dir, 'more');
    writeFileSync(asJson, JSON.stringify([{ ports: '30300', owner: 'radius' }]));
    const more = await berth(['ports', 'import', '--cluster', 'east', '--file', asJson], env);
    assert.equal(more.code, 0, more.stderr);
    const map = JSON.parse((await berth(['ports', 'list', '--cluster', 'east', '-o', 'json'], env)).stdout);
    assert.deepEqual(map.reserved.map((x: any) => [x.ports, x.owner, x.note]), [
      ['30080-30090', 'billing team', 'mainframe'], ['30200', 'ops, nights', ''], ['30201-30203', 'dns', 'say "hi"'], ['30300', 'radius', ''],
    ]);
  });

  it('allocates to a tenant and releases allocations and reservations', async () => {
    const a = await berth(['ports', 'allocate', '--cluster', 'east', '--tenant', 'acme', '--service', 'shop/web', '-o', 'json'], env);
    assert.equal(a.code, 0, a.stderr);
    const port = JSON.parse(a.stdout).port as number;
    const listed = await berth(['ports', 'list', '--cluster', 'east'], env);
    assert.match(listed.stdout, new RegExp(`\\n${port}\\s+allocated\\s+tenant acme\\s+shop/web\\n`));
    // One the nodeports webhook took for a Service not seen yet shows as pending, with its deadline.
    const [pending] = await tenancyOf(s.server.instances).parts.nodePorts.allocateForService(
      { principal: { type: 'user', name: 'system:admission:east', platformRoles: ['platform-admin'], tenantRoles: [] }, sourceIp: 'cluster/east', requestId: 'cli-test' },
      'east', { tenant: 'acme', namespace: 'shop', name: 'api', generateName: false, ports: [undefined] });
    const withPending = await berth(['ports', 'list', '--cluster', 'east'], env);
    assert.match(withPending.stdout, new RegExp(`\\n${pending}\\s+allocated/pending\\s+tenant acme\\s+shop/api \\(released at \\S+Z unless the Service shows up\\)\\n`));
    assert.equal((await berth(['ports', 'release', '--cluster', 'east', String(pending), '--allocation'], env)).code, 0);
    const freed = await berth(['ports', 'release', '--cluster', 'east', String(port), '--allocation'], env);
    assert.equal(freed.code, 0, freed.stderr);
    const unreserved = await berth(['ports', 'release', '--cluster', 'east', '30080-30090'], env);
    assert.equal(unreserved.code, 0, unreserved.stderr);
    const map = JSON.parse((await berth(['ports', 'list', '--cluster', 'east', '-o', 'json'], env)).stdout);
    assert.deepEqual([map.allocated.length, map.reserved.map((x: any) => x.ports)], [0, ['30200', '30201-30203', '30300']]);
  });

  it('says what is missing', async () => {
    const r = await berth(['ports', 'list'], env);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--cluster is required/);
    const unknown = await berth(['ports', 'list', '--cluster', 'west'], env);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /Cluster "west" not found/);
  });
});
