// Slow clients (slowloris): headers and bodies trickled a byte at a time are answered 408 and
// their connections closed within the configured bounds, many of them do not pile up, and a
// large body sent at a steady rate is not cut off however long it takes.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { sha256, startRegistryServer, type RegistryServer } from '../registry/support.ts';
import { createTestDatabase } from '../support/pg.ts';
import { adminPassword, startTestServer } from '../support/server.ts';
import { startTcpProxy } from '../support/tcp-proxy.ts';

const basic = `Basic ${Buffer.from(`admin:${adminPassword}`).toString('base64')}`;

// Small bounds, so that the test is quick; the defaults are minutes.
const env = { BERTH_HEADERS_TIMEOUT: '0.5', BERTH_REQUEST_TIMEOUT: '1', BERTH_BODY_TIMEOUT: '0.5', BERTH_BODY_MIN_RATE: '100' };
// How long the test waits for a connection to be closed before it calls it left open.
const giveUp = 5000;

interface Trickled {
  /** Milliseconds from the first byte to the close, or undefined when still open at `giveUp`. */
  readonly closedAfter?: number;
  /** What the server wrote back. */
  readonly answer: string;
}

/** Sends `head`, then one byte every `everyMs`, until the server closes the connection. */
function trickle(url: string, head: string, everyMs: number): Promise<Trickled> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const start = Date.now();
    let answer = '';
    const sock = connect(Number(u.port), u.hostname, () => sock.write(head));
    const drip = setInterval(() => { if (sock.writable) sock.write('x'); }, everyMs);
    const stop = setTimeout(() => { clearInterval(drip); sock.destroy(); resolve({ answer }); }, giveUp);
    sock.on('data', (d) => { answer += d; });
    sock.on('error', () => {});
    sock.on('close', () => {
      clearInterval(drip);
      clearTimeout(stop);
      resolve({ closedAfter: Date.now() - start, answer });
    });
  });
}

describe('slow clients', () => {
  let s: RegistryServer;
  let location: string;
  before(async () => {
    s = await startRegistryServer('sqlite', env);
    await s.createProject('team');
    const up = await fetch(`${s.url}/v2/team/app/blobs/uploads/`, { method: 'POST', headers: { authorization: basic } });
    assert.equal(up.status, 202);
    location = up.headers.get('location') ?? '';
  });
  after(() => s?.close());

  const jsonHead = (token: string, length = 1000) =>
    `POST /api/v1/users HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;

  it('answers 408 and closes a trickled API body, upload body and header within the bounds', async () => {
    const token = await s.login();
    const [json, upload, headers] = await Promise.all([
      trickle(s.url, jsonHead(token), 100),
      trickle(s.url, `PATCH ${location} HTTP/1.1\r\nHost: x\r\nAuthorization: ${basic}\r\nContent-Type: application/octet-stream\r\nContent-Length: 1073741824\r\n\r\n`, 100),
      trickle(s.url, 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ', 100),
    ]);
    for (const [what, t] of Object.entries({ json, upload, headers })) {
      assert.ok(t.closedAfter !== undefined, `${what}: still open after ${giveUp} ms`);
      // Half a second of bound, checked every 50 ms, with room for a loaded machine.
      assert.ok(t.closedAfter < 2000, `${what}: closed after ${t.closedAfter} ms`);
      assert.match(t.answer, /^HTTP\/1\.1 408 /, `${what}: ${t.answer}`);
    }
    assert.match(json.answer, /"reason":"Timeout"/);
    assert.equal((await fetch(`${s.url}/healthz`)).status, 200);
  });

  it('holds a small body that keeps above the minimum rate to the request deadline', async () => {
    const token = await s.login();
    // 200 bytes/s passes the rate (100 bytes/s) but would need 5 s for 1000 bytes; the deadline is 1 s.
    const t = await trickle(s.url, jsonHead(token), 5);
    assert.ok(t.closedAfter !== undefined && t.closedAfter >= 900 && t.closedAfter < 2500, `closed after ${t.closedAfter} ms`);
    assert.match(t.answer, /^HTTP\/1\.1 408 [^]*within 1 s/);
  });

  it('closes 50 slow connections at once, and they do not pile up', async () => {
    const token = await s.login();
    const heads = Array.from({ length: 50 }, (_, i) => (i % 2 ? jsonHead(token) : 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: '));
    const all = await Promise.all(heads.map((h) => trickle(s.url, h, 200)));
    const open = all.filter((t) => t.closedAfter === undefined).length;
    assert.equal(open, 0, `${open} of 50 still open after ${giveUp} ms`);
    assert.ok(Math.max(...all.map((t) => t.closedAfter ?? giveUp)) < 3000);
    const connections = await new Promise<number>((resolve, reject) => s.server.app.server.getConnections((err, n) => (err ? reject(err) : resolve(n))));
    assert.ok(connections <= 2, `${connections} connections left open`);
  });

  it('takes a large upload at a steady rate for longer than every bound', async () => {
    const bytes = randomBytes(3 * 1024 * 1024);
    const u = new URL(s.url);
    const started = Date.now();
    const answer = await new Promise<string>((resolve, reject) => {
      const sock = connect(Number(u.port), u.hostname);
      let got = '';
      sock.on('error', reject);
      sock.on('data', (d) => {
        got += d;
        if (/\r\n\r\n/.test(got)) { sock.destroy(); resolve(got); }
      });
      sock.on('connect', async () => {
        sock.write(`PATCH ${location} HTTP/1.1\r\nHost: x\r\nAuthorization: ${basic}\r\nContent-Type: application/octet-stream\r\nContent-Length: ${bytes.length}\r\n\r\n`);
        // 64 KiB every 40 ms: about 1.6 MB/s, for about two seconds.
        for (let at = 0; at < bytes.length; at += 64 * 1024) {
          sock.write(bytes.subarray(at, at + 64 * 1024));
          await new Promise((r) => setTimeout(r, 40));
        }
      });
    });
    assert.ok(Date.now() - started > 1500, 'the upload outlasted the request and body bounds');
    assert.match(answer, /^HTTP\/1\.1 202 /, answer);
    const done = await fetch(`${s.url}${location}?digest=${sha256(bytes)}`, { method: 'PUT', headers: { authorization: basic } });
    assert.equal(done.status, 201, await done.text());
  });
});

describe('slow clients (postgres)', () => {
  it('does not blame a client for the time the server is not reading its body', async () => {
    const db = await createTestDatabase();
    const target = new URL(db.url);
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const viaProxy = new URL(db.url);
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    const s = await startTestServer('sqlite', { ...env, BERTH_DATABASE_URL: viaProxy.toString() });
    try {
      const token = await s.login();
      // Past the two-second token cache, so that authenticating the next request waits on the database.
      await new Promise((r) => setTimeout(r, 2100));
      proxy.pause();
      const u = new URL(s.url);
      const body = JSON.stringify({ name: 'patient', password: 'p'.repeat(300_000) });
      const answer = new Promise<string>((resolve, reject) => {
        let got = '';
        const sock = connect(Number(u.port), u.hostname, () => {
          sock.write(`POST /api/v1/users HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`);
          sock.write(body);
        });
        sock.on('data', (d) => { got += d; });
        sock.on('error', reject);
        sock.on('close', () => resolve(got));
      });
      // The whole body is sent at once; the server holds it unread for longer than every bound.
      await new Promise((r) => setTimeout(r, 2000));
      proxy.resume();
      const got = await answer;
      assert.match(got, /^HTTP\/1\.1 422 /, got.slice(0, 300));
    } finally {
      await s.close();
      await proxy.close();
      await db.drop();
    }
  });
});
