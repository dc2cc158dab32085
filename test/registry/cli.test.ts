// `berth registry …` against a real server, as scripts use it (DESIGN.md section 7).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, startRegistryServer } from './support.ts';
import { adminPassword } from '../support/server.ts';

const main = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');

test('berth registry projects create NAME [--public] [--tenant T], members, robots and lists', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-cli-'));
  const s = await startRegistryServer();
  const env = { BERTH_CONFIG: join(dir, 'config.json') };
  const berth = (...args: string[]) => run(process.execPath, [main, ...args], { env });
  try {
    assert.equal((await berth('login', '--server', s.url, '--username', 'admin', '--password', adminPassword)).code, 0);
    const created = await berth('registry', 'projects', 'create', 'team-a', '--public', '--tenant', 'acme');
    assert.equal(created.code, 0, created.stderr);
    const p = await s.api('GET', '/api/v1/registry/projects/team-a', { token: s.adminToken });
    assert.equal(p.body.public, true);
    assert.equal(p.body.tenant, 'acme');
    assert.equal((await berth('registry', 'projects', 'create', 'platform-b')).code, 0);
    assert.equal((await s.api('GET', '/api/v1/registry/projects/platform-b', { token: s.adminToken })).body.public, false);
    const dup = await berth('registry', 'projects', 'create', 'team-a');
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /already exists/);
    assert.equal((await berth('registry', 'projects', 'create', 'Bad_Name')).code, 1);
    assert.equal((await berth('registry', 'projects', 'create')).code, 2);

    const list = await berth('registry', 'projects', 'list', '-o', 'json');
    assert.deepEqual((JSON.parse(list.stdout) as { items: { name: string }[] }).items.map((x) => x.name), ['platform-b', 'team-a']);
    await s.createUser('bob', 'password-123');
    assert.equal((await berth('registry', 'members', 'set', 'team-a', 'bob', 'developer', '--repositories', 'web/*')).code, 0);
    const members = await berth('registry', 'members', 'list', 'team-a', '-o', 'json');
    assert.deepEqual((JSON.parse(members.stdout) as { items: unknown[] }).items, [{ project: 'team-a', user: 'bob', role: 'developer', repositories: 'web/*', createdAt: (JSON.parse(members.stdout) as { items: { createdAt: string }[] }).items[0].createdAt }]);
    const robot = await berth('registry', 'robots', 'create', 'team-a', 'ci', '--permission', 'web/*=pull+push');
    assert.equal(robot.code, 0, robot.stderr);
    assert.match(robot.stdout, /robot\$team-a\+ci created/);
    const secret = robot.stdout.trim().split('\n').pop() ?? '';
    const token = await fetch(`${s.url}/auth/token?service=berth&scope=repository:team-a/web/x:pull,push`, { headers: { authorization: `Basic ${Buffer.from(`robot$team-a+ci:${secret}`).toString('base64')}` } });
    assert.equal(token.status, 200, 'the printed secret works');
    assert.equal((await berth('registry', 'robots', 'delete', 'team-a', 'ci')).code, 0);
  } finally {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
