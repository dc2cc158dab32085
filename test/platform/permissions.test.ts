// A hand-written permission matrix: representative routes × roles, through HTTP.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../support/server.ts';

type Who = 'anonymous' | 'user' | 'auditor' | 'platform-admin';

interface Row {
  readonly route: string;
  readonly method: string;
  readonly path: string;
  readonly body?: (who: Who) => unknown;
  readonly expect: Readonly<Record<Who, number>>;
}

// Expected status per role. 401: not known; 403: known but not allowed; anything else: allowed.
const matrix: readonly Row[] = [
  { route: 'whoami', method: 'GET', path: '/api/v1/whoami', expect: { anonymous: 401, user: 200, auditor: 200, 'platform-admin': 200 } },
  { route: 'list users', method: 'GET', path: '/api/v1/users', expect: { anonymous: 401, user: 403, auditor: 403, 'platform-admin': 200 } },
  { route: 'create user', method: 'POST', path: '/api/v1/users', body: (w) => ({ name: `made-by-${w}`, password: 'password-123' }), expect: { anonymous: 401, user: 403, auditor: 403, 'platform-admin': 201 } },
  { route: 'delete user', method: 'DELETE', path: '/api/v1/users/victim', expect: { anonymous: 401, user: 403, auditor: 403, 'platform-admin': 200 } },
  { route: 'list own tokens', method: 'GET', path: '/api/v1/tokens', expect: { anonymous: 401, user: 200, auditor: 200, 'platform-admin': 200 } },
  { route: 'create token', method: 'POST', path: '/api/v1/tokens', body: () => ({ name: 'x' }), expect: { anonymous: 401, user: 201, auditor: 201, 'platform-admin': 201 } },
  { route: 'list audit', method: 'GET', path: '/api/v1/audit', expect: { anonymous: 401, user: 403, auditor: 200, 'platform-admin': 200 } },
  { route: 'export audit', method: 'GET', path: '/api/v1/audit/export?format=csv', expect: { anonymous: 401, user: 403, auditor: 200, 'platform-admin': 200 } },
  { route: 'verify audit', method: 'GET', path: '/api/v1/audit/verify', expect: { anonymous: 401, user: 403, auditor: 200, 'platform-admin': 200 } },
  { route: 'health', method: 'GET', path: '/healthz', expect: { anonymous: 200, user: 200, auditor: 200, 'platform-admin': 200 } },
];

describe('permission matrix', () => {
  let s: TestServer;
  const tokens: Partial<Record<Who, string>> = {};
  before(async () => {
    s = await startTestServer('sqlite');
    const admin = await s.login();
    tokens['platform-admin'] = admin;
    for (const role of ['user', 'auditor'] as const) {
      const r = await s.api('POST', '/api/v1/users', { token: admin, body: { name: `the-${role}`, password: 'password-123', platformRoles: [role] } });
      assert.equal(r.status, 201);
      tokens[role] = await s.login(`the-${role}`, 'password-123');
    }
  });
  after(() => s?.close());

  for (const row of matrix) {
    it(`${row.route}: ${Object.entries(row.expect).map(([w, c]) => `${w}=${c}`).join(' ')}`, async () => {
      for (const who of Object.keys(row.expect) as Who[]) {
        if (row.path.endsWith('/victim')) {
          await s.api('POST', '/api/v1/users', { token: tokens['platform-admin'], body: { name: 'victim', password: 'password-123' } });
        }
        const r = await s.api(row.method, row.path, { token: tokens[who], body: row.body?.(who) });
        assert.equal(r.status, row.expect[who], `${who} ${row.method} ${row.path}: ${JSON.stringify(r.body).slice(0, 200)}`);
        if (r.status === 403) assert.match(r.body.message, new RegExp(`user "the-${who}" cannot`));
      }
    });
  }

  it('records refusals (401 and 403) in the audit log', async () => {
    const r = await s.api('GET', '/api/v1/audit?outcome=failure&limit=500', { token: tokens['platform-admin'] });
    const codes = new Set(r.body.items.map((i: { code: number }) => i.code));
    assert.ok(codes.has(401) && codes.has(403), `codes seen: ${[...codes].join(',')}`);
    const refused = r.body.items.find((i: { actor: string; code: number }) => i.actor === 'the-user' && i.code === 403);
    assert.ok(refused, 'a 403 of the-user is recorded');
  });
});
