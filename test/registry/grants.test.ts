// What a grant reaches, through HTTP on both backends: a project admin manages its project but
// cannot lift the quotas or change the visibility its administrators set; the catalog lists only
// the repositories a caller may pull (a member's or a robot's repository pattern narrows it);
// a deleted user's memberships go with it, so a new user of the same name inherits nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { sha256, startRegistryServer } from './support.ts';
import { adminPassword } from '../support/server.ts';
import { loadConfig } from '../../src/platform/config.ts';
import { startServer } from '../../src/platform/server.ts';

const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });
const pw = 'password-123';

/** Pushes a one-blob image as the admin. */
async function pushImage(base: string, repo: string): Promise<void> {
  const config = randomBytes(64);
  const blob = await fetch(`${base}/v2/${repo}/blobs/uploads/?digest=${sha256(config)}`, { method: 'POST', headers: basic('admin', adminPassword), body: new Uint8Array(config) });
  assert.equal(blob.status, 201, `blob of ${repo}`);
  const body = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length }, layers: [] });
  const m = await fetch(`${base}/v2/${repo}/manifests/v1`, { method: 'PUT', headers: { ...basic('admin', adminPassword), 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, body });
  assert.equal(m.status, 201, `manifest of ${repo}`);
}

/** Every catalog page as `user` (basic credentials), following Link headers. */
async function catalog(base: string, user: string, password: string, n?: number): Promise<string[][]> {
  const pages: string[][] = [];
  let next: string | undefined = `/v2/_catalog${n ? `?n=${n}` : ''}`;
  while (next) {
    const r: Response = await fetch(base + next, { headers: basic(user, password) });
    assert.equal(r.status, 200, `catalog as ${user}`);
    pages.push(((await r.json()) as { repositories: string[] }).repositories);
    next = /<([^>]+)>; rel="next"/.exec(r.headers.get('link') ?? '')?.[1];
  }
  return pages;
}

for (const backend of ['sqlite', 'postgres'] as const) {
  test(`a project admin cannot lift its administrators' quotas nor change visibility (${backend})`, async () => {
    const s = await startRegistryServer(backend);
    try {
      await s.createProject('team', { tenant: 'acme', storageLimit: 1000, artifactLimit: 3, rateLimit: 50 });
      await s.createProject('shared', { storageLimit: 1000 });
      for (const u of ['padmin', 'tadmin', 'someone']) await s.createUser(u, pw);
      await s.setMember('team', 'padmin', 'project-admin');
      await s.setMember('shared', 'padmin', 'project-admin');
      await s.bindTenantRole('tadmin', 'acme', 'tenant-admin');
      const padmin = await s.login('padmin', pw);
      const patch = (token: string, project: string, body: unknown) => s.api('PATCH', `/api/v1/registry/projects/${project}`, { token, body });

      const lift = await patch(padmin, 'team', { storageLimit: -1 });
      assert.equal(lift.status, 403, JSON.stringify(lift.body));
      assert.equal(lift.body.kind, 'Status');
      assert.equal(lift.body.reason, 'Forbidden');
      assert.deepEqual(lift.body.details.causes.map((c: { field: string }) => c.field), ['storageLimit']);
      assert.match(lift.body.message, /cannot change storageLimit of project "team": quotas and visibility are set by the administrators of tenant "acme"/);

      for (const body of [{ artifactLimit: 100 }, { rateLimit: -1 }, { public: true }, { storageLimit: 10 }]) {
        const r = await patch(padmin, 'team', body);
        assert.equal(r.status, 403, `${JSON.stringify(body)} → ${r.status}`);
        assert.deepEqual(r.body.details.causes.map((c: { field: string }) => c.field), Object.keys(body));
      }
      const several = await patch(padmin, 'team', { public: true, storageLimit: 1000, artifactLimit: -1 });
      assert.equal(several.status, 403);
      assert.deepEqual(several.body.details.causes.map((c: { field: string }) => c.field), ['public', 'artifactLimit'], 'a field sent unchanged is not named');
      const platform = await patch(padmin, 'shared', { storageLimit: -1 });
      assert.equal(platform.status, 403);
      assert.match(platform.body.message, /set by platform administrators/);

      const same = await patch(padmin, 'team', { public: false, storageLimit: 1000, artifactLimit: 3, rateLimit: 50 });
      assert.equal(same.status, 200, 'the current values, as a form sends them, are no change');
      const now = await s.api('GET', '/api/v1/registry/projects/team', { token: padmin });
      assert.deepEqual([now.body.public, now.body.storageLimit, now.body.artifactLimit, now.body.rateLimit], [false, 1000, 3, 50], 'nothing was changed by the refused requests');

      // What is the project admin's own still is: members, robots, policies.
      assert.equal((await s.api('PUT', '/api/v1/registry/projects/team/members/someone', { token: padmin, body: { role: 'developer' } })).status, 200);
      assert.equal((await s.api('POST', '/api/v1/registry/projects/team/robots', { token: padmin, body: { name: 'ci', permissions: [{ repositories: '**', actions: ['pull'] }] } })).status, 201);
      assert.equal((await s.api('POST', '/api/v1/registry/projects/team/immutability', { token: padmin, body: { tags: 'v*' } })).status, 201);

      // The tenant's admin and the platform admin set them.
      const tadmin = await s.login('tadmin', pw);
      const byTenant = await patch(tadmin, 'team', { storageLimit: -1, public: true });
      assert.equal(byTenant.status, 200, JSON.stringify(byTenant.body));
      assert.deepEqual([byTenant.body.storageLimit, byTenant.body.public], [-1, true]);
      assert.equal((await patch(s.adminToken, 'team', { storageLimit: 5000 })).body.storageLimit, 5000);
      const audited = await s.server.deps.db.kysely.selectFrom('audit_log').select(['actor', 'tenant']).where('resource', '=', 'projects').where('action', '=', 'update').execute();
      assert.ok(audited.some((a) => a.actor === 'tadmin' && a.tenant === 'acme'), `updates are audited under the project's tenant: ${JSON.stringify(audited)}`);
    } finally {
      await s.close();
    }
  });

  test(`the catalog lists only what the caller may pull (${backend})`, async () => {
    const s = await startRegistryServer(backend);
    try {
      await s.createProject('team', { tenant: 'acme' });
      await s.createProject('pub', { public: true });
      await s.createProject('other');
      for (const repo of ['team/app', 'team/frontend/web', 'team/frontend/web/deep', 'pub/tool', 'other/x']) await pushImage(s.url, repo);
      for (const u of ['scoped', 'whole']) await s.createUser(u, pw);
      await s.setMember('team', 'scoped', 'developer', 'frontend/*');
      await s.setMember('team', 'whole', 'guest');
      const robot = await s.createRobot('team', 'fe', [{ repositories: 'frontend/*', actions: ['pull'] }]);

      assert.deepEqual(await catalog(s.url, 'scoped', pw), [['pub/tool', 'team/frontend/web']], 'a repository pattern narrows the catalog');
      assert.deepEqual(await catalog(s.url, 'scoped', pw, 1), [['pub/tool'], ['team/frontend/web']], 'and its pages');
      assert.deepEqual(await catalog(s.url, robot.username, robot.secret), [['pub/tool', 'team/frontend/web']], "a robot's pattern narrows it too");
      assert.deepEqual(await catalog(s.url, 'whole', pw), [['pub/tool', 'team/app', 'team/frontend/web', 'team/frontend/web/deep']]);
      assert.deepEqual(await catalog(s.url, 'admin', adminPassword), [['other/x', 'pub/tool', 'team/app', 'team/frontend/web', 'team/frontend/web/deep']]);
    } finally {
      await s.close();
    }
  });

  test(`a deleted user's memberships go with it: a new user of the same name inherits none (${backend})`, async () => {
    const s = await startRegistryServer(backend);
    try {
      await s.createProject('team', { tenant: 'acme' });
      await s.createProject('pub', { public: true });
      for (const repo of ['team/app', 'pub/tool']) await pushImage(s.url, repo);
      for (const u of ['carol', 'dave']) await s.createUser(u, pw);
      await s.setMember('team', 'dave', 'guest');
      await s.setMember('team', 'carol', 'maintainer');
      await s.setMember('team', 'carol', 'developer', 'app');
      const tokenScope = `${s.url}/auth/token?service=berth&scope=repository:team/app:pull,push`;
      assert.deepEqual(await catalog(s.url, 'carol', pw), [['pub/tool', 'team/app']]);
      assert.equal((await s.api('DELETE', '/api/v1/users/carol', { token: s.adminToken })).status, 200);
      const members = await s.api('GET', '/api/v1/registry/projects/team/members', { token: s.adminToken });
      assert.deepEqual(members.body.items.map((m: { user: string }) => m.user), ['dave'], 'both memberships went with the user, the others stay');
      const revoked = await s.server.deps.db.kysely.selectFrom('audit_log').select(['name', 'tenant', 'detail']).where('resource', '=', 'members').where('action', '=', 'revoke').execute();
      assert.deepEqual(revoked.map((r) => [r.name, r.tenant, JSON.parse(r.detail)]), [
        ['team', 'acme', { user: 'carol', repositories: '', reason: 'user deleted' }],
        ['team', 'acme', { user: 'carol', repositories: 'app', reason: 'user deleted' }],
      ], 'each removal is audited');

      await s.createUser('carol', 'another-password');
      const carol = await s.login('carol', 'another-password');
      assert.equal((await s.api('GET', '/api/v1/registry/projects/team', { token: carol })).status, 404, 'the new carol does not see the project');
      assert.deepEqual(await catalog(s.url, 'carol', 'another-password'), [['pub/tool']]);
      const token = await fetch(tokenScope, { headers: basic('carol', 'another-password') });
      const access = (JSON.parse(Buffer.from(((await token.json()) as { token: string }).token.split('.')[1], 'base64url').toString()) as { access: { actions: string[] }[] }).access;
      assert.deepEqual(access.map((a) => a.actions), [[]], 'nor may pull or push there');
      const pull = await fetch(`${s.url}/v2/team/app/manifests/v1`, { headers: basic('carol', 'another-password') });
      assert.notEqual(pull.status, 200);
    } finally {
      await s.close();
    }
  });

  test(`an upgrade drops the memberships that deletions before this fix left behind (${backend})`, async () => {
    const s = await startRegistryServer(backend);
    try {
      await s.createProject('team');
      await s.createUser('erin', pw);
      await s.setMember('team', 'erin', 'maintainer');
      // A database as the earlier version left it: the user's row gone, its membership kept,
      // and the migration not yet applied (nor the registry's after it: Kysely runs migrations only
      // in order, and this database holds nothing they change; other areas' tables stay).
      const db = s.server.deps.db.kysely;
      await db.deleteFrom('users').where('name', '=', 'erin').execute();
      await db.withTables<{ kysely_migration: { name: string } }>().deleteFrom('kysely_migration').where('name', '>=', '0105-images-members-of-deleted-users').where('name', '<', '0200').execute();
      await s.server.close();
      const again = await startServer(loadConfig(['--port', '0', '--host', '127.0.0.1', '--data-dir', s.dataDir], {
        BERTH_ADMIN_PASSWORD: adminPassword, BERTH_WEBHOOK_PORT: '0', ...(s.databaseUrl ? { BERTH_DATABASE_URL: s.databaseUrl } : {}),
      }), { logger: pino({ level: 'silent' }) });
      try {
        const login = await fetch(`${again.url}/api/v1/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: adminPassword }) });
        const admin = ((await login.json()) as { token: string }).token;
        const bearer = { authorization: `Bearer ${admin}` };
        assert.equal((await fetch(`${again.url}/api/v1/users`, { method: 'POST', headers: { ...bearer, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'erin', password: 'another-password' }) })).status, 201);
        const members = (await (await fetch(`${again.url}/api/v1/registry/projects/team/members`, { headers: bearer })).json()) as { items: { user: string }[] };
        assert.deepEqual(members.items, [], 'the left-behind membership is gone');
        const erin = await fetch(`${again.url}/v2/team/app/tags/list`, { headers: basic('erin', 'another-password') });
        assert.notEqual(erin.status, 200);
      } finally {
        await again.close();
      }
    } finally {
      await s.close();
    }
  });
}
