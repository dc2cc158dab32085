// Clients that give up mid-body (a reset, or a close before the declared length) are the clients'
// doing: logged as aborted requests, never as a database outage, and the server stays ready.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backends, databaseFor } from '../support/pg.ts';
import { spawnServer } from '../support/spawn.ts';

const password = 'admin-password-1';
const basic = `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`;

/** Sends a request head and part of its body on a raw socket, then cuts the connection. */
async function cutShort(url: string, head: string, part: string, how: 'reset' | 'close'): Promise<void> {
  const u = new URL(url);
  const sock = connect(Number(u.port), u.hostname);
  sock.on('error', () => {});
  await new Promise<void>((r) => sock.once('connect', () => r()));
  await new Promise<void>((r) => sock.write(`${head}\r\n\r\n${part}`, () => r()));
  // Long enough for the server to be reading the body when the connection goes.
  await new Promise((r) => setTimeout(r, 100));
  if (how === 'reset') sock.resetAndDestroy(); else sock.destroy();
}

for (const backend of backends) {
  describe(`client aborts (${backend})`, () => {
    it('logs bodies cut short as aborted requests, with no outage warning, and stays ready', { timeout: 60_000 }, async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'berth-abort-'));
      const db = await databaseFor(backend);
      const s = await spawnServer({ dataDir, env: { BERTH_ADMIN_PASSWORD: password, BERTH_LOG_LEVEL: 'info', ...(db.url ? { BERTH_DATABASE_URL: db.url } : {}) } });
      try {
        const login = await fetch(`${s.url}/api/v1/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password }) });
        const { token } = await login.json() as { token: string };
        const project = await fetch(`${s.url}/api/v1/registry/projects`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ name: 'team' }) });
        assert.equal(project.status, 201);
        const upload = await fetch(`${s.url}/v2/team/app/blobs/uploads/`, { method: 'POST', headers: { authorization: basic } });
        assert.equal(upload.status, 202);
        const location = upload.headers.get('location') ?? '';

        const cuts: Promise<void>[] = [];
        for (let i = 0; i < 10; i++) {
          const how = i % 2 ? 'reset' : 'close';
          cuts.push(cutShort(s.url, `POST /api/v1/users HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: 4096`, '{"name":"half', how));
          cuts.push(cutShort(s.url, 'POST /api/v1/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4096', '{"username":"adm', how));
          cuts.push(cutShort(s.url, 'POST /auth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 4096', 'grant_type=pass', how));
        }
        cuts.push(cutShort(s.url, `PATCH ${location} HTTP/1.1\r\nHost: x\r\nAuthorization: ${basic}\r\nContent-Type: application/octet-stream\r\nContent-Length: 1048576`, 'x'.repeat(100_000), 'reset'));
        await Promise.all(cuts);

        const deadline = Date.now() + 10_000;
        const aborted = () => s.output().match(/client aborted the request/g)?.length ?? 0;
        while (aborted() < 30 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        assert.doesNotMatch(s.output(), /database is not reachable/);
        assert.deepEqual(s.output().split('\n').filter((l) => /"level":(40|50)/.test(l)), [], 'no warning or error logged');
        assert.equal(aborted(), 30, s.output());
        assert.equal((await fetch(`${s.url}/readyz`)).status, 200);
        assert.equal((await fetch(`${s.url}/api/v1/users`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
      } finally {
        s.child.kill('SIGTERM');
        await s.exited;
        await db.drop();
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  });
}
