// Bad input gets a clear error in the Kubernetes Status shape, with the field named, and loses nothing.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../support/server.ts';

describe('bad input', () => {
  let s: TestServer;
  let admin: string;
  before(async () => {
    s = await startTestServer('sqlite', { BERTH_BODY_LIMIT: '4096' });
    admin = await s.login();
  });
  after(() => s?.close());

  const cases: readonly { name: string; method: string; path: string; raw?: string; body?: unknown; status: number; reason: string; field?: string; message?: RegExp }[] = [
    { name: 'malformed JSON', method: 'POST', path: '/api/v1/users', raw: '{"name": "x",', status: 400, reason: 'BadRequest', message: /not valid JSON/ },
    { name: 'unknown field', method: 'POST', path: '/api/v1/users', body: { name: 'ok-name', password: 'password-123', admin: true }, status: 422, reason: 'Invalid', field: 'admin' },
    { name: 'missing field', method: 'POST', path: '/api/v1/users', body: { name: 'ok-name' }, status: 422, reason: 'Invalid', field: 'password' },
    { name: 'wrong type', method: 'POST', path: '/api/v1/users', body: { name: 42, password: 'password-123' }, status: 422, reason: 'Invalid', field: 'name' },
    { name: 'invalid name', method: 'POST', path: '/api/v1/users', body: { name: 'Not_Valid', password: 'password-123' }, status: 422, reason: 'Invalid', field: 'name', message: /RFC 1123/ },
    { name: 'short password', method: 'POST', path: '/api/v1/users', body: { name: 'shorty', password: 'x' }, status: 422, reason: 'Invalid', field: 'password' },
    { name: 'unknown role', method: 'POST', path: '/api/v1/users', body: { name: 'roley', password: 'password-123', platformRoles: ['god'] }, status: 422, reason: 'Invalid', field: 'platformRoles' },
    { name: 'body over the limit', method: 'POST', path: '/api/v1/users', body: { name: 'big', password: 'x'.repeat(8000) }, status: 413, reason: 'RequestEntityTooLarge' },
    { name: 'bad query value', method: 'GET', path: '/api/v1/users?limit=abc', status: 422, reason: 'Invalid', field: 'querystring.limit' },
    { name: 'bad continue token', method: 'GET', path: '/api/v1/users?continue=zzz', status: 400, reason: 'BadRequest', field: 'continue', message: /^invalid continue token: continue key is not valid/ },
    { name: 'continue token of another list', method: 'GET', path: `/api/v1/audit?continue=${Buffer.from(JSON.stringify({ p: 'admin' })).toString('base64url')}`, status: 400, reason: 'BadRequest', field: 'continue', message: /continue key is not valid/ },
    { name: 'continue token that is JSON null', method: 'GET', path: `/api/v1/users?continue=${Buffer.from('null').toString('base64url')}`, status: 400, reason: 'BadRequest', field: 'continue', message: /continue key is not valid/ },
    { name: 'unknown route', method: 'GET', path: '/api/v1/nothing-here', status: 404, reason: 'NotFound' },
    { name: 'unknown user', method: 'GET', path: '/api/v1/users/nobody', status: 404, reason: 'NotFound', message: /users "nobody" not found/ },
  ];

  for (const c of cases) {
    it(`${c.name} → ${c.status}`, async () => {
      const before = await s.api('GET', '/api/v1/users?limit=1000', { token: admin });
      const r = await s.api(c.method, c.path, { token: admin, body: c.body, raw: c.raw, headers: c.raw ? { 'content-type': 'application/json' } : {} });
      assert.equal(r.status, c.status, JSON.stringify(r.body));
      assert.equal(r.body.kind, 'Status');
      assert.equal(r.body.reason, c.reason);
      assert.equal(r.body.code, c.status);
      if (c.field) assert.ok(r.body.details.causes.some((x: { field: string }) => x.field === c.field), JSON.stringify(r.body.details));
      if (c.message) assert.match(r.body.message, c.message);
      const after = await s.api('GET', '/api/v1/users?limit=1000', { token: admin });
      assert.deepEqual(after.body.items, before.body.items, 'nothing was written');
    });
  }

  it('answers a stale resourceVersion with 409 and keeps the newer write', async () => {
    await s.api('POST', '/api/v1/users', { token: admin, body: { name: 'racer', password: 'password-123' } });
    const u = await s.api('GET', '/api/v1/users/racer', { token: admin });
    const first = await s.api('PATCH', '/api/v1/users/racer', { token: admin, body: { email: 'a@example.com', resourceVersion: u.body.resourceVersion } });
    assert.equal(first.status, 200);
    const stale = await s.api('PATCH', '/api/v1/users/racer', { token: admin, body: { email: 'b@example.com', resourceVersion: u.body.resourceVersion } });
    assert.equal(stale.status, 409);
    assert.equal(stale.body.reason, 'Conflict');
    assert.equal((await s.api('GET', '/api/v1/users/racer', { token: admin })).body.email, 'a@example.com');
  });

  it('answers a duplicate name with 409 AlreadyExists', async () => {
    await s.api('POST', '/api/v1/users', { token: admin, body: { name: 'twin', password: 'password-123' } });
    const again = await s.api('POST', '/api/v1/users', { token: admin, body: { name: 'twin', password: 'password-123' } });
    assert.equal(again.status, 409);
    assert.equal(again.body.reason, 'AlreadyExists');
  });

  it('survives a burst of garbage and still serves', async () => {
    const junk = ['', '[]', 'null', '{"a":', '\u0000\u0001', '{"name":{"$gt":""}}', '9'.repeat(100)];
    for (const raw of junk) {
      const r = await s.api('POST', '/api/v1/users', { token: admin, raw, headers: { 'content-type': 'application/json' } });
      assert.ok(r.status >= 400 && r.status < 500, `${JSON.stringify(raw)} → ${r.status}`);
    }
    assert.equal((await s.api('GET', '/healthz')).status, 200);
  });
});
