// Login, lockout, sessions and personal API tokens through HTTP, on both backends.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { backends } from '../support/pg.ts';
import { startTestServer, adminPassword, type TestServer } from '../support/server.ts';

for (const backend of backends) {
  describe(`identity over HTTP (${backend})`, () => {
    let s: TestServer;
    let admin: string;
    before(async () => {
      s = await startTestServer(backend);
      admin = await s.login();
    });
    after(() => s?.close());

    it('logs in with the right password and refuses a wrong one with 401', async () => {
      const ok = await s.api('POST', '/api/v1/login', { body: { username: 'admin', password: adminPassword } });
      assert.equal(ok.status, 200);
      assert.match(ok.body.token, /^bs_/);
      assert.deepEqual(ok.body.user.platformRoles, ['platform-admin']);
      const bad = await s.api('POST', '/api/v1/login', { body: { username: 'admin', password: 'nope-nope' } });
      assert.equal(bad.status, 401);
      assert.equal(bad.body.kind, 'Status');
      const unknown = await s.api('POST', '/api/v1/login', { body: { username: 'ghost', password: 'whatever1' } });
      assert.equal(unknown.status, 401);
      assert.equal(unknown.body.message, bad.body.message, 'an unknown user gets the same answer as a wrong password');
    });

    it('locks a user out after repeated failures, even for the right password, with Retry-After', async () => {
      await s.api('POST', '/api/v1/users', { token: admin, body: { name: 'lockme', password: 'lockme-password' } });
      for (let i = 0; i < 5; i++) {
        const r = await s.api('POST', '/api/v1/login', { body: { username: 'lockme', password: `wrong-${i}-pass` } });
        assert.equal(r.status, 401, `attempt ${i}`);
      }
      const locked = await s.api('POST', '/api/v1/login', { body: { username: 'lockme', password: 'lockme-password' } });
      assert.equal(locked.status, 429);
      assert.ok(Number(locked.headers.get('retry-after')) > 0);
      assert.match(locked.body.message, /too many login attempts for "lockme"/);
      const other = await s.api('POST', '/api/v1/login', { body: { username: 'admin', password: adminPassword } });
      assert.equal(other.status, 200, 'another user is not locked');
      const audit = await s.api('GET', '/api/v1/audit?actor=lockme&action=login&outcome=failure', { token: admin });
      assert.equal(audit.body.items.length, 6);
    });

    it('issues API tokens shown once, usable, listed without the secret, revocable', async () => {
      const created = await s.api('POST', '/api/v1/tokens', { token: admin, body: { name: 'ci', expiresInDays: 7 } });
      assert.equal(created.status, 201);
      assert.match(created.body.token, /^bt_/);
      const days = (Date.parse(created.body.expiresAt) - Date.parse(created.body.createdAt)) / 86_400_000;
      assert.equal(Math.round(days), 7);
      const me = await s.api('GET', '/api/v1/whoami', { token: created.body.token });
      assert.equal(me.status, 200);
      assert.equal(me.body.name, 'admin');
      const list = await s.api('GET', '/api/v1/tokens', { token: admin });
      const listed = list.body.items.find((t: { id: string }) => t.id === created.body.id);
      assert.ok(listed);
      assert.equal(listed.token, undefined);
      assert.ok(!JSON.stringify(list.body).includes(created.body.token), 'the secret never appears again');
      const del = await s.api('DELETE', `/api/v1/tokens/${created.body.id}`, { token: admin });
      assert.equal(del.status, 200);
      const after = await s.api('GET', '/api/v1/whoami', { token: created.body.token });
      assert.equal(after.status, 401);
    });

    it('refuses an expired token with 401 and says it expired', async () => {
      const created = await s.api('POST', '/api/v1/tokens', { token: admin, body: { name: 'short' } });
      await s.server.deps.db.kysely.updateTable('tokens').set({ expires_at: new Date(Date.now() - 1000).toISOString() }).where('id', '=', created.body.id).execute();
      const r = await s.api('GET', '/api/v1/whoami', { token: created.body.token });
      assert.equal(r.status, 401);
      assert.match(r.body.message, /expired/);
    });

    it('stores no secret in clear: tokens hashed, passwords scrypt', async () => {
      const created = await s.api('POST', '/api/v1/tokens', { token: admin, body: { name: 'hashcheck' } });
      const row = await s.server.deps.db.kysely.selectFrom('tokens').selectAll().where('id', '=', created.body.id).executeTakeFirstOrThrow();
      assert.notEqual(row.token_hash, created.body.token);
      assert.match(row.token_hash, /^[0-9a-f]{64}$/);
      const user = await s.server.deps.db.kysely.selectFrom('users').selectAll().where('name', '=', 'admin').executeTakeFirstOrThrow();
      assert.match(user.password_hash, /^scrypt\$/);
    });

    it('disabling a user ends its sessions and refuses its login', async () => {
      await s.api('POST', '/api/v1/users', { token: admin, body: { name: 'temp', password: 'temp-password' } });
      const t = await s.login('temp', 'temp-password');
      assert.equal((await s.api('GET', '/api/v1/whoami', { token: t })).status, 200);
      const u = await s.api('GET', '/api/v1/users/temp', { token: admin });
      const upd = await s.api('PATCH', '/api/v1/users/temp', { token: admin, body: { disabled: true, resourceVersion: u.body.resourceVersion } });
      assert.equal(upd.status, 200);
      assert.equal((await s.api('GET', '/api/v1/whoami', { token: t })).status, 401);
      assert.equal((await s.api('POST', '/api/v1/login', { body: { username: 'temp', password: 'temp-password' } })).status, 401);
    });

    it('logout revokes the session token', async () => {
      const t = await s.login();
      assert.equal((await s.api('POST', '/api/v1/logout', { token: t })).status, 200);
      assert.equal((await s.api('GET', '/api/v1/whoami', { token: t })).status, 401);
    });
  });
}
