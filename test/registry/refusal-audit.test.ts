// A refused change is audited naming what its success would have named: the object and the
// tenant from the use-case path, not what the URL happens to carry (a project's tenant is in
// the request body). On both backends, through HTTP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRegistryServer } from './support.ts';

const pw = 'password-123';

for (const backend of ['sqlite', 'postgres'] as const) {
  test(`a refused project creation is audited under the project's tenant (${backend})`, async () => {
    const s = await startRegistryServer(backend);
    try {
      await s.createUser('tadmin', pw);
      await s.bindTenantRole('tadmin', 'acme', 'tenant-admin');
      const tadmin = await s.login('tadmin', pw);
      const create = (name: string, tenant: string) => s.api('POST', '/api/v1/registry/projects', { token: tadmin, body: { name, tenant } });

      const refused = await create('elsewhere', 'other');
      assert.equal(refused.status, 403, JSON.stringify(refused.body));
      assert.equal((await create('home', 'acme')).status, 201);

      const rows = await s.server.deps.db.kysely.selectFrom('audit_log').select(['actor', 'resource', 'name', 'tenant', 'outcome', 'code'])
        .where('actor', '=', 'tadmin').where('resource', '=', 'projects').orderBy('seq').execute();
      assert.deepEqual(rows.map((r) => ({ ...r, code: Number(r.code) })), [
        { actor: 'tadmin', resource: 'projects', name: 'elsewhere', tenant: 'other', outcome: 'failure', code: 403 },
        { actor: 'tadmin', resource: 'projects', name: 'home', tenant: 'acme', outcome: 'success', code: 201 },
      ]);
    } finally {
      await s.close();
    }
  });
}

for (const backend of ['sqlite', 'postgres'] as const) {
  test(`a policy refused inside its change is audited under the policy and the project's tenant (${backend})`, async () => {
    const s = await startRegistryServer(backend);
    try {
      assert.equal((await s.api('POST', '/api/v1/registry/projects', { token: s.adminToken, body: { name: 'team', tenant: 'acme' } })).status, 201);
      // The project fills its keepTags patterns (100 in two policies of 50); one more is refused
      // inside the change, once the held ones are counted.
      const retention = (keepTags: string[]) => s.api('POST', '/api/v1/registry/projects/team/retention', { token: s.adminToken, body: { keepTags } });
      for (const p of ['a', 'b']) assert.equal((await retention(Array.from({ length: 50 }, (_, i) => `${p}${i}-*`))).status, 201);
      const refused = await retention(['c-*']);
      assert.equal(refused.status, 403, JSON.stringify(refused.body));

      const rows = await s.server.deps.db.kysely.selectFrom('audit_log').select(['resource', 'name', 'tenant', 'outcome', 'code'])
        .where('outcome', '=', 'failure').orderBy('seq').execute();
      assert.equal(rows.length, 1, JSON.stringify(rows));
      assert.equal(rows[0].resource, 'registry-policies');
      assert.match(rows[0].name, /^team\/[0-9a-f]{12}$/);
      assert.equal(rows[0].tenant, 'acme');
      assert.equal(Number(rows[0].code), 403);
    } finally {
      await s.close();
    }
  });
}
