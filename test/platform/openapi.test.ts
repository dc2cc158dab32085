// The OpenAPI document is generated from the route schemas and stays complete.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../support/server.ts';

describe('OpenAPI document', () => {
  let s: TestServer;
  before(async () => { s = await startTestServer('sqlite'); });
  after(() => s?.close());

  it('describes every /api/v1 route with its request schema', async () => {
    const r = await s.api('GET', '/api/openapi.json');
    assert.equal(r.status, 200);
    assert.equal(r.body.openapi, '3.1.0');
    const paths = r.body.paths as Record<string, Record<string, any>>;
    for (const [path, method] of [['/api/v1/login', 'post'], ['/api/v1/users', 'post'], ['/api/v1/users/{name}', 'patch'], ['/api/v1/tokens', 'post'], ['/api/v1/audit', 'get'], ['/api/v1/audit/verify', 'get']]) {
      assert.ok(paths[path]?.[method], `${method.toUpperCase()} ${path} is documented`);
    }
    const createUser = paths['/api/v1/users'].post.requestBody.content['application/json'].schema;
    assert.deepEqual(createUser.required, ['name', 'password']);
    assert.equal(createUser.additionalProperties, false);
    assert.ok(!Object.keys(paths).some((p) => p.startsWith('/v2')), 'the registry protocol is not part of the REST document');
  });
});
