// The `berth` command against a real server: login, whoami, users, tokens, audit, and its
// messages for an unreachable server and an expired login.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, adminPassword, type TestServer } from '../support/server.ts';

const main = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');

function berth(args: string[], env: Record<string, string>, stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [main, ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.stdin.end(stdin ?? '');
    child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe('berth CLI', () => {
  let s: TestServer;
  let dir: string;
  let env: Record<string, string>;
  before(async () => {
    s = await startTestServer('sqlite');
    dir = mkdtempSync(join(tmpdir(), 'berth-cli-'));
    env = { BERTH_CONFIG: join(dir, 'config.json') };
  });
  after(async () => {
    await s?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('logs in with --password-stdin and stores the token readable only by the user', async () => {
    const r = await berth(['login', '--server', s.url, '--username', 'admin', '--password-stdin'], env, `${adminPassword}\n`);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Logged in to .* as admin/);
    assert.equal(statSync(env.BERTH_CONFIG).mode & 0o777, 0o600);
    const who = await berth(['whoami', '-o', 'json'], env);
    assert.equal(who.code, 0, who.stderr);
    assert.equal(JSON.parse(who.stdout).name, 'admin');
  });

  it('refuses a wrong password with a clear message and exit 1', async () => {
    const r = await berth(['login', '--server', s.url, '--username', 'admin', '--password', 'wrong-one'], { BERTH_CONFIG: join(dir, 'other.json') });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /invalid username or password/);
  });

  it('manages users in table, JSON and YAML', async () => {
    const created = await berth(['users', 'create', 'carol', '--password-stdin', '--role', 'auditor', '-o', 'json'], env, 'carol-password\n');
    assert.equal(created.code, 0, created.stderr);
    assert.deepEqual(JSON.parse(created.stdout).platformRoles, ['auditor']);
    const table = await berth(['users', 'list'], env);
    assert.match(table.stdout, /^NAME\s+ROLES\s+DISABLED/);
    assert.match(table.stdout, /carol\s+auditor\s+false/);
    const yaml = await berth(['users', 'get', 'carol', '-o', 'yaml'], env);
    assert.match(yaml.stdout, /name: carol/);
    const bad = await berth(['users', 'create', 'Bad_Name', '--password', 'password-123'], env);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /name: a lowercase RFC 1123 subdomain/);
    const del = await berth(['users', 'delete', 'carol'], env);
    assert.equal(del.code, 0, del.stderr);
  });

  it('creates, lists and revokes tokens; the secret is printed once', async () => {
    const c = await berth(['tokens', 'create', 'deploy', '--expires-in-days', '3', '-o', 'json'], env);
    assert.equal(c.code, 0, c.stderr);
    const t = JSON.parse(c.stdout);
    assert.match(t.token, /^bt_/);
    const list = await berth(['tokens', 'list'], env);
    assert.match(list.stdout, new RegExp(`${t.id}\\s+deploy`));
    assert.ok(!list.stdout.includes(t.token));
    const viaToken = await berth(['whoami', '-o', 'json'], { BERTH_CONFIG: env.BERTH_CONFIG, BERTH_TOKEN: t.token });
    assert.equal(viaToken.code, 0, viaToken.stderr);
    assert.equal((await berth(['tokens', 'revoke', t.id], env)).code, 0);
    const revoked = await berth(['whoami'], { BERTH_CONFIG: env.BERTH_CONFIG, BERTH_TOKEN: t.token });
    assert.equal(revoked.code, 1);
    assert.match(revoked.stderr, /no longer valid \(expired or revoked\): run `berth login` again/);
  });

  it('lists, exports and verifies the audit log, and reports tampering with exit 1', async () => {
    const list = await berth(['audit', 'list', '--resource', 'tokens', '-o', 'json'], env);
    assert.equal(list.code, 0, list.stderr);
    assert.ok(JSON.parse(list.stdout).items.some((i: { action: string }) => i.action === 'create'));
    const csv = await berth(['audit', 'export', '--format', 'csv'], env);
    assert.match(csv.stdout, /^seq,time,actor/);
    const ok = await berth(['audit', 'verify'], env);
    assert.equal(ok.code, 0);
    assert.match(ok.stdout, /audit log intact: \d+ records verified/);
    await s.server.deps.db.kysely.updateTable('audit_log').set({ action: 'nothing-to-see' }).where('seq', '=', 2).execute();
    const broken = await berth(['audit', 'verify'], env);
    assert.equal(broken.code, 1);
    assert.match(broken.stdout, /BROKEN at record 2 \(altered\)/);
  });

  it('says clearly when the server cannot be reached', async () => {
    const r = await berth(['whoami'], { BERTH_CONFIG: env.BERTH_CONFIG, BERTH_SERVER: 'http://127.0.0.1:9' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot reach the Berth server at http:\/\/127\.0\.0\.1:9/);
  });

  it('exits 2 with usage for an unknown command or flag', async () => {
    const r = await berth(['frobnicate'], env);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown command "frobnicate"/);
    const f = await berth(['users', 'list', '--bogus'], env);
    assert.equal(f.code, 2);
  });
});
