// The tenancy routes are in the OpenAPI document with bounded request schemas that refuse
// unknown fields, and no answer's schema has a place for credentials.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from '../support/server.ts';

let s: TestServer;
before(async () => { s = await startTestServer('sqlite'); });
after(() => s?.close());

const routes: readonly [string, string][] = [
  ['/api/v1/clusters', 'get'], ['/api/v1/clusters', 'post'], ['/api/v1/clusters/{name}', 'get'], ['/api/v1/clusters/{name}', 'patch'],
  ['/api/v1/clusters/{name}', 'delete'], ['/api/v1/tenants', 'get'], ['/api/v1/tenants', 'post'], ['/api/v1/tenants/{tenant}', 'get'],
  ['/api/v1/tenants/{tenant}', 'patch'], ['/api/v1/tenants/{tenant}', 'delete'], ['/api/v1/tenants/{tenant}/render', 'get'],
  ['/api/v1/tenants/{tenant}/usage', 'get'], ['/api/v1/tenants/{tenant}/namespaces', 'get'], ['/api/v1/tenants/{tenant}/namespaces', 'post'],
  ['/api/v1/tenants/{tenant}/namespaces/{cluster}/{name}', 'get'], ['/api/v1/tenants/{tenant}/namespaces/{cluster}/{name}', 'patch'],
  ['/api/v1/tenants/{tenant}/namespaces/{cluster}/{name}', 'delete'], ['/api/v1/clusters/{cluster}/nodeports/reservations/import', 'post'],
];

test('every tenancy route is documented; bodies are closed and bounded; no answer carries credentials', async () => {
  const r = await s.api('GET', '/api/openapi.json');
  assert.equal(r.status, 200);
  const paths = r.body.paths as Record<string, Record<string, any>>;
  for (const [path, method] of routes) {
    const op = paths[path]?.[method];
    assert.ok(op, `${method.toUpperCase()} ${path} is documented`);
    const body = op.requestBody?.content['application/json'].schema;
    if (body) assert.equal(body.additionalProperties, false, `${method.toUpperCase()} ${path} refuses unknown fields`);
    const answers = JSON.stringify(op.responses);
    assert.ok(!/credentials|kubeconfig/.test(answers), `${method.toUpperCase()} ${path} has no credentials in its answers`);
  }
  const register = paths['/api/v1/clusters'].post.requestBody.content['application/json'].schema;
  assert.deepEqual(register.required, ['name', 'kubeconfig']);
  assert.equal(register.properties.kubeconfig.maxLength, 256 * 1024);
  const tenant = paths['/api/v1/tenants'].post.requestBody.content['application/json'].schema;
  assert.equal(tenant.properties.members.maxItems, 256);
  assert.equal(tenant.properties.quota.additionalProperties.maxLength, 64);
  const portImport = paths['/api/v1/clusters/{cluster}/nodeports/reservations/import'].post.requestBody.content['application/json'].schema;
  assert.deepEqual([portImport.properties.from.enum, portImport.properties.dryRun.type, portImport.properties.data.maxLength], [['cluster'], 'boolean', 512 * 1024]);
});
