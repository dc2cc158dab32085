// PostgreSQL going away: 503 on /readyz and on requests, nothing crashes, and the server
// recovers by itself when the database returns.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase } from '../support/pg.ts';
import { startTestServer } from '../support/server.ts';
import { startTcpProxy } from '../support/tcp-proxy.ts';

describe('database outage (postgres)', () => {
  it('answers 503 while the database is away and recovers without a restart', async () => {
    const db = await createTestDatabase();
    const target = new URL(db.url);
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const viaProxy = new URL(db.url);
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    const s = await startTestServer('sqlite', { BERTH_DATABASE_URL: viaProxy.toString() });
    try {
      const token = await s.login();
      assert.equal((await s.api('GET', '/readyz')).status, 200);

      proxy.cut();
      const ready = await s.api('GET', '/readyz');
      assert.equal(ready.status, 503);
      assert.equal(ready.body.reason, 'ServiceUnavailable');
      const create = await s.api('POST', '/api/v1/users', { token: 'bt_unknown', body: { name: 'during', password: 'password-123' } });
      assert.equal(create.status, 503, JSON.stringify(create.body));
      const login = await s.api('POST', '/api/v1/login', { body: { username: 'admin', password: 'admin-password-1' } });
      assert.equal(login.status, 503);
      assert.ok(login.headers.get('retry-after'));
      assert.equal((await s.api('GET', '/healthz')).status, 200, 'the process is alive');

      proxy.restore();
      let ok = false;
      for (let i = 0; i < 50 && !ok; i++) {
        ok = (await s.api('GET', '/readyz')).status === 200;
        if (!ok) await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(ok, 'ready again');
      const after = await s.api('POST', '/api/v1/users', { token, body: { name: 'after', password: 'password-123' } });
      assert.equal(after.status, 201);
      assert.equal((await s.api('GET', '/api/v1/audit/verify', { token })).body.ok, true);
    } finally {
      await s.close();
      await proxy.close();
      await db.drop();
    }
  });
});
