// The server as a process: nothing lost across kill -9 on both backends, graceful SIGTERM,
// the first admin's one-time password, metrics and health.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backends, databaseFor } from '../support/pg.ts';
import { spawnServer } from '../support/spawn.ts';

async function login(url: string, password: string): Promise<string> {
  const r = await fetch(`${url}/api/v1/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password }) });
  assert.equal(r.status, 200);
  return ((await r.json()) as { token: string }).token;
}

async function call(url: string, token: string, method: string, path: string, body?: unknown) {
  const r = await fetch(url + path, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
  return { status: r.status, body: (await r.json()) as any };
}

for (const backend of backends) {
  describe(`berth server process (${backend})`, () => {
    it('keeps every acknowledged write across kill -9 and restart, with the audit chain intact', async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'berth-kill-'));
      const db = await databaseFor(backend);
      const env = { BERTH_ADMIN_PASSWORD: 'admin-password-1', ...(db.url ? { BERTH_DATABASE_URL: db.url } : {}) };
      try {
        const first = await spawnServer({ dataDir, env });
        let token: string;
        try {
          token = await login(first.url, 'admin-password-1');
          const writes = await Promise.all(Array.from({ length: 25 }, (_, i) => call(first.url, token, 'POST', '/api/v1/users', { name: `kept-${i}`, password: 'password-123' })));
          assert.deepEqual(writes.map((w) => w.status), writes.map(() => 201), JSON.stringify(writes.find((w) => w.status !== 201)?.body));
        } finally {
          first.child.kill('SIGKILL');
        }
        const { signal } = await first.exited;
        assert.equal(signal, 'SIGKILL');

        const second = await spawnServer({ dataDir, env });
        try {
          const t2 = await login(second.url, 'admin-password-1');
          const users = await call(second.url, t2, 'GET', '/api/v1/users?limit=100');
          for (let i = 0; i < 25; i++) assert.ok(users.body.items.some((u: { name: string }) => u.name === `kept-${i}`), `kept-${i}`);
          const verify = await call(second.url, t2, 'GET', '/api/v1/audit/verify');
          assert.equal(verify.body.ok, true, JSON.stringify(verify.body));
          assert.ok(verify.body.checked >= 27);
          assert.equal((await call(second.url, token, 'GET', '/api/v1/whoami')).status, 200, 'sessions survive the restart');
        } finally {
          second.child.kill('SIGTERM');
          await second.exited;
        }
      } finally {
        await db.drop();
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  });
}

describe('berth server process (lifecycle)', () => {
  it('prints a one-time admin password when none is configured, and only on the first start', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'berth-first-'));
    try {
      const env = { BERTH_ADMIN_PASSWORD: '' };
      const s = await spawnServer({ dataDir, env });
      const m = /one-time password:\s+(\S+)/.exec(s.output());
      assert.ok(m, s.output());
      await login(s.url, m[1]);
      s.child.kill('SIGTERM');
      await s.exited;
      const again = await spawnServer({ dataDir, env });
      assert.doesNotMatch(again.output(), /one-time password/);
      again.child.kill('SIGTERM');
      await again.exited;
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('shuts down gracefully on SIGTERM: exit 0, in-flight requests answered', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'berth-term-'));
    try {
      const s = await spawnServer({ dataDir, env: { BERTH_ADMIN_PASSWORD: 'admin-password-1', BERTH_LOG_LEVEL: 'info' } });
      // scrypt makes a login take tens of milliseconds: these are in flight when the signal lands.
      const inflight = Array.from({ length: 4 }, () => fetch(`${s.url}/api/v1/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'admin-password-1' }) }));
      // The signal waits until the server has received all four (its "incoming request" log
      // lines): a connection still in the kernel's accept queue when the listener closes is
      // reset by the kernel, which no server can answer (seen under load).
      const received = () => s.output().split('\n').filter((l) => l.includes('"url":"/api/v1/login"') && l.includes('"msg":"incoming request"')).length;
      for (const deadline = Date.now() + 10_000; received() < 4;) {
        assert.ok(Date.now() < deadline, `the server received ${received()} of 4 logins in 10 s`);
        await new Promise((r) => setTimeout(r, 2));
      }
      s.child.kill('SIGTERM');
      // Each received request is answered (none is cut off): 200, or 503 for one the server
      // had not begun to handle when it began to close.
      const answers = await Promise.all(inflight);
      const statuses = answers.map((a) => a.status);
      assert.ok(statuses.every((c) => c === 200 || c === 503), statuses.join(','));
      assert.ok(statuses.includes(200), statuses.join(','));
      const { code } = await s.exited;
      assert.equal(code, 0);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('serves health, readiness and Prometheus metrics', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'berth-metrics-'));
    try {
      const s = await spawnServer({ dataDir, env: { BERTH_ADMIN_PASSWORD: 'admin-password-1' } });
      assert.equal((await fetch(`${s.url}/healthz`)).status, 200);
      assert.equal((await fetch(`${s.url}/readyz`)).status, 200);
      await fetch(`${s.url}/api/v1/whoami`);
      const text = await (await fetch(`${s.url}/metrics`)).text();
      assert.match(text, /berth_http_request_duration_seconds_bucket\{.*route="\/api\/v1\/whoami".*status_code="401"/);
      assert.match(text, /berth_db_pool_total/);
      assert.match(text, /berth_process_cpu_seconds_total/);
      s.child.kill('SIGTERM');
      await s.exited;
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
