// Permissions with real clients: a guest pulls but cannot push, a developer pushes but cannot
// delete, a maintainer deletes, a repository-level grant reaches only its repositories, a user
// of another tenant cannot tell the repository from one that does not exist, and a robot is
// confined to its repositories and actions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Layout, registryFetch, run, startRegistryServer, tool } from './support.ts';
import { adminPassword } from '../support/server.ts';

for (const backend of ['sqlite', 'postgres'] as const) test(`project roles, repository grants, tenants and robots hold with crane and skopeo (${backend})`, { timeout: 300_000 }, async () => {
  const crane = tool('crane');
  const skopeo = tool('skopeo');
  const dir = mkdtempSync(join(tmpdir(), 'berth-perms-'));
  const s = await startRegistryServer(backend);
  try {
    await s.createProject('team', { tenant: 'acme' });
    const pw = 'password-123';
    for (const u of ['guest1', 'dev1', 'maint1', 'scoped1', 'outsider']) await s.createUser(u, pw);
    await s.setMember('team', 'guest1', 'guest');
    await s.setMember('team', 'dev1', 'developer');
    await s.setMember('team', 'maint1', 'maintainer');
    await s.setMember('team', 'scoped1', 'developer', 'frontend/*');
    await s.bindTenantRole('outsider', 'beta', 'tenant-admin');
    const ci = await s.createRobot('team', 'ci', [{ repositories: 'ci/*', actions: ['pull', 'push'] }]);
    const reader = await s.createRobot('team', 'reader', [{ repositories: '**', actions: ['pull'] }]);
    assert.equal(ci.username, 'robot$team+ci');

    const layout = new Layout(join(dir, 'layout'));
    layout.tag(layout.image([[{ path: 'hello.txt', content: 'hello\n' }]]), 'v1');
    layout.tag(layout.image([[{ path: 'other.txt', content: 'other\n' }]]), 'v2');
    const push = (user: string, password: string, tag: string, repo: string) =>
      run(skopeo, ['copy', '--dest-tls-verify=false', '--dest-creds', `${user}:${password}`, `oci:${layout.dir}:${tag}`, `docker://${s.host}/${repo}`]);
    const craneAs = (user: string, password: string) => {
      const cfg = mkdtempSync(join(dir, 'cfg-'));
      writeFileSync(join(cfg, 'config.json'), JSON.stringify({ auths: { [s.host]: { auth: Buffer.from(`${user}:${password}`).toString('base64') } } }));
      return (...args: string[]) => run(crane, args, { env: { DOCKER_CONFIG: cfg } });
    };
    const repo = `${s.host}/team/app`;

    assert.equal((await push('admin', adminPassword, 'v1', 'team/app:v1')).code, 0);

    // guest: pulls, cannot push.
    const guest = craneAs('guest1', pw);
    assert.equal((await guest('manifest', `${repo}:v1`)).code, 0);
    assert.notEqual((await guest('tag', `${repo}:v1`, 'by-guest')).code, 0);
    assert.notEqual((await push('guest1', pw, 'v2', 'team/app:v2')).code, 0);
    assert.notEqual((await guest('manifest', `${repo}:by-guest`)).code, 0, 'nothing was tagged by the guest');

    // developer: pushes, cannot delete.
    const dev = craneAs('dev1', pw);
    assert.equal((await push('dev1', pw, 'v2', 'team/app:v2')).code, 0);
    const v2 = (await dev('digest', `${repo}:v2`)).stdout.trim();
    assert.match(v2, /^sha256:/);
    assert.notEqual((await dev('delete', `${repo}@${v2}`)).code, 0);
    assert.equal((await dev('digest', `${repo}:v2`)).stdout.trim(), v2, 'still there after the developer tried');

    // maintainer: deletes.
    const maint = craneAs('maint1', pw);
    assert.equal((await maint('delete', `${repo}@${v2}`)).code, 0);
    assert.notEqual((await dev('digest', `${repo}:v2`)).code, 0);

    // repository-level grant: pushes under frontend/, nowhere else; pulls only there too.
    assert.equal((await push('scoped1', pw, 'v1', 'team/frontend/web:v1')).code, 0);
    assert.notEqual((await push('scoped1', pw, 'v1', 'team/backend:v1')).code, 0);
    assert.notEqual((await craneAs('scoped1', pw)('manifest', `${repo}:v1`)).code, 0);

    // another tenant's user: the repository answers as one that does not exist.
    const outsider = craneAs('outsider', pw);
    assert.notEqual((await outsider('manifest', `${repo}:v1`)).code, 0);
    const real = await registryFetch(s.url, '/v2/team/app/manifests/v1', { user: 'outsider', password: pw });
    const ghost = await registryFetch(s.url, '/v2/team/nothing-here/manifests/v1', { user: 'outsider', password: pw });
    assert.equal(real.status, ghost.status);
    assert.deepEqual(((await real.json()) as { errors: { code: string }[] }).errors.map((e) => e.code), ((await ghost.json()) as { errors: { code: string }[] }).errors.map((e) => e.code));
    const catalog = (await outsider('catalog', s.host)).stdout.trim();
    assert.equal(catalog, '', `the outsider's catalog is empty, got: ${catalog}`);
    const outsiderToken = await s.login('outsider', pw);
    assert.equal((await s.api('GET', '/api/v1/registry/projects/team', { token: outsiderToken })).status, 404);
    assert.equal((await s.api('GET', '/api/v1/registry/projects/ghost', { token: outsiderToken })).status, 404);
    const devCatalog = (await dev('catalog', s.host)).stdout.trim().split('\n').sort();
    assert.deepEqual(devCatalog, ['team/app', 'team/frontend/web']);

    // robots: ci pushes and pulls under ci/ only; reader pulls anywhere and pushes nowhere.
    assert.equal((await push(ci.username, ci.secret, 'v1', 'team/ci/build:v1')).code, 0);
    assert.notEqual((await push(ci.username, ci.secret, 'v1', 'team/app:from-ci')).code, 0);
    const ciCrane = craneAs(ci.username, ci.secret);
    assert.equal((await ciCrane('manifest', `${s.host}/team/ci/build:v1`)).code, 0);
    assert.notEqual((await ciCrane('manifest', `${repo}:v1`)).code, 0);
    const readerCrane = craneAs(reader.username, reader.secret);
    assert.equal((await readerCrane('manifest', `${repo}:v1`)).code, 0);
    assert.notEqual((await push(reader.username, reader.secret, 'v2', 'team/app:by-reader')).code, 0);
    assert.notEqual((await craneAs(ci.username, 'wrong-secret')('manifest', `${s.host}/team/ci/build:v1`)).code, 0);

    // a deleted robot stops working at once.
    assert.equal((await s.api('DELETE', '/api/v1/registry/projects/team/robots/reader', { token: s.adminToken })).status, 204);
    assert.notEqual((await readerCrane('manifest', `${repo}:v1`)).code, 0);

    // pushes and deletes are outbox events, for replication, webhooks and deploy triggers.
    const events = await s.server.deps.db.kysely.selectFrom('outbox_events').select(['topic', 'key', 'payload']).where('key', '=', 'team/app').execute();
    const pushedV2 = events.find((e) => e.topic === 'registry.artifact.pushed' && (JSON.parse(e.payload) as { digest: string }).digest === v2);
    assert.deepEqual(pushedV2 && (JSON.parse(pushedV2.payload) as { tags: string[]; actor: string; tenant: string }).tags, ['v2']);
    const deletedV2 = events.find((e) => e.topic === 'registry.artifact.deleted' && (JSON.parse(e.payload) as { digest: string }).digest === v2);
    assert.equal(deletedV2 && (JSON.parse(deletedV2.payload) as { actor: string }).actor, 'maint1');

    // the API shows a repository-scoped member only its repositories.
    const scopedToken = await s.login('scoped1', pw);
    const repos = await s.api('GET', '/api/v1/registry/projects/team/repositories', { token: scopedToken });
    assert.deepEqual(repos.body.items.map((r: { name: string }) => r.name), ['team/frontend/web']);
    assert.equal((await s.api('GET', '/api/v1/registry/artifacts?repository=team/app', { token: scopedToken })).status, 404);
    const devToken = await s.login('dev1', pw);
    assert.equal((await s.api('DELETE', '/api/v1/registry/repositories?name=team/app', { token: devToken })).status, 403);
    const maintToken = await s.login('maint1', pw);
    assert.equal((await s.api('DELETE', '/api/v1/registry/repositories?name=team/app', { token: maintToken })).status, 204);
    assert.notEqual((await dev('digest', `${repo}:v1`)).code, 0, 'the deleted repository is gone');

    // membership changes are audited.
    const grants = await s.server.deps.db.kysely.selectFrom('audit_log').select(['action', 'name']).where('resource', '=', 'members').execute();
    assert.equal(grants.filter((g) => g.action === 'grant').length, 4);
    // what a token did not grant is in the audit record of the login that asked for it.
    const logins = await s.server.deps.db.kysely.selectFrom('audit_log').select(['actor', 'detail']).where('resource', '=', 'registry').where('action', '=', 'login').where('actor', '=', 'guest1').execute();
    assert.ok(logins.some((l) => (JSON.parse(l.detail) as { denied?: { name: string; actions: string[] }[] }).denied?.some((d) => d.name === 'team/app' && d.actions.includes('push'))), JSON.stringify(logins));
  } finally {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
