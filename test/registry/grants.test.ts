// What a grant reaches, through HTTP on both backends: a project admin manages its project but
// cannot lift the quotas or change the visibility its administrators set.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRegistryServer } from './support.ts';

const pw = 'password-123';

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
}
